// The broker's open_remote (30): only root speaks for remote users, the
// request's identity is what the DACL sees (as a NETWORK logon), remote
// clients are refused by PIPE_REJECT_REMOTE_CLIENTS, and the connect record
// marks them remote, a mark no local open can carry.
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "broker/pipe_namespace.hpp"
#include "conduit/error.hpp"
#include "core/pipe_flags.hpp"
#include "support/raw_broker.hpp"

namespace conduit::test {
namespace {

namespace broker = conduit::broker;

constexpr const char* name = R"(\\.\pipe\remote)";

broker::peer make_peer(broker::peer_id id, uid_t uid) {
  broker::peer p;
  p.id = id;
  p.creds.pid = ::getpid();
  p.creds.uid = uid;
  p.creds.gid = uid;
  return p;
}

struct listening_pipe {
  broker::pipe_namespace pipes;
  detail::instance_page page = sealed_page();
  std::array<detail::unique_fd, 2> ends = endpoint_pair();
  broker::peer owner = make_peer(1, 0);

  explicit listening_pipe(const std::string& sddl, std::uint32_t pipe_mode = 0) {
    auto request = create_request(name);
    request.security_descriptor = sddl;
    request.pipe_mode = pipe_mode;
    auto r = pipes.create_instance(owner, request, detail::unique_fd(::dup(page.fd())),
                                   std::move(ends[1]));
    EXPECT_EQ(r.error, 0u);
  }
};

// The connect record the broker wrote into a server's end.
bool read_record(int fd, wire::connect_record& out) {
  std::vector<std::byte> bytes(wire::connect_record::max_size);
  ssize_t n = ::recv(fd, bytes.data(), bytes.size(), MSG_DONTWAIT);
  return n > 0 &&
         !wire::decode_connect_record(std::span(bytes).first(static_cast<std::size_t>(n)), out);
}

wire::open_remote_request remote_open(std::uint32_t uid) {
  wire::open_remote_request r;
  r.name = name;
  r.desired_access = 0xC0000000;  // GENERIC_READ | GENERIC_WRITE
  r.client_pid = 4242;
  r.uid = uid;
  r.gid = uid;
  r.groups = {uid, 27};
  return r;
}

TEST(OpenRemote, OnlyRootMaySpeakForRemoteUsers) {
  listening_pipe p("D:(A;;GA;;;WD)");
  auto stranger = make_peer(2, 1000);
  // Even for itself, even on a pipe open to everyone.
  EXPECT_EQ(p.pipes.open_remote(stranger, remote_open(1000)).reply.error,
            static_cast<std::uint32_t>(errc::access_denied));
  auto root = make_peer(3, 0);
  auto unknown_flags = remote_open(1000);
  unknown_flags.flags = 2;
  EXPECT_EQ(p.pipes.open_remote(root, unknown_flags).reply.error,
            static_cast<std::uint32_t>(errc::invalid_parameter));
  auto opened = p.pipes.open_remote(root, remote_open(1000));
  ASSERT_EQ(opened.reply.error, 0u);
  // The server reads the remote identity, marked remote.
  wire::connect_record record;
  ASSERT_TRUE(read_record(p.ends[0].get(), record));
  EXPECT_EQ(record.uid, 1000u);
  EXPECT_EQ(record.client_pid, 4242u);
  EXPECT_EQ(record.groups, (std::vector<std::uint32_t>{1000, 27}));
  EXPECT_TRUE(record.sqos_flags & detail::sqos_remote_client);
}

// The client's computer name and address reach the server as given, and
// only names and addresses that are such.
TEST(OpenRemote, ComputerNameAndAddressReachTheServer) {
  listening_pipe p("D:(A;;GA;;;WD)");
  auto root = make_peer(3, 0);
  for (auto [computer, address] :
       std::vector<std::pair<std::string, std::string>>{{"BAD NAME", ""},
                                                        {"host\\x", ""},
                                                        {".leading", ""},
                                                        {"caf\xc3\xa9", ""},
                                                        {"", "10.0.0.256"},
                                                        {"", "::1%"},
                                                        {"", "127.0.0.1%eth0"},
                                                        {"", "::1%e/0"},
                                                        {"", "example.com"}}) {
    auto bad = remote_open(1000);
    bad.computer_name = computer;
    bad.client_address = address;
    EXPECT_EQ(p.pipes.open_remote(root, bad).reply.error,
              static_cast<std::uint32_t>(errc::invalid_parameter))
        << computer << " " << address;
  }
  auto good = remote_open(1000);
  good.computer_name = "WORKSTATION7.example.org";
  good.client_address = "2001:db8::15";
  ASSERT_EQ(p.pipes.open_remote(root, good).reply.error, 0u);
  wire::connect_record record;
  ASSERT_TRUE(read_record(p.ends[0].get(), record));
  EXPECT_EQ(record.computer_name, "WORKSTATION7.example.org");
  EXPECT_EQ(record.client_address, "2001:db8::15");
}

TEST(OpenRemote, LocalOpensCannotPassForRemote) {
  listening_pipe p("D:(A;;GA;;;WD)");
  auto local = make_peer(2, 1000);
  wire::open_request forged{name, 0xC0000000, detail::sqos_remote_client};
  auto opened = p.pipes.open(local, forged);
  ASSERT_EQ(opened.reply.error, 0u);
  wire::connect_record record;
  ASSERT_TRUE(read_record(p.ends[0].get(), record));
  EXPECT_FALSE(record.sqos_flags & detail::sqos_remote_client);
  EXPECT_EQ(record.computer_name, "");
  EXPECT_EQ(record.client_address, "");
}

TEST(OpenRemote, NetworkLogonsMeetTheDacl) {
  auto root = make_peer(3, 0);
  // Network users denied, everyone else allowed: remote refused, local not.
  listening_pipe deny_network("D:(D;;GA;;;NU)(A;;GA;;;WD)");
  EXPECT_EQ(deny_network.pipes.open_remote(root, remote_open(1000)).reply.error,
            static_cast<std::uint32_t>(errc::access_denied));
  listening_pipe interactive_only("D:(A;;GA;;;IU)");
  EXPECT_EQ(interactive_only.pipes.open_remote(root, remote_open(1000)).reply.error,
            static_cast<std::uint32_t>(errc::access_denied));
  listening_pipe network_only("D:(A;;GA;;;NU)");
  EXPECT_EQ(network_only.pipes.open_remote(root, remote_open(1000)).reply.error, 0u);
}

TEST(OpenRemote, RejectRemoteClients) {
  listening_pipe p("D:(A;;GA;;;WD)", detail::reject_remote_clients);
  auto root = make_peer(3, 0);
  EXPECT_EQ(p.pipes.open_remote(root, remote_open(1000)).reply.error,
            static_cast<std::uint32_t>(errc::access_denied));
  auto local = make_peer(2, 1000);
  EXPECT_EQ(p.pipes.open(local, wire::open_request{name, 0xC0000000, 0}).reply.error, 0u);
}

TEST(OpenRemote, WireRoundTrip) {
  auto in = remote_open(1000);
  in.flags = wire::remote_anonymous;
  auto bytes = wire::encode(wire::request(in), 7);
  wire::header h;
  wire::request out;
  ASSERT_FALSE(wire::decode_request(bytes, h, out));
  ASSERT_TRUE(std::holds_alternative<wire::open_remote_request>(out));
  EXPECT_EQ(wire::encode(out, 7), bytes);
  EXPECT_EQ(wire::fds_expected(out), 0u);
  // More groups than a connect record holds: the peer is dropped.
  in.groups.assign(wire::connect_record::max_groups + 1, 5);
  bytes = wire::encode(wire::request(in), 7);
  EXPECT_EQ(wire::decode_request(bytes, h, out), std::errc::bad_message);
  // So does a computer name or address longer than a connect record holds.
  in.groups = {};
  in.computer_name = "host";
  in.client_address = "192.0.2.1";
  bytes = wire::encode(wire::request(in), 7);
  ASSERT_FALSE(wire::decode_request(bytes, h, out));
  EXPECT_EQ(std::get<wire::open_remote_request>(out).computer_name, "host");
  in.computer_name.assign(wire::connect_record::max_computer_name + 1, 'h');
  bytes = wire::encode(wire::request(in), 7);
  EXPECT_EQ(wire::decode_request(bytes, h, out), std::errc::bad_message);
  in.computer_name = "host";
  in.client_address.assign(wire::connect_record::max_client_address + 1, '1');
  bytes = wire::encode(wire::request(in), 7);
  EXPECT_EQ(wire::decode_request(bytes, h, out), std::errc::bad_message);
}

}  // namespace
}  // namespace conduit::test
