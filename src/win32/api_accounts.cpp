// LookupAccountSid and LookupAccountName: Linux users and groups through
// NSS, and the well-known accounts.
#include <unistd.h>

#include <climits>
#include <cstring>
#include <string>

#include "conduit/win32/windows.h"
#include "security/sid.hpp"
#include "win32/api_guard.hpp"
#include "win32/security_conversion.hpp"
#include "win32/status.hpp"
#include "win32/text.hpp"

namespace {

namespace sec = conduit::detail::security;

using conduit::win32::fail_bool;

// Only this machine's accounts are known: no name, ".", or its host name.
bool is_local_system(const std::string& name) {
  if (name.empty() || name == ".") return true;
  char host[HOST_NAME_MAX + 1] = {};
  if (gethostname(host, sizeof host) != 0) return false;
  return strcasecmp(name.c_str(), host) == 0;
}

// Copies `text` and its NUL into a caller's buffer of `capacity` characters.
template <typename Char>
void copy_out(const std::basic_string<Char>& text, Char* buffer) {
  std::memcpy(buffer, text.c_str(), (text.size() + 1) * sizeof(Char));
}

template <typename Char>
BOOL lookup_sid(const std::string& system, PSID sid, Char* name, LPDWORD name_chars, Char* domain,
                LPDWORD domain_chars, PSID_NAME_USE use,
                std::basic_string<Char> (*convert)(const std::string&)) {
  if (!sid || !name_chars || !domain_chars || !use) return fail_bool(ERROR_INVALID_PARAMETER);
  sec::sid value;
  if (conduit::win32::read_sid(sid, value)) return fail_bool(ERROR_INVALID_SID);
  if (!is_local_system(system)) return fail_bool(ERROR_NONE_MAPPED);
  sec::account found;
  if (auto ec = sec::lookup_sid(value, found))
    return fail_bool(conduit::win32::error_from_code(ec));
  auto name_text = convert(found.name);
  auto domain_text = convert(found.domain);
  // Both sizes come back when either buffer is short, counting the NUL.
  if (*name_chars <= name_text.size() || *domain_chars <= domain_text.size() || !name || !domain) {
    *name_chars = static_cast<DWORD>(name_text.size() + 1);
    *domain_chars = static_cast<DWORD>(domain_text.size() + 1);
    return fail_bool(ERROR_INSUFFICIENT_BUFFER);
  }
  copy_out(name_text, name);
  copy_out(domain_text, domain);
  *name_chars = static_cast<DWORD>(name_text.size());
  *domain_chars = static_cast<DWORD>(domain_text.size());
  *use = static_cast<SID_NAME_USE>(found.kind);
  return TRUE;
}

template <typename Char>
BOOL lookup_name(const std::string& system, const std::string& account_name, PSID sid,
                 LPDWORD sid_bytes, Char* domain, LPDWORD domain_chars, PSID_NAME_USE use,
                 std::basic_string<Char> (*convert)(const std::string&)) {
  if (!sid_bytes || !domain_chars || !use) return fail_bool(ERROR_INVALID_PARAMETER);
  if (!is_local_system(system)) return fail_bool(ERROR_NONE_MAPPED);
  sec::sid value;
  sec::account found;
  if (auto ec = sec::lookup_name(account_name, value, &found))
    return fail_bool(conduit::win32::error_from_code(ec));
  auto bytes = sec::to_bytes(value);
  auto domain_text = convert(found.domain);
  if (*sid_bytes < bytes.size() || *domain_chars <= domain_text.size() || !sid || !domain) {
    *sid_bytes = static_cast<DWORD>(bytes.size());
    *domain_chars = static_cast<DWORD>(domain_text.size() + 1);
    return fail_bool(ERROR_INSUFFICIENT_BUFFER);
  }
  std::memcpy(sid, bytes.data(), bytes.size());
  copy_out(domain_text, domain);
  *sid_bytes = static_cast<DWORD>(bytes.size());
  *domain_chars = static_cast<DWORD>(domain_text.size());
  *use = static_cast<SID_NAME_USE>(found.kind);
  return TRUE;
}

std::string same(const std::string& text) {
  return text;
}
std::u16string wide(const std::string& text) {
  return conduit::win32::to_utf16(text);
}

}  // namespace

extern "C" {

BOOL WINAPI LookupAccountSidA(LPCSTR lpSystemName, PSID Sid, LPSTR Name, LPDWORD cchName,
                              LPSTR ReferencedDomainName, LPDWORD cchReferencedDomainName,
                              PSID_NAME_USE peUse) {
  return conduit::win32::guarded(FALSE, [&]() -> BOOL {
    return lookup_sid<char>(lpSystemName ? lpSystemName : "", Sid, Name, cchName,
                            ReferencedDomainName, cchReferencedDomainName, peUse, same);
  });
}

BOOL WINAPI LookupAccountSidW(LPCWSTR lpSystemName, PSID Sid, LPWSTR Name, LPDWORD cchName,
                              LPWSTR ReferencedDomainName, LPDWORD cchReferencedDomainName,
                              PSID_NAME_USE peUse) {
  return conduit::win32::guarded(FALSE, [&]() -> BOOL {
    auto system = lpSystemName ? conduit::win32::to_utf8(lpSystemName) : std::string();
    if (!system) return fail_bool(ERROR_INVALID_PARAMETER);
    return lookup_sid<char16_t>(*system, Sid, Name, cchName, ReferencedDomainName,
                                cchReferencedDomainName, peUse, wide);
  });
}

BOOL WINAPI LookupAccountNameA(LPCSTR lpSystemName, LPCSTR lpAccountName, PSID Sid, LPDWORD cbSid,
                               LPSTR ReferencedDomainName, LPDWORD cchReferencedDomainName,
                               PSID_NAME_USE peUse) {
  return conduit::win32::guarded(FALSE, [&]() -> BOOL {
    if (!lpAccountName) return fail_bool(ERROR_INVALID_PARAMETER);
    return lookup_name<char>(lpSystemName ? lpSystemName : "", lpAccountName, Sid, cbSid,
                             ReferencedDomainName, cchReferencedDomainName, peUse, same);
  });
}

BOOL WINAPI LookupAccountNameW(LPCWSTR lpSystemName, LPCWSTR lpAccountName, PSID Sid, LPDWORD cbSid,
                               LPWSTR ReferencedDomainName, LPDWORD cchReferencedDomainName,
                               PSID_NAME_USE peUse) {
  return conduit::win32::guarded(FALSE, [&]() -> BOOL {
    if (!lpAccountName) return fail_bool(ERROR_INVALID_PARAMETER);
    auto system = lpSystemName ? conduit::win32::to_utf8(lpSystemName) : std::string();
    auto account = conduit::win32::to_utf8(lpAccountName);
    if (!system || !account) return fail_bool(ERROR_NONE_MAPPED);
    return lookup_name<char16_t>(*system, *account, Sid, cbSid, ReferencedDomainName,
                                 cchReferencedDomainName, peUse, wide);
  });
}

}  // extern "C"
