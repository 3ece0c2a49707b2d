// Samba's named-pipe-auth handshake: what smbd sends first on a Unix socket
// `<ncalrpc dir>/np/<pipe>` when an SMB client opens `\pipe\<pipe>` on its
// IPC$ share, and what the pipe's server answers (docs/remote-pipes.md).
//
// The request is Samba's NDR (little-endian, NDR32) behind a big-endian
// length and the magic "NPAM": a level (5, 7 or 8), the client's and the
// server's names, addresses and ports, and the session of the SMB user: its
// SIDs, its Unix token (uid, gid, groups) and its account and domain names.
// The reply carries the pipe's file type (1 byte mode, 2 message mode), its
// device state and an allocation size; smbd then relays the pipe's bytes,
// in message mode each SMB write as one frame behind a 2-byte
// little-endian length.
//
// conduit decodes the handshake itself: Debian ships Samba's NDR library
// (libndr) as a private library of Samba's own, without headers or a stable
// interface for other programs, so this is a small reader of just the
// fields the bridge needs, every size checked against the bytes received.
//
//   npa_request req;
//   if (auto ec = decode_npa_request(bytes, req)) ...;   // EBADMSG
//   auto reply = encode_npa_reply(req.level, npa_file_type::message);
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "security/sid.hpp"

namespace conduit::detail::remote {

/// Bytes before the NDR payload whose length the first 4 give.
inline constexpr std::size_t npa_length_prefix = 4;
/// The longest request conduit takes: smbd's are about 1 KiB; a session
/// with many groups stays far below this.
inline constexpr std::size_t npa_max_request = 64 * 1024;
/// The longest string field read (names, addresses, account names).
inline constexpr std::size_t npa_max_string = 1024;
/// Most SIDs and Unix groups read from a session.
inline constexpr std::size_t npa_max_sids = 1024;
inline constexpr std::size_t npa_max_groups = 1024;

/// FILE_TYPE_BYTE_MODE_PIPE and FILE_TYPE_MESSAGE_MODE_PIPE.
enum class npa_file_type : std::uint16_t { byte = 1, message = 2 };

/// The longest frame of a message-mode pipe's relay, and so the most data
/// one SMB write or read carries through it.
inline constexpr std::size_t npa_max_frame = 0xFFFF;

/// What smbd says about the SMB client opening the pipe.
struct npa_request {
  std::uint32_t level = 0;     // 5, 7 or 8
  std::uint8_t transport = 0;  // levels 7 and 8: NCACN_NP is 1... as smbd sets it
  std::string remote_client_name;
  std::string remote_client_addr;
  std::uint16_t remote_client_port = 0;
  std::string local_server_name;
  std::string local_server_addr;
  std::uint16_t local_server_port = 0;
  bool has_session = false;  // false: no session at all (anonymous)
  /// The session's SIDs, in smbd's order.
  std::vector<security::sid> sids;
  bool has_unix_token = false;
  std::uint64_t uid = 0;
  std::uint64_t gid = 0;
  std::vector<std::uint64_t> groups;
  std::string account_name;
  std::string domain_name;
};

/// The whole request's size from its first 4 bytes (the big-endian length
/// plus those 4), or 0 if it is over npa_max_request or too short to hold
/// the magic and level.
[[nodiscard]] std::size_t npa_request_size(std::span<const std::byte> prefix);

/// Decodes a whole request (length prefix included). EBADMSG for anything
/// malformed or over a limit; EPROTONOSUPPORT for a level other than 5, 7
/// and 8.
[[nodiscard]] std::error_code decode_npa_request(std::span<const std::byte> bytes,
                                                 npa_request& out);

/// The reply at `level`: the pipe's file type, device state and allocation
/// size, and NT status 0. `device_state` 0 means what Windows reports for
/// the type: 0x00ff, with 0x0400 | 0x0100 (message type and read mode) for
/// a message pipe.
[[nodiscard]] std::vector<std::byte> encode_npa_reply(std::uint32_t level, npa_file_type type,
                                                      std::uint16_t device_state = 0,
                                                      std::uint64_t allocation_size = 4096);

/// Encodes a request as smbd does (levels 5, 7 and 8): for tests and fuzz
/// seeds. Fields that conduit does not read are written empty.
[[nodiscard]] std::vector<std::byte> encode_npa_request(const npa_request& r);

}  // namespace conduit::detail::remote
