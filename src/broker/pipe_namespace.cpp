#include "broker/pipe_namespace.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "conduit/error.hpp"
#include "core/client_computer.hpp"
#include "core/instance_page.hpp"
#include "core/object_name.hpp"
#include "core/pipe_flags.hpp"

namespace conduit::broker {
namespace {

using detail::unique_fd;

namespace rights = security::rights;

constexpr std::uint32_t known_open_mode_bits = detail::access_duplex | detail::first_pipe_instance |
                                               detail::write_through | detail::overlapped |
                                               rights::write_dac | rights::access_system_security;

// The specific rights a pipe client may ask for (FILE_ALL_ACCESS's).
constexpr std::uint32_t file_specific_rights = 0x1FF;

// What CreateNamedPipe asks of the pipe for a further instance: the right
// to add one, and the security rights its open mode names (WRITE_OWNER is
// FILE_FLAG_FIRST_PIPE_INSTANCE's bit, as on Windows).
std::uint32_t instance_desired(std::uint32_t open_mode) {
  return rights::file_create_pipe_instance |
         (open_mode & (rights::write_dac | rights::write_owner));
}

// The rights a server end holds on its pipe: it may always read the
// descriptor (both FILE_GENERIC_READ and _WRITE hold READ_CONTROL), and
// change it as its open mode asked.
std::uint32_t server_rights(std::uint32_t open_mode) {
  return rights::read_control | rights::synchronize |
         (open_mode & (rights::write_dac | rights::write_owner | rights::access_system_security));
}

wire::reply error_reply(errc e) {
  wire::reply r;
  r.error = static_cast<std::uint32_t>(e);
  return r;
}

// Fills the reply fields that describe a pipe.
void describe(const named_pipe& pipe, wire::reply& r) {
  r.open_mode = pipe.open_mode;
  r.pipe_mode = pipe.pipe_mode;
  r.max_instances = pipe.max_instances;
  r.cur_instances = static_cast<std::uint32_t>(pipe.instances.size());
  r.out_buffer = pipe.out_buffer;
  r.in_buffer = pipe.in_buffer;
  r.default_timeout_ms = pipe.default_timeout_ms;
}

// The keys of every folder `key` lies in: "A\B\C" gives "A" and "A\B".
std::vector<std::string> parent_keys(const std::string& key) {
  std::vector<std::string> parents;
  for (std::size_t pos = key.find('\\'); pos != std::string::npos; pos = key.find('\\', pos + 1))
    parents.push_back(key.substr(0, pos));
  return parents;
}

}  // namespace

bool pipe_namespace::has_listener(const std::string& key) const {
  auto it = pipes_.find(key);
  return it != pipes_.end() && !it->second.listening.empty();
}

std::string pipe_namespace::key_of_instance(std::uint64_t instance_id) const {
  auto it = instance_pipe_.find(instance_id);
  return it == instance_pipe_.end() ? std::string() : it->second;
}

const security::security_descriptor* pipe_namespace::descriptor_of(const std::string& key) const {
  auto it = pipes_.find(key);
  return it == pipes_.end() ? nullptr : &it->second.descriptor;
}

std::size_t pipe_namespace::instances_of(peer_id id) const {
  auto it = owned_.find(id);
  return it == owned_.end() ? 0 : it->second;
}

std::size_t pipe_namespace::endpoints_of(peer_id id) const {
  auto it = endpoints_owned_.find(id);
  return it == endpoints_owned_.end() ? 0 : it->second;
}

void pipe_namespace::count_endpoint(peer_id owner, int change) {
  if (change > 0) {
    ++endpoints_owned_[owner];
    ++endpoint_count_;
    return;
  }
  auto it = endpoints_owned_.find(owner);
  if (it == endpoints_owned_.end()) return;
  if (--it->second == 0) endpoints_owned_.erase(it);
  --endpoint_count_;
}

void pipe_namespace::start_listening(named_pipe& pipe, pipe_instance& instance,
                                     unique_fd endpoint) {
  if (instance.listen_order != 0)
    pipe.listening.erase(instance.listen_order);
  else
    count_endpoint(instance.owner, +1);
  instance.endpoint = std::move(endpoint);
  instance.listen_order = next_listen_order_++;
  pipe.listening.emplace(instance.listen_order, instance.id);
}

wire::reply pipe_namespace::create_instance(const peer& owner,
                                            const wire::create_instance_request& request,
                                            unique_fd page, unique_fd endpoint) {
  detail::object_name name;
  if (auto ec = detail::parse_object_name(request.name, detail::object_kind::pipe, name))
    return error_reply(static_cast<errc>(ec.value()));
  if (!name.local) return error_reply(errc::invalid_name);
  std::uint32_t access = request.open_mode & detail::access_duplex;
  if (access == 0 || (request.open_mode & ~known_open_mode_bits) != 0)
    return error_reply(errc::invalid_parameter);
  if ((request.pipe_mode & ~detail::known_pipe_mode_bits) != 0 ||
      ((request.pipe_mode & detail::readmode_message) &&
       !(request.pipe_mode & detail::type_message)))
    return error_reply(errc::invalid_parameter);
  if (request.max_instances == 0 || request.max_instances > detail::unlimited_instances)
    return error_reply(errc::invalid_parameter);
  if (!page || !detail::instance_page_is_safe(page.get()))
    return error_reply(errc::invalid_parameter);
  if (instances_of(owner.id) >= max_instances_per_peer) return error_reply(errc::not_enough_memory);

  // A pipe name cannot also be a folder of another pipe name (KB Q100291).
  for (const auto& parent : parent_keys(name.key))
    if (pipes_.count(parent)) return error_reply(errc::path_not_found);

  auto it = pipes_.find(name.key);
  if (it == pipes_.end()) {
    auto below = pipes_.lower_bound(name.key + "\\");
    if (below != pipes_.end() && below->first.compare(0, name.key.size() + 1, name.key + "\\") == 0)
      return error_reply(errc::access_denied);
    named_pipe pipe;
    if (errc e = object_descriptor(
            request.security_descriptor, owner.creds,
            security::default_pipe_descriptor(owner.creds.uid, owner.creds.gid), pipe.descriptor);
        e != errc::success)
      return error_reply(e);
    pipe.owner_uid = owner.creds.uid;
    pipe.owner_gid = owner.creds.gid;
    pipe.name = request.name;
    pipe.key = name.key;
    pipe.open_mode = request.open_mode & ~detail::first_pipe_instance;
    pipe.pipe_mode = request.pipe_mode;
    pipe.max_instances = request.max_instances;
    pipe.out_buffer = request.out_buffer;
    pipe.in_buffer = request.in_buffer;
    pipe.default_timeout_ms =
        request.default_timeout_ms ? request.default_timeout_ms : detail::default_timeout_if_zero;
    it = pipes_.emplace(name.key, std::move(pipe)).first;
  } else {
    named_pipe& pipe = it->second;
    // Joining a pipe is joining its clients and their data: only those its
    // descriptor lets add instances may, and a name someone else made first
    // is refused rather than silently shared.
    if (!access_granted(pipe.descriptor, owner.creds, instance_desired(request.open_mode),
                        security::file_generic_mapping))
      return error_reply(errc::access_denied);
    // As on Windows, a full pipe is busy before any other mismatch is reported.
    // PIPE_UNLIMITED_INSTANCES (255) is no limit at all, only what the
    // per-peer quota allows.
    if (pipe.max_instances != detail::unlimited_instances &&
        pipe.instances.size() >= pipe.max_instances)
      return error_reply(errc::pipe_busy);
    if (request.open_mode & detail::first_pipe_instance) return error_reply(errc::access_denied);
    if ((pipe.open_mode & detail::access_duplex) != access) return error_reply(errc::access_denied);
  }

  named_pipe& pipe = it->second;
  pipe_instance instance;
  instance.id = next_instance_id_++;
  instance.owner = owner.id;
  instance.owner_pid = owner.creds.pid;
  instance.owner_uid = owner.creds.uid;
  instance.page = std::move(page);
  instance.serial = request.serial;
  instance.rights = server_rights(request.open_mode);
  auto& stored = pipe.instances.emplace(instance.id, std::move(instance)).first->second;
  instance_pipe_.emplace(stored.id, pipe.key);
  ++owned_[owner.id];
  if (endpoint) start_listening(pipe, stored, std::move(endpoint));

  wire::reply r;
  r.instance_id = stored.id;
  describe(pipe, r);
  return r;
}

named_pipe* pipe_namespace::find_by_instance(std::uint64_t instance_id, pipe_instance*& instance) {
  auto key = instance_pipe_.find(instance_id);
  if (key == instance_pipe_.end()) return nullptr;
  named_pipe& pipe = pipes_.at(key->second);
  instance = &pipe.instances.at(instance_id);
  return &pipe;
}

wire::reply pipe_namespace::listen(const peer& owner, const wire::listen_request& request,
                                   unique_fd endpoint) {
  pipe_instance* instance = nullptr;
  named_pipe* pipe = find_by_instance(request.instance_id, instance);
  if (!pipe || instance->owner != owner.id) return error_reply(errc::invalid_handle);
  if (!endpoint) return error_reply(errc::invalid_parameter);
  instance->serial = request.serial;
  start_listening(*pipe, *instance, std::move(endpoint));
  wire::reply r;
  r.instance_id = instance->id;
  describe(*pipe, r);
  return r;
}

void pipe_namespace::remove_instance(named_pipe& pipe, std::uint64_t instance_id) {
  auto it = pipe.instances.find(instance_id);
  if (it == pipe.instances.end()) return;
  if (it->second.listen_order != 0) {
    pipe.listening.erase(it->second.listen_order);
    count_endpoint(it->second.owner, -1);
  }
  if (auto owned = owned_.find(it->second.owner); owned != owned_.end() && --owned->second == 0)
    owned_.erase(owned);
  pipe.instances.erase(it);
  instance_pipe_.erase(instance_id);
  if (pipe.instances.empty()) pipes_.erase(pipe.key);
}

wire::reply pipe_namespace::close_instance(const peer& owner,
                                           const wire::close_instance_request& request) {
  pipe_instance* instance = nullptr;
  named_pipe* pipe = find_by_instance(request.instance_id, instance);
  if (!pipe || instance->owner != owner.id) return error_reply(errc::invalid_handle);
  remove_instance(*pipe, request.instance_id);
  return {};
}

open_result pipe_namespace::open(const peer& client, const wire::open_request& request) {
  return open_as(client.creds, request);
}

open_result pipe_namespace::open_remote(const peer& bridge,
                                        const wire::open_remote_request& request) {
  // Only root speaks for other users: the bridge serves smbd's sockets,
  // which only root can reach, and vouches for what smbd told it.
  if (bridge.creds.uid != 0) {
    open_result refused;
    refused.reply = error_reply(errc::access_denied);
    return refused;
  }
  if ((request.flags & ~wire::known_remote_flags) != 0 ||
      !detail::valid_computer_name(request.computer_name) ||
      !detail::valid_client_address(request.client_address)) {
    open_result refused;
    refused.reply = error_reply(errc::invalid_parameter);
    return refused;
  }
  credentials who;
  who.pid = static_cast<pid_t>(request.client_pid);
  who.uid = request.uid;
  who.gid = request.gid;
  who.groups.assign(request.groups.begin(), request.groups.end());
  who.remote = true;
  who.anonymous = (request.flags & wire::remote_anonymous) != 0;
  who.computer_name = request.computer_name;
  who.address = request.client_address;
  return open_as(who, wire::open_request{request.name, request.desired_access, request.sqos_flags});
}

open_result pipe_namespace::open_as(const credentials& client, const wire::open_request& request) {
  open_result result;
  detail::object_name name;
  if (auto ec = detail::parse_object_name(request.name, detail::object_kind::pipe, name)) {
    result.reply.error = static_cast<std::uint32_t>(ec.value());
    return result;
  }
  if (!name.local || !valid_access_mask(request.desired_access, file_specific_rights)) {
    result.reply = error_reply(name.local ? errc::invalid_parameter : errc::bad_netpath);
    return result;
  }
  auto it = pipes_.find(name.key);
  if (it == pipes_.end()) {
    result.reply = error_reply(errc::file_not_found);
    return result;
  }
  named_pipe& pipe = it->second;
  std::uint32_t direction = pipe.open_mode & detail::access_duplex;
  std::uint32_t wanted = detail::data_direction(request.desired_access);
  // The client reads what the server writes (outbound), and the other way round.
  if (((wanted & detail::want_read) && !(direction & detail::access_outbound)) ||
      ((wanted & detail::want_write) && !(direction & detail::access_inbound))) {
    result.reply = error_reply(errc::access_denied);
    return result;
  }
  // PIPE_REJECT_REMOTE_CLIENTS: a client on another machine is refused as
  // Windows refuses it.
  if (client.remote && (pipe.pipe_mode & detail::reject_remote_clients)) {
    result.reply = error_reply(errc::access_denied);
    return result;
  }
  // A refused client leaves every instance listening.
  if (!access_granted(pipe.descriptor, client, file_open_desired(request.desired_access),
                      security::file_generic_mapping)) {
    result.reply = error_reply(errc::access_denied);
    return result;
  }
  pid_t session = ::getsid(client.pid);  // once: a system call, asked per open
  while (!pipe.listening.empty()) {
    auto front = pipe.listening.begin();
    pipe_instance& instance = pipe.instances.at(front->second);
    pipe.listening.erase(front);
    instance.listen_order = 0;
    count_endpoint(instance.owner, -1);
    unique_fd endpoint = std::move(instance.endpoint);

    wire::connect_record record;
    record.client_pid = static_cast<std::uint32_t>(client.pid);
    record.uid = client.uid;
    record.gid = client.gid;
    record.groups.assign(client.groups.begin(), client.groups.end());
    record.computer_name = client.computer_name;
    record.client_address = client.address;
    record.desired_access = request.desired_access;
    record.sqos_flags = (request.sqos_flags & ~detail::sqos_remote_client) |
                        (client.remote ? detail::sqos_remote_client : 0);
    record.session_id = static_cast<std::uint32_t>(session > 0 ? session : 0);
    record.serial = instance.serial;
    auto bytes = wire::encode(record);
    // The endpoint is fresh and empty, so the record fits in one send; a
    // failure means the server's end is gone and the instance with it.
    ssize_t sent = ::send(endpoint.get(), bytes.data(), bytes.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (sent != static_cast<ssize_t>(bytes.size())) {
      remove_instance(pipe, instance.id);
      if (pipes_.find(name.key) == pipes_.end()) {
        result.reply = error_reply(errc::file_not_found);
        return result;
      }
      continue;
    }
    result.reply.instance_id = instance.id;
    result.reply.server_pid = static_cast<std::uint32_t>(instance.owner_pid);
    result.reply.serial = instance.serial;
    describe(pipe, result.reply);
    result.endpoint = std::move(endpoint);
    result.page = instance.page.get();
    return result;
  }
  result.reply = error_reply(errc::pipe_busy);
  return result;
}

wire::reply pipe_namespace::wait(const wire::wait_request& request, bool& must_wait,
                                 std::uint32_t& effective_timeout_ms, std::string& key) {
  must_wait = false;
  detail::object_name name;
  if (auto ec = detail::parse_object_name(request.name, detail::object_kind::pipe, name))
    return error_reply(static_cast<errc>(ec.value()));
  if (!name.local) return error_reply(errc::bad_netpath);
  auto it = pipes_.find(name.key);
  if (it == pipes_.end()) return error_reply(errc::file_not_found);
  if (!it->second.listening.empty()) return {};
  must_wait = true;
  key = name.key;
  effective_timeout_ms = request.timeout_ms == detail::wait_use_default
                             ? it->second.default_timeout_ms
                             : request.timeout_ms;
  return {};
}

wire::reply pipe_namespace::query(const peer& caller, const wire::query_request& request) const {
  detail::object_name name;
  if (auto ec = detail::parse_object_name(request.name, detail::object_kind::pipe, name))
    return error_reply(static_cast<errc>(ec.value()));
  // As open and wait: another machine's pipe is not the local one of that path.
  if (!name.local) return error_reply(errc::bad_netpath);
  auto it = pipes_.find(name.key);
  if (it == pipes_.end()) return error_reply(errc::file_not_found);
  // What GetNamedPipeInfo on an opened handle tells: only to those who could
  // open one.
  if (!access_granted(it->second.descriptor, caller.creds, file_open_desired(0),
                      security::file_generic_mapping))
    return error_reply(errc::access_denied);
  wire::reply r;
  describe(it->second, r);
  return r;
}

const named_pipe* pipe_namespace::security_target(const peer& caller, const std::string& pipe_name,
                                                  std::uint64_t instance_id, std::uint32_t needed,
                                                  errc& error) const {
  detail::object_name name;
  if (auto ec = detail::parse_object_name(pipe_name, detail::object_kind::pipe, name)) {
    error = static_cast<errc>(ec.value());
    return nullptr;
  }
  auto it = pipes_.find(name.key);
  error = errc::file_not_found;
  if (!name.local || it == pipes_.end()) return nullptr;
  const named_pipe& pipe = it->second;
  error = errc::access_denied;
  if (instance_id != 0) {
    // A server end: its own rights, from its open mode.
    auto instance = pipe.instances.find(instance_id);
    if (instance == pipe.instances.end() || instance->second.owner != caller.id) {
      error = errc::invalid_handle;
      return nullptr;
    }
    if ((instance->second.rights & needed) != needed) return nullptr;
  } else {
    // The caller's own server ends speak for it; anyone else asks the DACL.
    std::uint32_t own = 0;
    bool owns = false;
    for (const auto& [id, instance] : pipe.instances) {
      if (instance.owner != caller.id) continue;
      owns = true;
      own |= instance.rights;
    }
    if (owns ? (own & needed) != needed
             : !access_granted(pipe.descriptor, caller.creds, needed,
                               security::file_generic_mapping))
      return nullptr;
  }
  error = errc::success;
  return &pipe;
}

wire::reply pipe_namespace::get_security(const peer& caller,
                                         const wire::get_security_request& request) const {
  if ((request.information & ~wire::known_security_information) != 0 || request.information == 0)
    return error_reply(errc::invalid_parameter);
  errc error = errc::success;
  const named_pipe* pipe =
      security_target(caller, request.name, request.instance_id, rights::read_control, error);
  if (!pipe) return error_reply(error);
  wire::reply r;
  r.names.push_back(security::to_sddl(pipe->descriptor, request.information));
  return r;
}

wire::reply pipe_namespace::set_security(const peer& caller,
                                         const wire::set_security_request& request) {
  std::uint32_t info = request.information;
  if ((info & ~wire::known_security_information) != 0 || info == 0)
    return error_reply(errc::invalid_parameter);
  std::uint32_t needed =
      ((info & wire::dacl_security_information) ? rights::write_dac : 0) |
      ((info & (wire::owner_security_information | wire::group_security_information))
           ? rights::write_owner
           : 0);
  errc error = errc::success;
  const named_pipe* target =
      security_target(caller, request.name, request.instance_id, needed, error);
  if (!target) return error_reply(error);
  security::security_descriptor given;
  if (security::parse_sddl(request.security_descriptor, given))
    return error_reply(errc::invalid_security_descr);
  named_pipe& pipe = pipes_.at(target->key);
  if (info & wire::owner_security_information) {
    // As without SeRestorePrivilege: one may make only oneself the owner.
    if (!given.owner ||
        (caller.creds.uid != 0 && *given.owner != security::user_sid(caller.creds.uid)))
      return error_reply(errc::invalid_owner);
    pipe.descriptor.owner = given.owner;
  }
  if (info & wire::group_security_information) {
    if (!given.group) return error_reply(errc::invalid_primary_group);
    pipe.descriptor.group = given.group;
  }
  if (info & wire::dacl_security_information) {
    pipe.descriptor.dacl_present = given.dacl_present;
    pipe.descriptor.dacl_null = given.dacl_null;
    pipe.descriptor.dacl_protected = given.dacl_protected;
    pipe.descriptor.dacl_auto_inherited = given.dacl_auto_inherited;
    pipe.descriptor.dacl_auto_inherit_req = given.dacl_auto_inherit_req;
    pipe.descriptor.dacl = std::move(given.dacl);
  }
  return {};
}

wire::reply pipe_namespace::list() const {
  wire::reply r;
  // Stop before the reply would not fit in one packet.
  std::size_t size = wire::header_size + 64;
  for (const auto& [key, pipe] : pipes_) {
    size += 2 + pipe.name.size();
    if (size > wire::max_message_size) break;
    r.names.push_back(pipe.name);
  }
  return r;
}

wire::reply pipe_namespace::list_pipes(const peer& caller,
                                       const wire::list_pipes_request& request) const {
  if ((request.flags & ~wire::known_list_flags) != 0) return error_reply(errc::invalid_parameter);
  std::string start_key;
  if (!request.start.empty()) {
    detail::object_name name;
    if (auto ec = detail::parse_object_name(request.start, detail::object_kind::pipe, name))
      return error_reply(static_cast<errc>(ec.value()));
    if (!name.local) return error_reply(errc::bad_netpath);
    start_key = name.key;
  } else if (request.flags & wire::list_exact) {
    return error_reply(errc::invalid_parameter);
  }
  auto first = pipes_.end();
  auto last = pipes_.end();
  if (request.flags & wire::list_exact) {
    first = pipes_.find(start_key);
    if (first == pipes_.end()) return error_reply(errc::file_not_found);
    last = std::next(first);
  } else {
    first = start_key.empty() ? pipes_.begin() : pipes_.upper_bound(start_key);
  }

  wire::reply r;
  r.listing.emplace();
  // The fixed reply, the listing's two counts: what every reply holds.
  std::size_t size = wire::header_size + 64;
  for (auto it = first; it != last; ++it) {
    const named_pipe& pipe = it->second;
    wire::listed_pipe entry;
    entry.name = pipe.name;
    entry.max_instances = pipe.max_instances;
    entry.cur_instances = static_cast<std::uint32_t>(pipe.instances.size());
    entry.listening = static_cast<std::uint32_t>(pipe.listening.size());
    // The rest is what query tells, to those query would tell it.
    if (access_granted(pipe.descriptor, caller.creds, file_open_desired(0),
                       security::file_generic_mapping)) {
      entry.flags = wire::listed_pipe::details_visible;
      entry.open_mode = pipe.open_mode;
      entry.pipe_mode = pipe.pipe_mode;
      entry.out_buffer = pipe.out_buffer;
      entry.in_buffer = pipe.in_buffer;
      entry.default_timeout_ms = pipe.default_timeout_ms;
      entry.owner_uid = pipe.owner_uid;
      std::map<std::pair<pid_t, uid_t>, bool> servers;  // in pid order
      for (const auto& [iid, instance] : pipe.instances)
        servers.emplace(std::pair(instance.owner_pid, instance.owner_uid), true);
      entry.server_count = static_cast<std::uint32_t>(servers.size());
      for (const auto& [server, unused] : servers) {
        if (entry.servers.size() == wire::listed_pipe::max_servers) break;
        entry.servers.push_back({static_cast<std::uint32_t>(server.first), server.second});
      }
    }
    // A name of at most 256 characters and 32 servers always fit an empty
    // reply, so every reply moves the listing on.
    std::size_t entry_size = 2 + entry.name.size() + 4 * 12 + 8 * entry.servers.size();
    if (size + entry_size > wire::max_message_size) {
      r.listing->more = true;
      break;
    }
    size += entry_size;
    r.listing->pipes.push_back(std::move(entry));
  }
  return r;
}

void pipe_namespace::drop_peer(peer_id id) {
  std::vector<std::pair<std::string, std::uint64_t>> doomed;
  for (const auto& [key, pipe] : pipes_)
    for (const auto& [iid, instance] : pipe.instances)
      if (instance.owner == id) doomed.emplace_back(key, iid);
  for (const auto& [key, iid] : doomed) {
    auto it = pipes_.find(key);
    if (it != pipes_.end()) remove_instance(it->second, iid);
  }
}

}  // namespace conduit::broker
