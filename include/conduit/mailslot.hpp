// conduit/mailslot.hpp: mailslots, one-way datagrams from many writers to one
// reader.
//
// A mailslot_server is what CreateMailslot returns on Windows: it creates the
// slot `\\.\mailslot\name` and is the only side that reads. A mailslot_client
// is what CreateFile on that name returns to a writer: any number of them, in
// any processes, each write one message. Messages arrive whole, never split
// and never merged, in the order they arrived; a zero-length message is a
// message too.
//
//   auto slot = conduit::mailslot_server::create(R"(\\.\mailslot\status)");
//   // in any process:
//   auto writer = conduit::mailslot_client::open(R"(\\.\mailslot\status)");
//   writer.write("disk full");
//   // back in the reader:
//   auto message = slot.read_message();  // waits up to the read timeout
//
// The slot disappears when its reader closes it (or its process ends): new
// writers then get ERROR_FILE_NOT_FOUND, writers that had it open get
// ERROR_HANDLE_EOF, and a new slot of the same name is a different slot.
// Errors are Win32 codes (conduit/error.hpp); each call has a throwing
// overload and one that fills a std::error_code. docs/mailslots.md has the
// whole story, limits and differences from Windows.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace conduit {

namespace detail {
class mailslot_reader;
class mailslot_writer;
}  // namespace detail

/// A read timeout that never runs out (MAILSLOT_WAIT_FOREVER).
inline constexpr std::chrono::milliseconds mailslot_wait_forever{0xFFFFFFFF};

/// What GetMailslotInfo says for the next message's size when there is none
/// (MAILSLOT_NO_MESSAGE); mailslot_info::next_size is empty then.
inline constexpr std::uint32_t mailslot_no_message = 0xFFFFFFFF;

/// How a mailslot is created (the parameters of CreateMailslot).
class security_descriptor;

struct mailslot_options {
  /// The largest message a writer may send; 0 means any size. A larger
  /// message is refused with ERROR_INVALID_PARAMETER and not delivered.
  std::uint32_t max_message_size = 0;
  /// How long a read waits for a message: 0 (not at all), up to
  /// 0xFFFFFFFE ms, or mailslot_wait_forever.
  std::chrono::milliseconds read_timeout = mailslot_wait_forever;
  /// Security descriptor in SDDL; empty means the default, which lets the
  /// creator, root and administrators do everything and everyone else read
  /// (docs/security.md).
  std::string security_descriptor;
  /// Sets security_descriptor from a conduit::security_descriptor
  /// (conduit/security.hpp).
  void set_security(const ::conduit::security_descriptor& sd);
};

/// A slot as GetMailslotInfo describes it.
struct mailslot_info {
  std::uint32_t max_message_size = 0;
  /// The size of the next message; empty when none waits
  /// (MAILSLOT_NO_MESSAGE). A zero-length message has size 0.
  std::optional<std::uint32_t> next_size;
  /// Messages waiting, zero-length ones included.
  std::uint32_t message_count = 0;
  std::chrono::milliseconds read_timeout{0};
};

/// The reading end: creates the slot and owns it. There is no write here:
/// on Windows, WriteFile on this handle fails with ERROR_ACCESS_DENIED.
class mailslot_server {
 public:
  /// Creates the slot `name` (`\\.\mailslot\x`, `x` may hold `\`; names
  /// compare without regard to case).
  ///
  /// Errors: ERROR_ALREADY_EXISTS when a slot of that name exists (in any
  /// process); ERROR_INVALID_NAME, ERROR_PATH_NOT_FOUND or
  /// ERROR_FILENAME_EXCED_RANGE for a bad name; ERROR_PATH_NOT_FOUND for
  /// another machine's name (`\\host\mailslot\x`, `\\*\mailslot\x`): slots
  /// are only ever created locally; ERROR_INVALID_PARAMETER for a read
  /// timeout out of range; ERROR_SERVICE_NOT_ACTIVE when no broker can be
  /// reached.
  /// @throws std::system_error
  [[nodiscard]] static mailslot_server create(std::string_view name,
                                              const mailslot_options& options = {});
  [[nodiscard]] static mailslot_server create(std::string_view name,
                                              const mailslot_options& options,
                                              std::error_code& ec) noexcept;

  mailslot_server() noexcept;
  mailslot_server(mailslot_server&&) noexcept;
  mailslot_server& operator=(mailslot_server&&) noexcept;
  ~mailslot_server();

  /// Reads the next message whole (ReadFile), waiting up to the read
  /// timeout for one. Returns its size; a zero-length message reads as 0
  /// bytes, successfully.
  /// Errors: ERROR_INSUFFICIENT_BUFFER when the message is larger than
  /// `buffer` (nothing is copied and the message stays next);
  /// ERROR_SEM_TIMEOUT when no message came in time; ERROR_OPERATION_ABORTED
  /// when the slot is closed while the read waits; ERROR_INVALID_HANDLE on a
  /// closed slot.
  /// @throws std::system_error
  std::size_t read(std::span<std::byte> buffer);
  std::size_t read(std::span<std::byte> buffer, std::error_code& ec) noexcept;

  /// Reads the next message whole, whatever its size; errors as read().
  /// @throws std::system_error
  std::vector<std::byte> read_message();
  std::vector<std::byte> read_message(std::error_code& ec) noexcept;

  /// The slot's state (GetMailslotInfo): counts every message that has
  /// arrived and not been read. Errors: ERROR_INVALID_HANDLE once closed.
  /// @throws std::system_error
  [[nodiscard]] mailslot_info info() const;
  [[nodiscard]] mailslot_info info(std::error_code& ec) const noexcept;

  /// Changes the read timeout (SetMailslotInfo); reads already waiting keep
  /// theirs. Errors: ERROR_INVALID_PARAMETER out of range,
  /// ERROR_INVALID_HANDLE once closed.
  /// @throws std::system_error
  void set_read_timeout(std::chrono::milliseconds timeout);
  void set_read_timeout(std::chrono::milliseconds timeout, std::error_code& ec) noexcept;

  /// Closes the slot: its name is free again, messages not read are gone,
  /// writers get ERROR_HANDLE_EOF (also those waiting for room), a read
  /// waiting in another thread ends with ERROR_OPERATION_ABORTED. Also done
  /// by the destructor.
  void close() noexcept;
  [[nodiscard]] bool is_open() const noexcept;

  /// The shared state behind this object (for the Win32 layer).
  [[nodiscard]] std::shared_ptr<detail::mailslot_reader> impl() const noexcept { return reader_; }

 private:
  explicit mailslot_server(std::shared_ptr<detail::mailslot_reader> reader) noexcept;
  std::shared_ptr<detail::mailslot_reader> reader_;
};

/// A writing end: opened by name, as CreateFile with GENERIC_WRITE and
/// FILE_SHARE_READ does on Windows. There is no read here: on Windows,
/// ReadFile on this handle fails with ERROR_ACCESS_DENIED.
class mailslot_client {
 public:
  /// Opens the slot `name` for writing.
  ///
  /// A slot on another machine, in a domain or in this machine's
  /// workgroup (`\\host\mailslot\x`, `\\domain\mailslot\x`,
  /// `\\*\mailslot\x`) opens without asking any machine: each write is a
  /// network datagram in Windows' format, of at most 424 bytes
  /// (docs/mailslots.md, "Across machines").
  ///
  /// Errors: ERROR_FILE_NOT_FOUND when no such slot exists;
  /// ERROR_BAD_NETPATH for a broadcast with no IPv4 interface to send on;
  /// ERROR_INVALID_NAME, ERROR_PATH_NOT_FOUND or ERROR_FILENAME_EXCED_RANGE
  /// for a bad name; ERROR_SERVICE_NOT_ACTIVE when no broker can be reached.
  /// @throws std::system_error
  [[nodiscard]] static mailslot_client open(std::string_view name);
  [[nodiscard]] static mailslot_client open(std::string_view name, std::error_code& ec) noexcept;

  mailslot_client() noexcept;
  mailslot_client(mailslot_client&&) noexcept;
  mailslot_client& operator=(mailslot_client&&) noexcept;
  ~mailslot_client();

  /// Sends one message (WriteFile): it arrives whole or not at all, never
  /// mixed with another writer's. Waits while the slot's queue is full (see
  /// docs/mailslots.md). Returns data.size().
  /// Errors: ERROR_INVALID_PARAMETER for a message larger than the slot's
  /// maximum, or over 424 bytes to other machines (nothing is sent);
  /// ERROR_BAD_NETPATH when a datagram finds no route; ERROR_HANDLE_EOF when the slot's reader has
  /// closed it; ERROR_NOT_ENOUGH_MEMORY when the system cannot hold the
  /// message; ERROR_INVALID_HANDLE on a closed client.
  /// @throws std::system_error
  std::size_t write(std::span<const std::byte> data);
  std::size_t write(std::span<const std::byte> data, std::error_code& ec) noexcept;
  std::size_t write(std::string_view text) { return write(std::as_bytes(std::span(text))); }
  std::size_t write(std::string_view text, std::error_code& ec) noexcept {
    return write(std::as_bytes(std::span(text)), ec);
  }

  /// The slot's maximum message size, as its reader created it (0: any).
  [[nodiscard]] std::uint32_t max_message_size() const noexcept;
  /// The reader's process id.
  [[nodiscard]] std::uint32_t server_process_id() const noexcept;

  /// Closes this writer; the slot and other writers are not affected. Also
  /// done by the destructor.
  void close() noexcept;
  [[nodiscard]] bool is_open() const noexcept;

  /// The shared state behind this object (for the Win32 layer).
  [[nodiscard]] std::shared_ptr<detail::mailslot_writer> impl() const noexcept { return writer_; }

 private:
  explicit mailslot_client(std::shared_ptr<detail::mailslot_writer> writer) noexcept;
  std::shared_ptr<detail::mailslot_writer> writer_;
};

}  // namespace conduit
