// wsprintf and wvsprintf (A and W): the CRT's formatting into a buffer of
// the 1024 characters Windows assumes.
#include <cstdarg>

#include "conduit/win32/windows.h"
#include "win32/api_guard.hpp"
#include "win32/ms_format.hpp"

namespace {

constexpr std::size_t wsprintf_limit = 1024;

template <typename C>
int format_into(C* out, const C* format, va_list list) {
  if (!out || !format) {
    SetLastError(ERROR_INVALID_PARAMETER);
    return -1;
  }
  conduit::win32::va_arguments args(list);
  auto text = conduit::win32::ms_format(format, args);
  if (!text) {
    out[0] = 0;
    SetLastError(ERROR_INVALID_PARAMETER);
    return -1;
  }
  conduit::win32::copy_truncated(*text, out, wsprintf_limit);
  return static_cast<int>(text->size() < wsprintf_limit ? text->size() : wsprintf_limit - 1);
}

}  // namespace

extern "C" {

int WINAPI wvsprintfA(LPSTR out, LPCSTR format, va_list list) {
  return conduit::win32::guarded(-1, [&] { return format_into(out, format, list); });
}

int WINAPI wvsprintfW(LPWSTR out, LPCWSTR format, va_list list) {
  return conduit::win32::guarded(-1, [&] {
    return format_into(reinterpret_cast<char16_t*>(out), reinterpret_cast<const char16_t*>(format),
                       list);
  });
}

int WINAPIV wsprintfA(LPSTR out, LPCSTR format, ...) {
  va_list list;
  va_start(list, format);
  int n = wvsprintfA(out, format, list);
  va_end(list);
  return n;
}

int WINAPIV wsprintfW(LPWSTR out, LPCWSTR format, ...) {
  va_list list;
  va_start(list, format);
  int n = wvsprintfW(out, format, list);
  va_end(list);
  return n;
}

}  // extern "C"
