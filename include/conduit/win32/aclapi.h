/* conduit/win32/aclapi.h: reading and changing the security descriptor of
 * an open pipe, mailslot or event, as the Windows SDK's <aclapi.h> declares
 * GetSecurityInfo and SetSecurityInfo.
 *
 *   PACL dacl = NULL;
 *   PSECURITY_DESCRIPTOR sd = NULL;
 *   if (GetSecurityInfo(pipe, SE_KERNEL_OBJECT, DACL_SECURITY_INFORMATION,
 *                       NULL, NULL, &dacl, NULL, &sd) == ERROR_SUCCESS) {
 *     ... walk dacl with GetAce ...
 *     LocalFree(sd);
 *   }
 *
 * The descriptor lives in the broker with the object's name; both calls
 * return a Win32 error code rather than setting the last error. */
#ifndef CONDUIT_WIN32_ACLAPI_H
#define CONDUIT_WIN32_ACLAPI_H

#include <windows.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum _SE_OBJECT_TYPE {
  SE_UNKNOWN_OBJECT_TYPE = 0,
  SE_FILE_OBJECT,
  SE_SERVICE,
  SE_PRINTER,
  SE_REGISTRY_KEY,
  SE_LMSHARE,
  SE_KERNEL_OBJECT,
  SE_WINDOW_OBJECT,
  SE_DS_OBJECT,
  SE_DS_OBJECT_ALL,
  SE_PROVIDER_DEFINED_OBJECT,
  SE_WMIGUID_OBJECT,
  SE_REGISTRY_WOW64_32KEY,
  SE_REGISTRY_WOW64_64KEY
} SE_OBJECT_TYPE;

/* Returns the parts SecurityInfo names, pointing into one self-relative
 * descriptor returned in *ppSecurityDescriptor (free it with LocalFree);
 * SE_FILE_OBJECT and SE_KERNEL_OBJECT name the same thing here. */
DWORD WINAPI GetSecurityInfo(HANDLE handle, SE_OBJECT_TYPE ObjectType,
                             SECURITY_INFORMATION SecurityInfo, PSID* ppsidOwner, PSID* ppsidGroup,
                             PACL* ppDacl, PACL* ppSacl,
                             PSECURITY_DESCRIPTOR* ppSecurityDescriptor);
/* Replaces the parts SecurityInfo names; needs WRITE_DAC for the DACL and
 * WRITE_OWNER for the owner and group. */
DWORD WINAPI SetSecurityInfo(HANDLE handle, SE_OBJECT_TYPE ObjectType,
                             SECURITY_INFORMATION SecurityInfo, PSID psidOwner, PSID psidGroup,
                             PACL pDacl, PACL pSacl);

#ifdef __cplusplus
}
#endif

#endif /* CONDUIT_WIN32_ACLAPI_H */
