// conduitd's event loop: accepts peers, decodes their requests, answers them.
//
// The loop never blocks on a peer: its sockets are non-blocking, and a peer
// whose answer cannot be sent at once (it does not read them) is dropped.
// Peers are dropped only between requests, never while a table is being
// walked: whatever finds a peer must go (a failed send while answering
// waits, a broken request) condemns it, and the loop drops the condemned
// once the current step is done.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "broker/broker_limits.hpp"
#include "broker/datagram_listener.hpp"
#include "broker/event_namespace.hpp"
#include "broker/mailslot_namespace.hpp"
#include "broker/peer.hpp"
#include "broker/pipe_namespace.hpp"
#include "broker/waiter_table.hpp"
#include "conduit/error.hpp"
#include "core/unique_fd.hpp"

namespace conduit::broker {

struct broker_options {
  std::string runtime_dir;
  bool system = false;        // shared by all users: socket open to everyone
  int ready_fd = -1;          // gets one byte 'R' once the socket is listening
  int idle_exit_seconds = 0;  // exit after this long with no peer; 0 = never
  /// A listening socket handed over by a service manager (socket
  /// activation), which the broker then owns and serves instead of making
  /// its own; -1: none. Its socket file is the manager's: the broker
  /// neither replaces nor removes it.
  int listen_fd = -1;
  /// Caps from the configuration, below those derived from the descriptor limit.
  limit_settings limits;
  /// Listen for mailslot datagrams from other machines (datagram_listener.hpp)
  /// with these settings; none: do not.
  std::optional<detail::netbios::netbios_settings> netbios;
  /// Serve lanes, a thread on each CPU (broker_lanes.cpp); without them
  /// attach_lane is answered ERROR_NOT_SUPPORTED.
  bool lanes = true;
};

class broker {
 public:
  explicit broker(broker_options options) : options_(std::move(options)) {}
  /// Stops the lane threads.
  ~broker();
  broker(const broker&) = delete;
  broker& operator=(const broker&) = delete;
  /// Runs until SIGTERM/SIGINT or idle exit. Returns the process exit code.
  int run();

  // The loop in pieces, for a driver that runs the broker in its own
  // process (fuzz/broker_loop_fuzz.cpp): run() is start() and then step(-1)
  // until it returns an exit code.

  /// Takes the folder, listens and raises the descriptor limit; false (with
  /// a message on standard error) when the broker cannot serve.
  bool start();
  /// One pass of the loop: waits at most `max_wait_ms` for events (-1: until
  /// the next deadline), handles them, expires waits and drops condemned
  /// peers. An exit code once the broker should stop.
  std::optional<int> step(int max_wait_ms);
  /// Serves `socket`, a connected SOCK_SEQPACKET socket, as a peer (as if it
  /// had been accepted): its credentials are the kernel's record of it.
  void adopt(detail::unique_fd socket);
  /// How many lanes run (0 before start() or without options.lanes).
  [[nodiscard]] std::size_t lane_count() const { return lanes_.size(); }

  [[nodiscard]] const broker_limits& limits() const { return limits_; }

 private:
  bool set_up();
  void adopt_locked(detail::unique_fd socket);
  void accept_peers();
  enum class shed_result { one, nobody_left, cannot };
  /// Out of descriptors, takes one connection off the listener's queue
  /// (with the spare descriptor) and closes it.
  shed_result shed_connection();
  void serve(peer& p);
  /// Handles one packet; false drops the peer.
  bool handle(peer& p, std::span<const std::byte> packet, std::vector<detail::unique_fd> fds);
  bool reply(peer& p, std::uint32_t request_id, const wire::reply& r,
             std::span<const int> fds = {});
  /// A reply on `socket` (the peer's connection or one of its lanes), never
  /// blocking: false when it cannot be sent at once.
  static bool send_reply(int socket, std::uint32_t request_id, const wire::reply& r,
                         std::span<const int> fds = {});
  /// `open` and `listen`, answered on `socket`, whichever connection of
  /// `p` asked: false drops the peer.
  bool answer_open(peer& p, int socket, std::uint32_t request_id,
                   const wire::open_request& request);
  bool answer_listen(peer& p, int socket, std::uint32_t request_id,
                     const wire::listen_request& request, detail::unique_fd endpoint);

  // ---- lanes (broker_lanes.cpp): a thread per CPU serving opens and
  // listens on connections the peers attach, so that a client's round
  // trip stays on its own CPU.
  struct lane {
    int cpu = -1;
    detail::unique_fd epoll;
    detail::unique_fd stop;  // eventfd: the thread ends when it is readable
    std::thread thread;
  };
  struct lane_socket {
    peer_id owner = 0;
    std::uint32_t lane = 0;
    detail::unique_fd socket;
  };
  void start_lanes();
  void stop_lanes();
  void run_lane(lane& l);
  /// Reads what one lane socket has (under mutex_).
  void serve_lane_socket(std::uint64_t tag);
  bool attach_lane(peer& p, std::uint32_t request_id, const wire::attach_lane_request& request,
                   detail::unique_fd socket);
  void close_lane_socket(std::uint64_t tag);
  void drop_lanes_of(peer& p);
  /// Tells the main loop that a lane condemned a peer.
  void wake_main();
  /// Replies with the event's eventfd when the result carries one.
  bool reply_event(peer& p, std::uint32_t request_id, const event_result& result);
  /// Queues a wait, or answers why it cannot.
  bool queue_wait(peer& p, std::uint32_t request_id, const wire::wait_request& request);
  /// The error for a request that would make `p` hold `descriptors` more:
  /// ERROR_NO_SYSTEM_RESOURCES past the broker's cap, ERROR_NOT_ENOUGH_QUOTA
  /// past its uid's; success when it may.
  [[nodiscard]] errc descriptor_refusal(const peer& p, std::size_t descriptors) const;
  /// Brings `p`'s charge, and its uid's, up to date with what it holds.
  void recharge(peer& p);
  [[nodiscard]] std::size_t descriptors_held() const;
  void answer_waits(const std::vector<queued_wait>& waits, std::uint32_t error);
  void wake_waiters(const std::string& key);
  void expire_waiters();
  /// The peer goes once the current step is done (the main loop's, which
  /// a lane wakes for it).
  void condemn(peer_id id) {
    condemned_.insert(id);
    if (!lanes_.empty()) wake_main();
  }
  void drop_condemned();
  void drop(peer_id id);
  /// Stops watching the listener for 100 ms: what it has to give cannot be
  /// taken now (`error`), and watching it would spin.
  void pause_listener(int error);
  void resume_listener();
  /// Watches the datagram socket or not, as the datagram listener wants.
  void sync_datagram_interest();
  int next_timeout_ms() const;

  broker_options options_;
  bool activated_ = false;  // serving a socket handed over (options_.listen_fd)
  broker_limits limits_;
  detail::unique_fd lock_;
  detail::unique_fd listener_;
  detail::unique_fd epoll_;
  detail::unique_fd signals_;
  detail::unique_fd spare_;  // closed to make room for one accept at EMFILE
  std::optional<std::chrono::steady_clock::time_point> listener_paused_until_;
  std::map<peer_id, peer> peers_;
  std::set<peer_id> condemned_;
  std::unordered_map<uid_t, std::size_t> uid_charges_;  // descriptors charged per uid
  // 0 to 3: the listener, signalfd, datagram socket and main_wake_ in epoll data
  peer_id next_peer_ = 4;
  pipe_namespace pipes_;
  mailslot_namespace mailslots_;
  event_namespace events_;
  waiter_table waiters_;
  datagram_listener datagrams_;
  bool watching_datagrams_ = false;
  std::chrono::steady_clock::time_point idle_since_;

  /// Held by the main loop while it handles events and by a lane while it
  /// serves a request: every table above is shared with the lanes.
  std::mutex mutex_;
  std::vector<std::unique_ptr<lane>> lanes_;
  std::vector<std::uint32_t> lane_of_cpu_;             // CPU number -> lane index
  std::map<std::uint64_t, lane_socket> lane_sockets_;  // by tag
  std::uint64_t next_lane_tag_ = 1;                    // 0: a lane's stop eventfd
  detail::unique_fd main_wake_;                        // eventfd, written by lanes
};

}  // namespace conduit::broker
