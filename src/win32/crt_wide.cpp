// The C library's wide functions for 16-bit wchar_t programs, and the
// Microsoft-only printf variants (include/conduit/win32/wchar16.h). Here
// wchar_t is glibc's 32-bit one, so the 16-bit strings are char16_t.
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include "win32/ms_format.hpp"
#include "win32/text.hpp"

namespace {

using conduit::win32::ms_format;
using conduit::win32::va_arguments;
using conduit::win32::wide_length;
using wide = char16_t;

// What the C library does when memory runs out: errno ENOMEM and the
// function's failure value, not an exception into a C caller.
template <typename R, typename F>
R or_enomem(R failed, F&& body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    errno = ENOMEM;
    return failed;
  }
}

// _snprintf/_snwprintf: up to `count` units; a NUL only if there is room;
// -1 when the text is longer than `count`.
template <typename C>
int print_counted(C* buffer, std::size_t count, const C* format, va_list list) {
  if (!format || (!buffer && count)) {
    errno = EINVAL;
    return -1;
  }
  va_arguments args(list);
  auto text = ms_format(format, args);
  if (!text) {
    errno = EINVAL;
    return -1;
  }
  std::size_t n = text->size() < count ? text->size() : count;
  std::memcpy(buffer, text->data(), n * sizeof(C));
  if (n < count) buffer[n] = 0;
  return text->size() <= count ? static_cast<int>(text->size()) : -1;
}

int print_to(FILE* stream, const wide* format, va_list list) {
  if (!stream || !format) {
    errno = EINVAL;
    return -1;
  }
  va_arguments args(list);
  auto text = ms_format(format, args);
  if (!text) {
    errno = EINVAL;
    return -1;
  }
  std::string out = *conduit::win32::utf16_to_utf8(*text, false);
  if (std::fwrite(out.data(), 1, out.size(), stream) != out.size()) return -1;
  return static_cast<int>(text->size());
}

std::string narrow(const wide* text) {
  return *conduit::win32::utf16_to_utf8({text, wide_length(text)}, false);
}

char16_t fold(char16_t c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char16_t>(c + 32) : c;
}

int compare(const wide* a, const wide* b, std::size_t n, bool ignore_case) {
  for (std::size_t i = 0; i < n; ++i) {
    char16_t x = ignore_case ? fold(a[i]) : a[i];
    char16_t y = ignore_case ? fold(b[i]) : b[i];
    if (x != y) return x < y ? -1 : 1;
    if (!x) return 0;
  }
  return 0;
}

// wcstol/wcstoul: the number's ASCII digits through strtol.
template <typename T, typename F>
T convert_number(const wide* text, wide** end, int base, F convert) {
  std::string digits;
  std::size_t i = 0;
  while (text[i] && text[i] < 0x80) digits += static_cast<char>(text[i++]);
  char* stop = nullptr;
  T value = convert(digits.c_str(), &stop, base);
  if (end) *end = const_cast<wide*>(text + (stop - digits.c_str()));
  return value;
}

}  // namespace

extern "C" {

int _vsnprintf(char* buffer, std::size_t count, const char* format, va_list list) {
  return or_enomem(-1, [&] { return print_counted(buffer, count, format, list); });
}

int _snprintf(char* buffer, std::size_t count, const char* format, ...) {
  va_list list;
  va_start(list, format);
  int n = _vsnprintf(buffer, count, format, list);
  va_end(list);
  return n;
}

int _vsnwprintf(wide* buffer, std::size_t count, const wide* format, va_list list) {
  return or_enomem(-1, [&] { return print_counted(buffer, count, format, list); });
}

int _snwprintf(wide* buffer, std::size_t count, const wide* format, ...) {
  va_list list;
  va_start(list, format);
  int n = _vsnwprintf(buffer, count, format, list);
  va_end(list);
  return n;
}

int conduit_vfwprintf(FILE* stream, const wide* format, va_list list) {
  return or_enomem(-1, [&] { return print_to(stream, format, list); });
}

int conduit_fwprintf(FILE* stream, const wide* format, ...) {
  va_list list;
  va_start(list, format);
  int n = conduit_vfwprintf(stream, format, list);
  va_end(list);
  return n;
}

int conduit_vwprintf(const wide* format, va_list list) {
  return print_to(stdout, format, list);
}

int conduit_wprintf(const wide* format, ...) {
  va_list list;
  va_start(list, format);
  int n = conduit_vfwprintf(stdout, format, list);
  va_end(list);
  return n;
}

// The standard swprintf: -1 when the text and its NUL do not fit.
int conduit_vswprintf(wide* buffer, std::size_t count, const wide* format, va_list list) {
  if (!buffer || !count || !format) {
    errno = EINVAL;
    return -1;
  }
  return or_enomem(-1, [&] {
    va_arguments args(list);
    auto text = ms_format(format, args);
    if (!text) {
      buffer[0] = 0;
      errno = EINVAL;
      return -1;
    }
    return conduit::win32::copy_truncated(*text, buffer, count);
  });
}

int conduit_swprintf(wide* buffer, std::size_t count, const wide* format, ...) {
  va_list list;
  va_start(list, format);
  int n = conduit_vswprintf(buffer, count, format, list);
  va_end(list);
  return n;
}

int conduit_fputws(const wide* text, FILE* stream) {
  return or_enomem(EOF, [&] {
    std::string out = narrow(text);
    return std::fwrite(out.data(), 1, out.size(), stream) == out.size() ? 0 : EOF;
  });
}

int _putws(const wide* text) {
  return or_enomem(EOF, [&] {
    std::string out = narrow(text) + "\n";
    return std::fwrite(out.data(), 1, out.size(), stdout) == out.size() ? 0 : EOF;
  });
}

std::size_t conduit_wcslen(const wide* text) {
  return wide_length(text);
}

wide* conduit_wcscpy(wide* to, const wide* from) {
  std::memmove(to, from, (wide_length(from) + 1) * sizeof(wide));
  return to;
}

wide* conduit_wcsncpy(wide* to, const wide* from, std::size_t n) {
  std::size_t i = 0;
  for (; i < n && from[i]; ++i) to[i] = from[i];
  for (; i < n; ++i) to[i] = 0;
  return to;
}

wide* conduit_wcscat(wide* to, const wide* from) {
  conduit_wcscpy(to + wide_length(to), from);
  return to;
}

wide* conduit_wcsncat(wide* to, const wide* from, std::size_t n) {
  wide* end = to + wide_length(to);
  std::size_t i = 0;
  for (; i < n && from[i]; ++i) end[i] = from[i];
  end[i] = 0;
  return to;
}

int conduit_wcscmp(const wide* a, const wide* b) {
  return compare(a, b, SIZE_MAX, false);
}
int conduit_wcsncmp(const wide* a, const wide* b, std::size_t n) {
  return compare(a, b, n, false);
}
int _wcsicmp(const wide* a, const wide* b) {
  return compare(a, b, SIZE_MAX, true);
}
int _wcsnicmp(const wide* a, const wide* b, std::size_t n) {
  return compare(a, b, n, true);
}

wide* conduit_wcschr(const wide* text, wide c) {
  for (;; ++text) {
    if (*text == c) return const_cast<wide*>(text);
    if (!*text) return nullptr;
  }
}

wide* conduit_wcsrchr(const wide* text, wide c) {
  const wide* found = nullptr;
  for (;; ++text) {
    if (*text == c) found = text;
    if (!*text) return const_cast<wide*>(found);
  }
}

wide* conduit_wcsstr(const wide* text, const wide* part) {
  std::size_t n = wide_length(part);
  for (; *text || !n; ++text) {
    if (compare(text, part, n, false) == 0) return const_cast<wide*>(text);
    if (!*text) break;
  }
  return nullptr;
}

long conduit_wcstol(const wide* text, wide** end, int base) {
  return convert_number<long>(text, end, base, std::strtol);
}

unsigned long conduit_wcstoul(const wide* text, wide** end, int base) {
  return convert_number<unsigned long>(text, end, base, std::strtoul);
}

int _wtoi(const wide* text) {
  return static_cast<int>(conduit_wcstol(text, nullptr, 10));
}
long _wtol(const wide* text) {
  return conduit_wcstol(text, nullptr, 10);
}

wide* _wcsdup(const wide* text) {
  std::size_t bytes = (wide_length(text) + 1) * sizeof(wide);
  auto* copy = static_cast<wide*>(std::malloc(bytes));
  if (copy) std::memcpy(copy, text, bytes);
  return copy;
}

FILE* _wfopen(const wide* path, const wide* mode) {
  if (!path || !mode) {
    errno = EINVAL;
    return nullptr;
  }
  return or_enomem(static_cast<FILE*>(nullptr),
                   [&] { return std::fopen(narrow(path).c_str(), narrow(mode).c_str()); });
}

}  // extern "C"
