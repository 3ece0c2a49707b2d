#include "win32/ms_format.hpp"

#include <cstdio>
#include <cstring>
#include <string_view>

#include "win32/text.hpp"

namespace conduit::win32 {
namespace {

// Output of type C from text in either width.
std::string to_output(std::string_view narrow, char) {
  return std::string(narrow);
}
std::u16string to_output(std::string_view narrow, char16_t) {
  return *utf8_to_utf16(narrow, false);
}
std::string to_output(std::u16string_view wide, char) {
  return *utf16_to_utf8(wide, false);
}
std::u16string to_output(std::u16string_view wide, char16_t) {
  return std::u16string(wide);
}

// ASCII text (what snprintf gives for numbers) in either width.
template <typename C>
std::basic_string<C> widen_ascii(const char* text) {
  std::basic_string<C> out;
  for (; *text; ++text) out += static_cast<C>(static_cast<unsigned char>(*text));
  return out;
}

// Keeps at most `units` units without splitting a UTF-8 sequence or a
// surrogate pair.
void truncate_units(std::string& text, std::size_t units) {
  if (text.size() <= units) return;
  while (units > 0 && (static_cast<unsigned char>(text[units]) & 0xC0) == 0x80) --units;
  text.resize(units);
}
void truncate_units(std::u16string& text, std::size_t units) {
  if (text.size() <= units) return;
  if (units > 0 && text[units] >= 0xDC00 && text[units] <= 0xDFFF) --units;
  text.resize(units);
}

// The widest field and the longest precision accepted (1 MiB characters): a
// format may not make a call allocate without bound.
constexpr int max_field = 1 << 20;

enum class length { normal, h, hh, l32, l64, wide, pointer, long_double };

struct spec {
  std::string flags;
  int width = -1;
  int precision = -1;
  length size = length::normal;
};

template <typename C>
int read_number(const C*& p) {
  int n = 0;
  while (*p >= '0' && *p <= '9') {
    if (n <= max_field) n = n * 10 + (*p - '0');
    ++p;
  }
  return n;
}

template <typename C>
std::optional<std::basic_string<C>> format_any(const C* format, format_arguments& args) {
  constexpr bool wide_format = sizeof(C) == 2;
  std::basic_string<C> out;
  for (const C* p = format; *p; ++p) {
    if (*p != '%') {
      out += *p;
      continue;
    }
    ++p;
    if (*p == '%') {
      out += '%';
      continue;
    }
    spec s;
    while (*p == '-' || *p == '+' || *p == ' ' || *p == '#' || *p == '0') s.flags += char(*p++);
    if (*p == '*') {
      s.width = args.next_int();
      if (s.width < 0) {
        s.flags += '-';
        s.width = -s.width;
      }
      ++p;
    } else if (*p >= '0' && *p <= '9') {
      s.width = read_number(p);
    }
    if (*p == '.') {
      ++p;
      if (*p == '*') {
        s.precision = args.next_int();
        ++p;
      } else {
        s.precision = read_number(p);
      }
    }
    if (s.width > max_field || s.precision > max_field) return std::nullopt;
    using sz = length;
    switch (*p) {
      case 'h':
        ++p;
        s.size = sz::h;
        if (*p == 'h') s.size = sz::hh, ++p;
        break;
      case 'l':
        ++p;
        s.size = sz::l32;
        if (*p == 'l') s.size = sz::l64, ++p;
        break;
      case 'w':
        ++p;
        s.size = sz::wide;
        break;
      case 'q':
        ++p;
        s.size = sz::l64;
        break;
      case 'L':
        ++p;
        s.size = sz::long_double;
        break;
      case 'z':
      case 't':
      case 'j':
        ++p;
        s.size = sz::pointer;
        break;
      case 'I':
        ++p;
        if (p[0] == '6' && p[1] == '4') {
          s.size = sz::l64;
          p += 2;
        } else if (p[0] == '3' && p[1] == '2') {
          s.size = sz::l32;
          p += 2;
        } else {
          s.size = sz::pointer;
        }
        break;
      default:
        break;
    }
    C conversion = *p;
    if (!conversion) break;
    std::basic_string<C> piece;
    // Strings and characters: which width the argument has.
    auto wide_argument = [&](bool upper) {
      if (s.size == sz::h || s.size == sz::hh) return false;
      if (s.size == sz::l32 || s.size == sz::wide) return true;
      return wide_format != upper;
    };
    bool numeric_padding = false;
    switch (conversion) {
      case 's':
      case 'S': {
        const void* arg = args.next_pointer();
        if (!arg) {
          piece = widen_ascii<C>("(null)");
        } else if (wide_argument(conversion == 'S')) {
          auto* text = static_cast<const char16_t*>(arg);
          std::size_t n = 0;
          // A precision bounds what is read, so the string needs no NUL.
          while ((s.precision < 0 || n < static_cast<std::size_t>(s.precision)) && text[n]) ++n;
          piece = to_output(std::u16string_view(text, n), C{});
        } else {
          auto* text = static_cast<const char*>(arg);
          std::size_t n = s.precision < 0 ? std::strlen(text)
                                          : strnlen(text, static_cast<std::size_t>(s.precision));
          piece = to_output(std::string_view(text, n), C{});
        }
        if (s.precision >= 0) truncate_units(piece, static_cast<std::size_t>(s.precision));
        break;
      }
      case 'c':
      case 'C': {
        int value = args.next_int();
        if (wide_argument(conversion == 'C')) {
          char16_t unit = static_cast<char16_t>(value);
          piece = to_output(std::u16string_view(&unit, 1), C{});
        } else {
          char byte = static_cast<char>(value);
          piece = to_output(std::string_view(&byte, 1), C{});
        }
        break;
      }
      case 'n':
        return std::nullopt;
      case 'p': {
        char text[32];
        std::snprintf(
            text, sizeof text, "%016llX",
            static_cast<unsigned long long>(reinterpret_cast<std::uintptr_t>(args.next_pointer())));
        piece = widen_ascii<C>(text);
        break;
      }
      case 'd':
      case 'i':
      case 'u':
      case 'o':
      case 'x':
      case 'X': {
        bool is_signed = conversion == 'd' || conversion == 'i';
        long long value;
        if (s.size == sz::l64 || s.size == sz::pointer || s.size == sz::long_double) {
          value = args.next_int64();
        } else {
          int v = args.next_int();
          if (s.size == sz::h)
            value = is_signed ? static_cast<short>(v) : static_cast<unsigned short>(v);
          else if (s.size == sz::hh)
            value = is_signed ? static_cast<signed char>(v) : static_cast<unsigned char>(v);
          else
            value = is_signed ? static_cast<long long>(v) : static_cast<unsigned>(v);
        }
        std::string narrow = "%" + s.flags;
        if (s.width >= 0) narrow += std::to_string(s.width);
        if (s.precision >= 0) narrow += "." + std::to_string(s.precision);
        narrow += "ll";
        narrow += static_cast<char>(conversion);
        int n = std::snprintf(nullptr, 0, narrow.c_str(), value);
        if (n < 0) return std::nullopt;
        std::string text(static_cast<std::size_t>(n) + 1, '\0');
        std::snprintf(text.data(), text.size(), narrow.c_str(), value);
        piece = widen_ascii<C>(text.c_str());
        numeric_padding = true;
        break;
      }
      case 'e':
      case 'E':
      case 'f':
      case 'F':
      case 'g':
      case 'G':
      case 'a':
      case 'A': {
        std::string narrow = "%" + s.flags;
        if (s.width >= 0) narrow += std::to_string(s.width);
        if (s.precision >= 0) narrow += "." + std::to_string(s.precision);
        bool is_long = s.size == sz::long_double;
        if (is_long) narrow += 'L';
        narrow += static_cast<char>(conversion);
        long double long_value = is_long ? args.next_long_double() : 0;
        double value = is_long ? 0 : args.next_double();
        auto print = [&](char* buffer, std::size_t size) {
          return is_long ? std::snprintf(buffer, size, narrow.c_str(), long_value)
                         : std::snprintf(buffer, size, narrow.c_str(), value);
        };
        int n = print(nullptr, 0);
        if (n < 0) return std::nullopt;
        std::string text(static_cast<std::size_t>(n) + 1, '\0');
        print(text.data(), text.size());
        piece = widen_ascii<C>(text.c_str());
        numeric_padding = true;
        break;
      }
      default:
        // Not a conversion: the CRT prints the character itself.
        piece += conversion;
        break;
    }
    if (!numeric_padding && s.width > 0 && piece.size() < static_cast<std::size_t>(s.width)) {
      std::basic_string<C> pad(static_cast<std::size_t>(s.width) - piece.size(), C(' '));
      bool left = s.flags.find('-') != std::string::npos;
      bool zero = !left && s.flags.find('0') != std::string::npos;
      if (zero) std::fill(pad.begin(), pad.end(), C('0'));
      piece = left ? piece + pad : pad + piece;
    }
    out += piece;
  }
  return out;
}

template <typename C>
int copy_any(const std::basic_string<C>& text, C* buffer, std::size_t count) noexcept {
  if (count == 0) return -1;
  std::size_t n = text.size() < count ? text.size() : count - 1;
  std::memcpy(buffer, text.data(), n * sizeof(C));
  buffer[n] = 0;
  return n == text.size() ? static_cast<int>(n) : -1;
}

}  // namespace

std::optional<std::string> ms_format(const char* format, format_arguments& args) {
  return format_any(format, args);
}
std::optional<std::u16string> ms_format(const char16_t* format, format_arguments& args) {
  return format_any(format, args);
}

int copy_truncated(const std::string& text, char* buffer, std::size_t count) noexcept {
  return copy_any(text, buffer, count);
}
int copy_truncated(const std::u16string& text, char16_t* buffer, std::size_t count) noexcept {
  return copy_any(text, buffer, count);
}

}  // namespace conduit::win32
