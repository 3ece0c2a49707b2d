/* conduit/win32/computer_name.h: sysinfoapi.h's GetComputerName.
 *
 *   TCHAR name[MAX_COMPUTERNAME_LENGTH + 1];
 *   DWORD size = MAX_COMPUTERNAME_LENGTH + 1;
 *   GetComputerName(name, &size);
 *
 * The computer's name is the NetBIOS name Windows would give this host: the
 * host name (gethostname) up to its first '.', in upper case, cut to
 * MAX_COMPUTERNAME_LENGTH (15) characters. *nSize is the buffer's size in
 * characters; on success it becomes the length without the NUL; when the
 * buffer is too small the call fails with ERROR_BUFFER_OVERFLOW and *nSize
 * becomes the size needed with the NUL. */
#ifndef CONDUIT_WIN32_COMPUTER_NAME_H
#define CONDUIT_WIN32_COMPUTER_NAME_H

#ifdef __cplusplus
extern "C" {
#endif

#define MAX_COMPUTERNAME_LENGTH 15
#define ERROR_BUFFER_OVERFLOW 111L

BOOL WINAPI GetComputerNameA(LPSTR lpBuffer, LPDWORD nSize);
BOOL WINAPI GetComputerNameW(LPWSTR lpBuffer, LPDWORD nSize);

#ifdef UNICODE
#define GetComputerName GetComputerNameW
#else
#define GetComputerName GetComputerNameA
#endif

#ifdef __cplusplus
}
#endif

#endif /* CONDUIT_WIN32_COMPUTER_NAME_H */
