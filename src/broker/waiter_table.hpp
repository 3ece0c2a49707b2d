// The broker's queued waits (WaitNamedPipe that has to wait).
//
// A wait is answered when an instance of its name starts listening or when
// its deadline passes, and forgotten when its peer goes. Each of these finds
// its waits through an index of its own (by name, by deadline, by peer), so
// what one costs grows with the waits it answers or forgets, never with
// every wait queued: a peer that queues a million waits slows nobody else's
// requests. Bookkeeping only; the broker sends the answers.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "broker/peer.hpp"

namespace conduit::broker {

/// A wait taken out of the table, to be answered.
struct queued_wait {
  peer_id peer = 0;
  std::uint32_t request_id = 0;
};

class waiter_table {
 public:
  using clock = std::chrono::steady_clock;

  /// Queues a wait on the pipe name `key` until `deadline`
  /// (clock::time_point::max() waits for ever).
  void add(peer_id peer, uid_t uid, std::uint32_t request_id, const std::string& key,
           clock::time_point deadline);
  /// Takes every wait on `key`, oldest first.
  [[nodiscard]] std::vector<queued_wait> take_name(const std::string& key);
  /// Takes every wait whose deadline is `now` or earlier, earliest first.
  [[nodiscard]] std::vector<queued_wait> take_expired(clock::time_point now);
  /// Forgets a peer's waits (it is gone).
  void drop_peer(peer_id peer);

  /// The earliest deadline of a finite wait, if any.
  [[nodiscard]] std::optional<clock::time_point> next_deadline() const;
  [[nodiscard]] std::size_t size() const { return waits_.size(); }
  [[nodiscard]] std::size_t waits_of_peer(peer_id peer) const;
  [[nodiscard]] std::size_t waits_of_uid(uid_t uid) const;

 private:
  using wait_id = std::uint64_t;
  struct wait {
    peer_id peer = 0;
    uid_t uid = 0;
    std::uint32_t request_id = 0;
    std::string key;
    clock::time_point deadline;
  };

  /// Removes one wait from every index and returns what answers it.
  queued_wait remove(std::map<wait_id, wait>::iterator it);

  std::map<wait_id, wait> waits_;  // ids grow: id order is arrival order
  std::unordered_map<std::string, std::set<wait_id>> by_name_;
  std::set<std::pair<clock::time_point, wait_id>> by_deadline_;  // finite deadlines only
  std::unordered_map<peer_id, std::set<wait_id>> by_peer_;
  std::unordered_map<uid_t, std::size_t> per_uid_;
  wait_id next_id_ = 1;
};

}  // namespace conduit::broker
