// A mailslot message as Windows sends it between machines: a NetBIOS
// datagram (RFC 1002 4.4.2, UDP port 138) whose user data is an SMB
// SMB_COM_TRANSACTION request to `\MAILSLOT\name` with the Remote Mailslot
// Protocol's "mailslot write" setup words ([MS-MAIL] 2.2.1).
//
//   offset  size  field
//   0       1     MSG_TYPE: 0x10 direct unique, 0x11 direct group, 0x12 broadcast
//   1       1     FLAGS: 0x02 = first (and only) fragment, sent by a B node
//   2       2     DGM_ID (big-endian, as every NetBIOS field)
//   4       4     SOURCE_IP
//   8       2     SOURCE_PORT (138)
//   10      2     DGM_LENGTH: the bytes after PACKET_OFFSET
//   12      2     PACKET_OFFSET: 0
//   14      34+   SOURCE_NAME, DESTINATION_NAME (netbios_name.hpp)
//   then          the SMB message (little-endian): a 32-byte header
//                 (0xFF 'SMB', command 0x25, the rest 0), WordCount 17,
//                 the transaction words with DataCount bytes of data and
//                 no parameters, SetupCount 3, setup {1 (write), priority,
//                 class 2 (unreliable)}, ByteCount, the name
//                 `\MAILSLOT\name` and a zero byte, then the data.
//
// The encoder writes what a Windows host writes (the frame in [MS-BRWS]
// 4.1: Timeout 1000, priority 0, every id 0). The decoder takes any
// datagram that means the same and checks every length and offset before
// it reads: it is the first thing that touches bytes from the network.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "netbios/netbios_name.hpp"

namespace conduit::detail::netbios {

/// The NetBIOS datagram service's port.
inline constexpr std::uint16_t datagram_port = 138;
/// The largest message Windows sends to another machine's mailslot ("About
/// Mailslots": at most 424 bytes between computers).
inline constexpr std::size_t max_remote_message = 424;
/// [MS-MAIL] 2.1: over UDP, the mailslot name (as `\MAILSLOT\name` with its
/// zero byte) and the data together take at most 443 bytes.
inline constexpr std::size_t max_name_and_data = 443;
/// The largest datagram the decoder looks at; anything longer is oversized.
inline constexpr std::size_t max_datagram_bytes = 1024;

enum class datagram_type : std::uint8_t {
  direct_unique = 0x10,
  direct_group = 0x11,
  broadcast = 0x12,
};

struct mailslot_datagram {
  datagram_type type = datagram_type::direct_unique;
  std::uint16_t id = 0;
  std::uint32_t source_ip = 0;  // host byte order
  std::uint16_t source_port = datagram_port;
  netbios_name source;
  netbios_name destination;
  std::string mailslot;  // what follows `\MAILSLOT\`, as sent
  std::uint16_t priority = 0;
  std::uint16_t mailslot_class = 2;
  /// The message. After decode it points into the decoded bytes.
  std::span<const std::byte> data;
};

/// Whether a message of `data_bytes` to the slot `mailslot` (what follows
/// `\MAILSLOT\`) fits one datagram by Windows' rules: at most
/// max_remote_message bytes of data, and at most max_name_and_data with
/// the name.
[[nodiscard]] bool fits_remote_limits(std::string_view mailslot, std::size_t data_bytes);

/// Writes the datagram. Preconditions: fits_remote_limits, names of at
/// most 15 bytes and valid scopes, a mailslot name without zero bytes.
[[nodiscard]] std::vector<std::byte> encode_mailslot_datagram(const mailslot_datagram& d);

/// Why a datagram was not taken.
enum class decode_result {
  ok,
  oversized,       // longer than max_datagram_bytes, or data over max_remote_message
  malformed,       // not a well-formed NetBIOS datagram carrying an SMB transaction
  fragment,        // one piece of a fragmented datagram: never sent for mailslots
  not_a_mailslot,  // a well-formed transaction, but not a mailslot write
};

/// Reads a datagram. On ok every field of `out` is set, `out.data` points
/// into `in`, and `out.mailslot` is not empty and holds no zero byte.
[[nodiscard]] decode_result decode_mailslot_datagram(std::span<const std::byte> in,
                                                     mailslot_datagram& out);

/// A word for each result, for the broker's log.
[[nodiscard]] const char* to_string(decode_result r);

}  // namespace conduit::detail::netbios
