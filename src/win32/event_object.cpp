#include "win32/event_object.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>

#include "win32/eventfd_counter.hpp"
#include "win32/handle_table.hpp"
#include "win32/named_event.hpp"

namespace conduit::win32 {

event_object::event_object(bool manual_reset, bool initially_set)
    : fd_(::eventfd(initially_set ? 1 : 0, EFD_CLOEXEC | EFD_NONBLOCK)),
      manual_reset_(manual_reset) {}

bool event_object::try_acquire() {
  if (manual_reset_) return true;
  return take_counter(fd_.get()) != 0;
}

void event_object::undo_acquire() {
  if (!manual_reset_) set();
}

void event_object::set() {
  // A set event stays set: no write, so the counter never grows past 1.
  int fd = fd_.get();
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, 0) == 1 && (p.revents & POLLIN)) return;
  (void)add_counter(fd, 1);
}

void event_object::reset() {
  (void)take_counter(fd_.get());
}

void event_object::last_handle_closed() {
  if (!name_key_.empty()) release_named_event(*this);
}

namespace {
HANDLE strip_low_bit(HANDLE event) {
  return reinterpret_cast<HANDLE>(reinterpret_cast<std::uintptr_t>(event) & ~std::uintptr_t{1});
}
}  // namespace

void signal_event_handle(HANDLE event) {
  if (!event) return;
  if (auto e = std::dynamic_pointer_cast<event_object>(lookup_handle(strip_low_bit(event)).object))
    e->set();
}

void reset_event_handle(HANDLE event) {
  if (!event) return;
  if (auto e = std::dynamic_pointer_cast<event_object>(lookup_handle(strip_low_bit(event)).object))
    e->reset();
}

}  // namespace conduit::win32
