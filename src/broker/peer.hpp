// A process connected to the broker, as the kernel vouches for it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
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
  /// A client on another machine, for whom the SMB bridge opens
  /// (open_remote): a NETWORK logon, and an anonymous one if smbd said so.
  bool remote = false;
  bool anonymous = false;
  /// A remote client's computer name and address, as the bridge gave them.
  std::string computer_name;
  std::string address;
};

using peer_id = std::uint64_t;

struct peer {
  peer_id id = 0;
  detail::unique_fd socket;
  credentials creds;
  std::size_t charged = 0;  // descriptors charged to its uid (broker_limits.hpp)
  /// Its lanes (broker_lanes.cpp): lane index -> the lane socket's tag.
  std::map<std::uint32_t, std::uint64_t> lanes;
};

/// Quotas of one peer. Instances are counted by
/// pipe_namespace::instances_of, waits by waiter_table::waits_of_peer; the
/// mailslot and event tables keep their own (max_mailslots_per_peer,
/// max_events_per_peer). The caps per uid and for the whole broker, which
/// the descriptor limit decides, are in broker_limits.hpp.
inline constexpr std::size_t max_instances_per_peer = 16384;
inline constexpr std::size_t max_waits_per_peer = 1024;

}  // namespace conduit::broker
