// Access checks: who a Linux process is in Windows terms, and whether a
// security descriptor grants it the rights it asks for, by Windows' rules.
//
//   identity who{.uid = peer.uid, .gid = peer.gid, .groups = peer_groups};
//   std::uint32_t granted = 0;
//   if (auto ec = access_check(sd, who, GENERIC_READ | GENERIC_WRITE,
//                              file_generic_mapping, granted)) ...;  // ERROR_ACCESS_DENIED
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string_view>
#include <system_error>
#include <vector>

#include "security/security_descriptor.hpp"
#include "security/sid.hpp"

namespace conduit::detail::security {

/// A caller as the broker sees it (SO_PEERCRED, SO_PEERGROUPS).
struct identity {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary groups
  bool remote = false;        // came over the network: NETWORK, not INTERACTIVE
  bool anonymous = false;     // an anonymous logon: none of the account's SIDs
};

/// Access rights, as in winnt.h.
namespace rights {
inline constexpr std::uint32_t file_read_data = 0x0001;
inline constexpr std::uint32_t file_write_data = 0x0002;
inline constexpr std::uint32_t file_create_pipe_instance = 0x0004;  // = FILE_APPEND_DATA
inline constexpr std::uint32_t file_append_data = 0x0004;
inline constexpr std::uint32_t file_read_ea = 0x0008;
inline constexpr std::uint32_t file_write_ea = 0x0010;
inline constexpr std::uint32_t file_execute = 0x0020;
inline constexpr std::uint32_t file_read_attributes = 0x0080;
inline constexpr std::uint32_t file_write_attributes = 0x0100;
inline constexpr std::uint32_t delete_ = 0x00010000;  // DELETE
inline constexpr std::uint32_t read_control = 0x00020000;
inline constexpr std::uint32_t write_dac = 0x00040000;
inline constexpr std::uint32_t write_owner = 0x00080000;
inline constexpr std::uint32_t synchronize = 0x00100000;
inline constexpr std::uint32_t standard_rights_required = 0x000f0000;
inline constexpr std::uint32_t access_system_security = 0x01000000;
inline constexpr std::uint32_t maximum_allowed = 0x02000000;
inline constexpr std::uint32_t generic_all = 0x10000000;
inline constexpr std::uint32_t generic_execute = 0x20000000;
inline constexpr std::uint32_t generic_write = 0x40000000;
inline constexpr std::uint32_t generic_read = 0x80000000;
inline constexpr std::uint32_t file_generic_read = 0x00120089;
inline constexpr std::uint32_t file_generic_write = 0x00120116;
inline constexpr std::uint32_t file_generic_execute = 0x001200a0;
inline constexpr std::uint32_t file_all_access = 0x001f01ff;
inline constexpr std::uint32_t event_query_state = 0x0001;
inline constexpr std::uint32_t event_modify_state = 0x0002;
inline constexpr std::uint32_t event_all_access = 0x001f0003;
}  // namespace rights

/// GENERIC_MAPPING: what each generic right means for one object type.
struct generic_mapping {
  std::uint32_t read = 0, write = 0, execute = 0, all = 0;
};

/// Pipes and mailslots are files. FILE_GENERIC_WRITE holds FILE_APPEND_DATA,
/// the same bit as FILE_CREATE_PIPE_INSTANCE: GENERIC_WRITE lets a holder
/// create further instances of a pipe, as on Windows.
inline constexpr generic_mapping file_generic_mapping{
    rights::file_generic_read, rights::file_generic_write, rights::file_generic_execute,
    rights::file_all_access};
/// Events: read = query state, write = modify state, execute = synchronize.
inline constexpr generic_mapping event_generic_mapping{0x00020001, 0x00020002, 0x00120000,
                                                       rights::event_all_access};

/// Replaces GENERIC_READ/WRITE/EXECUTE/ALL in `mask` by what they mean in
/// `m` (MapGenericMask); other bits are kept.
[[nodiscard]] std::uint32_t map_generic(std::uint32_t mask, const generic_mapping& m);

/// Every SID `who` holds: user_sid(uid), group_sid(gid) and of each
/// supplementary group, Everyone, Authenticated Users, Interactive (local)
/// or Network (remote), LocalSystem when uid is 0, Administrators when uid
/// is 0 or a group is one of admin_groups(). An anonymous caller holds only
/// Anonymous and Network or Interactive: Windows keeps it out of Everyone.
[[nodiscard]] std::vector<sid> sids_of(const identity& who);

/// The groups whose members are Administrators (S-1-5-32-544). Read once
/// from CONDUIT_ADMIN_GROUP (comma-separated group names or numbers; empty
/// for none); when it is unset, whichever of sudo, admin and wheel exist.
[[nodiscard]] std::vector<gid_t> admin_groups();
/// Replaces the admin groups (the broker's configuration; tests).
void set_admin_groups(std::vector<gid_t> gids);
/// Parses a CONDUIT_ADMIN_GROUP value into gids; unknown names are skipped.
[[nodiscard]] std::vector<gid_t> parse_admin_groups(std::string_view value);

/// Windows' access check (AccessCheck, SeAccessCheck) for a DACL:
/// - generic rights in `desired` and in each ACE are mapped through `m`;
/// - no DACL, or a null DACL: everything asked is granted
///   (MAXIMUM_ALLOWED: m.all);
/// - ACEs are walked in order; inherit-only ACEs are skipped; an allow ACE
///   for a held SID grants its bits, a deny ACE for a held SID refuses any
///   bit it names that no earlier ACE granted;
/// - CREATOR OWNER and CREATOR GROUP match nobody (bind_creator replaces
///   them when an object is made);
/// - the owner holds READ_CONTROL and WRITE_DAC implicitly unless the
///   DACL has an OWNER RIGHTS (S-1-3-4) ACE, which then applies to it;
/// - MAXIMUM_ALLOWED grants whatever the DACL allows, besides the rest;
/// - ACCESS_SYSTEM_SECURITY is a privilege: never granted here;
/// - nothing asked (0) is refused, as AccessCheck refuses it.
/// `granted` gets the rights given (mapped), or 0 on failure.
/// @returns ERROR_ACCESS_DENIED unless every desired right is granted.
[[nodiscard]] std::error_code access_check(const security_descriptor& sd, const identity& who,
                                           std::uint32_t desired, const generic_mapping& m,
                                           std::uint32_t& granted);
/// The same for a caller given by its SIDs (an impersonation token).
[[nodiscard]] std::error_code access_check(const security_descriptor& sd,
                                           const std::vector<sid>& held, std::uint32_t desired,
                                           const generic_mapping& m, std::uint32_t& granted);

/// The default descriptor of a named pipe (and mailslot), as on Windows:
/// owner and group the creator's; full control (FILE_ALL_ACCESS) to
/// LocalSystem, Administrators and the creator; read (FILE_GENERIC_READ) to
/// Everyone and Anonymous.
[[nodiscard]] security_descriptor default_pipe_descriptor(uid_t creator, gid_t group);

/// Makes a descriptor given at creation concrete for its creator: sets a
/// missing owner and group, and replaces CREATOR OWNER / CREATOR GROUP
/// trustees by the owner and group SIDs.
void bind_creator(security_descriptor& sd, uid_t owner, gid_t group);

/// The descriptor an object gets from the one its creator gave: without a
/// DACL (no "D:" at all, as from a bare InitializeSecurityDescriptor) the
/// default pipe DACL applies, as Windows applies a default DACL; then
/// bind_creator. A null DACL stays null.
void apply_creation_defaults(security_descriptor& sd, uid_t creator, gid_t group);

}  // namespace conduit::detail::security
