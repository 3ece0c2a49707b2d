// Windows' access check over a DACL, for Linux identities.
#include "security/access_check.hpp"

#include <grp.h>

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <optional>

#include "conduit/error.hpp"

namespace conduit::detail::security {
namespace {

std::mutex admin_mutex;
std::optional<std::vector<gid_t>> configured_admin_groups;

bool holds(const std::vector<sid>& held, const sid& s) {
  return std::find(held.begin(), held.end(), s) != held.end();
}

std::optional<gid_t> group_id(const std::string& name) {
  // A number names a gid directly.
  if (!name.empty() &&
      std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return static_cast<gid_t>(std::strtoul(name.c_str(), nullptr, 10));
  sid s;
  account found;
  if (lookup_name("Unix Group\\" + name, s, &found)) return std::nullopt;
  return gid_of(s);
}

}  // namespace

std::uint32_t map_generic(std::uint32_t mask, const generic_mapping& m) {
  std::uint32_t mapped = mask & ~(rights::generic_read | rights::generic_write |
                                  rights::generic_execute | rights::generic_all);
  if (mask & rights::generic_read) mapped |= m.read;
  if (mask & rights::generic_write) mapped |= m.write;
  if (mask & rights::generic_execute) mapped |= m.execute;
  if (mask & rights::generic_all) mapped |= m.all;
  return mapped;
}

std::vector<gid_t> parse_admin_groups(std::string_view value) {
  std::vector<gid_t> gids;
  while (!value.empty()) {
    auto comma = value.find(',');
    std::string name(value.substr(0, comma));
    if (auto gid = group_id(name)) gids.push_back(*gid);
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return gids;
}

std::vector<gid_t> admin_groups() {
  std::lock_guard lock(admin_mutex);
  if (!configured_admin_groups) {
    const char* value = std::getenv("CONDUIT_ADMIN_GROUP");
    configured_admin_groups = parse_admin_groups(value ? value : "sudo,admin,wheel");
  }
  return *configured_admin_groups;
}

void set_admin_groups(std::vector<gid_t> gids) {
  std::lock_guard lock(admin_mutex);
  configured_admin_groups = std::move(gids);
}

std::vector<sid> sids_of(const identity& who) {
  std::vector<sid> held;
  if (who.anonymous) {
    held.push_back(well_known::anonymous);
  } else {
    held.push_back(user_sid(who.uid));
    held.push_back(group_sid(who.gid));
    for (gid_t g : who.groups)
      if (g != who.gid) held.push_back(group_sid(g));
    held.push_back(well_known::everyone);
    held.push_back(well_known::authenticated_users);
    if (who.uid == 0) held.push_back(well_known::local_system);
    auto admins = admin_groups();
    bool admin = who.uid == 0 || std::find(admins.begin(), admins.end(), who.gid) != admins.end() ||
                 std::any_of(who.groups.begin(), who.groups.end(), [&](gid_t g) {
                   return std::find(admins.begin(), admins.end(), g) != admins.end();
                 });
    if (admin) held.push_back(well_known::administrators);
  }
  held.push_back(who.remote ? well_known::network : well_known::interactive);
  return held;
}

std::error_code access_check(const security_descriptor& sd, const std::vector<sid>& held,
                             std::uint32_t desired, const generic_mapping& m,
                             std::uint32_t& granted) {
  granted = 0;
  std::uint32_t wanted = map_generic(desired, m);
  const bool maximum = wanted & rights::maximum_allowed;
  wanted &= ~rights::maximum_allowed;
  // A privilege, not a right a DACL grants; conduit has no privileges.
  if (wanted & rights::access_system_security) return errc::access_denied;
  if (!maximum && wanted == 0) return errc::access_denied;

  if (!sd.dacl_present || sd.dacl_null) {
    granted = wanted | (maximum ? m.all : 0);
    return {};
  }

  const bool is_owner = sd.owner && holds(held, *sd.owner);
  const bool owner_rights_ace = std::any_of(sd.dacl.begin(), sd.dacl.end(), [](const ace& a) {
    return !(a.flags & ace_flags::inherit_only) && a.trustee == well_known::owner_rights;
  });
  auto applies = [&](const sid& trustee) {
    if (trustee == well_known::owner_rights) return is_owner;
    return holds(held, trustee);
  };

  // The owner may always read and change the DACL, unless OWNER RIGHTS
  // ACEs say what the owner may do.
  std::uint32_t allowed =
      (is_owner && !owner_rights_ace) ? rights::read_control | rights::write_dac : 0;
  std::uint32_t denied = 0;
  for (const auto& a : sd.dacl) {
    if (a.flags & ace_flags::inherit_only) continue;
    if (!applies(a.trustee)) continue;
    std::uint32_t mask = map_generic(a.mask, m);
    if (a.type == ace::kind::allow) {
      allowed |= mask & ~denied;
    } else {
      // A deny refuses what no earlier ACE granted.
      denied |= mask & ~allowed;
      if (!maximum && (denied & wanted)) return errc::access_denied;
    }
    if (!maximum && (wanted & ~allowed) == 0) break;
  }
  if (wanted & ~allowed) return errc::access_denied;
  granted = maximum ? (allowed | wanted) : wanted;
  if (maximum && granted == 0) return errc::access_denied;
  return {};
}

std::error_code access_check(const security_descriptor& sd, const identity& who,
                             std::uint32_t desired, const generic_mapping& m,
                             std::uint32_t& granted) {
  return access_check(sd, sids_of(who), desired, m, granted);
}

security_descriptor default_pipe_descriptor(uid_t creator, gid_t group) {
  security_descriptor sd;
  sd.owner = user_sid(creator);
  sd.group = group_sid(group);
  sd.dacl_present = true;
  auto allow = [&](const sid& trustee, std::uint32_t mask) {
    sd.dacl.push_back(ace{ace::kind::allow, 0, mask, trustee});
  };
  allow(well_known::local_system, rights::file_all_access);
  allow(well_known::administrators, rights::file_all_access);
  allow(user_sid(creator), rights::file_all_access);
  allow(well_known::everyone, rights::file_generic_read);
  allow(well_known::anonymous, rights::file_generic_read);
  return sd;
}

void bind_creator(security_descriptor& sd, uid_t owner, gid_t group) {
  if (!sd.owner) sd.owner = user_sid(owner);
  if (!sd.group) sd.group = group_sid(group);
  for (auto& a : sd.dacl) {
    if (a.trustee == well_known::creator_owner)
      a.trustee = *sd.owner;
    else if (a.trustee == well_known::creator_group)
      a.trustee = *sd.group;
  }
}

void apply_creation_defaults(security_descriptor& sd, uid_t creator, gid_t group) {
  if (!sd.dacl_present) {
    auto defaults = default_pipe_descriptor(creator, group);
    sd.dacl_present = true;
    sd.dacl_null = false;
    sd.dacl = std::move(defaults.dacl);
  }
  bind_creator(sd, creator, group);
}

}  // namespace conduit::detail::security
