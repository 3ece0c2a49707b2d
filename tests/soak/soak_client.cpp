// The soak's client: its requests one at a time, each sent again after any
// error until it is acknowledged.
#include <fcntl.h>
#include <unistd.h>

#include <windows.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <string>

#include "soak/soak.hpp"

namespace conduit::soak {

int run_client(const std::string& name, int id, int requests, const std::string& acks_path,
               int seconds) {
  int acks = ::open(acks_path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (acks < 0) return 10;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  std::map<DWORD, int> errors;  // what made a request go again, and how often
  HANDLE pipe = INVALID_HANDLE_VALUE;
  auto drop = [&](DWORD error) {
    ++errors[error];
    if (pipe != INVALID_HANDLE_VALUE) CloseHandle(pipe);
    pipe = INVALID_HANDLE_VALUE;
  };
  for (int seq = 1; seq <= requests; ++seq) {
    std::string request = "c" + std::to_string(id) + " " + std::to_string(seq);
    for (;;) {
      if (std::chrono::steady_clock::now() > deadline) {
        std::string seen;
        for (auto [error, count] : errors)
          seen += " " + std::to_string(error) + ":" + std::to_string(count);
        std::fprintf(stderr, "client %d: gave up at request %d; errors:%s\n", id, seq,
                     seen.c_str());
        return 3;
      }
      if (pipe == INVALID_HANDLE_VALUE) {
        pipe = CreateFileA(name.c_str(), GENERIC_READ | GENERIC_WRITE, 0, nullptr, OPEN_EXISTING, 0,
                           nullptr);
        if (pipe == INVALID_HANDLE_VALUE) {
          DWORD error = GetLastError();
          ++errors[error];
          // All instances busy: wait for one. No such pipe: the server is
          // being started again; look a little later.
          if (error == ERROR_PIPE_BUSY)
            WaitNamedPipeA(name.c_str(), 1000);
          else
            Sleep(10);
          continue;
        }
        DWORD mode = PIPE_READMODE_MESSAGE;
        if (!SetNamedPipeHandleState(pipe, &mode, nullptr, nullptr)) {
          drop(GetLastError());
          continue;
        }
      }
      char reply[512];
      DWORD n = 0;
      if (!TransactNamedPipe(pipe, request.data(), static_cast<DWORD>(request.size()), reply,
                             sizeof(reply), &n, nullptr)) {
        drop(GetLastError());
        continue;
      }
      if (std::string(reply, n) != "ack " + request) {
        std::fprintf(stderr, "client %d: request \"%s\" answered \"%s\"\n", id, request.c_str(),
                     std::string(reply, n).c_str());
        return 4;
      }
      std::string line = std::to_string(seq) + "\n";
      if (::write(acks, line.data(), line.size()) != static_cast<ssize_t>(line.size())) return 10;
      break;
    }
    // Now and then a new connection on purpose: connects under churn too.
    if (seq % 10 == 0 && pipe != INVALID_HANDLE_VALUE) {
      CloseHandle(pipe);
      pipe = INVALID_HANDLE_VALUE;
    }
  }
  if (pipe != INVALID_HANDLE_VALUE) CloseHandle(pipe);
  // What this client went through: error:count for each error seen.
  std::string seen;
  for (auto [error, count] : errors)
    seen += std::to_string(error) + ":" + std::to_string(count) + " ";
  std::printf("%s\n", seen.c_str());
  return 0;
}

}  // namespace conduit::soak
