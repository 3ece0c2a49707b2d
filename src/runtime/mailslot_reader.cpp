#include "runtime/mailslot_reader.hpp"

#include <fcntl.h>
#include <linux/sockios.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstring>
#include <limits>
#include <optional>
#include <stdexcept>

#include "conduit/error.hpp"
#include "core/object_name.hpp"
#include "core/wire.hpp"
#include "runtime/mailslot_records.hpp"

namespace conduit::detail {
namespace {

// When a read must give up: poll() timeouts that never stretch the whole
// wait, however often poll returns early.
class read_deadline {
 public:
  explicit read_deadline(std::uint32_t timeout_ms)
      : forever_(timeout_ms == mailslot_forever_ms),
        at_(std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms)) {}

  // -1 without a limit, 0 once passed, else the milliseconds left rounded up.
  [[nodiscard]] int poll_ms() const {
    if (forever_) return -1;
    auto left = at_ - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) return 0;
    auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
    return static_cast<int>(std::min<long long>(ms, INT_MAX));
  }

 private:
  bool forever_;
  std::chrono::steady_clock::time_point at_;
};

std::uint32_t clamp_u32(std::size_t n) {
  return static_cast<std::uint32_t>(
      std::min<std::size_t>(n, std::numeric_limits<std::uint32_t>::max()));
}

}  // namespace

bool to_read_timeout_ms(std::chrono::milliseconds timeout, std::uint32_t& out) {
  if (timeout.count() < 0 || timeout.count() > mailslot_forever_ms) return false;
  out = static_cast<std::uint32_t>(timeout.count());
  return true;
}

std::shared_ptr<mailslot_reader> mailslot_reader::create(std::string_view name,
                                                         const mailslot_options& options,
                                                         std::error_code& ec) {
  ec.clear();
  // Checked here too so that a bad call fails without a broker round trip.
  object_name parsed;
  if ((ec = parse_object_name(name, object_kind::mailslot, parsed))) return nullptr;
  // Slots are made where their reader is; `\\host\` and `\\*\` only name
  // where a writer sends.
  if (!parsed.local) {
    ec = errc::path_not_found;
    return nullptr;
  }
  std::uint32_t timeout_ms = 0;
  if (!to_read_timeout_ms(options.read_timeout, timeout_ms) ||
      options.security_descriptor.size() > wire::max_string_bytes) {
    ec = errc::invalid_parameter;
    return nullptr;
  }

  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
    ec = error_from_errno(errno);
    return nullptr;
  }
  std::shared_ptr<mailslot_reader> self(new mailslot_reader());
  self->socket_.reset(pair[0]);
  self->sending_end_.reset(pair[1]);
  // Every writer sends on this one socket: its send buffer is the slot's
  // queue, shared by all of them.
  int bytes = mailslot_queue_bytes;
  ::setsockopt(pair[1], SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes));
  socklen_t len = sizeof(self->queue_capacity_);
  ::getsockopt(pair[1], SOL_SOCKET, SO_SNDBUF, &self->queue_capacity_, &len);
  self->wake_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!self->wake_) {
    ec = error_from_errno(errno);
    return nullptr;
  }
  self->creator_ = ::getpid();
  self->max_message_size_ = options.max_message_size;
  self->read_timeout_ms_.store(timeout_ms);

  auto reg = std::make_shared<mailslot_registration>();
  reg->params.name = std::string(name);
  reg->params.max_message_size = options.max_message_size;
  reg->params.security_descriptor = options.security_descriptor;
  reg->sending_end = self->sending_end_.get();
  wire::reply reply;
  if ((ec = broker_link::get().register_mailslot(reg, reply))) return nullptr;
  self->registration_ = std::move(reg);
  return self;
}

mailslot_reader::~mailslot_reader() {
  close();
}

std::size_t mailslot_reader::read(std::span<std::byte> buffer, std::uint32_t timeout_ms,
                                  std::error_code& ec) {
  ec.clear();
  std::unique_lock lock(mutex_);
  // A message that comes off the socket now and fits goes straight into
  // `buffer`: the common case costs one recvmsg and one copy.
  std::optional<std::size_t> direct;
  if (!wait_for_message_locked(lock, timeout_ms, ec, buffer, &direct)) return 0;
  if (direct) return *direct;
  const auto& message = queue_.front();
  // The message stays for a read with a buffer that holds it.
  if (message.size() > buffer.size()) {
    ec = errc::insufficient_buffer;
    return 0;
  }
  std::size_t size = message.size();
  std::copy(message.begin(), message.end(), buffer.begin());
  queue_.pop_front();
  return size;
}

std::vector<std::byte> mailslot_reader::read_message(std::uint32_t timeout_ms,
                                                     std::error_code& ec) {
  ec.clear();
  std::unique_lock lock(mutex_);
  if (!wait_for_message_locked(lock, timeout_ms, ec)) return {};
  std::vector<std::byte> message = std::move(queue_.front());
  queue_.pop_front();
  return message;
}

bool mailslot_reader::wait_for_message_locked(std::unique_lock<std::mutex>& lock,
                                              std::uint32_t timeout_ms, std::error_code& ec,
                                              std::span<std::byte> direct,
                                              std::optional<std::size_t>* direct_size) {
  read_deadline deadline(timeout_ms);
  bool waited = false;
  for (;;) {
    if (closed_) {
      ec = waited ? errc::operation_aborted : errc::invalid_handle;
      return false;
    }
    if (!queue_.empty()) return true;
    got result;
    do {
      result = receive_locked(ec, nullptr, direct, direct_size);
    } while (result == got::dropped);
    if (ec) return false;
    if (result == got::message) return true;
    int left = deadline.poll_ms();
    if (left == 0) {
      ec = errc::sem_timeout;
      return false;
    }
    // Wait without the lock, so that info() and other readers go on. Once
    // writers are cut off the socket always polls readable: wait for close.
    std::array<pollfd, 2> fds{pollfd{wake_.get(), POLLIN, 0}, pollfd{socket_.get(), POLLIN, 0}};
    nfds_t count = writers_cut_off_ ? 1 : 2;
    lock.unlock();
    int n = ::poll(fds.data(), count, left);
    int poll_errno = errno;
    lock.lock();
    waited = true;
    if (n < 0 && poll_errno != EINTR) {
      ec = error_from_errno(poll_errno);
      return false;
    }
  }
}

mailslot_reader::got mailslot_reader::receive_locked(std::error_code& ec, std::size_t* record_bytes,
                                                     std::span<std::byte> direct,
                                                     std::optional<std::size_t>* direct_size) {
  // With writers cut off an empty socket reads as end-of-file, which looks
  // like a zero-length record: ask the sending side whether any is queued.
  if (writers_cut_off_) {
    int queued = 0;
    if (::ioctl(sending_end_.get(), SIOCOUTQ, &queued) != 0 || queued <= 0) return got::none;
  }
  if (buffer_.empty()) buffer_.resize(inline_message_limit);
  iovec iov{buffer_.data(), buffer_.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  ssize_t n;
  do {
    n = ::recvmsg(socket_.get(), &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK) ec = error_from_errno(errno);
    return got::none;
  }
  if (record_bytes) *record_bytes = static_cast<std::size_t>(n);
  unique_fd attached;
  bool extra = false;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (std::size_t i = 0; i < count; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
      if (!attached) {
        attached.reset(fd);
      } else {
        ::close(fd);
        extra = true;
      }
    }
  }
  // Records no conduit writer makes (too long, more than one descriptor)
  // are dropped: a message is delivered whole or not at all.
  if ((msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0 || extra) return got::dropped;
  auto size = static_cast<std::size_t>(n);
  if (attached) {
    if (size != memfd_record_size) return got::dropped;
    std::uint64_t declared = 0;
    for (std::size_t i = 0; i < memfd_record_size; ++i)
      declared |= std::to_integer<std::uint64_t>(buffer_[i]) << (8 * i);
    std::vector<std::byte> message;
    if (!read_memfd(attached.get(), declared, message)) return got::dropped;
    queue_.push_back(std::move(message));
    return got::message;
  }
  if (size == 0) {
    pollfd p{socket_.get(), POLLRDHUP, 0};
    if (::poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP))) {
      // A writer shut the shared sending end down: nobody can send any more.
      // This zero was end-of-file, or a zero-length record read just as
      // that happened; the two cannot be told apart once read.
      writers_cut_off_ = true;
      return got::none;
    }
  }
  if (max_message_size_ != 0 && size > max_message_size_) return got::dropped;
  if (direct_size && size <= direct.size()) {
    std::memcpy(direct.data(), buffer_.data(), size);
    *direct_size = size;
    return got::message;
  }
  queue_.emplace_back(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(size));
  return got::message;
}

bool mailslot_reader::read_memfd(int fd, std::uint64_t size, std::vector<std::byte>& out) const {
  // Only a sealed memfd of the announced size: nobody can change it under us.
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
      static_cast<std::uint64_t>(st.st_size) != size)
    return false;
  int seals = ::fcntl(fd, F_GET_SEALS);
  if (seals < 0 || (seals & memfd_message_seals) != memfd_message_seals) return false;
  if (max_message_size_ != 0 && size > max_message_size_) return false;
  try {
    out.resize(static_cast<std::size_t>(size));
  } catch (const std::exception&) {
    return false;
  }
  std::size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::pread(fd, out.data() + done, out.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

void mailslot_reader::drain_locked(std::error_code& ec) {
  // Records keep coming while we drain: take what was queued when we began
  // and stop, so that a busy slot's count is a snapshot, not a chase. The
  // kernel says how many bytes are queued, overhead included; each record
  // costs its length and at least 256 bytes more.
  int queued = 0;
  if (::ioctl(sending_end_.get(), SIOCOUTQ, &queued) != 0) queued = queue_capacity_;
  for (long budget = queued; budget > 0;) {
    std::size_t record_bytes = 0;
    if (receive_locked(ec, &record_bytes) == got::none || ec) return;
    budget -= 256 + static_cast<long>(record_bytes);
  }
}

mailslot_info mailslot_reader::info(std::error_code& ec) {
  ec.clear();
  std::lock_guard lock(mutex_);
  if (closed_) {
    ec = errc::invalid_handle;
    return {};
  }
  drain_locked(ec);
  if (ec) return {};
  mailslot_info info;
  info.max_message_size = max_message_size_;
  info.message_count = clamp_u32(queue_.size());
  if (!queue_.empty()) info.next_size = clamp_u32(queue_.front().size());
  info.read_timeout = std::chrono::milliseconds(read_timeout_ms_.load());
  return info;
}

bool mailslot_reader::has_queued() {
  std::lock_guard lock(mutex_);
  return !queue_.empty();
}

bool mailslot_reader::is_open() {
  std::lock_guard lock(mutex_);
  return !closed_;
}

void mailslot_reader::close() {
  std::shared_ptr<mailslot_registration> reg;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    closed_ = true;
    queue_.clear();
    buffer_ = {};
    // A forked child shares the socket (and wake_) with its parent, whose
    // slot it is: the child closing its copy must not end it for the parent.
    if (::getpid() != creator_) return;
    // Waiting readers wake through wake_. Shutting our end down reaches the
    // sending end at once: every writer's next send fails, writers waiting
    // for room wake and fail, and the broker sees the slot is gone.
    std::uint64_t one = 1;
    (void)!::write(wake_.get(), &one, sizeof(one));
    ::shutdown(socket_.get(), SHUT_RDWR);
    // What writers sent and nobody will read: free it now (memfds too).
    for (int budget = queue_capacity_ / 256 + 64; budget > 0; --budget) {
      int queued = 0;
      if (::ioctl(sending_end_.get(), SIOCOUTQ, &queued) != 0 || queued <= 0) break;
      alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 4)];
      msghdr msg{};
      msg.msg_control = control;
      msg.msg_controllen = sizeof(control);
      if (::recvmsg(socket_.get(), &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) < 0) break;
      for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        for (std::size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); ++i) {
          int fd;
          std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
          ::close(fd);
        }
      }
    }
    reg = std::move(registration_);
  }
  if (reg) broker_link::get().unregister_mailslot(reg);
}

}  // namespace conduit::detail
