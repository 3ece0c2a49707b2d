#include "win32/text.hpp"

#include "core/utf8.hpp"

namespace conduit::win32 {

std::optional<std::string> utf16_to_utf8(std::u16string_view text, bool strict) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char32_t cp = text[i];
    if (cp >= 0xD800 && cp <= 0xDBFF && i + 1 < text.size() && text[i + 1] >= 0xDC00 &&
        text[i + 1] <= 0xDFFF) {
      cp = 0x10000 + ((cp - 0xD800) << 10) + (text[i + 1] - 0xDC00);
      ++i;
    } else if (cp >= 0xD800 && cp <= 0xDFFF) {
      if (strict) return std::nullopt;
      cp = 0xFFFD;
    }
    conduit::detail::encode_utf8(cp, out);
  }
  return out;
}

std::optional<std::u16string> utf8_to_utf16(std::string_view text, bool strict) {
  std::u16string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    auto decoded = conduit::detail::decode_utf8(text, i);
    if (!decoded && strict) return std::nullopt;
    char32_t cp = decoded ? *decoded : 0xFFFD;
    if (!decoded) ++i;  // skip the bad byte
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out += static_cast<char16_t>(0xD800 + (cp >> 10));
      out += static_cast<char16_t>(0xDC00 + (cp & 0x3FF));
    } else {
      out += static_cast<char16_t>(cp);
    }
  }
  return out;
}

std::size_t wide_length(const char16_t* text) noexcept {
  std::size_t n = 0;
  if (text)
    while (text[n]) ++n;
  return n;
}

std::optional<std::string> to_utf8(LPCWSTR text) {
  const auto* units = reinterpret_cast<const char16_t*>(text);
  return utf16_to_utf8({units, wide_length(units)}, true);
}

std::u16string to_utf16(const std::string& text) {
  return *utf8_to_utf16(text, false);
}

}  // namespace conduit::win32
