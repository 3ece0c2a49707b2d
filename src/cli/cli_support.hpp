// What every subcommand of the `conduit` command shares: how a failure is
// told (the Win32 error's name, number and text on stderr, exit status 1),
// how a short name becomes a full one, and the progress line shown on a
// terminal.
#pragma once

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

namespace conduit::cli {

/// Exit statuses: success, the operation failed, the command line was wrong.
inline constexpr int exit_ok = 0;
inline constexpr int exit_failed = 1;
inline constexpr int exit_usage = 2;

/// A failed operation: `what` says which (with the name it was about), `code`
/// is the Win32 error. main() prints it and exits with exit_failed.
class failure : public std::runtime_error {
 public:
  failure(std::string what, std::error_code code)
      : std::runtime_error(std::move(what)), code_(code) {}
  [[nodiscard]] std::error_code code() const noexcept { return code_; }

 private:
  std::error_code code_;
};

/// Throws failure(what, ec) when ec is set.
void check(const std::error_code& ec, const std::string& what);

/// "ERROR_FILE_NOT_FOUND (2): The system cannot find the file specified."
[[nodiscard]] std::string describe_error(const std::error_code& ec);

/// The symbolic name of a Win32 error number ("ERROR_PIPE_BUSY"), or
/// "ERROR_<n>" for one conduit does not name.
[[nodiscard]] std::string win32_error_name(int code);

/// `\\.\pipe\x` from `x`; a name that starts with `\\` is taken as it is.
[[nodiscard]] std::string pipe_path(std::string_view name);
/// `\\.\mailslot\x` from `x`, likewise.
[[nodiscard]] std::string mailslot_path(std::string_view name);

/// The string as a JSON string literal, quotes included.
[[nodiscard]] std::string json_string(std::string_view s);

/// True when progress may be drawn: standard error is a terminal.
[[nodiscard]] bool progress_wanted();

/// A one-line progress display on standard error, redrawn at most ten
/// times a second, and only when standard error is a terminal; otherwise
/// every call does nothing.
class progress {
 public:
  explicit progress(std::string label);
  ~progress();
  progress(const progress&) = delete;
  progress& operator=(const progress&) = delete;
  /// Shows `done` of `total` (total 0: unknown) in `unit`s ("B" for bytes).
  void update(std::uint64_t done, std::uint64_t total = 0, std::string_view unit = "B");
  /// Clears the line.
  void finish();

 private:
  std::string label_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_{};
};

/// The program's own path, for starting more of itself (demo).
[[nodiscard]] std::string self_path();

}  // namespace conduit::cli
