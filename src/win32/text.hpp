// Converting between the W functions' UTF-16 and the UTF-8 the core speaks
// (and that CP_ACP means here).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "conduit/win32/windows.h"

namespace conduit::win32 {

/// UTF-16 (NUL-terminated) to UTF-8; nullopt for unpaired surrogates.
std::optional<std::string> to_utf8(LPCWSTR text);
/// UTF-8 to UTF-16 (invalid sequences become U+FFFD).
std::u16string to_utf16(const std::string& text);

/// UTF-16 to UTF-8. An unpaired surrogate makes it fail when `strict`, and
/// becomes U+FFFD otherwise.
std::optional<std::string> utf16_to_utf8(std::u16string_view text, bool strict);
/// UTF-8 to UTF-16. An invalid byte makes it fail when `strict`, and
/// becomes one U+FFFD otherwise.
std::optional<std::u16string> utf8_to_utf16(std::string_view text, bool strict);

/// The length of a NUL-terminated UTF-16 string (0 for NULL).
std::size_t wide_length(const char16_t* text) noexcept;

}  // namespace conduit::win32
