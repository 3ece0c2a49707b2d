// A named pipe handle: the server instance CreateNamedPipe made or the
// client end CreateFile opened, as a file the Win32 calls work on.
//
// Closing its last handle ends the operations still pending on it with
// ERROR_BROKEN_PIPE (as Windows does), then closes the instance or ends the
// connection, even while other threads are blocked in calls on it.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <span>
#include <system_error>

#include "win32/file_object.hpp"
#include "win32/io_operation.hpp"

namespace conduit::detail {
class client_end;
class pipe_end;
class server_instance;
}  // namespace conduit::detail

namespace conduit::win32 {

class pipe_object final : public file_object {
 public:
  pipe_object(std::shared_ptr<detail::server_instance> server, bool overlapped, DWORD access);
  pipe_object(std::shared_ptr<detail::client_end> client, bool overlapped, DWORD access);

  [[nodiscard]] detail::pipe_end& end() const { return *end_; }
  /// The server instance, or null for a client end.
  [[nodiscard]] const std::shared_ptr<detail::server_instance>& server() const { return server_; }
  /// The client end, or null for a server end.
  [[nodiscard]] const std::shared_ptr<detail::client_end>& client() const { return client_; }

  /// The connection is held by another process too (DuplicateHandle):
  /// closing the last handle here then only lets go of it, since shutting
  /// the socket down would end it for that process as well.
  void share_with_another_process() { shared_.store(true); }

  /// ConnectNamedPipe (a server end).
  BOOL connect(const io_request& request);
  /// TransactNamedPipe.
  BOOL transact(std::span<const std::byte> message, std::span<std::byte> reply,
                const io_request& request);
  void flush(std::error_code& ec) override;

 protected:
  void last_handle_closed() override;
  std::size_t read_blocking(std::span<std::byte> buffer, std::error_code& ec) override;
  std::size_t write_blocking(std::span<const std::byte> data, std::error_code& ec) override;
  std::shared_ptr<io_operation> make_read(std::span<std::byte> buffer,
                                          std::error_code& ec) override;
  std::shared_ptr<io_operation> make_write(std::span<const std::byte> data,
                                           std::error_code& ec) override;

 private:
  /// A blocking call that its handle's closing ended: the pipe is broken
  /// for it, as for a pending operation (not "invalid handle").
  void closed_under(std::error_code& ec) const;

  std::shared_ptr<detail::pipe_end> end_;
  std::shared_ptr<detail::server_instance> server_;
  std::shared_ptr<detail::client_end> client_;
  std::atomic<bool> closed_{false};
  std::atomic<bool> shared_{false};
  std::mutex blocking_[2];  // one synchronous operation per direction at a time
};

}  // namespace conduit::win32
