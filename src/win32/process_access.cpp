#include "win32/process_access.hpp"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace conduit::win32 {
namespace {

// The real, effective and saved uids in /proc/<pid>/status; false if it
// cannot be read (the process is gone).
bool process_uids(int pid, uid_t& real, uid_t& effective, uid_t& saved) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    unsigned long r = 0;
    unsigned long e = 0;
    unsigned long s = 0;
    if (std::sscanf(line.c_str(), "Uid: %lu %lu %lu", &r, &e, &s) == 3) {
      real = static_cast<uid_t>(r);
      effective = static_cast<uid_t>(e);
      saved = static_cast<uid_t>(s);
      return true;
    }
  }
  return false;
}

}  // namespace

DWORD process_open_access(int pid) {
  uid_t me = ::geteuid();
  uid_t real = 0;
  uid_t effective = 0;
  uid_t saved = 0;
  // The pidfd names the process whatever this read finds: a process that
  // ended meanwhile (its pid perhaps someone else's now) can only be waited
  // for, whichever way the answer goes.
  if (!process_uids(pid, real, effective, saved)) return ERROR_INVALID_PARAMETER;
  if (me == 0 || (real == me && effective == me && saved == me)) return ERROR_SUCCESS;
  return ERROR_ACCESS_DENIED;
}

}  // namespace conduit::win32
