// A conduitd the test starts itself, and peers that speak its protocol by
// hand, as a hostile process would (docs/broker-protocol.md).
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/instance_page.hpp"
#include "core/unique_fd.hpp"
#include "core/wire.hpp"

namespace conduit::test {

namespace wire = detail::wire;

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
  [[nodiscard]] int pidfd() const { return pidfd_.get(); }
  /// What it wrote on its standard error so far (with capture_stderr).
  [[nodiscard]] std::string stderr_text();

 private:
  pid_t pid_ = -1;
  detail::unique_fd pidfd_;
  detail::unique_fd stderr_;
  std::string said_;
};

/// A peer of the broker serving `dir`, connected as this process.
[[nodiscard]] detail::unique_fd connect_raw(const std::string& dir);
/// Sends one packet with `fds` (any number: a hostile peer need not follow
/// the rules).
void send_raw(int fd, std::span<const std::byte> packet, std::span<const int> fds = {});
[[nodiscard]] std::vector<std::byte> encoded(const wire::request& r, std::uint32_t id = 1);
/// What the broker did with the last request on `fd`, waited for (bounded):
/// "dropped" (the socket reads end of file), "reply <win32 error>", or
/// "timeout" / "malformed reply".
std::string outcome(int fd, wire::reply* out = nullptr, wire::header* header = nullptr,
                    std::vector<detail::unique_fd>* fds = nullptr);
/// A request, then its outcome.
std::string request(int fd, const wire::request& r, std::span<const int> fds = {},
                    wire::reply* out = nullptr);
[[nodiscard]] wire::create_instance_request create_request(const std::string& name,
                                                           std::uint32_t max = 255);
[[nodiscard]] detail::instance_page sealed_page();
/// A connected socket pair: [0] for the server, [1] the endpoint the broker gets.
[[nodiscard]] std::array<detail::unique_fd, 2> endpoint_pair();
/// Open descriptors of process `pid`, from /proc.
[[nodiscard]] int fd_count_of(pid_t pid);

}  // namespace conduit::test
