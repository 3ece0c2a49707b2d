// Program-built SECURITY_DESCRIPTOR memory to and from the core's value.
#include "win32/security_conversion.hpp"

#include <algorithm>
#include <cstring>
#include <span>

#include "conduit/error.hpp"

namespace conduit::win32 {
namespace sec = detail::security;

namespace {

// The program owns the memory: a SID's length is in its header, an ACL's
// in its AclSize, as Windows reads them.
std::span<const std::uint8_t> sid_span(const void* psid) {
  const auto* p = static_cast<const std::uint8_t*>(psid);
  return {p, 8 + 4 * static_cast<std::size_t>(std::min<std::uint8_t>(p[1], 15))};
}

std::span<const std::uint8_t> acl_span(const void* pacl) {
  const auto* acl = static_cast<const ACL*>(pacl);
  return {static_cast<const std::uint8_t*>(pacl), acl->AclSize};
}

}  // namespace

std::error_code read_sid(const void* psid, sec::sid& out) {
  if (!psid) return errc::invalid_sid;
  if (static_cast<const std::uint8_t*>(psid)[1] > SID_MAX_SUB_AUTHORITIES) return errc::invalid_sid;
  return sec::from_bytes(sid_span(psid), out);
}

std::error_code read_acl(const void* pacl, std::vector<sec::ace>& out) {
  if (!pacl) return errc::invalid_acl;
  return sec::acl_from_bytes(acl_span(pacl), out);
}

std::error_code read_descriptor(const void* psd, sec::security_descriptor& out) {
  if (!psd) return errc::invalid_security_descr;
  const auto* base = static_cast<const std::uint8_t*>(psd);
  const auto* header = static_cast<const SECURITY_DESCRIPTOR*>(psd);
  if (header->Revision != SECURITY_DESCRIPTOR_REVISION) return errc::invalid_security_descr;
  const SECURITY_DESCRIPTOR_CONTROL control = header->Control;
  const void* owner = nullptr;
  const void* group = nullptr;
  const void* dacl = nullptr;
  if (control & SE_SELF_RELATIVE) {
    const auto* rel = static_cast<const SECURITY_DESCRIPTOR_RELATIVE*>(psd);
    if (rel->Owner) owner = base + rel->Owner;
    if (rel->Group) group = base + rel->Group;
    if (rel->Dacl) dacl = base + rel->Dacl;
  } else {
    owner = header->Owner;
    group = header->Group;
    dacl = header->Dacl;
  }
  sec::security_descriptor sd;
  if (owner) {
    sec::sid s;
    if (auto ec = read_sid(owner, s)) return ec;
    sd.owner = std::move(s);
  }
  if (group) {
    sec::sid s;
    if (auto ec = read_sid(group, s)) return ec;
    sd.group = std::move(s);
  }
  if (control & SE_DACL_PRESENT) {
    sd.dacl_present = true;
    sd.dacl_protected = control & SE_DACL_PROTECTED;
    sd.dacl_auto_inherited = control & SE_DACL_AUTO_INHERITED;
    sd.dacl_auto_inherit_req = control & SE_DACL_AUTO_INHERIT_REQ;
    if (!dacl)
      sd.dacl_null = true;
    else if (auto ec = read_acl(dacl, sd.dacl))
      return ec;
  }
  out = std::move(sd);
  return {};
}

std::error_code descriptor_to_sddl(const void* psd, std::string& out) {
  if (!psd) {
    out.clear();
    return {};
  }
  sec::security_descriptor sd;
  if (auto ec = read_descriptor(psd, sd)) return ec;
  out = sec::to_sddl(sd);
  return {};
}

std::error_code attributes_to_sddl(const SECURITY_ATTRIBUTES* sa, std::string& out) {
  return descriptor_to_sddl(sa ? sa->lpSecurityDescriptor : nullptr, out);
}

PSECURITY_DESCRIPTOR to_local_self_relative(const sec::security_descriptor& sd, DWORD* size) {
  auto bytes = sec::to_self_relative(sd);
  void* memory = LocalAlloc(LMEM_FIXED, bytes.size());
  if (!memory) return nullptr;
  std::memcpy(memory, bytes.data(), bytes.size());
  if (size) *size = static_cast<DWORD>(bytes.size());
  return memory;
}

void self_relative_parts(PSECURITY_DESCRIPTOR psd, PSID* owner, PSID* group, PACL* dacl) {
  auto* base = static_cast<std::uint8_t*>(psd);
  const auto* rel = static_cast<const SECURITY_DESCRIPTOR_RELATIVE*>(psd);
  if (owner) *owner = rel->Owner ? base + rel->Owner : nullptr;
  if (group) *group = rel->Group ? base + rel->Group : nullptr;
  if (dacl) *dacl = rel->Dacl ? reinterpret_cast<PACL>(base + rel->Dacl) : nullptr;
}

std::error_code descriptor_from_parts(SECURITY_INFORMATION info, PSID owner, PSID group, PACL dacl,
                                      sec::security_descriptor& out) {
  sec::security_descriptor sd = out;
  if (info & OWNER_SECURITY_INFORMATION) {
    if (!owner) return errc::invalid_parameter;
    sec::sid s;
    if (auto ec = read_sid(owner, s)) return ec;
    sd.owner = std::move(s);
  }
  if (info & GROUP_SECURITY_INFORMATION) {
    if (!group) return errc::invalid_parameter;
    sec::sid s;
    if (auto ec = read_sid(group, s)) return ec;
    sd.group = std::move(s);
  }
  if (info & DACL_SECURITY_INFORMATION) {
    sd.dacl_present = true;
    sd.dacl_null = dacl == nullptr;
    sd.dacl.clear();
    if (dacl) {
      if (auto ec = read_acl(dacl, sd.dacl)) return ec;
    }
    if (info & PROTECTED_DACL_SECURITY_INFORMATION) sd.dacl_protected = true;
    if (info & UNPROTECTED_DACL_SECURITY_INFORMATION) sd.dacl_protected = false;
  }
  out = std::move(sd);
  return {};
}

}  // namespace conduit::win32
