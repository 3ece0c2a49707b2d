/* conduit/win32/strsafe.h: the SDK's safe string functions.
 *
 *   TCHAR reply[BUFSIZE];
 *   if (FAILED(StringCchCopy(reply, BUFSIZE, TEXT("default answer from server"))))
 *     ...
 *   StringCchPrintf(reply, BUFSIZE, TEXT("%d clients"), count);
 *
 * As in the SDK, these are inline functions in this header, for CHAR (A) and
 * WCHAR (W), with the unsuffixed names following UNICODE. They return an
 * HRESULT: S_OK; STRSAFE_E_INSUFFICIENT_BUFFER when the result was cut to
 * fit (the destination then holds as much as fits, always NUL-terminated);
 * STRSAFE_E_INVALID_PARAMETER for a size of 0 or over STRSAFE_MAX_CCH, for a
 * destination of StringCchCat that is not NUL-terminated within its size,
 * and for a StringCchLength string with no NUL within its maximum. Cch sizes
 * count characters, Cb sizes bytes (rounded down to whole characters).
 * StringCchPrintf formats as the Microsoft C runtime does (%s is of the
 * function's own width, %S of the other; see winuser_text.h). */
#ifndef CONDUIT_WIN32_STRSAFE_H
#define CONDUIT_WIN32_STRSAFE_H

#include <stdarg.h>
#include <stddef.h>

#include "wchar16.h"
#include "windows.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifndef _HRESULT_DEFINED
#define _HRESULT_DEFINED
typedef LONG HRESULT;
#endif
#ifndef S_OK
#define S_OK ((HRESULT)0L)
#endif
#ifndef SUCCEEDED
#define SUCCEEDED(hr) (((HRESULT)(hr)) >= 0)
#endif
#ifndef FAILED
#define FAILED(hr) (((HRESULT)(hr)) < 0)
#endif
#define STRSAFE_MAX_CCH 2147483647
#define STRSAFE_E_INSUFFICIENT_BUFFER ((HRESULT)0x8007007AL)
#define STRSAFE_E_INVALID_PARAMETER ((HRESULT)0x80070057L)
#define STRSAFE_E_END_OF_FILE ((HRESULT)0x80070026L)

typedef char* STRSAFE_LPSTR;
typedef const char* STRSAFE_LPCSTR;
typedef WCHAR* STRSAFE_LPWSTR;
typedef const WCHAR* STRSAFE_LPCWSTR;

#if !defined(__SIZEOF_WCHAR_T__) || __SIZEOF_WCHAR_T__ != 2
/* wchar16.h declares it with wchar_t when that is 16 bits. */
int _vsnwprintf(WCHAR* buffer, size_t count, const WCHAR* format, va_list args);
#endif

/* The workers, one per width: T is the character type, S the suffix. */
#define CONDUIT_STRSAFE_DEFINE(T, S, vformat)                                                     \
  static inline HRESULT StringCchLength##S(const T* psz, size_t cchMax, size_t* pcchLength) {     \
    size_t n = 0;                                                                                 \
    if (!psz || cchMax > STRSAFE_MAX_CCH) {                                                       \
      if (pcchLength) *pcchLength = 0;                                                            \
      return STRSAFE_E_INVALID_PARAMETER;                                                         \
    }                                                                                             \
    while (n < cchMax && psz[n]) ++n;                                                             \
    if (n == cchMax) {                                                                            \
      if (pcchLength) *pcchLength = 0;                                                            \
      return STRSAFE_E_INVALID_PARAMETER;                                                         \
    }                                                                                             \
    if (pcchLength) *pcchLength = n;                                                              \
    return S_OK;                                                                                  \
  }                                                                                               \
  static inline HRESULT StringCchCopyN##S(T* pszDest, size_t cchDest, const T* pszSrc,            \
                                          size_t cchToCopy) {                                     \
    size_t n = 0;                                                                                 \
    if (cchDest == 0 || cchDest > STRSAFE_MAX_CCH || cchToCopy > STRSAFE_MAX_CCH)                 \
      return STRSAFE_E_INVALID_PARAMETER;                                                         \
    while (n < cchToCopy && pszSrc[n]) {                                                          \
      if (n + 1 == cchDest) {                                                                     \
        pszDest[n] = 0;                                                                           \
        return STRSAFE_E_INSUFFICIENT_BUFFER;                                                     \
      }                                                                                           \
      pszDest[n] = pszSrc[n];                                                                     \
      ++n;                                                                                        \
    }                                                                                             \
    pszDest[n] = 0;                                                                               \
    return S_OK;                                                                                  \
  }                                                                                               \
  static inline HRESULT StringCchCopy##S(T* pszDest, size_t cchDest, const T* pszSrc) {           \
    return StringCchCopyN##S(pszDest, cchDest, pszSrc, STRSAFE_MAX_CCH);                          \
  }                                                                                               \
  static inline HRESULT StringCchCatN##S(T* pszDest, size_t cchDest, const T* pszSrc,             \
                                         size_t cchToAppend) {                                    \
    size_t used = 0;                                                                              \
    if (cchDest == 0 || cchDest > STRSAFE_MAX_CCH ||                                              \
        FAILED(StringCchLength##S(pszDest, cchDest, &used)))                                      \
      return STRSAFE_E_INVALID_PARAMETER;                                                         \
    return StringCchCopyN##S(pszDest + used, cchDest - used, pszSrc, cchToAppend);                \
  }                                                                                               \
  static inline HRESULT StringCchCat##S(T* pszDest, size_t cchDest, const T* pszSrc) {            \
    return StringCchCatN##S(pszDest, cchDest, pszSrc, STRSAFE_MAX_CCH);                           \
  }                                                                                               \
  static inline HRESULT StringCchVPrintf##S(T* pszDest, size_t cchDest, const T* pszFormat,       \
                                            va_list argList) {                                    \
    int n;                                                                                        \
    if (cchDest == 0 || cchDest > STRSAFE_MAX_CCH) return STRSAFE_E_INVALID_PARAMETER;            \
    n = vformat(pszDest, cchDest - 1, pszFormat, argList);                                        \
    pszDest[cchDest - 1] = 0;                                                                     \
    /* -1: longer than cchDest - 1, cut there */                                                  \
    if (n < 0) return STRSAFE_E_INSUFFICIENT_BUFFER;                                              \
    pszDest[n] = 0;                                                                               \
    return S_OK;                                                                                  \
  }                                                                                               \
  static inline HRESULT StringCchPrintf##S(T* pszDest, size_t cchDest, const T* pszFormat, ...) { \
    HRESULT hr;                                                                                   \
    va_list argList;                                                                              \
    va_start(argList, pszFormat);                                                                 \
    hr = StringCchVPrintf##S(pszDest, cchDest, pszFormat, argList);                               \
    va_end(argList);                                                                              \
    return hr;                                                                                    \
  }                                                                                               \
  static inline HRESULT StringCbLength##S(const T* psz, size_t cbMax, size_t* pcbLength) {        \
    size_t cch = 0;                                                                               \
    HRESULT hr = StringCchLength##S(psz, cbMax / sizeof(T), &cch);                                \
    if (pcbLength) *pcbLength = SUCCEEDED(hr) ? cch * sizeof(T) : 0;                              \
    return hr;                                                                                    \
  }                                                                                               \
  static inline HRESULT StringCbCopy##S(T* pszDest, size_t cbDest, const T* pszSrc) {             \
    return StringCchCopy##S(pszDest, cbDest / sizeof(T), pszSrc);                                 \
  }                                                                                               \
  static inline HRESULT StringCbCopyN##S(T* pszDest, size_t cbDest, const T* pszSrc,              \
                                         size_t cbToCopy) {                                       \
    return StringCchCopyN##S(pszDest, cbDest / sizeof(T), pszSrc, cbToCopy / sizeof(T));          \
  }                                                                                               \
  static inline HRESULT StringCbCat##S(T* pszDest, size_t cbDest, const T* pszSrc) {              \
    return StringCchCat##S(pszDest, cbDest / sizeof(T), pszSrc);                                  \
  }                                                                                               \
  static inline HRESULT StringCbCatN##S(T* pszDest, size_t cbDest, const T* pszSrc,               \
                                        size_t cbToAppend) {                                      \
    return StringCchCatN##S(pszDest, cbDest / sizeof(T), pszSrc, cbToAppend / sizeof(T));         \
  }                                                                                               \
  static inline HRESULT StringCbVPrintf##S(T* pszDest, size_t cbDest, const T* pszFormat,         \
                                           va_list argList) {                                     \
    return StringCchVPrintf##S(pszDest, cbDest / sizeof(T), pszFormat, argList);                  \
  }                                                                                               \
  static inline HRESULT StringCbPrintf##S(T* pszDest, size_t cbDest, const T* pszFormat, ...) {   \
    HRESULT hr;                                                                                   \
    va_list argList;                                                                              \
    va_start(argList, pszFormat);                                                                 \
    hr = StringCchVPrintf##S(pszDest, cbDest / sizeof(T), pszFormat, argList);                    \
    va_end(argList);                                                                              \
    return hr;                                                                                    \
  }

CONDUIT_STRSAFE_DEFINE(char, A, _vsnprintf)
CONDUIT_STRSAFE_DEFINE(WCHAR, W, _vsnwprintf)
#undef CONDUIT_STRSAFE_DEFINE

#ifdef UNICODE
#define StringCchLength StringCchLengthW
#define StringCchCopy StringCchCopyW
#define StringCchCopyN StringCchCopyNW
#define StringCchCat StringCchCatW
#define StringCchCatN StringCchCatNW
#define StringCchPrintf StringCchPrintfW
#define StringCchVPrintf StringCchVPrintfW
#define StringCbLength StringCbLengthW
#define StringCbCopy StringCbCopyW
#define StringCbCopyN StringCbCopyNW
#define StringCbCat StringCbCatW
#define StringCbCatN StringCbCatNW
#define StringCbPrintf StringCbPrintfW
#define StringCbVPrintf StringCbVPrintfW
#else
#define StringCchLength StringCchLengthA
#define StringCchCopy StringCchCopyA
#define StringCchCopyN StringCchCopyNA
#define StringCchCat StringCchCatA
#define StringCchCatN StringCchCatNA
#define StringCchPrintf StringCchPrintfA
#define StringCchVPrintf StringCchVPrintfA
#define StringCbLength StringCbLengthA
#define StringCbCopy StringCbCopyA
#define StringCbCopyN StringCbCopyNA
#define StringCbCat StringCbCatA
#define StringCbCatN StringCbCatNA
#define StringCbPrintf StringCbPrintfA
#define StringCbVPrintf StringCbVPrintfA
#endif

#ifdef __cplusplus
}
#endif

#endif /* CONDUIT_WIN32_STRSAFE_H */
