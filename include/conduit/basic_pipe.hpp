// conduit/basic_pipe.hpp: the data side of a named pipe end, server or client.
//
// pipe_server and pipe_client both derive from basic_pipe: reading and
// writing, peek, transact and flush, and the handle state (read mode, wait
// mode) and pipe information, as ReadFile, WriteFile, PeekNamedPipe,
// TransactNamedPipe, FlushFileBuffers, Get/SetNamedPipeHandleState and
// GetNamedPipeInfo give them on Windows.
//
// On a message pipe read in message mode, each read returns at most one
// message. A message longer than the buffer gives what fits and
// ERROR_MORE_DATA; the rest comes with the next read:
//
//   std::error_code ec;
//   std::array<std::byte, 512> buffer;
//   std::size_t n = pipe.read(buffer, ec);
//   if (ec == conduit::errc::more_data) { /* read again for the rest */ }
//   auto whole = pipe.read_message();  // or take it whole, whatever its size
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <system_error>
#include <vector>

#include "conduit/pipe_info.hpp"
#include "conduit/pipe_options.hpp"

namespace conduit {

namespace detail {
class pipe_end;
}

class basic_pipe {
 public:
  /// Reads (ReadFile). Byte read mode: what is there, at least one byte
  /// (messages of a message pipe join). Message read mode: at most one
  /// message; a zero-length message reads as 0 bytes, successfully.
  /// Errors: ERROR_MORE_DATA (the bytes returned are valid; the rest of the
  /// message waits), ERROR_BROKEN_PIPE when the other end closed and all was
  /// read, ERROR_PIPE_NOT_CONNECTED after a disconnect, ERROR_PIPE_LISTENING
  /// on a server with no client, ERROR_NO_DATA for a PIPE_NOWAIT handle with
  /// nothing to read, ERROR_ACCESS_DENIED against the pipe's direction.
  /// @throws std::system_error, except for ERROR_MORE_DATA, which the
  /// throwing overload does not report: use the error_code overload or
  /// read_message() where message boundaries matter.
  std::size_t read(std::span<std::byte> buffer);
  std::size_t read(std::span<std::byte> buffer, std::error_code& ec) noexcept;

  /// Reads one whole message, whatever its size (message pipes; on a byte
  /// pipe, what one read returns).
  /// @throws std::system_error
  std::vector<std::byte> read_message();
  std::vector<std::byte> read_message(std::error_code& ec);

  /// Writes (WriteFile): on a message pipe, one message, never interleaved
  /// with another thread's. Returns once the reader has left at most the
  /// write quota unread (pipe_options::out_buffer_size / in_buffer_size);
  /// a PIPE_NOWAIT handle writes nothing when that would go over the quota
  /// with data unread, else what fits (bytes) or nothing (a message that
  /// does not fit), and returns the count. Errors: ERROR_NO_DATA when the
  /// other end has closed, ERROR_PIPE_NOT_CONNECTED, ERROR_PIPE_LISTENING,
  /// ERROR_ACCESS_DENIED as for read().
  /// @throws std::system_error
  std::size_t write(std::span<const std::byte> data);
  std::size_t write(std::span<const std::byte> data, std::error_code& ec) noexcept;
  std::size_t write(std::string_view text) { return write(std::as_bytes(std::span(text))); }
  std::size_t write(std::string_view text, std::error_code& ec) noexcept {
    return write(std::as_bytes(std::span(text)), ec);
  }

  /// Looks at waiting data without taking it (PeekNamedPipe): copies at most
  /// one message on a message pipe. Errors: ERROR_BROKEN_PIPE when nothing
  /// is left and the other end closed; ERROR_BAD_PIPE on a server that has
  /// no client.
  /// @throws std::system_error
  peek_result peek(std::span<std::byte> buffer = {});
  peek_result peek(std::span<std::byte> buffer, std::error_code& ec) noexcept;

  /// Writes one message and reads one (TransactNamedPipe). Errors:
  /// ERROR_BAD_PIPE unless this is a message pipe in message read mode;
  /// ERROR_PIPE_BUSY when unread data is waiting; ERROR_MORE_DATA as read().
  /// @throws std::system_error (not for ERROR_MORE_DATA)
  std::size_t transact(std::span<const std::byte> request, std::span<std::byte> reply);
  std::size_t transact(std::span<const std::byte> request, std::span<std::byte> reply,
                       std::error_code& ec) noexcept;

  /// Waits until the other end has read everything written here
  /// (FlushFileBuffers). Errors: ERROR_BROKEN_PIPE if it closes first.
  /// @throws std::system_error
  void flush();
  void flush(std::error_code& ec) noexcept;

  /// The handle's read mode (PIPE_READMODE_*). Setting message mode on a
  /// byte pipe is ERROR_INVALID_PARAMETER; on a pipe opened on another
  /// machine through libsmbclient (a Kerberos logon), whose message
  /// boundaries do not come through, it is ERROR_NOT_SUPPORTED.
  /// @throws std::system_error
  [[nodiscard]] conduit::read_mode read_mode() const noexcept;
  void set_read_mode(conduit::read_mode mode);
  void set_read_mode(conduit::read_mode mode, std::error_code& ec) noexcept;
  /// The handle's wait mode: true for PIPE_NOWAIT.
  [[nodiscard]] bool nowait() const noexcept;
  void set_nowait(bool on) noexcept;

  /// The pipe as created (GetNamedPipeInfo).
  [[nodiscard]] pipe_info info() const noexcept;
  /// How many instances the pipe has now, in all processes.
  /// @throws std::system_error
  [[nodiscard]] std::uint32_t current_instances() const;
  [[nodiscard]] std::uint32_t current_instances(std::error_code& ec) const noexcept;

 protected:
  basic_pipe() noexcept = default;
  explicit basic_pipe(std::shared_ptr<detail::pipe_end> end) noexcept : end_(std::move(end)) {}
  std::shared_ptr<detail::pipe_end> end_;
};

}  // namespace conduit
