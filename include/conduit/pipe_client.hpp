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

#include "conduit/basic_pipe.hpp"
#include "conduit/client_identity.hpp"

namespace conduit {

namespace detail {
class client_end;
}

/// What a client asks to do with the pipe (GENERIC_READ / GENERIC_WRITE).
enum class pipe_access : std::uint32_t { none = 0, read = 1, write = 2, duplex = 3 };

class pipe_client : public basic_pipe {
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
  /// As above, saying how far the server may act as this client
  /// (CreateFile's SECURITY_SQOS_PRESENT with SECURITY_ANONYMOUS ..
  /// SECURITY_DELEGATION); the others allow impersonation.
  /// @throws std::system_error
  [[nodiscard]] static pipe_client open(std::string_view name, pipe_access access,
                                        impersonation_level allowed);
  [[nodiscard]] static pipe_client open(std::string_view name, pipe_access access,
                                        impersonation_level allowed, std::error_code& ec) noexcept;

  pipe_client() noexcept;
  pipe_client(pipe_client&&) noexcept;
  pipe_client& operator=(pipe_client&&) noexcept;
  ~pipe_client();

  /// The server's process id (GetNamedPipeServerProcessId).
  [[nodiscard]] std::uint32_t server_process_id() const noexcept;
  /// This process's id (GetNamedPipeClientProcessId on a client end).
  [[nodiscard]] std::uint32_t client_process_id() const noexcept;

  /// Closes this end: the server reads what was written, then gets
  /// ERROR_BROKEN_PIPE. Also done by the destructor.
  void close() noexcept;
  [[nodiscard]] bool is_open() const noexcept { return end_ != nullptr; }

  [[nodiscard]] std::shared_ptr<detail::client_end> impl() const noexcept;

 private:
  explicit pipe_client(std::shared_ptr<detail::client_end> impl) noexcept;
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

/// Opens a message pipe, waiting up to `timeout` for a free instance,
/// switches to message read mode, writes `request`, reads one reply message
/// into `reply` and closes (CallNamedPipe). Returns the reply's size. Errors:
/// those of pipe_client::open and basic_pipe::transact; ERROR_MORE_DATA when
/// the reply was cut to fit (the rest is lost, as on Windows).
/// @throws std::system_error (not for ERROR_MORE_DATA)
std::size_t call_named_pipe(std::string_view name, std::span<const std::byte> request,
                            std::span<std::byte> reply, std::chrono::milliseconds timeout);
std::size_t call_named_pipe(std::string_view name, std::span<const std::byte> request,
                            std::span<std::byte> reply, std::chrono::milliseconds timeout,
                            std::error_code& ec) noexcept;

}  // namespace conduit
