// The state behind a pipe_server: one instance and its current connection.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "conduit/error.hpp"
#include "conduit/pipe_options.hpp"
#include "conduit/pipe_server.hpp"
#include "core/instance_page.hpp"
#include "core/wire.hpp"
#include "runtime/broker_link.hpp"
#include "runtime/pipe_end.hpp"

namespace conduit::detail {

class server_instance final : public pipe_end {
 public:
  enum class state { listening, connected, disconnected, closed };

  static std::shared_ptr<server_instance> create(std::string_view name, const pipe_options& options,
                                                 std::error_code& ec);
  ~server_instance() override;

  connect_status connect(int timeout_ms, std::error_code& ec);

  /// ConnectNamedPipe for overlapped I/O: as connect(), but where connect()
  /// would wait, returns the channel the client will arrive on instead
  /// (non-null, ec clear); watch it and call connect_done(). Otherwise
  /// returns null with connect()'s status and error.
  std::shared_ptr<pipe_channel> start_connect(connect_status& status, std::error_code& ec);
  /// Whether the wait start_connect() began is over: true when the client
  /// has arrived (ec clear) or the wait ended otherwise (ec says why);
  /// false while the instance still listens on `listening`.
  bool connect_done(const std::shared_ptr<pipe_channel>& listening, std::error_code& ec);
  /// Called (with the socket a client arrived on) whenever a client's
  /// arrival is taken, whichever call takes it: one that waits elsewhere for
  /// that socket may not see it readable any more. It runs under the
  /// instance's lock, so it must only note the fact.
  void set_connect_listener(std::function<void(int)> listener);

  void disconnect(std::error_code& ec);
  std::uint32_t client_process_id(std::error_code& ec);
  /// What the broker recorded of the client (valid while connected).
  bool client_record(wire::connect_record& out);
  /// The record of the client to impersonate. Errors: ERROR_CANNOT_IMPERSONATE
  /// when no client is connected or nothing has been read from it yet (as
  /// on Windows: the client must have spoken first); ERROR_INVALID_HANDLE
  /// once closed.
  bool impersonation_record(wire::connect_record& out, std::error_code& ec);
  void close();
  [[nodiscard]] bool is_open();
  /// What another process needs to take a connected instance over
  /// (DuplicateHandle into it); the socket travels as a descriptor.
  struct description {
    std::string name;
    pipe_info info;
    std::uint32_t open_mode = 0;
    bool message_read = false;
    bool nowait = false;
    wire::connect_record client;
    read_state reading;  // a message pipe's place in the current message
  };
  /// The description and the connection's socket, or false with
  /// ERROR_NOT_SUPPORTED when the instance is not connected (a listening
  /// instance belongs to this process's broker registration). From here,
  /// closing this instance no longer shuts the connection down: the other
  /// process holds it too. `take_reader`: the reader's place goes along.
  bool hand_over(bool take_reader, description& out, int& socket, std::error_code& ec);
  /// A connected instance over a socket another process handed over. It is
  /// not registered with the broker here: once disconnected it cannot
  /// listen again (ConnectNamedPipe: ERROR_NOT_SUPPORTED), and its
  /// disconnect ends the connection (the client sees ERROR_BROKEN_PIPE)
  /// since only the instance's first process can write its page.
  static std::shared_ptr<server_instance> adopt_connected(const description& d, unique_fd socket);

  /// Whether this instance made the pipe (no other instance existed).
  [[nodiscard]] bool created_pipe() const { return created_pipe_; }

 protected:
  std::shared_ptr<pipe_channel> acquire(std::error_code& ec) override;
  pipe_channel* begin_io(std::error_code& ec) override;
  void end_io() override { io_calls_.fetch_sub(1, std::memory_order_release); }
  void refine(std::error_code& ec) override;
  std::error_code peek_error(std::error_code) override { return errc::bad_pipe; }
  [[nodiscard]] bool may_read() const override { return open_mode_ & 0x1; }
  [[nodiscard]] bool may_write() const override { return open_mode_ & 0x2; }

 private:
  server_instance() = default;
  /// A fresh socket pair: keeps our end, registers the client's end.
  std::error_code listen_locked(bool first);
  /// Takes the connect record if a client has arrived; true if connected.
  bool accept_if_arrived_locked(std::error_code& ec);
  /// connect() up to its wait: the channel to wait on, or null when there
  /// is nothing to wait for (status and ec set).
  std::shared_ptr<pipe_channel> begin_connect_locked(connect_status& status, std::error_code& ec);
  /// Ends the current connection's channel (disconnect, close): shut down
  /// unless `keep_up`, and kept until no begin_io() may still use it.
  void drop_channel_locked(bool keep_up);

  std::mutex mutex_;
  state state_ = state::listening;
  std::shared_ptr<pipe_channel> channel_;
  // The lock-free way to a connected instance's channel for begin_io():
  // channel_ while connected, null otherwise. A dropped channel waits in
  // retired_ while calls that began before it was dropped may hold it:
  // io_calls_ counts them (begin_io counts itself before it looks, the
  // dropping thread clears connected_channel_ before it counts, both in
  // one total order, so one of them sees the other).
  std::atomic<pipe_channel*> connected_channel_{nullptr};
  std::atomic<std::uint32_t> io_calls_{0};
  std::vector<std::shared_ptr<pipe_channel>> retired_;
  std::shared_ptr<registration> registration_;  // and the instance page
  std::uint32_t serial_ = 1;
  std::uint32_t open_mode_ = 0;
  std::uint32_t pipe_mode_ = 0;
  wire::connect_record client_;
  bool handed_over_ = false;  // the connection is another process's too
  std::function<void(int)> connect_listener_;
  bool created_pipe_ = false;
};

/// Converts a C++ timeout to the milliseconds poll() takes (-1: forever).
int to_poll_timeout(std::chrono::milliseconds timeout);

/// Sizes the send buffer of a writer on `fd` whose quota is `bytes` (0: the
/// default, which for a message pipe is pipe_channel::default_message_quota):
/// at least pipe_channel::min_socket_buffer, the hard cap of what waits.
void set_write_quota(int fd, std::uint32_t bytes, bool message_type);

}  // namespace conduit::detail
