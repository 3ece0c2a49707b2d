// FormatMessageA/W: conduit's error texts and message strings with inserts.
#include <cstdarg>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "conduit/win32/windows.h"
#include "core/error_text.hpp"
#include "win32/api_guard.hpp"
#include "win32/ms_format.hpp"
#include "win32/text.hpp"

namespace {

using conduit::win32::format_arguments;

// The inserts' arguments: %N is the N-th (from 1). A va_list is read in
// order as far as the highest number asked for, each argument a pointer-
// sized value, as Windows reads it.
class insert_source {
 public:
  insert_source(va_list* list, bool is_array) : list_(list), is_array_(is_array) {}
  bool usable() const { return list_ != nullptr; }
  DWORD_PTR get(int number) {
    if (is_array_) return reinterpret_cast<const DWORD_PTR*>(list_)[number - 1];
    while (static_cast<int>(taken_.size()) < number) taken_.push_back(va_arg(*list_, DWORD_PTR));
    return taken_[static_cast<std::size_t>(number) - 1];
  }

 private:
  va_list* list_;
  bool is_array_;
  std::vector<DWORD_PTR> taken_;
};

// One insert's printf conversion, its arguments numbered from `first`.
class insert_arguments final : public format_arguments {
 public:
  insert_arguments(insert_source& source, int first) : source_(source), next_(first) {}
  int next_int() override { return static_cast<int>(take()); }
  std::int64_t next_int64() override { return static_cast<std::int64_t>(take()); }
  // Windows has no floating point in inserts.
  double next_double() override { return 0; }
  long double next_long_double() override { return 0; }
  const void* next_pointer() override { return reinterpret_cast<const void*>(take()); }

 private:
  DWORD_PTR take() { return source_.get(next_ > 99 ? 99 : next_++); }
  insert_source& source_;
  int next_;
};

struct format_failure {
  DWORD error;
};

template <typename C>
std::basic_string<C> ascii(const char* text) {
  std::basic_string<C> out;
  while (*text) out += static_cast<C>(*text++);
  return out;
}

// Expands the escapes and inserts of `text` as FormatMessage does.
template <typename C>
std::basic_string<C> expand(const C* text, DWORD flags, insert_source& source) {
  const bool ignore_inserts = flags & FORMAT_MESSAGE_IGNORE_INSERTS;
  const bool keep_breaks = (flags & FORMAT_MESSAGE_MAX_WIDTH_MASK) == 0;
  std::basic_string<C> out;
  for (const C* p = text; *p;) {
    if (*p == '\r' || *p == '\n') {
      // A line break (CR LF, LF or CR) in the text.
      if (p[0] == '\r' && p[1] == '\n') ++p;
      ++p;
      out += keep_breaks ? ascii<C>("\r\n") : ascii<C>(" ");
      continue;
    }
    if (*p != '%') {
      out += *p++;
      continue;
    }
    C c = p[1];
    if (c == 0) throw format_failure{ERROR_INVALID_PARAMETER};  // a lone % at the end
    if (ignore_inserts && ((c >= '1' && c <= '9') || c == '%')) {
      // Copied as they stand: inserts, and (as Windows does) "%%".
      out += *p++;
      if (c == '%') out += *p++;
      continue;
    }
    if (c == '0') return out;  // the end, and no newline
    if (c >= '1' && c <= '9') {
      p += 1;
      int number = *p++ - '0';
      if (*p >= '0' && *p <= '9') number = number * 10 + (*p++ - '0');
      std::basic_string<C> conversion = ascii<C>("%s");
      if (*p == '!') {
        const C* end = p + 1;
        while (*end && *end != '!') ++end;
        if (!*end) throw format_failure{ERROR_INVALID_PARAMETER};
        conversion = ascii<C>("%") + std::basic_string<C>(p + 1, end);
        p = end + 1;
      }
      if (!source.usable()) throw format_failure{ERROR_INVALID_PARAMETER};
      insert_arguments args(source, number);
      auto piece = conduit::win32::ms_format(conversion.c_str(), args);
      if (!piece) throw format_failure{ERROR_INVALID_PARAMETER};
      out += *piece;
      continue;
    }
    p += 2;
    switch (c) {
      case 'n':
        out += ascii<C>("\r\n");
        break;
      case 't':
        out += C('\t');
        break;
      case 'r':
        out += C('\r');
        break;
      default:  // %% %. %! "% " and any other: the character itself
        out += c;
        break;
    }
  }
  return out;
}

bool language_known(DWORD language) {
  if (language == 0) return true;
  WORD primary = PRIMARYLANGID(language);
  return primary == LANG_NEUTRAL || primary == LANG_ENGLISH;
}

template <typename C>
DWORD format_message(DWORD flags, LPCVOID source, DWORD id, DWORD language, C* buffer, DWORD size,
                     va_list* arguments) {
  constexpr DWORD known = FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_IGNORE_INSERTS |
                          FORMAT_MESSAGE_FROM_STRING | FORMAT_MESSAGE_FROM_HMODULE |
                          FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_ARGUMENT_ARRAY |
                          FORMAT_MESSAGE_MAX_WIDTH_MASK;
  if ((flags & ~known) || !buffer) {
    SetLastError(ERROR_INVALID_PARAMETER);
    return 0;
  }
  const bool allocate = flags & FORMAT_MESSAGE_ALLOCATE_BUFFER;
  if (allocate) *reinterpret_cast<C**>(buffer) = nullptr;
  std::basic_string<C> message;
  if (flags & FORMAT_MESSAGE_FROM_STRING) {
    if (!source) {
      SetLastError(ERROR_INVALID_PARAMETER);
      return 0;
    }
    message = static_cast<const C*>(source);
  } else if (flags & FORMAT_MESSAGE_FROM_SYSTEM) {
    if (!language_known(language)) {
      SetLastError(ERROR_RESOURCE_LANG_NOT_FOUND);
      return 0;
    }
    auto text = conduit::detail::win32_message_text(static_cast<int>(id));
    if (!text) {
      SetLastError(ERROR_MR_MID_NOT_FOUND);
      return 0;
    }
    // Windows' system messages end with a line break.
    *text += "\r\n";
    if constexpr (sizeof(C) == 1)
      message = *text;
    else
      message = conduit::win32::to_utf16(*text);
  } else if (flags & FORMAT_MESSAGE_FROM_HMODULE) {
    SetLastError(ERROR_RESOURCE_TYPE_NOT_FOUND);
    return 0;
  } else {
    SetLastError(ERROR_INVALID_PARAMETER);
    return 0;
  }
  insert_source inserts(arguments, flags & FORMAT_MESSAGE_ARGUMENT_ARRAY);
  std::basic_string<C> text;
  try {
    text = expand(message.c_str(), flags, inserts);
  } catch (const format_failure& failure) {
    SetLastError(failure.error);
    return 0;
  }
  if (text.size() >= 0x7FFFFFFF) {
    SetLastError(ERROR_NOT_ENOUGH_MEMORY);
    return 0;
  }
  if (allocate) {
    std::size_t units = text.size() + 1 > size ? text.size() + 1 : size;
    auto* memory = static_cast<C*>(LocalAlloc(LMEM_FIXED, units * sizeof(C)));
    if (!memory) return 0;  // LocalAlloc has set the error
    std::memcpy(memory, text.c_str(), (text.size() + 1) * sizeof(C));
    *reinterpret_cast<C**>(buffer) = memory;
  } else {
    if (text.size() + 1 > size) {
      SetLastError(ERROR_INSUFFICIENT_BUFFER);
      return 0;
    }
    std::memcpy(buffer, text.c_str(), (text.size() + 1) * sizeof(C));
  }
  return static_cast<DWORD>(text.size());
}

}  // namespace

extern "C" {

DWORD WINAPI FormatMessageA(DWORD flags, LPCVOID source, DWORD id, DWORD language, LPSTR buffer,
                            DWORD size, va_list* arguments) {
  return conduit::win32::guarded(DWORD{0}, [&] {
    return format_message(flags, source, id, language, buffer, size, arguments);
  });
}

DWORD WINAPI FormatMessageW(DWORD flags, LPCVOID source, DWORD id, DWORD language, LPWSTR buffer,
                            DWORD size, va_list* arguments) {
  return conduit::win32::guarded(DWORD{0}, [&] {
    return format_message(flags, source, id, language, reinterpret_cast<char16_t*>(buffer), size,
                          arguments);
  });
}

}  // extern "C"
