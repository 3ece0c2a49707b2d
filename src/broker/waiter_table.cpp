#include "broker/waiter_table.hpp"

namespace conduit::broker {

void waiter_table::add(peer_id peer, uid_t uid, std::uint32_t request_id, const std::string& key,
                       clock::time_point deadline) {
  wait_id id = next_id_++;
  waits_.emplace(id, wait{peer, uid, request_id, key, deadline});
  by_name_[key].insert(id);
  if (deadline != clock::time_point::max()) by_deadline_.emplace(deadline, id);
  by_peer_[peer].insert(id);
  ++per_uid_[uid];
}

queued_wait waiter_table::remove(std::map<wait_id, wait>::iterator it) {
  wait_id id = it->first;
  const wait& w = it->second;
  if (auto name = by_name_.find(w.key); name != by_name_.end()) {
    name->second.erase(id);
    if (name->second.empty()) by_name_.erase(name);
  }
  if (w.deadline != clock::time_point::max()) by_deadline_.erase({w.deadline, id});
  if (auto peer = by_peer_.find(w.peer); peer != by_peer_.end()) {
    peer->second.erase(id);
    if (peer->second.empty()) by_peer_.erase(peer);
  }
  if (auto uid = per_uid_.find(w.uid); uid != per_uid_.end() && --uid->second == 0)
    per_uid_.erase(uid);
  queued_wait taken{w.peer, w.request_id};
  waits_.erase(it);
  return taken;
}

std::vector<queued_wait> waiter_table::take_name(const std::string& key) {
  std::vector<queued_wait> taken;
  auto name = by_name_.find(key);
  if (name == by_name_.end()) return taken;
  // A copy: remove() erases from the set, and the set itself with its last id.
  std::vector<wait_id> ids(name->second.begin(), name->second.end());
  taken.reserve(ids.size());
  for (wait_id id : ids) taken.push_back(remove(waits_.find(id)));
  return taken;
}

std::vector<queued_wait> waiter_table::take_expired(clock::time_point now) {
  std::vector<queued_wait> taken;
  while (!by_deadline_.empty() && by_deadline_.begin()->first <= now)
    taken.push_back(remove(waits_.find(by_deadline_.begin()->second)));
  return taken;
}

void waiter_table::drop_peer(peer_id peer) {
  auto it = by_peer_.find(peer);
  if (it == by_peer_.end()) return;
  std::vector<wait_id> ids(it->second.begin(), it->second.end());
  for (wait_id id : ids) (void)remove(waits_.find(id));
}

std::optional<waiter_table::clock::time_point> waiter_table::next_deadline() const {
  if (by_deadline_.empty()) return std::nullopt;
  return by_deadline_.begin()->first;
}

std::size_t waiter_table::waits_of_peer(peer_id peer) const {
  auto it = by_peer_.find(peer);
  return it == by_peer_.end() ? 0 : it->second.size();
}

std::size_t waiter_table::waits_of_uid(uid_t uid) const {
  auto it = per_uid_.find(uid);
  return it == per_uid_.end() ? 0 : it->second;
}

}  // namespace conduit::broker
