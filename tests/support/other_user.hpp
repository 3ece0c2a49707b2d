// Acting as another Unix user in a test (which then needs root): a uid with
// no account (setuid needs none, so /etc/passwd is never touched and nothing
// is left to remove), and whether such a user can run the programs beside
// the test binary (become() and beside_self() are in broker_process.hpp).
#pragma once

#include <grp.h>
#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <string>

#include "support/broker_process.hpp"

namespace conduit::test {

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
