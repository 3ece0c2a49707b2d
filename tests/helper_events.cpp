#include "helper_events.hpp"

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

}  // namespace

std::string run_event(const std::vector<std::string>& w) {
  const std::string& cmd = w[0];
  if (w.size() < 2) return "err 87";
  const std::string& id = w[1];
  if ((cmd == "event-create" || cmd == "event-open") && w.size() >= 3) {
    HANDLE h = cmd == "event-create"
                   ? CreateEventA(nullptr, has(w, "manual"), has(w, "set"), w[2].c_str())
                   : OpenEventA(EVENT_ALL_ACCESS, FALSE, w[2].c_str());
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
