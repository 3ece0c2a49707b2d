/* conduit/win32/formatmessage.h: winbase.h's FormatMessage.
 *
 *   LPTSTR text = NULL;
 *   FormatMessage(FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM |
 *                     FORMAT_MESSAGE_IGNORE_INSERTS,
 *                 NULL, GetLastError(), MAKELANGID(LANG_NEUTRAL, SUBLANG_DEFAULT),
 *                 (LPTSTR)&text, 0, NULL);
 *   ...
 *   LocalFree(text);
 *
 * FORMAT_MESSAGE_FROM_SYSTEM gives conduit's text for the Win32 error codes
 * it reports (the same text as conduit::win32_category().message()), ending
 * with "\r\n" as Windows' system messages do; other codes fail with
 * ERROR_MR_MID_NOT_FOUND. There are no message resources in modules:
 * FORMAT_MESSAGE_FROM_HMODULE without FROM_SYSTEM fails with
 * ERROR_RESOURCE_TYPE_NOT_FOUND. Languages: 0, LANG_NEUTRAL/SUBLANG_DEFAULT
 * (0x400), and the English ones; others fail with
 * ERROR_RESOURCE_LANG_NOT_FOUND.
 *
 * FORMAT_MESSAGE_FROM_STRING formats lpSource. Inserts %1..%99 take their
 * argument from Arguments (a va_list*, or with FORMAT_MESSAGE_ARGUMENT_ARRAY
 * an array of DWORD_PTR), formatted with the printf spec between ! marks
 * (%1!d!, %2!08lX!; default !s!, a string of the function's width); a `*`
 * width or precision takes the next insert number's argument. %0 ends the
 * message without a newline, %n is "\r\n", %t a tab, %r a carriage return,
 * %% %. %! and "% " the character itself; a % that ends the text fails
 * with ERROR_INVALID_PARAMETER. With FORMAT_MESSAGE_IGNORE_INSERTS, inserts
 * and "%%" are copied as they stand (the other escapes still apply). An
 * insert with Arguments NULL fails with ERROR_INVALID_PARAMETER.
 *
 * When the low byte (FORMAT_MESSAGE_MAX_WIDTH_MASK) is 0, each line break in
 * the text (CR LF, LF or CR) becomes CR LF; otherwise a space, and only %n
 * breaks a line (no wrapping at a width is done).
 *
 * Sizes count characters (TCHARs). Without FORMAT_MESSAGE_ALLOCATE_BUFFER
 * the text and its NUL must fit in nSize, or the call fails with
 * ERROR_INSUFFICIENT_BUFFER; with it, *(LPTSTR*)lpBuffer receives a
 * LocalAlloc'd buffer of at least nSize characters (free it with
 * LocalFree). The result is the number of characters stored without the
 * NUL; 0 on failure. */
#ifndef CONDUIT_WIN32_FORMATMESSAGE_H
#define CONDUIT_WIN32_FORMATMESSAGE_H

#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FORMAT_MESSAGE_ALLOCATE_BUFFER 0x00000100
#define FORMAT_MESSAGE_IGNORE_INSERTS 0x00000200
#define FORMAT_MESSAGE_FROM_STRING 0x00000400
#define FORMAT_MESSAGE_FROM_HMODULE 0x00000800
#define FORMAT_MESSAGE_FROM_SYSTEM 0x00001000
#define FORMAT_MESSAGE_ARGUMENT_ARRAY 0x00002000
#define FORMAT_MESSAGE_MAX_WIDTH_MASK 0x000000FF

#define LANG_NEUTRAL 0x00
#define LANG_INVARIANT 0x7f
#define LANG_ENGLISH 0x09
#define SUBLANG_NEUTRAL 0x00
#define SUBLANG_DEFAULT 0x01
#define SUBLANG_SYS_DEFAULT 0x02
#define SUBLANG_ENGLISH_US 0x01
#define SUBLANG_ENGLISH_UK 0x02
#define MAKELANGID(p, s) ((((WORD)(s)) << 10) | (WORD)(p))
#define PRIMARYLANGID(lgid) ((WORD)(lgid)&0x3ff)
#define SUBLANGID(lgid) ((WORD)(lgid) >> 10)
#define LANG_SYSTEM_DEFAULT MAKELANGID(LANG_NEUTRAL, SUBLANG_SYS_DEFAULT)
#define LANG_USER_DEFAULT MAKELANGID(LANG_NEUTRAL, SUBLANG_DEFAULT)

#define ERROR_MR_MID_NOT_FOUND 317L
#define ERROR_RESOURCE_TYPE_NOT_FOUND 1813L
#define ERROR_RESOURCE_LANG_NOT_FOUND 1815L

DWORD WINAPI FormatMessageA(DWORD dwFlags, LPCVOID lpSource, DWORD dwMessageId, DWORD dwLanguageId,
                            LPSTR lpBuffer, DWORD nSize, va_list* Arguments);
DWORD WINAPI FormatMessageW(DWORD dwFlags, LPCVOID lpSource, DWORD dwMessageId, DWORD dwLanguageId,
                            LPWSTR lpBuffer, DWORD nSize, va_list* Arguments);

#ifdef UNICODE
#define FormatMessage FormatMessageW
#else
#define FormatMessage FormatMessageA
#endif

#ifdef __cplusplus
}
#endif

#endif /* CONDUIT_WIN32_FORMATMESSAGE_H */
