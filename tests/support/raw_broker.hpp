// Peers that speak the broker's protocol by hand, as a hostile process
// would (docs/broker-protocol.md); the broker itself is a broker_process.
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
#include "support/broker_process.hpp"

namespace conduit::test {

namespace wire = detail::wire;

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
/// The most broker descriptors that `processes` processes which stay
/// connected may hold as lanes (one per CPU each, attached when first used):
/// what a descriptor count taken before they were all used may grow by.
[[nodiscard]] int lane_allowance(int processes);
/// Resident memory of process `pid` in KiB (VmRSS), or -1.
[[nodiscard]] long resident_kib_of(pid_t pid);

}  // namespace conduit::test
