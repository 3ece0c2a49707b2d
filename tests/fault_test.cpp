// Faults: a server killed mid-transfer, the broker killed and restarted,
// and a crowd of clients on few instances.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "conduit/error.hpp"
#include "conduit/pipe_client.hpp"
#include "conduit/pipe_server.hpp"
#include "support/helper_process.hpp"
#include "support/sandbox.hpp"

namespace conduit {
namespace {

using namespace std::chrono_literals;

class Fault : public test::sandbox {};

TEST_F(Fault, ServerKilledMidTransfer) {
  test::helper_process server;
  ASSERT_EQ(server.call("create s1 " + pipe_name()), "ok");
  auto client = pipe_client::open(pipe_name());
  ASSERT_EQ(server.call("connect s1"), "ok already");
  // The server blocks writing far more than the socket holds.
  server.send("& fill s1 100000000");
  std::array<std::byte, 65536> buffer;
  std::size_t got = client.read(buffer);
  EXPECT_GT(got, 0u);
  server.kill_hard();
  // What was in flight can still be read; then the pipe has ended.
  std::error_code ec;
  while (!ec) got += client.read(buffer, ec);
  EXPECT_EQ(ec, errc::broken_pipe);
  EXPECT_LT(got, 100000000u);
  client.write("x", ec);
  EXPECT_EQ(ec, errc::no_data);
}

TEST_F(Fault, ClientKilledMidTransfer) {
  auto server = pipe_server::create(pipe_name());
  test::helper_process client;
  ASSERT_EQ(client.call("open c1 " + pipe_name()), "ok");
  server.connect();
  client.send("& fill c1 100000000");
  std::array<std::byte, 65536> buffer;
  EXPECT_GT(server.read(buffer), 0u);
  client.kill_hard();
  std::error_code ec;
  while (!ec) server.read(buffer, ec);
  EXPECT_EQ(ec, errc::broken_pipe);
  server.disconnect();
  // The instance serves the next client.
  test::helper_process next;
  next.send("open c2 " + pipe_name());
  EXPECT_EQ(server.connect(10s), connect_status::connected);
  EXPECT_EQ(next.answer(), "ok");
}

TEST_F(Fault, BrokerRestartKeepsConnectionsAndReregistersInstances) {
  test::helper_process server;
  ASSERT_EQ(server.call("create s1 " + pipe_name() + " max=3"), "ok");
  ASSERT_EQ(server.call("create s2 " + pipe_name() + " max=3"), "ok");
  auto connected = pipe_client::open(pipe_name());
  ASSERT_EQ(server.call("connect s1"), "ok already");
  int old_broker = broker_pid();
  ASSERT_GT(old_broker, 0);
  kill_broker();

  // The connection does not go through the broker: it keeps working.
  connected.write("still here");
  EXPECT_EQ(server.call("read s1 64"), "ok still here");
  ASSERT_EQ(server.call("write s1 yes"), "ok 3");
  std::array<std::byte, 8> buffer;
  EXPECT_EQ(connected.read(buffer), 3u);

  // A new broker comes up; the listening instance registers again by itself.
  std::error_code ec;
  auto fresh = test::open_after_restart(pipe_name(), ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_NE(broker_pid(), old_broker);
  ASSERT_EQ(server.call("connect s2"), "ok already");
  fresh.write("new");
  EXPECT_EQ(server.call("read s2 64"), "ok new");
  // The connected instance counts too, and listens again after a disconnect.
  EXPECT_EQ(server.call("create s3 " + pipe_name() + " max=3"), "ok");
  EXPECT_EQ(server.call("create s4 " + pipe_name() + " max=3"), "err 231");
  ASSERT_EQ(server.call("disconnect s1"), "ok");
  // Its client learns of the disconnect from the page the old broker handed
  // it (a shut-down connection alone would read as ERROR_BROKEN_PIPE): the
  // server writes it still, though the new broker was given another.
  connected.read(buffer, ec);
  EXPECT_EQ(ec, errc::pipe_not_connected) << ec.message();
  server.send("& connect s1");
  auto third = pipe_client::open(pipe_name(), pipe_access::duplex, ec);  // takes s3
  ASSERT_FALSE(ec);
  EXPECT_TRUE(wait_named_pipe(pipe_name(), 10s, ec)) << ec.message();
  auto fourth = pipe_client::open(pipe_name(), pipe_access::duplex, ec);  // takes s1
  EXPECT_FALSE(ec);
  EXPECT_EQ(server.background_answer(), "ok connected");
  // The client of the new broker's page learns of a disconnect the same way.
  ASSERT_EQ(server.call("disconnect s1"), "ok");
  fourth.read(buffer, ec);
  EXPECT_EQ(ec, errc::pipe_not_connected) << ec.message();
}

TEST_F(Fault, CrowdOfClientsOnEightInstances) {
  constexpr int clients = 200;
  test::helper_process server;
  // Both processes make their broker connection before counting descriptors.
  ASSERT_EQ(server.call("create warm-up " + pipe_name("warm-up")), "ok");
  ASSERT_EQ(server.call("close warm-up"), "ok");
  int server_fds_before = std::stoi(server.call("fds").substr(3));
  ASSERT_EQ(server.call("echo-server " + pipe_name() + " 8 " + std::to_string(clients)), "ok");
  std::error_code warm_up;
  auto nothing = pipe_client::open(pipe_name("absent"), pipe_access::duplex, warm_up);
  ASSERT_EQ(warm_up, errc::file_not_found);
  int fds_before = test::open_fd_count();
  std::atomic<int> served{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < clients; ++i) {
    threads.emplace_back([&, i] {
      std::error_code ec;
      pipe_client client;
      auto deadline = std::chrono::steady_clock::now() + 60s;
      // WaitNamedPipe-style: on busy, wait for a free instance and retry.
      for (;;) {
        client = pipe_client::open(pipe_name(), pipe_access::duplex, ec);
        if (ec != errc::pipe_busy || std::chrono::steady_clock::now() > deadline) break;
        wait_named_pipe(pipe_name(), 5s, ec);
      }
      if (ec) {
        ++failures;
        return;
      }
      std::string message = "client " + std::to_string(i);
      client.write(message, ec);
      std::string echo(message.size(), '\0');
      std::size_t got = 0;
      while (!ec && got < echo.size())
        got += client.read(std::as_writable_bytes(std::span(echo)).subspan(got), ec);
      if (!ec && echo == message)
        ++served;
      else
        ++failures;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(served.load(), clients);
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(server.call("echo-join", 60s), "ok " + std::to_string(clients));
  EXPECT_EQ(test::open_fd_count(), fds_before);
  // The server's instances are closed now: it holds what it held before.
  EXPECT_EQ(std::stoi(server.call("fds").substr(3)), server_fds_before);
}

}  // namespace
}  // namespace conduit
