// Security descriptors: owner, group and DACL, in SDDL text and in Windows'
// self-relative binary form.
//
// conduit keeps what a Linux access check can use: an owner, a group and a
// DACL of allow and deny ACEs. A SACL (audit ACEs, the mandatory integrity
// label "S:(ML;;NW;;;LW)") is accepted in SDDL and dropped: Linux has
// neither auditing of pipes nor integrity levels (docs/security.md).
//
//   security_descriptor sd;
//   if (auto ec = parse_sddl("D:P(A;;GA;;;SY)(A;;GR;;;WD)", sd)) ...;
//   to_sddl(sd);   // "D:P(A;;GA;;;SY)(A;;GR;;;WD)"
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "security/sid.hpp"

namespace conduit::detail::security {

/// ACE header flags (AceFlags), as in winnt.h.
namespace ace_flags {
inline constexpr std::uint8_t object_inherit = 0x01;     // OI
inline constexpr std::uint8_t container_inherit = 0x02;  // CI
inline constexpr std::uint8_t no_propagate = 0x04;       // NP
inline constexpr std::uint8_t inherit_only = 0x08;       // IO: not used for access checks
inline constexpr std::uint8_t inherited = 0x10;          // ID
inline constexpr std::uint8_t valid = 0x1f;
}  // namespace ace_flags

struct ace {
  enum class kind : std::uint8_t { allow = 0, deny = 1 } type = kind::allow;  // ACCESS_*_ACE_TYPE
  std::uint8_t flags = 0;
  std::uint32_t mask = 0;
  sid trustee;
  auto operator<=>(const ace&) const = default;
};

struct security_descriptor {
  std::optional<sid> owner, group;
  /// false: no DACL at all; everyone is let in.
  bool dacl_present = false;
  /// A DACL present but null ("D:NO_ACCESS_CONTROL", SetSecurityDescriptorDacl
  /// with a NULL ACL): everyone is let in, as without a DACL.
  bool dacl_null = false;
  bool dacl_protected = false;         // "P", SE_DACL_PROTECTED
  bool dacl_auto_inherited = false;    // "AI", SE_DACL_AUTO_INHERITED
  bool dacl_auto_inherit_req = false;  // "AR", SE_DACL_AUTO_INHERIT_REQ
  std::vector<ace> dacl;
  auto operator<=>(const security_descriptor&) const = default;
};

/// Limits checked before anything is parsed or allocated.
inline constexpr std::size_t max_sddl_bytes = 16 * 1024;
inline constexpr std::size_t max_binary_bytes = 64 * 1024;
/// An ACL's size is a 16-bit field: at most this many bytes of ACEs fit.
inline constexpr std::size_t max_acl_bytes = 0xffff;

/// Parses SDDL: "O:sid", "G:sid", "D:flags(ace)(ace)..." and an ignored
/// "S:..." in any order, each at most once; flags P, AI, AR and
/// NO_ACCESS_CONTROL; ACEs "(A;flags;rights;;;sid)" and "(D;...)" with
/// flags OI CI NP IO ID, rights as names (GA GR GW GX, FA FR FW FX, KA KR KW
/// KX, RC SD WD WO, CC DC LC SW RP WP DT LO CR) or one hex number "0x1f01ff".
/// Keywords and SIDs are case-insensitive. The empty string is a descriptor
/// with nothing in it.
/// @returns as ConvertStringSecurityDescriptorToSecurityDescriptor fails:
///   ERROR_INVALID_PARAMETER for a malformed section (an unknown section
///   letter, text after the last ACE, more than max_sddl_bytes);
///   ERROR_INVALID_ACL for a malformed ACE or DACL (unknown type, flag or
///   right, a bad or unknown trustee, a missing parenthesis, too many ACEs);
///   ERROR_INVALID_SID for a bad owner or group.
[[nodiscard]] std::error_code parse_sddl(std::string_view text, security_descriptor& out);

/// SDDL in the form Windows writes: O:, G:, D: in that order, aliases for
/// well-known SIDs, rights by name where Windows names them, else hex.
/// parse_sddl(to_sddl(sd)) gives sd back.
[[nodiscard]] std::string to_sddl(const security_descriptor& sd);

/// SECURITY_INFORMATION bits: which parts to_sddl writes.
namespace info {
inline constexpr std::uint32_t owner = 0x1;  // OWNER_SECURITY_INFORMATION
inline constexpr std::uint32_t group = 0x2;  // GROUP_SECURITY_INFORMATION
inline constexpr std::uint32_t dacl = 0x4;   // DACL_SECURITY_INFORMATION
inline constexpr std::uint32_t sacl = 0x8;   // SACL_SECURITY_INFORMATION
inline constexpr std::uint32_t all = owner | group | dacl;
}  // namespace info
[[nodiscard]] std::string to_sddl(const security_descriptor& sd, std::uint32_t parts);

/// The SDDL text of one access mask ("GA", "FR", "0x12019f"), as in an ACE.
[[nodiscard]] std::string rights_to_sddl(std::uint32_t mask);

/// SECURITY_DESCRIPTOR_CONTROL bits.
namespace control {
inline constexpr std::uint16_t owner_defaulted = 0x0001;
inline constexpr std::uint16_t group_defaulted = 0x0002;
inline constexpr std::uint16_t dacl_present = 0x0004;
inline constexpr std::uint16_t dacl_defaulted = 0x0008;
inline constexpr std::uint16_t sacl_present = 0x0010;
inline constexpr std::uint16_t dacl_auto_inherit_req = 0x0100;
inline constexpr std::uint16_t dacl_auto_inherited = 0x0400;
inline constexpr std::uint16_t dacl_protected = 0x1000;
inline constexpr std::uint16_t self_relative = 0x8000;
}  // namespace control

/// The control word the binary form carries for a descriptor.
[[nodiscard]] std::uint16_t control_bits(const security_descriptor& sd);

/// The self-relative binary form (SECURITY_DESCRIPTOR_RELATIVE): a 20-byte
/// header, then owner SID, group SID and DACL (ACL header, ACE_HEADER +
/// mask + SID per ACE), all little-endian as on Windows x86.
[[nodiscard]] std::vector<std::uint8_t> to_self_relative(const security_descriptor& sd);

/// Reads a self-relative descriptor, checking every offset and length.
/// ACE types other than allow and deny are rejected; a SACL is ignored.
/// @returns ERROR_INVALID_SECURITY_DESCR for a bad header or an offset out
///   of range, ERROR_INVALID_ACL for a bad ACL or ACE, ERROR_INVALID_SID
///   for a bad SID, ERROR_INVALID_PARAMETER past max_binary_bytes.
[[nodiscard]] std::error_code from_self_relative(std::span<const std::uint8_t> bytes,
                                                 security_descriptor& out);

/// Reads one ACL (ACL header and its ACEs) from the start of `bytes`.
/// `null` is not a case here: the caller handles an absent DACL.
/// @returns ERROR_INVALID_ACL if it is malformed.
[[nodiscard]] std::error_code acl_from_bytes(std::span<const std::uint8_t> bytes,
                                             std::vector<ace>& out);
/// Appends an ACL (header and ACEs, ACL_REVISION 2) to `out`.
void append_acl(const std::vector<ace>& acl, std::vector<std::uint8_t>& out);
/// The size in bytes of that ACL.
[[nodiscard]] std::size_t acl_size(const std::vector<ace>& acl);

}  // namespace conduit::detail::security
