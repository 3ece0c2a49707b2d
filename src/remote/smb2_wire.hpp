// The SMB2 messages a named-pipe client needs ([MS-SMB2] 2.2), as bytes:
// request bodies built, responses parsed. No I/O here (smb2_session does
// that): each parser takes one whole message, its 64-byte header included
// (offsets in SMB2 count from the header's start), and checks every
// structure size, offset and length against it before it reads, so that
// whatever a server sends ends in ERROR_UNEXP_NET_ERR, never a read past
// the message.
//
//     smb2::header h;
//     if (auto ec = smb2::parse_header(message, h)) return ec;
//     std::span<const std::uint8_t> data;
//     if (auto ec = smb2::parse_read(message, data)) return ec;
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <system_error>
#include <vector>

namespace conduit::detail::remote::smb2 {

using bytes = std::vector<std::uint8_t>;
using file_id = std::array<std::uint8_t, 16>;

enum class command : std::uint16_t {
  negotiate = 0,
  session_setup = 1,
  logoff = 2,
  tree_connect = 3,
  tree_disconnect = 4,
  create = 5,
  close = 6,
  read = 8,
  write = 9,
  ioctl = 11,
};

// NTSTATUS values a pipe client meets ([MS-ERREF] 2.3).
inline constexpr std::uint32_t status_success = 0;
inline constexpr std::uint32_t status_pending = 0x00000103;
inline constexpr std::uint32_t status_buffer_overflow = 0x80000005;
inline constexpr std::uint32_t status_more_processing_required = 0xC0000016;

inline constexpr std::size_t header_size = 64;
/// The most a read, write or pipe transceive carries here: one credit's worth.
inline constexpr std::size_t max_io = 65536;
/// The largest message accepted from a server: a read's data and its
/// headers, with room to spare. A longer one is refused unread.
inline constexpr std::size_t max_message = max_io + 4096;

// Header flags.
inline constexpr std::uint32_t flag_response = 0x1;
inline constexpr std::uint32_t flag_async = 0x2;
inline constexpr std::uint32_t flag_signed = 0x8;

// Negotiate security mode and session flags.
inline constexpr std::uint16_t signing_enabled = 0x1;
inline constexpr std::uint16_t signing_required = 0x2;
inline constexpr std::uint16_t session_is_guest = 0x1;
inline constexpr std::uint16_t session_is_null = 0x2;
inline constexpr std::uint16_t session_encrypt_data = 0x4;

// Dialects offered: 2.0.2 and 2.1, which sign with HMAC-SHA256 and need no
// preauthentication hash (Samba 4.17 serves both by default).
inline constexpr std::uint16_t dialect_202 = 0x0202;
inline constexpr std::uint16_t dialect_210 = 0x0210;

inline constexpr std::uint32_t fsctl_pipe_transceive = 0x0011C017;

struct header {
  std::uint16_t credit_charge = 1;
  std::uint32_t status = 0;
  command cmd = command::negotiate;
  std::uint16_t credits = 0;  // requested, or granted in a response
  std::uint32_t flags = 0;
  std::uint32_t next_command = 0;
  std::uint64_t message_id = 0;
  std::uint64_t async_id = 0;  // with flag_async
  std::uint32_t tree_id = 0;
  std::uint64_t session_id = 0;
};

/// A request: the header, then `body`.
[[nodiscard]] bytes build(const header& h, std::span<const std::uint8_t> body);

/// Reads the header of `message`: the protocol id, a 64-byte header, a
/// response flag, no compounded message.
[[nodiscard]] std::error_code parse_header(std::span<const std::uint8_t> message, header& out);

/// Signs `message` (a request, header included) with HMAC-SHA256 as SMB 2.x
/// does, setting flag_signed.
void sign(std::span<std::uint8_t> message, std::span<const std::uint8_t, 16> key);
/// Whether `message` carries the signature `key` gives it.
[[nodiscard]] bool signature_valid(std::span<const std::uint8_t> message,
                                   std::span<const std::uint8_t, 16> key);

// Request bodies ([MS-SMB2] 2.2.3, 2.2.5, 2.2.7, 2.2.9, 2.2.13, 2.2.15,
// 2.2.19, 2.2.21, 2.2.31).
[[nodiscard]] bytes negotiate_request(std::span<const std::uint8_t, 16> client_guid);
[[nodiscard]] bytes session_setup_request(std::span<const std::uint8_t> token);
[[nodiscard]] bytes logoff_request();
/// `path`: `\\host\IPC$`, UTF-16LE.
[[nodiscard]] bytes tree_connect_request(std::span<const std::uint8_t> path);
[[nodiscard]] bytes tree_disconnect_request();
/// `name`: the pipe's name without `\pipe\`, UTF-16LE.
[[nodiscard]] bytes create_request(std::span<const std::uint8_t> name, bool reads, bool writes);
[[nodiscard]] bytes close_request(const file_id& id);
[[nodiscard]] bytes read_request(const file_id& id, std::uint32_t length);
[[nodiscard]] bytes write_request(const file_id& id, std::span<const std::uint8_t> data);
[[nodiscard]] bytes transceive_request(const file_id& id, std::span<const std::uint8_t> input,
                                       std::uint32_t max_output);

// Responses. Each checks the body's structure size and every offset and
// length it uses against `message`.
struct negotiate_response {
  std::uint16_t security_mode = 0;
  std::uint16_t dialect = 0;
  std::uint32_t max_transact = 0, max_read = 0, max_write = 0;
};
[[nodiscard]] std::error_code parse_negotiate(std::span<const std::uint8_t> message,
                                              negotiate_response& out);
struct session_setup_response {
  std::uint16_t session_flags = 0;
  std::span<const std::uint8_t> token;  // points into the message
};
[[nodiscard]] std::error_code parse_session_setup(std::span<const std::uint8_t> message,
                                                  session_setup_response& out);
[[nodiscard]] std::error_code parse_tree_connect(std::span<const std::uint8_t> message);
[[nodiscard]] std::error_code parse_create(std::span<const std::uint8_t> message, file_id& out);
/// `data` points into the message.
[[nodiscard]] std::error_code parse_read(std::span<const std::uint8_t> message,
                                         std::span<const std::uint8_t>& data);
[[nodiscard]] std::error_code parse_write(std::span<const std::uint8_t> message,
                                          std::uint32_t& count);
/// `output` points into the message.
[[nodiscard]] std::error_code parse_transceive(std::span<const std::uint8_t> message,
                                               std::span<const std::uint8_t>& output);

/// The Win32 error for an NTSTATUS a server answered with (ERROR_UNEXP_NET_ERR
/// for one a pipe client does not expect).
[[nodiscard]] std::error_code error_from_status(std::uint32_t status);

}  // namespace conduit::detail::remote::smb2
