#include "win32/process_object.hpp"

#include <fcntl.h>

#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <map>

#include "win32/handle_table.hpp"
#include "win32/status.hpp"

namespace conduit::win32 {
namespace {

struct registry {
  std::mutex mutex;
  std::map<int, std::weak_ptr<launched_child>> children;
};

registry& the_registry() {
  static registry* r = new registry();  // never destroyed: used at exit
  return *r;
}

bool has_ended(int pidfd) {
  pollfd p{pidfd, POLLIN, 0};
  return ::poll(&p, 1, 0) == 1;
}

}  // namespace

std::shared_ptr<launched_child> register_child(conduit::process process) {
  auto child = std::make_shared<launched_child>();
  int pid = static_cast<int>(process.id());
  child->process = std::move(process);
  registry& r = the_registry();
  std::lock_guard lock(r.mutex);
  // Forget children whose handles are all gone (their pids may be reused).
  std::erase_if(r.children, [](const auto& entry) { return entry.second.expired(); });
  r.children[pid] = child;
  return child;
}

std::shared_ptr<launched_child> find_child(int pid) {
  registry& r = the_registry();
  std::lock_guard lock(r.mutex);
  auto it = r.children.find(pid);
  return it == r.children.end() ? nullptr : it->second.lock();
}

process_object::process_object(std::shared_ptr<launched_child> child)
    : child_(std::move(child)), pid_(static_cast<int>(child_->process.id())) {}

process_object::process_object(int pid, int pidfd) : pid_(pid), pidfd_(pidfd) {}

process_object::~process_object() {
  if (pidfd_ >= 0) ::close(pidfd_);
}

int process_object::wait_fd() const {
  return child_ ? child_->process.native_handle() : pidfd_;
}

BOOL process_object::exit_code(LPDWORD code) {
  if (!code) {
    SetLastError(ERROR_INVALID_PARAMETER);
    return FALSE;
  }
  if (child_) {
    std::lock_guard lock(child_->mutex);
    std::error_code ec;
    auto result = child_->process.exit_code(ec);
    if (ec) return report(ec);
    *code = result ? *result : STILL_ACTIVE;
    return TRUE;
  }
  // Not our child: Linux tells only its parent how it ended.
  *code = has_ended(pidfd_) ? 0 : STILL_ACTIVE;
  return TRUE;
}

BOOL process_object::terminate(UINT code) {
  if (child_) {
    std::lock_guard lock(child_->mutex);
    std::error_code ec;
    child_->process.terminate(code, ec);
    return report(ec);
  }
  if (has_ended(pidfd_)) {
    SetLastError(ERROR_ACCESS_DENIED);  // as Windows says of an ended process
    return FALSE;
  }
  if (::syscall(SYS_pidfd_send_signal, pidfd_, SIGKILL, nullptr, 0) != 0) {
    SetLastError(errno == EPERM ? ERROR_ACCESS_DENIED : ERROR_INVALID_HANDLE);
    return FALSE;
  }
  return TRUE;
}

std::shared_ptr<process_object> process_for(HANDLE handle, DWORD needed) {
  handle_entry entry = lookup_handle(handle);
  auto object = std::dynamic_pointer_cast<process_object>(entry.object);
  if (!object) {
    SetLastError(ERROR_INVALID_HANDLE);
    return nullptr;
  }
  if (!(entry.access & needed)) {
    SetLastError(ERROR_ACCESS_DENIED);
    return nullptr;
  }
  return object;
}

const std::shared_ptr<process_object>& current_process_object() {
  static const auto self = [] {
    int pid = static_cast<int>(::getpid());
    int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (pidfd >= 0) ::fcntl(pidfd, F_SETFD, FD_CLOEXEC);
    return std::make_shared<process_object>(pid, pidfd);
  }();
  return self;
}

}  // namespace conduit::win32
