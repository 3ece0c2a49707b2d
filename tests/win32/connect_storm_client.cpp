// connect_storm_client NAME MILLISECONDS: a Win32 program that opens pipe
// NAME and closes it again, as fast as it can, for MILLISECONDS. The only
// failure it accepts is ERROR_PIPE_BUSY followed by a WaitNamedPipe that
// succeeds; at the end it prints "connects N busy B" and exits 0. Anything
// else it prints ("CreateFile E", "WaitNamedPipe E", "CloseHandle E") and
// exits 1.
#include <windows.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
  if (argc != 3) return 87;
  const char* name = argv[1];
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(std::atoi(argv[2]));
  long connects = 0, busy = 0;
  while (std::chrono::steady_clock::now() < until) {
    HANDLE pipe =
        CreateFileA(name, GENERIC_READ | GENERIC_WRITE, 0, nullptr, OPEN_EXISTING, 0, nullptr);
    if (pipe != INVALID_HANDLE_VALUE) {
      ++connects;
      if (!CloseHandle(pipe)) {
        std::printf("CloseHandle %u\n", GetLastError());
        return 1;
      }
      continue;
    }
    DWORD error = GetLastError();
    if (error != ERROR_PIPE_BUSY) {
      std::printf("CreateFile %u\n", error);
      return 1;
    }
    ++busy;
    // Bounded: eight instances serve 32 clients, each of whom only opens
    // and closes, so an instance is free again in well under this.
    if (!WaitNamedPipeA(name, 20'000)) {
      std::printf("WaitNamedPipe %u\n", GetLastError());
      return 1;
    }
  }
  std::printf("connects %ld busy %ld\n", connects, busy);
  return 0;
}
