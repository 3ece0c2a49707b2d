#include "win32/wait.hpp"

#include <poll.h>

#include <cerrno>
#include <chrono>
#include <vector>

#include "win32/completion_port.hpp"
#include "win32/io_engine.hpp"
#include "win32/thread_object.hpp"

namespace conduit::win32 {
namespace {

bool readable_now(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

bool signalled(const kernel_object& object, int fd) {
  return object.signalled_for_caller() || readable_now(fd);
}

// Blocking lets another thread run on the completion port this one runs on.
class blocking_scope {
 public:
  explicit blocking_scope(bool blocks) : blocks_(blocks) {
    if (blocks_) completion_port::note_blocking(true);
  }
  ~blocking_scope() {
    if (blocks_) completion_port::note_blocking(false);
  }
  blocking_scope(const blocking_scope&) = delete;
  blocking_scope& operator=(const blocking_scope&) = delete;

 private:
  bool blocks_;
};

}  // namespace

DWORD wait_for_objects(std::span<const std::shared_ptr<kernel_object>> objects, bool wait_all,
                       DWORD timeout_ms, bool alertable) {
  std::vector<pollfd> fds;
  fds.reserve(objects.size() + 1);
  for (const auto& object : objects) {
    int fd = object ? object->wait_fd() : -1;
    if (fd < 0) {
      // A file handle makes its descriptor when first waited on: without
      // one, the process is out of descriptors.
      SetLastError(object && object->as_file() ? ERROR_TOO_MANY_OPEN_FILES : ERROR_INVALID_HANDLE);
      return WAIT_FAILED;
    }
    fds.push_back(pollfd{fd, POLLIN, 0});
  }
  const auto& self = current_thread_object();
  if (alertable) fds.push_back(pollfd{self->apc_fd(), POLLIN, 0});

  using clock = std::chrono::steady_clock;
  auto deadline = timeout_ms == INFINITE ? clock::time_point::max()
                                         : clock::now() + std::chrono::milliseconds(timeout_ms);
  bool settled = false;
  for (;;) {
    // APCs first: an alertable wait with APCs queued returns at once.
    if (alertable && self->run_apcs()) return WAIT_IO_COMPLETION;
    if (!wait_all) {
      for (std::size_t i = 0; i < objects.size(); ++i)
        if (signalled(*objects[i], fds[i].fd) && objects[i]->try_acquire())
          return (objects[i]->acquired_abandoned() ? WAIT_ABANDONED_0 : WAIT_OBJECT_0) +
                 static_cast<DWORD>(i);
    } else {
      bool all = !objects.empty();
      for (std::size_t i = 0; i < objects.size() && all; ++i)
        all = signalled(*objects[i], fds[i].fd);
      if (all) {
        // Claimed one by one: one taken by someone else in between sends
        // us back to waiting, and what we took is given back.
        std::size_t claimed = 0;
        while (claimed < objects.size() && objects[claimed]->try_acquire()) ++claimed;
        if (claimed == objects.size()) {
          DWORD result = WAIT_OBJECT_0;
          for (std::size_t i = objects.size(); i-- > 0;)
            if (objects[i]->acquired_abandoned()) result = WAIT_ABANDONED_0 + static_cast<DWORD>(i);
          return result;
        }
        while (claimed-- > 0) objects[claimed]->undo_acquire();
      }
    }
    // Nothing signalled yet: first run what the I/O engine could finish
    // now (an operation whose event or routine this wait may be for), then
    // look again before blocking.
    if (!settled) {
      settled = true;
      io_engine::get().settle();
      continue;
    }
    int wait_ms = -1;
    if (deadline != clock::time_point::max()) {
      auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - clock::now()).count();
      if (left <= 0) return WAIT_TIMEOUT;
      wait_ms = static_cast<int>(std::min<long long>(left, 1 << 30));
    }
    blocking_scope blocking(wait_ms != 0);
    if (wait_all) {
      // Wait for whichever is not yet signalled.
      std::vector<pollfd> pending;
      for (std::size_t i = 0; i < objects.size(); ++i)
        if (!signalled(*objects[i], fds[i].fd)) pending.push_back(fds[i]);
      if (alertable) pending.push_back(fds.back());
      if (pending.empty()) continue;
      if (::poll(pending.data(), pending.size(), wait_ms) < 0 && errno != EINTR) {
        SetLastError(ERROR_INVALID_HANDLE);
        return WAIT_FAILED;
      }
    } else if (::poll(fds.data(), fds.size(), wait_ms) < 0 && errno != EINTR) {
      SetLastError(ERROR_INVALID_HANDLE);
      return WAIT_FAILED;
    }
  }
}

}  // namespace conduit::win32
