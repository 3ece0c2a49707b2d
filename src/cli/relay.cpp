#include "cli/relay.hpp"

#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include "cli/cli_support.hpp"

namespace conduit::cli {
namespace {

bool write_all(int fd, const void* data, std::size_t size) {
  auto* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

std::uint64_t relay_pipe_to_fd(basic_pipe& pipe, int fd, bool message,
                               const std::function<void(std::uint64_t)>& on_data) {
  std::uint64_t total = 0;
  std::vector<std::byte> buffer(64 * 1024);
  for (;;) {
    std::error_code ec;
    if (message) {
      auto data = pipe.read_message(ec);
      if (ec) return total;
      data.push_back(std::byte{'\n'});
      if (!write_all(fd, data.data(), data.size())) return total;
      total += data.size() - 1;
    } else {
      std::size_t n = pipe.read(buffer, ec);
      if (ec || n == 0) return total;
      if (!write_all(fd, buffer.data(), n)) return total;
      total += n;
    }
    if (on_data) on_data(total);
  }
}

std::uint64_t relay_fd_to_pipe(int fd, basic_pipe& pipe, bool message, progress* shown) {
  std::uint64_t total = 0;
  std::vector<char> buffer(64 * 1024);
  std::string line;
  for (;;) {
    ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    total += static_cast<std::uint64_t>(n);
    std::error_code ec;
    if (!message) {
      pipe.write(std::as_bytes(std::span(buffer.data(), static_cast<std::size_t>(n))), ec);
      if (ec) return total;
    } else {
      line.append(buffer.data(), static_cast<std::size_t>(n));
      std::size_t start = 0;
      for (std::size_t nl; (nl = line.find('\n', start)) != std::string::npos; start = nl + 1) {
        pipe.write(std::string_view(line).substr(start, nl - start), ec);
        if (ec) return total;
      }
      line.erase(0, start);
    }
    if (shown) shown->update(total);
  }
  // A last line without its newline is a message too.
  if (message && !line.empty()) {
    std::error_code ec;
    pipe.write(std::string_view(line), ec);
  }
  return total;
}

void echo_messages(basic_pipe& pipe, unsigned limit) {
  for (unsigned n = 0; limit == 0 || n < limit; ++n) {
    std::error_code ec;
    auto data = pipe.read_message(ec);
    if (ec) return;
    pipe.write(std::span<const std::byte>(data), ec);
    if (ec) return;
  }
}

}  // namespace conduit::cli
