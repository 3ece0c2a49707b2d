#include "broker/mailslot_namespace.hpp"

#include <dirent.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "conduit/error.hpp"
#include "core/object_name.hpp"
#include "core/pipe_flags.hpp"
#include "core/socket_kind.hpp"

namespace conduit::broker {
namespace {

using detail::unique_fd;

// A slot's path: the folder, '/', 16 hex digits.
constexpr std::size_t leaf_length = 16;

wire::reply error_reply(errc e) {
  wire::reply r;
  r.error = static_cast<std::uint32_t>(e);
  return r;
}

bool to_address(const std::string& path, sockaddr_un& addr) {
  addr = {};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) return false;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return true;
}

// A fresh datagram socket connected to the reader at `path`; errno is kept
// when it fails (ECONNREFUSED: no socket holds the path any more).
unique_fd connect_to(const std::string& path) {
  sockaddr_un addr;
  if (!to_address(path, addr)) {
    errno = ENAMETOOLONG;
    return {};
  }
  unique_fd s(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!s) return {};
  int r;
  do {
    r = ::connect(s.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
  } while (r != 0 && errno == EINTR);
  if (r != 0) return {};
  return s;
}

// The reader's socket is gone (closed by its last holder) though its owner
// has not told us yet: nothing receives at the path.
bool reader_gone(const std::string& path) {
  if (connect_to(path)) return false;
  return errno == ECONNREFUSED || errno == ENOENT;
}

bool is_receiving_socket(int fd) {
  return detail::is_unix_socket(fd, SOCK_DGRAM);
}

void describe(const mailslot& slot, wire::reply& r) {
  r.instance_id = slot.id;
  r.server_pid = static_cast<std::uint32_t>(slot.owner_pid);
  r.in_buffer = slot.max_message_size;
}

}  // namespace

bool mailslot_namespace::set_up(const std::string& runtime_dir) {
  dir_ = runtime_dir + "/mailslots";
  if (::mkdir(dir_.c_str(), 0700) != 0 && errno != EEXIST) return false;
  struct stat st {};
  if (::lstat(dir_.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::geteuid())
    return false;
  // Only the broker may reach a reader's socket: the folder's permissions
  // are what keeps everyone else from connecting to it.
  if ((st.st_mode & 077) != 0 && ::chmod(dir_.c_str(), 0700) != 0) return false;
  // Sockets of readers that ended while no broker ran: nothing answers there.
  if (DIR* d = ::opendir(dir_.c_str())) {
    while (dirent* e = ::readdir(d)) {
      if (e->d_name[0] == '.') continue;
      std::string path = dir_ + "/" + e->d_name;
      if (reader_gone(path)) ::unlink(path.c_str());
    }
    ::closedir(d);
  }
  return true;
}

bool mailslot_namespace::place(int receiving_socket, std::string& path) {
  if (dir_.empty()) return false;  // set_up() was not called, or failed
  sockaddr_un addr{};
  socklen_t len = sizeof(addr);
  if (::getsockname(receiving_socket, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return false;
  if (len <= sizeof(sa_family_t)) {
    // A new slot: a name of our own making, unguessable though nobody else
    // can enter the folder anyway.
    std::uint64_t nonce = 0;
    if (::getrandom(&nonce, sizeof(nonce), 0) != sizeof(nonce)) return false;
    char leaf[leaf_length + 1];
    std::snprintf(leaf, sizeof(leaf), "%016llx", static_cast<unsigned long long>(nonce));
    path = dir_ + "/" + leaf;
    sockaddr_un target;
    if (!to_address(path, target)) return false;
    return ::bind(receiving_socket, reinterpret_cast<const sockaddr*>(&target), sizeof(target)) ==
           0;
  }
  // Bound already: only by a broker of this folder, which a restart replaced.
  // Anything else (an abstract name, a path elsewhere) is not ours to use.
  std::size_t n = ::strnlen(addr.sun_path, len - sizeof(sa_family_t));
  if (n == 0) return false;
  path.assign(addr.sun_path, n);
  std::string prefix = dir_ + "/";
  if (path.compare(0, prefix.size(), prefix) != 0 ||
      path.find('/', prefix.size()) != std::string::npos)
    return false;
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
}

std::size_t mailslot_namespace::slots_of(peer_id id) const {
  auto it = owned_.find(id);
  return it == owned_.end() ? 0 : it->second;
}

wire::reply mailslot_namespace::create(const peer& owner,
                                       const wire::create_mailslot_request& request,
                                       unique_fd receiving_socket) {
  detail::object_name name;
  if (auto ec = detail::parse_object_name(request.name, detail::object_kind::mailslot, name))
    return error_reply(static_cast<errc>(ec.value()));
  // A slot is always created here; `\\host\` and `\\*\` name where writers send.
  if (!name.local) return error_reply(errc::path_not_found);
  if (!receiving_socket || !is_receiving_socket(receiving_socket.get()))
    return error_reply(errc::invalid_parameter);
  if (slots_of(owner.id) >= max_mailslots_per_peer) return error_reply(errc::not_enough_memory);
  auto it = slots_.find(name.key);
  if (it != slots_.end()) {
    // A slot whose reader has gone without a word yet frees its name.
    if (!reader_gone(it->second.path)) return error_reply(errc::already_exists);
    remove(it);
  }
  mailslot slot;
  if (errc e = object_descriptor(request.security_descriptor, owner.creds,
                                 creator_default_descriptor(owner.creds.uid, owner.creds.gid),
                                 slot.descriptor);
      e != errc::success)
    return error_reply(e);
  // A runtime folder so deep that no socket path fits under it.
  if (dir_.size() + 1 + leaf_length >= sizeof(sockaddr_un::sun_path))
    return error_reply(errc::filename_exced_range);
  std::string path;
  if (!place(receiving_socket.get(), path)) return error_reply(errc::invalid_parameter);
  slot.id = next_id_++;
  slot.name = request.name;
  slot.key = name.key;
  slot.owner = owner.id;
  slot.owner_pid = owner.creds.pid;
  slot.max_message_size = request.max_message_size;
  slot.path = std::move(path);
  wire::reply r;
  describe(slot, r);
  ids_.emplace(slot.id, slot.key);
  ++owned_[owner.id];
  slots_.emplace(slot.key, std::move(slot));
  // The socket itself stays with the reader alone: once it closes it, the
  // path answers no one, and writers' sends fail.
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
  if (it == slots_.end()) {
    result.reply = error_reply(errc::file_not_found);
    return result;
  }
  // A socket reaching the reader: only for those the slot lets write.
  std::uint32_t desired = file_open_desired(detail::access_mask_of(request.desired_access));
  if (!access_granted(it->second.descriptor, writer.creds, desired,
                      security::file_generic_mapping)) {
    result.reply = error_reply(errc::access_denied);
    return result;
  }
  result.writer_socket = connect_to(it->second.path);
  if (!result.writer_socket) {
    if (errno == ECONNREFUSED || errno == ENOENT) {
      remove(it);  // the reader has gone without a word yet
      result.reply = error_reply(errc::file_not_found);
    } else {
      result.reply.error = static_cast<std::uint32_t>(error_from_errno(errno).value());
    }
    return result;
  }
  describe(it->second, result.reply);
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

remote_delivery mailslot_namespace::deliver_remote(const std::string& key,
                                                   std::span<const std::byte> message) {
  auto it = slots_.find(key);
  if (it == slots_.end()) return remote_delivery::no_slot;
  mailslot& slot = it->second;
  // Datagrams carry no proof of who sent them: the writer is anonymous and
  // came over the network, and so is refused unless the DACL names NU or AN.
  security::identity network_writer;
  network_writer.anonymous = true;
  network_writer.remote = true;
  std::uint32_t granted = 0;
  if (security::access_check(slot.descriptor, network_writer,
                             file_open_desired(security::rights::generic_write),
                             security::file_generic_mapping, granted))
    return remote_delivery::denied;
  if (slot.max_message_size != 0 && message.size() > slot.max_message_size)
    return remote_delivery::too_large;
  auto sender = remote_senders_.find(slot.id);
  if (sender == remote_senders_.end()) {
    unique_fd s = connect_to(slot.path);
    if (!s) {
      if (errno == ECONNREFUSED || errno == ENOENT) remove(it);
      return remote_delivery::no_slot;
    }
    sender = remote_senders_.emplace(slot.id, std::move(s)).first;
  }
  for (;;) {
    ssize_t n =
        ::send(sender->second.get(), message.data(), message.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n >= 0) return remote_delivery::delivered;
    if (errno == EINTR) continue;
    if (errno == EAGAIN) return remote_delivery::queue_full;
    // The reader's socket is gone: the slot with it.
    remove(it);
    return remote_delivery::no_slot;
  }
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
  // The path goes with the slot: no later open can reach the old socket,
  // whoever still holds it.
  ::unlink(it->second.path.c_str());
  ids_.erase(it->second.id);
  remote_senders_.erase(it->second.id);
  slots_.erase(it);
}

}  // namespace conduit::broker
