#include "runtime/stream_io.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>

#include "conduit/error.hpp"
#include "runtime/deadline.hpp"
#include "runtime/interruption.hpp"

namespace conduit::detail {

bool wait_readable(int fd, int timeout_ms, std::error_code& ec) {
  // Another signal's EINTR waits on for what is left of the time.
  deadline until{std::chrono::milliseconds(timeout_ms)};
  pollfd p{fd, POLLIN, 0};
  for (;;) {
    int n = ::poll(&p, 1, until.poll_timeout());
    if (n > 0) return true;
    if (n == 0 && until.poll_timeout() == 0) return false;
    if (n == 0) continue;
    // Asked to end (interruption.hpp): ERROR_OPERATION_ABORTED.
    if (errno != EINTR || interrupted()) {
      ec = error_from_errno(errno);
      return false;
    }
  }
}

std::size_t stream_read(int fd, std::span<std::byte> buffer, std::error_code& ec) {
  ec.clear();
  if (buffer.empty()) {
    wait_readable(fd, -1, ec);
    return 0;
  }
  for (;;) {
    ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
    if (n > 0) return static_cast<std::size_t>(n);
    if (n == 0) {
      ec = errc::broken_pipe;
      return 0;
    }
    if (errno == EINTR && !interrupted()) continue;
    ec = error_from_errno(errno);
    return 0;
  }
}

std::size_t stream_write(int fd, std::span<const std::byte> data, std::error_code& ec) {
  ec.clear();
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n >= 0) {
      done += static_cast<std::size_t>(n);
      continue;
    }
    // Asked to end (interruption.hpp): what went out stays in the pipe.
    if (errno == EINTR && !interrupted()) continue;
    // Writing to a peer that is gone is "being closed" however it went.
    ec = errno == ECONNRESET ? make_error_code(errc::no_data) : error_from_errno(errno);
    break;
  }
  return done;
}

}  // namespace conduit::detail
