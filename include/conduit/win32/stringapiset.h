/* conduit/win32/stringapiset.h: MultiByteToWideChar and WideCharToMultiByte.
 *
 * The narrow ("ANSI") code page of this platform is UTF-8: CP_ACP, CP_OEMCP,
 * CP_THREAD_ACP and CP_UTF8 all mean UTF-8, and no other code page exists
 * here (ERROR_INVALID_PARAMETER).
 *
 *   int n = MultiByteToWideChar(CP_UTF8, 0, "caf\xc3\xa9", -1, NULL, 0); // 5, with the NUL
 *   WCHAR wide[5];
 *   MultiByteToWideChar(CP_UTF8, 0, "caf\xc3\xa9", -1, wide, n);
 *
 * As on Windows: a length of -1 converts through the NUL and counts it; an
 * output size of 0 returns the size needed; a too-small output fails with
 * ERROR_INSUFFICIENT_BUFFER. Invalid input becomes U+FFFD (one per bad byte;
 * one per unpaired surrogate), or fails with ERROR_NO_UNICODE_TRANSLATION
 * under MB_ERR_INVALID_CHARS / WC_ERR_INVALID_CHARS. Other flags fail with
 * ERROR_INVALID_FLAGS, as Windows does for UTF-8; a default character
 * (lpDefaultChar, lpUsedDefaultChar) with UTF-8 fails with
 * ERROR_INVALID_PARAMETER. */
#ifndef CONDUIT_WIN32_STRINGAPISET_H
#define CONDUIT_WIN32_STRINGAPISET_H

#ifdef __cplusplus
extern "C" {
#endif

#define CP_ACP 0
#define CP_OEMCP 1
#define CP_MACCP 2
#define CP_THREAD_ACP 3
#define CP_UTF8 65001
#define MB_PRECOMPOSED 0x00000001
#define MB_COMPOSITE 0x00000002
#define MB_USEGLYPHCHARS 0x00000004
#define MB_ERR_INVALID_CHARS 0x00000008
#define WC_COMPOSITECHECK 0x00000200
#define WC_DISCARDNS 0x00000010
#define WC_SEPCHARS 0x00000020
#define WC_DEFAULTCHAR 0x00000040
#define WC_ERR_INVALID_CHARS 0x00000080
#define WC_NO_BEST_FIT_CHARS 0x00000400
#define ERROR_INVALID_FLAGS 1004L
#define ERROR_NO_UNICODE_TRANSLATION 1113L

int WINAPI MultiByteToWideChar(UINT CodePage, DWORD dwFlags, LPCSTR lpMultiByteStr, int cbMultiByte,
                               LPWSTR lpWideCharStr, int cchWideChar);
int WINAPI WideCharToMultiByte(UINT CodePage, DWORD dwFlags, LPCWSTR lpWideCharStr, int cchWideChar,
                               LPSTR lpMultiByteStr, int cbMultiByte, LPCSTR lpDefaultChar,
                               LPBOOL lpUsedDefaultChar);

#ifdef __cplusplus
}
#endif

#endif /* CONDUIT_WIN32_STRINGAPISET_H */
