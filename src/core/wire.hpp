// The broker protocol: message layout, encoding and validated decoding.
//
// Every message is one SOCK_SEQPACKET packet: a 16-byte header, then fields
// in order (integers little-endian, strings as a u16 byte count and UTF-8).
// docs/broker-protocol.md describes each message. The decoder checks every
// size before it reads and rejects anything left over.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <variant>
#include <vector>

namespace conduit::detail::wire {

inline constexpr std::uint32_t magic = 0x54444E43;  // "CNDT"
inline constexpr std::uint16_t protocol_version = 3;
inline constexpr std::size_t header_size = 16;
inline constexpr std::size_t max_message_size = 8192;
inline constexpr std::size_t max_string_bytes = 4096;

enum class message_type : std::uint16_t {
  create_instance = 1,  // fds: instance page, then (if listening) endpoint
  listen = 2,           // fds: endpoint
  close_instance = 3,
  open = 4,
  wait = 5,
  query = 6,
  list = 7,
  create_mailslot = 8,  // fds: the slot's sending end
  open_mailslot = 9,
  close_mailslot = 10,
  create_event = 11,  // fds: the event's eventfd
  open_event = 12,
  close_event = 13,
  get_security = 14,
  set_security = 15,
  list_pipes = 16,
  create_sync_object = 20,  // fds: the mutex's or semaphore's eventfd
  open_sync_object = 21,
  mutex_owner = 22,  // never answered
  open_remote = 30,  // the SMB bridge opens for a remote client (root only)
  attach_lane = 32,  // fds: the broker's end of a new lane (a SOCK_SEQPACKET socket)
  reply = 0x8000,    // fds on an open reply: endpoint, instance page; on an
                     // open_mailslot reply: the slot's sending end; on an
                     // open_event reply, or a create_event one that found the
                     // name taken: the event's eventfd; likewise for the
                     // sync object requests
};

/// Event flags: in a create_event request (manual reset only) and in the
/// open_mode of an event reply.
inline constexpr std::uint32_t event_manual_reset = 1;
inline constexpr std::uint32_t event_existed = 2;  // replies only: the name was taken
/// EVENT_ALL_ACCESS: what CreateEvent asks of an event that exists.
inline constexpr std::uint32_t event_all_access = 0x001F0003;

struct header {
  std::uint32_t magic = wire::magic;
  std::uint16_t version = protocol_version;
  std::uint16_t type = 0;
  std::uint32_t length = 0;
  std::uint32_t request_id = 0;
};

/// A server registers a new instance of a pipe (creating the pipe if needed).
struct create_instance_request {
  std::string name;  // full name, `\\.\pipe\x`
  std::uint32_t open_mode = 0;
  std::uint32_t pipe_mode = 0;
  std::uint32_t max_instances = 0;
  std::uint32_t out_buffer = 0;
  std::uint32_t in_buffer = 0;
  std::uint32_t default_timeout_ms = 0;
  std::uint32_t serial = 0;  // connection serial the next client will carry
  std::string security_descriptor;
};

/// An instance starts listening again (after a disconnect), with a fresh endpoint.
struct listen_request {
  std::uint64_t instance_id = 0;
  std::uint32_t serial = 0;
};

struct close_instance_request {
  std::uint64_t instance_id = 0;
};

/// A client opens a pipe.
struct open_request {
  std::string name;
  std::uint32_t desired_access = 0;  // CreateFile's dwDesiredAccess (a Win32 access mask)
  std::uint32_t sqos_flags = 0;      // SECURITY_SQOS_PRESENT and level bits
};

/// WaitNamedPipe.
struct wait_request {
  std::string name;
  std::uint32_t timeout_ms = 0;
};

/// Counts and parameters of one pipe.
struct query_request {
  std::string name;
};

/// Every pipe name this caller may see.
struct list_request {};

/// A reader creates a mailslot and hands over the end writers send on.
struct create_mailslot_request {
  std::string name;                    // full name, `\\.\mailslot\x`
  std::uint32_t max_message_size = 0;  // 0: any size
  std::string security_descriptor;
};

/// A writer opens a mailslot; the reply carries the sending end.
struct open_mailslot_request {
  std::string name;
  std::uint32_t desired_access = 0;  // want_read | want_write
};

struct close_mailslot_request {
  std::uint64_t slot_id = 0;
};

/// A process creates a named event with its eventfd, or opens the event
/// that already has the name (the reply then carries that event's eventfd).
struct create_event_request {
  std::string name;         // as CreateEvent was given it
  std::uint32_t flags = 0;  // event_manual_reset
  /// What is asked of an event that exists already: EVENT_ALL_ACCESS for
  /// CreateEvent, CreateEventEx's dwDesiredAccess.
  std::uint32_t desired_access = event_all_access;
  std::string security_descriptor;  // SDDL for a new event; empty: the default
};

/// A process opens an existing named event; the reply carries its eventfd.
struct open_event_request {
  std::string name;
  std::uint32_t desired_access = event_all_access;  // OpenEvent's dwDesiredAccess
};

/// The process's last handle to a named event has closed.
struct close_event_request {
  std::uint64_t event_id = 0;
};

/// The kinds of named objects that share the events' namespace (kernel
/// objects in Windows's BaseNamedObjects). Events use their own requests.
inline constexpr std::uint32_t sync_kind_mutex = 1;
inline constexpr std::uint32_t sync_kind_semaphore = 2;
/// Most a semaphore may count to (a LONG, as on Windows).
inline constexpr std::uint32_t max_semaphore_count = 0x7FFFFFFF;

/// A process creates a named mutex or semaphore with its eventfd (a mutex's
/// counts 1 while free; a semaphore's is in semaphore mode and counts its
/// count), or opens the object that already has the name (the reply then
/// carries that object's eventfd, and for a semaphore its maximum in
/// max_instances). Closed with close_event.
struct create_sync_object_request {
  std::string name;
  std::uint32_t kind = 0;     // sync_kind_*
  std::uint32_t maximum = 0;  // semaphores: 1..max_semaphore_count; mutexes: 0
  /// What is asked of an object that exists already (MUTEX_ALL_ACCESS,
  /// SEMAPHORE_ALL_ACCESS, or CreateMutexEx's dwDesiredAccess).
  std::uint32_t desired_access = 0;
  std::string security_descriptor;  // SDDL for a new object; empty: the default
};

/// OpenMutex, OpenSemaphore: the reply carries the object's eventfd (and a
/// semaphore's maximum in max_instances).
struct open_sync_object_request {
  std::string name;
  std::uint32_t kind = 0;
  std::uint32_t desired_access = 0;
};

/// A thread of the process has taken (`owned` 1) or let go of (0) the
/// named mutex it holds as `event_id`, so that the broker can abandon the
/// mutex if the process ends without letting go (killed outright). Sent
/// without waiting and never answered: it costs the taker no round trip.
struct mutex_owner_request {
  std::uint64_t event_id = 0;
  std::uint32_t owned = 0;  // 1 taken, 0 let go
};

/// Security information bits (OWNER_, GROUP_, DACL_SECURITY_INFORMATION).
inline constexpr std::uint32_t owner_security_information = 0x1;
inline constexpr std::uint32_t group_security_information = 0x2;
inline constexpr std::uint32_t dacl_security_information = 0x4;
inline constexpr std::uint32_t known_security_information =
    owner_security_information | group_security_information | dacl_security_information;

/// GetSecurityInfo on a pipe handle: the server end names its instance (it
/// owns it); a client end names the pipe and is checked for READ_CONTROL.
/// The reply carries the parts asked for, as SDDL, in names[0].
struct get_security_request {
  std::string name;               // the pipe's full name
  std::uint64_t instance_id = 0;  // the caller's own instance, or 0
  std::uint32_t information = 0;  // *_security_information
};

/// SetSecurityInfo on a pipe handle: replaces the parts named in
/// `information` with those of `security_descriptor` (SDDL).
struct set_security_request {
  std::string name;
  std::uint64_t instance_id = 0;
  std::uint32_t information = 0;
  std::string security_descriptor;
};

/// Listing flags: in a list_pipes request.
inline constexpr std::uint32_t list_exact = 1;  // only the pipe named `start`
inline constexpr std::uint32_t known_list_flags = list_exact;

/// Every pipe with its counts (FindFirstFile on `\\.\pipe\*`, `conduit
/// list`), one reply packet at a time: the pipes whose case-folded names
/// follow `start`'s (all of them for an empty `start`), or with list_exact
/// only the pipe `start` names.
struct list_pipes_request {
  std::string start;  // a full pipe name, or empty
  std::uint32_t flags = 0;
};

/// One server process of a listed pipe.
struct listed_server {
  std::uint32_t pid = 0;
  std::uint32_t uid = 0;
};

/// One pipe in a list_pipes reply. Names and counts are anyone's to see (as
/// a directory listing of `\\.\pipe\` on Windows); the rest only those
/// who could query the pipe see, and is 0 otherwise.
struct listed_pipe {
  static constexpr std::uint32_t details_visible = 1;
  static constexpr std::size_t max_servers = 32;  // more are counted, not listed
  std::string name;                               // as the first instance spelt it
  std::uint32_t flags = 0;                        // details_visible
  std::uint32_t max_instances = 0;
  std::uint32_t cur_instances = 0;
  std::uint32_t listening = 0;  // instances waiting for a client
  std::uint32_t open_mode = 0;
  std::uint32_t pipe_mode = 0;
  std::uint32_t out_buffer = 0;
  std::uint32_t in_buffer = 0;
  std::uint32_t default_timeout_ms = 0;
  std::uint32_t owner_uid = 0;
  std::uint32_t server_count = 0;      // distinct server processes, listed or not
  std::vector<listed_server> servers;  // at most max_servers
};

/// The listing part of a reply to list_pipes.
struct pipe_listing {
  bool more = false;  // further pipes follow the last one here
  std::vector<listed_pipe> pipes;
};

/// Flags of an open_remote request.
inline constexpr std::uint32_t remote_anonymous = 1;  // an anonymous (or guest) SMB session
inline constexpr std::uint32_t known_remote_flags = remote_anonymous;

/// The SMB bridge (docs/remote-pipes.md) opens a pipe for a client on
/// another machine, with that client's Unix identity as smbd vouched for it.
/// Only root may ask; the reply is an open's, with the same descriptors.
/// The broker checks the descriptor against this identity as a NETWORK
/// logon (S-1-5-2), refuses a pipe made with PIPE_REJECT_REMOTE_CLIENTS,
/// and writes the identity into the connect record the server reads.
struct open_remote_request {
  std::string name;
  std::uint32_t desired_access = 0;
  std::uint32_t sqos_flags = 0;
  std::uint32_t client_pid = 0;  // the smbd process that serves the client
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::vector<std::uint32_t> groups;  // at most connect_record::max_groups (64)
  std::uint32_t flags = 0;            // remote_anonymous
  /// The client's computer as smbd heard it (core/remote_client.hpp says
  /// what passes): its name, empty when unknown, and its address.
  std::string computer_name;
  std::string client_address;
};

/// A peer gives the broker one more connection of its own, a lane, for
/// the CPU it names: the broker serves it from a thread on that CPU, and
/// takes only `open` and `listen` on it, as from the peer itself
/// (docs/broker-protocol.md#lanes).
struct attach_lane_request {
  std::uint32_t cpu = 0;  // the CPU the peer's thread runs on (sched_getcpu)
};

using request = std::variant<
    create_instance_request, listen_request, close_instance_request, open_request, wait_request,
    query_request, list_request, create_mailslot_request, open_mailslot_request,
    close_mailslot_request, create_event_request, open_event_request, close_event_request,
    get_security_request, set_security_request, list_pipes_request, create_sync_object_request,
    open_sync_object_request, mutex_owner_request, open_remote_request, attach_lane_request>;

/// The one reply shape; which fields mean something depends on the request.
/// Mailslot replies use instance_id for the slot id, server_pid for the
/// reader's pid and in_buffer for the maximum message size (what the slot
/// takes in). Event replies use instance_id for the event id and open_mode
/// for the event flags; sync object replies likewise, with a semaphore's
/// maximum in max_instances.
struct reply {
  std::uint32_t error = 0;  // Win32 error number, 0 on success
  std::uint64_t instance_id = 0;
  std::uint32_t server_pid = 0;
  std::uint32_t open_mode = 0;
  std::uint32_t pipe_mode = 0;
  std::uint32_t max_instances = 0;
  std::uint32_t cur_instances = 0;
  std::uint32_t out_buffer = 0;
  std::uint32_t in_buffer = 0;
  std::uint32_t default_timeout_ms = 0;
  std::uint32_t serial = 0;
  std::vector<std::string> names;  // list replies
  /// list_pipes replies only; encoded after the names, and only there.
  std::optional<pipe_listing> listing;
};

/// Encodes a request with its header.
[[nodiscard]] std::vector<std::byte> encode(const request& r, std::uint32_t request_id);
[[nodiscard]] std::vector<std::byte> encode(const reply& r, std::uint32_t request_id);

/// Decodes the header of any message; checks magic, version and length.
[[nodiscard]] std::error_code decode_header(std::span<const std::byte> packet, header& out);

/// Decodes a whole request packet (header included). Errors: EBADMSG for
/// anything malformed, EPROTONOSUPPORT for another protocol version.
[[nodiscard]] std::error_code decode_request(std::span<const std::byte> packet, header& h,
                                             request& out);
[[nodiscard]] std::error_code decode_reply(std::span<const std::byte> packet, header& h,
                                           reply& out);

/// The descriptors a request of this type must carry.
[[nodiscard]] std::size_t fds_expected(const request& r);

/// What the broker writes into a server's endpoint when a client connects:
/// the first bytes the server reads from a new connection.
struct connect_record {
  static constexpr std::uint32_t record_magic = 0x52434E43;  // "CNCR"
  static constexpr std::size_t fixed_size = 40;
  static constexpr std::size_t max_groups = 64;
  static constexpr std::size_t max_computer_name = 255;  // a DNS name's longest
  static constexpr std::size_t max_client_address = 45;  // INET6_ADDRSTRLEN - 1
  /// The strings after the groups: each behind its 2-byte length, then
  /// zeros to a multiple of 4 bytes.
  static constexpr std::size_t min_tail = 4;
  static constexpr std::size_t max_tail = (4 + max_computer_name + max_client_address + 3) / 4 * 4;
  static constexpr std::size_t max_size = fixed_size + 4 * max_groups + max_tail;
  std::uint32_t client_pid = 0;
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::uint32_t desired_access = 0;
  std::uint32_t sqos_flags = 0;
  std::uint32_t session_id = 0;
  std::uint32_t serial = 0;
  std::vector<std::uint32_t> groups;
  /// A remote client's computer name and address (open_remote); empty for
  /// a local client.
  std::string computer_name;
  std::string client_address;
};

[[nodiscard]] std::vector<std::byte> encode(const connect_record& r);
/// Size of the record whose first 8 bytes are `prefix`, or 0 if they are not one.
[[nodiscard]] std::size_t connect_record_size(std::span<const std::byte> prefix);
[[nodiscard]] std::error_code decode_connect_record(std::span<const std::byte> bytes,
                                                    connect_record& out);

}  // namespace conduit::detail::wire
