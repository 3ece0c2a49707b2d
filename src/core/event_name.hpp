// Names of events (CreateEvent, OpenEvent): the rules of Windows' object
// namespace, which the broker and the library both apply.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "conduit/error.hpp"

namespace conduit::detail {

/// Longest event name, in UTF-16 code units, prefix included: CreateEventA
/// refuses MAX_PATH (260) or more.
inline constexpr std::size_t max_event_name_units = 259;

/// Checks an event name and gives its key, the name the broker compares.
/// Names are case-sensitive, as in Windows' object namespace. `Global\` and
/// `Local\` (spelt exactly so) name the one namespace of this broker, so
/// `Global\x`, `Local\x` and `x` are one event. Errors, as Windows gives
/// them: ERROR_INVALID_NAME for an empty name, a bare prefix or text that
/// is not UTF-8; ERROR_FILENAME_EXCED_RANGE past 259 UTF-16 units;
/// ERROR_BAD_PATHNAME for a leading backslash; ERROR_PATH_NOT_FOUND for a
/// backslash anywhere else (another object folder, `Session\1\x` too).
[[nodiscard]] errc parse_event_name(std::string_view name, std::string& key);

}  // namespace conduit::detail
