// Pipe listing: conduit::list_pipes and describe_pipe through the real
// broker, page after page; and the list_pipes request (16) sent by hand
// as a hostile peer would, with every malformed field refused.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "conduit/error.hpp"
#include "conduit/pipe_client.hpp"
#include "conduit/pipe_listing.hpp"
#include "conduit/pipe_server.hpp"
#include "core/unique_fd.hpp"
#include "core/wire.hpp"
#include "support/broker_process.hpp"
#include "support/helper_process.hpp"
#include "support/raw_broker.hpp"
#include "support/sandbox.hpp"

namespace conduit {
namespace {

using namespace test;

class PipeListing : public sandbox {};

TEST_F(PipeListing, ListsEveryPipeAcrossManyPages) {
  // Long names: a few dozen fill a reply packet, so this takes pages.
  std::vector<pipe_server> servers;
  std::vector<std::string> names;
  for (int i = 0; i < 80; ++i) {
    names.push_back(pipe_name(std::string(180, 'x') + std::to_string(1000 + i)));
    servers.push_back(pipe_server::create(names.back(), {.max_instances = 3}));
  }
  servers.push_back(pipe_server::create(names[5], {.max_instances = 3}));
  auto pipes = list_pipes();
  std::vector<std::string> listed;
  for (const auto& p : pipes) listed.push_back(p.name);
  for (const auto& n : names) EXPECT_EQ(std::count(listed.begin(), listed.end(), n), 1) << n;
  EXPECT_TRUE(std::is_sorted(listed.begin(), listed.end()));
  auto five = std::find_if(pipes.begin(), pipes.end(),
                           [&](const listed_pipe& p) { return p.name == names[5]; });
  ASSERT_NE(five, pipes.end());
  EXPECT_EQ(five->current_instances, 2u);
  EXPECT_EQ(five->max_instances, 3u);
  EXPECT_EQ(five->listening_instances, 2u);
  EXPECT_TRUE(five->details_visible);
  ASSERT_EQ(five->servers.size(), 1u);
  EXPECT_EQ(five->servers[0].process_id, static_cast<std::uint32_t>(::getpid()));
}

TEST_F(PipeListing, DescribesOnePipeInAnyCase) {
  auto server = pipe_server::create(
      pipe_name("Described"),
      {.type = pipe_type::message, .mode = read_mode::message, .max_instances = 4});
  helper_process other;
  ASSERT_EQ(other.call("create s1 " + pipe_name("Described") + " type=message mode=message"), "ok");
  auto client = pipe_client::open(pipe_name("Described"));
  auto p = describe_pipe(pipe_name("DESCRIBED"));
  EXPECT_EQ(p.name, pipe_name("Described"));
  EXPECT_EQ(p.current_instances, 2u);
  EXPECT_EQ(p.listening_instances, 1u);
  EXPECT_EQ(p.type, pipe_type::message);
  EXPECT_EQ(p.mode, read_mode::message);
  EXPECT_EQ(p.server_count, 2u);
  ASSERT_EQ(p.servers.size(), 2u);
  std::error_code ec;
  EXPECT_FALSE(describe_pipe(pipe_name("none"), ec));
  EXPECT_EQ(ec, errc::file_not_found);
  EXPECT_FALSE(describe_pipe(R"(\\.\pipe\)", ec));
  EXPECT_EQ(ec, errc::invalid_name);
  EXPECT_FALSE(describe_pipe(R"(\\elsewhere\pipe\x)", ec));
  EXPECT_EQ(ec, errc::bad_netpath);
  EXPECT_FALSE(describe_pipe(R"(\\.\mailslot\x)", ec));
  EXPECT_TRUE(ec);
}

// The request by hand: what the broker answers or drops.
TEST_F(PipeListing, BrokerRefusesMalformedListRequests) {
  broker_process broker;
  ASSERT_TRUE(broker.start({"--runtime-dir", runtime_dir_}));
  auto server = pipe_server::create(pipe_name("a"));
  detail::unique_fd fd = connect_raw(runtime_dir_);
  wire::reply reply;
  EXPECT_EQ(request(fd.get(), wire::list_pipes_request{}, {}, &reply), "reply 0");
  ASSERT_TRUE(reply.listing);
  EXPECT_FALSE(reply.listing->more);
  EXPECT_EQ(request(fd.get(), wire::list_pipes_request{"", 2}), "reply 87");
  EXPECT_EQ(request(fd.get(), wire::list_pipes_request{"", wire::list_exact}), "reply 87");
  EXPECT_EQ(request(fd.get(), wire::list_pipes_request{pipe_name("none"), wire::list_exact}),
            "reply 2");
  EXPECT_EQ(request(fd.get(), wire::list_pipes_request{"not a name"}), "reply 123");
  EXPECT_EQ(request(fd.get(), wire::list_pipes_request{R"(\\far\pipe\a)"}), "reply 53");
  // After the last name: nothing more.
  EXPECT_EQ(request(fd.get(), wire::list_pipes_request{R"(\\.\pipe\~~~~)"}, {}, &reply), "reply 0");
  ASSERT_TRUE(reply.listing);
  EXPECT_TRUE(reply.listing->pipes.empty());
  // With a descriptor it is no request of this kind: the peer is dropped.
  detail::unique_fd other = connect_raw(runtime_dir_);
  EXPECT_EQ(request(other.get(), wire::list_pipes_request{}, std::array{fd.get()}), "dropped");
  // The broker goes on.
  EXPECT_EQ(request(fd.get(), wire::list_pipes_request{pipe_name("a"), wire::list_exact}),
            "reply 0");
}

}  // namespace
}  // namespace conduit
