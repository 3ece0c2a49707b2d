// One end of a connected pipe: its socket, and for message pipes the framing.
//
// Byte pipes ride a stream socket and carry a raw stream: no framing, a read
// is a recv. Message pipes ride a SOCK_SEQPACKET socket (docs/named-pipes.md):
// a message of up to 4,096 bytes is one record of its bytes alone (an empty
// one a record of no bytes), so a small message costs what a raw record
// costs. A longer message goes behind its 4-byte little-endian length, in a
// first record longer than 4,096 bytes and, when it does not fit one,
// continuation records of data alone. One recv
// thus takes a small message whole, and never a byte of the next one. The
// reader keeps how much of the current message is left and what of it did
// not fit the caller's buffer, so a message read with too small a buffer
// (ERROR_MORE_DATA) continues on the next read, from any thread. Writers on
// one end hold a lock for a whole message, so messages from concurrent
// writers never interleave.
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
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <system_error>
#include <vector>

#include "core/unique_fd.hpp"
#include "runtime/io_lock.hpp"

namespace conduit::detail {

/// What a peek sees (PeekNamedPipe).
struct peek_counts {
  std::size_t copied = 0;        // bytes copied into the caller's buffer
  std::size_t available = 0;     // data bytes waiting in all, headers excluded
  std::size_t message_left = 0;  // bytes left in the current message (message pipes)
};

/// Where a message pipe's reader stands, to carry it to another handle
/// (DuplicateHandle): the current message's bytes still to deliver, of
/// which `taken` came off the socket already.
struct read_state {
  std::uint32_t message_left = 0;
  std::vector<std::byte> taken;
};

/// How far a read_some has got: bytes already in the caller's buffer.
struct read_progress {
  std::size_t got = 0;
  bool asked = false;  // the read has asked for data (set_read_demand)
};

/// How far a write_some has got: bytes sent, a message's length included.
struct write_progress {
  std::size_t sent = 0;
};

/// How one message goes on a message pipe's wire: as one record of its
/// bytes alone (0 to short_message_max bytes), or behind its length.
struct message_layout {
  bool framed = false;    // starts with the length
  std::size_t first = 0;  // data bytes in the first record
  std::size_t wire = 0;   // bytes on the wire, the length included

  /// `limit`: the most data bytes the writer puts in a record.
  message_layout(std::size_t size, std::size_t limit);
};

/// Gives a message pipe's socket an address of its own, an abstract one the
/// kernel picks: a reader then tells this end's empty messages (records of
/// no bytes, which come with the sender's address) from the end of the
/// stream (which comes with none). Both ends of a message pipe need one.
std::error_code name_message_socket(int fd);

class pipe_channel {
 public:
  /// Bytes of the length before a message that is not short.
  static constexpr std::size_t header_size = 4;
  /// The longest message that goes as a record of its bytes alone. Every
  /// record longer than this starts a message with its length.
  static constexpr std::size_t short_message_max = 4096;
  /// The longest message that goes in one record behind its length; a
  /// longer one's first record holds short_message_max bytes of it.
  static constexpr std::size_t whole_record_max = 64 * 1024;
  /// The largest record a message pipe carries, the length included; a
  /// message that does not fit goes as several.
  static constexpr std::size_t max_record_size = 256 * 1024;
  /// What of a send buffer a record leaves to the kernel's bookkeeping.
  static constexpr std::size_t record_overhead = 4096;
  /// The largest message a message pipe carries (2 GiB - 1): what a
  /// signed 32-bit count holds, as Win32 programs keep their sizes. A
  /// writer refuses a longer one; a first record that declares a longer
  /// one is not this framing, and the reader fails with ERROR_BAD_PIPE.
  static constexpr std::uint32_t max_message_size = 0x7FFFFFFF;
  /// The write quota of a message pipe whose server asks for none: the
  /// kernel doubles it to a 1 MiB send buffer (at most twice
  /// net.core.wmem_max), which holds four of the largest records.
  static constexpr std::uint32_t default_message_quota = 512 * 1024;
  /// The least send buffer a pipe with a write quota gets (the kernel
  /// doubles it): writes past the quota wait in the pipe up to there.
  static constexpr std::uint32_t min_socket_buffer = 64 * 1024;

  /// `socket` is a stream socket for a byte pipe, a SOCK_SEQPACKET one for
  /// a message pipe.
  pipe_channel(unique_fd socket, bool message_type)
      : socket_(std::move(socket)), message_type_(message_type) {}
  /// A message pipe's channel that continues where another handle's reader
  /// stopped.
  pipe_channel(unique_fd socket, bool message_type, read_state state);

  [[nodiscard]] int socket() const { return socket_.get(); }

  /// Makes every read that would wait for data first add 1 to the eventfd
  /// `demand`: the peer is a relay that fetches data only when asked (a
  /// remote pipe over SMB, remote/smb_client.hpp). Set before any I/O.
  void set_read_demand(unique_fd demand) { read_demand_ = std::move(demand); }
  [[nodiscard]] bool message_type() const { return message_type_; }

  /// Reads in message read mode (at most one message; ERROR_MORE_DATA with
  /// the part that fits) or byte read mode (what is there, messages joined).
  /// `nowait`: ERROR_NO_DATA instead of blocking on an empty pipe.
  std::size_t read(std::span<std::byte> buffer, bool message_read, bool nowait,
                   std::error_code& ec);

  /// The write quota (docs/named-pipes.md): the most bytes written here
  /// that may wait unread before a blocking write waits for the reader. 0:
  /// none beyond the socket buffer. Set before any I/O.
  void set_quota(std::uint32_t bytes) { quota_ = bytes; }

  /// Writes one message (message pipes) or bytes. A blocking write goes
  /// into the pipe at once and returns once the reader has left at most
  /// the quota of what is written here unread. `nowait`: writes what fits
  /// (bytes) or nothing (a message that does not fit), without error; with
  /// data unread and a quota, what would go over the quota writes nothing.
  std::size_t write(std::span<const std::byte> data, bool nowait, std::error_code& ec);

  /// Whether at most the quota of what is written here is unread (true
  /// without a quota, or when the kernel does not say): what an
  /// overlapped write waits for once its data is in the pipe. True with
  /// ERROR_NO_DATA in `ec` when the connection has gone meanwhile.
  [[nodiscard]] bool within_quota(std::error_code& ec);

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

  /// True once a read on this channel has taken data or a message: what
  /// ImpersonateNamedPipeClient waits for.
  [[nodiscard]] bool has_read_data() const { return data_read_.load(std::memory_order_acquire); }

  /// True when data waits to be read (transact refuses to start then).
  [[nodiscard]] bool has_unread_data();

  /// Waits until the peer has read everything written here
  /// (FlushFileBuffers). ERROR_BROKEN_PIPE if it closes first.
  void flush(std::error_code& ec);

  /// Wakes every thread blocked on this end; I/O fails from now on.
  void shut_down();

  /// Takes the reader's place in the current message out of this channel.
  read_state export_read_state();

  /// Bytes `size` bytes of data take on the wire: write_progress::sent
  /// once they are all written.
  std::size_t wire_size(std::size_t size);

 private:
  /// How long a read may wait: for all it asks, for the first byte, or not at all.
  enum class wait_for { all, some, none };

  std::size_t read_now(std::span<std::byte> buffer, bool message_read, bool nowait,
                       std::error_code& ec);
  /// Asks the relay behind a read demand for data, unless some is here.
  void ask_for_data();
  bool continue_read(std::span<std::byte> buffer, bool message_read, read_progress& p,
                     std::error_code& ec);
  void note_read(std::size_t got, const std::error_code& ec);
  std::size_t read_message(std::span<std::byte> buffer, bool nowait, std::error_code& ec);
  std::size_t read_joined(std::span<std::byte> buffer, bool nowait, std::error_code& ec);
  /// Receives the next message's first record: its data goes to `out`, what
  /// does not fit to the spill buffer. False with no error when `wait` is
  /// none and no message is there.
  bool start_message(std::span<std::byte> out, wait_for wait, std::size_t& delivered,
                     std::error_code& ec);
  /// Continues the current message into `out` (at most the message's rest):
  /// spilled bytes first, then continuation records. Returns bytes copied.
  std::size_t continue_message(std::span<std::byte> out, wait_for wait, std::error_code& ec);
  /// One record, into `out` when the longest that may come (`longest`)
  /// fits it, else into the spill buffer (`in_spill`). True with its size
  /// (0: an empty message); false when `wait` is none and there is none,
  /// or with `ec` on failure.
  bool receive_record(std::span<std::byte> out, std::size_t longest, wait_for wait,
                      std::size_t& size, bool& in_spill, std::error_code& ec);
  /// Accounts a received record's data: `delivered` of it in the caller's
  /// buffer, the rest in the spill buffer from `spill_from` on.
  void keep_record(std::size_t data, std::size_t delivered, std::uint32_t message_left,
                   std::size_t spill_from);
  std::size_t write_message(std::span<const std::byte> data, bool nowait, std::error_code& ec);
  /// Bytes written here that the reader has not read (the kernel's count),
  /// nullopt when unknown. At most `known_below` bytes when they cost no
  /// question to the kernel.
  std::optional<std::size_t> unread_written(std::size_t known_below);
  /// Counts `bytes` written here into the bound unread_written starts from.
  void note_sent(std::size_t bytes);
  /// Whether a nowait write of `size` bytes stays within the quota: it
  /// does when nothing is unread (a reader may wait for it).
  bool nowait_fits(std::size_t size);
  /// Waits until at most the quota of what is written here is unread.
  void wait_for_quota(std::error_code& ec);
  /// The most data bytes this end puts in a record: its send buffer bounds
  /// it.
  std::size_t record_limit();
  /// True when a record, of no bytes perhaps, waits at the head of the
  /// socket (message pipes).
  bool record_waiting();
  /// Counts the queued records into `counts`, copying the first message's
  /// data on from `copied`; `left` is what of the current message remains
  /// in the socket.
  void peek_records(std::span<std::byte> buffer, std::size_t left, peek_counts& counts);

  unique_fd socket_;
  unique_fd read_demand_;  // see set_read_demand
  bool message_type_;
  io_lock read_mutex_;
  io_lock write_mutex_;
  std::mutex peek_mutex_;  // one peek at a time walks the socket's records
  // Held briefly whenever the read position changes, so that peek sees the
  // spilled bytes and message_left_ together without waiting for a reader
  // blocked in recv (which fills the spill buffer only while it is empty).
  std::mutex spill_mutex_;
  std::unique_ptr<std::byte[]> spill_;
  std::size_t spill_begin_ = 0;
  std::size_t spill_end_ = 0;
  // Bytes of the current message not delivered yet: the spilled ones, then
  // those still in the socket.
  std::uint32_t message_left_ = 0;
  std::atomic<std::size_t> record_limit_{0};  // 0 until first asked
  std::uint32_t quota_ = 0;                   // see set_quota
  std::atomic<std::uint32_t> peer_inode_{0};  // for unread_written; 0 until first asked
  // At least what is written here and unread: what unread_written last
  // found, plus what this end wrote since (note_sent).
  std::atomic<std::size_t> unread_bound_{0};
  std::atomic<bool> data_read_{false};
};

}  // namespace conduit::detail
