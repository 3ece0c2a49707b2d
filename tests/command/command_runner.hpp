// The `conduit` command run as a user runs it: a real process with its
// standard input, output and error on pipes, every wait bounded.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "conduit/process.hpp"

namespace conduit::test {

/// The conduit command built beside the tests.
[[nodiscard]] std::string conduit_command();

/// What a finished command did.
struct command_result {
  int status = -1;  // exit status; -1 if it had to be killed
  std::string out;
  std::string err;
};

/// A running `conduit ARGS...` (or any program, with `program`).
class running_command {
 public:
  explicit running_command(const std::vector<std::string>& args, std::string program = {},
                           std::vector<std::string> extra_env = {});
  ~running_command();
  running_command(const running_command&) = delete;
  running_command& operator=(const running_command&) = delete;

  /// Writes to its standard input.
  void write(const std::string& text);
  /// Closes its standard input.
  void close_input();
  /// Reads its standard output (or error) until `text` has appeared,
  /// bounded by `timeout`; returns everything read from it so far.
  std::string read_until(const std::string& text, bool from_error = false,
                         std::chrono::milliseconds timeout = std::chrono::seconds(10));
  /// Closes its input, waits (bounded) for it to end, and collects the rest
  /// of its output. A command still running at the deadline is killed.
  command_result finish(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  /// Ends it (SIGKILL) and reaps it.
  void kill();
  [[nodiscard]] std::uint32_t pid() const { return child_.id(); }

 private:
  process child_;
  std::string out_, err_;
};

/// Runs `conduit ARGS...` with `input` on its standard input, to its end.
command_result run_command(const std::vector<std::string>& args, const std::string& input = {},
                           std::chrono::milliseconds timeout = std::chrono::seconds(20));

}  // namespace conduit::test
