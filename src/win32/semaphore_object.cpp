#include "win32/semaphore_object.hpp"

#include <sys/eventfd.h>

#include "win32/eventfd_counter.hpp"
#include "win32/named_sync_object.hpp"

namespace conduit::win32 {

semaphore_object::semaphore_object(LONG initial, LONG maximum)
    : fd_(::eventfd(static_cast<unsigned>(initial), EFD_CLOEXEC | EFD_NONBLOCK | EFD_SEMAPHORE)),
      maximum_(maximum) {}

semaphore_object::semaphore_object(detail::unique_fd fd, LONG maximum, std::string name_key)
    : fd_(std::move(fd)), maximum_(maximum), name_key_(std::move(name_key)) {}

bool semaphore_object::try_acquire() {
  return take_counter(fd_.get()) != 0;  // semaphore mode: takes one
}

void semaphore_object::undo_acquire() {
  (void)add_counter(fd_.get(), 1);
}

void semaphore_object::last_handle_closed() {
  if (!name_key_.empty()) release_named_sync_object(name_key_, this);
}

DWORD semaphore_object::release(LONG count, LONG* previous) {
  if (count < 0) return ERROR_TOO_MANY_POSTS;
  std::lock_guard lock(release_mutex_);
  auto now = peek_counter(fd_.get());
  if (!now) return ERROR_INVALID_HANDLE;
  if (*now > static_cast<std::uint64_t>(maximum_) ||
      static_cast<std::uint64_t>(count) > static_cast<std::uint64_t>(maximum_) - *now)
    return ERROR_TOO_MANY_POSTS;
  if (count > 0 && !add_counter(fd_.get(), static_cast<std::uint64_t>(count)))
    return ERROR_TOO_MANY_POSTS;
  if (previous) *previous = static_cast<LONG>(*now);
  return ERROR_SUCCESS;
}

}  // namespace conduit::win32
