// conduit-demo: an echo server and three client processes on one named pipe.
//
// The server creates two instances of \\.\pipe\conduit-demo-<pid>, so two
// clients are served at once and the third waits for a free instance
// (wait_named_pipe), as on Windows. Every process prints what it does; the
// demo exits 0 when each client got its echo back.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "conduit/error.hpp"
#include "conduit/pipe_client.hpp"
#include "conduit/pipe_server.hpp"

extern char** environ;

namespace {

constexpr int client_count = 3;

int run_client(const std::string& name, int number) {
  std::error_code ec;
  conduit::pipe_client client;
  for (int attempt = 0; attempt < 50; ++attempt) {
    client = conduit::pipe_client::open(name, conduit::pipe_access::duplex, ec);
    if (ec != conduit::errc::pipe_busy) break;
    std::printf("client %d: all instances busy, waiting (WaitNamedPipe)\n", number);
    std::fflush(stdout);
    conduit::wait_named_pipe(name, std::chrono::seconds(5), ec);
  }
  if (ec) {
    std::printf("client %d: cannot open %s: %s\n", number, name.c_str(), ec.message().c_str());
    return 1;
  }
  std::string message = "hello from client " + std::to_string(number);
  client.write(message);
  std::string echo(message.size(), '\0');
  std::size_t got = 0;
  while (got < echo.size())
    got += client.read(std::as_writable_bytes(std::span(echo)).subspan(got));
  std::printf("client %d (pid %d): server pid %u echoed \"%s\"\n", number, ::getpid(),
              client.server_process_id(), echo.c_str());
  return echo == message ? 0 : 1;
}

// One instance: serve clients until `remaining` reaches zero.
void serve(conduit::pipe_server& server, int instance, std::atomic<int>& remaining) {
  while (remaining.load() > 0) {
    std::error_code ec;
    server.connect(std::chrono::seconds(10), ec);
    if (ec) break;
    std::printf("server instance %d: client pid %u connected\n", instance,
                server.client_process_id());
    std::fflush(stdout);
    std::array<std::byte, 256> buffer;
    for (;;) {
      std::size_t n = server.read(buffer, ec);
      if (ec) break;  // ERROR_BROKEN_PIPE: the client closed
      server.write(std::span(buffer).first(n));
    }
    std::printf("server instance %d: client gone (%s), disconnecting\n", instance,
                ec.message().c_str());
    std::fflush(stdout);
    server.disconnect(ec);
    --remaining;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 4 && std::string(argv[1]) == "client") return run_client(argv[2], std::stoi(argv[3]));

  std::string name = R"(\\.\pipe\conduit-demo-)" + std::to_string(::getpid());
  std::printf("server (pid %d): serving %s with 2 instances\n", ::getpid(), name.c_str());
  std::fflush(stdout);
  std::atomic<int> remaining = client_count;
  // Both instances exist before any client starts: each listens at once.
  conduit::pipe_options options;
  options.max_instances = 2;
  std::array<conduit::pipe_server, 2> servers{conduit::pipe_server::create(name, options),
                                              conduit::pipe_server::create(name, options)};
  std::vector<std::thread> instances;
  for (int i = 0; i < 2; ++i)
    instances.emplace_back(serve, std::ref(servers[i]), i + 1, std::ref(remaining));

  std::vector<pid_t> clients;
  for (int i = 1; i <= client_count; ++i) {
    std::string number = std::to_string(i);
    std::array<char*, 5> args{argv[0], const_cast<char*>("client"), name.data(), number.data(),
                              nullptr};
    pid_t pid = 0;
    if (::posix_spawn(&pid, argv[0], nullptr, nullptr, args.data(), environ) == 0)
      clients.push_back(pid);
  }
  int failures = 0;
  for (pid_t pid : clients) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    failures += !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  // Closing an instance wakes a thread still waiting in connect().
  for (auto& server : servers) server.close();
  for (auto& t : instances) t.join();
  std::printf("demo: %d clients served, %d failed\n", client_count - failures, failures);
  return failures == 0 ? 0 : 1;
}
