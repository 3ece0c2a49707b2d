// Connecting: client open, server connect, and which instance a client gets.
#include <gtest/gtest.h>
#include <unistd.h>

#include <thread>

#include "conduit/error.hpp"
#include "conduit/pipe_client.hpp"
#include "conduit/pipe_server.hpp"
#include "support/helper_process.hpp"
#include "support/sandbox.hpp"

namespace conduit {
namespace {

class PipeConnect : public test::sandbox {};

TEST_F(PipeConnect, OpenErrors) {
  std::error_code ec;
  auto none = pipe_client::open(pipe_name(), pipe_access::duplex, ec);
  EXPECT_EQ(ec, errc::file_not_found);
  auto bad = pipe_client::open(R"(\\.\foo\x)", pipe_access::duplex, ec);
  EXPECT_EQ(ec, errc::path_not_found);
  auto remote = pipe_client::open(R"(\\faraway\pipe\x)", pipe_access::duplex, ec);
  EXPECT_EQ(ec, errc::bad_netpath);

  test::helper_process server;
  ASSERT_EQ(server.call("create s1 " + pipe_name() + " max=1"), "ok");
  auto first = pipe_client::open(pipe_name(), pipe_access::duplex, ec);
  ASSERT_FALSE(ec);
  auto second = pipe_client::open(pipe_name(), pipe_access::duplex, ec);
  EXPECT_EQ(ec, errc::pipe_busy);
}

TEST_F(PipeConnect, ClientBeforeConnectIsPipeConnected) {
  auto server = pipe_server::create(pipe_name());
  test::helper_process client;
  ASSERT_EQ(client.call("open c1 " + pipe_name()), "ok");
  ASSERT_EQ(client.call("write c1 early"), "ok 5");
  EXPECT_EQ(server.connect(), connect_status::already_connected);
  std::array<std::byte, 16> buffer;
  EXPECT_EQ(server.read(buffer), 5u);
  // Connecting again while connected: still ERROR_PIPE_CONNECTED, as a status.
  EXPECT_EQ(server.connect(), connect_status::already_connected);
}

TEST_F(PipeConnect, ConnectWaitsForAClient) {
  auto server = pipe_server::create(pipe_name());
  test::helper_process client;
  client.send("open c1 " + pipe_name());
  EXPECT_EQ(server.connect(std::chrono::seconds(10)), connect_status::connected);
  EXPECT_EQ(client.answer(), "ok");
  EXPECT_EQ(server.client_process_id(), static_cast<std::uint32_t>(client.pid()));
  EXPECT_EQ(client.call("server-pid c1"), "ok " + std::to_string(::getpid()));
  EXPECT_EQ(client.call("client-pid c1"), "ok " + std::to_string(client.pid()));
}

TEST_F(PipeConnect, ConnectTimesOut) {
  auto server = pipe_server::create(pipe_name());
  std::error_code ec;
  server.connect(std::chrono::milliseconds(20), ec);
  EXPECT_EQ(ec, errc::sem_timeout);
}

TEST_F(PipeConnect, ClientThatCameAndWentIsNoData) {
  auto server = pipe_server::create(pipe_name());
  {
    test::helper_process client;
    ASSERT_EQ(client.call("open c1 " + pipe_name()), "ok");
    ASSERT_EQ(client.call("write c1 abc"), "ok 3");
    ASSERT_EQ(client.call("close c1"), "ok");
  }
  broker_round_trip();  // the broker's own copy of the client's end is gone too
  std::error_code ec;
  server.connect(ec);
  EXPECT_EQ(ec, errc::no_data);
  // What it wrote is still there, then the pipe has ended.
  std::array<std::byte, 16> buffer;
  EXPECT_EQ(server.read(buffer, ec), 3u);
  EXPECT_FALSE(ec);
  server.read(buffer, ec);
  EXPECT_EQ(ec, errc::broken_pipe);
  server.write("x", ec);
  EXPECT_EQ(ec, errc::no_data);
}

TEST_F(PipeConnect, IoOnAListeningInstance) {
  auto server = pipe_server::create(pipe_name());
  std::array<std::byte, 16> buffer;
  std::error_code ec;
  server.read(buffer, ec);
  EXPECT_EQ(ec, errc::pipe_listening);
  server.write("x", ec);
  EXPECT_EQ(ec, errc::pipe_listening);
  EXPECT_EQ(server.client_process_id(ec), 0u);
  EXPECT_EQ(ec, errc::not_found);
}

TEST_F(PipeConnect, AccessMustFitTheDirection) {
  pipe_options inbound;
  inbound.direction = pipe_direction::inbound;
  auto server = pipe_server::create(pipe_name("in"), inbound);
  std::error_code ec;
  auto reader = pipe_client::open(pipe_name("in"), pipe_access::read, ec);
  EXPECT_EQ(ec, errc::access_denied);
  reader = pipe_client::open(pipe_name("in"), pipe_access::duplex, ec);
  EXPECT_EQ(ec, errc::access_denied);
  auto writer = pipe_client::open(pipe_name("in"), pipe_access::write, ec);
  ASSERT_FALSE(ec);
  server.connect();
  std::array<std::byte, 16> buffer;
  writer.read(buffer, ec);
  EXPECT_EQ(ec, errc::access_denied);
  server.write("x", ec);
  EXPECT_EQ(ec, errc::access_denied);
  writer.write("hi");
  EXPECT_EQ(server.read(buffer), 2u);

  pipe_options outbound;
  outbound.direction = pipe_direction::outbound;
  auto out_server = pipe_server::create(pipe_name("out"), outbound);
  auto bad = pipe_client::open(pipe_name("out"), pipe_access::write, ec);
  EXPECT_EQ(ec, errc::access_denied);
  auto nothing = pipe_client::open(pipe_name("out"), pipe_access::none, ec);
  EXPECT_FALSE(ec);
}

// Clients get idle instances by creation order, and after a disconnect by
// the time the instance started listening again.
TEST_F(PipeConnect, InstancesServeInListeningOrder) {
  test::helper_process server;
  for (const char* id : {"a", "b", "c"})
    ASSERT_EQ(server.call(std::string("create ") + id + " " + pipe_name()), "ok");
  // Every instance with a client writes its own name; what this client reads
  // names the instance it holds.
  auto identify = [&](pipe_client& client) {
    for (const char* id : {"a", "b", "c"}) server.call(std::string("write ") + id + " " + id);
    std::array<char, 1> got{};
    client.read(std::as_writable_bytes(std::span(got)));
    return std::string(got.data(), 1);
  };
  auto c1 = pipe_client::open(pipe_name());
  EXPECT_EQ(identify(c1), "a");
  ASSERT_EQ(server.call("disconnect a"), "ok");
  auto c2 = pipe_client::open(pipe_name());
  EXPECT_EQ(identify(c2), "b");
  // a listens again only when connect is called: after c, which has
  // listened since creation.
  server.send("& connect a");
  auto c3 = pipe_client::open(pipe_name());
  EXPECT_EQ(identify(c3), "c");
  ASSERT_TRUE(wait_named_pipe(pipe_name(), std::chrono::seconds(10)));  // a listens
  auto c4 = pipe_client::open(pipe_name());
  EXPECT_EQ(server.background_answer(), "ok connected");
  EXPECT_EQ(identify(c4), "a");
  std::error_code ec;
  auto c5 = pipe_client::open(pipe_name(), pipe_access::duplex, ec);
  EXPECT_EQ(ec, errc::pipe_busy);
}

TEST_F(PipeConnect, CloseWakesABlockedConnect) {
  auto server = pipe_server::create(pipe_name());
  std::error_code ec;
  std::thread waiter([&] { server.connect(std::chrono::seconds(30), ec); });
  // Closing from another thread ends the wait with an error, not a hang.
  while (!ec && server.is_open()) {
    server.close();
  }
  waiter.join();
  EXPECT_TRUE(ec == errc::operation_aborted || ec == errc::invalid_handle) << ec.message();
}

}  // namespace
}  // namespace conduit
