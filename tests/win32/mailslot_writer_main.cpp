// mailslot_writer NAME [MESSAGE...]: a Win32 program that opens a mailslot
// with CreateFile and writes each MESSAGE as one message, as another
// program on Windows would. "@empty" writes a zero-length message; "@wait"
// waits for a line on stdin first. Prints "open" once the slot is open and
// "ok" after each write; exits with the first GetLastError that failed
// (0 when all went well).
#include <windows.h>

#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
  if (argc < 2) return 87;
  HANDLE slot = CreateFileA(argv[1], GENERIC_WRITE, FILE_SHARE_READ, nullptr, OPEN_EXISTING,
                            FILE_ATTRIBUTE_NORMAL, nullptr);
  if (slot == INVALID_HANDLE_VALUE) return static_cast<int>(GetLastError());
  std::cout << "open" << std::endl;
  for (int i = 2; i < argc; ++i) {
    std::string message = argv[i];
    if (message == "@wait") {
      std::string line;
      if (!std::getline(std::cin, line)) return 1;
      continue;
    }
    if (message == "@empty") message.clear();
    DWORD written = 0;
    if (!WriteFile(slot, message.data(), static_cast<DWORD>(message.size()), &written, nullptr))
      return static_cast<int>(GetLastError());
    if (written != message.size()) return 1;
    std::cout << "ok" << std::endl;
  }
  CloseHandle(slot);
  return 0;
}
