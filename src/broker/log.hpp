// conduitd's messages: levelled, on standard error, in the form journald reads.
//
// Every message has a level, syslog's (error, warning, notice, info,
// debug); those below the threshold (--log-level, default notice) are not
// written. When standard error is the journal (systemd sets JOURNAL_STREAM
// to its device and inode), a line starts with "<N>", the sd-daemon
// prefix that gives journald its priority, and the journal adds the
// program's name itself; anywhere else a line starts with "conduitd: ",
// and warnings and errors name their level:
//
//     <3>another conduitd already serves /run/conduit          (journal)
//     conduitd: error: another conduitd already serves /run/conduit
//
//   broker::log(broker::log_level::info, "listening on " + path);
//
// Header-only, so that whatever links the broker's loop (the tests, the
// fuzz targets) needs no extra source for it.
#pragma once

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace conduit::broker {

/// syslog's priorities, as sd-daemon(3) prefixes carry them.
enum class log_level { error = 3, warning = 4, notice = 5, info = 6, debug = 7 };

/// The level a --log-level or log-level= word names ("error", "warning",
/// "notice", "info", "debug", or the number 3 to 7); nullopt for anything else.
[[nodiscard]] inline std::optional<log_level> parse_log_level(std::string_view word) {
  if (word == "error" || word == "3") return log_level::error;
  if (word == "warning" || word == "4") return log_level::warning;
  if (word == "notice" || word == "5") return log_level::notice;
  if (word == "info" || word == "6") return log_level::info;
  if (word == "debug" || word == "7") return log_level::debug;
  return std::nullopt;
}

namespace log_detail {
struct sink {
  log_level threshold = log_level::notice;
  std::optional<bool> journal;  // decided on the first message
};
inline sink& the_sink() {
  static sink s;
  return s;
}
// systemd connects standard error to the journal and says so in
// JOURNAL_STREAM ("DEVICE:INODE"); a stream inherited further on (a child
// whose standard error was redirected) no longer matches.
inline bool stderr_is_journal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (!stream) return false;
  unsigned long long device = 0, inode = 0;
  if (std::sscanf(stream, "%llu:%llu", &device, &inode) != 2) return false;
  struct stat st {};
  if (::fstat(2, &st) != 0) return false;
  return static_cast<unsigned long long>(st.st_dev) == device &&
         static_cast<unsigned long long>(st.st_ino) == inode;
}
}  // namespace log_detail

/// Messages below `level` are dropped from now on.
inline void set_log_level(log_level level) {
  log_detail::the_sink().threshold = level;
}
[[nodiscard]] inline log_level current_log_level() {
  return log_detail::the_sink().threshold;
}

/// Whether a message at `level` would be written (to skip building one).
[[nodiscard]] inline bool log_enabled(log_level level) {
  return static_cast<int>(level) <= static_cast<int>(log_detail::the_sink().threshold);
}

/// Writes one line at `level`. A message is one line: newlines in it are
/// written as spaces, so that no text (a name a peer chose) can forge a
/// line of its own.
inline void log(log_level level, std::string_view message) {
  if (!log_enabled(level)) return;
  auto& sink = log_detail::the_sink();
  if (!sink.journal) sink.journal = log_detail::stderr_is_journal();
  std::string line;
  if (*sink.journal) {
    line = "<" + std::to_string(static_cast<int>(level)) + ">";
  } else {
    line = "conduitd: ";
    if (level == log_level::error) line += "error: ";
    if (level == log_level::warning) line += "warning: ";
  }
  for (char c : message) line += (c == '\n' || c == '\r') ? ' ' : c;
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

/// An error with the system's reason for `error` (an errno value); a full
/// disk or quota gets named as such, as it is the one cause an operator
/// fixes outside conduit.
inline void log_errno(log_level level, std::string_view what, int error) {
  std::string message(what);
  message += ": ";
  message += std::strerror(error);
  if (error == ENOSPC) message += " (the file system is full)";
  if (error == EDQUOT) message += " (the disk quota of this user is used up)";
  log(level, message);
}

}  // namespace conduit::broker
