#include "runtime/anonymous_io.hpp"

#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>

#include "conduit/error.hpp"
#include "runtime/interruption.hpp"

namespace conduit::detail {
namespace {

// Blocks SIGPIPE in this thread for the lifetime of the guard. Pipes, unlike
// sockets, have no MSG_NOSIGNAL; a library must not change the process-wide
// disposition, so the signal a failed write raises is held pending and then
// taken with sigtimedwait. One that was pending already is someone else's and
// is left alone.
class sigpipe_guard {
 public:
  sigpipe_guard() noexcept {
    sigemptyset(&pipe_set_);
    sigaddset(&pipe_set_, SIGPIPE);
    sigset_t pending;
    sigemptyset(&pending);
    was_pending_ = ::sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1;
    ::pthread_sigmask(SIG_BLOCK, &pipe_set_, &old_mask_);
  }
  ~sigpipe_guard() { ::pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr); }
  sigpipe_guard(const sigpipe_guard&) = delete;
  sigpipe_guard& operator=(const sigpipe_guard&) = delete;

  /// After EPIPE: removes the SIGPIPE this thread's write raised.
  void consume() noexcept {
    if (was_pending_) return;
    timespec zero{};
    while (::sigtimedwait(&pipe_set_, nullptr, &zero) < 0 && errno == EINTR) {
    }
  }

 private:
  sigset_t pipe_set_;
  sigset_t old_mask_;
  bool was_pending_ = false;
};

}  // namespace

bool pipe_wait_readable(int fd, const deadline& until, std::error_code& ec) noexcept {
  ec.clear();
  int revents = poll_until(fd, POLLIN, until, true);
  if (revents < 0) {
    ec = error_from_errno(errno);
    return false;
  }
  if (revents & POLLNVAL) {
    ec = errc::invalid_handle;
    return false;
  }
  return revents != 0;
}

std::size_t pipe_read(int fd, std::span<std::byte> buffer, std::error_code& ec) noexcept {
  ec.clear();
  if (buffer.empty()) {
    if (!pipe_wait_readable(fd, deadline(std::chrono::milliseconds(-1)), ec)) return 0;
    // Readable with nothing in it is the end of the stream.
    int available = 0;
    if (::ioctl(fd, FIONREAD, &available) == 0 && available == 0) ec = errc::broken_pipe;
    return 0;
  }
  for (;;) {
    ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n > 0) return static_cast<std::size_t>(n);
    if (n == 0) {
      ec = errc::broken_pipe;  // every write end is closed
      return 0;
    }
    // Asked to end (interruption.hpp): ERROR_OPERATION_ABORTED.
    if (errno == EINTR && !interrupted()) continue;
    ec = error_from_errno(errno);
    return 0;
  }
}

std::size_t pipe_write(int fd, std::span<const std::byte> data, std::error_code& ec) noexcept {
  ec.clear();
  if (data.empty()) return 0;
  sigpipe_guard guard;
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n >= 0) {
      done += static_cast<std::size_t>(n);
      continue;
    }
    // Asked to end: what went out stays in the pipe.
    if (errno == EINTR && !interrupted()) continue;
    int error = errno;
    if (error == EPIPE) guard.consume();
    ec = error_from_errno(error);  // EPIPE is ERROR_NO_DATA
    break;
  }
  return done;
}

}  // namespace conduit::detail
