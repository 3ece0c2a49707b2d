#include "win32/thread_object.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

namespace conduit::win32 {
namespace {
// Initial-exec, as last_error (api_handles.cpp): looked at on every I/O call.
[[gnu::tls_model("initial-exec")]] thread_local std::shared_ptr<thread_object> this_thread_object;
}  // namespace

thread_object::thread_object()
    : exited_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
      apc_ready_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
      id_(current_thread_id()) {}

void thread_object::finish(DWORD code) {
  exit_code_.store(code);
  finished_.store(true);
  std::uint64_t one = 1;
  (void)!::write(exited_.get(), &one, sizeof(one));
}

void thread_object::queue_apc(std::function<void()> apc) {
  std::lock_guard lock(apc_mutex_);
  apcs_.push_back(std::move(apc));
  std::uint64_t one = 1;
  (void)!::write(apc_ready_.get(), &one, sizeof(one));
}

bool thread_object::run_apcs() {
  bool ran = false;
  for (;;) {
    std::function<void()> apc;
    {
      std::lock_guard lock(apc_mutex_);
      if (apcs_.empty()) {
        std::uint64_t count;
        (void)!::read(apc_ready_.get(), &count, sizeof(count));  // now empty: not readable
        return ran;
      }
      apc = std::move(apcs_.front());
      apcs_.pop_front();
    }
    apc();
    ran = true;
  }
}

const std::shared_ptr<thread_object>& current_thread_object() {
  if (!this_thread_object) this_thread_object = std::make_shared<thread_object>();
  return this_thread_object;
}

void adopt_thread_object(std::shared_ptr<thread_object> object) {
  object->set_id(current_thread_id());
  this_thread_object = std::move(object);
}

// Asked on every overlapped operation (for CancelIo): ask the kernel once.
DWORD current_thread_id() {
  thread_local const DWORD id = static_cast<DWORD>(::gettid());
  return id;
}

}  // namespace conduit::win32
