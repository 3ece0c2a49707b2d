// Disconnect and close: what each side sees afterwards.
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <future>
#include <thread>

#include "conduit/error.hpp"
#include "conduit/pipe_client.hpp"
#include "conduit/pipe_server.hpp"
#include "support/helper_process.hpp"
#include "support/sandbox.hpp"

namespace conduit {
namespace {

class PipeDisconnect : public test::sandbox {};

TEST_F(PipeDisconnect, DiscardsUnreadDataAndFailsTheClient) {
  auto server = pipe_server::create(pipe_name());
  test::helper_process client;
  ASSERT_EQ(client.call("open c1 " + pipe_name()), "ok");
  ASSERT_EQ(server.connect(), connect_status::already_connected);
  server.write("unread");
  ASSERT_EQ(client.call("write c1 also-unread"), "ok 11");
  server.disconnect();
  // What the server wrote is gone; both directions fail.
  EXPECT_EQ(client.call("read c1 64"), "err 233");
  EXPECT_EQ(client.call("write c1 more"), "err 233");
  std::array<std::byte, 64> buffer;
  std::error_code ec;
  server.read(buffer, ec);
  EXPECT_EQ(ec, errc::pipe_not_connected);
  server.write("x", ec);
  EXPECT_EQ(ec, errc::pipe_not_connected);
  EXPECT_EQ(server.client_process_id(ec), 0u);
  EXPECT_EQ(ec, errc::not_found);
}

TEST_F(PipeDisconnect, WakesABlockedClientRead) {
  auto server = pipe_server::create(pipe_name());
  test::helper_process client;
  ASSERT_EQ(client.call("open c1 " + pipe_name()), "ok");
  server.connect();
  client.send("& read c1 64");
  // Sure that the read is under way: a later command has been answered.
  ASSERT_EQ(client.call("pid").substr(0, 2), "ok");
  server.disconnect();
  EXPECT_EQ(client.background_answer(), "err 233");
}

// The server's own read, in another thread, ends with the connection; the
// instance's next connection is a fresh channel that this read never sees.
TEST_F(PipeDisconnect, EndsAServerReadInAnotherThread) {
  pipe_options options;
  options.type = pipe_type::message;
  options.mode = read_mode::message;
  auto server = pipe_server::create(pipe_name(), options);
  test::helper_process first, second;
  ASSERT_EQ(first.call("open c1 " + pipe_name()), "ok");
  server.connect();
  std::error_code read_ec;
  auto reader = std::async(std::launch::async, [&] {
    std::array<std::byte, 64> buffer;
    return server.read(buffer, read_ec);
  });
  // Whether the read is blocked in the kernel by now or has yet to start,
  // it must end the same way.
  server.disconnect();
  if (reader.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    server.close();  // lets the read go before the test fails
    FAIL() << "the read did not end with the connection";
  }
  EXPECT_EQ(reader.get(), 0u);
  EXPECT_EQ(read_ec, errc::pipe_not_connected);
  std::error_code connect_ec;
  std::thread listener([&] { server.connect(std::chrono::seconds(10), connect_ec); });
  EXPECT_EQ(second.call("wait " + pipe_name() + " 10000"), "ok");
  EXPECT_EQ(second.call("open c2 " + pipe_name()), "ok");
  listener.join();
  ASSERT_FALSE(connect_ec);
  ASSERT_EQ(second.call("write c2 hello"), "ok 5");
  std::array<std::byte, 64> buffer;
  EXPECT_EQ(server.read(buffer), 5u);
  EXPECT_EQ(first.call("write c1 old"), "err 233");
}

TEST_F(PipeDisconnect, InstanceServesTheNextClient) {
  auto server = pipe_server::create(pipe_name());
  test::helper_process first, second;
  ASSERT_EQ(first.call("open c1 " + pipe_name()), "ok");
  server.connect();
  server.disconnect();
  // Not listening until connect() is called again.
  EXPECT_EQ(second.call("open c2 " + pipe_name()), "err 231");
  std::error_code ec;
  connect_status status{};
  std::thread listener([&] { status = server.connect(std::chrono::seconds(10), ec); });
  // connect() makes it listen; the waiting client then gets in.
  EXPECT_EQ(second.call("wait " + pipe_name() + " 10000"), "ok");
  EXPECT_EQ(second.call("open c2 " + pipe_name()), "ok");
  listener.join();
  EXPECT_FALSE(ec);
  EXPECT_EQ(status, connect_status::connected);
  ASSERT_EQ(second.call("open c3 " + pipe_name()), "err 231");  // one client per instance
  EXPECT_EQ(first.call("write c1 old"), "err 233");
}

// One process's clients of one instance share its page (the library keeps
// it mapped): each still sees its own connection end, and only its own.
TEST_F(PipeDisconnect, ClientsOfOneInstanceInOneProcessEachSeeTheirOwnEnd) {
  auto server = pipe_server::create(pipe_name());
  test::helper_process client;
  ASSERT_EQ(client.call("open c1 " + pipe_name()), "ok");
  ASSERT_EQ(server.connect(), connect_status::already_connected);
  server.disconnect();
  EXPECT_EQ(client.call("write c1 old"), "err 233");
  std::error_code ec;
  std::thread listener([&] { server.connect(std::chrono::seconds(10), ec); });
  ASSERT_EQ(client.call("wait " + pipe_name() + " 10000"), "ok");
  ASSERT_EQ(client.call("open c2 " + pipe_name()), "ok");
  listener.join();
  ASSERT_FALSE(ec);
  EXPECT_EQ(client.call("write c2 new"), "ok 3");
  EXPECT_EQ(client.call("write c1 old"), "err 233");
  std::array<std::byte, 8> buffer;
  EXPECT_EQ(server.read(buffer), 3u);
  server.disconnect();
  EXPECT_EQ(client.call("write c2 gone"), "err 233");
}

TEST_F(PipeDisconnect, ErrorsOnListeningAndTwice) {
  auto server = pipe_server::create(pipe_name());
  std::error_code ec;
  server.disconnect(ec);
  EXPECT_EQ(ec, errc::pipe_listening);
  // Still listening afterwards.
  auto client = pipe_client::open(pipe_name());
  server.disconnect(ec);
  EXPECT_FALSE(ec);
  server.disconnect(ec);
  EXPECT_EQ(ec, errc::pipe_not_connected);
}

TEST_F(PipeDisconnect, AfterTheClientClosed) {
  auto server = pipe_server::create(pipe_name());
  {
    auto client = pipe_client::open(pipe_name());
    server.connect();
    client.write("bye");
  }
  std::array<std::byte, 16> buffer;
  std::error_code ec;
  EXPECT_EQ(server.read(buffer, ec), 3u);
  server.read(buffer, ec);
  EXPECT_EQ(ec, errc::broken_pipe);
  server.write("x", ec);
  EXPECT_EQ(ec, errc::no_data);
  server.disconnect(ec);
  EXPECT_FALSE(ec);
  server.read(buffer, ec);
  EXPECT_EQ(ec, errc::pipe_not_connected);
}

TEST_F(PipeDisconnect, ServerCloseLetsTheClientReadFirst) {
  test::helper_process client;
  {
    auto server = pipe_server::create(pipe_name());
    ASSERT_EQ(client.call("open c1 " + pipe_name()), "ok");
    server.connect();
    server.write("last words");
  }
  EXPECT_EQ(client.call("write c1 x"), "err 232");
  EXPECT_EQ(client.call("read c1 64"), "ok last words");
  EXPECT_EQ(client.call("read c1 64"), "err 109");
}

TEST_F(PipeDisconnect, ZeroByteWritesAreNoOps) {
  auto server = pipe_server::create(pipe_name());
  auto client = pipe_client::open(pipe_name());
  server.connect();
  EXPECT_EQ(server.write(std::span<const std::byte>()), 0u);
  server.write("z");
  std::array<std::byte, 4> buffer;
  EXPECT_EQ(client.read(buffer), 1u);
}

}  // namespace
}  // namespace conduit
