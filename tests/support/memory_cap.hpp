// Caps this process's address space for a scope, so that a test can show an
// allocation of gigabytes does not happen: one that does fails at once
// (std::bad_alloc) instead of filling the machine's memory.
#pragma once

#include <sys/resource.h>

#include <cstddef>
#include <fstream>
#include <string>

namespace conduit::test {

/// A /proc/self/status field in bytes (VmSize, VmPeak, VmRSS, VmHWM), or 0.
inline std::size_t process_memory(const std::string& field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with(field + ":")) return std::stoull(line.substr(field.size() + 1)) * 1024;
  }
  return 0;
}

/// While it lives, the address space may grow by at most `headroom` bytes.
class memory_cap {
 public:
  explicit memory_cap(std::size_t headroom) {
    ::getrlimit(RLIMIT_AS, &saved_);
    rlimit capped = saved_;
    capped.rlim_cur = process_memory("VmSize") + headroom;
    active_ = ::setrlimit(RLIMIT_AS, &capped) == 0;
  }
  ~memory_cap() { ::setrlimit(RLIMIT_AS, &saved_); }
  memory_cap(const memory_cap&) = delete;
  memory_cap& operator=(const memory_cap&) = delete;
  [[nodiscard]] bool active() const { return active_; }

 private:
  rlimit saved_{};
  bool active_ = false;
};

}  // namespace conduit::test
