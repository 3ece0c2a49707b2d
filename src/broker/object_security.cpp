#include "broker/object_security.hpp"

namespace conduit::broker {

security::identity identity_of(const credentials& who) {
  security::identity id;
  id.uid = who.uid;
  id.gid = who.gid;
  id.groups = who.groups;
  id.remote = who.remote;
  id.anonymous = who.anonymous;
  return id;
}

errc object_descriptor(std::string_view sddl, const credentials& creator,
                       security::security_descriptor fallback, security::security_descriptor& out) {
  if (sddl.empty()) {
    out = std::move(fallback);
  } else if (security::parse_sddl(sddl, out)) {
    return errc::invalid_security_descr;
  } else if (!out.dacl_present) {
    // No DACL given (not a null one): the default DACL applies, as Windows
    // applies the token's.
    out.dacl_present = true;
    out.dacl_protected = fallback.dacl_protected;
    out.dacl = std::move(fallback.dacl);
  }
  security::bind_creator(out, creator.uid, creator.gid);
  return errc::success;
}

security::security_descriptor creator_default_descriptor(uid_t uid, gid_t gid) {
  security::security_descriptor sd;
  sd.owner = security::user_sid(uid);
  sd.group = security::group_sid(gid);
  sd.dacl_present = true;
  sd.dacl = {{security::ace::kind::allow, 0, security::rights::generic_all, *sd.owner},
             {security::ace::kind::allow, 0, security::rights::generic_all,
              security::well_known::local_system}};
  return sd;
}

bool access_granted(const security::security_descriptor& sd, const credentials& who,
                    std::uint32_t desired, const security::generic_mapping& mapping,
                    std::uint32_t& granted) {
  return !security::access_check(sd, identity_of(who), desired, mapping, granted);
}

bool access_granted(const security::security_descriptor& sd, const credentials& who,
                    std::uint32_t desired, const security::generic_mapping& mapping) {
  std::uint32_t granted = 0;
  return access_granted(sd, who, desired, mapping, granted);
}

bool valid_access_mask(std::uint32_t mask, std::uint32_t specific_bits) {
  namespace r = security::rights;
  constexpr std::uint32_t always = 0x001F0000 /* standard rights */ | r::access_system_security |
                                   r::maximum_allowed | r::generic_all | r::generic_execute |
                                   r::generic_write | r::generic_read;
  return (mask & ~(always | specific_bits)) == 0;
}

}  // namespace conduit::broker
