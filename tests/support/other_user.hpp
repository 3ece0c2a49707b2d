// Acting as another Unix user in a test (which then needs root): a uid with
// no account (setuid needs none, so /etc/passwd is never touched and nothing
// is left to remove), dropping to it in a forked child, and the programs
// beside the test binary that such a user must be able to run.
#pragma once

#include <grp.h>
#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <string>

namespace conduit::test {

/// The program `program` in the folder of the running test binary.
inline std::string beside_self(const std::string& program) {
  char self[PATH_MAX] = {};
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
  std::string path(self, n > 0 ? static_cast<std::size_t>(n) : 0);
  return path.substr(0, path.rfind('/') + 1) + program;
}

/// Drops privileges to `uid` (group the same number, no supplementary
/// groups). For a forked child only: async-signal-safe calls.
inline bool become(uid_t uid) {
  return ::setgroups(0, nullptr) == 0 && ::setresgid(uid, uid, uid) == 0 &&
         ::setresuid(uid, uid, uid) == 0;
}

/// The first uid from `from` on with neither an account nor a group of that
/// number; -1 when none of the next 1000 is free.
inline uid_t unused_uid(uid_t from) {
  for (uid_t uid = from; uid < from + 1000; ++uid)
    if (!::getpwuid(uid) && !::getgrgid(uid)) return uid;
  return static_cast<uid_t>(-1);
}

/// True when `uid` may execute `program` (every folder on its way readable).
inline bool runs_as(uid_t uid, const std::string& program) {
  pid_t pid = ::fork();
  if (pid == 0) ::_exit(become(uid) && ::access(program.c_str(), X_OK) == 0 ? 0 : 1);
  int status = 0;
  return pid > 0 && ::waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
         WEXITSTATUS(status) == 0;
}

}  // namespace conduit::test
