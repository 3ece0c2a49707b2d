#include "helper_sync.hpp"

#include <sddl.h>
#include <windows.h>

#include <cstdlib>
#include <map>
#include <mutex>

namespace {

// Handles by the test's ids; background commands use them too.
std::mutex handles_mutex;
std::map<std::string, HANDLE> handles;

HANDLE find(const std::string& id) {
  std::lock_guard lock(handles_mutex);
  auto it = handles.find(id);
  return it == handles.end() ? nullptr : it->second;
}

std::string error() {
  return "err " + std::to_string(GetLastError());
}

bool has(const std::vector<std::string>& w, std::size_t from, const char* flag) {
  for (std::size_t i = from; i < w.size(); ++i)
    if (w[i] == flag) return true;
  return false;
}

std::string option(const std::vector<std::string>& w, std::size_t from, const std::string& key) {
  for (std::size_t i = from; i < w.size(); ++i)
    if (w[i].rfind(key + "=", 0) == 0) return w[i].substr(key.size() + 1);
  return {};
}

std::string keep(const std::string& id, HANDLE h, bool created_answer) {
  if (!h) return error();
  bool existed = GetLastError() == ERROR_ALREADY_EXISTS;
  std::lock_guard lock(handles_mutex);
  handles[id] = h;
  if (!created_answer) return "ok";
  return existed ? "ok existed" : "ok created";
}

// Security attributes from "sd=SDDL" among the options (freed by the caller).
bool attributes_from(const std::vector<std::string>& w, std::size_t from,
                     SECURITY_ATTRIBUTES& attributes) {
  attributes = {sizeof(attributes), nullptr, FALSE};
  std::string sddl = option(w, from, "sd");
  return sddl.empty() ||
         ConvertStringSecurityDescriptorToSecurityDescriptorA(
             sddl.c_str(), SDDL_REVISION_1, &attributes.lpSecurityDescriptor, nullptr);
}

DWORD access_from(const std::vector<std::string>& w, std::size_t from, DWORD otherwise) {
  std::string access = option(w, from, "access");
  return access.empty() ? otherwise : std::stoul(access, nullptr, 16);
}

std::string wait_answer(HANDLE h, const std::string& ms) {
  DWORD result = WaitForSingleObject(h, static_cast<DWORD>(std::stoul(ms)));
  if (result == WAIT_FAILED) return error();
  if (result == WAIT_OBJECT_0) return "ok signalled";
  if (result == WAIT_ABANDONED) return "ok abandoned";
  return "ok timeout";
}

}  // namespace

std::string run_sync(const std::vector<std::string>& w) {
  const std::string& cmd = w[0];
  if (w.size() < 2) return "err 87";
  const std::string& id = w[1];
  if (cmd == "mutex-create" && w.size() >= 3) {
    SECURITY_ATTRIBUTES attributes;
    if (!attributes_from(w, 3, attributes)) return error();
    HANDLE h = CreateMutexExA(&attributes, w[2].c_str(),
                              has(w, 3, "owned") ? CREATE_MUTEX_INITIAL_OWNER : 0,
                              access_from(w, 3, MUTEX_ALL_ACCESS));
    DWORD e = GetLastError();
    LocalFree(attributes.lpSecurityDescriptor);
    SetLastError(e);
    return keep(id, h, true);
  }
  if (cmd == "mutex-open" && w.size() >= 3)
    return keep(id, OpenMutexA(access_from(w, 3, MUTEX_ALL_ACCESS), FALSE, w[2].c_str()), false);
  if (cmd == "sem-create" && w.size() >= 5) {
    SECURITY_ATTRIBUTES attributes;
    if (!attributes_from(w, 5, attributes)) return error();
    HANDLE h = CreateSemaphoreExA(&attributes, std::stol(w[3]), std::stol(w[4]), w[2].c_str(), 0,
                                  access_from(w, 5, SEMAPHORE_ALL_ACCESS));
    DWORD e = GetLastError();
    LocalFree(attributes.lpSecurityDescriptor);
    SetLastError(e);
    return keep(id, h, true);
  }
  if (cmd == "sem-open" && w.size() >= 3)
    return keep(id, OpenSemaphoreA(access_from(w, 3, SEMAPHORE_ALL_ACCESS), FALSE, w[2].c_str()),
                false);
  if (cmd == "sync-exit-process") ExitProcess(static_cast<UINT>(std::stoul(id)));
  if (cmd == "sync-exit") std::exit(std::stoi(id));  // as a return from main does
  HANDLE h = find(id);
  if (!h) return "err 6";
  if ((cmd == "mutex-wait" || cmd == "sem-wait") && w.size() >= 3) return wait_answer(h, w[2]);
  if (cmd == "mutex-release") return ReleaseMutex(h) ? "ok" : error();
  if (cmd == "sem-release" && w.size() >= 3) {
    LONG previous = -1;
    if (!ReleaseSemaphore(h, std::stol(w[2]), &previous)) return error();
    return "ok " + std::to_string(previous);
  }
  if (cmd == "mutex-close" || cmd == "sem-close") {
    {
      std::lock_guard lock(handles_mutex);
      handles.erase(id);
    }
    return CloseHandle(h) ? "ok" : error();
  }
  return "err 87";
}
