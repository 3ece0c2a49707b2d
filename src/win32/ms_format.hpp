// printf-style formatting with the Microsoft C runtime's meanings, for the
// functions programs written for Windows format with: wsprintf, the wide
// printf family of tchar.h, StringCchPrintf and FormatMessage's inserts.
//
// What differs from glibc's printf:
//  - In a wide format, %s and %c take a wide (16-bit) argument and %S and
//    %C a narrow one; in a narrow format it is the other way round. %hs/%hc
//    are always narrow, %ls/%ws/%lc/%wc always wide.
//  - `l` means 32 bits (a Windows long); `ll`, `I64`, `q` 64 bits; `I32` 32
//    bits; `I`, `z`, `t`, `j` the size of a pointer.
//  - %p is 16 upper-case hex digits; a NULL string prints "(null)".
//  - %n is refused: the whole call fails (the CRT's default), as does a
//    width or precision over 1,048,576.
// Narrow strings are UTF-8 (what CP_ACP means here); a wide string converted
// to narrow output, or the other way, goes through UTF-8 <-> UTF-16, with
// U+FFFD for what does not convert.
#pragma once

#include <cstdarg>
#include <cstdint>
#include <optional>
#include <string>

namespace conduit::win32 {

/// Where the conversions take their arguments from.
class format_arguments {
 public:
  virtual ~format_arguments() = default;
  virtual int next_int() = 0;
  virtual std::int64_t next_int64() = 0;
  virtual double next_double() = 0;
  virtual long double next_long_double() = 0;
  virtual const void* next_pointer() = 0;
};

/// Arguments from a va_list (copied: the caller's list is left alone).
class va_arguments final : public format_arguments {
 public:
  explicit va_arguments(va_list list) { va_copy(list_, list); }
  ~va_arguments() override { va_end(list_); }
  va_arguments(const va_arguments&) = delete;
  va_arguments& operator=(const va_arguments&) = delete;
  int next_int() override { return va_arg(list_, int); }
  std::int64_t next_int64() override { return va_arg(list_, std::int64_t); }
  double next_double() override { return va_arg(list_, double); }
  long double next_long_double() override { return va_arg(list_, long double); }
  const void* next_pointer() override { return va_arg(list_, const void*); }

 private:
  va_list list_;
};

/// Formats `format` (NUL-terminated); nullopt when the format is refused.
std::optional<std::string> ms_format(const char* format, format_arguments& args);
std::optional<std::u16string> ms_format(const char16_t* format, format_arguments& args);

/// Copies `text` into `buffer` of `count` units: at most count-1 of them and
/// a NUL. Returns the number copied, or -1 when `text` did not fit (the
/// buffer then holds the truncated text, NUL-terminated, if count > 0).
int copy_truncated(const std::string& text, char* buffer, std::size_t count) noexcept;
int copy_truncated(const std::u16string& text, char16_t* buffer, std::size_t count) noexcept;

}  // namespace conduit::win32
