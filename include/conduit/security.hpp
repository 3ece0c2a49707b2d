// conduit/security.hpp: security descriptors for pipes and mailslots.
//
// A security_descriptor says who may open a pipe or mailslot and for what,
// as on Windows: an owner, a group, and a DACL of allow and deny entries.
// Linux users and groups are trustees by name, uid or gid (Samba's SIDs
// S-1-22-1-<uid> and S-1-22-2-<gid>); so are the well-known ones (Everyone,
// SYSTEM = root, Administrators = the admin group, ...). docs/security.md
// has the mapping, the rights and the SDDL conduit accepts.
//
//   auto sd = conduit::security_descriptor()
//                 .allow(conduit::trustee::user("alice"), conduit::rights::generic_all)
//                 .allow(conduit::trustee::group("staff"), conduit::rights::generic_read)
//                 .deny(conduit::well_known_trustee::anonymous, conduit::rights::generic_all);
//   conduit::pipe_options options;
//   options.set_security(sd);        // or: options.security_descriptor = "D:(A;;GA;;;WD)";
//   auto server = conduit::pipe_server::create(R"(\\.\pipe\jobs)", options);
//
// A descriptor is a value: copy it, compare it, turn it into SDDL and back.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace conduit {

/// Access rights (the Windows values) for allow() and deny().
namespace rights {
inline constexpr std::uint32_t file_read_data = 0x0001;             // read from a pipe
inline constexpr std::uint32_t file_write_data = 0x0002;            // write to a pipe
inline constexpr std::uint32_t file_create_pipe_instance = 0x0004;  // create another instance
inline constexpr std::uint32_t file_read_attributes = 0x0080;
inline constexpr std::uint32_t file_write_attributes = 0x0100;
inline constexpr std::uint32_t read_control = 0x00020000;  // read the descriptor
inline constexpr std::uint32_t write_dac = 0x00040000;     // change the DACL
inline constexpr std::uint32_t write_owner = 0x00080000;   // change the owner
inline constexpr std::uint32_t synchronize = 0x00100000;
inline constexpr std::uint32_t file_generic_read = 0x00120089;  // FR
inline constexpr std::uint32_t file_generic_write =
    0x00120116;                                               // FW: includes create_pipe_instance
inline constexpr std::uint32_t file_all_access = 0x001f01ff;  // FA
inline constexpr std::uint32_t generic_all = 0x10000000;      // GA
inline constexpr std::uint32_t generic_execute = 0x20000000;  // GX
inline constexpr std::uint32_t generic_write = 0x40000000;    // GW
inline constexpr std::uint32_t generic_read = 0x80000000;     // GR
}  // namespace rights

/// Accounts every system has.
enum class well_known_trustee {
  everyone,             // WD, S-1-1-0: every local user (not anonymous callers)
  local_system,         // SY, S-1-5-18: root
  administrators,       // BA, S-1-5-32-544: root and the admin group (CONDUIT_ADMIN_GROUP)
  users,                // BU, S-1-5-32-545
  creator_owner,        // CO, S-1-3-0: the creator, when a pipe is made
  creator_group,        // CG, S-1-3-1: the creator's group, likewise
  owner_rights,         // OW, S-1-3-4: the owner, in place of its implicit rights
  anonymous,            // AN, S-1-5-7: anonymous callers
  authenticated_users,  // AU, S-1-5-11
  interactive,          // IU, S-1-5-4: callers on this machine
  network,              // NU, S-1-5-2: callers from the network
};

/// Whom an entry names: one SID.
class trustee {
 public:
  /// A well-known account.
  trustee(well_known_trustee who);  // NOLINT: implicit, so allow() takes the enum

  /// A Linux user or group by number.
  [[nodiscard]] static trustee uid(uid_t id);
  [[nodiscard]] static trustee gid(gid_t id);

  /// A Linux user or group by name, looked up through NSS (files, LDAP,
  /// SSSD: whatever getpwnam and getgrnam see). "Unix User\name" and
  /// "Unix Group\name" are accepted too.
  /// Errors: ERROR_NONE_MAPPED if there is no such account.
  /// @throws std::system_error
  [[nodiscard]] static trustee user(std::string_view name);
  [[nodiscard]] static trustee user(std::string_view name, std::error_code& ec);
  [[nodiscard]] static trustee group(std::string_view name);
  [[nodiscard]] static trustee group(std::string_view name, std::error_code& ec);

  /// A SID as SDDL writes it: "S-1-22-1-1000" or an alias ("BA").
  /// Errors: ERROR_INVALID_SID.
  /// @throws std::system_error
  [[nodiscard]] static trustee from_sid(std::string_view sid);
  [[nodiscard]] static trustee from_sid(std::string_view sid, std::error_code& ec);

  /// The SID in numeric form ("S-1-5-32-544").
  [[nodiscard]] const std::string& sid() const noexcept { return sid_; }

  friend bool operator==(const trustee&, const trustee&) = default;

 private:
  explicit trustee(std::string sid) : sid_(std::move(sid)) {}
  static trustee named(std::string_view name, std::string_view domain, std::error_code& ec);
  std::string sid_;
};

/// Inheritance flags an entry may carry (kept; Linux objects have no
/// children to pass them to).
namespace ace_flags {
inline constexpr std::uint8_t object_inherit = 0x01;     // OI
inline constexpr std::uint8_t container_inherit = 0x02;  // CI
inline constexpr std::uint8_t no_propagate = 0x04;       // NP
inline constexpr std::uint8_t inherit_only = 0x08;       // IO: ignored by access checks
inline constexpr std::uint8_t inherited = 0x10;          // ID
}  // namespace ace_flags

/// One DACL entry.
struct access_entry {
  enum class kind { allow, deny } type = kind::allow;
  std::uint8_t flags = 0;
  std::uint32_t rights = 0;
  conduit::trustee who{well_known_trustee::everyone};
  friend bool operator==(const access_entry&, const access_entry&) = default;
};

class security_descriptor {
 public:
  /// No owner, no group, no DACL. Given to a pipe it means the default
  /// descriptor: full control to SYSTEM, Administrators and the creator,
  /// read to Everyone and Anonymous.
  security_descriptor() = default;

  /// Parses SDDL: "O:", "G:", "D:" with allow (A) and deny (D) entries.
  /// Errors: as ConvertStringSecurityDescriptorToSecurityDescriptor:
  /// ERROR_INVALID_PARAMETER (malformed, over 16 KiB), ERROR_INVALID_ACL
  /// (a bad entry or trustee), ERROR_INVALID_SID (a bad owner or group).
  /// @throws std::system_error
  [[nodiscard]] static security_descriptor from_sddl(std::string_view sddl);
  [[nodiscard]] static security_descriptor from_sddl(std::string_view sddl, std::error_code& ec);

  /// The SDDL Windows would write for it ("O:...G:...D:...").
  [[nodiscard]] std::string to_sddl() const;

  /// Sets the owner or the group.
  security_descriptor& owner(const conduit::trustee& who);
  security_descriptor& group(const conduit::trustee& who);

  /// Appends an entry to the DACL (creating an empty DACL first). Entries
  /// are checked in order: a deny placed after an allow of the same right
  /// comes too late, as on Windows.
  security_descriptor& allow(const conduit::trustee& who, std::uint32_t rights,
                             std::uint8_t flags = 0);
  security_descriptor& deny(const conduit::trustee& who, std::uint32_t rights,
                            std::uint8_t flags = 0);

  /// A null DACL: everyone may do everything (drops any entries).
  security_descriptor& null_dacl();
  /// Protects the DACL from inheritance ("D:P").
  security_descriptor& protect();

  [[nodiscard]] const std::optional<conduit::trustee>& owner() const noexcept { return owner_; }
  [[nodiscard]] const std::optional<conduit::trustee>& group() const noexcept { return group_; }
  /// Whether there is a DACL at all, and whether it is null.
  [[nodiscard]] bool has_dacl() const noexcept { return dacl_present_; }
  [[nodiscard]] bool is_null_dacl() const noexcept { return null_dacl_; }
  [[nodiscard]] const std::vector<access_entry>& dacl() const noexcept { return dacl_; }

  friend bool operator==(const security_descriptor&, const security_descriptor&) = default;

 private:
  std::optional<conduit::trustee> owner_, group_;
  bool dacl_present_ = false;
  bool null_dacl_ = false;
  bool protected_ = false;
  bool auto_inherited_ = false;
  bool auto_inherit_req_ = false;
  std::vector<access_entry> dacl_;
};

}  // namespace conduit
