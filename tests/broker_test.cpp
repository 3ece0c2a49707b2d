// conduitd as a security boundary, driven from outside as a hostile peer
// would: raw packets on its socket (malformed, wrong version, wrong
// descriptors, unsafe instance pages), quotas, many processes starting it at
// once, credential checks in both directions, and idle exit.
//
// Each test runs the real conduitd: started by the test as its child (as
// dbus-broker's util_fork_broker does) where the test needs its pid or its
// options, or by the library as in real use. docs/broker-protocol.md is the
// contract these tests hold the broker to.
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "broker/broker_limits.hpp"
#include "broker/event_namespace.hpp"
#include "broker/peer.hpp"
#include "conduit/error.hpp"
#include "conduit/pipe_client.hpp"
#include "conduit/pipe_server.hpp"
#include "core/fd_passing.hpp"
#include "core/instance_page.hpp"
#include "core/pipe_flags.hpp"
#include "core/runtime_dir.hpp"
#include "core/unique_fd.hpp"
#include "core/wire.hpp"
#include "support/broker_process.hpp"
#include "support/helper_process.hpp"
#include "support/other_user.hpp"
#include "support/raw_broker.hpp"
#include "support/sandbox.hpp"

namespace conduit {
namespace {

namespace wire = detail::wire;
using detail::unique_fd;
using namespace test;

// The live (not zombie) conduitd processes serving `dir`.
std::vector<pid_t> brokers_serving(const std::string& dir) {
  std::vector<pid_t> found;
  DIR* proc = ::opendir("/proc");
  if (!proc) return found;
  while (dirent* entry = ::readdir(proc)) {
    char* end = nullptr;
    long pid = std::strtol(entry->d_name, &end, 10);
    if (*end || pid <= 0) continue;
    std::string base = "/proc/" + std::string(entry->d_name);
    std::ifstream cmdline(base + "/cmdline", std::ios::binary);
    std::vector<std::string> args;
    for (std::string arg; std::getline(cmdline, arg, '\0');) args.push_back(arg);
    if (args.empty() || args[0].substr(args[0].rfind('/') + 1) != "conduitd") continue;
    bool serves = false;
    for (std::size_t i = 0; i + 1 < args.size(); ++i)
      serves |= args[i] == "--runtime-dir" && args[i + 1] == dir;
    std::ifstream stat(base + "/stat");
    std::string stat_line;
    std::getline(stat, stat_line);
    auto paren = stat_line.rfind(')');
    bool zombie =
        paren != std::string::npos && paren + 2 < stat_line.size() && stat_line[paren + 2] == 'Z';
    if (serves && !zombie) found.push_back(static_cast<pid_t>(pid));
  }
  ::closedir(proc);
  return found;
}

// A packet the broker must drop, with the descriptors it carries.
struct bad_case {
  std::string what;
  std::vector<std::byte> packet;
  std::vector<int> fds;
};

class Broker : public test::sandbox {
 protected:
  void start_broker(std::vector<std::string> extra = {}) {
    extra.insert(extra.begin(), {"--runtime-dir", runtime_dir_});
    ASSERT_TRUE(broker_.start(extra)) << "conduitd did not start";
    bystander_ = connect_raw(runtime_dir_);
    // Answered: the broker has accepted it, and counts it from now on.
    ASSERT_EQ(request(bystander_.get(), wire::list_request{}), "reply 0");
  }

  // The broker is alive, still answers a peer that was there all along, and
  // still serves the library end to end.
  void expect_still_serving() {
    EXPECT_TRUE(broker_.running()) << "conduitd died";
    EXPECT_EQ(request(bystander_.get(), wire::list_request{}), "reply 0");
    std::error_code ec;
    auto server = pipe_server::create(pipe_name("after"), {}, ec);
    ASSERT_FALSE(ec) << ec.message();
    auto client = pipe_client::open(pipe_name("after"), pipe_access::duplex, ec);
    ASSERT_FALSE(ec) << ec.message();
    EXPECT_EQ(server.connect(std::chrono::milliseconds(bound_ms)),
              connect_status::already_connected);
    EXPECT_EQ(client.write("ping"), 4u);
    std::array<std::byte, 8> buffer;
    EXPECT_EQ(server.read(buffer), 4u);
  }

  // Sends `packet` (with `fds`) on a connection of its own; its outcome.
  std::string on_fresh_connection(std::span<const std::byte> packet,
                                  std::span<const int> fds = {}) {
    unique_fd fd = connect_raw(runtime_dir_);
    send_raw(fd.get(), packet, fds);
    return outcome(fd.get());
  }

  // Each case, on a connection of its own, is dropped, and every descriptor
  // it carried is closed with the peer.
  void expect_dropped(const std::vector<bad_case>& cases) {
    int fds_before = fd_count_of(broker_.pid());
    for (const auto& c : cases)
      EXPECT_EQ(on_fresh_connection(c.packet, c.fds), "dropped") << c.what;
    EXPECT_EQ(fd_count_of(broker_.pid()), fds_before);
  }

  broker_process broker_;
  unique_fd bystander_;
};

TEST_F(Broker, DropsGarbage) {
  start_broker();
  auto valid = encoded(wire::query_request{pipe_name()});
  auto with = [&](std::size_t at, std::uint8_t value) {
    auto bytes = valid;
    bytes[at] = std::byte{value};
    return bytes;
  };
  std::vector<std::pair<std::string, std::vector<std::byte>>> cases = {
      {"empty packet", {}},
      {"shorter than a header", {std::byte{'h'}, std::byte{'i'}}},
      {"zeros", std::vector<std::byte>(64)},
      {"bad magic", with(0, 'X')},
      {"unknown type", with(6, 99)},
      {"type zero", with(6, 0)},
      {"a reply sent as a request",
       [&] {
         auto bytes = valid;
         bytes[6] = std::byte{0x00};
         bytes[7] = std::byte{0x80};
         return bytes;
       }()},
      {"larger than any message", std::vector<std::byte>(wire::max_message_size + 1, std::byte{1})},
  };
  for (const auto& [what, packet] : cases)
    EXPECT_EQ(on_fresh_connection(packet), "dropped") << what;
  // The valid one is answered: the cases above failed for their flaw alone.
  EXPECT_EQ(on_fresh_connection(valid), "reply 2");  // ERROR_FILE_NOT_FOUND
  expect_still_serving();
}

TEST_F(Broker, DropsTruncatedMessages) {
  start_broker();
  auto valid = encoded(wire::open_request{pipe_name(), detail::want_read | detail::want_write, 0});
  // Cut anywhere: the length field no longer matches the packet.
  for (std::size_t cut = 1; cut < valid.size(); ++cut)
    EXPECT_EQ(on_fresh_connection(std::span(valid).first(cut)), "dropped") << "cut at " << cut;
  // Cut with the length field made to match: the body ends inside a field.
  for (std::size_t cut : {wire::header_size, wire::header_size + 1, valid.size() - 1}) {
    auto bytes = std::vector<std::byte>(valid.begin(), valid.begin() + static_cast<long>(cut));
    bytes[8] = std::byte{static_cast<std::uint8_t>(cut)};
    EXPECT_EQ(on_fresh_connection(bytes), "dropped") << "cut at " << cut << ", length fixed";
  }
  // A string whose count runs past the end.
  auto long_count = valid;
  long_count[wire::header_size] = std::byte{0xFF};
  EXPECT_EQ(on_fresh_connection(long_count), "dropped");
  EXPECT_EQ(on_fresh_connection(valid), "reply 2");
  expect_still_serving();
}

TEST_F(Broker, DropsWrongLengthFields) {
  start_broker();
  auto valid = encoded(wire::list_request{});
  ASSERT_EQ(valid.size(), wire::header_size);
  for (std::uint32_t length : {0u, 1u, 15u, 17u, 8192u, 0xFFFFFFFFu}) {
    auto bytes = valid;
    for (int i = 0; i < 4; ++i)
      bytes[8 + i] = std::byte{static_cast<std::uint8_t>(length >> (8 * i))};
    EXPECT_EQ(on_fresh_connection(bytes), "dropped") << "length " << length;
  }
  // Trailing bytes the length field covers: still more than the message holds.
  auto trailing = encoded(wire::close_instance_request{1});
  trailing.push_back(std::byte{0});
  trailing[8] = std::byte{static_cast<std::uint8_t>(trailing.size())};
  EXPECT_EQ(on_fresh_connection(trailing), "dropped");
  // A NUL inside a name.
  EXPECT_EQ(on_fresh_connection(encoded(wire::query_request{std::string("\\\\.\\pipe\\a\0b", 12)})),
            "dropped");
  EXPECT_EQ(on_fresh_connection(valid), "reply 0");
  expect_still_serving();
}

TEST_F(Broker, DropsWrongDescriptorCounts) {
  start_broker();
  auto page = sealed_page();
  auto [server_end, endpoint] = endpoint_pair();
  int p = page.fd(), e = endpoint.get();
  auto create = encoded(create_request(pipe_name()));
  auto listen = encoded(wire::listen_request{1, 0});
  std::vector<bad_case> cases = {
      {"create without descriptors", create, {}},
      {"create with three", create, {p, e, p}},
      {"listen without an endpoint", listen, {}},
      {"listen with two", listen, {e, e}},
      {"open with one", encoded(wire::open_request{pipe_name(), 3, 0}), {e}},
      {"wait with one", encoded(wire::wait_request{pipe_name(), 1}), {e}},
      {"query with one", encoded(wire::query_request{pipe_name()}), {p}},
      {"list with one", encoded(wire::list_request{}), {p}},
      {"close with one", encoded(wire::close_instance_request{1}), {p}},
      // More than a packet may carry: the control message is cut (MSG_CTRUNC).
      {"list with five", encoded(wire::list_request{}), {p, p, p, p, p}},
      {"create with five", create, {p, e, p, e, p}},
  };
  expect_dropped(cases);
  // The instance page alone (no endpoint) is a valid create: an instance
  // that does not listen yet (a library registers a connected one so).
  EXPECT_EQ(request(bystander_.get(), create_request(pipe_name()), std::array{p}), "reply 0");
  expect_still_serving();
}

TEST_F(Broker, RefusesUnsafeInstancePages) {
  start_broker();
  int seals = detail::instance_page_seals;
  auto memfd = [](std::size_t size, int add_seals) {
    unique_fd fd(::memfd_create("test-page", MFD_CLOEXEC | MFD_ALLOW_SEALING));
    EXPECT_EQ(::ftruncate(fd.get(), static_cast<off_t>(size)), 0);
    if (add_seals) {
      EXPECT_EQ(::fcntl(fd.get(), F_ADD_SEALS, add_seals), 0);
    }
    return fd;
  };
  int pipe_fds[2];
  ASSERT_EQ(::pipe2(pipe_fds, O_CLOEXEC), 0);
  unique_fd pipe_read(pipe_fds[0]), pipe_write(pipe_fds[1]);
  unique_fd dev_null(::open("/dev/null", O_RDWR | O_CLOEXEC));
  char file_template[] = "/tmp/conduit-page-XXXXXX";
  unique_fd plain_file(::mkostemp(file_template, O_CLOEXEC));
  ::unlink(file_template);
  ASSERT_EQ(::ftruncate(plain_file.get(), detail::instance_page_size), 0);
  auto [server_end, endpoint] = endpoint_pair();
  auto good = sealed_page();

  std::vector<std::pair<std::string, unique_fd>> cases;
  cases.emplace_back("a pipe", std::move(pipe_read));
  cases.emplace_back("/dev/null", std::move(dev_null));
  cases.emplace_back("a plain file of the right size", std::move(plain_file));
  cases.emplace_back("an unsealed memfd", memfd(detail::instance_page_size, 0));
  cases.emplace_back("a sealed memfd too large", memfd(2 * detail::instance_page_size, seals));
  cases.emplace_back("a sealed empty memfd", memfd(0, seals));
  cases.emplace_back("a memfd that can still be mapped writable",
                     memfd(detail::instance_page_size, F_SEAL_SHRINK | F_SEAL_GROW));
  cases.emplace_back("a memfd that can still shrink",
                     memfd(detail::instance_page_size, F_SEAL_GROW | F_SEAL_FUTURE_WRITE));
  cases.emplace_back("a memfd that can still grow",
                     memfd(detail::instance_page_size, F_SEAL_SHRINK | F_SEAL_FUTURE_WRITE));
  cases.emplace_back("the endpoint in the page's place", unique_fd(::dup(endpoint.get())));
  int conn = bystander_.get();
  for (const auto& [what, fd] : cases) {
    std::array fds{fd.get(), endpoint.get()};
    // ERROR_INVALID_PARAMETER, and the peer stays connected.
    EXPECT_EQ(request(conn, create_request(pipe_name()), fds), "reply 87") << what;
  }
  // None of them made the pipe exist.
  EXPECT_EQ(request(conn, wire::query_request{pipe_name()}), "reply 2");
  // Page first, endpoint second: the right order is accepted.
  wire::reply created;
  EXPECT_EQ(
      request(conn, create_request(pipe_name()), std::array{good.fd(), endpoint.get()}, &created),
      "reply 0");
  // A client gets the endpoint and the page, and the page is safe to map.
  unique_fd client = connect_raw(runtime_dir_);
  send_raw(client.get(), encoded(wire::open_request{pipe_name(), 3, 0}));
  wire::reply opened;
  std::vector<unique_fd> passed;
  ASSERT_EQ(outcome(client.get(), &opened, nullptr, &passed), "reply 0");
  EXPECT_EQ(opened.instance_id, created.instance_id);
  ASSERT_EQ(passed.size(), 2u);
  EXPECT_TRUE(detail::instance_page_is_safe(passed[1].get()));
  // Sealed: nobody who holds it can write it through write() or a new mapping.
  EXPECT_EQ(::write(passed[1].get(), "x", 1), -1);
  EXPECT_EQ(errno, EPERM);
  EXPECT_EQ(::mmap(nullptr, detail::instance_page_size, PROT_READ | PROT_WRITE, MAP_SHARED,
                   passed[1].get(), 0),
            MAP_FAILED);
  EXPECT_EQ(errno, EPERM);
  expect_still_serving();
}

// The answers a well-formed request gets for names the broker does not hold.
TEST_F(Broker, AnswersNamesItDoesNotHold) {
  start_broker();
  auto page = sealed_page();
  ASSERT_EQ(request(bystander_.get(), create_request(pipe_name()), std::array{page.fd()}),
            "reply 0");
  std::string path = pipe_name().substr(std::string(R"(\\.\)").size());  // pipe\...
  std::string remote = R"(\\faraway\)" + path;
  int fd = bystander_.get();
  // Another machine's pipe of the same path is not this one: ERROR_BAD_NETPATH.
  EXPECT_EQ(request(fd, wire::query_request{remote}), "reply 53");
  EXPECT_EQ(request(fd, wire::open_request{remote, 3, 0}), "reply 53");
  EXPECT_EQ(request(fd, wire::wait_request{remote, 1}), "reply 53");
  // A server cannot register one: ERROR_INVALID_NAME.
  EXPECT_EQ(request(fd, create_request(remote), std::array{page.fd()}), "reply 123");
  // No such pipe: ERROR_FILE_NOT_FOUND; not a pipe name: ERROR_PATH_NOT_FOUND.
  EXPECT_EQ(request(fd, wire::query_request{pipe_name("none")}), "reply 2");
  EXPECT_EQ(request(fd, wire::open_request{pipe_name("none"), 3, 0}), "reply 2");
  EXPECT_EQ(request(fd, wire::wait_request{pipe_name("none"), 1}), "reply 2");
  EXPECT_EQ(request(fd, wire::query_request{R"(\\.\foo\x)"}), "reply 3");
  // Access bits no access mask has: ERROR_INVALID_PARAMETER.
  EXPECT_EQ(request(fd, wire::open_request{pipe_name(), 0x200, 0}), "reply 87");
  EXPECT_EQ(request(fd, wire::open_request{pipe_name(), 0x00200000, 0}), "reply 87");
  EXPECT_EQ(request(fd, wire::open_request{pipe_name(), 0x04000000, 0}), "reply 87");
  // Someone else's instance cannot be closed or made to listen: ERROR_INVALID_HANDLE.
  unique_fd other = connect_raw(runtime_dir_);
  auto [server_end, endpoint] = endpoint_pair();
  EXPECT_EQ(request(other.get(), wire::close_instance_request{1}), "reply 6");
  EXPECT_EQ(request(other.get(), wire::listen_request{1, 0}, std::array{endpoint.get()}),
            "reply 6");
  EXPECT_EQ(request(fd, wire::query_request{pipe_name()}), "reply 0");
}

TEST_F(Broker, AnswersOtherVersionsThenDrops) {
  start_broker();
  // Every version but this one: an older, the one before, the next, the last.
  for (std::uint16_t version :
       {std::uint16_t{0}, std::uint16_t{1}, static_cast<std::uint16_t>(wire::protocol_version - 1),
        static_cast<std::uint16_t>(wire::protocol_version + 1), std::uint16_t{0xFFFF}}) {
    // A future version may have a longer header or another body: only the
    // first 8 bytes (magic, version) must be read, so send an odd body too.
    auto bytes = encoded(wire::list_request{}, 77);
    bytes[4] = std::byte{static_cast<std::uint8_t>(version & 0xFF)};
    bytes[5] = std::byte{static_cast<std::uint8_t>(version >> 8)};
    bytes.insert(bytes.end(), 10, std::byte{0xAB});
    unique_fd fd = connect_raw(runtime_dir_);
    send_raw(fd.get(), bytes);
    wire::reply r;
    wire::header h;
    EXPECT_EQ(outcome(fd.get(), &r, &h), "reply 50")
        << "version " << version;  // ERROR_NOT_SUPPORTED
    EXPECT_EQ(h.version, wire::protocol_version);
    EXPECT_EQ(h.request_id, 77u);
    EXPECT_EQ(outcome(fd.get()), "dropped") << "version " << version;
  }
  expect_still_serving();
}

TEST_F(Broker, DropsAPeerThatDoesNotReadItsAnswers) {
  start_broker();
  unique_fd fd = connect_raw(runtime_dir_);
  auto list = encoded(wire::list_request{});
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(bound_ms);
  int error = 0;
  std::size_t sent = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (::send(fd.get(), list.data(), list.size(), MSG_DONTWAIT | MSG_NOSIGNAL) >= 0) {
      ++sent;
      continue;
    }
    if (errno != EAGAIN) {
      error = errno;
      break;
    }
    pollfd p{fd.get(), POLLOUT, 0};
    ::poll(&p, 1, 100);  // room to send, or the hang-up
  }
  // The answers piled up unread until the broker could send no more: it hung up.
  EXPECT_TRUE(error == EPIPE || error == ECONNRESET) << "send error " << error << " after " << sent;
  expect_still_serving();
}

// A lane (docs/broker-protocol.md#lanes): the broker's end of a fresh
// SOCK_SEQPACKET pair, handed over the peer's own connection.
std::array<unique_fd, 2> lane_pair() {
  int pair[2];
  EXPECT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair), 0);
  return {unique_fd(pair[0]), unique_fd(pair[1])};
}

TEST_F(Broker, LanesRefuseWhatIsNoLaneSocket) {
  start_broker();
  int pipe_fds[2];
  ASSERT_EQ(::pipe2(pipe_fds, O_CLOEXEC), 0);
  unique_fd pipe_read(pipe_fds[0]), pipe_write(pipe_fds[1]);
  unique_fd stream(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  unique_fd listening(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::string path = runtime_dir_ + "/listening.sock";
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  ASSERT_EQ(::bind(listening.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(listening.get(), 1), 0);
  auto page = sealed_page();
  int conn = bystander_.get();
  // ERROR_INVALID_PARAMETER, and the peer stays.
  for (int fd : {pipe_read.get(), stream.get(), listening.get(), page.fd()})
    EXPECT_EQ(request(conn, wire::attach_lane_request{0}, std::array{fd}), "reply 87") << fd;
  auto [ours, theirs] = lane_pair();
  EXPECT_EQ(request(conn, wire::attach_lane_request{1u << 20}, std::array{theirs.get()}),
            "reply 87");
  // Answered after the refusals' descriptors are closed (one request at a
  // time): the count below starts from there.
  ASSERT_EQ(request(conn, wire::list_request{}), "reply 0");
  // Exactly one descriptor, or the peer goes.
  auto attach = encoded(wire::attach_lane_request{0});
  std::vector<bad_case> cases = {
      {"attach without a socket", attach, {}},
      {"attach with two", attach, {theirs.get(), theirs.get()}},
  };
  expect_dropped(cases);
  expect_still_serving();
}

// A lane takes open and listen as its peer's own, and nothing else; it goes
// with its peer.
TEST_F(Broker, LanesServeTheirPeerOnly) {
  start_broker();
  auto page = sealed_page();
  auto [server_end, endpoint] = endpoint_pair();
  wire::reply created;
  ASSERT_EQ(request(bystander_.get(), create_request(pipe_name()),
                    std::array{page.fd(), endpoint.get()}, &created),
            "reply 0");

  // Another peer's lane: its open gets the instance and writes its record.
  unique_fd peer = connect_raw(runtime_dir_);
  auto [lane, lane_end] = lane_pair();
  ASSERT_EQ(request(peer.get(), wire::attach_lane_request{0}, std::array{lane_end.get()}),
            "reply 0");
  lane_end.reset();
  wire::reply opened;
  std::vector<unique_fd> passed;
  send_raw(lane.get(), encoded(wire::open_request{pipe_name(), 3, 0}));
  ASSERT_EQ(outcome(lane.get(), &opened, nullptr, &passed), "reply 0");
  EXPECT_EQ(opened.instance_id, created.instance_id);
  ASSERT_EQ(passed.size(), 2u);
  std::array<std::byte, 64> record;
  ASSERT_GT(::recv(server_end.get(), record.data(), record.size(), 0), 0);
  wire::connect_record client;
  ASSERT_FALSE(wire::decode_connect_record(
      std::span(record).first(wire::connect_record_size(std::span(record).first(8))), client));
  EXPECT_EQ(client.client_pid, static_cast<std::uint32_t>(::getpid()));

  // The instance is the bystander's: the other peer cannot make it listen
  // again through its lane, with an endpoint of its own choosing.
  auto [stolen_end, stolen_endpoint] = endpoint_pair();
  EXPECT_EQ(request(lane.get(), wire::listen_request{created.instance_id, 9},
                    std::array{stolen_endpoint.get()}),
            "reply 6");
  // Nothing but open and listen: the peer is dropped, with its lane.
  send_raw(lane.get(), encoded(wire::list_request{}));
  EXPECT_EQ(outcome(lane.get()), "dropped");
  EXPECT_EQ(outcome(peer.get()), "dropped");

  // A peer that goes takes its lanes with it.
  unique_fd leaving = connect_raw(runtime_dir_);
  auto [lane2, lane2_end] = lane_pair();
  ASSERT_EQ(request(leaving.get(), wire::attach_lane_request{0}, std::array{lane2_end.get()}),
            "reply 0");
  lane2_end.reset();
  leaving.reset();
  EXPECT_EQ(outcome(lane2.get()), "dropped");
  expect_still_serving();
}

// A peer that asks on its lane and never reads the answers: once they fill
// the lane, the broker, which never waits on a send, drops that peer and
// goes on serving the others.
TEST_F(Broker, LaneAnswersLeftUnreadDropTheirPeer) {
  start_broker();
  unique_fd peer = connect_raw(runtime_dir_);
  auto [lane, lane_end] = lane_pair();
  ASSERT_EQ(request(peer.get(), wire::attach_lane_request{0}, std::array{lane_end.get()}),
            "reply 0");
  lane_end.reset();
  auto ask = encoded(wire::open_request{pipe_name("absent"), 3, 0});
  // Sent without waiting; the broker's answers (ERROR_FILE_NOT_FOUND) pile
  // up unread until it gives up on the peer and the lane breaks.
  bool broken = false;
  for (int i = 0; i < 1'000'000 && !broken; ++i) {
    if (::send(lane.get(), ask.data(), ask.size(), MSG_DONTWAIT | MSG_NOSIGNAL) >= 0) continue;
    if (errno == EAGAIN) {
      pollfd p{lane.get(), POLLOUT, 0};
      broken = ::poll(&p, 1, bound_ms) != 1 || (p.revents & (POLLHUP | POLLERR)) != 0;
    } else {
      broken = true;  // EPIPE or ECONNRESET: the broker closed the lane
    }
  }
  EXPECT_TRUE(broken) << "a million unread answers and the lane still takes more";
  EXPECT_EQ(outcome(peer.get()), "dropped");
  expect_still_serving();
}

TEST_F(Broker, LimitsWaitsPerPeer) {
  start_broker();
  auto page = sealed_page();
  // An instance that does not listen: every wait on the pipe has to queue.
  ASSERT_EQ(request(bystander_.get(), create_request(pipe_name()), std::array{page.fd()}),
            "reply 0");
  unique_fd waiter = connect_raw(runtime_dir_);
  auto wait = wire::wait_request{pipe_name(), detail::wait_forever};
  for (std::size_t i = 0; i < broker::max_waits_per_peer; ++i)
    send_raw(waiter.get(), encoded(wait, static_cast<std::uint32_t>(i + 1)));
  // One more than the quota is refused at once: ERROR_NOT_ENOUGH_MEMORY.
  send_raw(waiter.get(), encoded(wait, 9999));
  wire::reply r;
  wire::header h;
  EXPECT_EQ(outcome(waiter.get(), &r, &h), "reply 8");
  EXPECT_EQ(h.request_id, 9999u);
  // The quota is this peer's: another one still gets to wait (and time out).
  unique_fd other = connect_raw(runtime_dir_);
  EXPECT_EQ(request(other.get(), wire::wait_request{pipe_name(), 1}),
            "reply 121");  // ERROR_SEM_TIMEOUT
  expect_still_serving();
}

// Fills one peer's instance quota with instances that hold nothing but their page.
class BrokerQuota : public Broker {
 protected:
  void SetUp() override {
    Broker::SetUp();
    // The broker inherits our descriptor limit, raises its soft limit to
    // the hard one and sets its caps below that.
    rlimit limit{};
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &limit), 0);
    limits_ = broker::derive_limits(limit.rlim_max, false);
  }

  // Creates `count` instances on `fd`, 255 to a pipe; false at the first refusal.
  bool fill(int fd, std::size_t count, const std::string& prefix) {
    auto page = sealed_page();
    std::array fds{page.fd()};
    for (std::size_t i = 0; i < count; ++i) {
      std::string name = pipe_name(prefix + std::to_string(i / 255));
      std::string got = request(fd, create_request(name), fds);
      if (got != "reply 0") {
        ADD_FAILURE() << "instance " << i << ": " << got;
        return false;
      }
    }
    return true;
  }

  broker::broker_limits limits_;
};

TEST_F(BrokerQuota, LimitsInstancesPerPeer) {
  start_broker();
  unique_fd hog = connect_raw(runtime_dir_);
  // The peer's quota, unless the broker's descriptors run out first (two
  // connections, the bystander's and the hog's, hold one each): below a
  // hard limit of about 35000 they do.
  std::size_t by_descriptors =
      (limits_.descriptors_total - 2 * broker::charge_per_connection) / broker::charge_per_instance;
  bool peer_quota_first = broker::max_instances_per_peer <= by_descriptors;
  std::size_t quota = std::min(broker::max_instances_per_peer, by_descriptors);
  ASSERT_TRUE(fill(hog.get(), quota, "q"));
  auto page = sealed_page();
  std::array fds{page.fd()};
  // ERROR_NOT_ENOUGH_MEMORY past the peer's quota, checked before the name
  // is looked up; ERROR_NO_SYSTEM_RESOURCES when the broker is full.
  std::string refused = peer_quota_first ? "reply 8" : "reply 1450";
  EXPECT_EQ(request(hog.get(), create_request(pipe_name("one-more")), fds), refused);
  wire::reply first;
  ASSERT_EQ(request(hog.get(), wire::query_request{pipe_name("q0")}, {}, &first), "reply 0");
  EXPECT_EQ(first.cur_instances, 255u);
  // Another peer is not held back by this one's quota; a full broker is
  // full for everyone.
  EXPECT_EQ(request(bystander_.get(), create_request(pipe_name("other")), fds),
            peer_quota_first ? "reply 0" : "reply 1450");
  // Closing an instance makes room again. Instance ids start at 1 in a
  // fresh broker: the hog's first one is 1.
  EXPECT_EQ(request(hog.get(), wire::close_instance_request{1}), "reply 0");
  EXPECT_EQ(request(hog.get(), create_request(pipe_name("one-more")), fds), "reply 0");
  // The hog goes, and its instances with it: there is room for everyone.
  hog.reset();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(bound_ms);
  while (request(bystander_.get(), wire::query_request{pipe_name("q0")}) == "reply 0" &&
         std::chrono::steady_clock::now() < deadline) {
  }
  expect_still_serving();
}

// Instances the broker drops because their server end is gone (a client came
// and found it dead) no longer count against their owner's quota.
TEST_F(BrokerQuota, DeadInstancesFreeTheirQuota) {
  start_broker();
  unique_fd server = connect_raw(runtime_dir_);
  unique_fd client = connect_raw(runtime_dir_);
  auto page = sealed_page();
  for (std::size_t i = 0; i < broker::max_instances_per_peer; ++i) {
    auto [server_end, endpoint] = endpoint_pair();
    server_end.reset();  // the server is gone before any client comes
    std::string created =
        request(server.get(), create_request(pipe_name()), std::array{page.fd(), endpoint.get()});
    ASSERT_EQ(created, "reply 0") << "instance " << i;
    // The broker finds the server end dead, drops the instance and with it
    // the pipe: ERROR_FILE_NOT_FOUND.
    ASSERT_EQ(request(client.get(), wire::open_request{pipe_name(), 3, 0}), "reply 2") << i;
  }
  EXPECT_EQ(request(server.get(), create_request(pipe_name()), std::array{page.fd()}), "reply 0");
}

// Named events (event_namespace.cpp): names and descriptors checked, one
// eventfd shared, the name held while some peer holds it.
unique_fd new_eventfd(int flags = EFD_NONBLOCK | EFD_CLOEXEC) {
  return unique_fd(::eventfd(0, flags));
}

TEST_F(Broker, EventsRefuseBadNamesFlagsAndDescriptors) {
  start_broker();
  unique_fd event = new_eventfd();
  std::array fds{event.get()};
  std::vector<std::pair<std::string, std::string>> names = {
      {"", "reply 123"},
      {R"(a\b)", "reply 3"},
      {R"(Global\a\b)", "reply 3"},
      {R"(\a)", "reply 161"},
      {R"(Global\)", "reply 123"},
      {std::string(260, 'x'), "reply 206"},
      {"not utf-8 \xFF", "reply 123"},
  };
  int fds_before = fd_count_of(broker_.pid());
  for (const auto& [name, answer] : names) {
    EXPECT_EQ(request(bystander_.get(), wire::create_event_request{name, 0}, fds), answer) << name;
    EXPECT_EQ(request(bystander_.get(), wire::open_event_request{name}), answer) << name;
  }
  // event_existed is the broker's to say; other bits mean nothing.
  EXPECT_EQ(request(bystander_.get(), wire::create_event_request{"ev", 2}, fds), "reply 87");
  EXPECT_EQ(request(bystander_.get(), wire::create_event_request{"ev", 0x100}, fds), "reply 87");
  // Only a non-blocking eventfd in counting mode can be an event.
  auto page = sealed_page();
  auto [server_end, endpoint] = endpoint_pair();
  unique_fd blocking = new_eventfd(EFD_CLOEXEC);
  unique_fd semaphore = new_eventfd(EFD_NONBLOCK | EFD_CLOEXEC | EFD_SEMAPHORE);
  for (int fd : {page.fd(), endpoint.get(), blocking.get()})
    EXPECT_EQ(request(bystander_.get(), wire::create_event_request{"ev", 0}, std::array{fd}),
              "reply 87");
  std::string semaphore_answer =
      request(bystander_.get(), wire::create_event_request{"sem", 0}, std::array{semaphore.get()});
  std::ifstream info("/proc/self/fdinfo/" + std::to_string(semaphore.get()));
  std::string text((std::istreambuf_iterator<char>(info)), std::istreambuf_iterator<char>());
  if (text.find("eventfd-semaphore:") != std::string::npos) {
    EXPECT_EQ(semaphore_answer, "reply 87");
  }
  EXPECT_EQ(request(bystander_.get(), wire::open_event_request{"ev"}), "reply 2");
  // Every refused descriptor was closed.
  if (semaphore_answer == "reply 87") {
    EXPECT_EQ(fd_count_of(broker_.pid()), fds_before);
  }
  EXPECT_EQ(request(bystander_.get(), wire::create_event_request{"ev", 1}, fds), "reply 0");
  expect_still_serving();
}

TEST_F(Broker, EventsDropWrongDescriptorCounts) {
  start_broker();
  unique_fd event = new_eventfd();
  int e = event.get();
  auto create = encoded(wire::create_event_request{"ev", 0});
  std::vector<bad_case> cases = {
      {"create without a descriptor", create, {}},
      {"create with two", create, {e, e}},
      {"create with five", create, {e, e, e, e, e}},
      {"open with one", encoded(wire::open_event_request{"ev"}), {e}},
      {"close with one", encoded(wire::close_event_request{1}), {e}},
  };
  expect_dropped(cases);
  EXPECT_EQ(request(bystander_.get(), wire::open_event_request{"ev"}), "reply 2");
  expect_still_serving();
}

TEST_F(Broker, EventsShareOneEventfdWhileSomePeerHoldsThem) {
  start_broker();
  unique_fd a = connect_raw(runtime_dir_);
  unique_fd b = connect_raw(runtime_dir_);
  unique_fd event = new_eventfd();
  wire::reply created;
  ASSERT_EQ(
      request(a.get(), wire::create_event_request{"ev", 1}, std::array{event.get()}, &created),
      "reply 0");
  EXPECT_EQ(created.open_mode, wire::event_manual_reset);
  // b's create finds a's event and gets its eventfd: one counter for both.
  unique_fd other = new_eventfd();
  send_raw(b.get(), encoded(wire::create_event_request{R"(Local\ev)", 0}), std::array{other.get()});
  wire::reply existed;
  std::vector<unique_fd> received;
  ASSERT_EQ(outcome(b.get(), &existed, nullptr, &received), "reply 0");
  EXPECT_EQ(existed.instance_id, created.instance_id);
  EXPECT_EQ(existed.open_mode, wire::event_manual_reset | wire::event_existed);
  ASSERT_EQ(received.size(), 1u);
  std::uint64_t one = 1, count = 0;
  ASSERT_EQ(::write(received[0].get(), &one, sizeof(one)), 8);
  ASSERT_EQ(::read(event.get(), &count, sizeof(count)), 8);
  EXPECT_EQ(count, 1u);
  // Only holders let go; the name stays while b holds it.
  EXPECT_EQ(request(bystander_.get(), wire::close_event_request{created.instance_id}), "reply 6");
  EXPECT_EQ(request(a.get(), wire::close_event_request{created.instance_id}), "reply 0");
  EXPECT_EQ(request(a.get(), wire::close_event_request{created.instance_id}), "reply 6");
  send_raw(a.get(), encoded(wire::open_event_request{"ev"}));
  received.clear();
  ASSERT_EQ(outcome(a.get(), nullptr, nullptr, &received), "reply 0");
  EXPECT_EQ(received.size(), 1u);
  // A peer that goes lets go of all it held.
  a.reset();
  b.reset();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(bound_ms);
  std::string answer;
  do {
    answer = request(bystander_.get(), wire::open_event_request{"ev"});
    if (answer == "reply 0")
      request(bystander_.get(), wire::close_event_request{created.instance_id});
  } while (answer == "reply 0" && std::chrono::steady_clock::now() < deadline);
  EXPECT_EQ(answer, "reply 2");
  expect_still_serving();
}

// Owner notes (mutex_owner, 22) are never answered and count only for the
// peer that sends them, on a mutex it holds: a hostile peer's notes and its
// going leave another's mutex alone; the owner's going abandons it.
TEST_F(Broker, MutexOwnerNotesCountOnlyForTheirSender) {
  start_broker();
  unique_fd owner = connect_raw(runtime_dir_);
  unique_fd hostile = connect_raw(runtime_dir_);
  unique_fd counter(::eventfd(1, EFD_NONBLOCK | EFD_CLOEXEC));
  wire::reply created;
  ASSERT_EQ(request(owner.get(),
                    wire::create_sync_object_request{"mx", wire::sync_kind_mutex, 0, 0x001F0001},
                    std::array{counter.get()}, &created),
            "reply 0");
  std::uint64_t id = created.instance_id;
  std::uint64_t count = 0;
  ASSERT_EQ(::read(counter.get(), &count, sizeof(count)), 8);  // the owner takes it
  send_raw(owner.get(), encoded(wire::mutex_owner_request{id, 1}, 7));
  // The hostile peer holds the mutex too, and lies about it.
  ASSERT_EQ(request(hostile.get(),
                    wire::open_sync_object_request{"mx", wire::sync_kind_mutex, 0x00100000}),
            "reply 0");
  unique_fd spare = new_eventfd();
  ASSERT_EQ(request(hostile.get(), wire::create_event_request{"hostile-only", 0},
                    std::array{spare.get()}),
            "reply 0");
  for (auto note : {wire::mutex_owner_request{id, 0}, wire::mutex_owner_request{id, 7},
                    wire::mutex_owner_request{id + 1, 1}, wire::mutex_owner_request{~0ull, 1}})
    send_raw(hostile.get(), encoded(note, 9));
  // No answer to any note: the next packet answers the request after them.
  wire::header h;
  send_raw(hostile.get(), encoded(wire::query_request{R"(\\.\pipe\none)"}, 11));
  ASSERT_EQ(outcome(hostile.get(), nullptr, &h), "reply 2");
  EXPECT_EQ(h.request_id, 11u);
  // It goes; once its own name is gone, the broker has seen it go.
  hostile.reset();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(bound_ms);
  std::string answer;
  do {
    wire::reply held;
    answer = request(bystander_.get(), wire::open_event_request{"hostile-only"}, {}, &held);
    if (answer == "reply 0") request(bystander_.get(), wire::close_event_request{held.instance_id});
  } while (answer == "reply 0" && std::chrono::steady_clock::now() < deadline);
  ASSERT_EQ(answer, "reply 2");
  EXPECT_EQ(::read(counter.get(), &count, sizeof(count)), -1);  // still the owner's
  // The owner goes owning it: abandoned (2), within the bound.
  owner.reset();
  pollfd p{counter.get(), POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, bound_ms), 1);
  ASSERT_EQ(::read(counter.get(), &count, sizeof(count)), 8);
  EXPECT_EQ(count, 2u);
  expect_still_serving();
}

TEST_F(Broker, LimitsEventsPerPeer) {
  start_broker();
  unique_fd hog = connect_raw(runtime_dir_);
  unique_fd event = new_eventfd();
  std::array fds{event.get()};
  for (std::size_t i = 0; i < broker::max_events_per_peer; ++i)
    ASSERT_EQ(request(hog.get(), wire::create_event_request{"e" + std::to_string(i), 0}, fds),
              "reply 0")
        << i;
  // ERROR_NOT_ENOUGH_MEMORY, for a new name and for holding another's.
  EXPECT_EQ(request(hog.get(), wire::create_event_request{"one-more", 0}, fds), "reply 8");
  EXPECT_EQ(request(bystander_.get(), wire::create_event_request{"theirs", 0}, fds), "reply 0");
  EXPECT_EQ(request(hog.get(), wire::open_event_request{"theirs"}), "reply 8");
  // What it holds already costs nothing more; another peer is not held back.
  EXPECT_EQ(request(hog.get(), wire::open_event_request{"e0"}), "reply 0");
  EXPECT_EQ(request(bystander_.get(), wire::open_event_request{"e1"}), "reply 0");
  // Letting go makes room. Event ids start at 1 in a fresh broker.
  EXPECT_EQ(request(hog.get(), wire::close_event_request{1}), "reply 0");
  EXPECT_EQ(request(hog.get(), wire::create_event_request{"one-more", 0}, fds), "reply 0");
  expect_still_serving();
}

TEST_F(Broker, OneBrokerForManyProcessesStartingAtOnce) {
  ASSERT_EQ(broker_pid(), 0) << "no broker may run before the test";
  constexpr int count = 8;
  std::vector<std::unique_ptr<test::helper_process>> helpers;
  for (int i = 0; i < count; ++i) helpers.push_back(std::make_unique<test::helper_process>());
  // All of them need the broker at once, and none is running.
  for (int i = 0; i < count; ++i)
    helpers[i]->send("create s1 " + pipe_name(std::to_string(i)) + " max=1");
  for (int i = 0; i < count; ++i) EXPECT_EQ(helpers[i]->answer(), "ok") << "helper " << i;

  int pid = broker_pid();
  ASSERT_GT(pid, 0);
  EXPECT_EQ(brokers_serving(runtime_dir_), std::vector<pid_t>{pid});
  // One broker knows every pipe.
  unique_fd fd = connect_raw(runtime_dir_);
  wire::reply listed;
  ASSERT_EQ(request(fd.get(), wire::list_request{}, {}, &listed), "reply 0");
  std::set<std::string> names(listed.names.begin(), listed.names.end());
  for (int i = 0; i < count; ++i) {
    EXPECT_EQ(names.count(pipe_name(std::to_string(i))), 1u) << "pipe " << i;
    std::error_code ec;
    auto client = pipe_client::open(pipe_name(std::to_string(i)), pipe_access::duplex, ec);
    EXPECT_FALSE(ec) << "pipe " << i << ": " << ec.message();
  }
}

TEST_F(Broker, ExitsWhenIdle) {
  start_broker({"--idle-exit", "1"});
  int old_pid = broker_.pid();
  // Not while a peer is connected, however long it stays idle.
  EXPECT_FALSE(exits_within(broker_.pidfd(), 1500));
  bystander_.reset();
  // Alone, it leaves within its idle time (and some slack), cleanly.
  EXPECT_TRUE(exits_within(broker_.pidfd(), bound_ms));
  int status = broker_.wait_exit(bound_ms);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  struct stat st {};
  EXPECT_EQ(::stat(detail::broker_socket_path(runtime_dir_).c_str(), &st), -1);
  EXPECT_EQ(errno, ENOENT);
  // It took its pid file with it: nothing names a pid that may be reused.
  EXPECT_EQ(::access(detail::broker_pid_path(runtime_dir_).c_str(), F_OK), -1);
  // The next library call starts a broker again.
  std::error_code ec;
  auto server = pipe_server::create(pipe_name(), {}, ec);
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_GT(broker_pid(), 0);
  EXPECT_NE(broker_pid(), old_pid);
}

TEST_F(Broker, StopsOnSigterm) {
  start_broker();
  ASSERT_EQ(::kill(broker_.pid(), SIGTERM), 0);
  int status = broker_.wait_exit(bound_ms);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  EXPECT_EQ(outcome(bystander_.get()), "dropped");
  EXPECT_EQ(::access(detail::broker_socket_path(runtime_dir_).c_str(), F_OK), -1);
  EXPECT_EQ(::access(detail::broker_pid_path(runtime_dir_).c_str(), F_OK), -1);
}

TEST_F(Broker, OnlyOneBrokerPerFolder) {
  start_broker();
  broker_process second;
  EXPECT_FALSE(second.start({"--runtime-dir", runtime_dir_}));
  int status = second.wait_exit(bound_ms);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << "status " << status;
  expect_still_serving();
}

// ---- Credentials: who trusts whom. These need root to act as other users.

class BrokerCredentials : public Broker {
 protected:
  void SetUp() override {
    Broker::SetUp();
    if (::geteuid() != 0) GTEST_SKIP() << "acting as other users needs root";
    alice_ = unused_uid(61000);
    bob_ = unused_uid(alice_ + 1);
    ASSERT_NE(bob_, static_cast<uid_t>(-1));
    // Others must reach the folders inside the sandbox.
    ASSERT_EQ(::chmod(runtime_dir_.c_str(), 0755), 0);
    for (const auto& program : {beside_self("conduitd"), beside_self("conduit_test_helper")})
      if (!runs_as(alice_, program))
        GTEST_SKIP() << "another user cannot run " << program
                     << ": build in a folder others may read to run these tests";
  }

  // A folder inside the sandbox owned by `uid` with `mode`.
  std::string folder(const std::string& name, uid_t uid, mode_t mode) {
    std::string dir = runtime_dir_ + "/" + name;
    EXPECT_EQ(::mkdir(dir.c_str(), 0700), 0);
    EXPECT_EQ(::chown(dir.c_str(), uid, uid), 0);
    EXPECT_EQ(::chmod(dir.c_str(), mode), 0);
    return dir;
  }

  // Runs conduit_test_helper as `uid` with CONDUIT_RUNTIME_DIR=`dir`, gives
  // it one command and returns its answer.
  std::string as_user(uid_t uid, const std::string& dir, const std::string& command) {
    std::string helper = beside_self("conduit_test_helper");
    int in[2], out[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) return "pipe2 failed";
    std::string env_dir = "CONDUIT_RUNTIME_DIR=" + dir;
    std::vector<char*> env = {env_dir.data(), nullptr};
    char* argv[] = {helper.data(), nullptr};
    pid_t pid = ::fork();
    if (pid == 0) {
      if (!become(uid) || ::dup2(in[0], 0) < 0 || ::dup2(out[1], 1) < 0) ::_exit(126);
      ::execve(argv[0], argv, env.data());
      ::_exit(127);
    }
    ::close(in[0]);
    ::close(out[1]);
    unique_fd to(in[1]), from(out[0]);
    unique_fd pidfd(pidfd_open(pid));
    std::string line = command + "\nexit\n";
    EXPECT_EQ(::write(to.get(), line.data(), line.size()), static_cast<ssize_t>(line.size()));
    std::string answer;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(bound_ms);
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd p{from.get(), POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) != 1) {
        answer = "timeout";
        break;
      }
      char chunk[256];
      ssize_t n = ::read(from.get(), chunk, sizeof(chunk));
      if (n <= 0) break;
      answer.append(chunk, static_cast<std::size_t>(n));
    }
    if (!exits_within(pidfd.get(), bound_ms)) ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (WIFEXITED(status) && WEXITSTATUS(status) >= 126)
      return "cannot run the helper as " + std::to_string(uid);
    while (!answer.empty() && answer.back() == '\n') answer.pop_back();
    return answer;
  }

  // Kills a detached broker a helper started in `dir`, by its pid file.
  static void kill_broker_in(const std::string& dir) {
    std::ifstream in(detail::broker_pid_path(dir));
    int pid = 0;
    in >> pid;
    if (pid <= 0) return;
    unique_fd pidfd(pidfd_open(pid));
    ::kill(pid, SIGKILL);
    if (pidfd) {
      EXPECT_TRUE(exits_within(pidfd.get(), bound_ms));
    }
  }

  uid_t alice_ = 0;
  uid_t bob_ = 0;
};

TEST_F(BrokerCredentials, RootRefusesABrokerOfAnotherUser) {
  // Alice's session broker, in a folder root is pointed at.
  std::string dir = folder("alice", alice_, 0700);
  broker_process alices;
  ASSERT_TRUE(alices.start({"--runtime-dir", dir}, alice_));
  ::setenv("CONDUIT_RUNTIME_DIR", dir.c_str(), 1);
  std::error_code ec;
  auto server = pipe_server::create(pipe_name(), {}, ec);
  EXPECT_EQ(ec, errc::access_denied);
  auto client = pipe_client::open(pipe_name(), pipe_access::duplex, ec);
  EXPECT_EQ(ec, errc::access_denied);
}

TEST_F(BrokerCredentials, UserRefusesABrokerOfAnotherUser) {
  // Bob runs a broker that anyone can connect to (a shared folder, as
  // --system makes it); it is not Bob's folder Alice trusts.
  std::string dir = folder("bob", bob_, 0755);
  broker_process bobs;
  ASSERT_TRUE(bobs.start({"--system", "--runtime-dir", dir}, bob_));
  EXPECT_EQ(as_user(alice_, dir, "create s1 " + pipe_name()), "err 5");  // ERROR_ACCESS_DENIED
  EXPECT_EQ(as_user(alice_, dir, "open c1 " + pipe_name()), "err 5");
  // Bob himself trusts it; so does root's broker check for its own (see above).
  EXPECT_EQ(as_user(bob_, dir, "create s1 " + pipe_name()), "ok");
  EXPECT_TRUE(bobs.running());
}

TEST_F(BrokerCredentials, UserRefusesAnUnsafeSessionFolder) {
  struct folder_case {
    std::string what;
    uid_t owner;
    mode_t mode;
  };
  std::vector<folder_case> cases = {
      {"world-writable", alice_, 0777},
      {"group-writable", alice_, 0770},
      {"owned by another user", bob_, 0700},
      {"owned by root", 0, 0700},
  };
  int n = 0;
  for (const auto& c : cases) {
    std::string dir = folder("unsafe" + std::to_string(n++), c.owner, c.mode);
    EXPECT_EQ(as_user(alice_, dir, "create s1 " + pipe_name()), "err 5") << c.what;
    // Nothing was started there.
    EXPECT_EQ(::access(detail::broker_pid_path(dir).c_str(), F_OK), -1) << c.what;
  }
  // Her own private folder works: the library starts her broker there.
  std::string dir = folder("safe", alice_, 0700);
  EXPECT_EQ(as_user(alice_, dir, "create s1 " + pipe_name()), "ok");
  kill_broker_in(dir);
}

TEST_F(BrokerCredentials, BrokerRefusesAnUnsafeFolder) {
  struct folder_case {
    std::string what;
    uid_t owner;
    mode_t mode;
    std::vector<std::string> extra;
  };
  std::vector<folder_case> cases = {
      {"world-writable", alice_, 0777, {}},
      {"group-writable", alice_, 0770, {}},
      {"owned by another user", bob_, 0700, {}},
      {"owned by another user, system mode", bob_, 0755, {"--system"}},
  };
  int n = 0;
  for (const auto& c : cases) {
    std::string dir = folder("refused" + std::to_string(n++), c.owner, c.mode);
    std::vector<std::string> args = c.extra;
    args.insert(args.end(), {"--runtime-dir", dir});
    broker_process b;
    EXPECT_FALSE(b.start(args, alice_)) << c.what;
    int status = b.wait_exit(bound_ms);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << c.what << ": status " << status;
  }
}

}  // namespace
}  // namespace conduit
