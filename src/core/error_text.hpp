// The text conduit has for a Win32 error number, for FormatMessage.
#pragma once

#include <optional>
#include <string>

namespace conduit::detail {

/// conduit's message for Win32 error `value` (what win32_category()
/// says), or nullopt for a number it has no message for.
std::optional<std::string> win32_message_text(int value);

}  // namespace conduit::detail
