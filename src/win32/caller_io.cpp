#include "win32/caller_io.hpp"

#include <poll.h>

#include <cerrno>

#include "win32/thread_object.hpp"

namespace conduit::win32 {
namespace {

// Ends the thread's cancellable call however run_in_caller leaves.
class synchronous_io_scope {
 public:
  explicit synchronous_io_scope(thread_object& thread)
      : thread_(thread), cancel_fd_(thread.begin_synchronous_io()) {}
  ~synchronous_io_scope() { thread_.end_synchronous_io(); }
  synchronous_io_scope(const synchronous_io_scope&) = delete;
  synchronous_io_scope& operator=(const synchronous_io_scope&) = delete;
  [[nodiscard]] int cancel_fd() const { return cancel_fd_; }

 private:
  thread_object& thread_;
  int cancel_fd_;
};

// One wait for `fd` or, unless `cancel_fd` is -1, for a cancel: whether the
// cancel came (false when poll itself failed, which it cannot here but for
// want of memory).
bool cancelled_while_waiting(int fd, short events, int cancel_fd, bool& failed) {
  pollfd fds[2] = {{fd, events, 0}, {cancel_fd, POLLIN, 0}};
  int watched = cancel_fd < 0 ? 1 : 2;
  failed = ::poll(fds, watched, -1) < 0 && errno != EINTR;
  return !failed && watched == 2 && (fds[1].revents & POLLIN);
}

}  // namespace

bool wait_in_caller(int fd, short events, DWORD& error) {
  synchronous_io_scope scope(*current_thread_object());
  bool failed = false;
  if (cancelled_while_waiting(fd, events, scope.cancel_fd(), failed)) {
    error = ERROR_OPERATION_ABORTED;
    return false;
  }
  if (failed) error = ERROR_NOT_ENOUGH_MEMORY;
  return !failed;
}

void run_in_caller(io_operation& op) {
  // The common case, an operation that can end at once, costs no more
  // than the attempt.
  if (op.attempt()) return;
  op.pending_ = true;  // it waits, as one the engine queued does
  synchronous_io_scope scope(*current_thread_object());
  short events = op.dir() == io_operation::direction::in ? POLLIN | POLLRDHUP : POLLOUT;
  bool stopping = false;  // cancelled, but it has to finish first
  for (;;) {
    bool failed = false;
    bool cancelled =
        cancelled_while_waiting(op.fd(), events, stopping ? -1 : scope.cancel_fd(), failed);
    if (failed) {
      op.stop(ERROR_NOT_ENOUGH_MEMORY, true);
      return;
    }
    if (op.attempt()) return;
    if (cancelled) {
      if (op.stop(ERROR_OPERATION_ABORTED, false)) return;
      stopping = true;
    }
  }
}

}  // namespace conduit::win32
