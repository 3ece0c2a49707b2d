#include "runtime/mailslot_writer.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <string>
#include <vector>

#include "conduit/error.hpp"
#include "core/fd_passing.hpp"
#include "core/object_name.hpp"
#include "core/pipe_flags.hpp"
#include "core/wire.hpp"
#include "runtime/broker_link.hpp"
#include "runtime/mailslot_records.hpp"

namespace conduit::detail {
namespace {

// A send that failed because the reader is gone: its socket shut down
// (EPIPE), closed (ECONNREFUSED once, then ENOTCONN), or not there at all. Windows' mailslot driver
// answers a write to a slot its reader has closed with STATUS_FILE_FORCED_CLOSED, which Win32
// reports as ERROR_HANDLE_EOF.
std::error_code send_error(int errno_value) {
  switch (errno_value) {
    case EPIPE:
    case ECONNREFUSED:
    case ECONNRESET:
    case ENOTCONN:
      return errc::handle_eof;
    // A memfd that tmpfs has no room for.
    case ENOSPC:
      return errc::not_enough_memory;
    default:
      return error_from_errno(errno_value);
  }
}

}  // namespace

std::shared_ptr<mailslot_writer> mailslot_writer::open(std::string_view name, std::uint32_t access,
                                                       std::error_code& ec) {
  ec.clear();
  object_name parsed;
  if ((ec = parse_object_name(name, object_kind::mailslot, parsed))) return nullptr;
  if ((access & ~(want_read | want_write)) != 0) {
    ec = errc::invalid_parameter;
    return nullptr;
  }
  // `\\host\`, `\\domain\` and `\\*\`: network datagrams, no broker.
  if (!parsed.local) {
    auto remote = mailslot_datagram_sender::open(parsed, ec);
    if (!remote) return nullptr;
    std::shared_ptr<mailslot_writer> self(new mailslot_writer());
    self->remote_ = std::move(remote);
    self->access_ = access;
    self->max_message_size_ = netbios::max_remote_message;
    return self;
  }
  wire::open_mailslot_request request{std::string(name), access};
  wire::reply reply;
  std::vector<unique_fd> fds;
  if ((ec = broker_link::get().call(request, {}, reply, &fds))) return nullptr;
  if (fds.size() != 1) {
    ec = errc::invalid_handle;
    return nullptr;
  }
  return adopt(std::move(fds[0]), access, reply.in_buffer, reply.server_pid);
}

std::shared_ptr<mailslot_writer> mailslot_writer::adopt(unique_fd socket, std::uint32_t access,
                                                        std::uint32_t max_message_size,
                                                        std::uint32_t reader_pid) {
  std::shared_ptr<mailslot_writer> self(new mailslot_writer());
  self->socket_ = std::move(socket);
  self->access_ = access;
  self->max_message_size_ = max_message_size;
  self->reader_pid_ = reader_pid;
  return self;
}

std::size_t mailslot_writer::write(std::span<const std::byte> data, std::error_code& ec) {
  ec.clear();
  if (closed_.load()) {
    ec = errc::invalid_handle;
    return 0;
  }
  if ((access_ & want_write) == 0) {
    ec = errc::access_denied;
    return 0;
  }
  if (remote_) return remote_->write(data, ec);
  // Refused here, before anything is sent: the reader never sees it (and
  // would drop a larger record: mailslot_records.hpp).
  if (data.size() > mailslot_message_limit(max_message_size_)) {
    ec = errc::invalid_parameter;
    return 0;
  }
  if (data.size() <= inline_message_limit) {
    for (;;) {
      // One record, one message: the kernel queues it whole or not at all,
      // and waits while the slot's queue is full.
      ssize_t n = ::send(socket_.get(), data.data(), data.size(), MSG_NOSIGNAL);
      if (n >= 0) return data.size();
      if (errno == EINTR) continue;
      // A send buffer too small for the record (a tiny net.core.wmem_max):
      // a memfd carries any size.
      if (errno == EMSGSIZE) break;
      ec = send_error(errno);
      return 0;
    }
  }
  return write_memfd(data, ec);
}

std::size_t mailslot_writer::write_memfd(std::span<const std::byte> data, std::error_code& ec) {
  unique_fd file(::memfd_create("conduit-mailslot-message", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!file) {
    ec = send_error(errno);
    return 0;
  }
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(file.get(), data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ec = n < 0 ? send_error(errno) : make_error_code(errc::not_enough_memory);
      return 0;
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fcntl(file.get(), F_ADD_SEALS, memfd_message_seals) != 0) {
    ec = error_from_errno(errno);
    return 0;
  }
  std::array<std::byte, memfd_record_size> record;
  std::uint64_t size = data.size();
  for (std::size_t i = 0; i < record.size(); ++i)
    record[i] = static_cast<std::byte>((size >> (8 * i)) & 0xFF);
  std::array<int, 1> fds{file.get()};
  if (auto err = send_packet(socket_.get(), record, fds)) {
    ec = send_error(err.value());
    return 0;
  }
  return data.size();
}

}  // namespace conduit::detail
