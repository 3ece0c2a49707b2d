// conduit/command_line.hpp: Windows command lines, split and joined.
//
// On Windows a process receives one command-line string, not an argument
// vector; CreateProcess passes the string through, and the Microsoft C
// runtime in the child splits it into argv. These functions do exactly what
// that runtime (the Universal CRT, and every Microsoft CRT since 2008) does,
// so that conduit's CreateProcess gives a Linux child the argv a Windows
// child would have seen, and join_command_line() builds a string that splits
// back into the argv it was given.
//
//   auto argv = conduit::split_command_line(R"("C:\Program Files\x.exe" a\\"b c" d)");
//   // argv == {R"(C:\Program Files\x.exe)", R"(a\b c)", "d"}
//   std::vector<std::string> args{"x.exe", "two words", R"(a"b)"};
//   auto line = conduit::join_command_line(args);
//   // line == R"(x.exe "two words" "a\"b")"
//
// The rules (Microsoft, "Parsing C++ command-line arguments"):
//  - Arguments are separated by spaces and tabs only.
//  - The first word is the program name: double quotes in it group and are
//    removed, and backslashes are always literal (a path never escapes).
//  - In the other words a double-quoted part may contain spaces and tabs; the
//    quotes are removed and may start or end mid-word (`d"e f"g` is `de fg`).
//  - 2n backslashes before a `"` are n backslashes, and the `"` opens or
//    closes quoting; 2n+1 backslashes before a `"` are n backslashes and a
//    literal `"`; backslashes not before a `"` are literal.
//  - Inside quotes, `""` is one literal `"` and quoting goes on (the 2008
//    rule; older runtimes ended the quoted part there).
//  - Leading spaces make the program name empty, as the CRT does.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace conduit {

/// Splits a whole command line, program name first, as the Microsoft C
/// runtime builds argv from GetCommandLine(). An empty string gives one empty
/// program name, as the CRT does. Never fails.
[[nodiscard]] std::vector<std::string> split_command_line(std::string_view command_line);

/// Splits arguments only: every word follows the argument rules (no program
/// name first). `split_arguments(R"(a\\\"b c d)")` is `{R"(a\"b)", "c", "d"}`.
[[nodiscard]] std::vector<std::string> split_arguments(std::string_view arguments);

/// Joins argv into one command line that split_command_line() turns back
/// into `argv`. An argument is left bare when it has no space, tab, newline,
/// vertical tab or `"` and is not empty; otherwise it is quoted, with
/// backslashes doubled only where they precede a `"`.
///
/// Errors: ERROR_INVALID_PARAMETER when `argv` is empty, when the program name
/// contains a `"` (no quoting can carry one through the program-name rule), or
/// when any argument contains a NUL character (a C string cannot hold one);
/// ERROR_NOT_ENOUGH_MEMORY.
/// @throws std::system_error
[[nodiscard]] std::string join_command_line(std::span<const std::string> argv);
[[nodiscard]] std::string join_command_line(std::span<const std::string> argv,
                                            std::error_code& ec) noexcept;

/// Quotes one argument (not the program name) by the rules above, appending
/// it to `out`. Useful for building the tail of a command line by hand.
void append_quoted_argument(std::string& out, std::string_view argument);

}  // namespace conduit
