#include "win32/text.hpp"

#include "core/utf8.hpp"

namespace conduit::win32 {

std::optional<std::string> to_utf8(LPCWSTR text) {
  std::string out;
  if (!text) return out;
  for (std::size_t i = 0; text[i]; ++i) {
    char32_t cp = static_cast<char16_t>(text[i]);
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      char32_t low = static_cast<char16_t>(text[i + 1]);
      if (low < 0xDC00 || low > 0xDFFF) return std::nullopt;
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
      ++i;
    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
      return std::nullopt;
    }
    conduit::detail::encode_utf8(cp, out);
  }
  return out;
}

std::u16string to_utf16(const std::string& text) {
  std::u16string out;
  for (std::size_t i = 0; i < text.size();) {
    auto decoded = conduit::detail::decode_utf8(text, i);
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

}  // namespace conduit::win32
