#include "runtime/client_end.hpp"

#include <memory>
#include <vector>

#include "conduit/error.hpp"
#include "core/object_name.hpp"
#include "core/pipe_flags.hpp"
#include "remote/smb_client.hpp"
#include "runtime/broker_link.hpp"
#include "runtime/page_cache.hpp"

namespace conduit::detail {

std::shared_ptr<client_end> client_end::open(std::string_view name, std::uint32_t access,
                                             std::uint32_t sqos_flags, std::error_code& ec) {
  object_name parsed;
  if ((ec = parse_object_name(name, object_kind::pipe, parsed))) return nullptr;
  if (!parsed.local) return open_remote(name, parsed, access, ec);
  wire::open_request request{std::string(name), access, sqos_flags};
  wire::reply reply;
  std::vector<unique_fd> fds;
  if ((ec = broker_link::get().call_on_lane(request, reply, &fds))) return nullptr;
  if (fds.size() != 2) {
    ec = errc::bad_pipe;
    return nullptr;
  }
  std::shared_ptr<client_end> self(new client_end());
  bool message_type = reply.pipe_mode & type_message;
  description d;
  d.name = std::string(name);
  d.info.server_end = false;
  d.info.type = message_type ? pipe_type::message : pipe_type::byte;
  d.info.out_buffer_size = reply.out_buffer;
  d.info.in_buffer_size = reply.in_buffer;
  d.info.max_instances = reply.max_instances;
  d.serial = reply.serial;
  d.access = data_direction(access);
  d.server_pid = reply.server_pid;
  // A client starts in byte read mode and blocking, whatever the server chose.
  return adopt(d, std::move(fds[0]), std::move(fds[1]), ec);
}

std::shared_ptr<client_end> client_end::open_remote(std::string_view name,
                                                    const object_name& parsed, std::uint32_t access,
                                                    std::error_code& ec) {
  remote::smb_pipe pipe;
  if ((ec = remote::open_smb_pipe(parsed, data_direction(access), pipe))) return nullptr;
  description d;
  d.name = std::string(name);
  d.info.server_end = false;
  // SMB does not say which type the remote pipe is; a message channel
  // carries both (a byte-mode reader joins what arrives).
  d.info.type = pipe_type::message;
  d.info.max_instances = unlimited_instances;
  d.access = data_direction(access);
  auto self = adopt(d, std::move(pipe.socket), std::move(pipe.page), ec);
  // The relay reads from the server only when a read here asks it to.
  if (self) {
    self->channel_->set_read_demand(std::move(pipe.read_demand));
    // Through libsmbclient what the relay reads comes a byte at a time: a
    // message read here would see one-byte messages, not the server's.
    self->byte_reads_only_ = !pipe.message_reads;
  }
  return self;
}

std::shared_ptr<client_end> client_end::adopt(const description& d, unique_fd socket,
                                              unique_fd page, std::error_code& ec) {
  std::shared_ptr<client_end> self(new client_end());
  self->page_ = map_client_page(page.get(), ec);
  if (ec) {
    ec = errc::bad_pipe;
    return nullptr;
  }
  self->page_fd_ = std::move(page);
  self->channel_ = d.info.type == pipe_type::message
                       ? std::make_shared<pipe_channel>(std::move(socket), true, d.reading)
                       : std::make_shared<pipe_channel>(std::move(socket), false);
  self->channel_->set_quota(d.info.in_buffer_size);
  self->serial_ = d.serial;
  self->access_ = d.access;
  self->server_pid_ = d.server_pid;
  self->name_ = d.name;
  self->info_ = d.info;
  self->info_.server_end = false;
  self->message_read_.store(d.message_read && d.info.type == pipe_type::message);
  self->nowait_.store(d.nowait);
  return self;
}

client_end::description client_end::describe(bool take_reader) {
  description d{name_,          info_, serial_, access_, server_pid_, message_read_.load(),
                nowait_.load(), {}};
  if (take_reader && info_.type == pipe_type::message) d.reading = channel_->export_read_state();
  return d;
}

std::shared_ptr<pipe_channel> client_end::acquire(std::error_code& ec) {
  return begin_io(ec) ? channel_ : nullptr;
}

pipe_channel* client_end::begin_io(std::error_code& ec) {
  if (!still_connected()) {
    ec = errc::pipe_not_connected;  // what the server wrote and we did not read is gone
    return nullptr;
  }
  return channel_.get();
}

// The server hung up: by disconnecting us, or by closing its end.
void client_end::refine(std::error_code& ec) {
  if (!still_connected()) ec = errc::pipe_not_connected;
}

}  // namespace conduit::detail
