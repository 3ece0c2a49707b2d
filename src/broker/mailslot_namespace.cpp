#include "broker/mailslot_namespace.hpp"

#include <poll.h>
#include <sys/socket.h>

#include "conduit/error.hpp"
#include "core/object_name.hpp"
#include "core/pipe_flags.hpp"

namespace conduit::broker {
namespace {

using detail::unique_fd;

wire::reply error_reply(errc e) {
  wire::reply r;
  r.error = static_cast<std::uint32_t>(e);
  return r;
}

// Writers are handed this descriptor to send on: it must be what the library
// makes, never a file or a socket that could be pointed elsewhere (a
// connected SOCK_SEQPACKET socket cannot be connected again; a datagram
// socket could, by any writer holding it).
bool is_sending_end(int fd) {
  int domain = 0, type = 0;
  socklen_t len = sizeof(int);
  if (::getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0 || domain != AF_UNIX)
    return false;
  len = sizeof(int);
  return ::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_SEQPACKET;
}

// The reader's end is gone (closed or shut down) though its owner has not
// told us yet.
bool reader_gone(int sending_end) {
  pollfd p{sending_end, POLLOUT, 0};
  return ::poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR));
}

void describe(const mailslot& slot, wire::reply& r) {
  r.instance_id = slot.id;
  r.server_pid = static_cast<std::uint32_t>(slot.owner_pid);
  r.in_buffer = slot.max_message_size;
}

}  // namespace

std::size_t mailslot_namespace::slots_of(peer_id id) const {
  auto it = owned_.find(id);
  return it == owned_.end() ? 0 : it->second;
}

wire::reply mailslot_namespace::create(const peer& owner,
                                       const wire::create_mailslot_request& request,
                                       unique_fd sending_end) {
  detail::object_name name;
  if (auto ec = detail::parse_object_name(request.name, detail::object_kind::mailslot, name))
    return error_reply(static_cast<errc>(ec.value()));
  // A slot is always created here; `\\host\` and `\\*\` name where writers send.
  if (!name.local) return error_reply(errc::path_not_found);
  if (!sending_end || !is_sending_end(sending_end.get()))
    return error_reply(errc::invalid_parameter);
  if (slots_of(owner.id) >= max_mailslots_per_peer) return error_reply(errc::not_enough_memory);
  auto it = slots_.find(name.key);
  if (it != slots_.end()) {
    // A slot whose reader has gone without a word yet frees its name.
    if (!reader_gone(it->second.sending_end.get())) return error_reply(errc::already_exists);
    remove(it);
  }
  mailslot slot;
  if (errc e = object_descriptor(request.security_descriptor, owner.creds,
                                 creator_default_descriptor(owner.creds.uid, owner.creds.gid),
                                 slot.descriptor);
      e != errc::success)
    return error_reply(e);
  slot.id = next_id_++;
  slot.name = request.name;
  slot.key = name.key;
  slot.owner = owner.id;
  slot.owner_pid = owner.creds.pid;
  slot.max_message_size = request.max_message_size;
  slot.sending_end = std::move(sending_end);
  wire::reply r;
  describe(slot, r);
  ids_.emplace(slot.id, slot.key);
  ++owned_[owner.id];
  slots_.emplace(slot.key, std::move(slot));
  return r;
}

mailslot_open_result mailslot_namespace::open(const peer& writer,
                                              const wire::open_mailslot_request& request) {
  mailslot_open_result result;
  detail::object_name name;
  if (auto ec = detail::parse_object_name(request.name, detail::object_kind::mailslot, name)) {
    result.reply.error = static_cast<std::uint32_t>(ec.value());
    return result;
  }
  // `\\host\mailslot\x`, `\\domain\mailslot\x` and `\\*\mailslot\x` travel
  // as network datagrams, which this build does not send yet.
  if (!name.local) {
    result.reply = error_reply(errc::bad_netpath);
    return result;
  }
  if ((request.desired_access & ~(detail::want_read | detail::want_write)) != 0) {
    result.reply = error_reply(errc::invalid_parameter);
    return result;
  }
  auto it = slots_.find(name.key);
  if (it != slots_.end() && reader_gone(it->second.sending_end.get())) {
    remove(it);
    it = slots_.end();
  }
  if (it == slots_.end()) {
    result.reply = error_reply(errc::file_not_found);
    return result;
  }
  // The sending end reaches the reader: only those the slot lets write get it.
  std::uint32_t desired = file_open_desired(detail::access_mask_of(request.desired_access));
  if (!access_granted(it->second.descriptor, writer.creds, desired,
                      security::file_generic_mapping)) {
    result.reply = error_reply(errc::access_denied);
    return result;
  }
  describe(it->second, result.reply);
  result.sending_end = it->second.sending_end.get();
  return result;
}

wire::reply mailslot_namespace::close(const peer& owner,
                                      const wire::close_mailslot_request& request) {
  auto id = ids_.find(request.slot_id);
  if (id == ids_.end()) return error_reply(errc::invalid_handle);
  auto it = slots_.find(id->second);
  if (it->second.owner != owner.id) return error_reply(errc::invalid_handle);
  remove(it);
  return {};
}

void mailslot_namespace::drop_peer(peer_id id) {
  for (auto it = slots_.begin(); it != slots_.end();) {
    auto next = std::next(it);
    if (it->second.owner == id) remove(it);
    it = next;
  }
}

void mailslot_namespace::remove(std::map<std::string, mailslot>::iterator it) {
  if (auto owned = owned_.find(it->second.owner); owned != owned_.end() && --owned->second == 0)
    owned_.erase(owned);
  ids_.erase(it->second.id);
  slots_.erase(it);
}

}  // namespace conduit::broker
