#include "runtime/client_end.hpp"

#include <memory>
#include <vector>

#include "conduit/error.hpp"
#include "core/object_name.hpp"
#include "core/pipe_flags.hpp"
#include "runtime/broker_link.hpp"

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
  bool message_type = reply.pipe_mode & type_message;
  self->channel_ = std::make_shared<pipe_channel>(std::move(fds[0]), message_type);
  self->serial_ = reply.serial;
  self->access_ = access;
  self->server_pid_ = reply.server_pid;
  self->name_ = std::string(name);
  self->info_.server_end = false;
  self->info_.type = message_type ? pipe_type::message : pipe_type::byte;
  self->info_.out_buffer_size = reply.out_buffer;
  self->info_.in_buffer_size = reply.in_buffer;
  self->info_.max_instances = reply.max_instances;
  // A client starts in byte read mode and blocking, whatever the server chose.
  return self;
}

std::shared_ptr<pipe_channel> client_end::acquire(std::error_code& ec) {
  if (!still_connected()) {
    ec = errc::pipe_not_connected;  // what the server wrote and we did not read is gone
    return nullptr;
  }
  return channel_;
}

// The server hung up: by disconnecting us, or by closing its end.
void client_end::refine(std::error_code& ec) {
  if (!still_connected()) ec = errc::pipe_not_connected;
}

}  // namespace conduit::detail
