// What the impersonation tests share: a sandbox other users' processes can
// reach, a client that is another user in another process, files only one
// identity may open, and a barrier whose waits are bounded.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <vector>

#include "conduit/pipe_options.hpp"
#include "support/sandbox.hpp"
#include "support/unix_user.hpp"

namespace conduit::test {

/// Options for a pipe that every user may read and write: the default
/// descriptor lets other users only read (docs/security.md), and the clients
/// of these tests are other users who write.
[[nodiscard]] inline pipe_options open_to_everyone() {
  pipe_options options;
  options.security_descriptor = "D:(A;;GA;;;WD)";
  return options;
}

/// A sandbox whose broker serves every user (conduitd --system); skips the
/// test unless this process may create users.
class cross_user_sandbox : public sandbox {
 protected:
  void SetUp() override;
};

/// conduit_impersonation_client (beside the test binary) as `uid`/`gid`
/// with the supplementary `groups` ("-" for none, else comma-separated),
/// opening `pipe` with CreateFile and allowing `level` ("none" for no
/// SECURITY_SQOS_PRESENT, or anonymous, identification, impersonation,
/// delegation). It writes "hello", waits for one byte, and exits 0.
class remote_client {
 public:
  remote_client(const std::string& pipe, uid_t uid, gid_t gid, const std::string& groups,
                const std::string& level);
  [[nodiscard]] pid_t pid() const { return process_->pid(); }
  /// Its exit code, once it has exited (bounded: -1 at the timeout).
  int wait_exit(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    return process_->wait_exit(timeout);
  }

 private:
  std::vector<std::string> args_;
  std::vector<char*> argv_;
  std::unique_ptr<user_process> process_;
};

/// Opens `path` for reading and closes it: success, or the Win32 error a
/// Windows program would see (ERROR_ACCESS_DENIED for EACCES).
std::error_code try_open(const std::string& path);

/// Files that one identity each may read, in a folder everyone may enter;
/// removed with the object.
struct test_files {
  /// client_only: the client's, 0600; server_only: root's, 0600;
  /// group_only: root's with group `group`, 0040 (readable through that
  /// group alone).
  test_files(uid_t client_uid, gid_t client_gid, gid_t group);
  ~test_files();
  test_files(const test_files&) = delete;
  test_files& operator=(const test_files&) = delete;
  std::string dir, client_only, server_only, group_only;
};

/// A barrier whose wait gives up: a thread that failed before arriving
/// must fail the test, not hang it.
class bounded_barrier {
 public:
  explicit bounded_barrier(int parties) : parties_(parties) {}
  /// False if the others did not all arrive within `timeout`.
  bool arrive_and_wait(std::chrono::milliseconds timeout = std::chrono::seconds(10));

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int parties_;
  int arrived_ = 0;
  int phase_ = 0;
};

}  // namespace conduit::test
