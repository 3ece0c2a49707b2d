// A second process to drive from a test: conduit_test_helper, which reads
// one command a line and answers one line (see helper_main.cpp).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace conduit::test {

class unix_user;

class helper_process {
 public:
  /// Starts conduit_test_helper (beside the test binary) with `args`; as
  /// the user and group `as_uid` (no other groups) unless it is -1, which
  /// needs root: the helper starts as this process and changes user itself
  /// (`--become`), so the build folder need not be reachable by that user.
  explicit helper_process(std::vector<std::string> args = {},
                          uid_t as_uid = static_cast<uid_t>(-1));
  /// Starts it as `user` (its uid, gid and groups), with `env` ("NAME=value")
  /// added to this process's environment.
  helper_process(const unix_user& user, const std::vector<std::string>& env);
  ~helper_process();
  helper_process(const helper_process&) = delete;
  helper_process& operator=(const helper_process&) = delete;

  /// Sends one command and returns its one-line answer ("ok ..." or
  /// "err <win32 code>"). Fails the test and returns "timeout" if no answer
  /// comes within `timeout`.
  std::string call(const std::string& command,
                   std::chrono::milliseconds timeout = std::chrono::seconds(10));
  /// Sends a command without waiting for its answer.
  void send(const std::string& command);
  /// Reads the next answer line, bounded.
  std::string answer(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  /// Reads the answer of a command sent as "& CMD" (without the "& ").
  std::string background_answer(std::chrono::milliseconds timeout = std::chrono::seconds(10));

  [[nodiscard]] pid_t pid() const { return pid_; }
  void kill_hard();
  /// Waits for exit (bounded); returns the exit status or -1 on timeout.
  int wait_exit(std::chrono::milliseconds timeout = std::chrono::seconds(10));

 private:
  pid_t pid_ = -1;
  int to_child_ = -1;
  int from_child_ = -1;
  std::string next_line(std::chrono::steady_clock::time_point deadline);
  std::string buffered_;
  std::vector<std::string> foreground_, background_;
};

}  // namespace conduit::test
