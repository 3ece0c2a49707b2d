#include "win32/completion_port.hpp"

#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>

#include "win32/io_engine.hpp"
#include "win32/port_forwarding.hpp"
#include "win32/wait.hpp"

namespace conduit::win32 {
namespace {

void make_readable(int fd) {
  std::uint64_t one = 1;
  (void)!::write(fd, &one, sizeof(one));
}

void make_unreadable(int fd) {
  std::uint64_t count;
  (void)!::read(fd, &count, sizeof(count));
}

// The port the calling thread runs on, if any: it took packets from it and
// has neither asked again nor blocked since. Ending the thread leaves it.
struct port_membership {
  std::weak_ptr<completion_port> port;
  const completion_port* raw = nullptr;  // port's object, compared only while port lives
  bool running = false;
  ~port_membership() { completion_port::note_blocking(true); }
};
// Initial-exec, as last_error (api_handles.cpp): looked at on every packet.
[[gnu::tls_model("initial-exec")]] thread_local port_membership membership;

DWORD default_concurrency() {
  unsigned n = std::thread::hardware_concurrency();
  return n > 0 ? n : 1;
}

}  // namespace

completion_port::completion_port(DWORD concurrency)
    : limit_(concurrency ? concurrency : default_concurrency()),
      ready_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

void completion_port::post(const completion_packet& packet) {
  if (forward_to_) {
    forward_packet(forward_to_.get(), packet);
    return;
  }
  std::lock_guard lock(mutex_);
  if (closed_) return;
  packets_.push_back(packet);
  wake_locked();
}

void completion_port::wake_locked() {
  if (readable_ || packets_.empty() || running_ >= limit_) return;
  make_readable(ready_.get());
  readable_ = true;
}

void completion_port::note_blocking(bool blocking) {
  if (blocking) {
    leave_port();
    return;
  }
  // Back from the wait: running on the port again, even past its limit.
  if (membership.running) return;
  auto port = membership.port.lock();
  if (!port) return;
  std::lock_guard lock(port->mutex_);
  ++port->running_;
  membership.running = true;
}

void completion_port::leave_port() {
  if (!membership.running) return;
  membership.running = false;
  auto port = membership.port.lock();
  if (!port) return;
  std::lock_guard lock(port->mutex_);
  --port->running_;
  port->wake_locked();
}

bool completion_port::try_acquire() {
  std::lock_guard lock(mutex_);
  if (closed_ || (!packets_.empty() && running_ < limit_)) return true;
  // Readable from packets taken since: drained now, so the wait goes on.
  make_unreadable(ready_.get());
  readable_ = false;
  return false;
}

std::size_t completion_port::take_locked(std::span<completion_packet> out) {
  std::size_t n = 0;
  while (n < out.size() && !packets_.empty()) {
    out[n++] = packets_.front();
    packets_.pop_front();
  }
  return n;
}

std::size_t completion_port::take(std::span<completion_packet> out, DWORD timeout_ms,
                                  bool alertable, DWORD& why) {
  // A thread that runs on this port and finds packets waiting takes them
  // at once: leaving and joining again would change nothing but cost two
  // locks and reference counts per packet. (Not past the limit, where
  // leaving would hold it back.)
  if (membership.running && membership.raw == this && !membership.port.expired()) {
    std::lock_guard lock(mutex_);
    if (!closed_ && !packets_.empty() && running_ <= limit_) return take_locked(out);
  }
  using clock = std::chrono::steady_clock;
  auto deadline = timeout_ms == INFINITE ? clock::time_point::max()
                                         : clock::now() + std::chrono::milliseconds(timeout_ms);
  std::shared_ptr<kernel_object> self = shared_from_this();
  // Asking again, a thread no longer runs on what it took before; a thread
  // that ran on another port leaves it for this one.
  leave_port();
  membership.port.reset();
  bool settled = false;
  for (;;) {
    {
      // Packets first: an alertable wait runs APCs only when none waits.
      std::lock_guard lock(mutex_);
      if (closed_) {
        why = ERROR_ABANDONED_WAIT_0;
        return 0;
      }
      if (running_ < limit_) {
        if (std::size_t n = take_locked(out)) {
          ++running_;
          membership.port = std::static_pointer_cast<completion_port>(self);
          membership.raw = this;
          membership.running = true;
          return n;
        }
      }
    }
    // None queued: first let the I/O engine finish here what it can now,
    // whose packets may come to this port; then look again.
    if (!settled) {
      settled = true;
      io_engine::get().settle();
      continue;
    }
    DWORD left = INFINITE;
    if (deadline != clock::time_point::max()) {
      auto ms = std::chrono::ceil<std::chrono::milliseconds>(deadline - clock::now()).count();
      left = ms > 0 ? static_cast<DWORD>(std::min<long long>(ms, INFINITE - 1)) : 0;
    }
    DWORD result = wait_for_objects(std::span(&self, 1), false, left, alertable);
    if (result == WAIT_OBJECT_0) continue;  // another thread may have taken it: look again
    why = result == WAIT_FAILED ? GetLastError() : result;
    return 0;
  }
}

std::shared_ptr<completion_port> completion_port::forwarding_through(detail::unique_fd fd) {
  auto port = std::make_shared<completion_port>();
  port->forward_to_ = std::move(fd);
  return port;
}

int completion_port::forwarding_descriptor(ULONG_PTR key) {
  if (forward_to_) return forward_to_.get();
  std::lock_guard lock(mutex_);
  if (closed_) {
    errno = EBADF;
    return -1;
  }
  auto& link = forwarding_[key];
  if (!link.sender) {
    auto self = std::static_pointer_cast<completion_port>(shared_from_this());
    link.receiver = start_forwarding(self, key, link.sender);
    if (!link.receiver) {
      forwarding_.erase(key);
      return -1;
    }
  }
  return link.sender.get();
}

void completion_port::close() {
  std::lock_guard lock(mutex_);
  if (closed_) return;
  closed_ = true;
  // Other processes' packets are dropped from now on: their threads end.
  for (auto& [key, link] : forwarding_) ::shutdown(link.receiver->get(), SHUT_RDWR);
  forwarding_.clear();
  packets_.clear();
  if (!readable_) make_readable(ready_.get());
  readable_ = true;
}

}  // namespace conduit::win32
