// conduit_tcl_win32_client NAME: a Win32 client for the Tcl server tests,
// written as for Windows. It opens NAME with CreateFile, writes 40 rounds
// of all 256 byte values in writes of sizes that do not follow the rounds
// (so message boundaries mean nothing), reads until as many bytes came back,
// checks them, and says "ok N" (N bytes) and exits 0; otherwise it says
// what failed and exits with GetLastError (or 1 for wrong bytes).
#include <windows.h>

#include <cstdio>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 2) return ERROR_INVALID_PARAMETER;
  HANDLE pipe = CreateFileA(argv[1], GENERIC_READ | GENERIC_WRITE, 0, nullptr, OPEN_EXISTING,
                            FILE_ATTRIBUTE_NORMAL, nullptr);
  if (pipe == INVALID_HANDLE_VALUE) {
    DWORD error = GetLastError();
    std::printf("CreateFile: %lu\n", static_cast<unsigned long>(error));
    return static_cast<int>(error);
  }
  std::vector<unsigned char> sent(40 * 256);
  for (std::size_t i = 0; i < sent.size(); ++i) sent[i] = static_cast<unsigned char>(i % 256);
  const DWORD sizes[] = {1, 7, 255, 256, 1000, 3, 4096};
  std::size_t at = 0;
  for (std::size_t k = 0; at < sent.size(); ++k) {
    DWORD size = sizes[k % (sizeof sizes / sizeof sizes[0])];
    if (size > sent.size() - at) size = static_cast<DWORD>(sent.size() - at);
    DWORD written = 0;
    if (!WriteFile(pipe, sent.data() + at, size, &written, nullptr) || written != size) {
      DWORD error = GetLastError();
      std::printf("WriteFile: %lu\n", static_cast<unsigned long>(error));
      return static_cast<int>(error);
    }
    at += size;
  }
  std::vector<unsigned char> back(sent.size());
  std::size_t got = 0;
  while (got < back.size()) {
    DWORD n = 0;
    DWORD want = static_cast<DWORD>(back.size() - got < 777 ? back.size() - got : 777);
    if (!ReadFile(pipe, back.data() + got, want, &n, nullptr)) {
      DWORD error = GetLastError();
      std::printf("ReadFile after %zu bytes: %lu\n", got, static_cast<unsigned long>(error));
      return static_cast<int>(error);
    }
    got += n;
  }
  CloseHandle(pipe);
  if (back != sent) {
    std::printf("the bytes came back changed\n");
    return 1;
  }
  std::printf("ok %zu\n", got);
  return 0;
}
