// The soak's server: message pipe instances, each on its own thread, that
// log a request before acknowledging it.
#include <fcntl.h>
#include <unistd.h>

#include <windows.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "soak/soak.hpp"

namespace conduit::soak {
namespace {

// All of `text` at the log's end: one write, so lines from the instances'
// threads never interleave (O_APPEND).
bool append(int fd, const std::string& text) {
  ssize_t n;
  do {
    n = ::write(fd, text.data(), text.size());
  } while (n < 0 && errno == EINTR);
  return n == static_cast<ssize_t>(text.size());
}

HANDLE create_instance(const std::string& name, int instances) {
  // The server killed before this one may still count as holding its
  // instances until the broker has seen it go: try again for a while.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    HANDLE pipe = CreateNamedPipeA(name.c_str(), PIPE_ACCESS_DUPLEX,
                                   PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE | PIPE_WAIT,
                                   static_cast<DWORD>(instances), 4096, 4096, 0, nullptr);
    if (pipe != INVALID_HANDLE_VALUE) return pipe;
    DWORD error = GetLastError();
    if (std::chrono::steady_clock::now() > deadline) {
      std::fprintf(stderr, "server: CreateNamedPipe failed: %lu\n",
                   static_cast<unsigned long>(error));
      std::_Exit(10);
    }
    Sleep(10);
  }
}

void serve(const std::string& name, int log, int instances) {
  HANDLE pipe = create_instance(name, instances);
  for (;;) {
    if (!ConnectNamedPipe(pipe, nullptr) && GetLastError() != ERROR_PIPE_CONNECTED) {
      DisconnectNamedPipe(pipe);
      continue;
    }
    for (;;) {
      char request[512];
      DWORD n = 0;
      if (!ReadFile(pipe, request, sizeof(request), &n, nullptr)) break;
      std::string text(request, n);
      if (!append(log, text + "\n")) {
        std::fprintf(stderr, "server: log write failed: %d\n", errno);
        std::_Exit(11);
      }
      std::string ack = "ack " + text;
      DWORD written = 0;
      if (!WriteFile(pipe, ack.data(), static_cast<DWORD>(ack.size()), &written, nullptr)) break;
    }
    DisconnectNamedPipe(pipe);
  }
}

}  // namespace

int run_server(const std::string& name, const std::string& log_path, int instances) {
  int log = ::open(log_path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (log < 0) {
    std::perror("server: log");
    return 10;
  }
  std::vector<std::thread> threads;
  for (int i = 0; i < instances; ++i) threads.emplace_back(serve, name, log, instances);
  for (auto& t : threads) t.join();  // never: the operator kills the server
  return 0;
}

}  // namespace conduit::soak
