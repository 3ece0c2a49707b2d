#include "runtime/pipe_channel.hpp"

#include <linux/sockios.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <vector>

#include "conduit/error.hpp"
#include "runtime/interruption.hpp"
#include "runtime/socket_queue.hpp"
#include "runtime/stream_io.hpp"

namespace conduit::detail {
namespace {

std::uint32_t decode_length(const std::byte* h) {
  std::uint32_t n = 0;
  for (std::size_t i = 0; i < pipe_channel::header_size; ++i)
    n |= std::to_integer<std::uint32_t>(h[i]) << (8 * i);
  return n;
}

// recv that retries on EINTR, unless the call is to end (interruption.hpp);
// returns -1 with errno set on failure (EINTR: ended).
ssize_t receive(int fd, void* data, std::size_t size, int flags) {
  ssize_t n;
  do {
    n = ::recv(fd, data, size, flags);
  } while (n < 0 && errno == EINTR && !interrupted());
  return n;
}

bool peer_has_closed(int fd) {
  pollfd p{fd, POLLRDHUP, 0};
  return ::poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

std::size_t queued_bytes(int fd) {
  int n = 0;
  return ::ioctl(fd, FIONREAD, &n) == 0 && n > 0 ? static_cast<std::size_t>(n) : 0;
}

// A failed send: a peer that has gone reads as the pipe being closed
// (ERROR_NO_DATA), as a Windows writer sees it.
std::error_code write_error(int error) {
  return error == ECONNRESET ? make_error_code(errc::no_data) : error_from_errno(error);
}

std::array<std::byte, pipe_channel::header_size> encode_length(std::size_t size) {
  std::array<std::byte, pipe_channel::header_size> header;
  for (std::size_t i = 0; i < header.size(); ++i)
    header[i] = static_cast<std::byte>((size >> (8 * i)) & 0xFF);
  return header;
}

// Whether a first record of `data` bytes behind its length can start a
// message of `length` bytes as a writer here sends it.
bool plausible_length(std::uint32_t length, std::size_t data) {
  return length > pipe_channel::short_message_max && length <= pipe_channel::max_message_size &&
         (data == length || data == pipe_channel::short_message_max);
}

}  // namespace

message_layout::message_layout(std::size_t size, std::size_t limit) {
  constexpr std::size_t short_max = pipe_channel::short_message_max;
  if (size <= short_max) {
    first = wire = size;  // an empty message too: a record of no bytes
    return;
  }
  framed = true;
  // The reader moves a first record's data over the length in front of it:
  // beyond whole_record_max a short first record costs it less, and the
  // records after it then start page-aligned in the reader's buffer.
  first = size <= std::min(limit, pipe_channel::whole_record_max) ? size : short_max;
  wire = pipe_channel::header_size + size;
}

namespace {

// Sends a message's records from wire byte `sent` on, advancing `sent` a
// record at a time. True when all is sent or sending failed (`ec`); false
// when the socket is full and `flags` say not to wait.
bool send_records(int fd, std::span<const std::byte> data, std::size_t limit, std::size_t& sent,
                  int flags, std::error_code& ec) {
  message_layout layout(data.size(), limit);
  std::size_t header_bytes = layout.framed ? pipe_channel::header_size : 0;
  auto header = encode_length(data.size());
  // At least one record: an empty message is a record of no bytes.
  for (;;) {
    ssize_t n;
    if (sent == 0 && layout.framed) {
      std::array<iovec, 2> iov{
          {{header.data(), header.size()}, {const_cast<std::byte*>(data.data()), layout.first}}};
      msghdr msg{};
      msg.msg_iov = iov.data();
      msg.msg_iovlen = iov.size();
      n = ::sendmsg(fd, &msg, flags);
    } else {
      // A short message, or a continuation record: the data as it is.
      std::size_t offset = sent == 0 ? 0 : sent - header_bytes;
      std::size_t part = sent == 0 ? layout.first : std::min(data.size() - offset, limit);
      n = ::send(fd, data.data() + offset, part, flags);
    }
    if (n < 0) {
      // Asked to end: only before the message's first record. One that has
      // started to go out is finished, or the pipe would lose its framing.
      if (errno == EINTR && (!interrupted() || sent > 0)) continue;
      if (errno == EINTR) {
        ec = errc::operation_aborted;
        return true;
      }
      if (errno == EAGAIN && (flags & MSG_DONTWAIT)) return false;
      ec = write_error(errno);  // EPIPE is ERROR_NO_DATA too
      return true;
    }
    sent += static_cast<std::size_t>(n);  // a record goes whole or not at all
    if (sent >= layout.wire) return true;
  }
}

// One record into `buffer` by recvfrom: its whole length, even when it is
// longer than `buffer` (MSG_TRUNC), or -1 with errno (EINTR: the call is to
// end, interruption.hpp). `got_record`: whether
// a record came, of no bytes perhaps. The sender's address is asked for
// only to tell a record of no bytes (its sender has an address, see
// name_message_socket) from the end of the stream (none).
ssize_t receive_one(int fd, std::span<std::byte> buffer, int flags, bool& got_record) {
  sockaddr_un sender;
  socklen_t sender_size;
  ssize_t n;
  do {
    sender_size = sizeof(sender);
    n = ::recvfrom(fd, buffer.data(), buffer.size(), flags | MSG_TRUNC,
                   reinterpret_cast<sockaddr*>(&sender), &sender_size);
  } while (n < 0 && errno == EINTR && !interrupted());
  got_record = n > 0 || (n == 0 && sender_size > 0);
  return n;
}

// What waits at the head of a message pipe's socket, seen without a peek
// offset: the kernel marks a record of no bytes as peeked, and a walk with
// an offset passes over one marked before.
enum class head_record { none, empty, data };

head_record peek_head(int fd) {
  bool got_record;
  ssize_t n = receive_one(fd, {}, MSG_PEEK | MSG_DONTWAIT, got_record);
  if (!got_record) return head_record::none;
  return n > 0 ? head_record::data : head_record::empty;
}

}  // namespace

std::error_code name_message_socket(int fd) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  // Only the family: the kernel binds an unused abstract name (autobind).
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(sa_family_t)) != 0)
    return error_from_errno(errno);
  return {};
}

pipe_channel::pipe_channel(unique_fd socket, bool message_type, read_state state)
    : socket_(std::move(socket)), message_type_(message_type) {
  if (!message_type_) return;
  // What was taken belongs to the message's rest, and is at most a record.
  std::size_t taken =
      std::min({state.taken.size(), std::size_t{state.message_left}, max_record_size});
  message_left_ = state.message_left;
  if (taken == 0) return;
  spill_ = std::make_unique_for_overwrite<std::byte[]>(max_record_size);
  std::copy_n(state.taken.begin(), taken, spill_.get());
  spill_end_ = taken;
}

std::size_t pipe_channel::read(std::span<std::byte> buffer, bool message_read, bool nowait,
                               std::error_code& ec) {
  if (!nowait) ask_for_data();
  std::size_t got = read_now(buffer, message_read, nowait, ec);
  note_read(got, ec);
  return got;
}

bool pipe_channel::read_some(std::span<std::byte> buffer, bool message_read, read_progress& p,
                             std::error_code& ec) {
  bool over = continue_read(buffer, message_read, p, ec);
  if (over) {
    note_read(p.got, ec);
  } else if (!p.asked) {
    p.asked = true;
    ask_for_data();
  }
  return over;
}

void pipe_channel::ask_for_data() {
  if (!read_demand_ || has_unread_data()) return;
  std::uint64_t one = 1;
  // The relay's eventfd cannot fill up in practice (2^64 - 2 asks).
  (void)!::write(read_demand_.get(), &one, sizeof(one));
}

// Data or a message (an empty one too) reached the reader: the client has
// spoken, and a server may impersonate it from now on.
void pipe_channel::note_read(std::size_t got, const std::error_code& ec) {
  // Stored once: a store on every read would be a write to a shared line.
  if ((!ec || ec == errc::more_data) && (got > 0 || message_type_) &&
      !data_read_.load(std::memory_order_relaxed))
    data_read_.store(true, std::memory_order_release);
}

std::size_t pipe_channel::read_now(std::span<std::byte> buffer, bool message_read, bool nowait,
                                   std::error_code& ec) {
  ec.clear();
  if (!message_type_) {
    if (!nowait) return stream_read(socket_.get(), buffer, ec);
    ssize_t n = receive(socket_.get(), buffer.data(), buffer.size(), MSG_DONTWAIT);
    if (n > 0 || (n == 0 && buffer.empty())) return static_cast<std::size_t>(n);
    ec = n == 0 ? make_error_code(errc::broken_pipe) : error_from_errno(errno);
    return 0;
  }
  std::lock_guard lock(read_mutex_);
  return message_read ? read_message(buffer, nowait, ec) : read_joined(buffer, nowait, ec);
}

bool pipe_channel::receive_record(std::span<std::byte> out, std::size_t longest, wait_for wait,
                                  std::size_t& size, bool& in_spill, std::error_code& ec) {
  // One buffer, so that a plain recvfrom does (recvmsg, with a second
  // buffer, costs far more: docs/benchmarks.md): the caller's when any
  // record that may come fits it, else the spill buffer. That is empty
  // whenever a record is received, so peek never reads what recv writes.
  in_spill = out.size() < longest;
  if (in_spill) {
    if (!spill_) spill_ = std::make_unique_for_overwrite<std::byte[]>(max_record_size);
    out = std::span(spill_.get(), max_record_size);
  }
  bool got_record;
  ssize_t n =
      receive_one(socket_.get(), out, wait == wait_for::none ? MSG_DONTWAIT : 0, got_record);
  if (got_record && static_cast<std::size_t>(n) <= out.size()) {
    size = static_cast<std::size_t>(n);
    return true;
  }
  if (n < 0 && errno == EAGAIN && wait == wait_for::none) return false;
  if (n > 0)
    ec = errc::bad_pipe;  // longer than any record a writer here sends: not this framing
  else
    ec = n == 0 ? make_error_code(errc::broken_pipe) : error_from_errno(errno);
  return false;
}

void pipe_channel::keep_record(std::size_t data, std::size_t delivered, std::uint32_t message_left,
                               std::size_t spill_from) {
  // A new message delivered whole changes nothing peek could see: no
  // message was under way, and the spill buffer was empty and stays so.
  if (message_left_ == 0 && data == delivered && message_left == delivered) return;
  std::lock_guard lock(spill_mutex_);
  spill_begin_ = spill_from;
  spill_end_ = spill_from + (data - delivered);
  message_left_ = message_left - static_cast<std::uint32_t>(delivered);
}

bool pipe_channel::start_message(std::span<std::byte> out, wait_for wait, std::size_t& delivered,
                                 std::error_code& ec) {
  delivered = 0;
  std::size_t size;
  bool in_spill;
  if (!receive_record(out, max_record_size, wait, size, in_spill, ec)) return false;
  const std::byte* record = in_spill ? spill_.get() : out.data();
  // A short message is the record; a longer one follows its length, in a
  // first record that holds all of it or its first short_message_max bytes
  // (no writer here sends one longer than max_message_size).
  std::size_t at = 0;
  auto length = static_cast<std::uint32_t>(size);
  std::size_t data = size;
  if (size > short_message_max) {
    at = header_size;
    length = decode_length(record);
    data = size - header_size;
    if (!plausible_length(length, data)) {
      ec = errc::bad_pipe;  // a record that starts no message
      return false;
    }
  }
  delivered = std::min(data, out.size());
  if (in_spill)
    std::copy_n(record + at, delivered, out.data());
  else if (at > 0)
    std::memmove(out.data(), out.data() + at, delivered);  // the data over the length
  keep_record(data, delivered, length, at + delivered);
  return true;
}

std::size_t pipe_channel::continue_message(std::span<std::byte> out, wait_for wait,
                                           std::error_code& ec) {
  std::size_t want = std::min<std::size_t>(out.size(), message_left_);
  std::size_t got = 0;
  while (got < want) {
    if (spill_end_ > spill_begin_) {
      std::size_t n = std::min(want - got, spill_end_ - spill_begin_);
      std::copy_n(spill_.get() + spill_begin_, n, out.data() + got);
      std::lock_guard lock(spill_mutex_);
      spill_begin_ += n;
      message_left_ -= static_cast<std::uint32_t>(n);
      got += n;
    } else {
      auto into = out.subspan(got, want - got);
      std::size_t size;
      bool in_spill;
      if (!receive_record(into, message_left_, wait, size, in_spill, ec)) break;
      if (size == 0 || size > message_left_) {
        ec = errc::bad_pipe;  // a continuation empty or longer than its message
        break;
      }
      std::size_t delivered = std::min(size, into.size());
      if (in_spill) std::copy_n(spill_.get(), delivered, into.data());
      keep_record(size, delivered, message_left_, delivered);
      got += delivered;
    }
    if (wait == wait_for::some) wait = wait_for::none;
  }
  return got;
}

std::size_t pipe_channel::read_message(std::span<std::byte> buffer, bool nowait,
                                       std::error_code& ec) {
  std::size_t got = 0;
  if (message_left_ == 0) {
    if (!start_message(buffer, nowait ? wait_for::none : wait_for::all, got, ec)) {
      if (!ec) ec = errc::no_data;
      return 0;
    }
    if (message_left_ == 0) return got;  // all of it (or a zero-length message)
  }
  // Once a message has begun, its rest is on its way: wait for it.
  got += continue_message(buffer.subspan(got), wait_for::all, ec);
  // A read asked to end with part of a message taken ends with that part;
  // the next read gets the rest.
  if (ec == errc::operation_aborted && got > 0) ec.clear();
  if (!ec && message_left_ > 0) ec = errc::more_data;
  return got;
}

// Byte read mode on a message pipe: the data of as many messages as are
// there and fit. Waits (unless nowait) only for the first message: a
// zero-length one ends the wait too, and the read returns 0 bytes at once
// (as Windows does).
std::size_t pipe_channel::read_joined(std::span<std::byte> buffer, bool nowait,
                                      std::error_code& ec) {
  std::size_t got = 0;
  bool took_message = false;
  for (;;) {
    wait_for wait = got == 0 && !took_message && !nowait ? wait_for::some : wait_for::none;
    std::error_code step_ec;
    std::size_t n = 0;
    bool progressed;
    if (message_left_ == 0) {
      if (got == buffer.size() && got > 0) break;
      // A zero-length message is progress that adds nothing.
      progressed = start_message(buffer.subspan(got), wait, n, step_ec);
      took_message = took_message || progressed;
    } else {
      if (got == buffer.size()) break;
      n = continue_message(buffer.subspan(got), wait, step_ec);
      progressed = n > 0;
    }
    got += n;
    if (!progressed || step_ec) {
      // Empty messages taken are a read's result even when the writer is
      // gone behind them: the next read reports that.
      if (got == 0 && !took_message) ec = step_ec ? step_ec : make_error_code(errc::no_data);
      break;
    }
  }
  return got;
}

std::size_t pipe_channel::write(std::span<const std::byte> data, bool nowait, std::error_code& ec) {
  ec.clear();
  if (message_type_ || !nowait) {
    std::size_t n =
        message_type_ ? write_message(data, nowait, ec) : stream_write(socket_.get(), data, ec);
    if (!message_type_) note_sent(n);  // write_message notes its own
    // A blocking write is over when the reader has left at most the quota
    // unread, as a Windows write that did not fit its quota stays pending.
    if (!nowait && !ec && quota_ != 0) wait_for_quota(ec);
    return n;
  }
  if (data.empty()) return 0;
  if (!nowait_fits(data.size())) return 0;  // no partial writes over the quota
  ssize_t n = ::send(socket_.get(), data.data(), data.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  if (n >= 0) {
    note_sent(static_cast<std::size_t>(n));
    return static_cast<std::size_t>(n);
  }
  if (errno == EAGAIN) return 0;  // full: nothing fits, and that is no error
  ec = write_error(errno);
  return 0;
}

void pipe_channel::note_sent(std::size_t bytes) {
  if (quota_ != 0 && bytes != 0) unread_bound_.fetch_add(bytes, std::memory_order_relaxed);
}

std::optional<std::size_t> pipe_channel::unread_written(std::size_t known_below) {
  // What the last look found plus what was written here since bounds the
  // data unread, at no cost: small writes look only now and then.
  std::size_t before = unread_bound_.load(std::memory_order_relaxed);
  if (before <= known_below) return before;
  // Then what this end has in flight, as the kernel charges it (each
  // write's bookkeeping included): one cheap call.
  std::optional<std::size_t> unread;
  int charged = 0;
  if (::ioctl(socket_.get(), SIOCOUTQ, &charged) == 0 &&
      static_cast<std::size_t>(std::max(charged, 0)) <= known_below) {
    unread = static_cast<std::size_t>(std::max(charged, 0));
  } else {
    std::uint32_t peer = peer_inode_.load(std::memory_order_relaxed);
    unread = unread_by_peer(socket_.get(), peer);
    peer_inode_.store(peer, std::memory_order_relaxed);
  }
  // Lower the bound by what was read meanwhile. Writes noted since
  // `before` stay counted, even those the look saw: it stays a bound.
  if (unread && *unread < before)
    unread_bound_.fetch_sub(before - *unread, std::memory_order_relaxed);
  return unread;
}

bool pipe_channel::nowait_fits(std::size_t size) {
  if (quota_ == 0) return true;
  std::size_t room = size < quota_ ? quota_ - size : 0;
  auto unread = unread_written(room);
  // Nothing unread: a reader may be waiting, and takes the write at once.
  return !unread || *unread == 0 || *unread <= room;
}

bool pipe_channel::within_quota(std::error_code& ec) {
  ec.clear();
  if (quota_ == 0 || unread_bound_.load(std::memory_order_relaxed) <= quota_) return true;
  auto unread = unread_written(quota_);
  pollfd p{socket_.get(), 0, 0};  // a hang-up only
  if (::poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR))) {
    // The reader has gone. If it left data unread, the kernel dropped it
    // and says so (ECONNRESET): the write failed, as one that had to wait
    // for room does. Otherwise it read everything before it went.
    int error = 0;
    socklen_t len = sizeof(error);
    ::getsockopt(socket_.get(), SOL_SOCKET, SO_ERROR, &error, &len);
    if (error == ECONNRESET) ec = errc::no_data;
    return true;
  }
  return !unread || *unread <= quota_;  // unknown (no sock_diag): the write is in the pipe
}

void pipe_channel::wait_for_quota(std::error_code& ec) {
  int fd = socket_.get();
  // Nothing signals the reader's progress to the writer. A reader that
  // keeps up takes a socket buffer's worth in microseconds, so look again
  // at once for a few microseconds, then with a growing pause.
  constexpr long first_pause_ns = 50'000, longest_pause_ns = 20'000'000;
  auto spin_until = std::chrono::steady_clock::now() + std::chrono::microseconds(15);
  long pause_ns = 0;  // none yet: spinning
  while (!within_quota(ec)) {
    if (pause_ns == 0 && std::chrono::steady_clock::now() < spin_until) continue;
    pause_ns = pause_ns == 0 ? first_pause_ns : std::min(pause_ns * 2, longest_pause_ns);
    pollfd p{fd, 0, 0};  // a hang-up only: the pause is the wait
    timespec pause{0, pause_ns};
    if (::ppoll(&p, 1, &pause, nullptr) < 0 && errno == EINTR && interrupted()) {
      ec = errc::operation_aborted;  // what was written stays in the pipe
      return;
    }
  }
}

std::size_t pipe_channel::record_limit() {
  std::size_t limit = record_limit_.load(std::memory_order_relaxed);
  if (limit != 0) return limit;
  // A record must fit the send buffer (the write quota), with room for the
  // kernel's bookkeeping; at half of it the next record can queue while
  // the reader takes one, which a reader on another CPU needs to keep pace.
  // Whole pages keep the records after a short first one page-aligned.
  int sndbuf = 0;
  socklen_t len = sizeof(sndbuf);
  ::getsockopt(socket_.get(), SOL_SOCKET, SO_SNDBUF, &sndbuf, &len);
  std::size_t usable = static_cast<std::size_t>(std::max(sndbuf, 0)) / 2;
  usable = usable > record_overhead ? usable - record_overhead : 0;
  // Linux's smallest send buffer (4,608 bytes) still takes a first record
  // of short_message_max bytes behind its length.
  limit = std::clamp<std::size_t>(usable, short_message_max, max_record_size - header_size);
  limit -= limit % short_message_max;
  record_limit_.store(limit, std::memory_order_relaxed);
  return limit;
}

std::size_t pipe_channel::wire_size(std::size_t size) {
  return message_type_ ? message_layout(size, record_limit()).wire : size;
}

std::size_t pipe_channel::write_message(std::span<const std::byte> data, bool nowait,
                                        std::error_code& ec) {
  if (data.size() > max_message_size) {
    ec = errc::invalid_parameter;
    return 0;
  }
  std::size_t limit = record_limit();
  std::lock_guard lock(write_mutex_);
  int flags = MSG_NOSIGNAL;
  if (nowait && !nowait_fits(data.size())) return 0;  // a message goes whole or not at all
  if (nowait) {
    // A message goes whole or not at all. One record does that by itself; a
    // longer message is sent only if the socket has room for all of it, and
    // is then finished even if that means waiting.
    message_layout layout(data.size(), limit);
    if (layout.first == data.size()) {
      flags |= MSG_DONTWAIT;
    } else {
      int sndbuf = 0;
      socklen_t len = sizeof(sndbuf);
      int queued = 0;
      ::getsockopt(socket_.get(), SOL_SOCKET, SO_SNDBUF, &sndbuf, &len);
      ::ioctl(socket_.get(), SIOCOUTQ, &queued);
      if (static_cast<std::size_t>(queued) + layout.wire > static_cast<std::size_t>(sndbuf) / 2)
        return 0;
    }
  }
  std::size_t sent = 0;
  send_records(socket_.get(), data, limit, sent, flags, ec);
  note_sent(sent);
  if (ec) return 0;
  return sent == 0 ? 0 : data.size();  // nowait and full: nothing sent
}

bool pipe_channel::continue_read(std::span<std::byte> buffer, bool message_read, read_progress& p,
                                 std::error_code& ec) {
  ec.clear();
  int fd = socket_.get();
  if (!message_type_) {
    if (buffer.empty()) {
      // A zero-byte read completes once there is data to read, or none ever will.
      if (queued_bytes(fd) > 0) return true;
      if (peer_has_closed(fd)) ec = errc::broken_pipe;
      return static_cast<bool>(ec);
    }
    ssize_t n = receive(fd, buffer.data() + p.got, buffer.size() - p.got, MSG_DONTWAIT);
    if (n > 0) {
      p.got += static_cast<std::size_t>(n);
      return true;
    }
    if (n < 0 && errno == EAGAIN) return false;
    ec = n == 0 ? make_error_code(errc::broken_pipe) : error_from_errno(errno);
    return true;
  }
  std::lock_guard lock(read_mutex_);
  if (!message_read) {
    // Byte read mode: done as soon as anything came (zero-length messages
    // add nothing, so they do not end the read).
    p.got = read_joined(buffer, true, ec);
    if (ec == errc::no_data) {
      ec.clear();
      return false;
    }
    return true;
  }
  if (p.got == 0 && message_left_ == 0) {
    if (!start_message(buffer, wait_for::none, p.got, ec)) return static_cast<bool>(ec);
    if (message_left_ == 0) return true;  // all of it (or a zero-length message)
  }
  p.got += continue_message(buffer.subspan(p.got), wait_for::none, ec);
  if (ec || message_left_ == 0) return true;
  if (p.got == buffer.size()) {
    ec = errc::more_data;
    return true;
  }
  return false;
}

bool pipe_channel::write_some(std::span<const std::byte> data, write_progress& p,
                              std::error_code& ec) {
  ec.clear();
  constexpr int flags = MSG_DONTWAIT | MSG_NOSIGNAL;
  if (message_type_) {
    if (data.size() > max_message_size) {
      ec = errc::invalid_parameter;
      return true;
    }
    std::size_t before = p.sent;
    bool over = send_records(socket_.get(), data, record_limit(), p.sent, flags, ec);
    note_sent(p.sent - before);
    return over;
  }
  while (p.sent < data.size()) {
    ssize_t n = ::send(socket_.get(), data.data() + p.sent, data.size() - p.sent, flags);
    if (n > 0) {
      p.sent += static_cast<std::size_t>(n);
      note_sent(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return false;
    ec = write_error(errno);
    return true;
  }
  return true;
}

peek_counts pipe_channel::peek(std::span<std::byte> buffer, std::error_code& ec) {
  ec.clear();
  peek_counts counts;
  int fd = socket_.get();
  if (!message_type_) {
    std::size_t raw = queued_bytes(fd);
    if (raw == 0) {
      if (peer_has_closed(fd)) ec = errc::broken_pipe;
      return counts;
    }
    ssize_t n = receive(fd, buffer.data(), std::min(buffer.size(), raw), MSG_PEEK | MSG_DONTWAIT);
    counts.copied = n > 0 ? static_cast<std::size_t>(n) : 0;
    counts.available = raw;
    return counts;
  }
  std::size_t left_in_socket;
  {
    // The rest of a message partly read comes first: what spilled, then its
    // continuation records.
    std::lock_guard lock(spill_mutex_);
    std::size_t spilled = spill_end_ - spill_begin_;
    counts.message_left = message_left_;
    counts.available = spilled;
    counts.copied = std::min(spilled, buffer.size());
    if (counts.copied > 0) std::copy_n(spill_.get() + spill_begin_, counts.copied, buffer.begin());
    left_in_socket = message_left_ - spilled;
  }
  peek_records(buffer, left_in_socket, counts);
  // Empty messages still to read come before the end.
  if (counts.available == 0 && counts.message_left == 0 && queued_bytes(fd) == 0 &&
      !record_waiting() && peer_has_closed(fd))
    ec = errc::broken_pipe;
  return counts;
}

void pipe_channel::peek_records(std::span<std::byte> buffer, std::size_t left,
                                peek_counts& counts) {
  int fd = socket_.get();
  if (queued_bytes(fd) == 0) return;  // empty messages at most: nothing to count or copy
  std::lock_guard lock(peek_mutex_);
  auto record = std::make_unique_for_overwrite<std::byte[]>(max_record_size);
  // Copying goes on while the records belong to the first message seen.
  bool in_first = counts.message_left > 0;
  bool copying = true;
  if (left == 0 && peek_head(fd) == head_record::empty) {
    in_first = true;  // an empty first message: nothing to copy
    copying = false;
  }
  // A peek offset walks the records one by one without taking them.
  int offset = 0;
  if (::setsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &offset, sizeof(offset)) != 0) return;
  for (;;) {
    bool got_record;
    ssize_t n = receive_one(fd, std::span(record.get(), max_record_size), MSG_PEEK | MSG_DONTWAIT,
                            got_record);
    if (!got_record) break;
    std::span<const std::byte> data(record.get(),
                                    std::min(static_cast<std::size_t>(n), max_record_size));
    if (left == 0) {
      if (data.size() <= short_message_max) {
        left = data.size();  // a short message, whole, or an empty one
      } else {
        left = decode_length(data.data());
        data = data.subspan(header_size);
        // Not this framing: what comes before it is all a reader gets.
        if (!plausible_length(static_cast<std::uint32_t>(left), data.size())) break;
      }
      if (in_first) copying = false;  // a later message: counted, not copied
      if (counts.message_left == 0 && !in_first) counts.message_left = left;
      in_first = true;
    } else if (data.empty()) {
      break;  // a record of no bytes inside a message: not this framing
    }
    std::size_t chunk = std::min(data.size(), left);
    if (copying) {
      std::size_t part = std::min(chunk, buffer.size() - counts.copied);
      std::copy_n(data.begin(), part, buffer.begin() + static_cast<std::ptrdiff_t>(counts.copied));
      counts.copied += part;
    }
    counts.available += chunk;
    left -= chunk;
  }
  offset = -1;
  ::setsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &offset, sizeof(offset));
}

bool pipe_channel::has_unread_data() {
  {
    std::lock_guard lock(spill_mutex_);
    if (message_left_ > 0) return true;
  }
  // An empty message adds no bytes but is unread all the same.
  return queued_bytes(socket_.get()) > 0 || (message_type_ && record_waiting());
}

bool pipe_channel::record_waiting() {
  std::lock_guard lock(peek_mutex_);
  return peek_head(socket_.get()) != head_record::none;
}

read_state pipe_channel::export_read_state() {
  std::scoped_lock lock(read_mutex_, spill_mutex_);
  read_state state;
  state.message_left = message_left_;
  if (spill_) state.taken.assign(spill_.get() + spill_begin_, spill_.get() + spill_end_);
  message_left_ = 0;
  spill_begin_ = spill_end_ = 0;
  return state;
}

void pipe_channel::flush(std::error_code& ec) {
  ec.clear();
  int fd = socket_.get();
  // The kernel counts bytes written here that the peer has not consumed
  // (SIOCOUTQ); nothing signals when that reaches zero, so look again with
  // a growing pause.
  for (int pause_ms = 1;; pause_ms = std::min(pause_ms * 2, 20)) {
    int unread = 0;
    if (::ioctl(fd, SIOCOUTQ, &unread) != 0) {
      ec = error_from_errno(errno);
      return;
    }
    int error = 0;
    socklen_t len = sizeof(error);
    // A peer that closed with our data unread leaves ECONNRESET here.
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len);
    if (error == ECONNRESET || (unread > 0 && peer_has_closed(fd))) {
      ec = errc::broken_pipe;
      return;
    }
    if (unread == 0) return;
    pollfd p{fd, POLLRDHUP, 0};
    ::poll(&p, 1, pause_ms);
  }
}

void pipe_channel::shut_down() {
  ::shutdown(socket_.get(), SHUT_RDWR);
}

}  // namespace conduit::detail
