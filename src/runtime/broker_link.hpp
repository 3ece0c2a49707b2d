// This process's connection to the broker, and what it has registered there.
//
// One connection serves every thread, and no lock is held while a thread
// waits for the broker: each request carries an id, one waiting thread at a
// time reads the connection and hands each reply to the thread whose id it
// bears, and a reply nobody waits for any more (its caller gave up) is
// dropped. Every wait has a deadline, so a broker that stops answering
// fails calls with ERROR_TIMEOUT instead of hanging them.
//
// The link also remembers each server instance, each mailslot and each
// named event it registered, so that when the broker goes away (a restart)
// it reconnects and registers them again by itself: a background thread
// watches for the hang-up.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <system_error>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/instance_page.hpp"
#include "core/unique_fd.hpp"
#include "core/wire.hpp"
#include "runtime/broker_launch.hpp"
#include "runtime/deadline.hpp"

namespace conduit::detail {

/// One server instance as the broker knows it. Fields change only under the
/// link's mutex, through the link's methods.
struct registration {
  wire::create_instance_request params;  // serial kept current
  /// The instance page the broker hands to clients. Its descriptor is kept
  /// only until a broker holds it: a server with thousands of instances
  /// would otherwise spend a descriptor on each. A new broker gets a new
  /// page (with the same serial); the clients of the old one still read it,
  /// so it is kept mapped in `replaced_pages` and written too until the
  /// instance next disconnects. Written through broker_link::publish_serial.
  instance_page page;
  std::vector<instance_page> replaced_pages;
  int server_end = -1;                 // owned by the instance; read to see a connect
  unique_fd listening_endpoint;        // our copy of the client end while listening
  std::uint64_t broker_id = 0;         // 0 when the current broker does not know it
  std::uint64_t generation = 0;        // the connection broker_id belongs to
  std::uint32_t listening_serial = 0;  // the serial the broker listens with (0: not)
};

/// One mailslot as the broker knows it: what its reader registered, kept to
/// register it again with a new broker.
struct mailslot_registration {
  wire::create_mailslot_request params;
  int receiving_socket = -1;    // owned by the reader
  std::uint64_t broker_id = 0;  // 0 when the current broker does not know it
  std::uint64_t generation = 0;
};

/// One named event (or mutex, or semaphore) this process holds: kept to
/// hold it again at a new broker, which learns the name and the eventfd
/// afresh.
struct event_registration {
  wire::create_event_request params;  // the name, and the event's reset kind
  /// A mutex's or semaphore's create request, which then replaces params.
  std::optional<wire::create_sync_object_request> sync_params;
  int eventfd = -1;             // owned by the event object
  std::uint64_t broker_id = 0;  // 0 when the current broker does not know it
  std::uint64_t generation = 0;
};

class broker_link {
 public:
  /// How long a call waits for the broker's reply when its caller gives no
  /// timeout of its own.
  static constexpr std::chrono::milliseconds reply_timeout{5000};

  /// The process-wide link (never destroyed, so threads may use it at exit).
  static broker_link& get();

  /// One request, one reply; descriptors ride along both ways. Reconnects
  /// (starting a broker if need be) and retries once if the broker is gone.
  /// The broker's refusal (the reply's Win32 error) is returned as the
  /// error; otherwise ERROR_TIMEOUT when no reply came within `timeout`
  /// (negative: no limit), ERROR_SERVICE_NOT_ACTIVE when no broker could be
  /// reached, ERROR_TOO_MANY_OPEN_FILES when the reply's descriptors could
  /// not be received (this process is at its descriptor limit).
  std::error_code call(const wire::request& request, std::span<const int> fds, wire::reply& reply,
                       std::vector<unique_fd>* reply_fds = nullptr,
                       std::chrono::milliseconds timeout = reply_timeout);

  /// As call(), but over the lane of the CPU the calling thread runs on
  /// when the broker serves lanes (`open` only; docs/broker-protocol.md#lanes):
  /// the broker's thread on that CPU answers, so the round trip stays on it.
  /// Falls back to call() when there is no lane (yet), it is busy with
  /// another thread's request, or it broke.
  std::error_code call_on_lane(const wire::request& request, wire::reply& reply,
                               std::vector<unique_fd>* reply_fds);
  /// How many lanes this process holds (a descriptor each): like the
  /// connection itself, at most one per CPU, however many pipes are opened.
  std::size_t lane_count();

  /// The same over a connection of its own (the broker queues waits per
  /// connection), with the same errors; ERROR_OPERATION_ABORTED when
  /// another thread interrupts the wait for the reply
  /// (runtime/interruption.hpp).
  std::error_code call_alone(const wire::request& request, wire::reply& reply,
                             std::chrono::milliseconds timeout);

  /// Registers an instance; listening at once when it has an endpoint.
  std::error_code register_instance(const std::shared_ptr<registration>& reg, wire::reply& reply);
  /// The instance listens again with a new endpoint and serial.
  std::error_code relisten(const std::shared_ptr<registration>& reg, unique_fd endpoint,
                           int server_end, std::uint32_t serial);
  /// A client has taken the instance: our copy of its end is no longer
  /// needed, and the instance is never registered listening with it again.
  /// Called as soon as the client's connect record is seen, before it is
  /// read, so that a broker restart meanwhile cannot miss it.
  void mark_connected(const std::shared_ptr<registration>& reg);
  /// The instance is closed: the broker forgets it.
  void unregister(const std::shared_ptr<registration>& reg);
  /// Writes the instance's serial into its page (and any page a broker
  /// restart replaced, whose clients are then disconnected too).
  void publish_serial(const std::shared_ptr<registration>& reg, std::uint32_t serial);

  /// Registers a mailslot with its sending end. Errors are the broker's
  /// (ERROR_ALREADY_EXISTS, ...) or those of call().
  std::error_code register_mailslot(const std::shared_ptr<mailslot_registration>& reg,
                                    wire::reply& reply);
  /// The mailslot is closed: the broker forgets it.
  void unregister_mailslot(const std::shared_ptr<mailslot_registration>& reg);

  /// Holds a named event at the broker and remembers it. `request` is either
  /// reg's create_event, sent with reg->eventfd, or an open_event. When the
  /// broker hands an eventfd back (an open, or a create that found the name
  /// taken) it lands in `received`, reg->eventfd names it and reg->params
  /// takes the event's reset kind. Errors are the broker's or those of call().
  std::error_code hold_event(const std::shared_ptr<event_registration>& reg,
                             const wire::request& request, wire::reply& reply, unique_fd& received);
  /// This process holds the event no more (no-op if it did not).
  void release_event(const std::shared_ptr<event_registration>& reg);
  /// Tells the broker, without waiting (no answer comes), that a thread of
  /// this process took (`owned`) or let go of the named mutex `reg` holds,
  /// so that the broker abandons it if the process is killed owning it.
  /// Nothing is sent if the current connection does not know the mutex;
  /// while the connection is full it waits for room (at most reply_timeout).
  void note_mutex_owner(const event_registration& reg, bool owned);

 private:
  using connection = std::shared_ptr<unique_fd>;
  struct pending;
  struct lane;

  broker_link() = default;
  /// One exchange on the shared connection; `generation` says which
  /// connection answered. `pinned`: only on connection `generation` (the
  /// request names something registered there), never retried elsewhere.
  std::error_code exchange(const wire::request& request, std::span<const int> fds,
                           wire::reply& reply, std::vector<unique_fd>* reply_fds,
                           const deadline& until, std::uint64_t& generation, bool pinned);
  /// The current connection, connecting first if there is none.
  connection connected_locked(std::unique_lock<std::mutex>& lock, const deadline& until,
                              std::uint64_t& generation, std::error_code& ec);
  /// Connects, registers everything again, then publishes the connection.
  void reconnect_locked(std::unique_lock<std::mutex>& lock, const deadline& until,
                        std::error_code& ec);
  /// Waits for `p`'s reply, reading the connection while nobody else does.
  std::error_code await_reply_locked(std::unique_lock<std::mutex>& lock, pending& p,
                                     const connection& conn, const deadline& until);
  /// Reads one packet from `conn` (outside the lock) and hands it out.
  void read_one(std::unique_lock<std::mutex>& lock, const connection& conn, const deadline& until);
  /// The connection is unusable: its waiters fail and it is closed for good.
  void broken_locked(const connection& conn);
  /// Closes what connection `generation` registered, best effort (if that
  /// connection is gone, so is the broker's record).
  void forget(const wire::request& close, std::uint64_t generation);
  bool wait_locked(std::unique_lock<std::mutex>& lock, const deadline& until);
  /// relisten() once the registration says what to send.
  std::error_code relisten_locked(std::unique_lock<std::mutex>& lock,
                                  const std::shared_ptr<registration>& reg, std::uint32_t serial);
  /// Registers every remembered object on `socket`, the next connection.
  bool reregister_all(std::unique_lock<std::mutex>& lock, int socket, std::uint64_t generation);
  /// One exchange on this CPU's lane, attached to connection `generation`
  /// (attaching it first if need be): false when no lane took the request
  /// (none, busy, or broken: the caller uses the connection instead);
  /// true with `ec` the lane's answer otherwise.
  bool exchange_on_lane(const wire::request& request, std::span<const int> fds, wire::reply& reply,
                        std::vector<unique_fd>* reply_fds, std::uint64_t generation,
                        const deadline& until, std::error_code& ec);
  /// This CPU's lane on connection `generation`, attached now if it has
  /// none; null when the broker serves no lanes or attaching failed (`ec`
  /// set when it ran out of time).
  std::shared_ptr<lane> lane_for_cpu(int cpu, std::uint64_t generation, const deadline& until,
                                     std::error_code& ec);
  void start_watcher_locked();
  void watch();
  static void after_fork_in_child();

  std::mutex mutex_;
  std::condition_variable changed_;  // a reply landed, the reader left, a connection came
  connection socket_;
  std::uint64_t generation_ = 0;  // bumped at each new connection
  broker_kind kind_ = broker_kind::none;
  bool connecting_ = false;  // a thread is connecting (and registering again)
  bool reading_ = false;     // a thread is reading the connection
  std::uint32_t next_request_id_ = 1;
  std::unordered_map<std::uint32_t, pending*> pending_;
  // Requests whose callers gave up waiting, by id: their late replies are
  // dropped, and what they made at the broker undone.
  std::unordered_map<std::uint32_t, wire::request> abandoned_;
  // Undoing requests sent without waiting (for the abandoned, or for what
  // was closed while it was registered again), by id, until answered.
  std::unordered_set<std::uint32_t> undoing_;
  std::unordered_set<std::shared_ptr<registration>> registrations_;
  std::unordered_set<std::shared_ptr<mailslot_registration>> mailslots_;
  std::unordered_set<std::shared_ptr<event_registration>> events_;
  std::unordered_map<int, std::shared_ptr<lane>> lanes_;  // by CPU number
  bool lanes_refused_ = false;                            // the broker serves none: never ask again
  bool watcher_started_ = false;
  unique_fd wake_;  // eventfd: tells the watcher the connection changed
};

}  // namespace conduit::detail
