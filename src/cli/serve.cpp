// conduit serve: a named pipe server with any number of instances. Each
// instance serves one client at a time: it prints what the client sends
// (the default), sends it back (--echo), or gives the client a child process
// of its own with the pipe as standard input and output, as inetd does
// (--exec).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cli/cli_support.hpp"
#include "cli/commands.hpp"
#include "cli/relay.hpp"
#include "conduit/error.hpp"
#include "conduit/pipe_server.hpp"
#include "conduit/process.hpp"

namespace conduit::cli {
namespace {

struct serve_options {
  std::string name;
  unsigned instances = 1;
  unsigned max_instances = unlimited_instances;
  bool message = false;
  bool echo = false;
  std::vector<std::string> exec;
  unsigned clients = 0;  // stop after this many; 0: never
  std::string sddl;      // the pipe's security descriptor; empty: the default
};

std::mutex stdout_mutex;

// The default: what the client sends goes to standard output (a message
// pipe's messages one a line).
void print_client(pipe_server& server, bool message) {
  for (;;) {
    std::error_code ec;
    auto data = server.read_message(ec);
    if (ec) return;  // the client is gone (ERROR_BROKEN_PIPE) or the pipe broke
    std::lock_guard lock(stdout_mutex);
    std::fwrite(data.data(), 1, data.size(), stdout);
    if (message) std::fputc('\n', stdout);
    std::fflush(stdout);
  }
}

// --exec: the client's own child, its identity in the environment; the
// connection ends when the child closes its standard output.
void exec_client(pipe_server& server, const serve_options& o) {
  std::error_code ec;
  client_identity who = server.client_identity(ec);
  if (ec) return;
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string_view entry(*e);
    if (!entry.starts_with("CONDUIT_CLIENT_")) env.emplace_back(entry);
  }
  env.push_back("CONDUIT_CLIENT_PID=" + std::to_string(who.process_id));
  env.push_back("CONDUIT_CLIENT_UID=" + std::to_string(who.uid));
  env.push_back("CONDUIT_CLIENT_USER=" + who.user_name);
  env.push_back("CONDUIT_PIPE=" + o.name);
  process_options po;
  po.argv = o.exec;
  po.environment = std::move(env);
  po.std_input = stdio::pipe();
  po.std_output = stdio::pipe();
  process child = process::launch(po, ec);
  if (ec) {
    std::fprintf(stderr, "conduit: cannot run %s: %s\n", o.exec[0].c_str(),
                 describe_error(ec).c_str());
    return;
  }
  anonymous_write_end to_child = std::move(child.std_input());
  anonymous_read_end from_child = std::move(child.std_output());
  std::thread inbound([&] { relay_pipe_to_fd(server, to_child.native_handle(), o.message); });
  relay_fd_to_pipe(from_child.native_handle(), server, o.message, nullptr);
  server.flush(ec);
  // The child is done with its output: the connection ends, which also
  // ends the inbound relay's read.
  server.disconnect(ec);
  inbound.join();
  to_child.close();
  if (!child.wait(std::chrono::seconds(5))) child.terminate(1, ec);
  (void)child.wait(std::chrono::seconds(5), ec);
}

void run_serve(const serve_options& o) {
  if (o.instances == 0 || o.instances > o.max_instances)
    throw CLI::ValidationError("--instances", "must be 1 to --max-instances");
  std::string path = pipe_path(o.name);
  pipe_options po;
  po.type = o.message ? pipe_type::message : pipe_type::byte;
  po.mode = o.message ? read_mode::message : read_mode::byte;
  po.max_instances = o.max_instances;
  po.security_descriptor = o.sddl;
  std::vector<pipe_server> servers;
  for (unsigned i = 0; i < o.instances; ++i) {
    std::error_code ec;
    servers.push_back(pipe_server::create(path, po, ec));
    check(ec, "serve " + path);
  }
  std::fprintf(stderr, "conduit: serving %s with %u instance%s\n", path.c_str(), o.instances,
               o.instances == 1 ? "" : "s");
  std::fflush(stderr);

  std::mutex mutex;
  std::condition_variable done;
  unsigned served = 0;
  serve_options named = o;
  named.name = path;
  std::vector<std::thread> threads;
  for (auto& server : servers) {
    threads.emplace_back([&, s = &server] {
      for (;;) {
        std::error_code ec;
        s->connect(ec);
        if (ec && ec != errc::pipe_connected && ec != errc::no_data) {
          std::fprintf(stderr, "conduit: serve %s: %s\n", path.c_str(), describe_error(ec).c_str());
          return;
        }
        if (!named.exec.empty())
          exec_client(*s, named);
        else if (named.echo)
          echo_messages(*s);
        else
          print_client(*s, named.message);
        s->disconnect(ec);
        std::lock_guard lock(mutex);
        ++served;
        done.notify_all();
      }
    });
  }
  std::unique_lock lock(mutex);
  done.wait(lock, [&] { return o.clients != 0 && served >= o.clients; });
  // The other instances wait for clients that will not come: leave at once.
  std::fflush(stdout);
  std::_Exit(exit_ok);
}

}  // namespace

void add_serve_command(CLI::App& app) {
  auto o = std::make_shared<serve_options>();
  auto* cmd = app.add_subcommand("serve", "Serve a named pipe: print, echo or --exec per client");
  cmd->add_option("name", o->name, "pipe name: x or \\\\.\\pipe\\x")->required();
  cmd->add_option("--instances,-n", o->instances, "server instances, each one client at a time")
      ->check(CLI::Range(1u, 255u));
  cmd->add_option("--max-instances", o->max_instances, "the pipe's limit (255: unlimited)")
      ->check(CLI::Range(1u, 255u));
  cmd->add_flag("--message,-m", o->message, "a message pipe, read in message mode");
  auto* echo = cmd->add_flag("--echo,-e", o->echo, "send back what each client sends");
  cmd->add_option("--clients", o->clients, "exit after serving this many clients");
  cmd->add_option("--sddl", o->sddl,
                  "the pipe's security descriptor, e.g. D:P(A;;GA;;;SY)(A;;GA;;;S-1-22-1-1000)");
  CLI::Option* exec =
      cmd->add_flag("--exec,-x")
          ->description(
              "run the command that follows (CMD [ARGS...]) per client, the pipe as its stdin and "
              "stdout; CONDUIT_CLIENT_PID, _UID and _USER name the client");
  exec->excludes(echo);
  // Everything after the command's name is the command's own.
  cmd->prefix_command();
  cmd->callback([o, cmd, exec] {
    o->exec = cmd->remaining();
    if (exec->count() > 0 && o->exec.empty())
      throw CLI::ValidationError("--exec", "needs a command to run");
    if (exec->count() == 0 && !o->exec.empty()) throw CLI::ExtrasError({o->exec.front()});
    run_serve(*o);
  });
}

}  // namespace conduit::cli
