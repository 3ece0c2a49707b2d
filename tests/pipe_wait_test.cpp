// WaitNamedPipe: waiting for a free instance, and what wakes the wait.
#include <gtest/gtest.h>

#include <chrono>

#include "conduit/error.hpp"
#include "conduit/pipe_client.hpp"
#include "conduit/pipe_server.hpp"
#include "support/helper_process.hpp"
#include "support/sandbox.hpp"

namespace conduit {
namespace {

using namespace std::chrono_literals;

class PipeWait : public test::sandbox {};

TEST_F(PipeWait, NoSuchPipeFailsAtOnce) {
  std::error_code ec;
  EXPECT_FALSE(wait_named_pipe(pipe_name(), 5s, ec));
  EXPECT_EQ(ec, errc::file_not_found);
  EXPECT_FALSE(wait_named_pipe(R"(\\.\foo\x)", 5s, ec));
  EXPECT_EQ(ec, errc::path_not_found);
}

TEST_F(PipeWait, ListeningInstanceAnswersAtOnce) {
  test::helper_process server;
  ASSERT_EQ(server.call("create s1 " + pipe_name()), "ok");
  std::error_code ec;
  EXPECT_TRUE(wait_named_pipe(pipe_name(), 5s, ec));
  EXPECT_FALSE(ec);
}

TEST_F(PipeWait, BusyPipeTimesOut) {
  test::helper_process server;
  ASSERT_EQ(server.call("create s1 " + pipe_name() + " max=1"), "ok");
  auto client = pipe_client::open(pipe_name());
  std::error_code ec;
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(wait_named_pipe(pipe_name(), 100ms, ec));
  EXPECT_EQ(ec, errc::sem_timeout);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 100ms);
}

TEST_F(PipeWait, DefaultTimeoutIsThePipes) {
  test::helper_process server;
  ASSERT_EQ(server.call("create s1 " + pipe_name() + " max=1 timeout=150"), "ok");
  auto client = pipe_client::open(pipe_name());
  std::error_code ec;
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(wait_named_pipe(pipe_name(), use_default_wait, ec));
  EXPECT_EQ(ec, errc::sem_timeout);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 150ms);
}

TEST_F(PipeWait, WokenByANewInstance) {
  test::helper_process server;
  ASSERT_EQ(server.call("create s1 " + pipe_name() + " max=2"), "ok");
  auto first = pipe_client::open(pipe_name());
  test::helper_process waiter;
  waiter.send("wait " + pipe_name() + " 20000");
  // The waiter is queued in the broker once a round trip through the same
  // broker has passed; a second instance then wakes it.
  ASSERT_EQ(server.call("create s2 " + pipe_name() + " max=2"), "ok");
  EXPECT_EQ(waiter.answer(), "ok");
  EXPECT_EQ(waiter.call("open c1 " + pipe_name()), "ok");
}

TEST_F(PipeWait, WokenWhenAnInstanceListensAgain) {
  test::helper_process server;
  ASSERT_EQ(server.call("create s1 " + pipe_name() + " max=1"), "ok");
  auto first = pipe_client::open(pipe_name());
  ASSERT_EQ(server.call("connect s1"), "ok already");
  ASSERT_EQ(server.call("disconnect s1"), "ok");
  // Disconnected but not listening: still busy.
  std::error_code ec;
  auto busy = pipe_client::open(pipe_name(), pipe_access::duplex, ec);
  EXPECT_EQ(ec, errc::pipe_busy);
  test::helper_process waiter;
  waiter.send("wait " + pipe_name() + " 20000");
  server.send("& connect s1");
  EXPECT_EQ(waiter.answer(), "ok");
  EXPECT_EQ(waiter.call("open c1 " + pipe_name()), "ok");
  EXPECT_EQ(server.background_answer(), "ok connected");
}

TEST_F(PipeWait, ManyWaitersAllWake) {
  test::helper_process server;
  ASSERT_EQ(server.call("create s1 " + pipe_name() + " max=1"), "ok");
  auto first = pipe_client::open(pipe_name());
  std::vector<std::unique_ptr<test::helper_process>> waiters;
  for (int i = 0; i < 4; ++i) {
    waiters.push_back(std::make_unique<test::helper_process>());
    waiters.back()->send("wait " + pipe_name() + " 20000");
  }
  first.close();
  ASSERT_EQ(server.call("disconnect s1"), "ok");
  server.send("& connect s1");
  for (auto& w : waiters) EXPECT_EQ(w->answer(), "ok");
}

}  // namespace
}  // namespace conduit
