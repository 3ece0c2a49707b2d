// The state behind a pipe_client: one connection to a server instance.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

#include "core/instance_page.hpp"
#include "core/object_name.hpp"
#include "runtime/pipe_end.hpp"

namespace conduit::detail {

class client_end final : public pipe_end {
 public:
  /// Opens `name` through the broker, asking for `access`: a Win32 access
  /// mask as CreateFile takes it (GENERIC_READ, FILE_WRITE_DATA, ...), which
  /// the broker checks against the pipe's direction and security descriptor.
  static std::shared_ptr<client_end> open(std::string_view name, std::uint32_t access,
                                          std::uint32_t sqos_flags, std::error_code& ec);

  /// Opens a pipe on another machine through SMB (remote/smb_client.hpp).
  static std::shared_ptr<client_end> open_remote(std::string_view name, const object_name& parsed,
                                                 std::uint32_t access, std::error_code& ec);

  /// What another process needs to take this end over (DuplicateHandle
  /// into it): the connection's numbers; the socket and the instance page
  /// travel as descriptors (socket(), page_fd()).
  struct description {
    std::string name;
    pipe_info info;
    std::uint32_t serial = 0;
    std::uint32_t access = 0;
    std::uint32_t server_pid = 0;
    bool message_read = false;
    bool nowait = false;
    read_state reading;  // a message pipe's place in the current message
  };
  /// This end's description. `take_reader`: the reader's place in the
  /// current message goes along and leaves this end (the handle moves).
  [[nodiscard]] description describe(bool take_reader);
  /// An end over a socket and instance page another process handed over.
  /// ERROR_BAD_PIPE when the page is not a sealed instance page.
  static std::shared_ptr<client_end> adopt(const description& d, unique_fd socket, unique_fd page,
                                           std::error_code& ec);

  [[nodiscard]] std::uint32_t server_process_id() const { return server_pid_; }
  [[nodiscard]] int page_fd() const { return page_fd_.get(); }
  [[nodiscard]] int socket() const { return channel_->socket(); }
  /// Ends the connection now, as closing it does, even while other threads
  /// still use this end (their calls fail from here on).
  void shut_down() { channel_->shut_down(); }
  /// False once the server has disconnected this client.
  [[nodiscard]] bool still_connected() const {
    return page_->get()->serial.load(std::memory_order_acquire) == serial_;
  }

 protected:
  std::shared_ptr<pipe_channel> acquire(std::error_code& ec) override;
  /// The channel is this end's for its whole life: nothing to count.
  pipe_channel* begin_io(std::error_code& ec) override;
  void refine(std::error_code& ec) override;
  [[nodiscard]] bool may_read() const override { return access_ & 0x1; }
  [[nodiscard]] bool may_write() const override { return access_ & 0x2; }

 private:
  client_end() = default;
  std::shared_ptr<pipe_channel> channel_;      // set once, by adopt()
  std::shared_ptr<const instance_page> page_;  // shared with other clients of the instance
  unique_fd page_fd_;                          // kept to hand the page on
  std::uint32_t serial_ = 0;
  std::uint32_t access_ = 0;
  std::uint32_t server_pid_ = 0;
};

}  // namespace conduit::detail
