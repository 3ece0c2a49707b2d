// What the server and client ends of a named pipe have in common: data I/O
// through a pipe_channel, the per-handle read and wait modes, peek,
// transact, flush, and the pipe's description.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <system_error>

#include "conduit/pipe_info.hpp"
#include "runtime/pipe_channel.hpp"

namespace conduit::detail {

class pipe_end {
 public:
  virtual ~pipe_end() = default;

  std::size_t read(std::span<std::byte> buffer, std::error_code& ec);
  std::size_t write(std::span<const std::byte> data, std::error_code& ec);
  peek_counts peek(std::span<std::byte> buffer, std::error_code& ec);
  /// Writes one message and reads one (TransactNamedPipe).
  std::size_t transact(std::span<const std::byte> request, std::span<std::byte> reply,
                       std::error_code& ec);
  void flush(std::error_code& ec);

  /// For I/O driven elsewhere (the Win32 layer's overlapped engine): the
  /// channel to read from, write to or transact on, after the checks
  /// read(), write() and transact() make; null with their error otherwise.
  std::shared_ptr<pipe_channel> channel_for_read(std::error_code& ec);
  std::shared_ptr<pipe_channel> channel_for_write(std::error_code& ec);
  std::shared_ptr<pipe_channel> channel_for_transact(std::error_code& ec);
  /// What an error from such a channel means for this end (a disconnect, say).
  void refine_error(std::error_code& ec) { refine(ec); }

  [[nodiscard]] read_mode current_read_mode() const {
    return message_read_.load() ? read_mode::message : read_mode::byte;
  }
  /// ERROR_INVALID_PARAMETER for message read mode on a byte pipe;
  /// ERROR_NOT_SUPPORTED for it on a pipe on another machine, whose message
  /// boundaries do not reach this end (docs/remote-pipes.md).
  void set_read_mode(read_mode mode, std::error_code& ec);
  [[nodiscard]] bool nowait() const { return nowait_.load(); }
  void set_nowait(bool on) { nowait_.store(on); }

  [[nodiscard]] const pipe_info& info() const { return info_; }
  /// Instances of this pipe across all processes, asked of the broker.
  std::uint32_t current_instances(std::error_code& ec) const;
  /// The parts of the pipe's security descriptor `information` names
  /// (OWNER_, GROUP_, DACL_SECURITY_INFORMATION), as SDDL, from the broker.
  std::string security(std::uint32_t information, std::error_code& ec) const;
  /// Replaces those parts with the ones in `sddl` at the broker.
  void set_security(std::uint32_t information, const std::string& sddl, std::error_code& ec);

 protected:
  /// The channel to do I/O on, or the error this end's state gives.
  virtual std::shared_ptr<pipe_channel> acquire(std::error_code& ec) = 0;
  /// What acquire() gives, for a call that ends before it returns (read,
  /// write, peek, transact, flush): without a reference count or a lock
  /// on a connected end, since a message costs little more than its
  /// system call (docs/benchmarks.md). The channel stays valid, even if
  /// another thread disconnects or closes the end meanwhile, until the
  /// end_io() that every non-null result must be paired with.
  virtual pipe_channel* begin_io(std::error_code& ec) = 0;
  virtual void end_io() {}
  /// Turns a channel error into what this end reports (a disconnect, say).
  virtual void refine(std::error_code& ec) = 0;
  /// The error a peek gets in place of `acquire`'s (a server that is not
  /// connected says ERROR_BAD_PIPE).
  virtual std::error_code peek_error(std::error_code acquire_error) { return acquire_error; }
  [[nodiscard]] virtual bool may_read() const = 0;
  [[nodiscard]] virtual bool may_write() const = 0;

  std::string name_;
  pipe_info info_;
  std::atomic<bool> message_read_{false};
  std::atomic<bool> nowait_{false};
  bool byte_reads_only_ = false;  // set before the end is shared

 private:
  class io_scope;
  /// transact's checks on the channel it got, beyond its state's.
  std::error_code transact_error(pipe_channel& channel);
};

}  // namespace conduit::detail
