#include "runtime/pipe_channel.hpp"

#include <linux/sockios.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <vector>

#include "conduit/error.hpp"
#include "runtime/stream_io.hpp"

namespace conduit::detail {
namespace {

std::uint32_t decode_length(const std::array<std::byte, pipe_channel::header_size>& h) {
  std::uint32_t n = 0;
  for (std::size_t i = 0; i < h.size(); ++i) n |= std::to_integer<std::uint32_t>(h[i]) << (8 * i);
  return n;
}

// recv that retries on EINTR; returns -1 with errno set on failure.
ssize_t receive(int fd, void* data, std::size_t size, int flags) {
  ssize_t n;
  do {
    n = ::recv(fd, data, size, flags);
  } while (n < 0 && errno == EINTR);
  return n;
}

// Reads exactly `size` bytes (a message's rest is on its way once its
// header is here). End of stream midway is ERROR_BROKEN_PIPE.
std::size_t receive_all(int fd, std::byte* data, std::size_t size, std::error_code& ec) {
  std::size_t got = 0;
  while (got < size) {
    ssize_t n = receive(fd, data + got, size - got, MSG_WAITALL);
    if (n > 0) {
      got += static_cast<std::size_t>(n);
    } else {
      ec = n == 0 ? make_error_code(errc::broken_pipe) : error_from_errno(errno);
      break;
    }
  }
  return got;
}

bool peer_has_closed(int fd) {
  pollfd p{fd, POLLRDHUP, 0};
  return ::poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

std::size_t queued_bytes(int fd) {
  int n = 0;
  return ::ioctl(fd, FIONREAD, &n) == 0 && n > 0 ? static_cast<std::size_t>(n) : 0;
}

// Sends a header and its message from byte `sent` of the two on, advancing
// `sent`. True when all is sent or sending failed (`ec`); false when the
// socket is full and `flags` say not to wait.
bool send_message(int fd, std::span<const std::byte, pipe_channel::header_size> header,
                  std::span<const std::byte> data, std::size_t& sent, int flags,
                  std::error_code& ec) {
  std::size_t total = header.size() + data.size();
  while (sent < total) {
    // Skip what has gone already, across the two pieces.
    std::array<iovec, 2> rest{iovec{const_cast<std::byte*>(header.data()), header.size()},
                              iovec{const_cast<std::byte*>(data.data()), data.size()}};
    std::size_t skip = sent;
    int first = 0;
    if (skip >= rest[0].iov_len) {
      skip -= rest[0].iov_len;
      first = 1;
    }
    rest[first].iov_base = static_cast<std::byte*>(rest[first].iov_base) + skip;
    rest[first].iov_len -= skip;
    msghdr msg{};
    msg.msg_iov = rest.data() + first;
    msg.msg_iovlen = 2 - first;
    ssize_t n = ::sendmsg(fd, &msg, flags);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN && (flags & MSG_DONTWAIT)) return false;
      ec = errno == ECONNRESET ? make_error_code(errc::no_data) : error_from_errno(errno);
      return true;
    }
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

std::size_t pipe_channel::read(std::span<std::byte> buffer, bool message_read, bool nowait,
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

bool pipe_channel::read_header(bool nowait, std::error_code& ec) {
  // Bytes of a header an earlier read that could not wait took already.
  std::uint64_t partial = partial_header_.load(std::memory_order_acquire);
  std::array<std::byte, header_size> header;
  std::size_t got = static_cast<std::size_t>(partial >> 32);
  for (std::size_t i = 0; i < header.size(); ++i)
    header[i] = static_cast<std::byte>((partial >> (8 * i)) & 0xFF);
  while (got < header.size()) {
    ssize_t n = receive(socket_.get(), header.data() + got, header.size() - got,
                        nowait ? MSG_DONTWAIT : MSG_WAITALL);
    if (n > 0) {
      got += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EAGAIN && nowait) {
      // Keep the part that came: the rest follows it in the stream.
      std::uint64_t kept = static_cast<std::uint64_t>(got) << 32;
      for (std::size_t i = 0; i < got; ++i)
        kept |= std::to_integer<std::uint64_t>(header[i]) << (8 * i);
      partial_header_.store(kept, std::memory_order_release);
      return false;
    }
    ec = n == 0 ? make_error_code(errc::broken_pipe) : error_from_errno(errno);
    return false;
  }
  message_left_.store(decode_length(header), std::memory_order_release);
  partial_header_.store(0, std::memory_order_release);
  return true;
}

std::size_t pipe_channel::read_message(std::span<std::byte> buffer, bool nowait,
                                       std::error_code& ec) {
  if (message_left_.load(std::memory_order_acquire) == 0) {
    if (!read_header(nowait, ec)) {
      if (!ec) ec = errc::no_data;
      return 0;
    }
    if (message_left_.load(std::memory_order_acquire) == 0) return 0;  // a zero-length message
  }
  std::uint32_t left = message_left_.load(std::memory_order_acquire);
  std::size_t want = std::min<std::size_t>(left, buffer.size());
  std::size_t got = receive_all(socket_.get(), buffer.data(), want, ec);
  message_left_.store(left - static_cast<std::uint32_t>(got), std::memory_order_release);
  if (!ec && got < left) ec = errc::more_data;
  return got;
}

// Byte read mode on a message pipe: the data of as many messages as are
// there and fit, headers stripped. Waits (unless nowait) only for the first byte.
std::size_t pipe_channel::read_joined(std::span<std::byte> buffer, bool nowait,
                                      std::error_code& ec) {
  std::size_t got = 0;
  for (;;) {
    bool may_block = got == 0 && !nowait;
    if (message_left_.load(std::memory_order_acquire) == 0) {
      if (got == buffer.size() && got > 0) break;
      std::error_code header_ec;
      if (!read_header(!may_block, header_ec)) {
        if (got == 0) ec = header_ec ? header_ec : make_error_code(errc::no_data);
        break;
      }
      continue;  // zero-length messages add nothing in byte read mode
    }
    if (got == buffer.size()) break;
    std::uint32_t left = message_left_.load(std::memory_order_acquire);
    std::size_t want = std::min<std::size_t>(left, buffer.size() - got);
    ssize_t n = receive(socket_.get(), buffer.data() + got, want, may_block ? 0 : MSG_DONTWAIT);
    if (n <= 0) {
      if (got == 0) ec = n == 0 ? make_error_code(errc::broken_pipe) : error_from_errno(errno);
      break;
    }
    got += static_cast<std::size_t>(n);
    message_left_.store(left - static_cast<std::uint32_t>(n), std::memory_order_release);
  }
  return got;
}

std::size_t pipe_channel::write(std::span<const std::byte> data, bool nowait, std::error_code& ec) {
  ec.clear();
  if (message_type_) return write_message(data, nowait, ec);
  if (!nowait) return stream_write(socket_.get(), data, ec);
  if (data.empty()) return 0;
  ssize_t n = ::send(socket_.get(), data.data(), data.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  if (n >= 0) return static_cast<std::size_t>(n);
  if (errno == EAGAIN) return 0;  // full: nothing fits, and that is no error
  ec = errno == ECONNRESET ? make_error_code(errc::no_data) : error_from_errno(errno);
  return 0;
}

std::size_t pipe_channel::write_message(std::span<const std::byte> data, bool nowait,
                                        std::error_code& ec) {
  if (data.size() > UINT32_MAX) {
    ec = errc::invalid_parameter;
    return 0;
  }
  std::array<std::byte, header_size> header;
  for (std::size_t i = 0; i < header.size(); ++i)
    header[i] = static_cast<std::byte>((data.size() >> (8 * i)) & 0xFF);
  std::lock_guard lock(write_mutex_);
  int flags = MSG_NOSIGNAL;
  if (nowait) {
    // A message goes whole or not at all: send it only if the socket has
    // room for all of it, and then finish it even if that means waiting.
    int sndbuf = 0;
    socklen_t len = sizeof(sndbuf);
    int queued = 0;
    ::getsockopt(socket_.get(), SOL_SOCKET, SO_SNDBUF, &sndbuf, &len);
    ::ioctl(socket_.get(), SIOCOUTQ, &queued);
    if (static_cast<std::size_t>(queued) + data.size() + header.size() >
        static_cast<std::size_t>(sndbuf) / 2)
      return 0;
  }
  std::size_t sent = 0;
  send_message(socket_.get(), header, data, sent, flags, ec);
  return sent > header.size() ? sent - header.size() : 0;
}

bool pipe_channel::read_some(std::span<std::byte> buffer, bool message_read, read_progress& p,
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
  if (p.got == 0 && message_left_.load(std::memory_order_acquire) == 0) {
    if (!read_header(true, ec)) return static_cast<bool>(ec);
    if (message_left_.load(std::memory_order_acquire) == 0) return true;  // a zero-length message
  }
  for (;;) {
    std::uint32_t left = message_left_.load(std::memory_order_acquire);
    if (left == 0) return true;
    if (p.got == buffer.size()) {
      ec = errc::more_data;
      return true;
    }
    std::size_t want = std::min<std::size_t>(left, buffer.size() - p.got);
    ssize_t n = receive(fd, buffer.data() + p.got, want, MSG_DONTWAIT);
    if (n <= 0) {
      if (n < 0 && errno == EAGAIN) return false;
      ec = n == 0 ? make_error_code(errc::broken_pipe) : error_from_errno(errno);
      return true;
    }
    p.got += static_cast<std::size_t>(n);
    message_left_.store(left - static_cast<std::uint32_t>(n), std::memory_order_release);
  }
}

bool pipe_channel::write_some(std::span<const std::byte> data, write_progress& p,
                              std::error_code& ec) {
  ec.clear();
  constexpr int flags = MSG_DONTWAIT | MSG_NOSIGNAL;
  if (message_type_) {
    if (data.size() > UINT32_MAX) {
      ec = errc::invalid_parameter;
      return true;
    }
    std::array<std::byte, header_size> header;
    for (std::size_t i = 0; i < header.size(); ++i)
      header[i] = static_cast<std::byte>((data.size() >> (8 * i)) & 0xFF);
    return send_message(socket_.get(), header, data, p.sent, flags, ec);
  }
  while (p.sent < data.size()) {
    ssize_t n = ::send(socket_.get(), data.data() + p.sent, data.size() - p.sent, flags);
    if (n > 0) {
      p.sent += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return false;
    ec = errno == ECONNRESET ? make_error_code(errc::no_data) : error_from_errno(errno);
    return true;
  }
  return true;
}

peek_counts pipe_channel::peek(std::span<std::byte> buffer, std::error_code& ec) {
  ec.clear();
  peek_counts counts;
  int fd = socket_.get();
  std::size_t raw = queued_bytes(fd);
  if (raw == 0) {
    if (peer_has_closed(fd)) ec = errc::broken_pipe;
    return counts;
  }
  if (!message_type_) {
    ssize_t n = receive(fd, buffer.data(), std::min(buffer.size(), raw), MSG_PEEK | MSG_DONTWAIT);
    counts.copied = n > 0 ? static_cast<std::size_t>(n) : 0;
    counts.available = raw;
    return counts;
  }
  // Walk the queued bytes, headers and all, to count data and copy one message.
  std::vector<std::byte> queued(raw);
  ssize_t n = receive(fd, queued.data(), queued.size(), MSG_PEEK | MSG_DONTWAIT);
  std::size_t size = n > 0 ? static_cast<std::size_t>(n) : 0;
  std::size_t pos = 0;
  // The rest of a message partly read already comes first, with no header.
  std::size_t left = message_left_.load(std::memory_order_acquire);
  // Or the rest of a header a non-blocking read took in part.
  std::uint64_t partial = partial_header_.load(std::memory_order_acquire);
  std::size_t taken = static_cast<std::size_t>(partial >> 32);
  bool first_message = true;
  for (;;) {
    if (left == 0) {
      if (size - pos < header_size - taken) break;
      std::array<std::byte, header_size> header;
      for (std::size_t i = 0; i < taken; ++i)
        header[i] = static_cast<std::byte>((partial >> (8 * i)) & 0xFF);
      std::copy_n(queued.begin() + static_cast<std::ptrdiff_t>(pos), header_size - taken,
                  header.begin() + static_cast<std::ptrdiff_t>(taken));
      left = decode_length(header);
      pos += header_size - taken;
      taken = 0;
    }
    std::size_t chunk = std::min(left, size - pos);
    if (first_message) {
      counts.message_left = left;
      counts.copied = std::min(chunk, buffer.size());
      std::copy_n(queued.begin() + static_cast<std::ptrdiff_t>(pos), counts.copied, buffer.begin());
      first_message = false;
    }
    counts.available += chunk;
    pos += chunk;
    left = 0;
    if (pos >= size) break;
  }
  return counts;
}

bool pipe_channel::has_unread_data() {
  return message_left_.load(std::memory_order_acquire) > 0 || queued_bytes(socket_.get()) > 0;
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
