// conduit demo: what conduit does, in a few seconds. Servers run here;
// every client is a process of its own (this same program, run as
// `conduit connect`, `conduit call` and `conduit mailslot send`), as a
// shell user would run them.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdio>
#include <thread>
#include <vector>

#include "cli/cli_support.hpp"
#include "cli/commands.hpp"
#include "cli/relay.hpp"
#include "conduit/error.hpp"
#include "conduit/mailslot.hpp"
#include "conduit/pipe_listing.hpp"
#include "conduit/pipe_server.hpp"
#include "conduit/process.hpp"

namespace conduit::cli {
namespace {

using std::chrono::milliseconds;
constexpr auto child_limit = std::chrono::seconds(20);

// A client process: this program with `args`, `input` on its standard
// input; returns what it printed. Fails when it fails or takes too long.
struct client_run {
  process child;
};

client_run start_client(const std::vector<std::string>& args, std::string input = {}) {
  process_options po;
  po.argv = {"conduit"};
  po.program = self_path();
  po.argv.insert(po.argv.end(), args.begin(), args.end());
  po.std_input = stdio::pipe();
  po.std_output = stdio::pipe();
  std::error_code ec;
  client_run run{process::launch(po, ec)};
  check(ec, "demo: start " + po.program.string());
  // Small enough for the pipe's buffer: written at once, then closed.
  if (!input.empty()) run.child.std_input().write(std::as_bytes(std::span(input)), ec);
  run.child.std_input().close();
  return run;
}

std::string finish_client(client_run& run) {
  std::error_code ec;
  std::thread drain;
  std::string output;
  drain = std::thread([&] { output = run.child.std_output().read_to_end(); });
  auto code = run.child.wait(child_limit, ec);
  if (!code) run.child.terminate(1, ec);
  drain.join();
  if (!code || *code != 0)
    throw failure("demo: a client process failed (pid " + std::to_string(run.child.id()) + ")",
                  make_error_code(code ? errc::invalid_function : errc::timeout));
  while (!output.empty() && output.back() == '\n') output.pop_back();
  return output;
}

void show_listing(const std::string& prefix) {
  std::error_code ec;
  auto pipes = list_pipes(ec);
  check(ec, "demo: list");
  std::printf("   conduit list shows:\n");
  for (const auto& p : pipes) {
    if (p.name.rfind(prefix, 0) != 0) continue;
    std::printf("     %-40s %-7s %u/%s instances, %u listening\n", p.name.c_str(),
                p.type == pipe_type::message ? "message" : "byte", p.current_instances,
                p.max_instances == unlimited_instances ? "unlimited"
                                                       : std::to_string(p.max_instances).c_str(),
                p.listening_instances);
  }
}

void run_demo() {
  auto started = std::chrono::steady_clock::now();
  std::string base = "conduit-demo-" + std::to_string(::getpid());
  std::string prefix = "\\\\.\\pipe\\" + base;
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  std::printf("conduit demo: named pipes and a mailslot; every client is a process of its own\n\n");

  // 1. A byte pipe with three instances: each client's line comes back.
  std::string echo = prefix + "-echo";
  std::printf("1. %s: a byte pipe, 3 server instances echoing\n", echo.c_str());
  {
    pipe_options o;
    o.max_instances = 3;
    std::vector<pipe_server> servers;
    for (int i = 0; i < 3; ++i) servers.push_back(pipe_server::create(echo, o));
    std::vector<std::thread> threads;
    for (auto& s : servers)
      threads.emplace_back([&s] {
        std::error_code ec;
        s.connect(ec);
        if (ec && ec != errc::pipe_connected) return;
        client_identity who = s.client_identity(ec);
        echo_messages(s, 1);
        s.flush(ec);
        std::printf("   server: served client pid %u (%s)\n", who.process_id,
                    who.user_name.c_str());
        s.disconnect(ec);
      });
    std::vector<client_run> clients;
    for (int i = 1; i <= 3; ++i)
      clients.push_back(
          start_client({"connect", echo}, "hello from client " + std::to_string(i) + "\n"));
    for (auto& t : threads) t.join();
    for (std::size_t i = 0; i < clients.size(); ++i) {
      std::string pid = std::to_string(clients[i].child.id());
      std::string got = finish_client(clients[i]);
      std::printf("   client %zu (pid %s) sent \"hello from client %zu\", got back \"%s\"\n", i + 1,
                  pid.c_str(), i + 1, got.c_str());
    }
  }

  // 2. A message pipe answering CallNamedPipe.
  std::string ask = prefix + "-ask";
  std::printf("\n2. %s: a message pipe, 2 instances answering `conduit call`\n", ask.c_str());
  {
    pipe_options o;
    o.type = pipe_type::message;
    o.mode = read_mode::message;
    o.max_instances = 2;
    std::vector<pipe_server> servers;
    for (int i = 0; i < 2; ++i) servers.push_back(pipe_server::create(ask, o));
    show_listing(prefix);
    std::vector<std::thread> threads;
    std::atomic<int> answered{0};
    for (auto& s : servers)
      threads.emplace_back([&s, &answered] {
        for (int n = 0; n < 2; ++n) {
          std::error_code ec;
          s.connect(std::chrono::seconds(10), ec);
          if (ec && ec != errc::pipe_connected) return;
          auto question = s.read_message(ec);
          if (ec) return;
          std::string q(reinterpret_cast<const char*>(question.data()), question.size());
          s.write("answer #" + std::to_string(++answered) + " to '" + q + "': 42", ec);
          s.flush(ec);
          s.disconnect(ec);
        }
      });
    std::vector<client_run> clients;
    for (int i = 1; i <= 4; ++i)
      clients.push_back(start_client({"call", ask, "question " + std::to_string(i)}));
    for (std::size_t i = 0; i < clients.size(); ++i)
      std::printf("   client %zu: %s\n", i + 1, finish_client(clients[i]).c_str());
    for (auto& t : threads) t.join();
  }

  // 3. A mailslot with four writers.
  std::string slot_name = "\\\\.\\mailslot\\" + base + "-news";
  std::printf("\n3. %s: a mailslot, 4 writer processes\n", slot_name.c_str());
  {
    mailslot_options o;
    o.read_timeout = std::chrono::seconds(10);
    auto slot = mailslot_server::create(slot_name, o);
    std::vector<client_run> writers;
    for (int i = 1; i <= 4; ++i)
      writers.push_back(
          start_client({"mailslot", "send", slot_name, "news from writer " + std::to_string(i)}));
    for (auto& w : writers) finish_client(w);
    for (int i = 0; i < 4; ++i) {
      auto m = slot.read_message();
      std::printf("   reader got: %.*s\n", static_cast<int>(m.size()),
                  reinterpret_cast<const char*>(m.data()));
    }
  }
  auto took = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf(
      "\ndone in %.2f s. Try: conduit serve NAME --echo, conduit connect NAME, "
      "conduit list, conduit bench\n",
      took);
}

}  // namespace

void add_demo_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "demo", "A server with several instances, client processes, a mailslot with writers");
  cmd->callback([] { run_demo(); });
}

}  // namespace conduit::cli
