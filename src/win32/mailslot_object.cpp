#include "win32/mailslot_object.hpp"

#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "conduit/error.hpp"
#include "core/unique_fd.hpp"
#include "runtime/mailslot_reader.hpp"
#include "runtime/mailslot_writer.hpp"
#include "win32/io_engine.hpp"
#include "win32/io_operation.hpp"
#include "win32/status.hpp"

namespace conduit::win32 {
namespace {

using detail::unique_fd;

// What a read waits on: an epoll set of the slot's socket, the slot's
// closed signal and, when the read timeout is finite and not zero, a timer.
// It polls readable when any of them is, so the engine wakes the read for a
// message, for the slot's close or for its end. The closed signal is what
// makes a close racing the read's start always heard: the socket itself is
// only shut down, and a read registered after that may never see it.
struct read_waiter {
  unique_fd set;
  unique_fd timer;
};

bool make_waiter(const detail::mailslot_reader& reader, std::uint32_t timeout_ms, read_waiter& w,
                 std::error_code& ec) {
  w.set.reset(::epoll_create1(EPOLL_CLOEXEC));
  if (!w.set) {
    ec = error_from_errno(errno);
    return false;
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  if (::epoll_ctl(w.set.get(), EPOLL_CTL_ADD, reader.socket(), &ev) != 0 ||
      ::epoll_ctl(w.set.get(), EPOLL_CTL_ADD, reader.closed_fd(), &ev) != 0) {
    ec = error_from_errno(errno);
    return false;
  }
  if (timeout_ms == 0 || timeout_ms == detail::mailslot_forever_ms) return true;
  w.timer.reset(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
  if (!w.timer) {
    ec = error_from_errno(errno);
    return false;
  }
  itimerspec spec{};
  spec.it_value.tv_sec = timeout_ms / 1000;
  spec.it_value.tv_nsec = static_cast<long>(timeout_ms % 1000) * 1000000L;
  if (::timerfd_settime(w.timer.get(), 0, &spec, nullptr) != 0 ||
      ::epoll_ctl(w.set.get(), EPOLL_CTL_ADD, w.timer.get(), &ev) != 0) {
    ec = error_from_errno(errno);
    return false;
  }
  return true;
}

// A read of one whole message, waiting up to the read timeout the slot had
// when the read began.
class slot_read_operation final : public io_operation {
 public:
  slot_read_operation(std::shared_ptr<detail::mailslot_reader> reader, std::span<std::byte> buffer,
                      read_waiter waiter, std::uint32_t timeout_ms)
      : io_operation(waiter.set.get(), direction::in),
        reader_(std::move(reader)),
        buffer_(buffer),
        waiter_(std::move(waiter)),
        timed_out_(timeout_ms == 0) {}

  bool attempt() override {
    std::error_code ec;
    std::size_t n = reader_->read(buffer_, 0, ec);
    if (ec == errc::sem_timeout && !expired()) return false;
    // The read began on an open handle: the slot closing under it, before
    // or after the engine first ran it, aborts it.
    if (ec == errc::invalid_handle) ec = errc::operation_aborted;
    finish(error_from_code(ec), ec ? 0 : n);
    return true;
  }

 private:
  bool expired() {
    if (!timed_out_ && waiter_.timer) {
      std::uint64_t ticks = 0;
      timed_out_ = ::read(waiter_.timer.get(), &ticks, sizeof ticks) == sizeof ticks;
    }
    return timed_out_;
  }

  std::shared_ptr<detail::mailslot_reader> reader_;
  std::span<std::byte> buffer_;
  read_waiter waiter_;
  bool timed_out_;
};

}  // namespace

// A slot handle is asynchronous whatever CreateMailslot was told (it takes
// no FILE_FLAG_OVERLAPPED); a writer's is synchronous: a write never waits
// for the reader, only (rarely) for room in the slot's queue.
mailslot_object::mailslot_object(std::shared_ptr<detail::mailslot_reader> reader, DWORD access)
    : file_object(true, access), reader_(std::move(reader)) {}

mailslot_object::mailslot_object(std::shared_ptr<detail::mailslot_writer> writer, DWORD access)
    : file_object(false, access), writer_(std::move(writer)) {}

mailslot_object::~mailslot_object() = default;

void mailslot_object::last_handle_closed() {
  if (reader_) {
    abandon_io(ERROR_OPERATION_ABORTED);
    reader_->close();
  } else {
    writer_->close();
  }
}

BOOL mailslot_object::info(DWORD* max_size, DWORD* next_size, DWORD* count, DWORD* timeout) {
  if (!reader_) {
    SetLastError(ERROR_INVALID_HANDLE);
    return FALSE;
  }
  std::error_code ec;
  mailslot_info i = reader_->info(ec);
  // Messages may have moved off the socket into the reader's queue, where
  // a waiting read's descriptor does not see them.
  std::vector<int> fds;
  {
    std::lock_guard lock(reads_mutex_);
    std::erase_if(reads_, [&](const std::weak_ptr<io_operation>& w) {
      auto op = w.lock();
      if (op) fds.push_back(op->fd());
      return !op;
    });
  }
  for (int fd : fds) io_engine::get().kick(fd);
  if (ec) return report(ec);
  if (max_size) *max_size = i.max_message_size;
  if (next_size) *next_size = i.next_size ? *i.next_size : MAILSLOT_NO_MESSAGE;
  if (count) *count = i.message_count;
  if (timeout) *timeout = static_cast<DWORD>(i.read_timeout.count());
  return TRUE;
}

// Nothing waits in a writer; the slot's handle has no write access.
void mailslot_object::flush(std::error_code& ec) {
  ec.clear();
  if (reader_) ec = errc::access_denied;
}

std::size_t mailslot_object::read_blocking(std::span<std::byte> buffer, std::error_code& ec) {
  if (!reader_) {
    ec = errc::access_denied;
    return 0;
  }
  return reader_->read(buffer, reader_->read_timeout_ms(), ec);
}

bool mailslot_object::read_in_caller(std::span<std::byte> buffer, std::size_t& bytes,
                                     std::error_code& ec) {
  if (!reader_) {
    ec = errc::access_denied;
    bytes = 0;
    return true;
  }
  bytes = reader_->read(buffer, reader_->read_timeout_ms(), ec);
  // As from the engine: the slot closing under a read that began aborts it.
  if (ec == errc::invalid_handle) ec = errc::operation_aborted;
  return true;
}

std::size_t mailslot_object::write_blocking(std::span<const std::byte> data, std::error_code& ec) {
  if (!writer_) {
    ec = errc::access_denied;
    return 0;
  }
  return writer_->write(data, ec);
}

std::shared_ptr<io_operation> mailslot_object::make_read(std::span<std::byte> buffer,
                                                         std::error_code& ec) {
  if (!reader_) {
    ec = errc::access_denied;
    return nullptr;
  }
  std::uint32_t timeout_ms = reader_->read_timeout_ms();
  read_waiter waiter;
  if (!make_waiter(*reader_, timeout_ms, waiter, ec)) return nullptr;
  auto op = std::make_shared<slot_read_operation>(reader_, buffer, std::move(waiter), timeout_ms);
  std::lock_guard lock(reads_mutex_);
  std::erase_if(reads_, [](const std::weak_ptr<io_operation>& w) { return w.expired(); });
  reads_.push_back(op);
  return op;
}

std::shared_ptr<io_operation> mailslot_object::make_write(std::span<const std::byte>,
                                                          std::error_code& ec) {
  // Only the slot's handle is asynchronous, and it cannot write.
  ec = errc::access_denied;
  return nullptr;
}

}  // namespace conduit::win32
