// conduit::security_descriptor: the public value type over the core's
// SDDL and SID code.
#include "conduit/security.hpp"

#include "conduit/error.hpp"
#include "conduit/mailslot.hpp"
#include "conduit/pipe_options.hpp"
#include "core/throw_error.hpp"
#include "security/security_descriptor.hpp"

namespace conduit {
namespace {

namespace sec = detail::security;

const sec::sid& well_known_sid(well_known_trustee who) {
  switch (who) {
    case well_known_trustee::everyone:
      return sec::well_known::everyone;
    case well_known_trustee::local_system:
      return sec::well_known::local_system;
    case well_known_trustee::administrators:
      return sec::well_known::administrators;
    case well_known_trustee::users:
      return sec::well_known::users;
    case well_known_trustee::creator_owner:
      return sec::well_known::creator_owner;
    case well_known_trustee::creator_group:
      return sec::well_known::creator_group;
    case well_known_trustee::owner_rights:
      return sec::well_known::owner_rights;
    case well_known_trustee::anonymous:
      return sec::well_known::anonymous;
    case well_known_trustee::authenticated_users:
      return sec::well_known::authenticated_users;
    case well_known_trustee::interactive:
      return sec::well_known::interactive;
    case well_known_trustee::network:
      return sec::well_known::network;
  }
  return sec::well_known::everyone;
}

sec::sid sid_of(const trustee& who) {
  sec::sid s;
  // A trustee holds a SID that parsed when it was made.
  (void)sec::parse_sid(who.sid(), s);
  return s;
}

}  // namespace

trustee::trustee(well_known_trustee who) : sid_(sec::to_string(well_known_sid(who))) {}

trustee trustee::uid(uid_t id) {
  return trustee(sec::to_string(sec::user_sid(id)));
}
trustee trustee::gid(gid_t id) {
  return trustee(sec::to_string(sec::group_sid(id)));
}

// A bare name is looked for in one domain only, "Unix User" or "Unix
// Group"; a name with a domain says where to look.
trustee trustee::named(std::string_view name, std::string_view domain, std::error_code& ec) {
  ec.clear();
  std::string qualified(name);
  if (name.find('\\') == std::string_view::npos) qualified = std::string(domain) + "\\" + qualified;
  sec::sid s;
  if (auto e = sec::lookup_name(qualified, s)) {
    ec = e;
    return trustee(well_known_trustee::everyone);
  }
  return trustee(sec::to_string(s));
}

trustee trustee::user(std::string_view name, std::error_code& ec) {
  return named(name, "Unix User", ec);
}

trustee trustee::user(std::string_view name) {
  std::error_code ec;
  auto t = named(name, "Unix User", ec);
  detail::throw_if_error(ec, "trustee::user");
  return t;
}

trustee trustee::group(std::string_view name, std::error_code& ec) {
  return named(name, "Unix Group", ec);
}

trustee trustee::group(std::string_view name) {
  std::error_code ec;
  auto t = named(name, "Unix Group", ec);
  detail::throw_if_error(ec, "trustee::group");
  return t;
}

trustee trustee::from_sid(std::string_view sid, std::error_code& ec) {
  ec.clear();
  sec::sid s;
  if (auto e = sec::parse_sid(sid, s)) {
    ec = e;
    return trustee(well_known_trustee::everyone);
  }
  return trustee(sec::to_string(s));
}

trustee trustee::from_sid(std::string_view sid) {
  std::error_code ec;
  auto t = from_sid(sid, ec);
  detail::throw_if_error(ec, "trustee::from_sid");
  return t;
}

security_descriptor security_descriptor::from_sddl(std::string_view sddl, std::error_code& ec) {
  ec.clear();
  sec::security_descriptor parsed;
  if (auto e = sec::parse_sddl(sddl, parsed)) {
    ec = e;
    return {};
  }
  security_descriptor sd;
  if (parsed.owner) sd.owner_ = trustee::from_sid(sec::to_string(*parsed.owner));
  if (parsed.group) sd.group_ = trustee::from_sid(sec::to_string(*parsed.group));
  sd.dacl_present_ = parsed.dacl_present;
  sd.null_dacl_ = parsed.dacl_null;
  sd.protected_ = parsed.dacl_protected;
  sd.auto_inherited_ = parsed.dacl_auto_inherited;
  sd.auto_inherit_req_ = parsed.dacl_auto_inherit_req;
  for (const auto& a : parsed.dacl) {
    sd.dacl_.push_back(access_entry{
        a.type == sec::ace::kind::allow ? access_entry::kind::allow : access_entry::kind::deny,
        a.flags, a.mask, trustee::from_sid(sec::to_string(a.trustee))});
  }
  return sd;
}

security_descriptor security_descriptor::from_sddl(std::string_view sddl) {
  std::error_code ec;
  auto sd = from_sddl(sddl, ec);
  detail::throw_if_error(ec, "security_descriptor::from_sddl");
  return sd;
}

std::string security_descriptor::to_sddl() const {
  sec::security_descriptor sd;
  if (owner_) sd.owner = sid_of(*owner_);
  if (group_) sd.group = sid_of(*group_);
  sd.dacl_present = dacl_present_;
  sd.dacl_null = null_dacl_;
  sd.dacl_protected = protected_;
  sd.dacl_auto_inherited = auto_inherited_;
  sd.dacl_auto_inherit_req = auto_inherit_req_;
  for (const auto& e : dacl_) {
    sd.dacl.push_back(sec::ace{
        e.type == access_entry::kind::allow ? sec::ace::kind::allow : sec::ace::kind::deny,
        static_cast<std::uint8_t>(e.flags & sec::ace_flags::valid), e.rights, sid_of(e.who)});
  }
  return sec::to_sddl(sd);
}

security_descriptor& security_descriptor::owner(const conduit::trustee& who) {
  owner_ = who;
  return *this;
}

security_descriptor& security_descriptor::group(const conduit::trustee& who) {
  group_ = who;
  return *this;
}

security_descriptor& security_descriptor::allow(const conduit::trustee& who, std::uint32_t mask,
                                                std::uint8_t flags) {
  dacl_present_ = true;
  null_dacl_ = false;
  dacl_.push_back(access_entry{access_entry::kind::allow, flags, mask, who});
  return *this;
}

security_descriptor& security_descriptor::deny(const conduit::trustee& who, std::uint32_t mask,
                                               std::uint8_t flags) {
  dacl_present_ = true;
  null_dacl_ = false;
  dacl_.push_back(access_entry{access_entry::kind::deny, flags, mask, who});
  return *this;
}

security_descriptor& security_descriptor::null_dacl() {
  dacl_present_ = true;
  null_dacl_ = true;
  dacl_.clear();
  return *this;
}

security_descriptor& security_descriptor::protect() {
  dacl_present_ = true;
  protected_ = true;
  return *this;
}

void pipe_options::set_security(const ::conduit::security_descriptor& sd) {
  security_descriptor = sd.to_sddl();
}

void mailslot_options::set_security(const ::conduit::security_descriptor& sd) {
  security_descriptor = sd.to_sddl();
}

}  // namespace conduit
