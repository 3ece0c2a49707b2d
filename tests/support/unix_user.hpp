// Real Unix users for tests that cross users: a user made for one test
// (useradd) and removed when it goes out of scope, on every path, and
// processes that run as it.
//
//   if (!conduit::test::can_create_users()) GTEST_SKIP() << "needs root";
//   conduit::test::unix_user stranger;
//   conduit::test::user_process attacker(stranger, [&] { ...; return 0; });
//   EXPECT_EQ(attacker.wait_exit(std::chrono::seconds(10)), 0);
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace conduit::test {

/// Whether this process may create users (it is root and useradd exists).
[[nodiscard]] bool can_create_users();

/// A Unix group that exists while this object does (groupadd, groupdel),
/// for users to share as a supplementary group.
class unix_group {
 public:
  /// Creates a group named "<prefix><pid>x<n>". Throws std::runtime_error
  /// if groupadd fails.
  explicit unix_group(std::string_view prefix = "cdg");
  ~unix_group();
  unix_group(const unix_group&) = delete;
  unix_group& operator=(const unix_group&) = delete;

  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] gid_t gid() const { return gid_; }

 private:
  std::string name_;
  gid_t gid_ = 0;
};

/// A Unix user (and its own group) that exists while this object does.
/// Declare it before the user_process objects that run as it: userdel
/// refuses a user that still runs a process.
class unix_user {
 public:
  /// Creates a user with a name unique to this process ("<prefix><pid>x<n>"),
  /// no home folder and no login shell. Throws std::runtime_error if it
  /// cannot (useradd failed; see can_create_users()).
  explicit unix_user(std::string_view prefix = "cdt");
  /// The same, and a member of `supplementary` (declared before the user).
  unix_user(std::string_view prefix, const std::vector<const unix_group*>& supplementary);
  /// Removes the user and its group.
  ~unix_user();
  unix_user(const unix_user&) = delete;
  unix_user& operator=(const unix_user&) = delete;

  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] uid_t uid() const { return uid_; }
  [[nodiscard]] gid_t gid() const { return gid_; }
  /// The supplementary groups it was made with.
  [[nodiscard]] const std::vector<gid_t>& groups() const { return groups_; }

  /// Makes the calling process this user: its supplementary groups (none
  /// unless made with some), real, effective and saved ids all the user's. For a forked child;
  /// false if a step failed (the process is then in between: exit it).
  [[nodiscard]] bool become() const;

 private:
  std::string name_;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
  std::vector<gid_t> groups_;
};

/// A forked child that becomes `user` and runs `body`, exiting with what
/// it returns (126 if it could not become the user). Killed and reaped when
/// this object goes, if it has not been waited for. The body runs in a copy
/// of a multithreaded process: keep it to system calls and plain code. It
/// holds a copy of every descriptor this process had at the fork (a pipe's
/// end it keeps open delays that pipe's end of file until it exits).
class user_process {
 public:
  user_process(const unix_user& user, const std::function<int()>& body);
  /// The same, without changing user: as this process's own user.
  explicit user_process(const std::function<int()>& body);
  ~user_process();
  user_process(const user_process&) = delete;
  user_process& operator=(const user_process&) = delete;

  [[nodiscard]] pid_t pid() const { return pid_; }
  /// Waits (bounded) for the exit: its exit code, 128 + the signal that
  /// ended it, or -1 if it is still running at the timeout.
  int wait_exit(std::chrono::milliseconds timeout);
  /// Kills it with SIGKILL and reaps it.
  void kill_hard();

 private:
  void start(const unix_user* user, const std::function<int()>& body);
  pid_t pid_ = -1;
  int pidfd_ = -1;
};

}  // namespace conduit::test
