/* conduit/win32/winuser_text.h: what winuser.h gives console programs:
 * wsprintf and MessageBox.
 *
 * wsprintfA/W format as the Microsoft C runtime does (%s is a string of the
 * function's own width, %S of the other, %hs narrow, %ls wide, `l` is 32
 * bits) and write at most 1024 characters with the NUL, the buffer size
 * Windows assumes (what is longer is cut there). They return the characters
 * written without the NUL. Windows' wsprintf has no floating point; here %f
 * and its kin work as in printf.
 *
 * MessageBox has no one to ask here: it writes "Caption: text" and a newline
 * to standard error (the caption "Error" when NULL) and returns the default
 * button's ID (the first button unless MB_DEFBUTTON2/3 say otherwise, e.g.
 * IDOK for MB_OK, IDYES for MB_YESNO). */
#ifndef CONDUIT_WIN32_WINUSER_TEXT_H
#define CONDUIT_WIN32_WINUSER_TEXT_H

#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef WINAPIV
#define WINAPIV
#endif
typedef HANDLE HWND;

int WINAPIV wsprintfA(LPSTR lpOut, LPCSTR lpFmt, ...);
int WINAPIV wsprintfW(LPWSTR lpOut, LPCWSTR lpFmt, ...);
int WINAPI wvsprintfA(LPSTR lpOut, LPCSTR lpFmt, va_list arglist);
int WINAPI wvsprintfW(LPWSTR lpOut, LPCWSTR lpFmt, va_list arglist);

#define MB_OK 0x00000000L
#define MB_OKCANCEL 0x00000001L
#define MB_ABORTRETRYIGNORE 0x00000002L
#define MB_YESNOCANCEL 0x00000003L
#define MB_YESNO 0x00000004L
#define MB_RETRYCANCEL 0x00000005L
#define MB_CANCELTRYCONTINUE 0x00000006L
#define MB_ICONHAND 0x00000010L
#define MB_ICONQUESTION 0x00000020L
#define MB_ICONEXCLAMATION 0x00000030L
#define MB_ICONASTERISK 0x00000040L
#define MB_ICONERROR MB_ICONHAND
#define MB_ICONSTOP MB_ICONHAND
#define MB_ICONWARNING MB_ICONEXCLAMATION
#define MB_ICONINFORMATION MB_ICONASTERISK
#define MB_DEFBUTTON1 0x00000000L
#define MB_DEFBUTTON2 0x00000100L
#define MB_DEFBUTTON3 0x00000200L
#define MB_APPLMODAL 0x00000000L
#define MB_SYSTEMMODAL 0x00001000L
#define MB_TASKMODAL 0x00002000L
#define MB_SETFOREGROUND 0x00010000L
#define MB_TOPMOST 0x00040000L
#define IDOK 1
#define IDCANCEL 2
#define IDABORT 3
#define IDRETRY 4
#define IDIGNORE 5
#define IDYES 6
#define IDNO 7
#define IDTRYAGAIN 10
#define IDCONTINUE 11

int WINAPI MessageBoxA(HWND hWnd, LPCSTR lpText, LPCSTR lpCaption, UINT uType);
int WINAPI MessageBoxW(HWND hWnd, LPCWSTR lpText, LPCWSTR lpCaption, UINT uType);

#ifdef UNICODE
#define wsprintf wsprintfW
#define wvsprintf wvsprintfW
#define MessageBox MessageBoxW
#else
#define wsprintf wsprintfA
#define wvsprintf wvsprintfA
#define MessageBox MessageBoxA
#endif

#ifdef __cplusplus
}
#endif

#endif /* CONDUIT_WIN32_WINUSER_TEXT_H */
