// NTLMSSP with NTLMv2 responses ([MS-NLMP]), the client's side: what an
// SMB2 session setup carries to log in with a user name and password
// (remote/smb2_session.hpp).
//
// Three messages: NEGOTIATE (negotiate_message), the server's CHALLENGE
// (parse_challenge), and AUTHENTICATE (authenticate_message), which holds
// the NTLMv2 response to the challenge and the session key, exchanged
// (NTLMSSP_NEGOTIATE_KEY_EXCH) when the server agrees to it. The session key
// signs SMB2 messages when the server asks for signing.
//
//     auto hello = ntlm::negotiate_message();
//     ...send it, receive the server's token...
//     ntlm::challenge c;
//     if (auto ec = ntlm::parse_challenge(token, c)) return ec;
//     ntlm::authenticate_result r = ntlm::authenticate_message(c, creds, ntlm::fresh_entropy());
//     ...send r.message; sign with r.session_key...
//
// The crypto (MD4, MD5, HMAC-MD5, RC4) is nettle's. Names and passwords are
// UTF-8 and go as UTF-16LE; the user name is upper-cased for the NTLMv2
// key in ASCII only (a non-ASCII user name must be given as the server
// spells it in upper case).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace conduit::detail::remote::ntlm {

using bytes = std::vector<std::uint8_t>;
using key16 = std::array<std::uint8_t, 16>;

// NEGOTIATE_MESSAGE / CHALLENGE_MESSAGE flags used here ([MS-NLMP] 2.2.2.5).
inline constexpr std::uint32_t negotiate_unicode = 0x00000001;
inline constexpr std::uint32_t request_target = 0x00000004;
inline constexpr std::uint32_t negotiate_sign = 0x00000010;
inline constexpr std::uint32_t negotiate_ntlm = 0x00000200;
inline constexpr std::uint32_t negotiate_always_sign = 0x00008000;
inline constexpr std::uint32_t negotiate_extended_security = 0x00080000;
inline constexpr std::uint32_t negotiate_target_info = 0x00800000;
inline constexpr std::uint32_t negotiate_128 = 0x20000000;
inline constexpr std::uint32_t negotiate_key_exch = 0x40000000;
inline constexpr std::uint32_t negotiate_56 = 0x80000000;

/// The most a CHALLENGE_MESSAGE may be: larger ones are refused.
inline constexpr std::size_t max_challenge_size = 4096;

/// UTF-8 to UTF-16LE bytes; an invalid sequence becomes U+FFFD.
[[nodiscard]] bytes utf16le(std::string_view utf8);

/// NTOWFv2 ([MS-NLMP] 3.3.2): HMAC_MD5(MD4(UTF-16LE(password)),
/// UTF-16LE(Uppercase(user) + domain)).
[[nodiscard]] key16 ntowf_v2(std::string_view password, std::string_view user,
                             std::string_view domain);

/// What the client contributes to a response: its challenge, the time
/// (FILETIME, used only when the server sends none) and the random session
/// key it proposes.
struct entropy {
  std::array<std::uint8_t, 8> client_challenge{};
  std::uint64_t time = 0;
  key16 random_session_key{};
};

/// Random bytes from the kernel and the current time.
[[nodiscard]] entropy fresh_entropy();

/// The NTLMv2 responses ([MS-NLMP] 3.3.2).
struct v2_responses {
  bytes nt_response;  // NTProofStr followed by the client's blob
  bytes lm_response;  // LMv2: 16 bytes of HMAC and the client challenge
  key16 session_base_key{};
};

/// Computes the NTLMv2 responses for `server_challenge`, with `target_info`
/// as the server sent it and the time `time`.
[[nodiscard]] v2_responses compute_v2(const key16& response_key,
                                      const std::array<std::uint8_t, 8>& server_challenge,
                                      const std::array<std::uint8_t, 8>& client_challenge,
                                      std::uint64_t time,
                                      std::span<const std::uint8_t> target_info);

/// RC4 of `data` with `key` (the session key exchange).
[[nodiscard]] key16 rc4(const key16& key, const key16& data);

/// The NEGOTIATE_MESSAGE: Unicode, NTLM, extended session security,
/// 128-bit, key exchange, signing.
[[nodiscard]] bytes negotiate_message();

/// A parsed CHALLENGE_MESSAGE.
struct challenge {
  std::uint32_t flags = 0;
  std::array<std::uint8_t, 8> server_challenge{};
  bytes target_info;            // the AV pairs, as sent
  bool has_timestamp = false;   // MsvAvTimestamp was among them
  std::uint64_t timestamp = 0;  // its value
};

/// Parses a CHALLENGE_MESSAGE. Every offset and length is checked against
/// `token`; the AV pair list must end with MsvAvEOL within its field.
/// ERROR_UNEXP_NET_ERR for anything malformed, ERROR_NOT_SUPPORTED when the
/// server does not offer NTLMv2 (no target info, no Unicode).
[[nodiscard]] std::error_code parse_challenge(std::span<const std::uint8_t> token, challenge& out);

struct credentials {
  std::string user, password, domain;
  std::string workstation;  // this machine's name, for the server's logs
};

struct authenticate_result {
  bytes message;
  key16 session_key{};  // ExportedSessionKey: what signs SMB2 messages
};

/// Builds the AUTHENTICATE_MESSAGE answering `c`. The time is the server's
/// MsvAvTimestamp when it sent one (then the LM response is all zeros, as
/// [MS-NLMP] 3.1.5.1.2 asks), else `e.time`.
[[nodiscard]] authenticate_result authenticate_message(const challenge& c, const credentials& who,
                                                       const entropy& e);

}  // namespace conduit::detail::remote::ntlm
