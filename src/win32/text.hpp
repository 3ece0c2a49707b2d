// Converting the W functions' UTF-16 strings to the UTF-8 the core speaks.
#pragma once

#include <optional>
#include <string>

#include "conduit/win32/windows.h"

namespace conduit::win32 {

/// UTF-16 (NUL-terminated) to UTF-8; nullopt for unpaired surrogates.
std::optional<std::string> to_utf8(LPCWSTR text);
/// UTF-8 to UTF-16 (invalid sequences become U+FFFD).
std::u16string to_utf16(const std::string& text);

}  // namespace conduit::win32
