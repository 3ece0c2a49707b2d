// What a Win32 server asks of a remote client's computer
// (GetNamedPipeClientComputerNameA/W), in a file of its own: windows.h
// stays out of remote_pipe_test.cpp.
#include "remote_win32_names.hpp"

#include "conduit/win32/sddl.h"
#include "conduit/win32/windows.h"

namespace conduit::test {

std::string win32_client_computer_name(const std::string& name, unsigned timeout_ms) {
  SECURITY_ATTRIBUTES sa{sizeof(sa), nullptr, FALSE};
  if (!ConvertStringSecurityDescriptorToSecurityDescriptorA("D:(A;;GA;;;WD)", SDDL_REVISION_1,
                                                            &sa.lpSecurityDescriptor, nullptr))
    return "sddl error " + std::to_string(GetLastError());
  HANDLE pipe = CreateNamedPipeA(name.c_str(), PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED,
                                 PIPE_TYPE_MESSAGE, 1, 4096, 4096, 0, &sa);
  LocalFree(sa.lpSecurityDescriptor);
  if (pipe == INVALID_HANDLE_VALUE) return "create error " + std::to_string(GetLastError());
  std::string result;
  OVERLAPPED o{};
  o.hEvent = CreateEventA(nullptr, TRUE, FALSE, nullptr);
  bool connected = ConnectNamedPipe(pipe, &o) || GetLastError() == ERROR_PIPE_CONNECTED ||
                   (GetLastError() == ERROR_IO_PENDING &&
                    WaitForSingleObject(o.hEvent, timeout_ms) == WAIT_OBJECT_0);
  if (!connected) {
    CancelIo(pipe);
    result = "no client";
  } else {
    char narrow[64] = {};
    WCHAR wide[64] = {};
    char tiny[2] = {};
    if (!GetNamedPipeClientComputerNameA(pipe, narrow, sizeof(narrow)))
      result = "A error " + std::to_string(GetLastError());
    else
      result = std::string("A:") + narrow;
    if (!GetNamedPipeClientComputerNameW(pipe, wide, sizeof(wide))) {
      result += " W error " + std::to_string(GetLastError());
    } else {
      result += " W:";
      for (WCHAR* c = wide; *c; ++c) result += static_cast<char>(*c);
    }
    if (!GetNamedPipeClientComputerNameA(pipe, tiny, sizeof(tiny)))
      result += " tiny error " + std::to_string(GetLastError());
  }
  CloseHandle(o.hEvent);
  CloseHandle(pipe);
  return result;
}

}  // namespace conduit::test
