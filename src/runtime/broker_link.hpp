// This process's connection to the broker, and what it has registered there.
//
// One connection serves every thread: a request and its reply are one
// exchange under a mutex (waits that may block for long use a connection of
// their own). The link also remembers each server instance, each mailslot
// and each named event it registered, so that when the broker goes away (a restart) it reconnects
// and registers them again by itself: a background thread watches for the
// hang-up.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <system_error>
#include <unordered_set>
#include <vector>

#include "core/unique_fd.hpp"
#include "core/wire.hpp"

namespace conduit::detail {

/// One server instance as the broker knows it. Fields change only under the
/// link's mutex, through the link's methods.
struct registration {
  wire::create_instance_request params;  // serial kept current
  int page_fd = -1;                      // owned by the instance
  int server_end = -1;                   // owned by the instance; read to see a connect
  unique_fd listening_endpoint;          // our copy of the client end while listening
  std::uint64_t broker_id = 0;           // 0 when the current broker does not know it
};

/// One mailslot as the broker knows it: what its reader registered, kept to
/// register it again with a new broker.
struct mailslot_registration {
  wire::create_mailslot_request params;
  int receiving_socket = -1;    // owned by the reader
  std::uint64_t broker_id = 0;  // 0 when the current broker does not know it
};

/// One named event this process holds: kept to hold it again at a new
/// broker, which learns the name and the eventfd afresh.
struct event_registration {
  wire::create_event_request params;  // the name, and the event's reset kind
  int eventfd = -1;                   // owned by the event object
  std::uint64_t broker_id = 0;        // 0 when the current broker does not know it
};

class broker_link {
 public:
  /// The process-wide link (never destroyed, so threads may use it at exit).
  static broker_link& get();

  /// One request, one reply; descriptors ride along both ways. Reconnects
  /// (starting a broker if need be) and retries once if the broker is gone.
  /// The broker's refusal (the reply's Win32 error) is returned as the error.
  std::error_code call(const wire::request& request, std::span<const int> fds, wire::reply& reply,
                       std::vector<unique_fd>* reply_fds = nullptr);

  /// The same over a connection of its own, for requests that may wait long.
  std::error_code call_alone(const wire::request& request, wire::reply& reply);

  /// Registers an instance; listening at once when it has an endpoint.
  std::error_code register_instance(const std::shared_ptr<registration>& reg, wire::reply& reply);
  /// The instance listens again with a new endpoint and serial.
  std::error_code relisten(const std::shared_ptr<registration>& reg, unique_fd endpoint,
                           int server_end, std::uint32_t serial);
  /// A client has taken the instance: our copy of its end is no longer needed.
  void mark_connected(const std::shared_ptr<registration>& reg);
  /// The instance is closed: the broker forgets it.
  void unregister(const std::shared_ptr<registration>& reg);

  /// Registers a mailslot with its sending end. Errors are the broker's
  /// (ERROR_ALREADY_EXISTS, ...) or ERROR_SERVICE_NOT_ACTIVE.
  std::error_code register_mailslot(const std::shared_ptr<mailslot_registration>& reg,
                                    wire::reply& reply);
  /// The mailslot is closed: the broker forgets it.
  void unregister_mailslot(const std::shared_ptr<mailslot_registration>& reg);

  /// Holds a named event at the broker and remembers it. `request` is either
  /// reg's create_event, sent with reg->eventfd, or an open_event. When the
  /// broker hands an eventfd back (an open, or a create that found the name
  /// taken) it lands in `received`, reg->eventfd names it and reg->params
  /// takes the event's reset kind. Errors are the broker's or
  /// ERROR_SERVICE_NOT_ACTIVE.
  std::error_code hold_event(const std::shared_ptr<event_registration>& reg,
                             const wire::request& request, wire::reply& reply, unique_fd& received);
  /// This process holds the event no more (no-op if it did not).
  void release_event(const std::shared_ptr<event_registration>& reg);

 private:
  broker_link() = default;
  std::error_code ensure_connected_locked();
  std::error_code exchange_locked(const wire::request& request, std::span<const int> fds,
                                  wire::reply& reply, std::vector<unique_fd>* reply_fds);
  void reregister_all_locked();
  /// Sends `close` for what the current broker knows as `broker_id`, best
  /// effort, and marks it unknown.
  void forget_locked(const wire::request& close, std::uint64_t& broker_id);
  /// Registers one object again with its one descriptor (a mailslot's
  /// sending end, an event's eventfd); false if the connection broke, which
  /// is then closed.
  bool register_again_locked(const wire::request& request, int fd, std::uint64_t& broker_id);
  void start_watcher_locked();
  void watch();
  static void after_fork_in_child();

  std::mutex mutex_;
  unique_fd socket_;
  std::uint64_t generation_ = 0;  // bumped at each new connection
  std::uint32_t next_request_id_ = 1;
  std::unordered_set<std::shared_ptr<registration>> registrations_;
  std::unordered_set<std::shared_ptr<mailslot_registration>> mailslots_;
  std::unordered_set<std::shared_ptr<event_registration>> events_;
  bool watcher_started_ = false;
  unique_fd wake_;  // eventfd: tells the watcher the connection changed
};

}  // namespace conduit::detail
