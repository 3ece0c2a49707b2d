// MultiByteToWideChar and WideCharToMultiByte: UTF-8 is every code page here.
#include <cstring>
#include <string_view>

#include "conduit/win32/windows.h"
#include "win32/api_guard.hpp"
#include "win32/text.hpp"

namespace {

bool is_utf8_page(UINT page) {
  return page == CP_ACP || page == CP_OEMCP || page == CP_THREAD_ACP || page == CP_UTF8;
}

// Stores `converted` as the call's result: its size when `room` is 0, or
// the copy; ERROR_INSUFFICIENT_BUFFER when it does not fit.
template <typename C>
int deliver(const std::basic_string<C>& converted, C* out, int room) {
  if (converted.size() > 0x7FFFFFFF) {
    SetLastError(ERROR_NOT_ENOUGH_MEMORY);
    return 0;
  }
  int size = static_cast<int>(converted.size());
  if (room == 0) return size;
  if (size > room) {
    // Windows fills what fits before it fails.
    std::memcpy(out, converted.data(), static_cast<std::size_t>(room) * sizeof(C));
    SetLastError(ERROR_INSUFFICIENT_BUFFER);
    return 0;
  }
  std::memcpy(out, converted.data(), converted.size() * sizeof(C));
  return size;
}

// Why a conversion is refused before it starts, if it is: the checks both
// directions share, in Windows' order (a bad parameter before bad flags).
DWORD refusal(UINT page, DWORD flags, DWORD allowed_flags, const void* in, int in_size,
              const void* out, int out_size, bool has_default_char) {
  if (!in || in_size == 0 || out_size < 0 || (out_size > 0 && !out) || (out && in == out))
    return ERROR_INVALID_PARAMETER;
  if (!is_utf8_page(page)) return ERROR_INVALID_PARAMETER;
  // UTF-8 has no default character: Windows refuses one.
  if (has_default_char) return ERROR_INVALID_PARAMETER;
  if (flags & ~allowed_flags) return ERROR_INVALID_FLAGS;
  return ERROR_SUCCESS;
}

int multi_byte_to_wide_char(UINT page, DWORD flags, LPCSTR in, int in_size, LPWSTR out,
                            int out_size) {
  if (DWORD error = refusal(page, flags, MB_ERR_INVALID_CHARS, in, in_size, out, out_size, false)) {
    SetLastError(error);
    return 0;
  }
  // -1: through the NUL, which is converted and counted too.
  std::size_t n = in_size < 0 ? std::strlen(in) + 1 : static_cast<std::size_t>(in_size);
  auto converted = conduit::win32::utf8_to_utf16({in, n}, flags & MB_ERR_INVALID_CHARS);
  if (!converted) {
    SetLastError(ERROR_NO_UNICODE_TRANSLATION);
    return 0;
  }
  return deliver(*converted, reinterpret_cast<char16_t*>(out), out_size);
}

int wide_char_to_multi_byte(UINT page, DWORD flags, LPCWSTR in, int in_size, LPSTR out,
                            int out_size, LPCSTR default_char, LPBOOL used_default) {
  if (DWORD error = refusal(page, flags, WC_ERR_INVALID_CHARS, in, in_size, out, out_size,
                            default_char || used_default)) {
    SetLastError(error);
    return 0;
  }
  auto* units = reinterpret_cast<const char16_t*>(in);
  std::size_t n =
      in_size < 0 ? conduit::win32::wide_length(units) + 1 : static_cast<std::size_t>(in_size);
  auto converted = conduit::win32::utf16_to_utf8({units, n}, flags & WC_ERR_INVALID_CHARS);
  if (!converted) {
    SetLastError(ERROR_NO_UNICODE_TRANSLATION);
    return 0;
  }
  return deliver(*converted, out, out_size);
}

}  // namespace

extern "C" {

int WINAPI MultiByteToWideChar(UINT page, DWORD flags, LPCSTR in, int in_size, LPWSTR out,
                               int out_size) {
  return conduit::win32::guarded(
      0, [&] { return multi_byte_to_wide_char(page, flags, in, in_size, out, out_size); });
}

int WINAPI WideCharToMultiByte(UINT page, DWORD flags, LPCWSTR in, int in_size, LPSTR out,
                               int out_size, LPCSTR default_char, LPBOOL used_default) {
  return conduit::win32::guarded(0, [&] {
    return wide_char_to_multi_byte(page, flags, in, in_size, out, out_size, default_char,
                                   used_default);
  });
}

}  // extern "C"
