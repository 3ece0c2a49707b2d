// The broker's table of mailslots.
//
// A mailslot is a name, its parameters and the address of its reader's
// receiving socket. The reader makes an AF_UNIX SOCK_DGRAM socket and hands
// it over once; the broker binds it to a fresh path in a folder only the
// broker can enter (<runtime dir>/mailslots, mode 0700) and lets go of it.
// Each writer that opens the slot gets a socket of its own, made here and
// connected to that path: writers share nothing but the reader's queue, so
// no writer can end the slot or change how another's sends behave, and
// nobody but the broker can connect to the path. Like pipe_namespace this is
// bookkeeping only, driven by broker::handle.
#pragma once

#include <sys/un.h>

#include <cstdint>
#include <map>
#include <span>
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
  std::string path;                          // where the reader's receiving socket is bound
};

/// What became of a message from another machine (deliver_remote).
enum class remote_delivery {
  delivered,
  no_slot,     // no slot has that name (or its reader has just gone)
  denied,      // the slot's DACL does not let the network write
  too_large,   // over the slot's maximum message size
  queue_full,  // the reader's queue is full: try again later, or drop
};

/// What a successful open hands the writer.
struct mailslot_open_result {
  wire::reply reply;
  detail::unique_fd writer_socket;  // the writer's own, connected to the reader
};

class mailslot_namespace {
 public:
  /// Makes `<runtime_dir>/mailslots`, private to the broker, and removes
  /// sockets there no reader holds any more. False when it cannot be made
  /// private.
  bool set_up(const std::string& runtime_dir);

  /// Registers a slot. `receiving_socket` is the reader's AF_UNIX SOCK_DGRAM
  /// socket: unbound (a new slot: it is bound here) or bound in this
  /// broker's folder (a slot registering again with a restarted broker).
  /// Errors: ERROR_ALREADY_EXISTS for a name in use, ERROR_PATH_NOT_FOUND
  /// for a remote name, ERROR_INVALID_PARAMETER for any other socket,
  /// ERROR_INVALID_SECURITY_DESCR for a descriptor that does not parse. No
  /// descriptor: the creator's default (creator_default_descriptor).
  wire::reply create(const peer& owner, const wire::create_mailslot_request& request,
                     detail::unique_fd receiving_socket);
  /// Opens a slot for a writer: a fresh socket connected to the reader.
  /// Errors: ERROR_FILE_NOT_FOUND (also when the reader's socket is gone
  /// but the broker has not heard yet), ERROR_BAD_NETPATH for another
  /// machine or a domain, ERROR_ACCESS_DENIED when the slot's DACL refuses
  /// the access asked (GENERIC_WRITE for a writer).
  mailslot_open_result open(const peer& writer, const wire::open_mailslot_request& request);
  wire::reply close(const peer& owner, const wire::close_mailslot_request& request);
  /// Puts a message that came from another machine into the slot whose
  /// key (case-folded path) is `key`, if its DACL grants GENERIC_WRITE to a
  /// remote, unauthenticated writer: one that holds only NETWORK (NU) and
  /// ANONYMOUS LOGON (AN). Never waits: a full queue is queue_full. The
  /// socket it sends on is kept for the slot's next message.
  remote_delivery deliver_remote(const std::string& key, std::span<const std::byte> message);
  /// Drops every slot a peer owns (its process is gone).
  void drop_peer(peer_id id);

  [[nodiscard]] std::size_t slot_count() const { return slots_.size(); }
  [[nodiscard]] std::size_t slots_of(peer_id id) const;

 private:
  void remove(std::map<std::string, mailslot>::iterator it);
  /// Binds a new slot's socket, or accepts where an earlier broker bound it.
  bool place(int receiving_socket, std::string& path);

  std::string dir_;                                            // <runtime dir>/mailslots
  std::map<std::string, mailslot> slots_;                      // by key
  std::map<std::uint64_t, std::string> ids_;                   // slot id -> key
  std::map<peer_id, std::size_t> owned_;                       // peer -> slots it owns
  std::map<std::uint64_t, detail::unique_fd> remote_senders_;  // slot id -> connected socket
  std::uint64_t next_id_ = 1;
};

}  // namespace conduit::broker
