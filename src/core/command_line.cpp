// Windows command-line splitting and quoting, after the Universal CRT's
// parse_command_line (argv_parsing.cpp); the rules are in the header.
#include "conduit/command_line.hpp"

#include "conduit/error.hpp"
#include "core/throw_error.hpp"

namespace conduit {
namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

// The program name: quotes toggle grouping and vanish, backslashes are
// literal, and the first unquoted blank ends it. Returns where the arguments
// start.
std::size_t scan_program_name(std::string_view line, std::string& out) {
  bool quoted = false;
  std::size_t i = 0;
  for (; i < line.size(); ++i) {
    char c = line[i];
    if (c == '"') {
      quoted = !quoted;
      continue;
    }
    if (!quoted && is_blank(c)) return i + 1;
    out += c;
  }
  return i;
}

void scan_arguments(std::string_view line, std::vector<std::string>& argv) {
  bool quoted = false;
  std::size_t i = 0;
  for (;;) {
    while (i < line.size() && is_blank(line[i])) ++i;
    if (i == line.size()) return;
    std::string& arg = argv.emplace_back();
    for (;;) {
      std::size_t slashes = 0;
      while (i < line.size() && line[i] == '\\') {
        ++slashes;
        ++i;
      }
      bool copy = true;
      if (i < line.size() && line[i] == '"') {
        if (slashes % 2 == 0) {
          if (quoted && i + 1 < line.size() && line[i + 1] == '"') {
            ++i;  // "" inside quotes: one literal quote, still quoted
          } else {
            copy = false;
            quoted = !quoted;
          }
        }
        slashes /= 2;
      }
      arg.append(slashes, '\\');
      if (i == line.size() || (!quoted && is_blank(line[i]))) break;
      if (copy) arg += line[i];
      ++i;
    }
  }
}

bool needs_quotes(std::string_view arg) {
  return arg.empty() || arg.find_first_of(" \t\n\v\"") != std::string_view::npos;
}

}  // namespace

std::vector<std::string> split_command_line(std::string_view command_line) {
  std::vector<std::string> argv(1);
  std::size_t rest = scan_program_name(command_line, argv.front());
  scan_arguments(command_line.substr(rest), argv);
  return argv;
}

std::vector<std::string> split_arguments(std::string_view arguments) {
  std::vector<std::string> argv;
  scan_arguments(arguments, argv);
  return argv;
}

void append_quoted_argument(std::string& out, std::string_view arg) {
  if (!needs_quotes(arg)) {
    out += arg;
    return;
  }
  out += '"';
  for (std::size_t i = 0; i < arg.size();) {
    std::size_t slashes = 0;
    while (i < arg.size() && arg[i] == '\\') {
      ++slashes;
      ++i;
    }
    if (i == arg.size()) {
      // Before the closing quote every backslash must be doubled.
      out.append(slashes * 2, '\\');
      break;
    }
    if (arg[i] == '"') {
      out.append(slashes * 2 + 1, '\\');
    } else {
      out.append(slashes, '\\');
    }
    out += arg[i++];
  }
  out += '"';
}

std::string join_command_line(std::span<const std::string> argv) {
  std::error_code ec;
  auto line = join_command_line(argv, ec);
  detail::throw_if_error(ec, "conduit::join_command_line");
  return line;
}

std::string join_command_line(std::span<const std::string> argv, std::error_code& ec) noexcept try {
  ec.clear();
  if (argv.empty()) {
    ec = errc::invalid_parameter;
    return {};
  }
  for (const auto& arg : argv) {
    if (arg.find('\0') != std::string::npos) {
      ec = errc::invalid_parameter;
      return {};
    }
  }
  const std::string& program = argv.front();
  if (program.find('"') != std::string::npos) {
    ec = errc::invalid_parameter;
    return {};
  }
  std::string line;
  // The program-name rule has no escapes: quoting the whole name is enough.
  bool quote_program = program.empty() || program.find_first_of(" \t") != std::string::npos;
  if (quote_program) line += '"';
  line += program;
  if (quote_program) line += '"';
  for (const auto& arg : argv.subspan(1)) {
    line += ' ';
    append_quoted_argument(line, arg);
  }
  return line;
} catch (const std::bad_alloc&) {
  ec = errc::not_enough_memory;
  return {};
}

}  // namespace conduit
