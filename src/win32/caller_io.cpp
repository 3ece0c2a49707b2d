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

}  // namespace

void run_in_caller(io_operation& op) {
  // The common case, an operation that can end at once, costs no more
  // than the attempt.
  if (op.attempt()) return;
  op.pending_ = true;  // it waits, as one the engine queued does
  synchronous_io_scope scope(*current_thread_object());
  short events = op.dir() == io_operation::direction::in ? POLLIN | POLLRDHUP : POLLOUT;
  bool stopping = false;  // cancelled, but it has to finish first
  for (;;) {
    pollfd fds[2] = {{op.fd(), events, 0}, {scope.cancel_fd(), POLLIN, 0}};
    int watched = stopping || scope.cancel_fd() < 0 ? 1 : 2;
    if (::poll(fds, watched, -1) < 0 && errno != EINTR) {
      op.stop(ERROR_NOT_ENOUGH_MEMORY, true);
      return;
    }
    if (op.attempt()) return;
    if (watched == 2 && (fds[1].revents & POLLIN)) {
      if (op.stop(ERROR_OPERATION_ABORTED, false)) return;
      stopping = true;
    }
  }
}

}  // namespace conduit::win32
