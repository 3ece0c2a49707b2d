// The broker's table of named events (CreateEvent with a name), and of the
// named mutexes and semaphores that share their namespace (as kernel
// objects share BaseNamedObjects on Windows: a name is one object's, of
// one kind, and asking for it as another kind is ERROR_INVALID_HANDLE).
//
// A named event is a name, its reset kind and the eventfd that is the event:
// the process that created it handed the eventfd here, and every process
// that opens the name gets a duplicate, so they all share one counter. The
// broker never reads or waits on that counter, and writes a mutex's only to
// abandon it (drop_peer). The name lives while
// some process holds it (has a handle to the event): each peer holds an
// event at most once, and the last one to let go takes the name with it.
// Like the other namespaces this is bookkeeping only, driven by
// broker::handle.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "broker/object_security.hpp"
#include "broker/peer.hpp"
#include "core/unique_fd.hpp"
#include "core/wire.hpp"

namespace conduit::broker {

/// Most owner notes one peer may have outstanding on one mutex (a thread
/// takes a mutex once however often it recurses; this bounds a liar).
inline constexpr std::uint32_t max_owner_notes = 65536;

/// Most named events one peer may hold at once.
inline constexpr std::size_t max_events_per_peer = 4096;

/// Mutants: read = query state, write = nothing specific, execute = synchronize.
inline constexpr security::generic_mapping mutex_generic_mapping{0x00020001, 0x00020000, 0x00120000,
                                                                 0x001F0001};
/// Semaphores: read = query state, write = modify state, execute = synchronize.
inline constexpr security::generic_mapping semaphore_generic_mapping{0x00020001, 0x00020002,
                                                                     0x00120000, 0x001F0003};

/// What a name in the namespace is.
enum class object_kind : std::uint32_t {
  event = 0,
  mutex = wire::sync_kind_mutex,
  semaphore = wire::sync_kind_semaphore,
};

struct named_event {
  std::uint64_t id = 0;
  std::string key;  // the name without Global\ or Local\ (event_name.hpp)
  object_kind kind = object_kind::event;
  bool manual_reset = false;
  std::uint32_t maximum = 0;  // a semaphore's
  detail::unique_fd eventfd;
  security::security_descriptor descriptor;  // checked whenever another peer takes the name
  std::set<peer_id> holders;
  /// For a mutex: how often each holder says one of its threads took it and
  /// has not let go (mutex_owner notes). A holder that goes away while it
  /// counts more than 0 was killed owning it: the broker abandons it.
  std::map<peer_id, std::uint32_t> owners;
};

/// A reply, and the eventfd to hand over with it (-1 for none).
struct event_result {
  wire::reply reply;
  int eventfd = -1;  // still owned by the event
};

class event_namespace {
 public:
  /// Creates the event with `eventfd`, or, if the name is taken, holds the
  /// existing event for the peer and hands its eventfd back (the reply's
  /// flags say event_existed; `eventfd` is closed). Errors: the name's
  /// (event_name.hpp), ERROR_INVALID_PARAMETER for unknown flags or access
  /// bits or a descriptor that is not a non-blocking, non-semaphore eventfd,
  /// ERROR_INVALID_SECURITY_DESCR for a security descriptor that does not
  /// parse, ERROR_ACCESS_DENIED when the existing event's descriptor refuses
  /// the access asked, ERROR_NOT_ENOUGH_MEMORY past max_events_per_peer.
  /// A new event's descriptor is the one given, else the creator's default.
  event_result create(const peer& p, const wire::create_event_request& request,
                      detail::unique_fd eventfd);
  /// Holds an existing event for the peer and hands its eventfd over.
  /// Errors: the name's, ERROR_INVALID_PARAMETER for unknown access bits,
  /// ERROR_FILE_NOT_FOUND, ERROR_ACCESS_DENIED, ERROR_NOT_ENOUGH_MEMORY.
  event_result open(const peer& p, const wire::open_event_request& request);
  /// CreateMutex, CreateSemaphore with a name: as create(), for those kinds.
  /// Errors as create()'s, and ERROR_INVALID_HANDLE when an object of
  /// another kind has the name; ERROR_INVALID_PARAMETER for an unknown kind,
  /// a maximum out of range (semaphores: 1..max_semaphore_count, mutexes: 0)
  /// or a descriptor that is not a non-blocking eventfd (in semaphore mode
  /// for a semaphore, where the kernel says).
  event_result create_sync(const peer& p, const wire::create_sync_object_request& request,
                           detail::unique_fd eventfd);
  /// OpenMutex, OpenSemaphore: as open(), and ERROR_INVALID_HANDLE when an
  /// object of another kind has the name.
  event_result open_sync(const peer& p, const wire::open_sync_object_request& request);
  /// The peer lets go of an event. ERROR_INVALID_HANDLE if it holds none
  /// of that id.
  wire::reply close(const peer& p, const wire::close_event_request& request);
  /// A mutex_owner note: the peer's thread took (or let go of) a mutex the
  /// peer holds. Notes on anything else (not held by the peer, not a mutex,
  /// `owned` not 0 or 1, letting go of what it does not own) change nothing.
  void note_owner(const peer& p, const wire::mutex_owner_request& note);
  /// Lets go of every event a peer holds (its process is gone); a mutex it
  /// still owned by its notes is abandoned: its counter gets 2 (free, and
  /// abandoned to the next taker), as the owner's own exit would have done.
  void drop_peer(peer_id id);

  [[nodiscard]] std::size_t event_count() const { return events_.size(); }
  [[nodiscard]] std::size_t events_of(peer_id id) const;
  /// The descriptor of the event with this key, or null.
  [[nodiscard]] const security::security_descriptor* descriptor_of(const std::string& key) const;

 private:
  /// Holds an existing object for `p` if it is of `kind` and its
  /// descriptor grants `desired`.
  event_result take_kind(const peer& p, named_event& event, object_kind kind, std::uint32_t desired,
                         std::uint32_t flags);
  /// Holds an existing event for `p` if its descriptor grants `desired`.
  event_result take(const peer& p, named_event& event, std::uint32_t desired, std::uint32_t flags);
  /// Holds `event` for `p` unless over quota; fills the reply.
  event_result hold(const peer& p, named_event& event, std::uint32_t flags);
  void release(std::uint64_t event_id, peer_id holder);

  std::map<std::uint64_t, named_event> events_;  // by id
  std::map<std::string, std::uint64_t> names_;   // key -> id
  std::map<peer_id, std::set<std::uint64_t>> held_;
  std::uint64_t next_id_ = 1;
};

/// Whether `fd` is an eventfd a named event can be: non-blocking (waiters
/// claim an auto-reset event with a read that must not block) and not in
/// semaphore mode (a read must take the whole count).
[[nodiscard]] bool is_event_descriptor(int fd);
/// Whether `fd` is a non-blocking eventfd in semaphore mode, as far as the
/// kernel tells (kernels before 6.6 do not say, and any eventfd passes).
[[nodiscard]] bool is_semaphore_descriptor(int fd);

}  // namespace conduit::broker
