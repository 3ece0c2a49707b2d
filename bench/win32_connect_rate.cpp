// win32_connect_rate: connects per second of a plain Win32 program, the same
// source built against conduit's Win32 layer and, for comparison, with
// mingw-w64 for Wine (docs/benchmarks.md). A client opens, writes 1 byte and
// closes, COUNT times (default 2000); 4 server instances on threads of the
// same process each connect, read, disconnect. A client that finds all 4
// busy waits with WaitNamedPipe, as Windows clients do.
//
//   win32_connect_rate [COUNT]
#include <windows.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

static const char* name = "\\\\.\\pipe\\connect-rate";

static DWORD WINAPI serve(LPVOID param) {
  HANDLE pipe = static_cast<HANDLE>(param);
  char byte;
  DWORD got;
  for (;;) {
    if (!ConnectNamedPipe(pipe, nullptr) && GetLastError() != ERROR_PIPE_CONNECTED &&
        GetLastError() != ERROR_NO_DATA)
      return 1;
    ReadFile(pipe, &byte, 1, &got, nullptr);
    DisconnectNamedPipe(pipe);
  }
}

int main(int argc, char** argv) {
  int count = argc > 1 ? atoi(argv[1]) : 2000;
  for (int i = 0; i < 4; ++i) {
    HANDLE pipe = CreateNamedPipeA(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE | PIPE_WAIT, 4, 4096,
                                   4096, 0, nullptr);
    if (pipe == INVALID_HANDLE_VALUE) {
      std::printf("CreateNamedPipe: %lu\n", static_cast<unsigned long>(GetLastError()));
      return 1;
    }
    CreateThread(nullptr, 0, serve, pipe, 0, nullptr);
  }
  auto start = std::chrono::steady_clock::now();
  int busy = 0;
  for (int i = 0; i < count; ++i) {
    HANDLE h;
    for (;;) {
      h = CreateFileA(name, GENERIC_READ | GENERIC_WRITE, 0, nullptr, OPEN_EXISTING, 0, nullptr);
      if (h != INVALID_HANDLE_VALUE) break;
      if (GetLastError() != ERROR_PIPE_BUSY) {
        std::printf("CreateFile: %lu\n", static_cast<unsigned long>(GetLastError()));
        return 1;
      }
      ++busy;
      WaitNamedPipeA(name, 5000);
    }
    char byte = 1;
    DWORD put;
    WriteFile(h, &byte, 1, &put, nullptr);
    CloseHandle(h);
  }
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%.0f connects/s (%d busy)\n", count / s, busy);
  std::fflush(stdout);
  ExitProcess(0);
}
