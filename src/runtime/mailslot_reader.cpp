#include "runtime/mailslot_reader.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>

#include "conduit/error.hpp"
#include "core/fd_passing.hpp"
#include "core/object_name.hpp"
#include "core/wire.hpp"
#include "runtime/interruption.hpp"
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

// How many datagrams the kernel queues on one receiving socket before
// senders wait (net.unix.max_dgram_qlen, plus the one it lets past): what
// one drain takes at most, so that a count is a snapshot, not a chase.
std::size_t datagram_queue_length() {
  static const std::size_t length = [] {
    std::size_t n = 512;
    if (std::FILE* f = std::fopen("/proc/sys/net/unix/max_dgram_qlen", "re")) {
      unsigned long v = 0;
      if (std::fscanf(f, "%lu", &v) == 1 && v > 0 && v < (1ul << 20)) n = v;
      std::fclose(f);
    }
    return n + 1;
  }();
  return length;
}

// How much earlier than asked a socket's receive timeout may end a wait
// (it counts in clock ticks, 10 ms at HZ=100) before the wait is taken for
// one that does not block at all.
constexpr int early_timeout_ms = 25;

// Forks this process has made, counted in the child: a slot's reader made
// before a fork is not the child's to set a receive timeout on.
std::atomic<unsigned> forks{0};

unsigned fork_generation() {
  static const bool counted = [] {
    ::pthread_atfork(nullptr, nullptr, [] { forks.fetch_add(1, std::memory_order_relaxed); });
    return true;
  }();
  (void)counted;
  return forks.load(std::memory_order_relaxed);
}

// The one descriptor a record may carry, in `attached`; false when it
// carried more (all closed).
bool attached_descriptor(const msghdr& msg, unique_fd& attached) {
  std::vector<unique_fd> fds;
  descriptors_of(msg, fds);
  if (fds.size() > 1) return false;
  if (!fds.empty()) attached = std::move(fds.front());
  return true;
}

// A recvmsg of one record into `buffer`, with room for the one descriptor
// a record may carry. Not copied: the header points into itself.
struct record_message {
  record_message(std::byte* buffer, std::size_t size) : iov{buffer, size} {
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
  }
  record_message(const record_message&) = delete;
  record_message& operator=(const record_message&) = delete;

  iovec iov;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  msghdr msg{};
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

  std::shared_ptr<mailslot_reader> self(new mailslot_reader());
  // Unbound: the broker binds it where only the broker can connect, and
  // connects each writer's own socket to it.
  self->socket_.reset(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!self->socket_) {
    ec = error_from_errno(errno);
    return nullptr;
  }
  self->wake_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!self->wake_) {
    ec = error_from_errno(errno);
    return nullptr;
  }
  self->creator_ = ::getpid();
  self->fork_generation_ = fork_generation();
  self->max_message_size_ = options.max_message_size;
  self->read_timeout_ms_.store(timeout_ms);

  auto reg = std::make_shared<mailslot_registration>();
  reg->params.name = std::string(name);
  reg->params.max_message_size = options.max_message_size;
  reg->params.security_descriptor = options.security_descriptor;
  reg->receiving_socket = self->socket_.get();
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
  bool blocking = forks.load(std::memory_order_relaxed) == fork_generation_;
  for (;;) {
    if (closed_) {
      ec = waited ? errc::operation_aborted : errc::invalid_handle;
      return false;
    }
    if (!queue_.empty()) return true;
    int left = deadline.poll_ms();
    // With time left, the wait is a blocking recvmsg: a reader that keeps up
    // with its writers makes one system call a message. Each round waits
    // what is left of the timeout, so that neither a signal nor a dropped
    // record stretches it.
    if (left != 0 && blocking) {
      auto wait_ms = left < 0 ? mailslot_forever_ms : static_cast<std::uint32_t>(left);
      if (socket_timeout_locked(wait_ms)) {
        bool ran_out = false;
        got result = receive_blocking_locked(lock, ec, direct, direct_size, ran_out);
        waited = true;
        if (ec) return false;
        if (result == got::message) return true;
        // The kernel's timer may end the wait up to a clock tick early; a
        // wait that ends far earlier (the socket made non-blocking by
        // whoever shares it) would spin: this read polls from here on.
        int now_left = deadline.poll_ms();
        if (ran_out && (now_left < 0 || now_left > early_timeout_ms)) blocking = false;
        continue;
      }
    }
    // Otherwise (no time left, a child's copy of the slot, or another reader
    // blocked with another timeout): a look, and a poll until the next.
    got result;
    do {
      result = receive_locked(ec, direct, direct_size);
    } while (result == got::dropped);
    if (ec) return false;
    if (result == got::message) return true;
    left = deadline.poll_ms();
    if (left == 0) {
      ec = errc::sem_timeout;
      return false;
    }
    // Wait without the lock, so that info() and other readers go on; close()
    // wakes us through wake_. Another signal's EINTR waits on for what is
    // left of the timeout; one sent to end the call (interruption.hpp) ends
    // it with ERROR_OPERATION_ABORTED.
    std::array<pollfd, 2> fds{pollfd{wake_.get(), POLLIN, 0}, pollfd{socket_.get(), POLLIN, 0}};
    lock.unlock();
    int n = ::poll(fds.data(), fds.size(), left);
    int poll_errno = errno;
    lock.lock();
    waited = true;
    if (n < 0 && (poll_errno != EINTR || interrupted())) {
      ec = error_from_errno(poll_errno);
      return false;
    }
  }
}

bool mailslot_reader::socket_timeout_locked(std::uint32_t wait_ms) {
  if (wait_ms == socket_timeout_ms_) return true;
  // A reader blocked already runs on the value it entered with; changing it
  // under it would change nothing for it, but the next one to enter would
  // take ours.
  if (blocked_receivers_ > 0) return false;
  timeval tv{};  // zero: no limit
  if (wait_ms != mailslot_forever_ms) {
    tv.tv_sec = static_cast<time_t>(wait_ms / 1000);
    tv.tv_usec = static_cast<suseconds_t>(wait_ms % 1000) * 1000;
  }
  if (::setsockopt(socket_.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0) return false;
  socket_timeout_ms_ = wait_ms;
  return true;
}

mailslot_reader::got mailslot_reader::receive_blocking_locked(
    std::unique_lock<std::mutex>& lock, std::error_code& ec, std::span<std::byte> direct,
    std::optional<std::size_t>* direct_size, bool& ran_out) {
  // The record lands in a buffer of the thread's own (buffer_ is the
  // lock's, and the lock is not held while the call waits), and is copied
  // to `direct` only if it fits: a buffer too small is left untouched.
  thread_local std::unique_ptr<std::byte[]> spill;
  if (!spill) spill = std::make_unique_for_overwrite<std::byte[]>(inline_message_limit);
  record_message record(spill.get(), inline_message_limit);
  msghdr& msg = record.msg;
  // close() wakes the call by shutting the socket down (recvmsg returns 0);
  // an interruption (interruption.hpp) by a signal (EINTR); the socket's
  // receive timeout by EAGAIN.
  ++blocked_receivers_;
  lock.unlock();
  ssize_t n = ::recvmsg(socket_.get(), &msg, MSG_CMSG_CLOEXEC);
  int error = errno;
  lock.lock();
  --blocked_receivers_;
  if (n < 0) {
    if (error == EINTR) {
      if (interrupted()) ec = error_from_errno(error);
    } else if (error == EAGAIN || error == EWOULDBLOCK) {
      ran_out = true;
    } else {
      ec = error_from_errno(error);
    }
    return got::none;
  }
  if (closed_) {
    unique_fd attached;
    (void)attached_descriptor(msg, attached);
    return got::none;
  }
  auto size = static_cast<std::size_t>(n);
  return take_record_locked(size, msg, std::span<const std::byte>(spill.get(), size), direct,
                            direct_size);
}

mailslot_reader::got mailslot_reader::receive_locked(std::error_code& ec,
                                                     std::span<std::byte> direct,
                                                     std::optional<std::size_t>* direct_size) {
  if (buffer_.empty()) buffer_.resize(inline_message_limit);
  record_message record(buffer_.data(), buffer_.size());
  msghdr& msg = record.msg;
  ssize_t n;
  do {
    n = ::recvmsg(socket_.get(), &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK) ec = error_from_errno(errno);
    return got::none;
  }
  auto size = static_cast<std::size_t>(n);
  return take_record_locked(size, msg, std::span<const std::byte>(buffer_.data(), size), direct,
                            direct_size);
}

mailslot_reader::got mailslot_reader::take_record_locked(std::size_t n, msghdr& msg,
                                                         std::span<const std::byte> record,
                                                         std::span<std::byte> direct,
                                                         std::optional<std::size_t>* direct_size) {
  unique_fd attached;
  bool extra = !attached_descriptor(msg, attached);
  // Records no conduit writer makes (too long, more than one descriptor)
  // are dropped: a message is delivered whole or not at all.
  if ((msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0 || extra || n != record.size())
    return got::dropped;
  if (attached) {
    if (n != memfd_record_size) return got::dropped;
    std::uint64_t declared = 0;
    for (std::size_t i = 0; i < memfd_record_size; ++i)
      declared |= std::to_integer<std::uint64_t>(record[i]) << (8 * i);
    std::vector<std::byte> message;
    if (!read_memfd(attached.get(), declared, message)) return got::dropped;
    queue_.push_back(std::move(message));
    return got::message;
  }
  if (max_message_size_ != 0 && n > max_message_size_) return got::dropped;
  // Straight into the caller's buffer when it fits and nothing is ahead of
  // it (a read back from a blocking recvmsg may find a message another read
  // took off the socket and left, too big for that read's buffer).
  if (direct_size && n <= direct.size() && queue_.empty()) {
    std::memcpy(direct.data(), record.data(), n);
    *direct_size = n;
    return got::message;
  }
  queue_.emplace_back(record.begin(), record.end());
  return got::message;
}

bool mailslot_reader::read_memfd(int fd, std::uint64_t size, std::vector<std::byte>& out) const {
  // Nothing is allocated on the writer's word: first what the slot takes,
  // then a sealed memfd of the announced size (nobody can change it under
  // us) whose every byte is in memory the writer paid for. A sparse file
  // would read as zeros the reader would have to hold, and with the write
  // seal set its holes can never be filled.
  if (size > mailslot_message_limit(max_message_size_)) return false;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
      static_cast<std::uint64_t>(st.st_size) != size ||
      static_cast<std::uint64_t>(st.st_blocks) * 512 < size)
    return false;
  int seals = ::fcntl(fd, F_GET_SEALS);
  if (seals < 0 || (seals & memfd_message_seals) != memfd_message_seals) return false;
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
  // Records keep coming while we drain (each one taken lets a waiting
  // writer in): take at most what the kernel queues at once and stop, so
  // that a busy slot's count is a snapshot, not a chase.
  for (std::size_t budget = datagram_queue_length(); budget > 0; --budget)
    if (receive_locked(ec) == got::none || ec) return;
}

void mailslot_reader::discard_queued_locked() {
  // Nothing more arrives once the socket is shut down; the bound is only
  // against a kernel that thinks otherwise.
  for (std::size_t budget = 4 * datagram_queue_length(); budget > 0; --budget) {
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 4)];
    msghdr msg{};
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    if (::recvmsg(socket_.get(), &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) < 0) return;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
      for (std::size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); ++i) {
        int fd;
        std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
        ::close(fd);
      }
    }
  }
}

mailslot_info mailslot_reader::info(std::error_code& ec) {
  ec.clear();
  std::lock_guard lock(mutex_);
  if (closed_) {
    ec = errc::invalid_handle;
    return {};
  }
  mailslot_info info;
  info.max_message_size = max_message_size_;
  info.read_timeout = std::chrono::milliseconds(read_timeout_ms_.load());
  if (blocked_receivers_ > 0) {
    count_without_draining_locked(info);
    return info;
  }
  drain_locked(ec);
  if (ec) return {};
  info.message_count = clamp_u32(queue_.size());
  if (!queue_.empty()) info.next_size = clamp_u32(queue_.front().size());
  return info;
}

void mailslot_reader::count_without_draining_locked(mailslot_info& info) {
  // A reader blocked in recvmsg takes the next record as it comes; one
  // taken here instead would sit in queue_ while that reader waits on. So
  // nothing is taken: the count is what queue_ holds and, when the socket
  // holds a record the reader has not taken yet, that one. The next size of
  // a memfd message is the one its record announces.
  info.message_count = clamp_u32(queue_.size());
  if (!queue_.empty()) info.next_size = clamp_u32(queue_.front().size());
  std::array<std::byte, memfd_record_size> head{};
  iovec iov{head.data(), head.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  // No room for a descriptor: a peeked one is not installed (MSG_CTRUNC).
  ssize_t n = ::recvmsg(socket_.get(), &msg, MSG_PEEK | MSG_DONTWAIT | MSG_TRUNC);
  if (n < 0) return;
  info.message_count = clamp_u32(queue_.size() + 1);
  if (info.next_size) return;
  auto size = static_cast<std::uint64_t>(n);
  if ((msg.msg_flags & MSG_CTRUNC) != 0 && size == memfd_record_size) {
    size = 0;
    for (std::size_t i = 0; i < memfd_record_size; ++i)
      size |= std::to_integer<std::uint64_t>(head[i]) << (8 * i);
  }
  info.next_size = static_cast<std::uint32_t>(std::min<std::uint64_t>(size, 0xFFFFFFFFu));
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
    // Waiting readers wake through wake_ (the socket is not closed here:
    // another thread may still hold its number). Shutting it down makes
    // every writer's next send fail (EPIPE), and each record taken below
    // wakes a writer waiting for room, which then fails too.
    std::uint64_t one = 1;
    (void)!::write(wake_.get(), &one, sizeof(one));
    ::shutdown(socket_.get(), SHUT_RDWR);
    // What writers sent and nobody will read: free it now (memfds too).
    discard_queued_locked();
    reg = std::move(registration_);
  }
  if (reg) broker_link::get().unregister_mailslot(reg);
}

}  // namespace conduit::detail
