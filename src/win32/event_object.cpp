#include "win32/event_object.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>

#include "win32/handle_table.hpp"
#include "win32/named_event.hpp"

namespace conduit::win32 {

event_object::event_object(bool manual_reset, bool initially_set)
    : fd_(::eventfd(initially_set ? 1 : 0, EFD_CLOEXEC | EFD_NONBLOCK)),
      manual_reset_(manual_reset) {}

namespace {

// Every process holding the event shares one open file description, so
// O_NONBLOCK is anybody's to flip: nothing here may depend on it. A read
// asks not to wait by itself (RWF_NOWAIT); an empty counter is simply not
// read, whatever the flag says.
bool take_count(int fd) {
  std::uint64_t count;
  iovec io{&count, sizeof(count)};
  for (;;) {
    ssize_t n = ::preadv2(fd, &io, 1, -1, RWF_NOWAIT);
    if (n == sizeof(count)) return true;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EOPNOTSUPP) break;  // a kernel before 5.12
    return false;
  }
  // Older kernels: read only what poll saw, which a concurrent reader can
  // still take first (then this read would wait while the flag is clear).
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 0) == 1 && (p.revents & POLLIN) &&
         ::read(fd, &count, sizeof(count)) == sizeof(count);
}

}  // namespace

bool event_object::try_acquire() {
  if (manual_reset_) return true;
  return take_count(fd_.get());
}

void event_object::set() {
  // A set event stays set: no write. A write of 1 waits only when the
  // counter is within 1 of its maximum, which only a holder writing such a
  // value itself brings about, and then the event is set (readable)
  // already; so only a counter seen at 0 is written to. Such a value
  // written in the instant between the two calls would still make the
  // write wait while the flag is clear: the flag is put back first (the
  // state every holder creates it in), which leaves a holder only that
  // instant to clear it again as well.
  int fd = fd_.get();
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, 0) == 1 && (p.revents & POLLIN)) return;
  int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0 && !(flags & O_NONBLOCK)) ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  std::uint64_t one = 1;
  (void)!::write(fd, &one, sizeof(one));
}

void event_object::reset() {
  (void)take_count(fd_.get());
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
