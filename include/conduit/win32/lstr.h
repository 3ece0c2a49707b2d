/* conduit/win32/lstr.h: winbase.h's lstr* string functions.
 *
 *   TCHAR name[64];
 *   lstrcpyn(name, TEXT("\\\\.\\pipe\\echo"), 64);
 *   DWORD bytes = (lstrlen(name) + 1) * sizeof(TCHAR);
 *
 * lstrlen of NULL is 0. lstrcpyn copies at most n-1 characters and always
 * ends the copy with a NUL (n > 0). lstrcpy, lstrcat and lstrcpyn return
 * the destination, or NULL for a NULL argument. lstrcmp and lstrcmpi compare
 * as Windows' word sort does for letters: case is ignored first ("apple" <
 * "Banana"), and on a tie lower case comes before upper case (lstrcmp("a",
 * "A") < 0); characters that are not letters compare by code point. They
 * return -1, 0 or 1. */
#ifndef CONDUIT_WIN32_LSTR_H
#define CONDUIT_WIN32_LSTR_H

#ifdef __cplusplus
extern "C" {
#endif

int WINAPI lstrlenA(LPCSTR lpString);
int WINAPI lstrlenW(LPCWSTR lpString);
LPSTR WINAPI lstrcpyA(LPSTR lpString1, LPCSTR lpString2);
LPWSTR WINAPI lstrcpyW(LPWSTR lpString1, LPCWSTR lpString2);
LPSTR WINAPI lstrcpynA(LPSTR lpString1, LPCSTR lpString2, int iMaxLength);
LPWSTR WINAPI lstrcpynW(LPWSTR lpString1, LPCWSTR lpString2, int iMaxLength);
LPSTR WINAPI lstrcatA(LPSTR lpString1, LPCSTR lpString2);
LPWSTR WINAPI lstrcatW(LPWSTR lpString1, LPCWSTR lpString2);
int WINAPI lstrcmpA(LPCSTR lpString1, LPCSTR lpString2);
int WINAPI lstrcmpW(LPCWSTR lpString1, LPCWSTR lpString2);
int WINAPI lstrcmpiA(LPCSTR lpString1, LPCSTR lpString2);
int WINAPI lstrcmpiW(LPCWSTR lpString1, LPCWSTR lpString2);

#ifdef UNICODE
#define lstrlen lstrlenW
#define lstrcpy lstrcpyW
#define lstrcpyn lstrcpynW
#define lstrcat lstrcatW
#define lstrcmp lstrcmpW
#define lstrcmpi lstrcmpiW
#else
#define lstrlen lstrlenA
#define lstrcpy lstrcpyA
#define lstrcpyn lstrcpynA
#define lstrcat lstrcatA
#define lstrcmp lstrcmpA
#define lstrcmpi lstrcmpiA
#endif

#ifdef __cplusplus
}
#endif

#endif /* CONDUIT_WIN32_LSTR_H */
