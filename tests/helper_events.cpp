#include "helper_events.hpp"

#include <sddl.h>
#include <windows.h>

#include <map>
#include <mutex>

namespace {

// Handles by the test's ids; background commands use them too.
std::mutex events_mutex;
std::map<std::string, HANDLE> events;

HANDLE find(const std::string& id) {
  std::lock_guard lock(events_mutex);
  auto it = events.find(id);
  return it == events.end() ? nullptr : it->second;
}

std::string error() {
  return "err " + std::to_string(GetLastError());
}

bool has(const std::vector<std::string>& w, const char* flag) {
  for (std::size_t i = 3; i < w.size(); ++i)
    if (w[i] == flag) return true;
  return false;
}

// The value of "key=value" among the options, or empty.
std::string option(const std::vector<std::string>& w, const std::string& key) {
  for (std::size_t i = 3; i < w.size(); ++i)
    if (w[i].rfind(key + "=", 0) == 0) return w[i].substr(key.size() + 1);
  return {};
}

// CreateEventExA with the options' security descriptor and access.
HANDLE create_with(const std::vector<std::string>& w) {
  std::string sddl = option(w, "sd"), access = option(w, "access");
  DWORD flags = (has(w, "manual") ? CREATE_EVENT_MANUAL_RESET : 0) |
                (has(w, "set") ? CREATE_EVENT_INITIAL_SET : 0);
  SECURITY_ATTRIBUTES attributes{sizeof(attributes), nullptr, FALSE};
  if (!sddl.empty() &&
      !ConvertStringSecurityDescriptorToSecurityDescriptorA(
          sddl.c_str(), SDDL_REVISION_1, &attributes.lpSecurityDescriptor, nullptr))
    return nullptr;
  DWORD desired = access.empty() ? EVENT_ALL_ACCESS : std::stoul(access, nullptr, 16);
  HANDLE h = CreateEventExA(&attributes, w[2].c_str(), flags, desired);
  DWORD error = GetLastError();
  LocalFree(attributes.lpSecurityDescriptor);
  SetLastError(error);
  return h;
}

}  // namespace

std::string run_event(const std::vector<std::string>& w) {
  const std::string& cmd = w[0];
  if (w.size() < 2) return "err 87";
  const std::string& id = w[1];
  if ((cmd == "event-create" || cmd == "event-open") && w.size() >= 3) {
    std::string access = option(w, "access");
    HANDLE h = cmd == "event-create"
                   ? create_with(w)
                   : OpenEventA(access.empty() ? EVENT_ALL_ACCESS : std::stoul(access, nullptr, 16),
                                FALSE, w[2].c_str());
    if (!h) return error();
    bool existed = GetLastError() == ERROR_ALREADY_EXISTS;
    std::lock_guard lock(events_mutex);
    events[id] = h;
    if (cmd == "event-open") return "ok";
    return existed ? "ok existed" : "ok created";
  }
  HANDLE h = find(id);
  if (!h) return "err 6";
  if (cmd == "event-set") return SetEvent(h) ? "ok" : error();
  if (cmd == "event-reset") return ResetEvent(h) ? "ok" : error();
  if (cmd == "event-wait" && w.size() >= 3) {
    DWORD result = WaitForSingleObject(h, static_cast<DWORD>(std::stoul(w[2])));
    if (result == WAIT_FAILED) return error();
    if (result != WAIT_OBJECT_0) return "ok timeout";
    // Tells a test that cannot read two helpers at once who woke.
    if (w.size() >= 4) {
      HANDLE done = find(w[3]);
      if (!done || !SetEvent(done)) return error();
    }
    return "ok signalled";
  }
  if (cmd == "event-close") {
    {
      std::lock_guard lock(events_mutex);
      events.erase(id);
    }
    return CloseHandle(h) ? "ok" : error();
  }
  return "err 87";
}
