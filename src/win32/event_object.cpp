#include "win32/event_object.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include "win32/handle_table.hpp"
#include "win32/named_event.hpp"

namespace conduit::win32 {

event_object::event_object(bool manual_reset, bool initially_set)
    : fd_(::eventfd(initially_set ? 1 : 0, EFD_CLOEXEC | EFD_NONBLOCK)),
      manual_reset_(manual_reset) {}

bool event_object::try_acquire() {
  if (manual_reset_) return true;
  std::uint64_t count;
  return ::read(fd_.get(), &count, sizeof(count)) == sizeof(count);
}

void event_object::set() {
  std::uint64_t one = 1;
  (void)!::write(fd_.get(), &one, sizeof(one));
}

void event_object::reset() {
  std::uint64_t count;
  (void)!::read(fd_.get(), &count, sizeof(count));
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
