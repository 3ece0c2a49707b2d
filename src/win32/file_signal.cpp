#include "win32/file_signal.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>

namespace conduit::win32 {

file_signal::~file_signal() {
  if (int fd = fd_.load(); fd >= 0) ::close(fd);
}

int file_signal::wait_fd() const {
  int fd = fd_.load(std::memory_order_acquire);
  if (fd >= 0) return fd;
  // Readable, as readable_ says while there is no descriptor: claim() is the
  // only one to clear it, and it runs only after a poll of this descriptor.
  int made = ::eventfd(1, EFD_CLOEXEC | EFD_NONBLOCK);
  if (made < 0) return -1;
  int none = -1;
  if (fd_.compare_exchange_strong(none, made, std::memory_order_acq_rel)) return made;
  ::close(made);  // another waiter made one first
  return none;
}

void file_signal::make_readable() {
  if (readable_.exchange(true)) return;
  std::uint64_t one = 1;
  (void)!::write(fd_.load(std::memory_order_acquire), &one, sizeof(one));
}

void file_signal::set() {
  set_.store(true);
  make_readable();
}

bool file_signal::claim() {
  if (set_.load()) return true;
  readable_.store(false);
  std::uint64_t count;
  (void)!::read(fd_.load(std::memory_order_acquire), &count, sizeof(count));
  // A set() that came meanwhile may have found the descriptor still
  // readable and left it: make sure it is readable for what it set.
  if (set_.load()) {
    make_readable();
    return true;
  }
  return false;
}

}  // namespace conduit::win32
