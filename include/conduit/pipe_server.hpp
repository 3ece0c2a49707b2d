// conduit/pipe_server.hpp: one server instance of a named pipe.
//
// A pipe_server is what CreateNamedPipe returns on Windows: one instance of
// `\\.\pipe\name`, which serves one client at a time. It listens as soon as
// it exists; connect() waits for a client, disconnect() drops the client so
// the instance can serve the next one. A server that serves several clients
// at once creates several instances (up to max_instances across all
// processes).
//
//   auto server = conduit::pipe_server::create(R"(\\.\pipe\echo)");
//   for (;;) {
//     server.connect();
//     std::array<std::byte, 512> buffer;
//     std::error_code ec;
//     while (std::size_t n = server.read(buffer, ec)) server.write(std::span(buffer).first(n));
//     server.disconnect();
//   }
//
// Reading, writing, peek, transact, flush and the handle state come from
// basic_pipe. Errors are Win32 codes (conduit/error.hpp); each call has a
// throwing overload and one that fills a std::error_code.
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
#include "conduit/impersonation.hpp"
#include "conduit/pipe_options.hpp"

namespace conduit {

namespace detail {
class server_instance;
}

/// How connect() found its client.
enum class connect_status {
  connected,          // a client arrived while connect() waited
  already_connected,  // one had arrived before (Win32: ERROR_PIPE_CONNECTED)
};

class pipe_server : public basic_pipe {
 public:
  /// Creates an instance of the pipe `name` (`\\.\pipe\x`, or with this
  /// machine's name for `.`), creating the pipe with the first instance.
  ///
  /// Errors: ERROR_INVALID_NAME, ERROR_PATH_NOT_FOUND or
  /// ERROR_FILENAME_EXCED_RANGE for a bad name; ERROR_INVALID_PARAMETER for
  /// bad options (max_instances 0 or over 255, message read mode on a byte
  /// pipe); ERROR_PIPE_BUSY when the pipe has max_instances already;
  /// ERROR_ACCESS_DENIED when the pipe exists with another direction, or
  /// exists at all and first_instance is set; ERROR_SERVICE_NOT_ACTIVE when
  /// no broker can be reached.
  /// @throws std::system_error
  [[nodiscard]] static pipe_server create(std::string_view name, const pipe_options& options = {});
  [[nodiscard]] static pipe_server create(std::string_view name, const pipe_options& options,
                                          std::error_code& ec) noexcept;

  pipe_server() noexcept;
  pipe_server(pipe_server&&) noexcept;
  pipe_server& operator=(pipe_server&&) noexcept;
  ~pipe_server();

  /// Waits for a client (ConnectNamedPipe). After a disconnect() this makes
  /// the instance listen again. Errors: ERROR_PIPE_CONNECTED is not an error
  /// here (see connect_status); ERROR_NO_DATA when the client that connected
  /// has already closed its end; ERROR_PIPE_LISTENING for a PIPE_NOWAIT
  /// instance with no client yet; ERROR_SEM_TIMEOUT when `timeout` passes.
  /// @throws std::system_error
  connect_status connect();
  connect_status connect(std::error_code& ec) noexcept;
  connect_status connect(std::chrono::milliseconds timeout);
  connect_status connect(std::chrono::milliseconds timeout, std::error_code& ec) noexcept;

  /// Drops the client (DisconnectNamedPipe): data not yet read on either side
  /// is discarded, the client's end fails with ERROR_PIPE_NOT_CONNECTED.
  /// Errors: ERROR_PIPE_LISTENING if no client ever connected,
  /// ERROR_PIPE_NOT_CONNECTED if already disconnected.
  /// @throws std::system_error
  void disconnect();
  void disconnect(std::error_code& ec) noexcept;

  /// The connected client's process id (GetNamedPipeClientProcessId).
  /// Errors: ERROR_NOT_FOUND when no client is connected.
  [[nodiscard]] std::uint32_t client_process_id() const;
  [[nodiscard]] std::uint32_t client_process_id(std::error_code& ec) const noexcept;
  /// This process's id (GetNamedPipeServerProcessId on a server end).
  [[nodiscard]] std::uint32_t server_process_id() const noexcept;

  /// Who the connected client is: what the kernel said of its process when
  /// it opened the pipe (see conduit/client_identity.hpp). It stays the
  /// client's after the client closes its end, until disconnect().
  /// Errors: ERROR_NOT_FOUND when no client is connected.
  /// @throws std::system_error
  [[nodiscard]] conduit::client_identity client_identity() const;
  [[nodiscard]] conduit::client_identity client_identity(std::error_code& ec) const;

  /// Makes the calling thread, and no other, impersonate the client
  /// (ImpersonateNamedPipeClient) until the returned guard ends or
  /// revert_to_self() is called. A thread already impersonating someone
  /// returns to itself first.
  ///
  /// What the thread becomes depends on the level the client allowed and on
  /// whether this process may change a thread's user (CAP_SETUID and
  /// CAP_SETGID, as root has):
  /// - impersonation or delegation (the default): the thread takes the
  ///   client's uid, gid and supplementary groups; files it opens, it opens
  ///   with the client's rights. Without the capabilities the thread keeps
  ///   its identity and its token is only an identification one (as Windows
  ///   does for a server without SeImpersonatePrivilege), unless it is the
  ///   client's user already.
  /// - identification: the token names the client (this_thread_token()),
  ///   the thread does not act as it: with the capabilities it becomes
  ///   `nobody` meanwhile, without them it stays itself.
  /// - anonymous: as identification, and the token reveals no one.
  ///
  /// Errors: ERROR_CANNOT_IMPERSONATE when no client is connected or nothing
  /// has been read from it yet (as on Windows, the client must have written
  /// and the server read first); ERROR_INVALID_HANDLE when closed.
  /// @throws std::system_error
  [[nodiscard]] impersonation impersonate_client();
  [[nodiscard]] impersonation impersonate_client(std::error_code& ec) noexcept;

  /// Closes the instance: the client can still read what was written, then
  /// gets ERROR_BROKEN_PIPE. A thread blocked in connect() or read() on it
  /// wakes with an error. Also done by the destructor.
  void close() noexcept;
  [[nodiscard]] bool is_open() const noexcept;

  /// The shared state behind this object (for the Win32 layer).
  [[nodiscard]] std::shared_ptr<detail::server_instance> impl() const noexcept;

 private:
  explicit pipe_server(std::shared_ptr<detail::server_instance> impl) noexcept;
  detail::server_instance* instance() const noexcept;
};

}  // namespace conduit
