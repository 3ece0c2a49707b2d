// Creating instances: parameters, names and the rules that hold across
// processes (max instances, matching direction, first instance).
#include <gtest/gtest.h>

#include "conduit/error.hpp"
#include "conduit/pipe_client.hpp"
#include "conduit/pipe_server.hpp"
#include "support/helper_process.hpp"
#include "support/sandbox.hpp"

namespace conduit {
namespace {

class PipeCreate : public test::sandbox {};

std::error_code create_error(std::string_view name, const pipe_options& options) {
  std::error_code ec;
  auto server = pipe_server::create(name, options, ec);
  return ec;
}

TEST_F(PipeCreate, RejectsBadParameters) {
  pipe_options o;
  o.max_instances = 0;
  EXPECT_EQ(create_error(pipe_name(), o), errc::invalid_parameter);
  o.max_instances = 256;
  EXPECT_EQ(create_error(pipe_name(), o), errc::invalid_parameter);
  o = {};
  o.type = pipe_type::byte;
  o.mode = read_mode::message;
  EXPECT_EQ(create_error(pipe_name(), o), errc::invalid_parameter);
  o = {};
  o.direction = static_cast<pipe_direction>(0);
  EXPECT_EQ(create_error(pipe_name(), o), errc::invalid_parameter);
  // Numbers cast into the enumerations: only their own values pass.
  o = {};
  o.direction = static_cast<pipe_direction>(0xFFFFFFFF);
  EXPECT_EQ(create_error(pipe_name(), o), errc::invalid_parameter);
  o = {};
  o.type = static_cast<pipe_type>(0xFFFFFFFF);
  EXPECT_EQ(create_error(pipe_name(), o), errc::invalid_parameter);
  o = {};
  o.type = pipe_type::message;
  o.mode = static_cast<read_mode>(0xFFFFFFFF);
  EXPECT_EQ(create_error(pipe_name(), o), errc::invalid_parameter);
  o = {};
  o.max_instances = unlimited_instances;
  EXPECT_FALSE(create_error(pipe_name(), o));
}

TEST_F(PipeCreate, RejectsBadNames) {
  EXPECT_EQ(create_error("x", {}), errc::invalid_name);
  EXPECT_EQ(create_error(R"(\\.\pipe\)", {}), errc::invalid_name);
  EXPECT_EQ(create_error(R"(\\.\foo\x)", {}), errc::path_not_found);
  EXPECT_EQ(create_error(R"(\\.\pipe\)" + std::string(300, 'a'), {}), errc::filename_exced_range);
  // A server cannot create a pipe on another machine.
  EXPECT_EQ(create_error(R"(\\faraway\pipe\x)", {}), errc::invalid_name);
}

TEST_F(PipeCreate, ThisMachinesNameIsLocal) {
  char host[256] = {};
  ASSERT_EQ(::gethostname(host, sizeof(host) - 1), 0);
  auto server = pipe_server::create(std::string(R"(\\)") + host + R"(\pipe\named)");
  auto client = pipe_client::open(R"(\\.\pipe\named)");
  EXPECT_TRUE(client.is_open());
}

TEST_F(PipeCreate, NamesAreCaseInsensitiveAcrossProcesses) {
  test::helper_process other;
  ASSERT_EQ(other.call("create s1 \\\\.\\PIPE\\CaseTest max=1"), "ok");
  std::error_code ec;
  auto client = pipe_client::open(R"(\\.\pipe\casetest)", pipe_access::duplex, ec);
  EXPECT_FALSE(ec) << ec.message();
  // Same pipe: a second instance exceeds max_instances.
  EXPECT_EQ(create_error(R"(\\.\pipe\CASETEST)", {}), errc::pipe_busy);
}

TEST_F(PipeCreate, MaxInstancesHoldsAcrossProcesses) {
  test::helper_process other;
  ASSERT_EQ(other.call("create s1 " + pipe_name() + " max=2"), "ok");
  pipe_options o;
  o.max_instances = 2;
  auto second = pipe_server::create(pipe_name(), o);
  EXPECT_EQ(create_error(pipe_name(), o), errc::pipe_busy);
  // The first instance's value wins: asking for more does not make room.
  o.max_instances = 10;
  EXPECT_EQ(create_error(pipe_name(), o), errc::pipe_busy);
  // Closing one makes room again.
  ASSERT_EQ(other.call("close s1"), "ok");
  ASSERT_EQ(other.call("pid").substr(0, 2), "ok");  // the close has reached the broker
  EXPECT_FALSE(create_error(pipe_name(), o));
}

TEST_F(PipeCreate, UnlimitedInstancesHaveNoLimit) {
  // 255 is PIPE_UNLIMITED_INSTANCES, not a count: 300 instances fit.
  std::vector<pipe_server> servers;
  for (int i = 0; i < 300; ++i) {
    std::error_code ec;
    servers.push_back(pipe_server::create(pipe_name(), {.max_instances = unlimited_instances}, ec));
    ASSERT_FALSE(ec) << "instance " << i << ": " << ec.message();
  }
  EXPECT_EQ(servers.front().current_instances(), 300u);
}

TEST_F(PipeCreate, LaterInstancesMustMatchDirection) {
  test::helper_process other;
  ASSERT_EQ(other.call("create s1 " + pipe_name() + " dir=duplex max=4"), "ok");
  pipe_options o;
  o.direction = pipe_direction::inbound;
  EXPECT_EQ(create_error(pipe_name(), o), errc::access_denied);
  o.direction = pipe_direction::outbound;
  EXPECT_EQ(create_error(pipe_name(), o), errc::access_denied);
  o.direction = pipe_direction::duplex;
  EXPECT_FALSE(create_error(pipe_name(), o));
}

TEST_F(PipeCreate, FirstInstanceFlag) {
  pipe_options o;
  o.first_instance = true;
  auto first = pipe_server::create(pipe_name(), o);
  EXPECT_EQ(create_error(pipe_name(), o), errc::access_denied);
  o.first_instance = false;
  EXPECT_FALSE(create_error(pipe_name(), o));
  // Busy is reported before the flag when the pipe is full.
  test::helper_process other;
  ASSERT_EQ(other.call("create s1 " + pipe_name("full") + " max=1"), "ok");
  o.first_instance = true;
  EXPECT_EQ(create_error(pipe_name("full"), o), errc::pipe_busy);
}

TEST_F(PipeCreate, PipeNameCannotAlsoBeAFolder) {
  auto outer = pipe_server::create(R"(\\.\pipe\Mypipes)");
  EXPECT_EQ(create_error(R"(\\.\pipe\Mypipes\Pipe1)", {}), errc::path_not_found);
  auto inner = pipe_server::create(R"(\\.\pipe\Other\Pipe1)");
  EXPECT_EQ(create_error(R"(\\.\pipe\other)", {}), errc::access_denied);
  // Once the name is gone, the folder is free.
  outer.close();
  EXPECT_FALSE(create_error(R"(\\.\pipe\Mypipes\Pipe1)", {}));
}

TEST_F(PipeCreate, PipeVanishesWithItsLastInstance) {
  { auto server = pipe_server::create(pipe_name()); }
  std::error_code ec;
  auto client = pipe_client::open(pipe_name(), pipe_access::duplex, ec);
  EXPECT_EQ(ec, errc::file_not_found);
}

TEST_F(PipeCreate, InstancesOfADeadProcessVanish) {
  {
    test::helper_process other;
    ASSERT_EQ(other.call("create s1 " + pipe_name() + " max=1"), "ok");
    other.kill_hard();
  }
  // The broker saw the process go: its instance no longer counts.
  pipe_options o;
  o.max_instances = 1;
  std::error_code ec;
  pipe_server server;
  // The broker learns of the death from its socket; a wait makes it ordered.
  for (int i = 0; i < 1000; ++i) {
    server = pipe_server::create(pipe_name(), o, ec);
    if (ec != errc::pipe_busy) break;
    wait_named_pipe(pipe_name("nonexistent"), std::chrono::milliseconds(1), ec);
  }
  EXPECT_FALSE(ec) << ec.message();
}

}  // namespace
}  // namespace conduit
