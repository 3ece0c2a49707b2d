#include "helper_security.hpp"

#include <aclapi.h>
#include <sddl.h>
#include <windows.h>

#include <map>
#include <string>

namespace {

std::map<std::string, HANDLE> handles;

std::string error(DWORD code) {
  return "err " + std::to_string(code);
}

// The DACL of `sddl` set on `h` (SetSecurityInfo's answer).
DWORD set_dacl(HANDLE h, const std::string& sddl) {
  PSECURITY_DESCRIPTOR sd = nullptr;
  if (!ConvertStringSecurityDescriptorToSecurityDescriptorA(sddl.c_str(), SDDL_REVISION_1, &sd,
                                                            nullptr))
    return GetLastError();
  BOOL present = FALSE, defaulted = FALSE;
  PACL dacl = nullptr;
  DWORD result = GetSecurityDescriptorDacl(sd, &present, &dacl, &defaulted)
                     ? SetSecurityInfo(h, SE_KERNEL_OBJECT, DACL_SECURITY_INFORMATION, nullptr,
                                       nullptr, dacl, nullptr)
                     : GetLastError();
  LocalFree(sd);
  return result;
}

// The DACL of `h` as SDDL, or the error.
std::string get_dacl(HANDLE h) {
  PSECURITY_DESCRIPTOR sd = nullptr;
  PACL dacl = nullptr;
  DWORD result = GetSecurityInfo(h, SE_KERNEL_OBJECT, DACL_SECURITY_INFORMATION, nullptr, nullptr,
                                 &dacl, nullptr, &sd);
  if (result != ERROR_SUCCESS) return error(result);
  LPSTR text = nullptr;
  BOOL ok = ConvertSecurityDescriptorToStringSecurityDescriptorA(
      sd, SDDL_REVISION_1, DACL_SECURITY_INFORMATION, &text, nullptr);
  LocalFree(sd);
  if (!ok) return error(GetLastError());
  std::string answer = "ok " + std::string(text);
  LocalFree(text);
  return answer;
}

}  // namespace

std::string run_w32_security(const std::vector<std::string>& w) {
  const std::string& cmd = w[0];
  if (w.size() < 2) return "err 87";
  const std::string& id = w[1];
  if (cmd == "w32-pipe" && w.size() >= 4) {
    HANDLE h = CreateNamedPipeA(w[2].c_str(), std::stoul(w[3], nullptr, 16), PIPE_TYPE_BYTE, 4, 0,
                                0, 0, nullptr);
    if (h == INVALID_HANDLE_VALUE) return error(GetLastError());
    handles[id] = h;
    return "ok";
  }
  if (cmd == "w32-open" && w.size() >= 4) {
    HANDLE h = CreateFileA(w[2].c_str(), std::stoul(w[3], nullptr, 16), 0, nullptr, OPEN_EXISTING,
                           0, nullptr);
    if (h == INVALID_HANDLE_VALUE) return error(GetLastError());
    handles[id] = h;
    return "ok";
  }
  auto it = handles.find(id);
  if (it == handles.end()) return "err 6";
  if (cmd == "w32-get-dacl") return get_dacl(it->second);
  if (cmd == "w32-set-dacl" && w.size() >= 3) {
    DWORD result = set_dacl(it->second, w[2]);
    return result == ERROR_SUCCESS ? "ok" : error(result);
  }
  if (cmd == "w32-close") {
    CloseHandle(it->second);
    handles.erase(it);
    return "ok";
  }
  return "err 87";
}
