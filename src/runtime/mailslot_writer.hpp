// The state behind a mailslot_client: a datagram socket of this writer's
// own, which the broker connected to the slot's receiving socket. Nobody
// else sends on it, so its flags and its end are this writer's business.
// A writer to a slot on other machines (`\\host\`, `\\domain\`, `\\*\`)
// has no broker behind it: it sends network datagrams instead
// (mailslot_datagram_sender.hpp).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <system_error>

#include "core/unique_fd.hpp"
#include "runtime/mailslot_datagram_sender.hpp"

namespace conduit::detail {

class mailslot_writer {
 public:
  /// Opens `name` with `access` (want_read | want_write; a writer that did
  /// not ask for write access cannot write). A remote name needs no slot:
  /// it opens whether or not any machine has one, as on Windows.
  static std::shared_ptr<mailslot_writer> open(std::string_view name, std::uint32_t access,
                                               std::error_code& ec);

  /// A writer over a sending end another process handed over
  /// (DuplicateHandle), with what that writer knew of the slot.
  static std::shared_ptr<mailslot_writer> adopt(unique_fd socket, std::uint32_t access,
                                                std::uint32_t max_message_size,
                                                std::uint32_t reader_pid);
  [[nodiscard]] std::uint32_t access() const { return access_; }

  std::size_t write(std::span<const std::byte> data, std::error_code& ec);
  [[nodiscard]] std::uint32_t max_message_size() const { return max_message_size_; }
  [[nodiscard]] std::uint32_t reader_pid() const { return reader_pid_; }
  [[nodiscard]] int socket() const { return socket_.get(); }
  /// Whether this writer sends to other machines (socket() is then -1).
  [[nodiscard]] bool is_remote() const { return remote_ != nullptr; }
  /// Later writes fail with ERROR_INVALID_HANDLE. The socket stays open
  /// until the object goes, as another thread may be sending on it.
  void close() { closed_.store(true); }
  [[nodiscard]] bool is_open() const { return !closed_.load(); }

 private:
  mailslot_writer() = default;
  std::size_t write_memfd(std::span<const std::byte> data, std::error_code& ec);

  unique_fd socket_;
  std::shared_ptr<mailslot_datagram_sender> remote_;
  std::uint32_t access_ = 0;
  std::uint32_t max_message_size_ = 0;
  std::uint32_t reader_pid_ = 0;
  std::atomic<bool> closed_{false};
};

}  // namespace conduit::detail
