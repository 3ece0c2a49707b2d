#include "win32/eventfd_counter.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace conduit::win32 {

std::uint64_t take_counter(int fd) {
  // A read asks not to wait by itself (RWF_NOWAIT); an empty counter is
  // simply not read, whatever the flag says.
  std::uint64_t count = 0;
  iovec io{&count, sizeof(count)};
  for (;;) {
    ssize_t n = ::preadv2(fd, &io, 1, -1, RWF_NOWAIT);
    if (n == sizeof(count)) return count;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EOPNOTSUPP) break;  // a kernel before 5.12
    return 0;
  }
  // Older kernels: read only what poll saw, which a concurrent reader can
  // still take first (then this read would wait while the flag is clear).
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, 0) == 1 && (p.revents & POLLIN) &&
      ::read(fd, &count, sizeof(count)) == sizeof(count))
    return count;
  return 0;
}

bool add_counter(int fd, std::uint64_t n) {
  // A write waits only when the counter would pass its maximum: the flag
  // is put back first (the state every holder creates it in), which leaves
  // a holder only an instant to clear it again as well.
  int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0 && !(flags & O_NONBLOCK)) ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  for (;;) {
    ssize_t written = ::write(fd, &n, sizeof(n));
    if (written == sizeof(n)) return true;
    if (written < 0 && errno == EINTR) continue;
    return false;
  }
}

std::optional<std::uint64_t> peek_counter(int fd) {
  // Plain system calls: this runs on every ReleaseSemaphore.
  char path[48];
  std::snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
  int info = ::open(path, O_RDONLY | O_CLOEXEC);
  if (info < 0) return std::nullopt;
  char text[512];
  ssize_t n = ::read(info, text, sizeof text - 1);
  ::close(info);
  if (n <= 0) return std::nullopt;
  text[n] = '\0';
  const char* line = std::strstr(text, "eventfd-count:");
  if (!line) return std::nullopt;
  return std::strtoull(line + std::strlen("eventfd-count:"), nullptr, 16);
}

}  // namespace conduit::win32
