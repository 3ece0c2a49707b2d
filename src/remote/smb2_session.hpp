// One SMB2 connection to a host's IPC$ share, logged in with NTLMv2: what
// a remote pipe handle talks through (docs/remote-pipes.md).
//
// connect() does the whole setup, bounded in time: TCP, NEGOTIATE (2.0.2
// or 2.1), SESSION_SETUP with NTLMSSP, TREE_CONNECT to \\host\IPC$. A
// guest or anonymous session is refused (ERROR_LOGON_FAILURE): the server
// must have taken the credentials given. Requests are signed, and
// responses checked, when the server requires signing.
//
// After setup, requests and responses are decoupled (send / receive), so
// that a pipe read may wait at the server while a write goes out: receive
// returns responses in the order they come, interim ones (STATUS_PENDING)
// included, and the caller matches them by message id.
//
//     smb2::session s;
//     if (auto ec = s.connect("host", "445", creds)) return ec;
//     smb2::file_id pipe;
//     if (auto ec = s.open_pipe("x", true, true, pipe)) return ec;
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

#include "core/unique_fd.hpp"
#include "remote/ntlmssp.hpp"
#include "remote/smb2_wire.hpp"

namespace conduit::detail::remote::smb2 {

/// A response as received: its header, and the whole message.
struct response {
  header h;
  bytes message;
};

class session {
 public:
  /// How long each step of connect() and open_pipe() may take.
  static constexpr int setup_timeout_ms = 30000;

  /// Connects to `host` on `port` and logs in. ERROR_BAD_NETPATH (no
  /// connection, or no IPC$), ERROR_LOGON_FAILURE (credentials refused, or
  /// only a guest session granted), ERROR_NOT_SUPPORTED (the server wants
  /// encryption or other than NTLMv2), ERROR_UNEXP_NET_ERR (a malformed
  /// answer), ERROR_SEM_TIMEOUT.
  [[nodiscard]] std::error_code connect(const std::string& host, const std::string& port,
                                        const ntlm::credentials& who);

  /// Opens the pipe `name` (without `\pipe\`). Errors from the server's
  /// status: ERROR_FILE_NOT_FOUND, ERROR_ACCESS_DENIED, ERROR_PIPE_BUSY...
  [[nodiscard]] std::error_code open_pipe(std::string_view name, bool reads, bool writes,
                                          file_id& out);

  /// Sends a request of `cmd` with `body` on the tree; its message id in `id`.
  /// Needs a credit (has_credit()).
  [[nodiscard]] std::error_code send(command cmd, std::span<const std::uint8_t> body,
                                     std::uint64_t& id);
  /// Receives the next response (blocking, or for `timeout_ms` at most when
  /// not negative): an interim one too (status_pending).
  [[nodiscard]] std::error_code receive(response& out, int timeout_ms = -1);
  /// Sends and waits for the final response to it (setup_timeout_ms at most).
  [[nodiscard]] std::error_code call(command cmd, std::span<const std::uint8_t> body,
                                     response& out);

  [[nodiscard]] bool has_credit() const { return credits_ > 0; }
  [[nodiscard]] int socket() const { return socket_.get(); }
  /// What the server takes in one read or write (max_io at most).
  [[nodiscard]] std::uint32_t max_read() const { return max_read_; }
  [[nodiscard]] std::uint32_t max_write() const { return max_write_; }
  [[nodiscard]] bool signing() const { return signing_; }

  /// Closes the pipe and logs off, without waiting long for the answers.
  void close(const file_id& pipe);

 private:
  [[nodiscard]] std::error_code send_raw(header h, std::span<const std::uint8_t> body,
                                         std::uint64_t& id);
  [[nodiscard]] std::error_code login(const ntlm::credentials& who);
  [[nodiscard]] std::error_code setup(const std::string& host, const ntlm::credentials& who);

  unique_fd socket_;
  std::uint64_t next_id_ = 0;
  std::int64_t credits_ = 1;  // a connection starts with one
  std::uint64_t session_id_ = 0;
  std::uint32_t tree_id_ = 0;
  std::uint32_t max_read_ = 0, max_write_ = 0;
  bool signing_ = false;
  ntlm::key16 session_key_{};
};

}  // namespace conduit::detail::remote::smb2
