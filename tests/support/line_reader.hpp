// Lines from a pipe a test reads, each wait bounded by a deadline.
#pragma once

#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <string>

namespace conduit::test {

enum class line_result { line, timeout, eof };

/// Takes the next line (without its '\n') into `line`, first from
/// `buffered` (what earlier reads got past a line's end), reading more from
/// `fd` until `deadline`.
inline line_result next_line_from(int fd, std::string& buffered, std::string& line,
                                  std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    if (auto newline = buffered.find('\n'); newline != std::string::npos) {
      line = buffered.substr(0, newline);
      buffered.erase(0, newline + 1);
      return line_result::line;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0)
      return line_result::timeout;
    char chunk[4096];
    ssize_t n = ::read(fd, chunk, sizeof(chunk));
    if (n <= 0) return line_result::eof;
    buffered.append(chunk, static_cast<std::size_t>(n));
  }
}

}  // namespace conduit::test
