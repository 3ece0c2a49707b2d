/* conduit/win32/winnt_token.h: access tokens (whom a thread or process acts
 * as), impersonation of a named pipe's client, and the user's name.
 *
 * Included by windows.h. A token is a snapshot of an identity, taken when
 * the token is opened: a Unix user, its primary group and its supplementary
 * groups, as SIDs (S-1-22-1-<uid>, S-1-22-2-<gid>; see winnt_security.h).
 *
 *   ImpersonateNamedPipeClient(pipe);          after a ReadFile from the pipe
 *   HANDLE token;
 *   OpenThreadToken(GetCurrentThread(), TOKEN_QUERY, TRUE, &token);
 *   DWORD size = 0;
 *   GetTokenInformation(token, TokenUser, NULL, 0, &size);   ERROR_INSUFFICIENT_BUFFER
 *   TOKEN_USER* user = (TOKEN_USER*)malloc(size);
 *   GetTokenInformation(token, TokenUser, user, size, &size);
 *   CloseHandle(token);
 *   RevertToSelf();
 *
 * OpenThreadToken answers for the calling thread only (GetCurrentThread(),
 * or a handle to it); OpenProcessToken for the calling process only.
 * GetTokenInformation answers TokenUser, TokenGroups, TokenOwner,
 * TokenPrimaryGroup, TokenType, TokenImpersonationLevel and TokenSessionId;
 * other classes fail with ERROR_INVALID_PARAMETER. */
#ifndef CONDUIT_WIN32_WINNT_TOKEN_H
#define CONDUIT_WIN32_WINNT_TOKEN_H

#include "windows.h"
#include "winnt_security.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ERROR_PIPE_LOCAL 229L
#define ERROR_CANT_OPEN_ANONYMOUS 1347L

#define UNLEN 256 /* the longest user name GetUserName returns */
#define ANYSIZE_ARRAY 1

typedef enum _SECURITY_IMPERSONATION_LEVEL {
  SecurityAnonymous,
  SecurityIdentification,
  SecurityImpersonation,
  SecurityDelegation
} SECURITY_IMPERSONATION_LEVEL,
    *PSECURITY_IMPERSONATION_LEVEL;

typedef enum _TOKEN_TYPE { TokenPrimary = 1, TokenImpersonation } TOKEN_TYPE, *PTOKEN_TYPE;

typedef enum _TOKEN_INFORMATION_CLASS {
  TokenUser = 1,
  TokenGroups,
  TokenPrivileges,
  TokenOwner,
  TokenPrimaryGroup,
  TokenDefaultDacl,
  TokenSource,
  TokenType,
  TokenImpersonationLevel,
  TokenStatistics,
  TokenRestrictedSids,
  TokenSessionId
} TOKEN_INFORMATION_CLASS,
    *PTOKEN_INFORMATION_CLASS;

/* Token access rights. */
#define TOKEN_ASSIGN_PRIMARY 0x0001
#define TOKEN_DUPLICATE 0x0002
#define TOKEN_IMPERSONATE 0x0004
#define TOKEN_QUERY 0x0008
#define TOKEN_QUERY_SOURCE 0x0010
#define TOKEN_ADJUST_PRIVILEGES 0x0020
#define TOKEN_ADJUST_GROUPS 0x0040
#define TOKEN_ADJUST_DEFAULT 0x0080
#define TOKEN_ADJUST_SESSIONID 0x0100
#define TOKEN_ALL_ACCESS (STANDARD_RIGHTS_REQUIRED | 0x01FF)
#define TOKEN_READ (STANDARD_RIGHTS_READ | TOKEN_QUERY)

/* A group's attributes in a token: every Unix group is mandatory and enabled. */
#define SE_GROUP_MANDATORY 0x00000001L
#define SE_GROUP_ENABLED_BY_DEFAULT 0x00000002L
#define SE_GROUP_ENABLED 0x00000004L
#define SE_GROUP_OWNER 0x00000008L

typedef struct _SID_AND_ATTRIBUTES {
  PSID Sid;
  DWORD Attributes;
} SID_AND_ATTRIBUTES, *PSID_AND_ATTRIBUTES;

typedef struct _TOKEN_USER {
  SID_AND_ATTRIBUTES User;
} TOKEN_USER, *PTOKEN_USER;

typedef struct _TOKEN_GROUPS {
  DWORD GroupCount;
  SID_AND_ATTRIBUTES Groups[ANYSIZE_ARRAY];
} TOKEN_GROUPS, *PTOKEN_GROUPS;

typedef struct _TOKEN_OWNER {
  PSID Owner;
} TOKEN_OWNER, *PTOKEN_OWNER;

typedef struct _TOKEN_PRIMARY_GROUP {
  PSID PrimaryGroup;
} TOKEN_PRIMARY_GROUP, *PTOKEN_PRIMARY_GROUP;

/* Impersonation. ImpersonateNamedPipeClient and RevertToSelf are declared
 * with the pipe functions in windows.h. */
BOOL WINAPI OpenThreadToken(HANDLE ThreadHandle, DWORD DesiredAccess, BOOL OpenAsSelf,
                            PHANDLE TokenHandle);
BOOL WINAPI OpenProcessToken(HANDLE ProcessHandle, DWORD DesiredAccess, PHANDLE TokenHandle);
BOOL WINAPI GetTokenInformation(HANDLE TokenHandle, TOKEN_INFORMATION_CLASS TokenInformationClass,
                                LPVOID TokenInformation, DWORD TokenInformationLength,
                                PDWORD ReturnLength);
BOOL WINAPI DuplicateToken(HANDLE ExistingTokenHandle,
                           SECURITY_IMPERSONATION_LEVEL ImpersonationLevel,
                           PHANDLE DuplicateTokenHandle);

/* The user the calling thread acts as (its impersonation token's, else the
 * process's): *pcbBuffer in characters, the terminating null included. */
BOOL WINAPI GetUserNameA(LPSTR lpBuffer, LPDWORD pcbBuffer);
BOOL WINAPI GetUserNameW(LPWSTR lpBuffer, LPDWORD pcbBuffer);

/* The computer a server's client is on: a local client has none
 * (ERROR_PIPE_LOCAL), as on Windows. */
BOOL WINAPI GetNamedPipeClientComputerNameA(HANDLE Pipe, LPSTR ClientComputerName,
                                            ULONG ClientComputerNameLength);
BOOL WINAPI GetNamedPipeClientComputerNameW(HANDLE Pipe, LPWSTR ClientComputerName,
                                            ULONG ClientComputerNameLength);

#ifdef UNICODE
#define GetUserName GetUserNameW
#define GetNamedPipeClientComputerName GetNamedPipeClientComputerNameW
#else
#define GetUserName GetUserNameA
#define GetNamedPipeClientComputerName GetNamedPipeClientComputerNameA
#endif

#ifdef __cplusplus
}
#endif

#endif /* CONDUIT_WIN32_WINNT_TOKEN_H */
