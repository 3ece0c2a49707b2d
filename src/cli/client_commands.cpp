// conduit connect, call and wait: the client side of a named pipe.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

#include "cli/cli_support.hpp"
#include "cli/commands.hpp"
#include "cli/relay.hpp"
#include "conduit/error.hpp"
#include "conduit/pipe_client.hpp"

namespace conduit::cli {
namespace {

using std::chrono::milliseconds;
using clock = std::chrono::steady_clock;

struct connect_options {
  std::string name;
  bool message = false;
  int wait_ms = -1;  // -1: do not wait for a busy pipe
  unsigned linger_ms = 500;
};

// Opens the pipe; a busy one is waited for while --wait allows.
pipe_client open_client(const std::string& path, int wait_ms) {
  auto deadline = clock::now() + milliseconds(wait_ms < 0 ? 0 : wait_ms);
  for (;;) {
    std::error_code ec;
    pipe_client client = pipe_client::open(path, pipe_access::duplex, ec);
    if (!ec) return client;
    auto left = std::chrono::duration_cast<milliseconds>(deadline - clock::now());
    if (ec != errc::pipe_busy || wait_ms < 0 || left.count() <= 0)
      throw failure("connect " + path, ec);
    wait_named_pipe(path, std::max(left, milliseconds(1)), ec);
    if (ec && ec != errc::sem_timeout) throw failure("connect " + path, ec);
  }
}

// Standard input to the pipe, the pipe to standard output. When standard
// input ends, the answers still coming are printed until the server closes
// or sends nothing for --linger ms.
void run_connect(const connect_options& o) {
  std::string path = pipe_path(o.name);
  pipe_client client = open_client(path, o.wait_ms);
  if (o.message) {
    std::error_code ec;
    client.set_read_mode(read_mode::message, ec);
    check(ec, "connect --message " + path);
  }
  std::mutex mutex;
  std::condition_variable changed;
  bool server_done = false;
  auto last_data = clock::now();
  progress received("received");
  std::thread reader([&] {
    relay_pipe_to_fd(client, STDOUT_FILENO, o.message, [&](std::uint64_t total) {
      received.update(total);
      std::lock_guard lock(mutex);
      last_data = clock::now();
    });
    std::lock_guard lock(mutex);
    server_done = true;
    changed.notify_all();
  });
  progress sent("sent");
  relay_fd_to_pipe(STDIN_FILENO, client, o.message, &sent);
  sent.finish();
  {
    std::unique_lock lock(mutex);
    last_data = std::max(last_data, clock::now());
    while (!server_done) {
      auto quiet_until = last_data + milliseconds(o.linger_ms);
      if (changed.wait_until(lock, quiet_until) == std::cv_status::timeout &&
          clock::now() >= last_data + milliseconds(o.linger_ms))
        break;
    }
    if (!server_done) {
      // The reader still waits on a server that keeps the pipe open.
      received.finish();
      std::fflush(stdout);
      std::_Exit(exit_ok);
    }
  }
  reader.join();
}

void run_call(const std::string& name, const std::string& data, unsigned timeout_ms) {
  std::string path = pipe_path(name);
  std::vector<std::byte> reply(64 * 1024);
  std::error_code ec;
  std::size_t n =
      call_named_pipe(path, std::as_bytes(std::span(data)), reply, milliseconds(timeout_ms), ec);
  if (!ec || ec == errc::more_data) {
    std::fwrite(reply.data(), 1, n, stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
  }
  check(ec, "call " + path);
}

void run_wait(const std::string& name, int timeout_ms) {
  std::string path = pipe_path(name);
  std::error_code ec;
  wait_named_pipe(path, timeout_ms < 0 ? use_default_wait : milliseconds(timeout_ms), ec);
  check(ec, "wait " + path);
}

}  // namespace

void add_client_commands(CLI::App& app) {
  auto c = std::make_shared<connect_options>();
  auto* connect = app.add_subcommand(
      "connect", "Open a pipe: standard input to it, what it sends to standard output");
  connect->add_option("name", c->name, "pipe name: x or \\\\.\\pipe\\x")->required();
  connect->add_flag("--message,-m", c->message, "one line, one message (a message pipe)");
  connect->add_option("--wait,-w", c->wait_ms, "wait up to MS for a busy pipe")
      ->check(CLI::Range(0, 1 << 30));
  connect->add_option("--linger", c->linger_ms,
                      "after standard input ends, wait for the server's answers until it is "
                      "quiet for MS (default 500)");
  connect->callback([c] { run_connect(*c); });

  auto call_args = std::make_shared<std::tuple<std::string, std::string, unsigned>>(
      std::string(), std::string(), 5000u);
  auto* call = app.add_subcommand(
      "call", "CallNamedPipe: send DATA as one message, print the one reply message");
  call->add_option("name", std::get<0>(*call_args), "pipe name")->required();
  call->add_option("data", std::get<1>(*call_args), "the request message")->required();
  call->add_option("--timeout,-t", std::get<2>(*call_args),
                   "wait up to MS for a free instance (default 5000)");
  call->callback([call_args] {
    run_call(std::get<0>(*call_args), std::get<1>(*call_args), std::get<2>(*call_args));
  });

  auto wait_args = std::make_shared<std::pair<std::string, int>>(std::string(), -1);
  auto* wait = app.add_subcommand(
      "wait", "WaitNamedPipe: wait until an instance of the pipe is free to open");
  wait->add_option("name", wait_args->first, "pipe name")->required();
  wait->add_option("--timeout,-t", wait_args->second,
                   "wait up to MS (default: the pipe's default timeout)")
      ->check(CLI::Range(0, 1 << 30));
  wait->callback([wait_args] { run_wait(wait_args->first, wait_args->second); });
}

}  // namespace conduit::cli
