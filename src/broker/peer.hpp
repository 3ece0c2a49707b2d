// A process connected to the broker, as the kernel vouches for it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <vector>

#include "core/unique_fd.hpp"
#include "core/wire.hpp"

namespace conduit::broker {

namespace wire = detail::wire;

/// Credentials read once at accept (SO_PEERCRED, SO_PEERGROUPS): the peer
/// cannot change what the broker believes about it afterwards.
struct credentials {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
};

using peer_id = std::uint64_t;

struct peer {
  peer_id id = 0;
  detail::unique_fd socket;
  credentials creds;
  std::size_t waits = 0;  // counted against max_waits_per_peer
};

/// Quotas that keep one peer from exhausting the broker. Instances are
/// counted by pipe_namespace::instances_of, waits in peer::waits; the
/// mailslot and event tables keep their own (max_mailslots_per_peer,
/// max_events_per_peer).
inline constexpr std::size_t max_instances_per_peer = 16384;
inline constexpr std::size_t max_waits_per_peer = 1024;

}  // namespace conduit::broker
