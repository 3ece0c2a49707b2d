#include "broker/broker_limits.hpp"

#include <sys/resource.h>

#include <algorithm>

namespace conduit::broker {
namespace {

// The broker's own descriptors (standard streams, lock, listener, epoll,
// signalfd, the spare kept for EMFILE) and those of one request in flight
// (up to four received, an endpoint being handed over, a connection being
// accepted), with room to spare.
constexpr std::size_t fixed_headroom = 32;
// Waits cost memory, not descriptors: about 300 bytes each.
constexpr std::size_t max_waits_per_uid = 65536;
constexpr std::size_t max_waits_total = 262144;
// Beyond this the tables, not the descriptors, would be the problem.
constexpr std::size_t max_descriptors_used = std::size_t{1} << 20;

}  // namespace

std::size_t raise_descriptor_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return limit.rlim_cur == RLIM_INFINITY ? max_descriptors_used
                                         : static_cast<std::size_t>(limit.rlim_cur);
}

broker_limits derive_limits(std::size_t descriptor_limit, bool system) {
  broker_limits limits;
  limits.descriptor_limit = descriptor_limit;
  // A sixteenth of the limit is kept back besides the fixed headroom, so
  // that a broker with many peers still has descriptors to spare.
  std::size_t headroom = fixed_headroom + descriptor_limit / 16;
  limits.descriptors_total =
      std::min(descriptor_limit > headroom ? descriptor_limit - headroom : 0, max_descriptors_used);
  // Shared by all users, no uid may take more than a quarter, so that it
  // takes several uids acting together to fill the broker (root included:
  // root's processes need no more than anyone's, and a runaway root
  // service must not lock every user out).
  limits.descriptors_per_uid = system ? limits.descriptors_total / 4 : limits.descriptors_total;
  limits.waits_total = max_waits_total;
  limits.waits_per_uid = system ? max_waits_per_uid : max_waits_total;
  return limits;
}

broker_limits apply_settings(broker_limits limits, const limit_settings& settings) {
  auto lower = [](std::size_t& cap, const std::optional<std::size_t>& setting) {
    if (setting) cap = std::min(cap, *setting);
  };
  lower(limits.descriptors_total, settings.descriptors_total);
  lower(limits.descriptors_per_uid, settings.descriptors_per_uid);
  lower(limits.waits_total, settings.waits_total);
  lower(limits.waits_per_uid, settings.waits_per_uid);
  limits.descriptors_per_uid = std::min(limits.descriptors_per_uid, limits.descriptors_total);
  limits.waits_per_uid = std::min(limits.waits_per_uid, limits.waits_total);
  return limits;
}

}  // namespace conduit::broker
