#include "runtime/client_end.hpp"

#include <memory>
#include <vector>

#include "conduit/error.hpp"
#include "core/object_name.hpp"
#include "core/pipe_flags.hpp"
#include "runtime/broker_link.hpp"
#include "runtime/stream_io.hpp"

namespace conduit::detail {

std::shared_ptr<client_end> client_end::open(std::string_view name, std::uint32_t access,
                                             std::uint32_t sqos_flags, std::error_code& ec) {
  object_name parsed;
  if ((ec = parse_object_name(name, object_kind::pipe, parsed))) return nullptr;
  if (!parsed.local) {
    ec = errc::bad_netpath;  // remote pipes ride on SMB, which this build does not reach
    return nullptr;
  }
  wire::open_request request{std::string(name), access, sqos_flags};
  wire::reply reply;
  std::vector<unique_fd> fds;
  if ((ec = broker_link::get().call(request, {}, reply, &fds))) return nullptr;
  if (reply.error != 0) {
    ec = {static_cast<int>(reply.error), win32_category()};
    return nullptr;
  }
  if (fds.size() != 2) {
    ec = errc::bad_pipe;
    return nullptr;
  }
  std::shared_ptr<client_end> self(new client_end());
  self->page_ = instance_page::map_readonly(fds[1].get(), ec);
  if (ec) {
    ec = errc::bad_pipe;
    return nullptr;
  }
  self->socket_ = std::move(fds[0]);
  self->serial_ = reply.serial;
  self->access_ = access;
  self->server_pid_ = reply.server_pid;
  self->pipe_mode_ = reply.pipe_mode;
  return self;
}

std::size_t client_end::read(std::span<std::byte> buffer, std::error_code& ec) {
  if (!(access_ & want_read)) {
    ec = errc::access_denied;
    return 0;
  }
  if (!still_connected()) {
    ec = errc::pipe_not_connected;
    return 0;
  }
  std::size_t n = stream_read(socket_.get(), buffer, ec);
  // The server hung up: by disconnecting us, or by closing its end.
  if (ec && !still_connected()) ec = errc::pipe_not_connected;
  return n;
}

std::size_t client_end::write(std::span<const std::byte> data, std::error_code& ec) {
  if (!(access_ & want_write)) {
    ec = errc::access_denied;
    return 0;
  }
  if (!still_connected()) {
    ec = errc::pipe_not_connected;
    return 0;
  }
  std::size_t n = stream_write(socket_.get(), data, ec);
  if (ec && !still_connected()) ec = errc::pipe_not_connected;
  return n;
}

}  // namespace conduit::detail
