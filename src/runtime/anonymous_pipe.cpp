// Anonymous pipes: Linux pipes, close-on-exec from birth.
#include "conduit/anonymous_pipe.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <utility>

#include "conduit/error.hpp"
#include "core/throw_error.hpp"
#include "core/unique_fd.hpp"
#include "runtime/anonymous_io.hpp"

namespace conduit {

using detail::throw_if_error;

namespace {

// The largest size an unprivileged process may ask for. Root may go past it,
// but a Windows nSize is advice, never a reason to pin megabytes of kernel
// memory, so conduit stays under it for everyone.
std::size_t pipe_max_size() noexcept {
  std::size_t value = 1 << 20;
  if (std::FILE* f = std::fopen("/proc/sys/fs/pipe-max-size", "re")) {
    unsigned long read_value = 0;
    if (std::fscanf(f, "%lu", &read_value) == 1 && read_value > 0) value = read_value;
    std::fclose(f);
  }
  return value;
}

void apply_buffer_size(int fd, std::size_t requested) noexcept {
  if (requested == 0) return;
  static const std::size_t max_size = pipe_max_size();
  std::size_t size = std::min(requested, max_size);
  // Refusal (EPERM when the user's pipe memory is over the soft limit,
  // EBUSY when a smaller size cannot hold what is buffered) keeps the default.
  (void)::fcntl(fd, F_SETPIPE_SZ, static_cast<int>(std::min<std::size_t>(size, 1u << 30)));
}

void make_cloexec(int fd) noexcept {
  int flags = ::fcntl(fd, F_GETFD);
  if (flags >= 0 && !(flags & FD_CLOEXEC)) ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

}  // namespace

// --- anonymous_pipe_end ------------------------------------------------------

anonymous_pipe_end::anonymous_pipe_end(anonymous_pipe_end&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), inheritable_(std::exchange(other.inheritable_, false)) {}

anonymous_pipe_end& anonymous_pipe_end::operator=(anonymous_pipe_end&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::exchange(other.fd_, -1);
    inheritable_ = std::exchange(other.inheritable_, false);
  }
  return *this;
}

anonymous_pipe_end::~anonymous_pipe_end() {
  close();
}

void anonymous_pipe_end::close() noexcept {
  detail::unique_fd closing(std::exchange(fd_, -1));
}

int anonymous_pipe_end::release() noexcept {
  return std::exchange(fd_, -1);
}

std::size_t anonymous_pipe_end::buffer_size() const {
  std::error_code ec;
  auto size = buffer_size(ec);
  throw_if_error(ec, "conduit::anonymous_pipe_end::buffer_size");
  return size;
}

std::size_t anonymous_pipe_end::buffer_size(std::error_code& ec) const noexcept {
  ec.clear();
  int size = fd_ < 0 ? -1 : ::fcntl(fd_, F_GETPIPE_SZ);
  if (size < 0) {
    ec = fd_ < 0 ? make_error_code(errc::invalid_handle) : error_from_errno(errno);
    return 0;
  }
  return static_cast<std::size_t>(size);
}

int anonymous_pipe_end::duplicate_fd(std::error_code& ec) const noexcept {
  ec.clear();
  if (fd_ < 0) {
    ec = errc::invalid_handle;
    return -1;
  }
  int copy = ::fcntl(fd_, F_DUPFD_CLOEXEC, 3);
  if (copy < 0) ec = error_from_errno(errno);
  return copy;
}

// --- anonymous_read_end ------------------------------------------------------

anonymous_read_end anonymous_read_end::from_native_handle(int fd, bool inheritable) noexcept {
  make_cloexec(fd);
  return anonymous_read_end(fd, inheritable);
}

std::size_t anonymous_read_end::read(std::span<std::byte> buffer) {
  std::error_code ec;
  auto n = read(buffer, ec);
  throw_if_error(ec, "conduit::anonymous_read_end::read");
  return n;
}

std::size_t anonymous_read_end::read(std::span<std::byte> buffer, std::error_code& ec) noexcept {
  if (fd_ < 0) {
    ec = errc::invalid_handle;
    return 0;
  }
  return detail::pipe_read(fd_, buffer, ec);
}

std::string anonymous_read_end::read_to_end() {
  return read_to_end(std::chrono::milliseconds(-1));
}

std::string anonymous_read_end::read_to_end(std::error_code& ec) noexcept {
  return read_to_end(std::chrono::milliseconds(-1), ec);
}

std::string anonymous_read_end::read_to_end(std::chrono::milliseconds timeout) {
  std::error_code ec;
  auto text = read_to_end(timeout, ec);
  throw_if_error(ec, "conduit::anonymous_read_end::read_to_end");
  return text;
}

std::string anonymous_read_end::read_to_end(std::chrono::milliseconds timeout,
                                            std::error_code& ec) noexcept {
  ec.clear();
  std::string text;
  if (fd_ < 0) {
    ec = errc::invalid_handle;
    return text;
  }
  detail::deadline until(timeout);
  bool bounded = timeout.count() >= 0;
  try {
    std::array<std::byte, 64 * 1024> chunk;
    for (;;) {
      // Without a deadline the blocking read is the wait; with one, poll first.
      if (bounded && !detail::pipe_wait_readable(fd_, until, ec)) {
        if (!ec) ec = errc::sem_timeout;
        return text;
      }
      std::size_t n = detail::pipe_read(fd_, chunk, ec);
      if (ec == errc::broken_pipe) {
        ec.clear();
        return text;
      }
      if (ec) return text;
      text.append(reinterpret_cast<const char*>(chunk.data()), n);
    }
  } catch (const std::bad_alloc&) {
    ec = errc::not_enough_memory;
    return text;
  }
}

std::size_t anonymous_read_end::bytes_available() const {
  std::error_code ec;
  auto n = bytes_available(ec);
  throw_if_error(ec, "conduit::anonymous_read_end::bytes_available");
  return n;
}

std::size_t anonymous_read_end::bytes_available(std::error_code& ec) const noexcept {
  ec.clear();
  int available = 0;
  if (fd_ < 0 || ::ioctl(fd_, FIONREAD, &available) != 0) {
    ec = fd_ < 0 ? make_error_code(errc::invalid_handle) : error_from_errno(errno);
    return 0;
  }
  return static_cast<std::size_t>(available);
}

bool anonymous_read_end::wait_readable(std::chrono::milliseconds timeout) const {
  std::error_code ec;
  bool ready = wait_readable(timeout, ec);
  throw_if_error(ec, "conduit::anonymous_read_end::wait_readable");
  return ready;
}

bool anonymous_read_end::wait_readable(std::chrono::milliseconds timeout,
                                       std::error_code& ec) const noexcept {
  if (fd_ < 0) {
    ec = errc::invalid_handle;
    return false;
  }
  return detail::pipe_wait_readable(fd_, detail::deadline(timeout), ec);
}

anonymous_read_end anonymous_read_end::duplicate(bool inheritable) const {
  std::error_code ec;
  auto copy = duplicate(inheritable, ec);
  throw_if_error(ec, "conduit::anonymous_read_end::duplicate");
  return copy;
}

anonymous_read_end anonymous_read_end::duplicate(bool inheritable,
                                                 std::error_code& ec) const noexcept {
  int fd = duplicate_fd(ec);
  return fd < 0 ? anonymous_read_end() : anonymous_read_end(fd, inheritable);
}

// --- anonymous_write_end -----------------------------------------------------

anonymous_write_end anonymous_write_end::from_native_handle(int fd, bool inheritable) noexcept {
  make_cloexec(fd);
  return anonymous_write_end(fd, inheritable);
}

std::size_t anonymous_write_end::write(std::span<const std::byte> data) {
  std::error_code ec;
  auto n = write(data, ec);
  throw_if_error(ec, "conduit::anonymous_write_end::write");
  return n;
}

std::size_t anonymous_write_end::write(std::span<const std::byte> data,
                                       std::error_code& ec) noexcept {
  if (fd_ < 0) {
    ec = errc::invalid_handle;
    return 0;
  }
  return detail::pipe_write(fd_, data, ec);
}

anonymous_write_end anonymous_write_end::duplicate(bool inheritable) const {
  std::error_code ec;
  auto copy = duplicate(inheritable, ec);
  throw_if_error(ec, "conduit::anonymous_write_end::duplicate");
  return copy;
}

anonymous_write_end anonymous_write_end::duplicate(bool inheritable,
                                                   std::error_code& ec) const noexcept {
  int fd = duplicate_fd(ec);
  return fd < 0 ? anonymous_write_end() : anonymous_write_end(fd, inheritable);
}

// --- anonymous_pipe ----------------------------------------------------------

anonymous_pipe anonymous_pipe::create(const anonymous_pipe_options& options) {
  std::error_code ec;
  auto pipe = create(options, ec);
  throw_if_error(ec, "conduit::anonymous_pipe::create");
  return pipe;
}

anonymous_pipe anonymous_pipe::create(const anonymous_pipe_options& options,
                                      std::error_code& ec) noexcept {
  ec.clear();
  int fds[2];
  // O_CLOEXEC always: no child started by any thread may get an end unless
  // the launcher hands it over explicitly.
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    ec = error_from_errno(errno);
    return {};
  }
  apply_buffer_size(fds[1], options.buffer_size);
  return anonymous_pipe{anonymous_read_end(fds[0], options.inheritable_read),
                        anonymous_write_end(fds[1], options.inheritable_write)};
}

}  // namespace conduit
