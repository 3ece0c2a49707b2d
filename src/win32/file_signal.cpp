#include "win32/file_signal.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>

namespace conduit::win32 {

file_signal::file_signal() : fd_(::eventfd(1, EFD_CLOEXEC | EFD_NONBLOCK)) {}

void file_signal::make_readable() {
  if (readable_.exchange(true)) return;
  std::uint64_t one = 1;
  (void)!::write(fd_.get(), &one, sizeof(one));
}

void file_signal::set() {
  set_.store(true);
  make_readable();
}

bool file_signal::claim() {
  if (set_.load()) return true;
  readable_.store(false);
  std::uint64_t count;
  (void)!::read(fd_.get(), &count, sizeof(count));
  // A set() that came meanwhile may have found the descriptor still
  // readable and left it: make sure it is readable for what it set.
  if (set_.load()) {
    make_readable();
    return true;
  }
  return false;
}

}  // namespace conduit::win32
