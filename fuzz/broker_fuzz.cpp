// libFuzzer target: the broker's request handling, in process, without sockets.
//
// An input is a script of requests from four fake peers against one
// pipe_namespace (src/broker/pipe_namespace.cpp) and one event_namespace
// (src/broker/event_namespace.cpp), the tables conduitd keeps. Each step is
//
//   u8 control   bits 0-1: which peer; bits 2-3: the page descriptor of a
//                create (0 a sealed instance page, 1 none, 2 a pipe, 3 an
//                unsealed memfd), or the descriptor of a create_event (0 a
//                non-blocking eventfd, 1 none, 2 a pipe, 3 a blocking
//                eventfd); bit 4: an endpoint rides along (create,
//                listen); bit 5: its server end is closed at once (a dead
//                server)
//   u8 type      a request type (wire.hpp), or 0xF0: the peer goes away,
//                0xF1: the server end of instance number body[0] is closed
//   u16 length   then that many body bytes (what follows the header)
//
// The driver puts a correct header in front of the body, decodes it with
// wire::decode_request and hands what decodes to the namespace the way
// broker::handle does. A model kept here checks the rules the broker stands
// for, and the target aborts when one breaks:
//   - an instance is only ever created with a safe (sealed) page, and a
//     client only ever gets a safe page;
//   - only its owner can make an instance listen or close it; an instance
//     vanishes only through its owner (close, going away) or because its
//     server end is gone when a client comes;
//   - a client gets the instance that has listened longest, and a busy
//     answer only when none listens; the connect record the server reads
//     decodes and carries the client's identity and the instance's serial;
//   - every reply fits in one packet and decodes again to the same fields;
//   - a named event is created only with a good name and a non-blocking
//     eventfd; whoever creates or opens an existing name gets that event's
//     id, reset kind and eventfd (the same counter); only a holder lets go,
//     and the name goes with its last holder (close or going away);
//   - a mutex a peer holds and has noted as owned (mutex_owner) is
//     abandoned when the peer goes: its counter gets exactly 2; no other
//     object's counter is touched, and no note is answered;
//   - the peers are different users (uids 1000, 1001, root and 1003, with
//     a shared and a group of their own): a peer only ever adds an instance
//     to a pipe whose descriptor grants it FILE_CREATE_PIPE_INSTANCE, opens
//     a pipe or takes an existing event whose descriptor grants what it
//     asked, and only with access bits that exist; a refused open takes no
//     instance (the order check above sees it).
//
// Build and run: scripts/fuzz.sh [SECONDS].
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <span>
#include <variant>
#include <vector>

#include "broker/event_namespace.hpp"
#include "broker/pipe_namespace.hpp"
#include "conduit/error.hpp"
#include "core/client_computer.hpp"
#include "core/event_name.hpp"
#include "core/instance_page.hpp"
#include "core/object_name.hpp"
#include "core/pipe_flags.hpp"
#include "fuzz_support.hpp"
#include "security/access_check.hpp"

namespace broker = conduit::broker;
namespace security = conduit::detail::security;
namespace wire = conduit::detail::wire;
using conduit::detail::unique_fd;

using conduit::fuzz::require;
using conduit::fuzz::sealed_page;

namespace {

constexpr std::size_t peer_count = 4;
constexpr std::size_t max_steps = 128;  // bounds the descriptors one input may hold
constexpr std::uint8_t op_drop_peer = 0xF0;
constexpr std::uint8_t op_kill_server_end = 0xF1;

unique_fd make_page(int kind) {
  switch (kind) {
    case 0:
      return unique_fd(::fcntl(sealed_page(), F_DUPFD_CLOEXEC, 0));
    case 2: {
      int p[2];
      if (::pipe2(p, O_CLOEXEC) != 0) return {};
      ::close(p[1]);
      return unique_fd(p[0]);
    }
    case 3: {
      unique_fd fd(::memfd_create("fuzz-unsealed", MFD_CLOEXEC | MFD_ALLOW_SEALING));
      if (fd && ::ftruncate(fd.get(), conduit::detail::instance_page_size) != 0) return {};
      return fd;
    }
    default:
      return {};
  }
}

unique_fd make_event_fd(int kind) {
  switch (kind) {
    case 0:
      return unique_fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    case 2:
      return make_page(2);
    case 3:
      return unique_fd(::eventfd(0, EFD_CLOEXEC));
    default:
      return {};
  }
}

// Whether two descriptors share one event counter: what one adds, the
// other takes.
bool same_counter(int a, int b) {
  std::uint64_t one = 1, count = 0;
  return ::write(a, &one, sizeof(one)) == sizeof(one) &&
         ::read(b, &count, sizeof(count)) == sizeof(count) && count == 1;
}

struct model_event {
  std::uint64_t id = 0;
  std::uint32_t kind = 0;  // 0 an event, else wire::sync_kind_*
  std::uint32_t maximum = 0;
  bool manual_reset = false;
  unique_fd counter;  // a duplicate of the creator's eventfd
  std::set<broker::peer_id> holders;
  std::map<broker::peer_id, std::uint32_t> owners;  // a mutex's owner notes
};

// Takes what an event counter holds (0 if nothing).
std::uint64_t take_count(int fd) {
  std::uint64_t count = 0;
  return ::read(fd, &count, sizeof(count)) == sizeof(count) ? count : 0;
}

struct model_instance {
  broker::peer_id owner = 0;
  std::string key;
  unique_fd server_end;          // our side of the endpoint the broker holds
  std::uint64_t listen_seq = 0;  // 0 = not listening
  std::uint32_t serial = 0;
};

class driver {
 public:
  driver() {
    for (std::size_t i = 0; i < peer_count; ++i) {
      peers_[i].id = 2 + i;
      // Every fake peer is this process: the connect record's session id
      // comes from getsid() on the peer's pid.
      peers_[i].creds.pid = ::getpid();
      peers_[i].creds.uid = i == 2 ? 0 : 1000 + static_cast<uid_t>(i);
      peers_[i].creds.gid = 100;
      peers_[i].creds.groups = {100, static_cast<gid_t>(200 + i)};
    }
  }

  void step(std::uint8_t control, std::uint8_t type, std::span<const std::byte> body) {
    broker::peer& p = peers_[control & 3];
    if (type == op_drop_peer) {
      std::map<std::string, std::uint64_t> before;
      for (auto& [key, e] : event_model_) before[key] = take_count(e.counter.get());
      pipes_.drop_peer(p.id);
      events_.drop_peer(p.id);
      for (auto& [key, e] : event_model_) {
        bool abandoned = e.holders.contains(p.id) && e.owners.contains(p.id);
        require(take_count(e.counter.get()) == (abandoned ? 2 : 0),
                "a peer's going touched a counter it should not have, or left one owned");
        std::uint64_t restore = before[key];
        if (restore) (void)!::write(e.counter.get(), &restore, sizeof(restore));
      }
      for (auto it = event_model_.begin(); it != event_model_.end();) {
        it->second.owners.erase(p.id);
        it->second.holders.erase(p.id);
        it = it->second.holders.empty() ? event_model_.erase(it) : std::next(it);
      }
      for (auto& [id, m] : model_)
        if (m.owner == p.id) vanish_ok_.push_back(id);
      check_vanished();
      return;
    }
    if (type == op_kill_server_end) {
      if (model_.empty() || body.empty()) return;
      auto it = model_.begin();
      std::advance(it, std::to_integer<std::size_t>(body[0]) % model_.size());
      it->second.server_end.reset();
      return;
    }
    std::vector<std::byte> packet = frame(type, body);
    wire::header h;
    wire::request request;
    if (wire::decode_request(packet, h, request)) return;  // the broker drops the peer
    std::visit([&](const auto& r) { handle(p, control, r); }, request);
    check_vanished();
  }

 private:
  static std::vector<std::byte> frame(std::uint8_t type, std::span<const std::byte> body) {
    std::vector<std::byte> packet(wire::header_size);
    auto put = [&](std::size_t at, std::uint32_t v, int bytes) {
      for (int i = 0; i < bytes; ++i)
        packet[at + i] = static_cast<std::byte>((v >> (8 * i)) & 0xFF);
    };
    put(0, wire::magic, 4);
    put(4, wire::protocol_version, 2);
    put(6, type, 2);
    put(8, static_cast<std::uint32_t>(wire::header_size + body.size()), 4);
    put(12, 7, 4);
    packet.insert(packet.end(), body.begin(), body.end());
    return packet;
  }

  // Whether `sd` grants `p` every right in `desired`.
  static bool grants(const security::security_descriptor* sd, const broker::peer& p,
                     std::uint32_t desired, const security::generic_mapping& mapping) {
    std::uint32_t granted = 0;
    return sd &&
           !security::access_check(*sd, broker::identity_of(p.creds), desired, mapping, granted);
  }

  static void check_reply(const wire::reply& r) {
    auto bytes = wire::encode(r, 7);
    require(bytes.size() <= wire::max_message_size, "reply larger than a packet");
    wire::header h;
    wire::reply back;
    require(!wire::decode_reply(bytes, h, back), "reply does not decode");
    require(back.error == r.error && back.instance_id == r.instance_id && back.names == r.names,
            "reply does not round-trip");
  }

  // An endpoint the broker holds and the server end we keep, or none.
  static std::pair<unique_fd, unique_fd> make_endpoint(std::uint8_t control) {
    if (!(control & 0x10)) return {};
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) return {};
    unique_fd server(pair[0]), endpoint(pair[1]);
    if (control & 0x20) server.reset();
    return {std::move(endpoint), std::move(server)};
  }

  void handle(broker::peer& p, std::uint8_t control, const wire::create_instance_request& r) {
    int page_kind = (control >> 2) & 3;
    auto [endpoint, server] = make_endpoint(control);
    bool listening = static_cast<bool>(endpoint);
    conduit::detail::object_name parsed;
    const security::security_descriptor* existing =
        conduit::detail::parse_object_name(r.name, conduit::detail::object_kind::pipe, parsed)
            ? nullptr
            : pipes_.descriptor_of(parsed.key);
    bool may_join = grants(existing, p, security::rights::file_create_pipe_instance,
                           security::file_generic_mapping);
    wire::reply reply = pipes_.create_instance(p, r, make_page(page_kind), std::move(endpoint));
    check_reply(reply);
    if (reply.error != 0) {
      require(reply.instance_id == 0, "failed create with an instance id");
      return;
    }
    require(page_kind == 0, "instance created with an unsafe page");
    require(!existing || may_join, "joined a pipe whose descriptor refuses it");
    require(reply.instance_id != 0 && !model_.count(reply.instance_id), "instance id reused");
    require(reply.max_instances >= 1 && reply.max_instances <= 255, "max instances out of range");
    require(reply.cur_instances >= 1 &&
                (reply.max_instances == 255 || reply.cur_instances <= reply.max_instances),
            "more instances than allowed");
    std::string key = pipes_.key_of_instance(reply.instance_id);
    conduit::detail::object_name name;
    require(!conduit::detail::parse_object_name(r.name, conduit::detail::object_kind::pipe, name) &&
                name.local && name.key == key,
            "instance filed under another name");
    model_instance& m = model_[reply.instance_id];
    m.owner = p.id;
    m.key = key;
    m.server_end = std::move(server);
    m.serial = r.serial;
    m.listen_seq = listening ? ++listen_clock_ : 0;
  }

  void handle(broker::peer& p, std::uint8_t control, const wire::listen_request& r) {
    auto [endpoint, server] = make_endpoint(control);
    bool has_endpoint = static_cast<bool>(endpoint);
    wire::reply reply = pipes_.listen(p, r, std::move(endpoint));
    check_reply(reply);
    auto it = model_.find(r.instance_id);
    if (it == model_.end() || it->second.owner != p.id) {
      require(reply.error == static_cast<std::uint32_t>(conduit::errc::invalid_handle),
              "listen on someone else's instance");
      return;
    }
    if (!has_endpoint) {
      require(reply.error == static_cast<std::uint32_t>(conduit::errc::invalid_parameter),
              "listen without an endpoint");
      return;
    }
    require(reply.error == 0, "owner's listen refused");
    it->second.server_end = std::move(server);
    it->second.serial = r.serial;
    it->second.listen_seq = ++listen_clock_;
  }

  void handle(broker::peer& p, std::uint8_t, const wire::close_instance_request& r) {
    wire::reply reply = pipes_.close_instance(p, r);
    check_reply(reply);
    auto it = model_.find(r.instance_id);
    bool owned = it != model_.end() && it->second.owner == p.id;
    require((reply.error == 0) == owned, "close by someone other than the owner");
    if (owned) vanish_ok_.push_back(r.instance_id);
  }

  void handle(broker::peer& p, std::uint8_t, const wire::open_request& r) {
    // Dead servers met on the way are dropped: that is allowed here.
    for (auto& [id, m] : model_)
      if (!m.server_end) vanish_ok_.push_back(id);
    broker::open_result result = pipes_.open(p, r);
    // The remote bit is the broker's to set (open_remote only).
    check_open(p, r, r.sqos_flags & ~conduit::detail::sqos_remote_client, result);
  }

  // Only root speaks for a remote client, with a computer name and address
  // the broker accepts; the server then reads them in its connect record.
  void handle(broker::peer& p, std::uint8_t, const wire::open_remote_request& r) {
    for (auto& [id, m] : model_)
      if (!m.server_end) vanish_ok_.push_back(id);
    broker::open_result result = pipes_.open_remote(p, r);
    if (p.creds.uid != 0) {
      require(result.reply.error == static_cast<std::uint32_t>(conduit::errc::access_denied),
              "open_remote from a peer that is not root");
      return;
    }
    if (!conduit::detail::valid_computer_name(r.computer_name) ||
        !conduit::detail::valid_client_address(r.client_address) ||
        (r.flags & ~wire::known_remote_flags)) {
      require(result.reply.error == static_cast<std::uint32_t>(conduit::errc::invalid_parameter),
              "open_remote with a bad field");
      return;
    }
    broker::peer remote;
    remote.creds.pid = static_cast<pid_t>(r.client_pid);
    remote.creds.uid = r.uid;
    remote.creds.gid = r.gid;
    remote.creds.groups.assign(r.groups.begin(), r.groups.end());
    remote.creds.remote = true;
    remote.creds.anonymous = (r.flags & wire::remote_anonymous) != 0;
    remote.creds.computer_name = r.computer_name;
    remote.creds.address = r.client_address;
    check_open(remote, wire::open_request{r.name, r.desired_access, r.sqos_flags},
               r.sqos_flags | conduit::detail::sqos_remote_client, result);
  }

  // What any open's result must be, for the client `p` (whose connect
  // record then carries `sqos`).
  void check_open(const broker::peer& p, const wire::open_request& r, std::uint32_t sqos,
                  broker::open_result& result) {
    check_reply(result.reply);
    conduit::detail::object_name name;
    bool parsed =
        !conduit::detail::parse_object_name(r.name, conduit::detail::object_kind::pipe, name);
    if (result.reply.error != 0) {
      require(!result.endpoint && result.page == -1, "failed open hands out descriptors");
      if (result.reply.error == static_cast<std::uint32_t>(conduit::errc::pipe_busy)) {
        require(parsed && !pipes_.has_listener(name.key), "busy while an instance listens");
        for (const auto& [id, m] : model_)
          require(m.key != name.key || m.listen_seq == 0 || !m.server_end,
                  "busy while a live instance listens");
      }
      return;
    }
    require(parsed && name.local, "open of a bad name succeeded");
    require(grants(pipes_.descriptor_of(name.key), p, broker::file_open_desired(r.desired_access),
                   security::file_generic_mapping),
            "opened a pipe whose descriptor refuses it");
    require(result.endpoint && result.page >= 0, "open without descriptors");
    require(conduit::detail::instance_page_is_safe(result.page), "client handed an unsafe page");
    require(result.reply.server_pid == static_cast<std::uint32_t>(::getpid()), "server pid");
    auto it = model_.find(result.reply.instance_id);
    require(it != model_.end(), "open of an unknown instance");
    model_instance& chosen = it->second;
    require(chosen.key == name.key, "open of another pipe's instance");
    require(chosen.listen_seq != 0 && chosen.server_end,
            "open of an instance that is not listening");
    require(result.reply.serial == chosen.serial, "serial");
    for (const auto& [id, m] : model_)
      if (id != it->first && m.key == chosen.key && m.listen_seq != 0 && m.server_end)
        require(m.listen_seq > chosen.listen_seq, "a newer instance served before an older one");
    chosen.listen_seq = 0;
    // The server's first bytes: the connect record, whole.
    std::array<std::byte, wire::connect_record::max_size> buf;
    ssize_t n = ::recv(chosen.server_end.get(), buf.data(), buf.size(), MSG_DONTWAIT);
    require(n > 0, "no connect record");
    wire::connect_record record;
    require(!wire::decode_connect_record(std::span(buf).first(static_cast<std::size_t>(n)), record),
            "connect record does not decode");
    require(record.client_pid == static_cast<std::uint32_t>(p.creds.pid) &&
                record.uid == p.creds.uid && record.gid == p.creds.gid &&
                record.groups.size() == p.creds.groups.size() &&
                record.desired_access == r.desired_access && record.sqos_flags == sqos &&
                record.computer_name == p.creds.computer_name &&
                record.client_address == p.creds.address && record.serial == chosen.serial,
            "connect record does not match the client");
  }

  void handle(broker::peer&, std::uint8_t, const wire::wait_request& r) {
    bool must_wait = true;
    std::uint32_t timeout = 0;
    std::string key;
    wire::reply reply = pipes_.wait(r, must_wait, timeout, key);
    check_reply(reply);
    if (must_wait) {
      require(reply.error == 0 && !key.empty() && !pipes_.has_listener(key), "wait without cause");
      require(timeout != 0, "a wait that ends at once");
    }
  }

  void handle(broker::peer& p, std::uint8_t, const wire::query_request& r) {
    wire::reply reply = pipes_.query(p, r);
    check_reply(reply);
    if (reply.error == 0)
      require(reply.cur_instances >= 1 &&
                  (reply.max_instances == 255 || reply.cur_instances <= reply.max_instances),
              "query counts");
  }

  void handle(broker::peer&, std::uint8_t, const wire::list_request&) {
    wire::reply reply = pipes_.list();
    check_reply(reply);
    require(reply.names.size() <= pipes_.pipe_count(), "list shows more pipes than exist");
  }

  // A listing: real pipes only, in key order, counts that add up, details
  // only to those the descriptor would let open the pipe, and the model's
  // own instances in the counts.
  void handle(broker::peer& p, std::uint8_t, const wire::list_pipes_request& r) {
    wire::reply reply = pipes_.list_pipes(p, r);
    check_reply(reply);
    if (reply.error != 0) {
      require(!reply.listing, "a refused listing lists");
      return;
    }
    require(reply.listing.has_value(), "a listing without its pipes");
    require(reply.listing->pipes.size() <= pipes_.pipe_count(), "lists more pipes than exist");
    if (r.flags & wire::list_exact) require(reply.listing->pipes.size() == 1, "exact lists one");
    std::string previous;
    for (const auto& entry : reply.listing->pipes) {
      conduit::detail::object_name name;
      require(
          !conduit::detail::parse_object_name(entry.name, conduit::detail::object_kind::pipe, name),
          "a listed name does not parse");
      require(previous.empty() || previous < name.key, "listing out of order");
      previous = name.key;
      const auto* sd = pipes_.descriptor_of(name.key);
      require(sd != nullptr, "a listed pipe does not exist");
      std::uint32_t instances = 0, listening = 0;
      for (const auto& [id, m] : model_)
        if (m.key == name.key) {
          ++instances;
          listening += m.listen_seq != 0 ? 1 : 0;
        }
      // The model's dead server ends are dropped only when an open finds them.
      require(entry.cur_instances == instances && entry.listening == listening,
              "listed counts differ from the model");
      bool visible = grants(sd, p, 0x00100000 /* SYNCHRONIZE */, security::file_generic_mapping);
      require(((entry.flags & wire::listed_pipe::details_visible) != 0) == visible,
              "details shown to the wrong caller");
      require(visible || (entry.servers.empty() && entry.owner_uid == 0 && entry.pipe_mode == 0),
              "hidden details leak");
      require(!visible || entry.server_count >= 1, "a visible pipe without servers");
    }
  }

  // The event a reply names: it must be the model's event of that name.
  void check_event_reply(const broker::event_result& result, const model_event& event) {
    require(result.reply.instance_id == event.id, "event id");
    require(((result.reply.open_mode & wire::event_manual_reset) != 0) == event.manual_reset,
            "reset kind");
    require(result.eventfd >= 0 && same_counter(result.eventfd, event.counter.get()),
            "handed another event's descriptor");
  }

  void handle(broker::peer& p, std::uint8_t control, const wire::create_event_request& r) {
    int kind = (control >> 2) & 3;
    unique_fd fd = make_event_fd(kind);
    unique_fd kept(fd ? ::fcntl(fd.get(), F_DUPFD_CLOEXEC, 0) : -1);
    std::string key;
    bool good = conduit::detail::parse_event_name(r.name, key) == conduit::errc::success &&
                (r.flags & ~wire::event_manual_reset) == 0 && kind == 0 &&
                broker::valid_access_mask(r.desired_access, 0x3);
    const security::security_descriptor* existing = good ? events_.descriptor_of(key) : nullptr;
    bool may_take = grants(existing, p, r.desired_access, security::event_generic_mapping);
    broker::event_result result = events_.create(p, r, std::move(fd));
    check_reply(result.reply);
    if (result.reply.error != 0) {
      auto error = static_cast<conduit::errc>(result.reply.error);
      auto held = good ? event_model_.find(key) : event_model_.end();
      bool other_kind = held != event_model_.end() && held->second.kind != 0;
      require(!good || (existing && !may_take && error == conduit::errc::access_denied) ||
                  (other_kind && error == conduit::errc::invalid_handle) ||
                  (!existing && !r.security_descriptor.empty() &&
                   error == conduit::errc::invalid_security_descr) ||
                  error == conduit::errc::not_enough_memory,
              "a good create refused");
      require(result.eventfd == -1, "failed create hands out a descriptor");
      return;
    }
    require(good, "a bad create accepted");
    auto it = event_model_.find(key);
    if (it != event_model_.end()) {
      require((result.reply.open_mode & wire::event_existed) != 0, "existing event not said so");
      require(may_take, "took an event whose descriptor refuses it");
      check_event_reply(result, it->second);
      it->second.holders.insert(p.id);
      return;
    }
    require(result.reply.open_mode == (r.flags & wire::event_manual_reset), "new event's flags");
    require(result.eventfd == -1, "creator handed a descriptor");
    for (const auto& [k, e] : event_model_) require(e.id != result.reply.instance_id, "id reused");
    model_event& event = event_model_[key];
    event.id = result.reply.instance_id;
    event.manual_reset = (r.flags & wire::event_manual_reset) != 0;
    event.counter = std::move(kept);
    event.holders.insert(p.id);
  }

  void handle(broker::peer& p, std::uint8_t, const wire::open_event_request& r) {
    broker::event_result result = events_.open(p, r);
    check_reply(result.reply);
    std::string key;
    bool parsed = conduit::detail::parse_event_name(r.name, key) == conduit::errc::success;
    auto it = parsed ? event_model_.find(key) : event_model_.end();
    if (it == event_model_.end()) {
      require(result.reply.error != 0 && result.eventfd == -1, "opened a name nobody holds");
      // Unknown access bits are refused before the name is looked up.
      bool bad_mask = !broker::valid_access_mask(r.desired_access, 0x3);
      require(!parsed || result.reply.error ==
                             static_cast<std::uint32_t>(bad_mask ? conduit::errc::invalid_parameter
                                                                 : conduit::errc::file_not_found),
              "missing event not ERROR_FILE_NOT_FOUND");
      return;
    }
    bool may_take =
        grants(events_.descriptor_of(key), p, r.desired_access, security::event_generic_mapping);
    if (result.reply.error != 0) {
      auto error = static_cast<conduit::errc>(result.reply.error);
      require(error == conduit::errc::not_enough_memory ||
                  (it->second.kind != 0 && error == conduit::errc::invalid_handle) ||
                  (error == conduit::errc::invalid_parameter &&
                   !broker::valid_access_mask(r.desired_access, 0x3)) ||
                  (error == conduit::errc::access_denied && !may_take),
              "open of a held name refused");
      return;
    }
    require(may_take, "opened an event whose descriptor refuses it");
    require((result.reply.open_mode & wire::event_existed) == 0, "open says existed");
    check_event_reply(result, it->second);
    it->second.holders.insert(p.id);
  }

  static const security::generic_mapping& sync_mapping(std::uint32_t kind) {
    return kind == wire::sync_kind_semaphore ? broker::semaphore_generic_mapping
                                             : broker::mutex_generic_mapping;
  }

  // A named mutex or semaphore: the creator's eventfd (semaphore mode for a
  // semaphore) under the same rules as events, in the same namespace.
  void handle(broker::peer& p, std::uint8_t control, const wire::create_sync_object_request& r) {
    int fd_kind = (control >> 2) & 3;
    bool semaphore = r.kind == wire::sync_kind_semaphore;
    unique_fd fd = fd_kind == 0 && semaphore
                       ? unique_fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC | EFD_SEMAPHORE))
                       : make_event_fd(fd_kind);
    unique_fd kept(fd ? ::fcntl(fd.get(), F_DUPFD_CLOEXEC, 0) : -1);
    std::string key;
    bool known = r.kind == wire::sync_kind_mutex || semaphore;
    bool good =
        conduit::detail::parse_event_name(r.name, key) == conduit::errc::success && known &&
        fd_kind == 0 &&
        (semaphore ? r.maximum >= 1 && r.maximum <= wire::max_semaphore_count : r.maximum == 0) &&
        broker::valid_access_mask(r.desired_access, semaphore ? 0x3 : 0x1);
    auto held = good ? event_model_.find(key) : event_model_.end();
    bool exists = held != event_model_.end();
    bool may_take =
        exists && grants(events_.descriptor_of(key), p, r.desired_access, sync_mapping(r.kind));
    broker::event_result result = events_.create_sync(p, r, std::move(fd));
    check_reply(result.reply);
    if (result.reply.error != 0) {
      auto error = static_cast<conduit::errc>(result.reply.error);
      require(
          !good ||
              (exists && held->second.kind != r.kind && error == conduit::errc::invalid_handle) ||
              (exists && !may_take && error == conduit::errc::access_denied) ||
              (!exists && !r.security_descriptor.empty() &&
               error == conduit::errc::invalid_security_descr) ||
              error == conduit::errc::not_enough_memory,
          "a good sync create refused");
      require(result.eventfd == -1, "failed sync create hands out a descriptor");
      return;
    }
    require(good, "a bad sync create accepted");
    if (exists) {
      require(held->second.kind == r.kind, "took an object of another kind");
      require(may_take, "took an object whose descriptor refuses it");
      require((result.reply.open_mode & wire::event_existed) != 0, "existing object not said so");
      require(result.reply.instance_id == held->second.id &&
                  result.reply.max_instances == held->second.maximum,
              "another object's id or maximum");
      require(result.eventfd >= 0, "no descriptor for an existing object");
      held->second.holders.insert(p.id);
      return;
    }
    require(result.eventfd == -1, "creator handed a descriptor");
    require(result.reply.max_instances == r.maximum, "new object's maximum");
    for (const auto& [k, e] : event_model_) require(e.id != result.reply.instance_id, "id reused");
    model_event& object = event_model_[key];
    object.id = result.reply.instance_id;
    object.kind = r.kind;
    object.maximum = r.maximum;
    object.counter = std::move(kept);
    object.holders.insert(p.id);
  }

  void handle(broker::peer& p, std::uint8_t, const wire::open_sync_object_request& r) {
    broker::event_result result = events_.open_sync(p, r);
    check_reply(result.reply);
    std::string key;
    bool parsed = conduit::detail::parse_event_name(r.name, key) == conduit::errc::success;
    auto it = parsed ? event_model_.find(key) : event_model_.end();
    if (result.reply.error != 0) {
      require(result.eventfd == -1, "failed sync open hands out a descriptor");
      return;
    }
    require(it != event_model_.end(), "opened a name nobody holds");
    require(it->second.kind == r.kind, "opened an object of another kind");
    require(grants(events_.descriptor_of(key), p, r.desired_access, sync_mapping(r.kind)),
            "opened an object whose descriptor refuses it");
    require(result.reply.instance_id == it->second.id &&
                result.reply.max_instances == it->second.maximum && result.eventfd >= 0 &&
                same_counter(result.eventfd, it->second.counter.get()),
            "handed another object");
    it->second.holders.insert(p.id);
  }

  void handle(broker::peer& p, std::uint8_t, const wire::close_event_request& r) {
    wire::reply reply = events_.close(p, r);
    check_reply(reply);
    auto it = std::find_if(event_model_.begin(), event_model_.end(),
                           [&](const auto& e) { return e.second.id == r.event_id; });
    bool held = it != event_model_.end() && it->second.holders.contains(p.id);
    require((reply.error == 0) == held, "close by a peer that does not hold the event");
    if (!held) return;
    it->second.owners.erase(p.id);
    it->second.holders.erase(p.id);
    if (it->second.holders.empty()) event_model_.erase(it);
  }

  // An owner note counts only for a mutex the peer holds; never answered.
  void handle(broker::peer& p, std::uint8_t, const wire::mutex_owner_request& r) {
    events_.note_owner(p, r);
    auto it = std::find_if(event_model_.begin(), event_model_.end(),
                           [&](const auto& e) { return e.second.id == r.event_id; });
    if (it == event_model_.end() || it->second.kind != wire::sync_kind_mutex ||
        !it->second.holders.contains(p.id) || r.owned > 1)
      return;
    auto& owners = it->second.owners;
    if (r.owned == 1) {
      std::uint32_t& count = owners[p.id];
      if (count < broker::max_owner_notes) ++count;
      return;
    }
    auto owner = owners.find(p.id);
    if (owner != owners.end() && --owner->second == 0) owners.erase(owner);
  }

  // Whether the peer has a server end of the pipe with this key.
  bool owns_instance_of(const broker::peer& p, const std::string& key) const {
    for (const auto& [id, m] : model_)
      if (m.owner == p.id && m.key == key) return true;
    return false;
  }

  // Reading a descriptor: only by those it lets (or whose server end it is),
  // and the text it gives parses again.
  void handle(broker::peer& p, std::uint8_t, const wire::get_security_request& r) {
    wire::reply reply = pipes_.get_security(p, r);
    check_reply(reply);
    if (reply.error != 0) return;
    require(reply.names.size() == 1, "descriptor missing");
    security::security_descriptor back;
    require(!security::parse_sddl(reply.names[0], back), "descriptor text does not parse");
    if (r.instance_id == 0) {
      conduit::detail::object_name name;
      require(
          !conduit::detail::parse_object_name(r.name, conduit::detail::object_kind::pipe, name) &&
              (owns_instance_of(p, name.key) ||
               grants(pipes_.descriptor_of(name.key), p, security::rights::read_control,
                      security::file_generic_mapping)),
          "read a descriptor without READ_CONTROL");
    } else {
      auto it = model_.find(r.instance_id);
      require(it != model_.end() && it->second.owner == p.id, "read through another's instance");
    }
  }

  void handle(broker::peer& p, std::uint8_t, const wire::set_security_request& r) {
    conduit::detail::object_name name;
    bool parsed =
        !conduit::detail::parse_object_name(r.name, conduit::detail::object_kind::pipe, name);
    const security::security_descriptor* before = parsed ? pipes_.descriptor_of(name.key) : nullptr;
    bool may_write_dac =
        grants(before, p, security::rights::write_dac, security::file_generic_mapping);
    wire::reply reply = pipes_.set_security(p, r);
    check_reply(reply);
    if (reply.error != 0) return;
    if (r.instance_id == 0 && (r.information & wire::dacl_security_information))
      require(may_write_dac || owns_instance_of(p, name.key), "changed a DACL without WRITE_DAC");
    if (r.instance_id != 0) {
      auto it = model_.find(r.instance_id);
      require(it != model_.end() && it->second.owner == p.id, "changed through another's instance");
    }
  }

  // Requests this driver does not model yet (the broker drives them through
  // other tables) are decoded above and otherwise left alone.
  template <typename other_request>
  void handle(broker::peer&, std::uint8_t, const other_request&) {}

  // Every instance the model knows is still there, unless it had a reason to go.
  void check_vanished() {
    for (auto it = model_.begin(); it != model_.end();) {
      if (!pipes_.key_of_instance(it->first).empty()) {
        ++it;
        continue;
      }
      bool allowed = std::find(vanish_ok_.begin(), vanish_ok_.end(), it->first) != vanish_ok_.end();
      require(allowed, "an instance vanished without cause");
      it = model_.erase(it);
    }
    vanish_ok_.clear();
    // The quota counts exactly the instances a peer owns, however they
    // ended, and the endpoints the broker holds for them: one per listening
    // instance (what the descriptor charges are made of).
    std::size_t all_listening = 0;
    for (auto& p : peers_) {
      std::size_t owned = 0;
      std::size_t listening = 0;
      for (const auto& [id, m] : model_) {
        owned += m.owner == p.id;
        listening += m.owner == p.id && m.listen_seq != 0;
      }
      require(pipes_.instances_of(p.id) == owned, "instance count off");
      require(pipes_.endpoints_of(p.id) == listening, "endpoint count off");
      all_listening += listening;
    }
    require(pipes_.endpoint_count() == all_listening, "endpoint total off");
    // The events are the model's, held by the model's holders.
    require(events_.event_count() == event_model_.size(), "event count off");
    for (auto& p : peers_) {
      std::size_t held = 0;
      for (const auto& [key, e] : event_model_) held += e.holders.contains(p.id);
      require(events_.events_of(p.id) == held, "events held off");
    }
  }

  std::array<broker::peer, peer_count> peers_;
  broker::pipe_namespace pipes_;
  broker::event_namespace events_;
  std::map<std::uint64_t, model_instance> model_;
  std::map<std::string, model_event> event_model_;  // by key
  std::vector<std::uint64_t> vanish_ok_;
  std::uint64_t listen_clock_ = 0;
};

// The lowest free descriptor number: if an input moves it, a descriptor leaked.
int lowest_free_fd() {
  int fd = ::fcntl(0, F_DUPFD, 0);
  ::close(fd);
  return fd;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)sealed_page();
  // Measured per input: libFuzzer opens and closes files between inputs.
  const int baseline = lowest_free_fd();
  {
    driver d;
    std::span<const std::byte> in(reinterpret_cast<const std::byte*>(data), size);
    for (std::size_t steps = 0; in.size() >= 4 && steps < max_steps; ++steps) {
      auto control = std::to_integer<std::uint8_t>(in[0]);
      auto type = std::to_integer<std::uint8_t>(in[1]);
      std::size_t length = std::to_integer<std::size_t>(in[2]) | std::to_integer<std::size_t>(in[3])
                                                                     << 8;
      in = in.subspan(4);
      length = std::min(length, in.size());
      d.step(control, type, in.first(length));
      in = in.subspan(length);
    }
  }
  require(lowest_free_fd() == baseline, "a descriptor leaked");
  return 0;
}
