// The state behind a mailslot_server: the slot's receiving socket and the
// messages already taken off it.
//
// The receiving socket is an AF_UNIX SOCK_DGRAM socket the broker binds in
// its private folder; each writer sends on a socket of its own the broker
// connected to it, so each message is one datagram in one kernel queue, in
// arrival order. The kernel can say how big the next datagram is but not
// how many there are, so when GetMailslotInfo needs a count the reader moves
// every waiting record into `queue_`; reads take from `queue_` first, which
// keeps arrival order. How a message is carried: mailslot_records.hpp.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string_view>
#include <system_error>
#include <vector>

#include "conduit/mailslot.hpp"
#include "core/unique_fd.hpp"
#include "runtime/broker_link.hpp"

namespace conduit::detail {

/// MAILSLOT_WAIT_FOREVER as the milliseconds the state keeps.
inline constexpr std::uint32_t mailslot_forever_ms = 0xFFFFFFFF;

/// A read timeout as the milliseconds the state keeps; false when out of
/// range (negative, or more than MAILSLOT_WAIT_FOREVER).
[[nodiscard]] bool to_read_timeout_ms(std::chrono::milliseconds timeout, std::uint32_t& out);

class mailslot_reader {
 public:
  static std::shared_ptr<mailslot_reader> create(std::string_view name,
                                                 const mailslot_options& options,
                                                 std::error_code& ec);
  ~mailslot_reader();
  mailslot_reader(const mailslot_reader&) = delete;
  mailslot_reader& operator=(const mailslot_reader&) = delete;

  /// Reads one message whole, waiting up to `timeout_ms`
  /// (mailslot_forever_ms: no limit). See mailslot_server::read. A wait
  /// that another thread interrupts (runtime/interruption.hpp) ends with
  /// ERROR_OPERATION_ABORTED.
  std::size_t read(std::span<std::byte> buffer, std::uint32_t timeout_ms, std::error_code& ec);
  /// Takes the next message whatever its size.
  std::vector<std::byte> read_message(std::uint32_t timeout_ms, std::error_code& ec);
  mailslot_info info(std::error_code& ec);

  [[nodiscard]] std::uint32_t read_timeout_ms() const { return read_timeout_ms_.load(); }
  void set_read_timeout_ms(std::uint32_t timeout_ms) { read_timeout_ms_.store(timeout_ms); }
  [[nodiscard]] std::uint32_t max_message_size() const { return max_message_size_; }

  void close();
  [[nodiscard]] bool is_open();
  /// The receiving socket: readable when a message may wait (messages
  /// already in queue_ do not show there; see has_queued()).
  [[nodiscard]] int socket() const { return socket_.get(); }
  /// Readable once the slot is closed: whoever waits on socket() waits on
  /// this too, since a socket being shut down or closed by another thread
  /// need not wake a poll that watches it.
  [[nodiscard]] int closed_fd() const { return wake_.get(); }
  [[nodiscard]] bool has_queued();

 private:
  enum class got { message, none, dropped };
  mailslot_reader() = default;

  /// Waits until a message is at the front of queue_, or, given
  /// `direct_size`, has come off the socket straight into `direct` (which it
  /// fits) and `*direct_size` holds its size; false with `ec` set on timeout
  /// or close. Returns with `lock` held.
  bool wait_for_message_locked(std::unique_lock<std::mutex>& lock, std::uint32_t timeout_ms,
                               std::error_code& ec, std::span<std::byte> direct = {},
                               std::optional<std::size_t>* direct_size = nullptr);
  /// Moves one record from the socket to the back of queue_ (or into
  /// `direct`, as above); a record that is no message is dropped.
  got receive_locked(std::error_code& ec, std::span<std::byte> direct = {},
                     std::optional<std::size_t>* direct_size = nullptr);
  /// One wait for a record in a blocking recvmsg, `lock` released while it
  /// lasts, for as long as the socket's receive timeout (socket_timeout_locked
  /// set it). got::none when the time ran out (`ran_out` set) or a signal
  /// came (`ec` set when that signal ends the call), and when the slot was
  /// closed meanwhile. Returns with `lock` held.
  got receive_blocking_locked(std::unique_lock<std::mutex>& lock, std::error_code& ec,
                              std::span<std::byte> direct, std::optional<std::size_t>* direct_size,
                              bool& ran_out);
  /// Whether a blocking recvmsg may wait `wait_ms`: the socket's receive
  /// timeout is that already, or is set to it now (only while nobody else
  /// waits in one, since they run on the value they entered with).
  bool socket_timeout_locked(std::uint32_t wait_ms);
  /// What receive_locked does with a record once it is off the socket: `n`
  /// bytes, in `record` unless truncated.
  got take_record_locked(std::size_t n, msghdr& msg, std::span<const std::byte> record,
                         std::span<std::byte> direct, std::optional<std::size_t>* direct_size);
  /// GetMailslotInfo's count and next size while a reader waits in a
  /// blocking recvmsg: what queue_ holds and the record at the socket's head
  /// (peeked), without taking anything that reader is owed.
  void count_without_draining_locked(mailslot_info& info);
  /// Moves every waiting record to queue_ (bounded: see the definition).
  void drain_locked(std::error_code& ec);
  bool read_memfd(int fd, std::uint64_t size, std::vector<std::byte>& out) const;
  /// Takes every record still queued and lets it go (memfds too).
  void discard_queued_locked();

  std::mutex mutex_;
  std::deque<std::vector<std::byte>> queue_;  // taken off the socket, not read yet
  std::vector<std::byte> buffer_;             // one inline record
  unique_fd socket_;                          // the receiving socket (also for a new broker)
  unique_fd wake_;                            // eventfd: set by close()
  std::shared_ptr<mailslot_registration> registration_;
  std::atomic<std::uint32_t> read_timeout_ms_{0};
  // The socket's SO_RCVTIMEO, as milliseconds (mailslot_forever_ms: none),
  // and how many readers wait in a blocking recvmsg on it (mutex_ released).
  std::uint32_t socket_timeout_ms_ = mailslot_forever_ms;
  int blocked_receivers_ = 0;
  std::uint32_t max_message_size_ = 0;
  pid_t creator_ = 0;  // the process whose slot this is
  // The forks seen when the slot was made: only its creator's process
  // waits in a blocking recvmsg (a child shares the socket, and with it the
  // receive timeout, with a parent that sets it).
  unsigned fork_generation_ = 0;
  bool closed_ = false;
};

}  // namespace conduit::detail
