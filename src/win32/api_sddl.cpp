// The <sddl.h> conversions: SDDL text and SID strings to and from the
// memory forms, in LocalAlloc'd blocks.
#include <cstring>
#include <string>

#include "conduit/win32/sddl.h"
#include "security/security_descriptor.hpp"
#include "win32/api_guard.hpp"
#include "win32/security_conversion.hpp"
#include "win32/status.hpp"
#include "win32/text.hpp"

namespace {

namespace sec = conduit::detail::security;

using conduit::win32::fail_bool;

// The same for an error_code.
BOOL fail_bool(const std::error_code& ec) {
  return fail_bool(conduit::win32::error_from_code(ec));
}

// A NUL-terminated copy of `text` in LocalAlloc'd memory, in the caller's
// character type.
template <typename Char>
Char* local_string(const std::basic_string<Char>& text) {
  auto* out = static_cast<Char*>(LocalAlloc(LMEM_FIXED, (text.size() + 1) * sizeof(Char)));
  if (!out) return nullptr;
  std::memcpy(out, text.c_str(), (text.size() + 1) * sizeof(Char));
  return out;
}

BOOL string_to_descriptor(const std::string& text, DWORD revision, PSECURITY_DESCRIPTOR* out,
                          PULONG size) {
  if (revision != SDDL_REVISION_1) return fail_bool(ERROR_UNKNOWN_REVISION);
  sec::security_descriptor sd;
  if (auto ec = sec::parse_sddl(text, sd)) return fail_bool(ec);
  DWORD length = 0;
  PSECURITY_DESCRIPTOR memory = conduit::win32::to_local_self_relative(sd, &length);
  if (!memory) return FALSE;
  *out = memory;
  if (size) *size = length;
  return TRUE;
}

bool descriptor_to_string(PSECURITY_DESCRIPTOR psd, DWORD revision, SECURITY_INFORMATION info,
                          std::string& text) {
  if (revision != SDDL_REVISION_1) {
    SetLastError(ERROR_UNKNOWN_REVISION);
    return false;
  }
  sec::security_descriptor sd;
  if (auto ec = conduit::win32::read_descriptor(psd, sd)) {
    fail_bool(ec);
    return false;
  }
  text = sec::to_sddl(sd, info);
  return true;
}

bool sid_to_string(PSID sid, std::string& text) {
  sec::sid value;
  if (auto ec = conduit::win32::read_sid(sid, value)) {
    fail_bool(ec);
    return false;
  }
  text = sec::to_string(value);
  return true;
}

BOOL string_to_sid(const std::string& text, PSID* out) {
  sec::sid value;
  if (auto ec = sec::parse_sid(text, value)) return fail_bool(ec);
  auto bytes = sec::to_bytes(value);
  void* memory = LocalAlloc(LMEM_FIXED, bytes.size());
  if (!memory) return FALSE;
  std::memcpy(memory, bytes.data(), bytes.size());
  *out = memory;
  return TRUE;
}

}  // namespace

extern "C" {

BOOL WINAPI ConvertStringSecurityDescriptorToSecurityDescriptorA(
    LPCSTR StringSecurityDescriptor, DWORD StringSDRevision,
    PSECURITY_DESCRIPTOR* SecurityDescriptor, PULONG SecurityDescriptorSize) {
  return conduit::win32::guarded(FALSE, [&]() -> BOOL {
    if (!StringSecurityDescriptor || !SecurityDescriptor) return fail_bool(ERROR_INVALID_PARAMETER);
    return string_to_descriptor(StringSecurityDescriptor, StringSDRevision, SecurityDescriptor,
                                SecurityDescriptorSize);
  });
}

BOOL WINAPI ConvertStringSecurityDescriptorToSecurityDescriptorW(
    LPCWSTR StringSecurityDescriptor, DWORD StringSDRevision,
    PSECURITY_DESCRIPTOR* SecurityDescriptor, PULONG SecurityDescriptorSize) {
  return conduit::win32::guarded(FALSE, [&]() -> BOOL {
    if (!StringSecurityDescriptor || !SecurityDescriptor) return fail_bool(ERROR_INVALID_PARAMETER);
    auto text = conduit::win32::to_utf8(StringSecurityDescriptor);
    if (!text) return fail_bool(ERROR_INVALID_PARAMETER);
    return string_to_descriptor(*text, StringSDRevision, SecurityDescriptor,
                                SecurityDescriptorSize);
  });
}

BOOL WINAPI ConvertSecurityDescriptorToStringSecurityDescriptorA(
    PSECURITY_DESCRIPTOR SecurityDescriptor, DWORD RequestedStringSDRevision,
    SECURITY_INFORMATION SecurityInformation, LPSTR* StringSecurityDescriptor,
    PULONG StringSecurityDescriptorLen) {
  return conduit::win32::guarded(FALSE, [&]() -> BOOL {
    if (!SecurityDescriptor || !StringSecurityDescriptor) return fail_bool(ERROR_INVALID_PARAMETER);
    std::string text;
    if (!descriptor_to_string(SecurityDescriptor, RequestedStringSDRevision, SecurityInformation,
                              text))
      return FALSE;
    char* out = local_string(text);
    if (!out) return FALSE;
    *StringSecurityDescriptor = out;
    if (StringSecurityDescriptorLen)
      *StringSecurityDescriptorLen = static_cast<ULONG>(text.size() + 1);
    return TRUE;
  });
}

BOOL WINAPI ConvertSecurityDescriptorToStringSecurityDescriptorW(
    PSECURITY_DESCRIPTOR SecurityDescriptor, DWORD RequestedStringSDRevision,
    SECURITY_INFORMATION SecurityInformation, LPWSTR* StringSecurityDescriptor,
    PULONG StringSecurityDescriptorLen) {
  return conduit::win32::guarded(FALSE, [&]() -> BOOL {
    if (!SecurityDescriptor || !StringSecurityDescriptor) return fail_bool(ERROR_INVALID_PARAMETER);
    std::string text;
    if (!descriptor_to_string(SecurityDescriptor, RequestedStringSDRevision, SecurityInformation,
                              text))
      return FALSE;
    auto wide = conduit::win32::to_utf16(text);
    auto* out = local_string(wide);
    if (!out) return FALSE;
    *StringSecurityDescriptor = reinterpret_cast<LPWSTR>(out);
    if (StringSecurityDescriptorLen)
      *StringSecurityDescriptorLen = static_cast<ULONG>(wide.size() + 1);
    return TRUE;
  });
}

BOOL WINAPI ConvertStringSidToSidA(LPCSTR StringSid, PSID* Sid) {
  return conduit::win32::guarded(FALSE, [&]() -> BOOL {
    if (!StringSid || !Sid) return fail_bool(ERROR_INVALID_PARAMETER);
    return string_to_sid(StringSid, Sid);
  });
}

BOOL WINAPI ConvertStringSidToSidW(LPCWSTR StringSid, PSID* Sid) {
  return conduit::win32::guarded(FALSE, [&]() -> BOOL {
    if (!StringSid || !Sid) return fail_bool(ERROR_INVALID_PARAMETER);
    auto text = conduit::win32::to_utf8(StringSid);
    if (!text) return fail_bool(ERROR_INVALID_SID);
    return string_to_sid(*text, Sid);
  });
}

BOOL WINAPI ConvertSidToStringSidA(PSID Sid, LPSTR* StringSid) {
  return conduit::win32::guarded(FALSE, [&]() -> BOOL {
    if (!Sid || !StringSid) return fail_bool(ERROR_INVALID_PARAMETER);
    std::string text;
    if (!sid_to_string(Sid, text)) return FALSE;
    char* out = local_string(text);
    if (!out) return FALSE;
    *StringSid = out;
    return TRUE;
  });
}

BOOL WINAPI ConvertSidToStringSidW(PSID Sid, LPWSTR* StringSid) {
  return conduit::win32::guarded(FALSE, [&]() -> BOOL {
    if (!Sid || !StringSid) return fail_bool(ERROR_INVALID_PARAMETER);
    std::string text;
    if (!sid_to_string(Sid, text)) return FALSE;
    auto* out = local_string(conduit::win32::to_utf16(text));
    if (!out) return FALSE;
    *StringSid = reinterpret_cast<LPWSTR>(out);
    return TRUE;
  });
}

}  // extern "C"
