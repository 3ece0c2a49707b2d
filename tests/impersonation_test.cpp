// Impersonation through the C++ API: pipe_server::client_identity() and
// impersonate_client(), with clients that are real other users in other
// processes, and files only one identity may open.
#include <gtest/gtest.h>

#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "conduit/error.hpp"
#include "conduit/impersonation.hpp"
#include "conduit/pipe_client.hpp"
#include "conduit/pipe_server.hpp"
#include "support/impersonation_support.hpp"
#include "support/unix_user.hpp"

namespace conduit::test {
namespace {

using namespace std::chrono_literals;

// Lets the client finish (it waits for one byte) and returns its exit code.
int finish(remote_client& client, pipe_server& server) {
  std::error_code ec;
  server.write(std::string_view("!"), ec);
  EXPECT_FALSE(ec) << ec.message();
  return client.wait_exit();
}

// Connects (bounded) and reads the client's "hello" whole.
void accept_hello(pipe_server& server) {
  std::error_code ec;
  server.connect(10s, ec);
  ASSERT_FALSE(ec) << ec.message();
  std::array<std::byte, 5> hello{};
  std::size_t got = 0;
  while (got < hello.size()) {
    std::size_t n = server.read(std::span(hello).subspan(got), ec);
    ASSERT_FALSE(ec) << ec.message();
    got += n;
  }
}

using Impersonation = cross_user_sandbox;

TEST_F(Impersonation, ClientIdentityIsTheKernelsAccountOfTheClient) {
  unix_user user("cdi");
  unix_group extra("cdg");
  auto server = pipe_server::create(pipe_name(), open_to_everyone());
  std::error_code ec;
  (void)server.client_identity(ec);
  EXPECT_EQ(ec, errc::not_found);  // listening

  remote_client client(pipe_name(), user.uid(), user.gid(), std::to_string(extra.gid()), "none");
  ASSERT_NO_FATAL_FAILURE(accept_hello(server));
  client_identity who = server.client_identity();
  EXPECT_EQ(who.process_id, static_cast<std::uint32_t>(client.pid()));
  EXPECT_EQ(who.uid, user.uid());
  EXPECT_EQ(who.gid, user.gid());
  EXPECT_EQ(who.user_name, user.name());
  EXPECT_EQ(who.groups, std::vector<std::uint32_t>{extra.gid()});
  EXPECT_EQ(who.session_id, static_cast<std::uint32_t>(::getsid(client.pid())));
  EXPECT_EQ(who.level, impersonation_level::impersonation);  // no SQOS: impersonation
  EXPECT_FALSE(who.remote);
  EXPECT_EQ(finish(client, server), 0);
  // The identity stays until the instance is disconnected.
  EXPECT_EQ(server.client_identity().uid, user.uid());
  server.disconnect();
  (void)server.client_identity(ec);
  EXPECT_EQ(ec, errc::not_found);
}

TEST_F(Impersonation, NothingToImpersonateUntilDataHasBeenRead) {
  auto server = pipe_server::create(pipe_name(), open_to_everyone());
  std::error_code ec;
  {
    auto none = server.impersonate_client(ec);
    EXPECT_EQ(ec, errc::cannot_impersonate);  // no client
    EXPECT_FALSE(none.active());
  }
  auto client = pipe_client::open(pipe_name());
  client.write(std::string_view("x"));
  {
    auto early = server.impersonate_client(ec);
    EXPECT_EQ(ec, errc::cannot_impersonate);  // written, not read yet
    EXPECT_FALSE(this_thread_token());
  }
  std::array<std::byte, 1> byte{};
  ASSERT_EQ(server.read(byte), 1u);
  {
    auto guard = server.impersonate_client(ec);
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_TRUE(guard.active());
    ASSERT_TRUE(this_thread_token());
    EXPECT_EQ(this_thread_token()->client.uid, ::geteuid());
  }
  EXPECT_FALSE(this_thread_token());  // the guard reverted
  client.close();
  // A client that has gone can still be impersonated, until the disconnect.
  {
    auto after_close = server.impersonate_client(ec);
    EXPECT_FALSE(ec) << ec.message();
  }
  server.disconnect();
  {
    auto disconnected = server.impersonate_client(ec);
    EXPECT_EQ(ec, errc::cannot_impersonate);
  }
  server.close();
  {
    auto closed = server.impersonate_client(ec);
    EXPECT_EQ(ec, errc::invalid_handle);
  }
  EXPECT_THROW((void)server.impersonate_client(), std::system_error);
}

TEST_F(Impersonation, OnlyTheCallingThreadTakesTheClientsIdentity) {
  unix_user user("cdi");
  unix_group extra("cdg");
  test_files files(user.uid(), user.gid(), extra.gid());
  auto server = pipe_server::create(pipe_name(), open_to_everyone());
  remote_client client(pipe_name(), user.uid(), user.gid(), std::to_string(extra.gid()),
                       "impersonation");
  ASSERT_NO_FATAL_FAILURE(accept_hello(server));

  bounded_barrier both(2);
  struct {
    std::error_code impersonate, client_only, server_only, group_only, revert, server_after;
    uid_t euid = 0, euid_after = 1;
    gid_t egid = 0;
    std::vector<gid_t> groups;
    bool token = false, acting = false, token_after = true;
  } as_client;
  std::thread impersonator([&] {
    auto guard = server.impersonate_client(as_client.impersonate);
    as_client.euid = ::geteuid();
    as_client.egid = ::getegid();
    as_client.groups.resize(64);
    as_client.groups.resize(static_cast<std::size_t>(::getgroups(64, as_client.groups.data())));
    as_client.client_only = try_open(files.client_only);
    as_client.server_only = try_open(files.server_only);
    as_client.group_only = try_open(files.group_only);
    auto token = this_thread_token();
    as_client.token = token.has_value();
    as_client.acting = token && token->acting;
    both.arrive_and_wait();  // both threads hold their identities now
    both.arrive_and_wait();  // the other thread has opened its file
    guard.revert(as_client.revert);
    as_client.euid_after = ::geteuid();
    as_client.server_after = try_open(files.server_only);
    as_client.token_after = this_thread_token().has_value();
  });
  ASSERT_TRUE(both.arrive_and_wait());
  // Meanwhile this thread is still the server.
  EXPECT_EQ(::geteuid(), 0u);
  EXPECT_FALSE(try_open(files.server_only));
  EXPECT_FALSE(this_thread_token());
  ASSERT_TRUE(both.arrive_and_wait());
  impersonator.join();

  EXPECT_FALSE(as_client.impersonate) << as_client.impersonate.message();
  EXPECT_EQ(as_client.euid, user.uid());
  EXPECT_EQ(as_client.egid, user.gid());
  EXPECT_EQ(as_client.groups, std::vector<gid_t>{extra.gid()});
  EXPECT_TRUE(as_client.token);
  EXPECT_TRUE(as_client.acting);
  EXPECT_FALSE(as_client.client_only) << as_client.client_only.message();
  EXPECT_EQ(as_client.server_only, errc::access_denied);
  EXPECT_FALSE(as_client.group_only) << as_client.group_only.message();  // through the group
  EXPECT_FALSE(as_client.revert);
  EXPECT_EQ(as_client.euid_after, 0u);
  EXPECT_FALSE(as_client.server_after);
  EXPECT_FALSE(as_client.token_after);
  EXPECT_EQ(finish(client, server), 0);
}

// The levels a client allows: what the thread's token says and what the
// thread can do.
struct level_case {
  const char* sqos;
  impersonation_level level;
  bool acting;
};

class ImpersonationLevel : public Impersonation,
                           public ::testing::WithParamInterface<level_case> {};

TEST_P(ImpersonationLevel, IsHonoured) {
  const level_case& c = GetParam();
  unix_user user("cdi");
  unix_group extra("cdg");
  test_files files(user.uid(), user.gid(), extra.gid());
  auto server = pipe_server::create(pipe_name(), open_to_everyone());
  remote_client client(pipe_name(), user.uid(), user.gid(), std::to_string(extra.gid()), c.sqos);
  ASSERT_NO_FATAL_FAILURE(accept_hello(server));
  EXPECT_EQ(server.client_identity().level, c.level);
  {
    auto guard = server.impersonate_client();
    auto token = this_thread_token();
    ASSERT_TRUE(token);
    EXPECT_EQ(token->level, c.level);
    EXPECT_EQ(token->acting, c.acting);
    EXPECT_EQ(token->client.uid, user.uid());  // the server may always ask who
    if (c.acting) {
      EXPECT_EQ(::geteuid(), user.uid());
      EXPECT_FALSE(try_open(files.client_only));
      EXPECT_FALSE(try_open(files.group_only));
    } else {
      // Identification and anonymous: the thread acts as nobody, neither
      // as the client nor as the server.
      EXPECT_NE(::geteuid(), user.uid());
      EXPECT_NE(::geteuid(), 0u);
      EXPECT_EQ(try_open(files.client_only), errc::access_denied);
      EXPECT_EQ(try_open(files.group_only), errc::access_denied);
    }
    EXPECT_EQ(try_open(files.server_only), errc::access_denied);
  }
  EXPECT_EQ(::geteuid(), 0u);
  EXPECT_FALSE(try_open(files.server_only));
  EXPECT_EQ(finish(client, server), 0);
}

INSTANTIATE_TEST_SUITE_P(
    Levels, ImpersonationLevel,
    ::testing::Values(level_case{"anonymous", impersonation_level::anonymous, false},
                      level_case{"identification", impersonation_level::identification, false},
                      level_case{"impersonation", impersonation_level::impersonation, true},
                      level_case{"delegation", impersonation_level::delegation, true}),
    [](const auto& test) { return std::string(test.param.sqos); });

TEST_F(Impersonation, TheCppClientSaysItsLevel) {
  auto server = pipe_server::create(pipe_name(), open_to_everyone());
  auto client =
      pipe_client::open(pipe_name(), pipe_access::duplex, impersonation_level::identification);
  EXPECT_EQ(server.client_identity().level, impersonation_level::identification);
}

// A server thread that may not change its user (no CAP_SETUID): Windows
// gives a server without SeImpersonatePrivilege an identification token,
// silently; here too, and the thread stays what it was.
TEST_F(Impersonation, AServerWithoutThePrivilegeGetsAnIdentificationToken) {
  unix_user server_user("cds");
  unix_user other("cdi");
  test_files files(other.uid(), other.gid(), other.gid());
  auto server = pipe_server::create(pipe_name(), open_to_everyone());
  auto same_user = pipe_server::create(pipe_name("same"), open_to_everyone());
  remote_client stranger(pipe_name(), other.uid(), other.gid(), "-", "none");
  remote_client itself(pipe_name("same"), server_user.uid(), server_user.gid(), "-", "none");
  ASSERT_NO_FATAL_FAILURE(accept_hello(server));
  ASSERT_NO_FATAL_FAILURE(accept_hello(same_user));

  struct {
    bool dropped = false;
    std::error_code stranger_ec, same_ec, client_only;
    std::optional<thread_token> stranger_token, same_token;
    uid_t euid_with_stranger = 0, euid_with_itself = 0;
  } seen;
  // The raw calls change this thread alone: it becomes the unprivileged
  // server user for good (all three ids), and ends.
  std::thread unprivileged([&] {
    gid_t gid = server_user.gid();
    uid_t uid = server_user.uid();
    seen.dropped = ::syscall(SYS_setgroups, 0, nullptr) == 0 &&
                   ::syscall(SYS_setresgid, gid, gid, gid) == 0 &&
                   ::syscall(SYS_setresuid, uid, uid, uid) == 0;
    if (!seen.dropped) return;
    {
      auto guard = server.impersonate_client(seen.stranger_ec);
      seen.stranger_token = this_thread_token();
      seen.euid_with_stranger = ::geteuid();
      seen.client_only = try_open(files.client_only);
    }
    {
      auto guard = same_user.impersonate_client(seen.same_ec);
      seen.same_token = this_thread_token();
      seen.euid_with_itself = ::geteuid();
    }
  });
  unprivileged.join();
  ASSERT_TRUE(seen.dropped);
  EXPECT_FALSE(seen.stranger_ec) << seen.stranger_ec.message();
  ASSERT_TRUE(seen.stranger_token);
  EXPECT_EQ(seen.stranger_token->level, impersonation_level::identification);
  EXPECT_FALSE(seen.stranger_token->acting);
  EXPECT_EQ(seen.stranger_token->client.uid, other.uid());
  EXPECT_EQ(seen.euid_with_stranger, server_user.uid());  // unchanged
  EXPECT_EQ(seen.client_only, errc::access_denied);
  // Its own user's client: nothing to change, and the token acts.
  EXPECT_FALSE(seen.same_ec) << seen.same_ec.message();
  ASSERT_TRUE(seen.same_token);
  EXPECT_EQ(seen.same_token->level, impersonation_level::impersonation);
  EXPECT_TRUE(seen.same_token->acting);
  EXPECT_EQ(seen.euid_with_itself, server_user.uid());
  EXPECT_EQ(::geteuid(), 0u);  // the rest of the process kept its identity
  EXPECT_EQ(finish(stranger, server), 0);
  EXPECT_EQ(finish(itself, same_user), 0);
}

}  // namespace
}  // namespace conduit::test
