// One end of a connected pipe: its socket, and for message pipes the framing.
//
// Byte pipes carry a raw stream: no framing, a read is a recv. Message pipes
// put a 4-byte little-endian length before each message (docs/message-wire.md).
// The reader keeps how much of the current message is left, so a message
// read with too small a buffer (ERROR_MORE_DATA) continues on the next read,
// from any thread. Writers on one end hold a lock for a whole message, so
// messages from concurrent writers never interleave.
//
// read_some and write_some serve overlapped I/O (the Win32 layer's engine):
// they never block, and a call that cannot finish keeps its progress in the
// caller's read_progress / write_progress for the next call. A channel is
// driven either by blocking calls or by one engine that keeps each
// direction's operations in order, never both at once.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <span>
#include <system_error>

#include "core/unique_fd.hpp"

namespace conduit::detail {

/// What a peek sees (PeekNamedPipe).
struct peek_counts {
  std::size_t copied = 0;        // bytes copied into the caller's buffer
  std::size_t available = 0;     // data bytes waiting in all, headers excluded
  std::size_t message_left = 0;  // bytes left in the current message (message pipes)
};

/// How far a read_some has got: bytes already in the caller's buffer.
struct read_progress {
  std::size_t got = 0;
};

/// How far a write_some has got: bytes sent, a message's header included.
struct write_progress {
  std::size_t sent = 0;
};

class pipe_channel {
 public:
  /// Bytes of framing before each message.
  static constexpr std::size_t header_size = 4;

  pipe_channel(unique_fd socket, bool message_type)
      : socket_(std::move(socket)), message_type_(message_type) {}

  [[nodiscard]] int socket() const { return socket_.get(); }
  [[nodiscard]] bool message_type() const { return message_type_; }

  /// Reads in message read mode (at most one message; ERROR_MORE_DATA with
  /// the part that fits) or byte read mode (what is there, messages joined).
  /// `nowait`: ERROR_NO_DATA instead of blocking on an empty pipe.
  std::size_t read(std::span<std::byte> buffer, bool message_read, bool nowait,
                   std::error_code& ec);

  /// Writes one message (message pipes) or bytes. Blocking writes wait while
  /// the peer's buffer is full. `nowait`: writes what fits (bytes) or
  /// nothing (a message that does not fit), without error.
  std::size_t write(std::span<const std::byte> data, bool nowait, std::error_code& ec);

  /// Continues a read without blocking: true when it is over, with `p.got`
  /// bytes and `ec` as read() would give; false when it has to wait for
  /// data (what it took stays in `buffer`, counted in `p`). In message read
  /// mode it owns the message it has started until it is over.
  bool read_some(std::span<std::byte> buffer, bool message_read, read_progress& p,
                 std::error_code& ec);

  /// Continues a write without blocking: true when all of `data` is written
  /// (one message on a message pipe) or the write failed (`ec`); false when
  /// the socket is full. A message once started must be finished before any
  /// other write on this channel.
  bool write_some(std::span<const std::byte> data, write_progress& p, std::error_code& ec);

  /// Copies without consuming: at most one message on a message pipe.
  /// ERROR_BROKEN_PIPE when nothing is left and the peer has closed.
  peek_counts peek(std::span<std::byte> buffer, std::error_code& ec);

  /// True when data waits to be read (transact refuses to start then).
  [[nodiscard]] bool has_unread_data();

  /// Waits until the peer has read everything written here
  /// (FlushFileBuffers). ERROR_BROKEN_PIPE if it closes first.
  void flush(std::error_code& ec);

  /// Wakes every thread blocked on this end; I/O fails from now on.
  void shut_down();

 private:
  std::size_t read_message(std::span<std::byte> buffer, bool nowait, std::error_code& ec);
  std::size_t read_joined(std::span<std::byte> buffer, bool nowait, std::error_code& ec);
  /// Reads the next header; false with no error when `nowait` and it is not
  /// all there (the part that is stays taken, in partial_header_).
  bool read_header(bool nowait, std::error_code& ec);
  std::size_t write_message(std::span<const std::byte> data, bool nowait, std::error_code& ec);

  unique_fd socket_;
  bool message_type_;
  std::mutex read_mutex_;
  std::mutex write_mutex_;
  // Bytes of the current message not read yet; atomic so peek can look
  // without waiting for a blocked reader.
  std::atomic<std::uint32_t> message_left_{0};
  // A header read in part by a read that must not wait: the bytes so far
  // (little-endian, low 32 bits) and their count (bits 32 and up), in one
  // word so that peek sees both at once.
  std::atomic<std::uint64_t> partial_header_{0};
};

}  // namespace conduit::detail
