// What a system broker (one namespace for every user) enforces between
// users: pipes, mailslots and named events checked against their security
// descriptors, with the callers' identities taken from the kernel.
//
// Each test creates real Unix users and groups (removed again on every
// path), starts `conduitd --system` in a private folder, and runs
// conduit_test_helper as those users against it. Every other user is
// treated as hostile: each abuse is tried, and the owner's traffic is shown
// to be intact afterwards. Needs root.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>

#include "conduit/error.hpp"
#include "conduit/pipe_client.hpp"
#include "conduit/pipe_server.hpp"
#include "core/wire.hpp"
#include "support/helper_process.hpp"
#include "support/raw_broker.hpp"
#include "support/sandbox.hpp"
#include "support/system_broker.hpp"
#include "support/unix_user.hpp"

namespace conduit {
namespace {

using test::helper_process;
using test::unix_group;
using test::unix_user;

// The mailslot of the same last name as a pipe.
std::string slot_name(const std::string& pipe) {
  return "\\\\.\\mailslot\\" + pipe.substr(std::string("\\\\.\\pipe\\").size());
}

class SystemBrokerSecurity : public test::sandbox {
 protected:
  void SetUp() override {
    sandbox::SetUp();
    if (::geteuid() != 0) GTEST_SKIP() << "acting as other users needs root";
    if (!test::can_create_users()) GTEST_SKIP() << "needs useradd";
    team_ = std::make_unique<unix_group>("ctteam");
    alice_ = std::make_unique<unix_user>("ctalice");
    bob_ = std::make_unique<unix_user>("ctbob");
    carol_ = std::make_unique<unix_user>("ctcarol", std::vector<const unix_group*>{team_.get()});
    ASSERT_TRUE(broker_.start(runtime_dir_));
  }

  void TearDown() override {
    // Helpers first (they hold connections), then the users they ran as.
    processes_.clear();
    carol_.reset();
    bob_.reset();
    alice_.reset();
    team_.reset();
    sandbox::TearDown();
  }

  // A helper running as `user` against the system broker.
  helper_process& as(const unix_user& user) {
    processes_.push_back(std::make_unique<helper_process>(
        user, std::vector<std::string>{"CONDUIT_RUNTIME_DIR=" + runtime_dir_}));
    return *processes_.back();
  }

  static std::string user_sid(const unix_user& u) { return "S-1-22-1-" + std::to_string(u.uid()); }
  static std::string group_sid(const unix_group& g) {
    return "S-1-22-2-" + std::to_string(g.gid());
  }

  // Alice's server s1 takes one client c1 of `client` and the two talk both
  // ways: her traffic reaches her, and nobody else.
  static void expect_traffic(helper_process& server, helper_process& client,
                             const std::string& name) {
    client.send("open c1 " + name);
    EXPECT_EQ(client.answer(), "ok");
    EXPECT_EQ(server.call("connect s1 10000"), "ok already");
    EXPECT_EQ(client.call("write c1 to-alice"), "ok 8");
    EXPECT_EQ(server.call("read s1 64"), "ok to-alice");
    EXPECT_EQ(server.call("write s1 from-alice"), "ok 10");
    EXPECT_EQ(client.call("read c1 64"), "ok from-alice");
  }

  test::system_broker broker_;
  std::unique_ptr<unix_group> team_;
  std::unique_ptr<unix_user> alice_, bob_, carol_;
  std::vector<std::unique_ptr<helper_process>> processes_;
};

TEST_F(SystemBrokerSecurity, DefaultPipeDaclLetsStrangersReadOnly) {
  auto& alice = as(*alice_);
  auto& bob = as(*bob_);
  ASSERT_EQ(alice.call("create s1 " + pipe_name() + " max=4"), "ok");
  // Everyone may read; writing, or both, is the owner's.
  EXPECT_EQ(bob.call("open w " + pipe_name() + " access=w"), "err 5");
  EXPECT_EQ(bob.call("open rw " + pipe_name() + " access=rw"), "err 5");
  // A refused client took no instance: it still listens for Alice's own.
  auto& alice_client = as(*alice_);
  expect_traffic(alice, alice_client, pipe_name());
  // Reading is everyone's.
  ASSERT_EQ(alice.call("create s2 " + pipe_name()), "ok");
  EXPECT_EQ(bob.call("open r " + pipe_name() + " access=r"), "ok");
  EXPECT_EQ(alice.call("connect s2 10000"), "ok already");
  EXPECT_EQ(alice.call("write s2 news"), "ok 4");
  EXPECT_EQ(bob.call("read r 64"), "ok news");
}

TEST_F(SystemBrokerSecurity, StrangerCannotAddAnInstance) {
  auto& alice = as(*alice_);
  auto& bob = as(*bob_);
  ASSERT_EQ(alice.call("create s1 " + pipe_name() + " max=4"), "ok");
  // Bob would receive Alice's clients and their data: refused.
  EXPECT_EQ(bob.call("create s2 " + pipe_name()), "err 5");
  EXPECT_EQ(bob.call("create s3 " + pipe_name() + " first=1"), "err 5");
  EXPECT_EQ(bob.call("create s4 " + pipe_name() + " dir=in"), "err 5");
  // Alice may add instances to her own pipe.
  EXPECT_EQ(alice.call("create s5 " + pipe_name()), "ok");
  EXPECT_EQ(alice.call("close s5"), "ok");
  auto& client = as(*alice_);
  expect_traffic(alice, client, pipe_name());
}

TEST_F(SystemBrokerSecurity, SquatterMakesTheOwnersCreateFail) {
  auto& alice = as(*alice_);
  auto& bob = as(*bob_);
  // Bob takes the name before Alice's server starts.
  ASSERT_EQ(bob.call("create s1 " + pipe_name()), "ok");
  // Alice is told, instead of silently serving from Bob's pipe.
  EXPECT_EQ(alice.call("create s1 " + pipe_name()), "err 5");
  EXPECT_EQ(alice.call("create s1 " + pipe_name() + " first=1"), "err 5");
  // And her clients cannot write into Bob's pipe.
  auto& client = as(*alice_);
  EXPECT_EQ(client.call("open c1 " + pipe_name()), "err 5");
  // Once Bob's instance is gone, the name is Alice's.
  ASSERT_EQ(bob.call("close s1"), "ok");
  ASSERT_EQ(alice.call("create s1 " + pipe_name() + " first=1"), "ok");
  expect_traffic(alice, client, pipe_name());
}

TEST_F(SystemBrokerSecurity, ExplicitAllowAdmitsOnlyTheNamed) {
  auto& alice = as(*alice_);
  std::string sd = "D:P(A;;GA;;;" + user_sid(*alice_) + ")(A;;GRGW;;;" + user_sid(*bob_) + ")";
  ASSERT_EQ(alice.call("create s1 " + pipe_name() + " sd=" + sd), "ok");
  auto& carol = as(*carol_);
  EXPECT_EQ(carol.call("open c1 " + pipe_name() + " access=r"), "err 5");
  auto& bob = as(*bob_);
  // GENERIC_WRITE holds FILE_CREATE_PIPE_INSTANCE, as on Windows.
  expect_traffic(alice, bob, pipe_name());
}

TEST_F(SystemBrokerSecurity, DenyAceComesFirst) {
  auto& alice = as(*alice_);
  std::string sd = "D:(D;;GW;;;" + user_sid(*bob_) + ")(A;;GA;;;WD)";
  ASSERT_EQ(alice.call("create s1 " + pipe_name() + " sd=" + sd), "ok");
  auto& bob = as(*bob_);
  EXPECT_EQ(bob.call("open c1 " + pipe_name() + " access=rw"), "err 5");
  EXPECT_EQ(bob.call("open c1 " + pipe_name() + " access=w"), "err 5");
  EXPECT_EQ(bob.call("create s2 " + pipe_name()), "err 5");
  // Everyone else gets what the allow ACE gives.
  auto& carol = as(*carol_);
  expect_traffic(alice, carol, pipe_name());
}

TEST_F(SystemBrokerSecurity, SupplementaryGroupAdmits) {
  auto& alice = as(*alice_);
  std::string sd = "D:(A;;GA;;;" + user_sid(*alice_) + ")(A;;GRGW;;;" + group_sid(*team_) + ")";
  ASSERT_EQ(alice.call("create s1 " + pipe_name() + " sd=" + sd), "ok");
  auto& bob = as(*bob_);
  EXPECT_EQ(bob.call("open c1 " + pipe_name() + " access=r"), "err 5");
  auto& carol = as(*carol_);  // a member of the team through a supplementary group
  expect_traffic(alice, carol, pipe_name());
}

TEST_F(SystemBrokerSecurity, NullDaclAdmitsEveryone) {
  auto& alice = as(*alice_);
  ASSERT_EQ(alice.call("create s1 " + pipe_name() + " max=4 sd=D:NO_ACCESS_CONTROL"), "ok");
  auto& bob = as(*bob_);
  expect_traffic(alice, bob, pipe_name());
  // Everyone means everyone: another user may add an instance too (the
  // reason seed 002 warns about null DACLs).
  EXPECT_EQ(bob.call("create s2 " + pipe_name()), "ok");
}

TEST_F(SystemBrokerSecurity, BadDescriptorIsRefused) {
  auto& alice = as(*alice_);
  EXPECT_EQ(alice.call("create s1 " + pipe_name() + " sd=D:(A;;GA;;;nobody)"), "err 1338");
  EXPECT_EQ(alice.call("slot-create m1 " + slot_name(pipe_name()) + " sd=X:garbage"), "err 1338");
  // More than the broker takes in one message: refused before it is sent,
  // and the process keeps its broker connection.
  EXPECT_EQ(alice.call("create s1 " + pipe_name() + " sd=D:(A;;GA;;;WD)" + std::string(4100, 'x')),
            "err 87");
  // Nothing was made: the name is free.
  EXPECT_EQ(alice.call("create s1 " + pipe_name() + " first=1"), "ok");
}

TEST_F(SystemBrokerSecurity, WaitAndListShowNamesOnly) {
  auto& alice = as(*alice_);
  std::string sd = "D:P(A;;GA;;;" + user_sid(*alice_) + ")";
  ASSERT_EQ(alice.call("create s1 " + pipe_name() + " sd=" + sd), "ok");
  auto& bob = as(*bob_);
  // WaitNamedPipe is anyone's, as on Windows: it opens nothing.
  EXPECT_EQ(bob.call("wait " + pipe_name() + " 1000"), "ok");
  EXPECT_EQ(bob.call("open c1 " + pipe_name() + " access=none"), "err 5");
}

TEST_F(SystemBrokerSecurity, MailslotWriterIsChecked) {
  auto& alice = as(*alice_);
  std::string slot = slot_name(pipe_name());
  ASSERT_EQ(alice.call("slot-create m1 " + slot), "ok");
  // The default is the creator's: nobody else may write.
  auto& bob = as(*bob_);
  EXPECT_EQ(bob.call("slot-open w1 " + slot), "err 5");
  auto& writer = as(*alice_);
  ASSERT_EQ(writer.call("slot-open w1 " + slot), "ok");
  EXPECT_EQ(writer.call("slot-write w1 hello"), "ok 5");
  EXPECT_EQ(alice.call("slot-read m1 64"), "ok hello");
  // A slot that lets a group write.
  std::string shared = slot_name(pipe_name("shared"));
  ASSERT_EQ(alice.call("slot-create m2 " + shared + " sd=D:(A;;GW;;;" + group_sid(*team_) + ")"),
            "ok");
  EXPECT_EQ(bob.call("slot-open w2 " + shared), "err 5");
  auto& carol = as(*carol_);
  ASSERT_EQ(carol.call("slot-open w2 " + shared), "ok");
  EXPECT_EQ(carol.call("slot-write w2 from-carol"), "ok 10");
  EXPECT_EQ(alice.call("slot-read m2 64"), "ok from-carol");
}

TEST_F(SystemBrokerSecurity, NamedEventsAcrossUsers) {
  auto& alice = as(*alice_);
  std::string name = "ev" + std::to_string(::getpid());
  ASSERT_EQ(alice.call("event-create e1 " + name + " manual"), "ok created");
  auto& bob = as(*bob_);
  // The creator's default: nobody else may open it, nor take its name.
  EXPECT_EQ(bob.call("event-open e1 " + name), "err 5");
  EXPECT_EQ(bob.call("event-open e1 " + name + " access=100000"), "err 5");  // SYNCHRONIZE
  EXPECT_EQ(bob.call("event-create e1 " + name), "err 5");
  // Alice's own other process may.
  auto& other = as(*alice_);
  ASSERT_EQ(other.call("event-open e1 " + name), "ok");
  ASSERT_EQ(other.call("event-set e1"), "ok");
  EXPECT_EQ(alice.call("event-wait e1 0"), "ok signalled");

  // An event others may wait on but not set.
  std::string shared = name + "-shared";
  ASSERT_EQ(alice.call("event-create e2 " + shared + " manual sd=D:(A;;GA;;;" + user_sid(*alice_) +
                       ")(A;;0x100001;;;" + user_sid(*bob_) + ")"),
            "ok created");
  EXPECT_EQ(bob.call("event-open e2 " + shared + " access=1f0003"), "err 5");
  EXPECT_EQ(bob.call("event-open e2 " + shared + " access=2"), "err 5");  // EVENT_MODIFY_STATE
  ASSERT_EQ(bob.call("event-open e2 " + shared + " access=100000"), "ok");
  EXPECT_EQ(bob.call("event-wait e2 0"), "ok timeout");
  ASSERT_EQ(alice.call("event-set e2"), "ok");
  EXPECT_EQ(bob.call("event-wait e2 10000"), "ok signalled");
  // Unknown access bits are a bad parameter, not a denial.
  auto& carol = as(*carol_);
  EXPECT_EQ(carol.call("event-open e3 " + shared + " access=4"), "err 87");
}

TEST_F(SystemBrokerSecurity, SetSecurityInfoNeedsWriteDac) {
  auto& alice = as(*alice_);
  // PIPE_ACCESS_DUPLEX without WRITE_DAC: the handle may read the DACL only.
  ASSERT_EQ(alice.call("w32-pipe s1 " + pipe_name() + " 3"), "ok");
  EXPECT_EQ(alice.call("w32-get-dacl s1").rfind("ok D:", 0), 0u);
  std::string closed = "D:P(A;;GA;;;" + user_sid(*alice_) + ")";
  EXPECT_EQ(alice.call("w32-set-dacl s1 " + closed), "err 5");
  // Strangers may still read, as the default lets them.
  auto& bob = as(*bob_);
  ASSERT_EQ(bob.call("w32-open c1 " + pipe_name() + " 80000000"), "ok");  // GENERIC_READ
  ASSERT_EQ(bob.call("w32-close c1"), "ok");
  // Nor may a stranger change it through a handle of his own.
  ASSERT_EQ(alice.call("w32-pipe s2 " + pipe_name() + " 3"), "ok");
  ASSERT_EQ(bob.call("w32-open c2 " + pipe_name() + " 80000000"), "ok");
  EXPECT_EQ(bob.call("w32-set-dacl c2 D:NO_ACCESS_CONTROL"), "err 5");
  ASSERT_EQ(bob.call("w32-close c2"), "ok");

  // With WRITE_DAC in its open mode the server end may close the pipe to
  // everyone but Alice; from then on Bob's opens are refused.
  std::string guarded = pipe_name("guarded");
  ASSERT_EQ(alice.call("w32-pipe s3 " + guarded + " 40003"), "ok");  // WRITE_DAC | DUPLEX
  EXPECT_EQ(alice.call("w32-set-dacl s3 " + closed), "ok");
  // (Without PROTECTED_DACL_SECURITY_INFORMATION the "P" stays behind.)
  EXPECT_EQ(alice.call("w32-get-dacl s3"), "ok D:(A;;GA;;;" + user_sid(*alice_) + ")");
  EXPECT_EQ(bob.call("w32-open c3 " + guarded + " 80000000"), "err 5");
  EXPECT_EQ(bob.call("create s4 " + guarded), "err 5");
  // Alice's own clients still come through.
  auto& client = as(*alice_);
  EXPECT_EQ(client.call("w32-open c4 " + guarded + " C0000000"), "ok");
}

}  // namespace
}  // namespace conduit

namespace conduit {
namespace {

// Named mutexes and semaphores between users: a stranger can neither open,
// take, release nor take over the name of another user's object; one let
// in to wait only may not release a semaphore; and an owner that holds a
// mutex, with a waiter in another process, does not hold up the broker.
TEST_F(SystemBrokerSecurity, NamedMutexesAndSemaphoresAcrossUsers) {
  auto& alice = as(*alice_);
  std::string name = "mx" + std::to_string(::getpid());
  ASSERT_EQ(alice.call("mutex-create m1 " + name + " owned"), "ok created");
  auto& bob = as(*bob_);
  EXPECT_EQ(bob.call("mutex-open m1 " + name), "err 5");
  EXPECT_EQ(bob.call("mutex-open m1 " + name + " access=100000"), "err 5");  // SYNCHRONIZE
  EXPECT_EQ(bob.call("mutex-create m1 " + name), "err 5");
  EXPECT_EQ(bob.call("sem-open m1 " + name), "err 6");  // another type: said so, nothing more
  EXPECT_EQ(bob.call("mutex-release m1"), "err 6");     // no handle to release with

  // A semaphore Bob may wait on but not release.
  std::string sem = name + "-sem";
  ASSERT_EQ(alice.call("sem-create s1 " + sem + " 0 2 sd=D:(A;;GA;;;" + user_sid(*alice_) +
                       ")(A;;0x100000;;;" + user_sid(*bob_) + ")"),
            "ok created");
  EXPECT_EQ(bob.call("sem-open s1 " + sem), "err 5");  // SEMAPHORE_ALL_ACCESS
  EXPECT_EQ(bob.call("sem-open s1 " + sem + " access=2"), "err 5");
  ASSERT_EQ(bob.call("sem-open s1 " + sem + " access=100000"), "ok");
  EXPECT_EQ(bob.call("sem-release s1 1"), "err 5");
  EXPECT_EQ(bob.call("sem-wait s1 0"), "ok timeout");
  EXPECT_EQ(alice.call("sem-release s1 1"), "ok 0");
  EXPECT_EQ(bob.call("sem-wait s1 10000"), "ok signalled");

  // Alice holds her mutex while her other processes wait on it: the broker
  // still answers everyone at once.
  auto& waiter1 = as(*alice_);
  auto& waiter2 = as(*alice_);
  ASSERT_EQ(waiter1.call("mutex-open m1 " + name), "ok");
  ASSERT_EQ(waiter2.call("mutex-open m1 " + name), "ok");
  // In the helper's main thread, which lives on (a background command's
  // thread ends with it, and would abandon what it took).
  waiter1.send("mutex-wait m1 30000");
  auto start = std::chrono::steady_clock::now();
  auto& carol = as(*carol_);
  EXPECT_EQ(carol.call("event-create e1 " + name + "-free"), "ok created");
  EXPECT_EQ(carol.call("mutex-create m2 " + name + "-carol owned"), "ok created");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  // Alice's exit abandons the mutex: the waiter takes it, abandoned, and
  // owns it alone.
  alice.send("sync-exit 0");
  EXPECT_EQ(waiter1.answer(std::chrono::seconds(20)), "ok abandoned");
  EXPECT_EQ(waiter2.call("mutex-wait m1 0"), "ok timeout");
  EXPECT_EQ(waiter2.call("mutex-release m1"), "err 288");
  EXPECT_EQ(waiter1.call("mutex-release m1"), "ok");
  EXPECT_EQ(waiter2.call("mutex-wait m1 10000"), "ok signalled");
}

}  // namespace
}  // namespace conduit

namespace conduit {
namespace {

using test::unix_user;
using test::user_process;
namespace wire = detail::wire;

// Asks the system broker in `dir` to open `name` for a remote client on
// computer `computer` at `address`: the outcome as test::outcome gives it;
// the client's end it hands back goes to `client_end` when given (else it
// is closed at once, and the server may find its client gone).
std::string open_for_remote(const std::string& dir, const std::string& name,
                            const std::string& computer, const std::string& address,
                            std::vector<detail::unique_fd>* client_end = nullptr) {
  wire::open_remote_request r;
  r.name = name;
  r.desired_access = 0xC0000000;
  r.client_pid = static_cast<std::uint32_t>(::getpid());
  r.uid = 4242;
  r.gid = 4242;
  r.computer_name = computer;
  r.client_address = address;
  auto fd = test::connect_raw(dir);
  if (!fd) return "no connection";
  test::send_raw(fd.get(), test::encoded(r));
  return test::outcome(fd.get(), nullptr, nullptr, client_end);
}

// Only root says which computer a client is on: another user's open_remote
// is refused, whatever it claims; root's bad fields are refused (a name or
// address of the wrong characters) or end the connection (over the
// limits); and what root says is what the server reads.
TEST_F(SystemBrokerSecurity, OnlyRootSaysWhichComputerAClientIsOn) {
  pipe_options options;
  options.security_descriptor = "D:(A;;GA;;;WD)";
  auto server = pipe_server::create(pipe_name(), options);
  std::string dir = runtime_dir_, name = pipe_name();
  user_process mallory(*alice_, [&] {
    return open_for_remote(dir, name, "TRUSTED-HOST", "10.0.0.1") == "reply 5" ? 0 : 1;
  });
  EXPECT_EQ(mallory.wait_exit(std::chrono::seconds(10)), 0);
  EXPECT_EQ(open_for_remote(dir, name, "BAD NAME", "10.0.0.1"), "reply 87");
  EXPECT_EQ(open_for_remote(dir, name, "host\n", ""), "reply 87");
  EXPECT_EQ(open_for_remote(dir, name, "", "10.0.0.999"), "reply 87");
  EXPECT_EQ(open_for_remote(dir, name, "", "host.example"), "reply 87");
  EXPECT_EQ(open_for_remote(dir, name, std::string(256, 'a'), ""), "dropped");
  EXPECT_EQ(open_for_remote(dir, name, "", std::string(46, '1')), "dropped");
  // Nobody reached the server so far.
  std::error_code ec;
  (void)server.connect(std::chrono::milliseconds(100), ec);
  EXPECT_EQ(ec, errc::sem_timeout);
  std::vector<detail::unique_fd> client_end;
  EXPECT_EQ(open_for_remote(dir, name, "WORKSTATION7", "fe80::1%2", &client_end), "reply 0");
  (void)server.connect(std::chrono::milliseconds(10000), ec);
  ASSERT_FALSE(ec) << ec.message();
  auto who = server.client_identity(ec);
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_TRUE(who.remote);
  EXPECT_EQ(who.uid, 4242u);
  EXPECT_EQ(who.computer_name, "WORKSTATION7");
  EXPECT_EQ(who.address, "fe80::1%2");
}

// A local client has no computer to name.
TEST_F(SystemBrokerSecurity, LocalClientsHaveNoComputerName) {
  pipe_options options;
  options.security_descriptor = "D:(A;;GA;;;WD)";
  auto server = pipe_server::create(pipe_name(), options);
  auto client = pipe_client::open(pipe_name(), pipe_access::duplex);
  std::error_code ec;
  (void)server.connect(std::chrono::milliseconds(10000), ec);
  ASSERT_FALSE(ec) << ec.message();
  auto who = server.client_identity(ec);
  EXPECT_FALSE(who.remote);
  EXPECT_EQ(who.computer_name, "");
  EXPECT_EQ(who.address, "");
}

}  // namespace
}  // namespace conduit
