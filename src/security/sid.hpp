// Security identifiers (SIDs): the text form S-1-..., the SDDL aliases, the
// binary form Win32 programs walk, and the mapping onto Linux identities.
//
// Linux users and groups map the way Samba maps them: S-1-22-1-<uid> is a
// user, S-1-22-2-<gid> a group. Well-known SIDs keep their Windows meaning
// (Everyone, LocalSystem = root, ...); docs/security.md has the table.
//
//   sid s;
//   if (parse_sid("BA", s)) ...;          // S-1-5-32-544
//   to_string(user_sid(1000));            // "S-1-22-1-1000"
#pragma once

#include <sys/types.h>

#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace conduit::detail::security {

/// A SID. `authority` is the 48-bit identifier authority.
struct sid {
  std::uint8_t revision = 1;
  std::uint64_t authority = 0;
  std::vector<std::uint32_t> sub_authorities;
  auto operator<=>(const sid&) const = default;
};

/// SID_MAX_SUB_AUTHORITIES.
inline constexpr std::size_t max_sub_authorities = 15;
/// SECURITY_MAX_SID_SIZE: 8 header bytes and 15 sub-authorities.
inline constexpr std::size_t max_sid_bytes = 8 + 4 * max_sub_authorities;

/// The Samba mapping of Linux identities.
[[nodiscard]] sid user_sid(uid_t uid);
[[nodiscard]] sid group_sid(gid_t gid);
/// The uid of S-1-22-1-<uid>, the gid of S-1-22-2-<gid>; nothing otherwise.
[[nodiscard]] std::optional<uid_t> uid_of(const sid& s);
[[nodiscard]] std::optional<gid_t> gid_of(const sid& s);

/// Well-known SIDs.
namespace well_known {
inline const sid everyone{1, 1, {0}};              // S-1-1-0, WD
inline const sid creator_owner{1, 3, {0}};         // S-1-3-0, CO
inline const sid creator_group{1, 3, {1}};         // S-1-3-1, CG
inline const sid owner_rights{1, 3, {4}};          // S-1-3-4, OW
inline const sid network{1, 5, {2}};               // S-1-5-2, NU
inline const sid interactive{1, 5, {4}};           // S-1-5-4, IU
inline const sid anonymous{1, 5, {7}};             // S-1-5-7, AN
inline const sid authenticated_users{1, 5, {11}};  // S-1-5-11, AU
inline const sid local_system{1, 5, {18}};         // S-1-5-18, SY: root
inline const sid administrators{1, 5, {32, 544}};  // S-1-5-32-544, BA
inline const sid users{1, 5, {32, 545}};           // S-1-5-32-545, BU
}  // namespace well_known

/// Parses "S-1-5-32-544" (case-insensitive, numbers decimal or 0x hex, as
/// ConvertStringSidToSid accepts) or a two-letter SDDL alias ("BA").
/// @returns ERROR_INVALID_SID for anything else (no sub-authority, more
/// than 15, a number out of range, trailing characters).
[[nodiscard]] std::error_code parse_sid(std::string_view text, sid& out);

/// "S-1-5-32-544": the numeric form ConvertSidToStringSid writes (an
/// authority of 2^32 or more in hex, as Windows writes it).
[[nodiscard]] std::string to_string(const sid& s);

/// The SDDL alias of a well-known SID ("BA"), if it has one.
[[nodiscard]] std::optional<std::string_view> sddl_alias(const sid& s);

/// The alias if there is one, else the numeric form: what SDDL text holds.
[[nodiscard]] std::string to_sddl_sid(const sid& s);

/// Whether a SID has a valid shape (revision 1, at most 15
/// sub-authorities, a 48-bit authority): IsValidSid. The text and binary
/// readers also want at least one sub-authority.
[[nodiscard]] bool is_valid(const sid& s);

/// The binary SID as Windows lays it out: Revision, SubAuthorityCount,
/// IdentifierAuthority[6] big-endian, SubAuthority[] little-endian.
[[nodiscard]] std::size_t binary_size(const sid& s);
[[nodiscard]] std::vector<std::uint8_t> to_bytes(const sid& s);
void append_bytes(const sid& s, std::vector<std::uint8_t>& out);
/// Reads a binary SID from the start of `bytes`; `used` gets its length.
/// @returns ERROR_INVALID_SID if it is truncated or malformed, or has no
///   sub-authority.
[[nodiscard]] std::error_code from_bytes(std::span<const std::uint8_t> bytes, sid& out,
                                         std::size_t* used = nullptr);

/// What LookupAccountSid's SID_NAME_USE says a SID names.
enum class account_kind : int {
  user = 1,              // SidTypeUser
  group = 2,             // SidTypeGroup
  alias = 4,             // SidTypeAlias: BUILTIN\Administrators
  well_known_group = 5,  // SidTypeWellKnownGroup: Everyone
};

/// An account: its name, its domain ("Unix User", "NT AUTHORITY", ...).
struct account {
  std::string name;
  std::string domain;
  account_kind kind = account_kind::user;
};

/// A user or group name to its SID, through NSS (getpwnam_r, getgrnam_r:
/// LDAP and SSSD accounts work), or a well-known account name ("Everyone",
/// "SYSTEM", "Administrators", "NT AUTHORITY\SYSTEM", "Unix User\alice").
/// A user is looked for before a group of the same name.
/// @returns ERROR_NONE_MAPPED if no account has that name.
[[nodiscard]] std::error_code lookup_name(std::string_view name, sid& out,
                                          account* found = nullptr);

/// The name of user `uid` through NSS, or the number as text when it has none.
[[nodiscard]] std::string user_name_or_number(uid_t uid);

/// A SID to its account name (getpwuid_r, getgrgid_r, the well-known table).
/// @returns ERROR_NONE_MAPPED if it names no known account.
[[nodiscard]] std::error_code lookup_sid(const sid& s, account& out);

}  // namespace conduit::detail::security
