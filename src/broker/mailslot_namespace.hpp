// The broker's table of mailslots.
//
// A mailslot is a name, its parameters and the socket writers send on: the
// reader made a SOCK_SEQPACKET socket pair, kept the receiving end and handed
// the other here. Every writer gets a duplicate of that one sending end, so
// all writers' messages meet in one kernel queue, in arrival order. Like
// pipe_namespace this is bookkeeping only, driven by broker::handle.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "broker/object_security.hpp"
#include "broker/peer.hpp"
#include "core/unique_fd.hpp"
#include "core/wire.hpp"

namespace conduit::broker {

/// Most mailslots one peer may have at once.
inline constexpr std::size_t max_mailslots_per_peer = 16384;

struct mailslot {
  std::uint64_t id = 0;
  std::string name;  // as the reader spelt it
  std::string key;   // case-folded
  peer_id owner = 0;
  pid_t owner_pid = 0;
  std::uint32_t max_message_size = 0;
  security::security_descriptor descriptor;  // checked at every writer's open
  detail::unique_fd sending_end;
};

/// What a successful open hands the writer.
struct mailslot_open_result {
  wire::reply reply;
  int sending_end = -1;  // still owned by the slot
};

class mailslot_namespace {
 public:
  /// Registers a slot. Errors: ERROR_ALREADY_EXISTS for a name in use,
  /// ERROR_PATH_NOT_FOUND for a remote name, ERROR_INVALID_PARAMETER when
  /// `sending_end` is not an AF_UNIX SOCK_SEQPACKET socket,
  /// ERROR_INVALID_SECURITY_DESCR for a descriptor that does not parse. No
  /// descriptor: the creator's default (creator_default_descriptor).
  wire::reply create(const peer& owner, const wire::create_mailslot_request& request,
                     detail::unique_fd sending_end);
  /// Finds a slot for a writer. Errors: ERROR_FILE_NOT_FOUND (also when the
  /// reader's end is gone but the broker has not heard yet),
  /// ERROR_BAD_NETPATH for another machine or a domain, ERROR_ACCESS_DENIED
  /// when the slot's DACL refuses the access asked (GENERIC_WRITE for a
  /// writer).
  mailslot_open_result open(const peer& writer, const wire::open_mailslot_request& request);
  wire::reply close(const peer& owner, const wire::close_mailslot_request& request);
  /// Drops every slot a peer owns (its process is gone).
  void drop_peer(peer_id id);

  [[nodiscard]] std::size_t slot_count() const { return slots_.size(); }
  [[nodiscard]] std::size_t slots_of(peer_id id) const;

 private:
  void remove(std::map<std::string, mailslot>::iterator it);

  std::map<std::string, mailslot> slots_;     // by key
  std::map<std::uint64_t, std::string> ids_;  // slot id -> key
  std::map<peer_id, std::size_t> owned_;      // peer -> slots it owns
  std::uint64_t next_id_ = 1;
};

}  // namespace conduit::broker
