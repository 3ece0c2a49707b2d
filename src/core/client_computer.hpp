// What may stand as a remote client's computer name and address: the broker
// refuses anything else in an open_remote, and the SMB bridge passes on
// only what would be accepted (docs/broker-protocol.md#remote-clients).
//
//   if (!valid_computer_name(name) || !valid_client_address(address)) refuse();
#pragma once

#include <string_view>

namespace conduit::detail {

/// True for an empty name (none known) and for a NetBIOS or DNS name: at
/// most connect_record::max_computer_name (255) bytes of ASCII letters,
/// digits and `-._$`, without a leading or trailing `.`.
[[nodiscard]] bool valid_computer_name(std::string_view name);

/// True for an empty address (none known), an IPv4 address in dotted
/// decimal and an IPv6 address in text (with a scope such as `%2` or
/// `%eth0`), at most connect_record::max_client_address (45) bytes.
[[nodiscard]] bool valid_client_address(std::string_view address);

}  // namespace conduit::detail
