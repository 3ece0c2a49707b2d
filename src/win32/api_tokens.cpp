// Win32: access tokens and impersonation (RevertToSelf, OpenThreadToken,
// OpenProcessToken, GetTokenInformation, DuplicateToken, GetUserName).
// ImpersonateNamedPipeClient is with the pipe functions (api_pipes.cpp); the
// credentials work is in security/impersonation.cpp.
#include <algorithm>
#include <cstddef>
#include <cstring>
#include <string>
#include <vector>

#include "conduit/error.hpp"
#include "conduit/win32/windows.h"
#include "security/access_check.hpp"
#include "security/impersonation.hpp"
#include "security/sid.hpp"
#include "win32/api_guard.hpp"
#include "win32/handle_table.hpp"
#include "win32/status.hpp"
#include "win32/text.hpp"
#include "win32/thread_object.hpp"
#include "win32/token_object.hpp"

using namespace conduit::win32;
namespace security = conduit::detail::security;

namespace {

BOOL fail_with(DWORD error) {
  SetLastError(error);
  return FALSE;
}

// What a token handle may do: generic rights in token terms.
DWORD token_access(DWORD desired) {
  DWORD access =
      desired & ~(GENERIC_READ | GENERIC_WRITE | GENERIC_EXECUTE | GENERIC_ALL | MAXIMUM_ALLOWED);
  if (desired & (GENERIC_ALL | MAXIMUM_ALLOWED)) access |= TOKEN_ALL_ACCESS;
  if (desired & GENERIC_READ) access |= TOKEN_READ;
  if (desired & GENERIC_WRITE)
    access |= STANDARD_RIGHTS_WRITE | TOKEN_ADJUST_PRIVILEGES | TOKEN_ADJUST_GROUPS |
              TOKEN_ADJUST_DEFAULT;
  if (desired & GENERIC_EXECUTE) access |= STANDARD_RIGHTS_EXECUTE | TOKEN_IMPERSONATE;
  return access;
}

BOOL hand_out(std::shared_ptr<token_object> token, DWORD desired, PHANDLE out) {
  HANDLE handle = insert_handle(std::move(token), 0, token_access(desired));
  if (!handle) return FALSE;
  *out = handle;
  return TRUE;
}

// The anonymous identity (S-1-5-7), and a Unix user's.
bool is_anonymous(const token_object& token) {
  return token.type() == TokenImpersonation && token.level() == SecurityAnonymous;
}

security::sid user_of(const token_object& token) {
  return is_anonymous(token) ? security::well_known::anonymous
                             : security::user_sid(token.who().uid);
}

// The token's groups: every SID its identity holds in an access check but
// the user's own (TokenUser's): the primary group first, the supplementary
// groups, then Everyone, Authenticated Users, Interactive and the rest.
std::vector<security::sid> groups_of(const token_object& token) {
  const auto& who = token.who();
  security::identity holder{
      who.uid, who.gid, {who.groups.begin(), who.groups.end()}, false, is_anonymous(token)};
  auto held = security::sids_of(holder);
  held.erase(held.begin());
  return held;
}

security::sid primary_group_of(const token_object& token) {
  return is_anonymous(token) ? security::well_known::anonymous
                             : security::group_sid(token.who().gid);
}

// A structure of `head` bytes whose pointers point at the SIDs laid out
// after it, in the caller's buffer: `fill` gets the buffer and where each
// SID went. ERROR_INSUFFICIENT_BUFFER (with the size) when it does not fit.
template <typename Fill>
BOOL lay_out(std::size_t head, const std::vector<security::sid>& sids, LPVOID buffer, DWORD size,
             PDWORD needed, Fill&& fill) {
  std::size_t total = head;
  for (const auto& s : sids) total += security::binary_size(s);
  *needed = static_cast<DWORD>(total);
  if (!buffer || size < total) return fail_with(ERROR_INSUFFICIENT_BUFFER);
  auto* base = static_cast<std::byte*>(buffer);
  std::memset(base, 0, head);
  std::vector<PSID> placed;
  std::size_t at = head;
  for (const auto& s : sids) {
    auto bytes = security::to_bytes(s);
    std::memcpy(base + at, bytes.data(), bytes.size());
    placed.push_back(base + at);
    at += bytes.size();
  }
  fill(base, placed);
  return TRUE;
}

template <typename T>
BOOL copy_value(const T& value, LPVOID buffer, DWORD size, PDWORD needed) {
  *needed = sizeof(T);
  if (!buffer || size < sizeof(T)) return fail_with(ERROR_INSUFFICIENT_BUFFER);
  std::memcpy(buffer, &value, sizeof(T));
  return TRUE;
}

BOOL token_information(const token_object& token, TOKEN_INFORMATION_CLASS kind, LPVOID buffer,
                       DWORD size, PDWORD needed) {
  switch (kind) {
    case TokenUser:
      return lay_out(sizeof(TOKEN_USER), {user_of(token)}, buffer, size, needed,
                     [](std::byte* base, const std::vector<PSID>& at) {
                       reinterpret_cast<TOKEN_USER*>(base)->User.Sid = at[0];
                     });
    case TokenOwner:
      return lay_out(sizeof(TOKEN_OWNER), {user_of(token)}, buffer, size, needed,
                     [](std::byte* base, const std::vector<PSID>& at) {
                       reinterpret_cast<TOKEN_OWNER*>(base)->Owner = at[0];
                     });
    case TokenPrimaryGroup:
      return lay_out(sizeof(TOKEN_PRIMARY_GROUP), {primary_group_of(token)}, buffer, size, needed,
                     [](std::byte* base, const std::vector<PSID>& at) {
                       reinterpret_cast<TOKEN_PRIMARY_GROUP*>(base)->PrimaryGroup = at[0];
                     });
    case TokenGroups: {
      auto groups = groups_of(token);
      std::size_t head =
          offsetof(TOKEN_GROUPS, Groups) + groups.size() * sizeof(SID_AND_ATTRIBUTES);
      return lay_out(head, groups, buffer, size, needed,
                     [](std::byte* base, const std::vector<PSID>& at) {
                       auto* list = reinterpret_cast<TOKEN_GROUPS*>(base);
                       list->GroupCount = static_cast<DWORD>(at.size());
                       for (std::size_t i = 0; i < at.size(); ++i) {
                         list->Groups[i].Sid = at[i];
                         list->Groups[i].Attributes =
                             SE_GROUP_MANDATORY | SE_GROUP_ENABLED_BY_DEFAULT | SE_GROUP_ENABLED;
                       }
                     });
    }
    case TokenType:
      return copy_value(token.type(), buffer, size, needed);
    case TokenImpersonationLevel:
      // A primary token has no impersonation level.
      if (token.type() != TokenImpersonation) return fail_with(ERROR_INVALID_PARAMETER);
      return copy_value(token.level(), buffer, size, needed);
    case TokenSessionId:
      return copy_value(static_cast<DWORD>(token.who().session_id), buffer, size, needed);
    default:
      return fail_with(ERROR_INVALID_PARAMETER);
  }
}

// Whether a thread handle names the calling thread: the only thread whose
// token this process can read (each thread's impersonation is its own).
bool is_calling_thread(HANDLE thread) {
  if (thread == current_thread_pseudo_handle) return true;
  auto object = lookup_as<thread_object>(thread);
  return object && object->id() == current_thread_id();
}

template <typename Char>
BOOL user_name(Char* buffer, LPDWORD size) {
  if (!size) return fail_with(ERROR_INVALID_PARAMETER);
  std::string name;
  if (const auto* impersonating = conduit::detail::this_thread_impersonation()) {
    if (impersonating->level == conduit::impersonation_level::anonymous)
      return fail_with(ERROR_CANT_OPEN_ANONYMOUS);
    name = impersonating->client.user_name;
  } else {
    name = conduit::detail::process_identity().user_name;
  }
  std::basic_string<Char> text;
  if constexpr (sizeof(Char) == 1)
    text = name;
  else
    text = to_utf16(name);
  DWORD wanted = static_cast<DWORD>(text.size() + 1);
  if (!buffer || *size < wanted) {
    *size = wanted;
    return fail_with(ERROR_INSUFFICIENT_BUFFER);
  }
  std::copy(text.begin(), text.end(), buffer);
  buffer[text.size()] = 0;
  *size = wanted;
  return TRUE;
}

}  // namespace

extern "C" {

BOOL WINAPI RevertToSelf(void) {
  return guarded(FALSE, [&] {
    if (auto ec = conduit::detail::revert_this_thread())
      return report(conduit::error_from_errno(ec.value()));
    return TRUE;
  });
}

BOOL WINAPI OpenThreadToken(HANDLE ThreadHandle, DWORD DesiredAccess, BOOL, PHANDLE TokenHandle) {
  return guarded(FALSE, [&] {
    if (!TokenHandle) return fail_with(ERROR_NOACCESS);
    if (!is_calling_thread(ThreadHandle)) {
      if (GetLastError() == ERROR_INVALID_HANDLE) return FALSE;
      return fail_with(ERROR_NOT_SUPPORTED);  // another thread's token is its own
    }
    const auto* impersonating = conduit::detail::this_thread_impersonation();
    if (!impersonating) return fail_with(ERROR_NO_TOKEN);
    if (impersonating->level == conduit::impersonation_level::anonymous)
      return fail_with(ERROR_CANT_OPEN_ANONYMOUS);
    return hand_out(std::make_shared<token_object>(
                        impersonating->client, TokenImpersonation,
                        static_cast<SECURITY_IMPERSONATION_LEVEL>(impersonating->level)),
                    DesiredAccess, TokenHandle);
  });
}

BOOL WINAPI OpenProcessToken(HANDLE ProcessHandle, DWORD DesiredAccess, PHANDLE TokenHandle) {
  return guarded(FALSE, [&] {
    if (!TokenHandle) return fail_with(ERROR_NOACCESS);
    if (ProcessHandle != current_process_pseudo_handle) {
      if (!lookup_handle(ProcessHandle).object) return fail_with(ERROR_INVALID_HANDLE);
      return fail_with(ERROR_NOT_SUPPORTED);  // another process's credentials are its own
    }
    return hand_out(std::make_shared<token_object>(conduit::detail::process_identity(),
                                                   TokenPrimary, SecurityImpersonation),
                    DesiredAccess, TokenHandle);
  });
}

BOOL WINAPI GetTokenInformation(HANDLE TokenHandle, TOKEN_INFORMATION_CLASS TokenInformationClass,
                                LPVOID TokenInformation, DWORD TokenInformationLength,
                                PDWORD ReturnLength) {
  return guarded(FALSE, [&] {
    handle_entry entry = lookup_handle(TokenHandle);
    auto token = std::dynamic_pointer_cast<token_object>(entry.object);
    if (!token) return fail_with(ERROR_INVALID_HANDLE);
    if (!(entry.access & TOKEN_QUERY)) return fail_with(ERROR_ACCESS_DENIED);
    if (!ReturnLength) return fail_with(ERROR_NOACCESS);
    return token_information(*token, TokenInformationClass, TokenInformation,
                             TokenInformationLength, ReturnLength);
  });
}

BOOL WINAPI DuplicateToken(HANDLE ExistingTokenHandle,
                           SECURITY_IMPERSONATION_LEVEL ImpersonationLevel,
                           PHANDLE DuplicateTokenHandle) {
  return guarded(FALSE, [&] {
    handle_entry entry = lookup_handle(ExistingTokenHandle);
    auto token = std::dynamic_pointer_cast<token_object>(entry.object);
    if (!token) return fail_with(ERROR_INVALID_HANDLE);
    if (!DuplicateTokenHandle) return fail_with(ERROR_NOACCESS);
    if (ImpersonationLevel < SecurityAnonymous || ImpersonationLevel > SecurityDelegation)
      return fail_with(ERROR_INVALID_PARAMETER);
    if (!(entry.access & TOKEN_DUPLICATE)) return fail_with(ERROR_ACCESS_DENIED);
    // An impersonation token cannot be raised above its own level.
    if (token->type() == TokenImpersonation && ImpersonationLevel > token->level())
      return fail_with(ERROR_BAD_IMPERSONATION_LEVEL);
    return hand_out(
        std::make_shared<token_object>(token->who(), TokenImpersonation, ImpersonationLevel),
        TOKEN_IMPERSONATE | TOKEN_QUERY, DuplicateTokenHandle);
  });
}

BOOL WINAPI GetUserNameA(LPSTR lpBuffer, LPDWORD pcbBuffer) {
  return guarded(FALSE, [&] { return user_name(lpBuffer, pcbBuffer); });
}

BOOL WINAPI GetUserNameW(LPWSTR lpBuffer, LPDWORD pcbBuffer) {
  return guarded(FALSE, [&] { return user_name(lpBuffer, pcbBuffer); });
}

}  // extern "C"
