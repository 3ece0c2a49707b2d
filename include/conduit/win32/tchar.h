/* conduit/win32/tchar.h: the SDK's generic-text mappings.
 *
 *   #include <windows.h>
 *   #include <tchar.h>
 *
 *   int _tmain(int argc, TCHAR* argv[]) {
 *     _tprintf(_T("%s has %d arguments\n"), argv[0], argc - 1);
 *     return 0;
 *   }
 *
 * Without _UNICODE the _t names are the narrow C functions (printf, strlen,
 * ...) and _tmain is main. With _UNICODE (the one supported way: pkg-config
 * conduit-win32-unicode, which adds -DUNICODE -D_UNICODE -fshort-wchar) they
 * are the wide ones of wchar16.h, 16-bit as on Windows, and _tmain is wmain:
 * the conduit-win32-main library (in that pkg-config file's Libs) has a
 * main() that converts the UTF-8 arguments to UTF-16 and calls the
 * program's wmain, whichever way it is declared (int wmain(int, wchar_t**),
 * int wmain(void), void wmain(), with envp too), in C or C++.
 *
 * _UNICODE without -fshort-wchar is refused: glibc's 32-bit wide functions
 * cannot serve 16-bit strings. */
#ifndef CONDUIT_WIN32_TCHAR_H
#define CONDUIT_WIN32_TCHAR_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(_UNICODE) && !defined(UNICODE)
#define UNICODE
#endif
#if defined(UNICODE) && !defined(_UNICODE)
#define _UNICODE
#endif

#ifdef _UNICODE

#if !defined(__SIZEOF_WCHAR_T__) || __SIZEOF_WCHAR_T__ != 2
#error \
    "UNICODE builds need a 16-bit wchar_t: build with -fshort-wchar (pkg-config conduit-win32-unicode)"
#endif

#include "wchar16.h"

typedef wchar_t _TCHAR;
typedef wchar_t _TSCHAR;
typedef wchar_t _TUCHAR;
typedef wchar_t _TXCHAR;
typedef unsigned int _TINT;
#define __T(x) L##x
#define _TEOF WEOF

#define _tmain wmain
#define _tenviron _wenviron
#define _tprintf wprintf
#define _vtprintf vwprintf
#define _ftprintf fwprintf
#define _vftprintf vfwprintf
#define _stprintf swprintf
#define _vstprintf vswprintf
#define _sntprintf _snwprintf
#define _vsntprintf _vsnwprintf
#define _fputts fputws
#define _putts _putws
#define _tfopen _wfopen
#define _tcslen wcslen
#define _tcscpy wcscpy
#define _tcsncpy wcsncpy
#define _tcscat wcscat
#define _tcsncat wcsncat
#define _tcscmp wcscmp
#define _tcsncmp wcsncmp
#define _tcsicmp _wcsicmp
#define _tcsnicmp _wcsnicmp
#define _tcschr wcschr
#define _tcsrchr wcsrchr
#define _tcsstr wcsstr
#define _tcstol wcstol
#define _tcstoul wcstoul
#define _ttoi _wtoi
#define _ttol _wtol
#define _tstoi _wtoi
#define _tcsdup _wcsdup

#else /* narrow */

typedef char _TCHAR;
typedef signed char _TSCHAR;
typedef unsigned char _TUCHAR;
typedef char _TXCHAR;
typedef int _TINT;
#define __T(x) x
#define _TEOF EOF

#define _tmain main
#define _tprintf printf
#define _vtprintf vprintf
#define _ftprintf fprintf
#define _vftprintf vfprintf
#define _stprintf sprintf
#define _vstprintf vsprintf
#define _sntprintf _snprintf
#define _vsntprintf _vsnprintf
#define _fputts fputs
#define _putts puts
#define _tfopen fopen
#define _tcslen strlen
#define _tcscpy strcpy
#define _tcsncpy strncpy
#define _tcscat strcat
#define _tcsncat strncat
#define _tcscmp strcmp
#define _tcsncmp strncmp
#define _tcsicmp strcasecmp
#define _tcsnicmp strncasecmp
#define _tcschr strchr
#define _tcsrchr strrchr
#define _tcsstr strstr
#define _tcstol strtol
#define _tcstoul strtoul
#define _ttoi atoi
#define _ttol atol
#define _tstoi atoi
#define _tcsdup strdup

/* _sntprintf/_vsntprintf (Microsoft's _snprintf) */
#include <strings.h>
#include "wchar16.h"

#endif

#define _T(x) __T(x)
#define _TEXT(x) __T(x)

#endif /* CONDUIT_WIN32_TCHAR_H */
