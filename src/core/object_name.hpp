// Parsing and canonical form of `\\host\pipe\name` and `\\host\mailslot\name`.
#pragma once

#include <string>
#include <string_view>
#include <system_error>

namespace conduit::detail {

enum class object_kind { pipe, mailslot };

/// A name taken apart. `path` is what follows `\pipe\` or `\mailslot\`, as
/// given; `key` is its canonical (case-folded) form, which is what the broker
/// compares.
struct object_name {
  object_kind kind = object_kind::pipe;
  std::string host;  // "." for this machine, or the host as written
  bool local = true;
  std::string path;
  std::string key;
};

/// Longest full name, in characters, as on Windows.
inline constexpr std::size_t max_object_name_chars = 256;

/// Parses a full name (UTF-8; `/` counts as `\`). Errors, as Windows gives them:
/// ERROR_PATH_NOT_FOUND for an empty name or another device (`\\.\foo\x`),
/// ERROR_FILENAME_EXCED_RANGE past 256 characters, ERROR_INVALID_NAME for a
/// name that is not of the form `\\host\pipe\x`, is
/// empty after the prefix, or not valid UTF-8.
/// A remote host parses fine and has `local == false`.
[[nodiscard]] std::error_code parse_object_name(std::string_view full, object_kind kind,
                                                object_name& out);

/// The case-insensitive key of a path: Unicode simple upper case, as the
/// Windows object manager compares names. Returns an empty string for text
/// that is not valid UTF-8.
[[nodiscard]] std::string fold_case(std::string_view path);

/// The name of this machine, as `\\host\...` names may spell it.
[[nodiscard]] const std::string& local_host_name();

}  // namespace conduit::detail
