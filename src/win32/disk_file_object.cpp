#include "win32/disk_file_object.hpp"

#include <unistd.h>

#include <cerrno>

#include "conduit/error.hpp"
#include "win32/io_completion.hpp"
#include "win32/io_operation.hpp"
#include "win32/status.hpp"

namespace conduit::win32 {
namespace {

std::error_code win32_error(DWORD error) {
  return conduit::make_error_code(static_cast<conduit::errc>(error));
}

std::uint64_t offset_of(const OVERLAPPED* ov) {
  return (static_cast<std::uint64_t>(ov->OffsetHigh) << 32) | ov->Offset;
}

// What a read or write of `n` bytes (or -1, errno set) comes to: Linux's
// errors as Windows names them.
std::error_code io_error(ssize_t n) {
  if (n >= 0) return {};
  switch (errno) {
    case EBADF:
      return win32_error(ERROR_ACCESS_DENIED);  // opened without that access
    case ENOSPC:
    case EDQUOT:
      return win32_error(ERROR_DISK_FULL);
    case EFBIG:
    case EINVAL:
      return win32_error(ERROR_INVALID_PARAMETER);
    case EISDIR:
      return win32_error(ERROR_INVALID_FUNCTION);
    default:
      return conduit::error_from_errno(errno);
  }
}

// One positional read or write, done at once (disk I/O does not wait for
// readiness; epoll would not take a regular file anyway).
class positional_operation final : public io_operation {
 public:
  positional_operation(int fd, direction dir, std::span<std::byte> buffer, std::uint64_t offset,
                       OVERLAPPED* overlapped)
      : io_operation(fd, dir), buffer_(buffer), offset_(offset), overlapped_(overlapped) {}

  bool attempt() override {
    ssize_t n;
    do {
      n = dir() == direction::in
              ? ::pread(fd(), buffer_.data(), buffer_.size(), static_cast<off_t>(offset_))
              : ::pwrite(fd(), buffer_.data(), buffer_.size(), static_cast<off_t>(offset_));
    } while (n < 0 && errno == EINTR);
    if (n == 0 && dir() == direction::in && !buffer_.empty()) {
      // Past the end: Windows fails the read with ERROR_HANDLE_EOF and
      // leaves STATUS_END_OF_FILE in the OVERLAPPED for GetOverlappedResult.
      if (overlapped_) {
        store_status(overlapped_, STATUS_END_OF_FILE);
        overlapped_->InternalHigh = 0;
      }
      finish(ERROR_HANDLE_EOF, 0);
      return true;
    }
    finish(error_from_code(io_error(n)), n < 0 ? 0 : static_cast<std::size_t>(n));
    return true;
  }

 private:
  std::span<std::byte> buffer_;
  std::uint64_t offset_;
  OVERLAPPED* overlapped_;
};

bool can_read(DWORD access) {
  return access & FILE_READ_DATA;
}

bool can_write(DWORD access) {
  return access & (FILE_WRITE_DATA | FILE_APPEND_DATA);
}

}  // namespace

disk_file_object::disk_file_object(detail::unique_fd fd, DWORD access, bool overlapped,
                                   std::string path, bool delete_on_close)
    : file_object(overlapped, access),
      fd_(std::move(fd)),
      path_(std::move(path)),
      delete_on_close_(delete_on_close) {}

disk_file_object::~disk_file_object() = default;

void disk_file_object::last_handle_closed() {
  if (delete_on_close_) ::unlink(path_.c_str());
  share_.release();
}

void disk_file_object::flush(std::error_code& ec) {
  if (!can_write(access())) {
    ec = win32_error(ERROR_ACCESS_DENIED);
    return;
  }
  if (::fsync(fd_.get()) != 0 && errno != EINVAL && errno != EROFS)  // a FIFO or tty: nothing to do
    ec = conduit::error_from_errno(errno);
}

std::size_t disk_file_object::read_blocking(std::span<std::byte> buffer, std::error_code& ec) {
  return read_blocking_at(buffer, nullptr, ec);
}

std::size_t disk_file_object::write_blocking(std::span<const std::byte> data, std::error_code& ec) {
  return write_blocking_at(data, nullptr, ec);
}

std::shared_ptr<io_operation> disk_file_object::make_read(std::span<std::byte> buffer,
                                                          std::error_code& ec) {
  return make_read_at(buffer, nullptr, ec);
}

std::shared_ptr<io_operation> disk_file_object::make_write(std::span<const std::byte> data,
                                                           std::error_code& ec) {
  return make_write_at(data, nullptr, ec);
}

std::size_t disk_file_object::read_blocking_at(std::span<std::byte> buffer,
                                               const OVERLAPPED* overlapped, std::error_code& ec) {
  if (!can_read(access())) {
    ec = win32_error(ERROR_ACCESS_DENIED);
    return 0;
  }
  ssize_t n;
  do {
    // With an OVERLAPPED, a handle without FILE_FLAG_OVERLAPPED reads at
    // its offset and then leaves the file pointer after what it read.
    if (overlapped) {
      n = ::pread(fd_.get(), buffer.data(), buffer.size(),
                  static_cast<off_t>(offset_of(overlapped)));
      if (n >= 0) ::lseek(fd_.get(), static_cast<off_t>(offset_of(overlapped) + n), SEEK_SET);
    } else {
      n = ::read(fd_.get(), buffer.data(), buffer.size());  // 0 at the end: TRUE, 0 bytes
    }
  } while (n < 0 && errno == EINTR);
  ec = io_error(n);
  return n < 0 ? 0 : static_cast<std::size_t>(n);
}

std::size_t disk_file_object::write_blocking_at(std::span<const std::byte> data,
                                                const OVERLAPPED* overlapped, std::error_code& ec) {
  if (!can_write(access())) {
    ec = win32_error(ERROR_ACCESS_DENIED);
    return 0;
  }
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n;
    if (overlapped)
      n = ::pwrite(fd_.get(), data.data() + done, data.size() - done,
                   static_cast<off_t>(offset_of(overlapped) + done));
    else
      n = ::write(fd_.get(), data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ec = n < 0 ? io_error(n) : win32_error(ERROR_DISK_FULL);
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  if (overlapped && !ec)
    ::lseek(fd_.get(), static_cast<off_t>(offset_of(overlapped) + done), SEEK_SET);
  return done;
}

std::shared_ptr<io_operation> disk_file_object::make_read_at(std::span<std::byte> buffer,
                                                             const OVERLAPPED* overlapped,
                                                             std::error_code& ec) {
  if (!can_read(access())) {
    ec = win32_error(ERROR_ACCESS_DENIED);
    return nullptr;
  }
  // Without an OVERLAPPED (allowed for an overlapped handle), at the file
  // pointer as it is now.
  std::uint64_t offset = overlapped ? offset_of(overlapped)
                                    : static_cast<std::uint64_t>(::lseek(fd_.get(), 0, SEEK_CUR));
  return std::make_shared<positional_operation>(fd_.get(), io_operation::direction::in, buffer,
                                                offset, const_cast<OVERLAPPED*>(overlapped));
}

std::shared_ptr<io_operation> disk_file_object::make_write_at(std::span<const std::byte> data,
                                                              const OVERLAPPED* overlapped,
                                                              std::error_code& ec) {
  if (!can_write(access())) {
    ec = win32_error(ERROR_ACCESS_DENIED);
    return nullptr;
  }
  std::uint64_t offset = overlapped ? offset_of(overlapped)
                                    : static_cast<std::uint64_t>(::lseek(fd_.get(), 0, SEEK_CUR));
  auto bytes = std::span(const_cast<std::byte*>(data.data()), data.size());
  return std::make_shared<positional_operation>(fd_.get(), io_operation::direction::out, bytes,
                                                offset, const_cast<OVERLAPPED*>(overlapped));
}

}  // namespace conduit::win32
