// The state behind a pipe_client: one connection to a server instance.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <system_error>

#include "core/instance_page.hpp"
#include "core/unique_fd.hpp"

namespace conduit::detail {

class client_end {
 public:
  /// Opens `name` with `access` (want_read | want_write) through the broker.
  static std::shared_ptr<client_end> open(std::string_view name, std::uint32_t access,
                                          std::uint32_t sqos_flags, std::error_code& ec);

  std::size_t read(std::span<std::byte> buffer, std::error_code& ec);
  std::size_t write(std::span<const std::byte> data, std::error_code& ec);

  [[nodiscard]] std::uint32_t server_process_id() const { return server_pid_; }
  [[nodiscard]] std::uint32_t pipe_mode() const { return pipe_mode_; }
  [[nodiscard]] int socket() const { return socket_.get(); }
  /// False once the server has disconnected this client.
  [[nodiscard]] bool still_connected() const {
    return page_.get()->serial.load(std::memory_order_acquire) == serial_;
  }

 private:
  client_end() = default;
  unique_fd socket_;
  instance_page page_;
  std::uint32_t serial_ = 0;
  std::uint32_t access_ = 0;
  std::uint32_t server_pid_ = 0;
  std::uint32_t pipe_mode_ = 0;
};

}  // namespace conduit::detail
