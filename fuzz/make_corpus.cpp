// Writes the seed corpora of the fuzz targets, made with the real encoder so
// they follow the protocol as it is today.
//
//   make_corpus WIRE_DIR BROKER_DIR
//
// WIRE_DIR gets one valid message of each kind (wire_fuzz); BROKER_DIR gets
// a few request scripts in broker_fuzz's format (see broker_fuzz.cpp), and
// LOOP_DIR, when given, scripts in broker_loop_fuzz's (broker_loop_fuzz.cpp).
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <span>
#include <string>
#include <vector>

#include "core/wire.hpp"

namespace wire = conduit::detail::wire;

namespace {

using bytes = std::vector<std::byte>;

bool write_file(const std::string& path, const bytes& data) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  return static_cast<bool>(out);
}

wire::create_instance_request create(const std::string& name, std::uint32_t max = 4) {
  wire::create_instance_request r;
  r.name = name;
  r.open_mode = 3;  // PIPE_ACCESS_DUPLEX
  r.max_instances = max;
  r.out_buffer = 4096;
  r.in_buffer = 4096;
  r.serial = 1;
  return r;
}

// One step of a broker_fuzz script: control, type, u16 length, body.
struct script {
  bytes data;
  script& step(std::uint8_t control, const wire::request& r) {
    bytes packet = wire::encode(r, 1);
    bytes body(packet.begin() + wire::header_size, packet.end());
    data.push_back(std::byte{control});
    data.push_back(packet[6]);  // the type, low byte
    data.push_back(static_cast<std::byte>(body.size() & 0xFF));
    data.push_back(static_cast<std::byte>(body.size() >> 8));
    data.insert(data.end(), body.begin(), body.end());
    return *this;
  }
  script& special(std::uint8_t control, std::uint8_t op, std::uint8_t arg = 0) {
    data.insert(data.end(),
                {std::byte{control}, std::byte{op}, std::byte{1}, std::byte{0}, std::byte{arg}});
    return *this;
  }
};

// broker_fuzz control bits: peer in bits 0-1, page kind in 2-3, endpoint 4, dead 5.
constexpr std::uint8_t with_endpoint = 0x10;
constexpr std::uint8_t dead_server = 0x20;
constexpr std::uint8_t pipe_as_page = 0x08;
constexpr std::uint8_t op_drop_peer = 0xF0;
constexpr std::uint8_t op_kill_server_end = 0xF1;

// broker_loop_fuzz control bits: peer in bits 0-1, descriptors in 2-4, no
// loop pass after the step 0x20, read the replies 0x40.
constexpr std::uint8_t loop_page = 1 << 2;
constexpr std::uint8_t loop_page_endpoint = 2 << 2;
constexpr std::uint8_t loop_endpoint = 3 << 2;
constexpr std::uint8_t loop_eventfd = 4 << 2;
constexpr std::uint8_t loop_seqpacket = 5 << 2;
constexpr std::uint8_t loop_on_lane = 0x80;
constexpr std::uint8_t loop_no_pass = 0x20;
constexpr std::uint8_t loop_read = 0x40;
constexpr std::uint8_t loop_hang_up = 0xF0;
constexpr std::uint8_t loop_small_buffer = 0xF1;
constexpr std::uint8_t loop_close_server_ends = 0xF2;

bool write_loop_scripts(const std::string& dir) {
  const std::string a = R"(\\.\pipe\a)";
  std::vector<std::pair<std::string, script>> scripts;
  // Waits that expire, and forever waits woken by a create, on a peer whose
  // replies overflow: dropped while its waits are being answered.
  script unread;
  unread.step(loop_page, create(a)).special(1, loop_small_buffer);
  for (int i = 0; i < 24; ++i) unread.step(1 | loop_no_pass, wire::wait_request{a, 1});
  for (int i = 0; i < 24; ++i) unread.step(1 | loop_no_pass, wire::wait_request{a, 0xFFFFFFFF});
  unread.step(2 | loop_page_endpoint, create(a)).step(3 | loop_read, wire::list_request{});
  scripts.emplace_back("unread-waits", unread);
  scripts.emplace_back("serve-and-hang-up",
                       script{}
                           .step(0 | loop_page_endpoint, create(a))
                           .step(1 | loop_no_pass, wire::wait_request{a, 0})
                           .step(1 | loop_no_pass, wire::open_request{a, 3, 0})
                           .step(1 | loop_read, wire::open_request{a, 3, 0})
                           .step(0 | loop_endpoint, wire::listen_request{1, 2})
                           .special(0, loop_close_server_ends)
                           .step(1 | loop_read, wire::open_request{a, 3, 0})
                           .special(0, loop_hang_up)
                           .step(2 | loop_eventfd, wire::create_event_request{"ev", 0})
                           .step(3 | loop_read, wire::open_event_request{"ev"}));
  // Opens and listens on lanes, a lane that breaks the protocol, and a
  // peer that goes with its lanes.
  scripts.emplace_back("lanes",
                       script{}
                           .step(0 | loop_page_endpoint, create(a))
                           .step(0 | loop_seqpacket, wire::attach_lane_request{0})
                           .step(1 | loop_seqpacket, wire::attach_lane_request{1})
                           .step(1 | loop_on_lane | loop_read, wire::open_request{a, 3, 0})
                           .step(0 | loop_on_lane | loop_endpoint, wire::listen_request{1, 2})
                           .step(1 | loop_on_lane | loop_read, wire::open_request{a, 3, 0})
                           .step(2 | loop_page, wire::attach_lane_request{7})
                           .step(1 | loop_on_lane | loop_read, wire::list_request{})
                           .special(0, loop_hang_up)
                           .step(3 | loop_read, wire::open_request{a, 3, 0}));
  // Listings of many long names, page after page, and one by name.
  script listings;
  for (int i = 0; i < 12; ++i)
    listings.step(loop_page, create(a + std::string(200, static_cast<char>('a' + i))));
  listings.step(1 | loop_read, wire::list_pipes_request{})
      .step(1 | loop_read, wire::list_pipes_request{a + std::string(200, 'e')})
      .step(2 | loop_read, wire::list_pipes_request{a + std::string(200, 'c'), wire::list_exact})
      .step(2 | loop_read, wire::list_pipes_request{"", wire::list_exact});
  scripts.emplace_back("listings", listings);
  bool ok = true;
  for (const auto& [name, s] : scripts) ok &= write_file(dir + "/" + name, s.data);
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 && argc != 4) {
    std::fputs("usage: make_corpus WIRE_DIR BROKER_DIR [LOOP_DIR]\n", stderr);
    return 2;
  }
  std::string wire_dir = argv[1], broker_dir = argv[2];
  const std::string a = R"(\\.\pipe\a)", b = R"(\\.\pipe\Folder\B)";
  bool ok = true;

  std::vector<std::pair<std::string, bytes>> messages = {
      {"create", wire::encode(wire::request(create(a)), 1)},
      {"listen", wire::encode(wire::request(wire::listen_request{1, 2}), 2)},
      {"close", wire::encode(wire::request(wire::close_instance_request{1}), 3)},
      {"open", wire::encode(wire::request(wire::open_request{a, 3, 0x00100000}), 4)},
      {"wait", wire::encode(wire::request(wire::wait_request{b, 0xFFFFFFFF}), 5)},
      {"query", wire::encode(wire::request(wire::query_request{a}), 6)},
      {"list", wire::encode(wire::request(wire::list_request{}), 7)},
      {"create-event",
       wire::encode(wire::request(wire::create_event_request{"Global\\ev", 1}), 11)},
      {"open-event", wire::encode(wire::request(wire::open_event_request{"ev"}), 12)},
      {"close-event", wire::encode(wire::request(wire::close_event_request{1}), 13)},
      {"create-mutex", wire::encode(wire::request(wire::create_sync_object_request{
                                        "Global\\mx", wire::sync_kind_mutex, 0, 0x001F0001, ""}),
                                    20)},
      {"create-semaphore",
       wire::encode(wire::request(wire::create_sync_object_request{
                        "sem", wire::sync_kind_semaphore, 5, 0x001F0003, "D:(A;;GA;;;WD)"}),
                    20)},
      {"open-mutex", wire::encode(wire::request(wire::open_sync_object_request{
                                      "mx", wire::sync_kind_mutex, 0x00100000}),
                                  21)},
      {"mutex-owner", wire::encode(wire::request(wire::mutex_owner_request{1, 1}), 22)},
      {"create-event-sd", wire::encode(wire::request(wire::create_event_request{
                                           "ev", 0, 0x00100000, "O:S-1-22-1-1000D:(A;;GA;;;WD)"}),
                                       11)},
      {"get-security",
       wire::encode(
           wire::request(wire::get_security_request{a, 1, wire::known_security_information}), 14)},
      {"set-security",
       wire::encode(wire::request(wire::set_security_request{a, 0, wire::dacl_security_information,
                                                             "D:(D;;GW;;;WD)(A;;GA;;;WD)"}),
                    15)},
  };
  messages.emplace_back("list-pipes", wire::encode(wire::request(wire::list_pipes_request{}), 16));
  messages.emplace_back("attach-lane",
                        wire::encode(wire::request(wire::attach_lane_request{1}), 32));
  messages.emplace_back(
      "list-pipes-exact",
      wire::encode(wire::request(wire::list_pipes_request{a, wire::list_exact}), 16));
  {
    wire::reply listing;
    listing.listing.emplace();
    listing.listing->more = true;
    wire::listed_pipe entry;
    entry.name = a;
    entry.flags = wire::listed_pipe::details_visible;
    entry.max_instances = 4;
    entry.cur_instances = 2;
    entry.listening = 1;
    entry.server_count = 1;
    entry.servers = {{1234, 1000}};
    listing.listing->pipes = {entry};
    messages.emplace_back("reply-listing", wire::encode(listing, 16));
  }
  wire::reply reply;
  reply.instance_id = 1;
  reply.max_instances = 4;
  reply.cur_instances = 1;
  reply.names = {a, b};
  messages.emplace_back("reply", wire::encode(reply, 7));
  wire::connect_record record;
  record.client_pid = 1234;
  record.uid = 1000;
  record.gid = 1000;
  record.desired_access = 3;
  record.serial = 1;
  record.groups = {1000, 27};
  messages.emplace_back("connect-record", wire::encode(record));
  record.computer_name = "WORKSTATION7";
  record.client_address = "192.0.2.15";
  messages.emplace_back("connect-record-remote", wire::encode(record));
  wire::open_remote_request remote{a,    0xC0000000, 0, 4242,           1000,
                                   1000, {1000, 27}, 0, "WORKSTATION7", "fe80::1%eth0"};
  messages.emplace_back("open-remote", wire::encode(wire::request(remote), 22));
  for (const auto& [name, data] : messages) ok &= write_file(wire_dir + "/" + name, data);

  std::vector<std::pair<std::string, script>> scripts;
  scripts.emplace_back("create-open", script{}
                                          .step(with_endpoint, create(a))
                                          .step(with_endpoint, create(a))
                                          .step(1, wire::open_request{a, 3, 0})
                                          .step(2, wire::open_request{a, 1, 0})
                                          .step(3, wire::open_request{a, 2, 0})
                                          .step(1, wire::query_request{a})
                                          .step(1, wire::list_request{})
                                          .step(1, wire::list_pipes_request{})
                                          .step(2, wire::list_pipes_request{a, wire::list_exact})
                                          .step(3, wire::list_pipes_request{a}));
  scripts.emplace_back("wait-listen-close", script{}
                                                .step(0, create(b, 1))
                                                .step(1, wire::wait_request{b, 0})
                                                .step(with_endpoint, wire::listen_request{1, 5})
                                                .step(1, wire::wait_request{b, 0})
                                                .step(1, wire::open_request{b, 3, 0})
                                                .step(1, wire::close_instance_request{1})
                                                .step(0, wire::close_instance_request{1}));
  // Peer 2 is root, the only one open_remote serves; peer 1 is refused,
  // and a computer name with a space is a bad field.
  wire::open_remote_request remote_bad = remote;
  remote_bad.computer_name = "BAD NAME";
  scripts.emplace_back("open-remote", script{}
                                          .step(with_endpoint, create(a))
                                          .step(with_endpoint, create(a))
                                          .step(1, remote)
                                          .step(2, remote_bad)
                                          .step(2, remote)
                                          .step(2, remote));
  scripts.emplace_back("dead-server", script{}
                                          .step(with_endpoint | dead_server, create(a))
                                          .step(with_endpoint, create(a))
                                          .special(0, op_kill_server_end, 1)
                                          .step(1, wire::open_request{a, 3, 0})
                                          .step(2, wire::open_request{a, 3, 0}));
  scripts.emplace_back("bad-page-drop", script{}
                                            .step(pipe_as_page | with_endpoint, create(a))
                                            .step(with_endpoint, create(a))
                                            .step(with_endpoint | 1, create(a))
                                            .special(0, op_drop_peer)
                                            .step(2, wire::open_request{a, 3, 0})
                                            .step(2, wire::list_request{}));
  // Control bits 2-3 are the descriptor of a create_event: 0 a good eventfd.
  const std::uint8_t no_eventfd = 1 << 2;
  scripts.emplace_back("events", script{}
                                     .step(0, wire::create_event_request{"ev", 1})
                                     .step(1, wire::create_event_request{"Global\\ev", 0})
                                     .step(2, wire::open_event_request{"Local\\ev"})
                                     .step(3 | no_eventfd, wire::create_event_request{"x", 0})
                                     .step(3, wire::open_event_request{"a\\b"})
                                     .step(0, wire::close_event_request{1})
                                     .step(1, wire::close_event_request{1})
                                     .special(2, op_drop_peer)
                                     .step(3, wire::open_event_request{"ev"}));
  scripts.emplace_back(
      "sync-objects",
      script{}
          .step(0, wire::create_sync_object_request{"mx", wire::sync_kind_mutex, 0, 0x001F0001})
          .step(1, wire::open_sync_object_request{"mx", wire::sync_kind_mutex, 0x00100000})
          .step(2, wire::open_sync_object_request{"mx", wire::sync_kind_semaphore, 0x00100000})
          .step(1, wire::create_event_request{"mx", 0})
          .step(0, wire::create_sync_object_request{"sm", wire::sync_kind_semaphore, 3, 0x001F0003})
          .step(2, wire::create_sync_object_request{"sm", wire::sync_kind_semaphore, 9, 0x001F0003})
          .step(3, wire::create_sync_object_request{"sm", wire::sync_kind_mutex, 0, 0x001F0001})
          .step(1, wire::open_event_request{"sm"})
          .step(1, wire::mutex_owner_request{1, 1})
          .step(2, wire::mutex_owner_request{1, 1})
          .step(0, wire::mutex_owner_request{2, 1})
          .special(1, op_drop_peer)
          .step(0, wire::mutex_owner_request{1, 0})
          .step(0, wire::close_event_request{1})
          .step(1, wire::close_event_request{1}));
  // Peers 0 to 3 are uids 1000, 1001, 0 (root) and 1003 (see broker_fuzz.cpp).
  auto secured = [&](const std::string& name, const std::string& sddl) {
    auto r = create(name);
    r.security_descriptor = sddl;
    return r;
  };
  scripts.emplace_back(
      "security",
      script{}
          .step(with_endpoint, secured(a, "D:(D;;GW;;;S-1-22-1-1001)(A;;GA;;;WD)"))
          .step(with_endpoint | 1, create(a))
          .step(with_endpoint | 3, create(a))
          .step(1, wire::open_request{a, 0x80000000, 0})
          .step(1, wire::open_request{a, 0xC0000000, 0})
          .step(3, wire::open_request{a, 0xC0000000, 0})
          .step(with_endpoint | 2, secured(b, "D:NO_ACCESS_CONTROL"))
          .step(with_endpoint | 1, create(b))
          .step(0, wire::open_request{b, 0x10000000, 0})
          .step(1, wire::get_security_request{a, 0, wire::dacl_security_information})
          .step(0, wire::get_security_request{a, 1, wire::known_security_information})
          .step(0, wire::set_security_request{a, 1, wire::dacl_security_information,
                                              "D:P(A;;GA;;;S-1-22-1-1000)"})
          .step(3, wire::open_request{a, 0x80000000, 0})
          .step(with_endpoint, secured(R"(\\.\pipe\bad)", "D:(A;;GA;;;nobody)"))
          .step(0, wire::create_event_request{"sec", 0, 0x001F0003, "D:(A;;0x100000;;;WD)"})
          .step(1, wire::open_event_request{"sec", 0x00100000})
          .step(3, wire::open_event_request{"sec", 0x001F0003})
          .step(3, wire::create_event_request{"sec", 0})
          .step(2, wire::open_event_request{"sec", 0x40000000}));
  for (const auto& [name, s] : scripts) ok &= write_file(broker_dir + "/" + name, s.data);
  if (argc == 4) ok &= write_loop_scripts(argv[3]);
  return ok ? 0 : 1;
}
