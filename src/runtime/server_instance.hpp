// The state behind a pipe_server: one instance and its current connection.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string_view>
#include <system_error>

#include "conduit/pipe_options.hpp"
#include "conduit/pipe_server.hpp"
#include "core/instance_page.hpp"
#include "core/unique_fd.hpp"
#include "core/wire.hpp"
#include "runtime/broker_link.hpp"

namespace conduit::detail {

/// The server's end of one connection. Shared so that a thread blocked in
/// I/O keeps the descriptor alive while another thread disconnects.
struct connection {
  unique_fd socket;
};

class server_instance {
 public:
  enum class state { listening, connected, disconnected, closed };

  static std::shared_ptr<server_instance> create(std::string_view name, const pipe_options& options,
                                                 std::error_code& ec);
  ~server_instance();

  connect_status connect(int timeout_ms, std::error_code& ec);
  void disconnect(std::error_code& ec);
  std::size_t read(std::span<std::byte> buffer, std::error_code& ec);
  std::size_t write(std::span<const std::byte> data, std::error_code& ec);
  std::uint32_t client_process_id(std::error_code& ec);
  /// What the broker recorded of the client (valid while connected).
  bool client_record(wire::connect_record& out);
  void close();

  [[nodiscard]] bool is_open() {
    std::lock_guard lock(mutex_);
    return state_ != state::closed;
  }
  [[nodiscard]] std::uint32_t open_mode() const { return open_mode_; }
  [[nodiscard]] std::uint32_t pipe_mode() const { return pipe_mode_; }

 private:
  server_instance() = default;
  /// A fresh socket pair: keeps our end, registers the client's end.
  std::error_code listen_locked(bool first);
  /// Takes the connect record if a client has arrived; true if connected.
  bool accept_if_arrived_locked(std::error_code& ec);
  bool consume_connect_record_locked(std::error_code& ec);
  /// The connection to do I/O on, or the error for this state.
  std::shared_ptr<connection> io_connection(std::error_code& ec);

  std::mutex mutex_;
  state state_ = state::listening;
  std::shared_ptr<connection> connection_;
  std::shared_ptr<registration> registration_;
  instance_page page_;
  std::uint32_t serial_ = 1;
  std::uint32_t open_mode_ = 0;
  std::uint32_t pipe_mode_ = 0;
  wire::connect_record client_;
};

/// Converts a C++ timeout to the milliseconds poll() takes (-1: forever).
int to_poll_timeout(std::chrono::milliseconds timeout);

}  // namespace conduit::detail
