// A conduitd that a test starts as its own child (as dbus-broker's
// util_fork_broker does), where the test needs its pid or its options, and
// the small process tools that go with it.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "core/unique_fd.hpp"

namespace conduit::test {

/// Every wait of these helpers is bounded by this.
inline constexpr int bound_ms = 10'000;

/// `program` in the folder of the running test binary.
[[nodiscard]] std::string beside_self(const std::string& program);
[[nodiscard]] int pidfd_open(pid_t pid);
/// True when the process behind `pidfd` exits within `timeout_ms`.
[[nodiscard]] bool exits_within(int pidfd, int timeout_ms);
/// Drops privileges to `uid` (group the same number, no supplementary
/// groups). For a forked child only: async-signal-safe calls.
[[nodiscard]] bool become(uid_t uid);

/// How to start a broker_process.
struct broker_start {
  uid_t uid = static_cast<uid_t>(-1);  // run as this user; -1: as the test
  std::optional<rlimit> descriptors;   // RLIMIT_NOFILE to start it with
  bool capture_stderr = false;         // keep what it says (stderr_text())
};

/// A conduitd that the test starts as its own child and reaps at the end.
class broker_process {
 public:
  broker_process() = default;
  broker_process(const broker_process&) = delete;
  broker_process& operator=(const broker_process&) = delete;
  ~broker_process();

  /// Starts conduitd with `args` (and --ready-fd), as `uid` unless it is -1.
  /// True once it says it is listening; false if it exited or said nothing
  /// in time (wait_exit() then tells how it ended).
  bool start(std::vector<std::string> args, uid_t uid = static_cast<uid_t>(-1));
  bool start(std::vector<std::string> args, const broker_start& how);

  [[nodiscard]] pid_t pid() const { return pid_; }
  [[nodiscard]] bool running() const;
  /// Waits (bounded) for it to exit; its wait status, or -1 on timeout.
  int wait_exit(int timeout_ms);
  /// Kills it with SIGKILL and reaps it (bounded); true once it is gone.
  bool kill_hard();
  [[nodiscard]] int pidfd() const { return pidfd_.get(); }
  /// What it wrote on its standard error so far (with capture_stderr).
  [[nodiscard]] std::string stderr_text();

 private:
  pid_t pid_ = -1;
  detail::unique_fd pidfd_;
  detail::unique_fd stderr_;
  std::string said_;
};

}  // namespace conduit::test
