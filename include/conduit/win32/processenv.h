/* conduit/win32/processenv.h: the process's environment variables.
 *
 *   TCHAR value[256];
 *   DWORD n = GetEnvironmentVariable(TEXT("HOME"), value, 256);
 *   if (n == 0) { ... GetLastError() == ERROR_ENVVAR_NOT_FOUND ... }
 *   else if (n > 256) { ... the buffer needs n characters ... }
 *
 * These are the process's C environment (getenv/setenv), in UTF-8 for the A
 * functions and converted for the W ones. GetEnvironmentVariable returns the
 * length without the NUL when the value fits in nSize characters, otherwise
 * the size needed with the NUL (and leaves the buffer alone); 0 with
 * ERROR_ENVVAR_NOT_FOUND when the variable is not set (a variable set to ""
 * returns 0 with ERROR_SUCCESS). SetEnvironmentVariable with lpValue NULL
 * removes the variable; a name that is empty or holds '=' fails with
 * ERROR_INVALID_PARAMETER. Setting the environment while other threads read
 * it is as unsafe as setenv is. */
#ifndef CONDUIT_WIN32_PROCESSENV_H
#define CONDUIT_WIN32_PROCESSENV_H

#ifdef __cplusplus
extern "C" {
#endif

#define ERROR_ENVVAR_NOT_FOUND 203L

DWORD WINAPI GetEnvironmentVariableA(LPCSTR lpName, LPSTR lpBuffer, DWORD nSize);
DWORD WINAPI GetEnvironmentVariableW(LPCWSTR lpName, LPWSTR lpBuffer, DWORD nSize);
BOOL WINAPI SetEnvironmentVariableA(LPCSTR lpName, LPCSTR lpValue);
BOOL WINAPI SetEnvironmentVariableW(LPCWSTR lpName, LPCWSTR lpValue);

#ifdef UNICODE
#define GetEnvironmentVariable GetEnvironmentVariableW
#define SetEnvironmentVariable SetEnvironmentVariableW
#else
#define GetEnvironmentVariable GetEnvironmentVariableA
#define SetEnvironmentVariable SetEnvironmentVariableA
#endif

#ifdef __cplusplus
}
#endif

#endif /* CONDUIT_WIN32_PROCESSENV_H */
