/* conduit/win32/wchar16.h: the C library's wide-character functions for
 * programs built with -fshort-wchar (UNICODE builds, docs/win32-programs.md).
 *
 * glibc's wide functions (wprintf, wcslen, ...) were built for a 32-bit
 * wchar_t and misread the 16-bit strings of a -fshort-wchar program. When
 * wchar_t is 16 bits, this header (which windows.h and tchar.h include)
 * therefore makes those names conduit's own 16-bit versions, by macros:
 *
 *   wprintf(L"%s has %d bytes\n", name, n);   // conduit_wprintf: UTF-16 in, UTF-8 out
 *
 * The printf family gives %s, %S, %hs, %ls, %c, %C the Microsoft C runtime's
 * meanings (see winuser_text.h's wsprintf) and writes UTF-8. It also has the
 * Microsoft-only _snwprintf and _vsnwprintf (and the narrow _snprintf and
 * _vsnprintf): they return -1 when the text is longer than the count, and
 * end it with a NUL only when it is shorter. _wcsicmp and _wcsnicmp fold
 * ASCII letters only.
 *
 * Because these are macros, std::wcslen and the like name them too when
 * <cwchar> comes first (as this header sees to); still, prefer the
 * unqualified names. <wchar.h>, <stdio.h>, <stdlib.h>, <string.h> (and in
 * C++ <cwchar>) are included first so that their declarations keep the
 * standard names. The functions exist whatever the build; this
 * header declares them only when wchar_t is 16 bits. */
#ifndef CONDUIT_WIN32_WCHAR16_H
#define CONDUIT_WIN32_WCHAR16_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#ifdef __cplusplus
/* <cwchar> #undefs the wide names (libstdc++ does, to declare std:: ones):
 * taken first, a later #include of it, or of <string> or <iostream>, leaves
 * the macros below alone. */
#include <cwchar>
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Narrow, with the Microsoft meanings (%S is a 16-bit string). */
int _snprintf(char* buffer, size_t count, const char* format, ...);
int _vsnprintf(char* buffer, size_t count, const char* format, va_list args);

#if defined(__SIZEOF_WCHAR_T__) && __SIZEOF_WCHAR_T__ == 2

int _snwprintf(wchar_t* buffer, size_t count, const wchar_t* format, ...);
int _vsnwprintf(wchar_t* buffer, size_t count, const wchar_t* format, va_list args);
int _wcsicmp(const wchar_t* a, const wchar_t* b);
int _wcsnicmp(const wchar_t* a, const wchar_t* b, size_t n);
int _wtoi(const wchar_t* text);
long _wtol(const wchar_t* text);
wchar_t* _wcsdup(const wchar_t* text);
FILE* _wfopen(const wchar_t* path, const wchar_t* mode);
int _putws(const wchar_t* text);

int conduit_wprintf(const wchar_t* format, ...);
int conduit_vwprintf(const wchar_t* format, va_list args);
int conduit_fwprintf(FILE* stream, const wchar_t* format, ...);
int conduit_vfwprintf(FILE* stream, const wchar_t* format, va_list args);
int conduit_swprintf(wchar_t* buffer, size_t count, const wchar_t* format, ...);
int conduit_vswprintf(wchar_t* buffer, size_t count, const wchar_t* format, va_list args);
int conduit_fputws(const wchar_t* text, FILE* stream);
size_t conduit_wcslen(const wchar_t* text);
wchar_t* conduit_wcscpy(wchar_t* to, const wchar_t* from);
wchar_t* conduit_wcsncpy(wchar_t* to, const wchar_t* from, size_t n);
wchar_t* conduit_wcscat(wchar_t* to, const wchar_t* from);
wchar_t* conduit_wcsncat(wchar_t* to, const wchar_t* from, size_t n);
int conduit_wcscmp(const wchar_t* a, const wchar_t* b);
int conduit_wcsncmp(const wchar_t* a, const wchar_t* b, size_t n);
wchar_t* conduit_wcschr(const wchar_t* text, wchar_t c);
wchar_t* conduit_wcsrchr(const wchar_t* text, wchar_t c);
wchar_t* conduit_wcsstr(const wchar_t* text, const wchar_t* part);
long conduit_wcstol(const wchar_t* text, wchar_t** end, int base);
unsigned long conduit_wcstoul(const wchar_t* text, wchar_t** end, int base);

#ifdef __cplusplus
} /* extern "C" */
/* std::wcslen and the like, as libstdc++'s own headers name them, become
 * these too. */
namespace std {
using ::conduit_fputws;
using ::conduit_fwprintf;
using ::conduit_swprintf;
using ::conduit_vfwprintf;
using ::conduit_vswprintf;
using ::conduit_vwprintf;
using ::conduit_wcscat;
using ::conduit_wcschr;
using ::conduit_wcscmp;
using ::conduit_wcscpy;
using ::conduit_wcslen;
using ::conduit_wcsncat;
using ::conduit_wcsncmp;
using ::conduit_wcsncpy;
using ::conduit_wcsrchr;
using ::conduit_wcsstr;
using ::conduit_wcstol;
using ::conduit_wcstoul;
using ::conduit_wprintf;
}  // namespace std
extern "C" {
#endif

#define wprintf conduit_wprintf
#define vwprintf conduit_vwprintf
#define fwprintf conduit_fwprintf
#define vfwprintf conduit_vfwprintf
#define swprintf conduit_swprintf
#define vswprintf conduit_vswprintf
#define fputws conduit_fputws
#define wcslen conduit_wcslen
#define wcscpy conduit_wcscpy
#define wcsncpy conduit_wcsncpy
#define wcscat conduit_wcscat
#define wcsncat conduit_wcsncat
#define wcscmp conduit_wcscmp
#define wcsncmp conduit_wcsncmp
#define wcschr conduit_wcschr
#define wcsrchr conduit_wcsrchr
#define wcsstr conduit_wcsstr
#define wcstol conduit_wcstol
#define wcstoul conduit_wcstoul

#endif /* 16-bit wchar_t */

#ifdef __cplusplus
}
#endif

#endif /* CONDUIT_WIN32_WCHAR16_H */
