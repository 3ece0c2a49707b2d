// The sending side of a mailslot on other machines: what a writer opened
// on `\\host\mailslot\x`, `\\domain\mailslot\x` or `\\*\mailslot\x` holds.
//
// Each write becomes one NetBIOS datagram in Windows' format
// (netbios/mailslot_datagram.hpp), sent over UDP to the datagram port
// (138, or CONDUIT_NETBIOS_PORT):
// - `\\*\`, and a host part naming this machine's workgroup
//   (CONDUIT_WORKGROUP): a direct group datagram to the workgroup's name,
//   sent to the broadcast address of every IPv4 interface that is up;
// - any other host part that resolves (getaddrinfo: /etc/hosts, DNS) to an
//   IPv4 address: a direct unique datagram to that address, for the host's
//   NetBIOS name;
// - a host part that does not resolve is taken as a domain's name, as a
//   NetBIOS B node does with a name it cannot find: a direct group datagram
//   to it, broadcast as above.
// Nothing answers a datagram: a write succeeds once the datagram has left,
// whether or not any reader takes it, as on Windows.
#pragma once

#include <netinet/in.h>

#include <atomic>
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "core/object_name.hpp"
#include "core/unique_fd.hpp"
#include "netbios/mailslot_datagram.hpp"

namespace conduit::detail {

class mailslot_datagram_sender {
 public:
  /// Prepares the datagrams for `name` (a parsed remote mailslot name).
  /// Errors: ERROR_BAD_NETPATH when there is nowhere to send: a broadcast
  /// with no IPv4 interface that broadcasts; errors of socket().
  static std::shared_ptr<mailslot_datagram_sender> open(const object_name& name,
                                                        std::error_code& ec);

  /// Sends `data` as one datagram (to each broadcast address for a group).
  /// Returns data.size().
  /// Errors: ERROR_INVALID_PARAMETER for a message over Windows' limits
  /// (424 bytes of data; 443 with the `\MAILSLOT\name` string, [MS-MAIL]
  /// 2.1): nothing is sent. ERROR_BAD_NETPATH when no datagram could leave
  /// (no route to the host or to any broadcast address).
  std::size_t write(std::span<const std::byte> data, std::error_code& ec);

  /// Whether writes go to a group (a domain, or `*`) rather than one host.
  [[nodiscard]] bool is_group() const { return group_; }

 private:
  struct target {
    sockaddr_in address{};
    std::uint32_t source_ip = 0;  // this machine's address towards it, host order
  };
  mailslot_datagram_sender() = default;

  unique_fd socket_;
  bool group_ = false;
  std::vector<target> targets_;
  netbios::mailslot_datagram header_;  // all but id, source_ip and data
  std::atomic<std::uint16_t> next_id_{0};
};

}  // namespace conduit::detail
