#include "win32/anonymous_pipe_object.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "conduit/error.hpp"
#include "runtime/anonymous_io.hpp"
#include "win32/thread_object.hpp"

namespace conduit::win32 {
namespace {

std::error_code win32_error(DWORD error) {
  return {static_cast<int>(error), conduit::win32_category()};
}

bool fd_is_pipe(int fd) {
  struct stat st {};
  return ::fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode);
}

// What Windows reports as an anonymous pipe's buffer sizes: nSize, or 4096
// when it was 0 (CreatePipe's default). Linux's real size is F_GETPIPE_SZ.
DWORD reported_size(DWORD asked) {
  return asked ? asked : 4096;
}

}  // namespace

DWORD anonymous_access(anonymous_pipe_object::end_kind kind) {
  switch (kind) {
    case anonymous_pipe_object::end_kind::read:
      return FILE_GENERIC_READ | FILE_WRITE_ATTRIBUTES;
    case anonymous_pipe_object::end_kind::write:
      return FILE_GENERIC_WRITE | FILE_READ_ATTRIBUTES;
    case anonymous_pipe_object::end_kind::standard:
      break;
  }
  return FILE_GENERIC_READ | FILE_GENERIC_WRITE;
}

anonymous_pipe_object::anonymous_pipe_object(int fd, end_kind kind, DWORD asked_size)
    : file_object(false, anonymous_access(kind)),
      fd_(fd),
      kind_(kind),
      is_pipe_(fd_is_pipe(fd)),
      asked_size_(asked_size) {}

anonymous_pipe_object::~anonymous_pipe_object() {
  int fd = fd_.exchange(-1);
  if (fd >= 0) ::close(fd);
}

// CloseHandle on the last handle closes the descriptor at once, so a reader
// sees the end of the stream without waiting for calls still under way.
void anonymous_pipe_object::last_handle_closed() {
  int fd = fd_.exchange(-1);
  if (fd >= 0) ::close(fd);
}

std::size_t anonymous_pipe_object::read_blocking(std::span<std::byte> buffer, std::error_code& ec) {
  if (!(access() & FILE_READ_DATA)) {
    ec = win32_error(ERROR_ACCESS_DENIED);
    return 0;
  }
  int fd = this->fd();
  if (fd < 0) {
    ec = win32_error(ERROR_INVALID_HANDLE);
    return 0;
  }
  if (is_pipe_) {
    // The descriptor blocks (a child may share it): the read is the wait,
    // as in the C++ API, and CancelSynchronousIo interrupts it.
    synchronous_io_scope scope;
    return detail::pipe_read(fd, buffer, ec);
  }
  // A file or terminal: the end of it is a successful read of nothing.
  for (;;) {
    ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno == EINTR) continue;
    ec = std::error_code(errno, std::system_category());
    return 0;
  }
}

std::size_t anonymous_pipe_object::write_blocking(std::span<const std::byte> data,
                                                  std::error_code& ec) {
  if (!(access() & FILE_WRITE_DATA)) {
    ec = win32_error(ERROR_ACCESS_DENIED);
    return 0;
  }
  int fd = this->fd();
  if (fd < 0) {
    ec = win32_error(ERROR_INVALID_HANDLE);
    return 0;
  }
  // pipe_write works on any descriptor and keeps SIGPIPE away. A write
  // waiting on a full pipe is ended by CancelSynchronousIo; what of it went
  // out stays in the pipe.
  synchronous_io_scope scope;
  return detail::pipe_write(fd, data, ec);
}

// Never called: the handle is never overlapped. Refused all the same.
std::shared_ptr<io_operation> anonymous_pipe_object::make_read(std::span<std::byte>,
                                                               std::error_code& ec) {
  ec = win32_error(ERROR_INVALID_PARAMETER);
  return nullptr;
}

std::shared_ptr<io_operation> anonymous_pipe_object::make_write(std::span<const std::byte>,
                                                                std::error_code& ec) {
  ec = win32_error(ERROR_INVALID_PARAMETER);
  return nullptr;
}

// Linux cannot wait for a pipe to be drained; data written is already in
// the kernel, which is what FlushFileBuffers promises for a file.
void anonymous_pipe_object::flush(std::error_code& ec) {
  if (fd() < 0) ec = win32_error(ERROR_INVALID_HANDLE);
}

BOOL anonymous_pipe_object::peek(LPVOID buffer, DWORD size, LPDWORD read, LPDWORD available,
                                 LPDWORD left) {
  int fd = this->fd();
  if (fd < 0 || !is_pipe_) {
    SetLastError(fd < 0 ? ERROR_INVALID_HANDLE : ERROR_INVALID_FUNCTION);
    return FALSE;
  }
  if (!(access() & FILE_READ_DATA)) {
    SetLastError(ERROR_ACCESS_DENIED);
    return FALSE;
  }
  int queued = 0;
  if (::ioctl(fd, FIONREAD, &queued) != 0) queued = 0;
  DWORD copied = 0;
  if (buffer && size && queued > 0) {
    // Linux has no peek on a pipe: tee() the bytes into a scratch pipe and
    // read them from there, leaving the original untouched.
    int scratch[2];
    if (::pipe2(scratch, O_CLOEXEC | O_NONBLOCK) == 0) {
      ssize_t n = ::tee(fd, scratch[1], std::min<std::size_t>(size, queued), SPLICE_F_NONBLOCK);
      if (n > 0) {
        ssize_t got = ::read(scratch[0], buffer, static_cast<std::size_t>(n));
        if (got > 0) copied = static_cast<DWORD>(got);
      }
      ::close(scratch[0]);
      ::close(scratch[1]);
    }
  }
  // The writers all gone and nothing left: what Windows reports then.
  if (queued == 0) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 0) == 1 && (p.revents & POLLHUP) && !(p.revents & POLLIN)) {
      SetLastError(ERROR_BROKEN_PIPE);
      return FALSE;
    }
  }
  if (read) *read = copied;
  if (available) *available = static_cast<DWORD>(queued);
  // A byte pipe: minus the bytes peeked, as Windows gives it (Microsoft's
  // page says zero; docs/differences.md).
  if (left) *left = 0u - copied;
  return TRUE;
}

BOOL anonymous_pipe_object::info(LPDWORD flags, LPDWORD out_size, LPDWORD in_size,
                                 LPDWORD max_instances) const {
  if (!is_pipe_) {
    SetLastError(ERROR_INVALID_FUNCTION);
    return FALSE;
  }
  // CreatePipe makes an inbound named pipe: the read end is its server end.
  if (flags)
    *flags = (kind_ == end_kind::read ? PIPE_SERVER_END : PIPE_CLIENT_END) | PIPE_TYPE_BYTE;
  if (out_size) *out_size = reported_size(asked_size_);
  if (in_size) *in_size = reported_size(asked_size_);
  if (max_instances) *max_instances = 1;
  return TRUE;
}

}  // namespace conduit::win32
