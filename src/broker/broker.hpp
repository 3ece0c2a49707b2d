// conduitd's event loop: accepts peers, decodes their requests, answers them.
#pragma once

#include <chrono>
#include <list>
#include <map>
#include <string>

#include "broker/event_namespace.hpp"
#include "broker/mailslot_namespace.hpp"
#include "broker/peer.hpp"
#include "broker/pipe_namespace.hpp"
#include "core/unique_fd.hpp"

namespace conduit::broker {

struct broker_options {
  std::string runtime_dir;
  bool system = false;        // shared by all users: socket open to everyone
  int ready_fd = -1;          // gets one byte 'R' once the socket is listening
  int idle_exit_seconds = 0;  // exit after this long with no peer; 0 = never
};

class broker {
 public:
  explicit broker(broker_options options) : options_(std::move(options)) {}
  /// Runs until SIGTERM/SIGINT or idle exit. Returns the process exit code.
  int run();

 private:
  struct waiter {
    peer_id peer = 0;
    std::uint32_t request_id = 0;
    std::string key;
    std::chrono::steady_clock::time_point deadline;
  };

  bool set_up();
  void accept_peers();
  void serve(peer& p);
  /// Handles one packet; false drops the peer.
  bool handle(peer& p, std::span<const std::byte> packet, std::vector<detail::unique_fd> fds);
  bool reply(peer& p, std::uint32_t request_id, const wire::reply& r,
             std::span<const int> fds = {});
  /// Replies with the event's eventfd when the result carries one.
  bool reply_event(peer& p, std::uint32_t request_id, const event_result& result);
  void drop(peer_id id);
  void wake_waiters(const std::string& key);
  void expire_waiters();
  int next_timeout_ms() const;

  broker_options options_;
  detail::unique_fd lock_;
  detail::unique_fd listener_;
  detail::unique_fd epoll_;
  detail::unique_fd signals_;
  std::map<peer_id, peer> peers_;
  peer_id next_peer_ = 2;  // 0 and 1 are the listener and signalfd in epoll data
  pipe_namespace pipes_;
  mailslot_namespace mailslots_;
  event_namespace events_;
  std::list<waiter> waiters_;
  std::chrono::steady_clock::time_point idle_since_;
};

}  // namespace conduit::broker
