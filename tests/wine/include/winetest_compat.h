/* What Wine's conformance tests take from Wine's own headers and conduit's
 * windows.h leaves out: Wine's header helpers (ARRAY_SIZE, the nameless
 * union macros U() and S()), a few constants, and the token structures and
 * calls that only test_impersonation uses. That test skips itself here
 * (GetProcAddress finds no DuplicateTokenEx), so its calls are stubs only
 * for the file to build: they fail with ERROR_CALL_NOT_IMPLEMENTED. */
#ifndef CONDUIT_WINETEST_COMPAT_H
#define CONDUIT_WINETEST_COMPAT_H

#include <windows.h>

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif
#define U(x) x
#define S(x) x

#ifndef ERROR_CALL_NOT_IMPLEMENTED
#define ERROR_CALL_NOT_IMPLEMENTED 120L
#endif
#define FILE_READ_PROPERTIES FILE_READ_EA
#define FILE_WRITE_PROPERTIES FILE_WRITE_EA
#define FILE_PIPE_CLIENT_END 0
#define FILE_PIPE_SERVER_END 1

#ifndef ULongToHandle
#define ULongToHandle(ul) ((HANDLE)(ULONG_PTR)(ul))
#endif
#ifndef HandleToULong
#define HandleToULong(h) ((ULONG)(ULONG_PTR)(h))
#endif

/* test_impersonation only. */
#define SE_PRIVILEGE_ENABLED 0x00000002L
typedef struct _WINETEST_LUID_AND_ATTRIBUTES {
  struct {
    DWORD LowPart;
    LONG HighPart;
  } Luid;
  DWORD Attributes;
} WINETEST_LUID_AND_ATTRIBUTES;
typedef struct _WINETEST_TOKEN_PRIVILEGES {
  DWORD PrivilegeCount;
  WINETEST_LUID_AND_ATTRIBUTES Privileges[1];
} TOKEN_PRIVILEGES, *PTOKEN_PRIVILEGES;
typedef struct _WINETEST_TOKEN_STATISTICS {
  BYTE Reserved[32];
  DWORD PrivilegeCount;
  BYTE Reserved2[16];
} TOKEN_STATISTICS;
BOOL WINAPI winetest_AdjustTokenPrivileges(HANDLE, BOOL, PTOKEN_PRIVILEGES, DWORD,
                                           PTOKEN_PRIVILEGES, PDWORD);
BOOL WINAPI winetest_SetThreadToken(PHANDLE, HANDLE);
#define AdjustTokenPrivileges winetest_AdjustTokenPrivileges
#define SetThreadToken winetest_SetThreadToken

#endif /* CONDUIT_WINETEST_COMPAT_H */
