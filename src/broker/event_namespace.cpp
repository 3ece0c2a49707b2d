#include "broker/event_namespace.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <optional>

#include "conduit/error.hpp"
#include "core/event_name.hpp"

namespace conduit::broker {
namespace {

using detail::unique_fd;

event_result error_result(errc e) {
  event_result r;
  r.reply.error = static_cast<std::uint32_t>(e);
  return r;
}

// EVENT_QUERY_STATE and EVENT_MODIFY_STATE: an event's specific rights.
constexpr std::uint32_t event_specific_rights = 0x3;

}  // namespace

namespace {

// A non-blocking eventfd: the semaphore mode the kernel reports (since
// 6.6), or nullopt where it does not; false for anything else.
std::optional<bool> eventfd_semaphore_mode(int fd, bool& is_eventfd) {
  is_eventfd = false;
  std::string self = "/proc/self/fd/" + std::to_string(fd);
  char target[64] = {};
  ssize_t n = ::readlink(self.c_str(), target, sizeof(target) - 1);
  if (n <= 0 || std::string_view(target, static_cast<std::size_t>(n)) != "anon_inode:[eventfd]")
    return std::nullopt;
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || (flags & O_NONBLOCK) == 0) return std::nullopt;
  is_eventfd = true;
  std::ifstream info("/proc/self/fdinfo/" + std::to_string(fd));
  for (std::string line; std::getline(info, line);)
    if (line.starts_with("eventfd-semaphore:")) return line.find('1') != std::string::npos;
  return std::nullopt;
}

constexpr std::uint32_t mutex_specific_rights = 0x1;      // MUTANT_QUERY_STATE
constexpr std::uint32_t semaphore_specific_rights = 0x3;  // SEMAPHORE_QUERY/MODIFY_STATE

const security::generic_mapping& mapping_of(object_kind kind) {
  switch (kind) {
    case object_kind::mutex:
      return mutex_generic_mapping;
    case object_kind::semaphore:
      return semaphore_generic_mapping;
    case object_kind::event:
      break;
  }
  return security::event_generic_mapping;
}

bool known_sync_kind(std::uint32_t kind) {
  return kind == wire::sync_kind_mutex || kind == wire::sync_kind_semaphore;
}

}  // namespace

bool is_event_descriptor(int fd) {
  bool is_eventfd = false;
  auto semaphore = eventfd_semaphore_mode(fd, is_eventfd);
  return is_eventfd && !semaphore.value_or(false);
}

bool is_semaphore_descriptor(int fd) {
  bool is_eventfd = false;
  auto semaphore = eventfd_semaphore_mode(fd, is_eventfd);
  return is_eventfd && semaphore.value_or(true);
}

const security::security_descriptor* event_namespace::descriptor_of(const std::string& key) const {
  auto it = names_.find(key);
  return it == names_.end() ? nullptr : &events_.at(it->second).descriptor;
}

std::size_t event_namespace::events_of(peer_id id) const {
  auto it = held_.find(id);
  return it == held_.end() ? 0 : it->second.size();
}

event_result event_namespace::create(const peer& p, const wire::create_event_request& request,
                                     unique_fd eventfd) {
  std::string key;
  if (errc e = detail::parse_event_name(request.name, key); e != errc::success)
    return error_result(e);
  if ((request.flags & ~wire::event_manual_reset) != 0 || !eventfd ||
      !is_event_descriptor(eventfd.get()) ||
      !valid_access_mask(request.desired_access, event_specific_rights))
    return error_result(errc::invalid_parameter);
  if (auto it = names_.find(key); it != names_.end())
    return take_kind(p, events_.at(it->second), object_kind::event, request.desired_access,
                     wire::event_existed);
  if (events_of(p.id) >= max_events_per_peer) return error_result(errc::not_enough_memory);
  named_event event;
  if (errc e =
          object_descriptor(request.security_descriptor, p.creds,
                            creator_default_descriptor(p.creds.uid, p.creds.gid), event.descriptor);
      e != errc::success)
    return error_result(e);
  event.id = next_id_++;
  event.key = key;
  event.manual_reset = (request.flags & wire::event_manual_reset) != 0;
  event.eventfd = std::move(eventfd);
  names_.emplace(key, event.id);
  auto& stored = events_.emplace(event.id, std::move(event)).first->second;
  event_result result = hold(p, stored, 0);
  result.eventfd = -1;  // the creator has it already
  return result;
}

event_result event_namespace::open(const peer& p, const wire::open_event_request& request) {
  std::string key;
  if (errc e = detail::parse_event_name(request.name, key); e != errc::success)
    return error_result(e);
  if (!valid_access_mask(request.desired_access, event_specific_rights))
    return error_result(errc::invalid_parameter);
  auto it = names_.find(key);
  if (it == names_.end()) return error_result(errc::file_not_found);
  return take_kind(p, events_.at(it->second), object_kind::event, request.desired_access, 0);
}

event_result event_namespace::create_sync(const peer& p,
                                          const wire::create_sync_object_request& request,
                                          unique_fd eventfd) {
  std::string key;
  if (errc e = detail::parse_event_name(request.name, key); e != errc::success)
    return error_result(e);
  if (!known_sync_kind(request.kind)) return error_result(errc::invalid_parameter);
  auto kind = static_cast<object_kind>(request.kind);
  bool semaphore = kind == object_kind::semaphore;
  bool maximum_fits = semaphore
                          ? request.maximum >= 1 && request.maximum <= wire::max_semaphore_count
                          : request.maximum == 0;
  if (!maximum_fits || !eventfd ||
      !(semaphore ? is_semaphore_descriptor(eventfd.get()) : is_event_descriptor(eventfd.get())) ||
      !valid_access_mask(request.desired_access,
                         semaphore ? semaphore_specific_rights : mutex_specific_rights))
    return error_result(errc::invalid_parameter);
  if (auto it = names_.find(key); it != names_.end())
    return take_kind(p, events_.at(it->second), kind, request.desired_access, wire::event_existed);
  if (events_of(p.id) >= max_events_per_peer) return error_result(errc::not_enough_memory);
  named_event object;
  if (errc e = object_descriptor(request.security_descriptor, p.creds,
                                 creator_default_descriptor(p.creds.uid, p.creds.gid),
                                 object.descriptor);
      e != errc::success)
    return error_result(e);
  object.id = next_id_++;
  object.key = key;
  object.kind = kind;
  object.maximum = request.maximum;
  object.eventfd = std::move(eventfd);
  names_.emplace(key, object.id);
  auto& stored = events_.emplace(object.id, std::move(object)).first->second;
  event_result result = hold(p, stored, 0);
  result.eventfd = -1;  // the creator has it already
  return result;
}

event_result event_namespace::open_sync(const peer& p,
                                        const wire::open_sync_object_request& request) {
  std::string key;
  if (errc e = detail::parse_event_name(request.name, key); e != errc::success)
    return error_result(e);
  if (!known_sync_kind(request.kind)) return error_result(errc::invalid_parameter);
  auto kind = static_cast<object_kind>(request.kind);
  if (!valid_access_mask(request.desired_access, kind == object_kind::semaphore
                                                     ? semaphore_specific_rights
                                                     : mutex_specific_rights))
    return error_result(errc::invalid_parameter);
  auto it = names_.find(key);
  if (it == names_.end()) return error_result(errc::file_not_found);
  return take_kind(p, events_.at(it->second), kind, request.desired_access, 0);
}

event_result event_namespace::take_kind(const peer& p, named_event& event, object_kind kind,
                                        std::uint32_t desired, std::uint32_t flags) {
  // Windows answers a name held by another type of object so.
  if (event.kind != kind) return error_result(errc::invalid_handle);
  return take(p, event, desired, flags);
}

event_result event_namespace::take(const peer& p, named_event& event, std::uint32_t desired,
                                   std::uint32_t flags) {
  // The eventfd is the object: whoever gets it can signal and wait on it.
  if (!access_granted(event.descriptor, p.creds, desired, mapping_of(event.kind)))
    return error_result(errc::access_denied);
  return hold(p, event, flags);
}

event_result event_namespace::hold(const peer& p, named_event& event, std::uint32_t flags) {
  if (!event.holders.contains(p.id)) {
    if (events_of(p.id) >= max_events_per_peer) return error_result(errc::not_enough_memory);
    event.holders.insert(p.id);
    held_[p.id].insert(event.id);
  }
  event_result result;
  result.reply.instance_id = event.id;
  result.reply.open_mode = flags | (event.manual_reset ? wire::event_manual_reset : 0);
  result.reply.max_instances = event.maximum;
  result.eventfd = event.eventfd.get();
  return result;
}

wire::reply event_namespace::close(const peer& p, const wire::close_event_request& request) {
  auto it = events_.find(request.event_id);
  if (it == events_.end() || !it->second.holders.contains(p.id))
    return error_result(errc::invalid_handle).reply;
  release(request.event_id, p.id);
  return {};
}

void event_namespace::note_owner(const peer& p, const wire::mutex_owner_request& note) {
  auto it = events_.find(note.event_id);
  if (it == events_.end() || it->second.kind != object_kind::mutex ||
      !it->second.holders.contains(p.id) || note.owned > 1)
    return;
  auto& owners = it->second.owners;
  if (note.owned == 1) {
    std::uint32_t& count = owners[p.id];
    if (count < max_owner_notes) ++count;
    return;
  }
  auto owner = owners.find(p.id);
  if (owner != owners.end() && --owner->second == 0) owners.erase(owner);
}

void event_namespace::drop_peer(peer_id id) {
  auto it = held_.find(id);
  if (it == held_.end()) return;
  std::set<std::uint64_t> ids = it->second;
  for (std::uint64_t event_id : ids) {
    auto event = events_.find(event_id);
    if (event != events_.end() && event->second.owners.erase(id) > 0) {
      // Killed owning it: nobody else can have taken it since (its counter
      // is 0 while owned), so this is the one write that frees it.
      std::uint64_t abandoned = 2;
      (void)!::write(event->second.eventfd.get(), &abandoned, sizeof abandoned);
    }
    release(event_id, id);
  }
}

void event_namespace::release(std::uint64_t event_id, peer_id holder) {
  auto held = held_.find(holder);
  if (held != held_.end() && held->second.erase(event_id) && held->second.empty())
    held_.erase(held);
  auto it = events_.find(event_id);
  if (it == events_.end()) return;
  it->second.holders.erase(holder);
  it->second.owners.erase(holder);
  if (!it->second.holders.empty()) return;
  names_.erase(it->second.key);
  events_.erase(it);  // closes the broker's eventfd; holders keep theirs
}

}  // namespace conduit::broker
