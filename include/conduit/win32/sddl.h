/* conduit/win32/sddl.h: security descriptors and SIDs as SDDL strings, as
 * the Windows SDK's <sddl.h> declares them.
 *
 *   PSECURITY_DESCRIPTOR sd = NULL;
 *   if (ConvertStringSecurityDescriptorToSecurityDescriptorA(
 *           "D:(A;;GA;;;SY)(A;;GRGW;;;AU)", SDDL_REVISION_1, &sd, NULL)) {
 *     SECURITY_ATTRIBUTES sa = {sizeof sa, sd, FALSE};
 *     ... CreateNamedPipeA(name, ..., &sa) ...
 *     LocalFree(sd);
 *   }
 *
 * What each returns is LocalAlloc'd: free it with LocalFree. The SDDL
 * accepted is the subset docs/security.md describes (owner, group, a DACL
 * of allow and deny ACEs; a SACL is accepted and dropped). */
#ifndef CONDUIT_WIN32_SDDL_H
#define CONDUIT_WIN32_SDDL_H

#include <windows.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SDDL_REVISION_1 1
#define SDDL_REVISION SDDL_REVISION_1

/* Fails with ERROR_UNKNOWN_REVISION for a revision other than 1,
 * ERROR_INVALID_PARAMETER for a NULL argument or a malformed string,
 * ERROR_INVALID_ACL for a malformed ACE, ERROR_INVALID_SID for a bad owner
 * or group. The result is self-relative; *SecurityDescriptorSize (if
 * given) gets its length. */
BOOL WINAPI ConvertStringSecurityDescriptorToSecurityDescriptorA(
    LPCSTR StringSecurityDescriptor, DWORD StringSDRevision,
    PSECURITY_DESCRIPTOR* SecurityDescriptor, PULONG SecurityDescriptorSize);
BOOL WINAPI ConvertStringSecurityDescriptorToSecurityDescriptorW(
    LPCWSTR StringSecurityDescriptor, DWORD StringSDRevision,
    PSECURITY_DESCRIPTOR* SecurityDescriptor, PULONG SecurityDescriptorSize);
/* Writes the parts SecurityInformation names; *StringSecurityDescriptorLen
 * (if given) gets the length in characters with the terminating NUL. */
BOOL WINAPI ConvertSecurityDescriptorToStringSecurityDescriptorA(
    PSECURITY_DESCRIPTOR SecurityDescriptor, DWORD RequestedStringSDRevision,
    SECURITY_INFORMATION SecurityInformation, LPSTR* StringSecurityDescriptor,
    PULONG StringSecurityDescriptorLen);
BOOL WINAPI ConvertSecurityDescriptorToStringSecurityDescriptorW(
    PSECURITY_DESCRIPTOR SecurityDescriptor, DWORD RequestedStringSDRevision,
    SECURITY_INFORMATION SecurityInformation, LPWSTR* StringSecurityDescriptor,
    PULONG StringSecurityDescriptorLen);
/* "S-1-5-32-544" or an alias ("BA") to a SID; ERROR_INVALID_SID if it is
 * neither, ERROR_INVALID_PARAMETER for a NULL argument. */
BOOL WINAPI ConvertStringSidToSidA(LPCSTR StringSid, PSID* Sid);
BOOL WINAPI ConvertStringSidToSidW(LPCWSTR StringSid, PSID* Sid);
/* A SID to "S-1-..." (never an alias); ERROR_INVALID_SID if it is invalid. */
BOOL WINAPI ConvertSidToStringSidA(PSID Sid, LPSTR* StringSid);
BOOL WINAPI ConvertSidToStringSidW(PSID Sid, LPWSTR* StringSid);

#ifdef UNICODE
#define ConvertStringSecurityDescriptorToSecurityDescriptor \
  ConvertStringSecurityDescriptorToSecurityDescriptorW
#define ConvertSecurityDescriptorToStringSecurityDescriptor \
  ConvertSecurityDescriptorToStringSecurityDescriptorW
#define ConvertStringSidToSid ConvertStringSidToSidW
#define ConvertSidToStringSid ConvertSidToStringSidW
#else
#define ConvertStringSecurityDescriptorToSecurityDescriptor \
  ConvertStringSecurityDescriptorToSecurityDescriptorA
#define ConvertSecurityDescriptorToStringSecurityDescriptor \
  ConvertSecurityDescriptorToStringSecurityDescriptorA
#define ConvertStringSidToSid ConvertStringSidToSidA
#define ConvertSidToStringSid ConvertSidToStringSidA
#endif

#ifdef __cplusplus
}
#endif

#endif /* CONDUIT_WIN32_SDDL_H */
