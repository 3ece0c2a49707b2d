// conduit_win32_test_child: a Win32 program the CreateProcess tests start.
// It uses only the Win32 API, as a program written for Windows would. Its
// first argument says what to do:
//
//   cat               copies standard input to standard output until EOF
//   drain             reads standard input until EOF, discarding it
//   write-handle H T  writes T to the inherited handle H (a number), closes it;
//                     exits with GetLastError() if that fails
//   set-event H       SetEvent on the inherited handle H; exits with
//                     GetLastError() if that fails
//   two-handles A B T closes A, then writes T to B (duplicates of one end
//                     must stay one object in the child)
//   cmdline           writes GetCommandLineA() to standard output
//   env NAME          writes the variable's value, or "(unset)"
//   cwd               writes the working directory
//   exit N            ExitProcess(N)
#include <unistd.h>

#include <windows.h>

#include <cstdlib>
#include <cstring>
#include <string>

namespace {

void put(const std::string& text) {
  DWORD n = 0;
  WriteFile(GetStdHandle(STD_OUTPUT_HANDLE), text.data(), static_cast<DWORD>(text.size()), &n,
            nullptr);
}

// Reads standard input to its end; true if that ended with ERROR_BROKEN_PIPE.
bool copy_input(bool echo) {
  HANDLE in = GetStdHandle(STD_INPUT_HANDLE);
  char buffer[4096];
  for (;;) {
    DWORD n = 0;
    if (!ReadFile(in, buffer, sizeof(buffer), &n, nullptr))
      return GetLastError() == ERROR_BROKEN_PIPE;
    if (n == 0) return true;  // a file's end
    if (echo) put(std::string(buffer, n));
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return 100;
  std::string step = argv[1];
  if (step == "cat") ExitProcess(copy_input(true) ? 0 : 101);
  if (step == "drain") ExitProcess(copy_input(false) ? 0 : 101);
  if (step == "write-handle" && argc >= 4) {
    auto handle = reinterpret_cast<HANDLE>(std::strtoull(argv[2], nullptr, 0));
    DWORD n = 0;
    if (!WriteFile(handle, argv[3], static_cast<DWORD>(std::strlen(argv[3])), &n, nullptr))
      ExitProcess(GetLastError());
    ExitProcess(CloseHandle(handle) ? 0 : 102);
  }
  if (step == "set-event" && argc >= 3) {
    auto handle = reinterpret_cast<HANDLE>(std::strtoull(argv[2], nullptr, 0));
    ExitProcess(SetEvent(handle) ? 0 : GetLastError());
  }
  if (step == "two-handles" && argc >= 5) {
    auto first = reinterpret_cast<HANDLE>(std::strtoull(argv[2], nullptr, 0));
    auto second = reinterpret_cast<HANDLE>(std::strtoull(argv[3], nullptr, 0));
    if (!CloseHandle(first)) ExitProcess(GetLastError());
    DWORD n = 0;
    if (!WriteFile(second, argv[4], static_cast<DWORD>(std::strlen(argv[4])), &n, nullptr))
      ExitProcess(GetLastError());
    ExitProcess(0);
  }
  if (step == "cmdline") {
    put(GetCommandLineA());
    ExitProcess(0);
  }
  if (step == "env" && argc >= 3) {
    const char* value = std::getenv(argv[2]);
    put(value ? value : "(unset)");
    ExitProcess(0);
  }
  if (step == "cwd") {
    char buffer[4096];
    put(::getcwd(buffer, sizeof(buffer)) ? buffer : "?");
    ExitProcess(0);
  }
  if (step == "exit" && argc >= 3) ExitProcess(static_cast<UINT>(std::atoi(argv[2])));
  return 100;
}
