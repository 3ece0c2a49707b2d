// conduit/pipe_client.hpp: the client end of a named pipe, and waiting for one.
//
// A client opens a pipe by name, as CreateFile does on Windows; it gets one
// free server instance or ERROR_PIPE_BUSY, in which case it may wait:
//
//   std::error_code ec;
//   auto client = conduit::pipe_client::open(R"(\\.\pipe\echo)", conduit::pipe_access::duplex, ec);
//   while (ec == conduit::errc::pipe_busy) {
//     if (!conduit::wait_named_pipe(R"(\\.\pipe\echo)", std::chrono::seconds(5), ec)) break;
//     client = conduit::pipe_client::open(R"(\\.\pipe\echo)", conduit::pipe_access::duplex, ec);
//   }
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <system_error>

namespace conduit {

namespace detail {
class client_end;
}

/// What a client asks to do with the pipe (GENERIC_READ / GENERIC_WRITE).
enum class pipe_access : std::uint32_t { none = 0, read = 1, write = 2, duplex = 3 };

class pipe_client {
 public:
  /// Opens the pipe `name` and takes the instance that has listened longest.
  ///
  /// Errors: ERROR_FILE_NOT_FOUND when no such pipe exists; ERROR_PIPE_BUSY
  /// when no instance is free; ERROR_ACCESS_DENIED when `access` does not fit
  /// the pipe's direction; ERROR_INVALID_NAME, ERROR_PATH_NOT_FOUND or
  /// ERROR_FILENAME_EXCED_RANGE for a bad name; ERROR_BAD_NETPATH for a
  /// remote host.
  /// @throws std::system_error
  [[nodiscard]] static pipe_client open(std::string_view name,
                                        pipe_access access = pipe_access::duplex);
  [[nodiscard]] static pipe_client open(std::string_view name, pipe_access access,
                                        std::error_code& ec) noexcept;

  pipe_client() noexcept;
  pipe_client(pipe_client&&) noexcept;
  pipe_client& operator=(pipe_client&&) noexcept;
  ~pipe_client();

  /// Reads what is there, blocking until at least one byte arrives. Errors:
  /// ERROR_BROKEN_PIPE once the server closed and everything was read;
  /// ERROR_PIPE_NOT_CONNECTED once the server disconnected this client
  /// (unread data is discarded); ERROR_ACCESS_DENIED without read access.
  /// @throws std::system_error
  std::size_t read(std::span<std::byte> buffer);
  std::size_t read(std::span<std::byte> buffer, std::error_code& ec) noexcept;

  /// Writes all of `data`. Errors: ERROR_NO_DATA when the server closed its
  /// end; ERROR_PIPE_NOT_CONNECTED after a disconnect; ERROR_ACCESS_DENIED
  /// without write access.
  /// @throws std::system_error
  std::size_t write(std::span<const std::byte> data);
  std::size_t write(std::span<const std::byte> data, std::error_code& ec) noexcept;
  std::size_t write(std::string_view text) { return write(std::as_bytes(std::span(text))); }
  std::size_t write(std::string_view text, std::error_code& ec) noexcept {
    return write(std::as_bytes(std::span(text)), ec);
  }

  /// The server's process id (GetNamedPipeServerProcessId).
  [[nodiscard]] std::uint32_t server_process_id() const noexcept;
  /// This process's id (GetNamedPipeClientProcessId on a client end).
  [[nodiscard]] std::uint32_t client_process_id() const noexcept;

  /// Closes this end: the server reads what was written, then gets
  /// ERROR_BROKEN_PIPE. Also done by the destructor.
  void close() noexcept;
  [[nodiscard]] bool is_open() const noexcept { return impl_ != nullptr; }

  [[nodiscard]] const std::shared_ptr<detail::client_end>& impl() const noexcept { return impl_; }

 private:
  explicit pipe_client(std::shared_ptr<detail::client_end> impl) noexcept;
  std::shared_ptr<detail::client_end> impl_;
};

/// WaitNamedPipe's timeouts: the pipe's default, and no limit.
inline constexpr std::chrono::milliseconds use_default_wait{0};
inline constexpr std::chrono::milliseconds wait_forever = std::chrono::milliseconds::max();

/// Waits until an instance of `name` is free to open (WaitNamedPipe): returns
/// true when one is (another client may still take it first). Errors:
/// ERROR_FILE_NOT_FOUND when no such pipe exists; ERROR_SEM_TIMEOUT when
/// `timeout` passes (use_default_wait: the pipe's default timeout).
/// @throws std::system_error
bool wait_named_pipe(std::string_view name, std::chrono::milliseconds timeout);
bool wait_named_pipe(std::string_view name, std::chrono::milliseconds timeout,
                     std::error_code& ec) noexcept;

}  // namespace conduit
