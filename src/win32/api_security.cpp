// SIDs, ACLs and security descriptors in program memory: the winnt.h /
// securitybaseapi.h functions. They work on the caller's bytes only; the
// SDDL conversions and account lookups are in api_sddl.cpp and
// api_accounts.cpp.
#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "conduit/win32/windows.h"
#include "security/access_check.hpp"
#include "security/security_descriptor.hpp"
#include "win32/api_guard.hpp"
#include "win32/security_conversion.hpp"
#include "win32/status.hpp"

namespace {

namespace sec = conduit::detail::security;

using conduit::win32::fail_bool;

DWORD sid_length(PSID sid) {
  return 8 + 4 * static_cast<DWORD>(static_cast<const SID*>(sid)->SubAuthorityCount);
}

bool valid_sid(PSID sid) {
  const auto* s = static_cast<const SID*>(sid);
  return s && s->Revision == SID_REVISION && s->SubAuthorityCount <= SID_MAX_SUB_AUTHORITIES;
}

// Walks an ACL's ACEs: the first free byte, or nullptr if the ACEs run
// past AclSize.
std::uint8_t* first_free_ace(PACL acl) {
  auto* at = reinterpret_cast<std::uint8_t*>(acl) + sizeof(ACL);
  auto* end = reinterpret_cast<std::uint8_t*>(acl) + acl->AclSize;
  for (WORD i = 0; i < acl->AceCount; ++i) {
    if (end - at < static_cast<std::ptrdiff_t>(sizeof(ACE_HEADER))) return nullptr;
    WORD size = reinterpret_cast<ACE_HEADER*>(at)->AceSize;
    if (size < sizeof(ACE_HEADER) || size > end - at) return nullptr;
    at += size;
  }
  return at;
}

bool valid_acl(PACL acl) {
  return acl && acl->AclRevision >= MIN_ACL_REVISION && acl->AclRevision <= MAX_ACL_REVISION &&
         acl->AclSize >= sizeof(ACL) && first_free_ace(acl);
}

BOOL add_ace(PACL acl, DWORD revision, DWORD flags, DWORD mask, PSID sid, BYTE type) {
  if (!valid_sid(sid)) return fail_bool(ERROR_INVALID_SID);
  if (!acl || acl->AclRevision > MAX_ACL_REVISION || revision > MAX_ACL_REVISION)
    return fail_bool(ERROR_REVISION_MISMATCH);
  if (flags & ~static_cast<DWORD>(VALID_INHERIT_FLAGS)) return fail_bool(ERROR_INVALID_PARAMETER);
  if (!valid_acl(acl)) return fail_bool(ERROR_INVALID_ACL);
  auto* free_at = first_free_ace(acl);
  const DWORD size = 8 + sid_length(sid);
  if (free_at + size > reinterpret_cast<std::uint8_t*>(acl) + acl->AclSize)
    return fail_bool(ERROR_ALLOTTED_SPACE_EXCEEDED);
  auto* entry = reinterpret_cast<ACCESS_ALLOWED_ACE*>(free_at);
  entry->Header.AceType = type;
  entry->Header.AceFlags = static_cast<BYTE>(flags);
  entry->Header.AceSize = static_cast<WORD>(size);
  entry->Mask = mask;
  std::memcpy(&entry->SidStart, sid, sid_length(sid));
  acl->AceCount++;
  if (revision > acl->AclRevision) acl->AclRevision = static_cast<BYTE>(revision);
  return TRUE;
}

SECURITY_DESCRIPTOR* absolute(PSECURITY_DESCRIPTOR psd) {
  return static_cast<SECURITY_DESCRIPTOR*>(psd);
}

// The Set* functions change the absolute form only.
bool check_settable(PSECURITY_DESCRIPTOR psd) {
  auto* sd = absolute(psd);
  if (sd->Revision != SECURITY_DESCRIPTOR_REVISION) {
    SetLastError(ERROR_UNKNOWN_REVISION);
    return false;
  }
  if (sd->Control & SE_SELF_RELATIVE) {
    SetLastError(ERROR_INVALID_SECURITY_DESCR);
    return false;
  }
  return true;
}

// A part of either form: a pointer in the absolute one, an offset in the
// self-relative one.
void* part(PSECURITY_DESCRIPTOR psd, int which) {
  auto* sd = absolute(psd);
  if (sd->Control & SE_SELF_RELATIVE) {
    const auto* rel = static_cast<const SECURITY_DESCRIPTOR_RELATIVE*>(psd);
    DWORD offset = which == 0 ? rel->Owner : which == 1 ? rel->Group : rel->Dacl;
    return offset ? static_cast<std::uint8_t*>(psd) + offset : nullptr;
  }
  return which == 0 ? sd->Owner : which == 1 ? sd->Group : static_cast<void*>(sd->Dacl);
}

BOOL get_sid_part(PSECURITY_DESCRIPTOR psd, int which, PSID* sid, LPBOOL defaulted,
                  SECURITY_DESCRIPTOR_CONTROL flag) {
  if (absolute(psd)->Revision != SECURITY_DESCRIPTOR_REVISION)
    return fail_bool(ERROR_UNKNOWN_REVISION);
  *sid = part(psd, which);
  *defaulted = (absolute(psd)->Control & flag) ? TRUE : FALSE;
  return TRUE;
}

}  // namespace

extern "C" {

BOOL WINAPI IsValidSid(PSID pSid) {
  return valid_sid(pSid) ? TRUE : FALSE;
}

DWORD WINAPI GetLengthSid(PSID pSid) {
  return sid_length(pSid);
}

BOOL WINAPI EqualSid(PSID pSid1, PSID pSid2) {
  // Windows sets ERROR_SUCCESS whatever the answer.
  SetLastError(ERROR_SUCCESS);
  if (!valid_sid(pSid1) || !valid_sid(pSid2)) return FALSE;
  return sid_length(pSid1) == sid_length(pSid2) && std::memcmp(pSid1, pSid2, sid_length(pSid1)) == 0
             ? TRUE
             : FALSE;
}

BOOL WINAPI CopySid(DWORD nDestinationSidLength, PSID pDestinationSid, PSID pSourceSid) {
  if (!valid_sid(pSourceSid)) return fail_bool(ERROR_INVALID_SID);
  if (nDestinationSidLength < sid_length(pSourceSid)) return fail_bool(ERROR_INSUFFICIENT_BUFFER);
  std::memmove(pDestinationSid, pSourceSid, sid_length(pSourceSid));
  return TRUE;
}

BOOL WINAPI AllocateAndInitializeSid(PSID_IDENTIFIER_AUTHORITY pIdentifierAuthority,
                                     BYTE nSubAuthorityCount, DWORD nSubAuthority0,
                                     DWORD nSubAuthority1, DWORD nSubAuthority2,
                                     DWORD nSubAuthority3, DWORD nSubAuthority4,
                                     DWORD nSubAuthority5, DWORD nSubAuthority6,
                                     DWORD nSubAuthority7, PSID* pSid) {
  if (!pIdentifierAuthority || !pSid) return fail_bool(ERROR_INVALID_PARAMETER);
  if (nSubAuthorityCount > 8) return fail_bool(ERROR_INVALID_SID);
  const DWORD subs[8] = {nSubAuthority0, nSubAuthority1, nSubAuthority2, nSubAuthority3,
                         nSubAuthority4, nSubAuthority5, nSubAuthority6, nSubAuthority7};
  auto* sid = static_cast<SID*>(LocalAlloc(LMEM_FIXED, 8 + 4 * nSubAuthorityCount));
  if (!sid) return FALSE;
  sid->Revision = SID_REVISION;
  sid->SubAuthorityCount = nSubAuthorityCount;
  sid->IdentifierAuthority = *pIdentifierAuthority;
  std::memcpy(sid->SubAuthority, subs, 4 * nSubAuthorityCount);
  *pSid = sid;
  return TRUE;
}

PVOID WINAPI FreeSid(PSID pSid) {
  LocalFree(pSid);
  return nullptr;
}

PSID_IDENTIFIER_AUTHORITY WINAPI GetSidIdentifierAuthority(PSID pSid) {
  SetLastError(ERROR_SUCCESS);
  return &static_cast<SID*>(pSid)->IdentifierAuthority;
}

PDWORD WINAPI GetSidSubAuthority(PSID pSid, DWORD nSubAuthority) {
  SetLastError(ERROR_SUCCESS);
  return &static_cast<SID*>(pSid)->SubAuthority[nSubAuthority];
}

PUCHAR WINAPI GetSidSubAuthorityCount(PSID pSid) {
  SetLastError(ERROR_SUCCESS);
  return &static_cast<SID*>(pSid)->SubAuthorityCount;
}

BOOL WINAPI InitializeAcl(PACL pAcl, DWORD nAclLength, DWORD dwAclRevision) {
  if (nAclLength < sizeof(ACL)) return fail_bool(ERROR_INSUFFICIENT_BUFFER);
  if (nAclLength > 0xffff || dwAclRevision < MIN_ACL_REVISION || dwAclRevision > MAX_ACL_REVISION)
    return fail_bool(ERROR_INVALID_PARAMETER);
  std::memset(pAcl, 0, sizeof(ACL));
  pAcl->AclRevision = static_cast<BYTE>(dwAclRevision);
  pAcl->AclSize = static_cast<WORD>(nAclLength);
  return TRUE;
}

BOOL WINAPI IsValidAcl(PACL pAcl) {
  return valid_acl(pAcl) ? TRUE : FALSE;
}

BOOL WINAPI AddAccessAllowedAce(PACL pAcl, DWORD dwAceRevision, DWORD AccessMask, PSID pSid) {
  return add_ace(pAcl, dwAceRevision, 0, AccessMask, pSid, ACCESS_ALLOWED_ACE_TYPE);
}

BOOL WINAPI AddAccessAllowedAceEx(PACL pAcl, DWORD dwAceRevision, DWORD AceFlags, DWORD AccessMask,
                                  PSID pSid) {
  return add_ace(pAcl, dwAceRevision, AceFlags, AccessMask, pSid, ACCESS_ALLOWED_ACE_TYPE);
}

BOOL WINAPI AddAccessDeniedAce(PACL pAcl, DWORD dwAceRevision, DWORD AccessMask, PSID pSid) {
  return add_ace(pAcl, dwAceRevision, 0, AccessMask, pSid, ACCESS_DENIED_ACE_TYPE);
}

BOOL WINAPI AddAccessDeniedAceEx(PACL pAcl, DWORD dwAceRevision, DWORD AceFlags, DWORD AccessMask,
                                 PSID pSid) {
  return add_ace(pAcl, dwAceRevision, AceFlags, AccessMask, pSid, ACCESS_DENIED_ACE_TYPE);
}

BOOL WINAPI GetAce(PACL pAcl, DWORD dwAceIndex, LPVOID* pAce) {
  if (!valid_acl(pAcl) || dwAceIndex >= pAcl->AceCount) return fail_bool(ERROR_INVALID_PARAMETER);
  auto* at = reinterpret_cast<std::uint8_t*>(pAcl) + sizeof(ACL);
  for (DWORD i = 0; i < dwAceIndex; ++i) at += reinterpret_cast<ACE_HEADER*>(at)->AceSize;
  *pAce = at;
  return TRUE;
}

VOID WINAPI MapGenericMask(PDWORD AccessMask, PGENERIC_MAPPING GenericMapping) {
  const sec::generic_mapping m{GenericMapping->GenericRead, GenericMapping->GenericWrite,
                               GenericMapping->GenericExecute, GenericMapping->GenericAll};
  *AccessMask = sec::map_generic(*AccessMask, m);
}

BOOL WINAPI InitializeSecurityDescriptor(PSECURITY_DESCRIPTOR pSecurityDescriptor,
                                         DWORD dwRevision) {
  if (dwRevision != SECURITY_DESCRIPTOR_REVISION) return fail_bool(ERROR_UNKNOWN_REVISION);
  std::memset(pSecurityDescriptor, 0, sizeof(SECURITY_DESCRIPTOR));
  absolute(pSecurityDescriptor)->Revision = SECURITY_DESCRIPTOR_REVISION;
  return TRUE;
}

BOOL WINAPI IsValidSecurityDescriptor(PSECURITY_DESCRIPTOR pSecurityDescriptor) {
  sec::security_descriptor sd;
  if (!pSecurityDescriptor || conduit::win32::read_descriptor(pSecurityDescriptor, sd))
    return fail_bool(ERROR_INVALID_SECURITY_DESCR);
  return TRUE;
}

DWORD WINAPI GetSecurityDescriptorLength(PSECURITY_DESCRIPTOR pSecurityDescriptor) {
  // The header of the form it is in, then the parts.
  DWORD length = (absolute(pSecurityDescriptor)->Control & SE_SELF_RELATIVE)
                     ? sizeof(SECURITY_DESCRIPTOR_RELATIVE)
                     : sizeof(SECURITY_DESCRIPTOR);
  if (void* owner = part(pSecurityDescriptor, 0)) length += sid_length(owner);
  if (void* group = part(pSecurityDescriptor, 1)) length += sid_length(group);
  if (absolute(pSecurityDescriptor)->Control & SE_DACL_PRESENT)
    if (void* dacl = part(pSecurityDescriptor, 2)) length += static_cast<ACL*>(dacl)->AclSize;
  return length;
}

BOOL WINAPI GetSecurityDescriptorControl(PSECURITY_DESCRIPTOR pSecurityDescriptor,
                                         PSECURITY_DESCRIPTOR_CONTROL pControl,
                                         LPDWORD lpdwRevision) {
  auto* sd = absolute(pSecurityDescriptor);
  *lpdwRevision = sd->Revision;
  if (sd->Revision != SECURITY_DESCRIPTOR_REVISION) return fail_bool(ERROR_UNKNOWN_REVISION);
  *pControl = sd->Control;
  return TRUE;
}

BOOL WINAPI SetSecurityDescriptorDacl(PSECURITY_DESCRIPTOR pSecurityDescriptor, BOOL bDaclPresent,
                                      PACL pDacl, BOOL bDaclDefaulted) {
  if (!check_settable(pSecurityDescriptor)) return FALSE;
  auto* sd = absolute(pSecurityDescriptor);
  if (!bDaclPresent) {
    sd->Control &= ~SE_DACL_PRESENT;
    return TRUE;
  }
  sd->Control |= SE_DACL_PRESENT;
  sd->Dacl = pDacl;
  if (bDaclDefaulted)
    sd->Control |= SE_DACL_DEFAULTED;
  else
    sd->Control &= ~SE_DACL_DEFAULTED;
  return TRUE;
}

BOOL WINAPI GetSecurityDescriptorDacl(PSECURITY_DESCRIPTOR pSecurityDescriptor,
                                      LPBOOL lpbDaclPresent, PACL* pDacl, LPBOOL lpbDaclDefaulted) {
  auto* sd = absolute(pSecurityDescriptor);
  if (sd->Revision != SECURITY_DESCRIPTOR_REVISION) return fail_bool(ERROR_UNKNOWN_REVISION);
  *lpbDaclPresent = (sd->Control & SE_DACL_PRESENT) ? TRUE : FALSE;
  // As on Windows, the ACL and defaulted flag are written only when present.
  if (*lpbDaclPresent) {
    *pDacl = static_cast<PACL>(part(pSecurityDescriptor, 2));
    *lpbDaclDefaulted = (sd->Control & SE_DACL_DEFAULTED) ? TRUE : FALSE;
  }
  return TRUE;
}

BOOL WINAPI SetSecurityDescriptorOwner(PSECURITY_DESCRIPTOR pSecurityDescriptor, PSID pOwner,
                                       BOOL bOwnerDefaulted) {
  if (!check_settable(pSecurityDescriptor)) return FALSE;
  auto* sd = absolute(pSecurityDescriptor);
  sd->Owner = pOwner;
  if (bOwnerDefaulted)
    sd->Control |= SE_OWNER_DEFAULTED;
  else
    sd->Control &= ~SE_OWNER_DEFAULTED;
  return TRUE;
}

BOOL WINAPI GetSecurityDescriptorOwner(PSECURITY_DESCRIPTOR pSecurityDescriptor, PSID* pOwner,
                                       LPBOOL lpbOwnerDefaulted) {
  return get_sid_part(pSecurityDescriptor, 0, pOwner, lpbOwnerDefaulted, SE_OWNER_DEFAULTED);
}

BOOL WINAPI SetSecurityDescriptorGroup(PSECURITY_DESCRIPTOR pSecurityDescriptor, PSID pGroup,
                                       BOOL bGroupDefaulted) {
  if (!check_settable(pSecurityDescriptor)) return FALSE;
  auto* sd = absolute(pSecurityDescriptor);
  sd->Group = pGroup;
  if (bGroupDefaulted)
    sd->Control |= SE_GROUP_DEFAULTED;
  else
    sd->Control &= ~SE_GROUP_DEFAULTED;
  return TRUE;
}

BOOL WINAPI GetSecurityDescriptorGroup(PSECURITY_DESCRIPTOR pSecurityDescriptor, PSID* pGroup,
                                       LPBOOL lpbGroupDefaulted) {
  return get_sid_part(pSecurityDescriptor, 1, pGroup, lpbGroupDefaulted, SE_GROUP_DEFAULTED);
}

BOOL WINAPI MakeSelfRelativeSD(PSECURITY_DESCRIPTOR pAbsoluteSecurityDescriptor,
                               PSECURITY_DESCRIPTOR pSelfRelativeSecurityDescriptor,
                               LPDWORD lpdwBufferLength) {
  auto* sd = absolute(pAbsoluteSecurityDescriptor);
  if (sd->Revision != SECURITY_DESCRIPTOR_REVISION) return fail_bool(ERROR_UNKNOWN_REVISION);
  if (sd->Control & SE_SELF_RELATIVE) return fail_bool(ERROR_BAD_DESCRIPTOR_FORMAT);
  if ((sd->Owner && !valid_sid(sd->Owner)) || (sd->Group && !valid_sid(sd->Group)))
    return fail_bool(ERROR_INVALID_SID);
  const PACL sacl = (sd->Control & SE_SACL_PRESENT) ? sd->Sacl : nullptr;
  const PACL dacl = (sd->Control & SE_DACL_PRESENT) ? sd->Dacl : nullptr;
  // The parts are copied as they are, ACLs with their whole AclSize, as
  // Windows copies them: owner, group, SACL, DACL after the header.
  const DWORD needed = sizeof(SECURITY_DESCRIPTOR_RELATIVE) +
                       (sd->Owner ? sid_length(sd->Owner) : 0) +
                       (sd->Group ? sid_length(sd->Group) : 0) + (sacl ? sacl->AclSize : 0) +
                       (dacl ? dacl->AclSize : 0);
  if (*lpdwBufferLength < needed) {
    *lpdwBufferLength = needed;
    return fail_bool(ERROR_INSUFFICIENT_BUFFER);
  }
  auto* out = static_cast<std::uint8_t*>(pSelfRelativeSecurityDescriptor);
  SECURITY_DESCRIPTOR_RELATIVE header{};
  header.Revision = SECURITY_DESCRIPTOR_REVISION;
  header.Control = static_cast<SECURITY_DESCRIPTOR_CONTROL>(sd->Control | SE_SELF_RELATIVE);
  DWORD at = sizeof header;
  auto place = [&](const void* part, DWORD size, DWORD& offset) {
    if (!part) return;
    offset = at;
    std::memmove(out + at, part, size);
    at += size;
  };
  place(sd->Owner, sd->Owner ? sid_length(sd->Owner) : 0, header.Owner);
  place(sd->Group, sd->Group ? sid_length(sd->Group) : 0, header.Group);
  place(sacl, sacl ? sacl->AclSize : 0, header.Sacl);
  place(dacl, dacl ? dacl->AclSize : 0, header.Dacl);
  std::memcpy(out, &header, sizeof header);
  return TRUE;
}

}  // extern "C"
