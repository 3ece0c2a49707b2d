// The library under broker faults: a broker killed between a client's
// arrival and the server's report of it, a broker that stops answering, a
// system broker that restarts, and requests the broker would choke on.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <optional>
#include <string>
#include <thread>

#include "conduit/error.hpp"
#include "conduit/pipe_client.hpp"
#include "conduit/pipe_server.hpp"
#include "support/broker_process.hpp"
#include "support/helper_process.hpp"
#include "support/sandbox.hpp"
#include "support/thread_probe.hpp"

namespace conduit {
namespace {

using namespace std::chrono_literals;
using clock = std::chrono::steady_clock;

class BrokerFault : public test::sandbox {};

// The system calls a thread sleeps in while it waits for the broker's reply.
constexpr std::initializer_list<long> reply_waits = {SYS_poll, SYS_ppoll, SYS_recvmsg};

// The id of a thread once it has said it.
pid_t thread_id_of(const std::atomic<pid_t>& tid) {
  auto deadline = clock::now() + 10s;
  while (tid.load() == 0 && clock::now() < deadline) std::this_thread::yield();
  return tid.load();
}

TEST_F(BrokerFault, RestartBeforeTheServerReportsItsClientKeepsClientsApart) {
  auto server = pipe_server::create(pipe_name(), {.max_instances = 1});
  test::helper_process first;
  // The broker has written the client's connect record into the instance.
  ASSERT_EQ(first.call("open c1 " + pipe_name()), "ok");
  int broker = broker_pid();
  ASSERT_GT(broker, 0);
  ASSERT_EQ(::kill(broker, SIGSTOP), 0);
  // The broker's lane threads stop one by one: until all have, one may
  // still answer.
  ASSERT_TRUE(test::wait_until_stopped(broker, 10s));

  // A call of this process waits for the stopped broker...
  std::atomic<pid_t> caller{0};
  std::thread stuck([&] {
    caller = test::this_thread_id();
    std::error_code ec;
    (void)pipe_client::open(pipe_name("elsewhere"), pipe_access::duplex, ec);
  });
  EXPECT_TRUE(test::wait_until_blocked_in(thread_id_of(caller), reply_waits, 10s));

  // ...while the server takes its client's record. Once it has, either the
  // take is over or it waits to report it; the broker dies right then.
  std::atomic<pid_t> taker_id{0};
  std::atomic<bool> taken{false};
  std::thread taker([&] {
    taker_id = test::this_thread_id();
    std::error_code ec;
    server.connect(10s, ec);
    taken = true;
  });
  pid_t taker_tid = thread_id_of(taker_id);
  auto deadline = clock::now() + 10s;
  while (!taken && !test::blocked_in(taker_tid, {SYS_futex}) && clock::now() < deadline)
    std::this_thread::yield();
  kill_broker();
  stuck.join();
  taker.join();

  // A new broker learns the instance again: connected, so a newcomer finds
  // it busy. It must never get the first client's end.
  std::error_code ec;
  auto newcomer = test::open_after_restart(pipe_name(), ec);
  EXPECT_EQ(ec, errc::pipe_busy);
  // The server reads its client's data and nothing else.
  ASSERT_EQ(first.call("write c1 hello"), "ok 5");
  std::array<char, 64> buffer{};
  std::size_t n = server.read(std::as_writable_bytes(std::span(buffer)));
  EXPECT_EQ(std::string(buffer.data(), n), "hello");
}

// Runs `call` on a thread of its own; its result, or nothing if it took
// longer than `bound` (it then runs on: the caller must unblock it).
template <typename Result>
struct bounded_call {
  std::future<Result> result;
  clock::time_point started = clock::now();
  std::optional<Result> get(std::chrono::milliseconds bound) {
    if (result.wait_until(started + bound) != std::future_status::ready) return std::nullopt;
    return result.get();
  }
};

template <typename F>
auto start_call(F call) {
  using result = decltype(call());
  return bounded_call<result>{std::async(std::launch::async, std::move(call))};
}

struct timed_error {
  std::error_code ec;
  clock::duration took;
};

TEST_F(BrokerFault, StoppedBrokerFailsEachCallInItsOwnTime) {
  test::helper_process server;
  ASSERT_EQ(server.call("create s1 " + pipe_name() + " max=1"), "ok");
  auto busy = pipe_client::open(pipe_name());  // the one instance: waits must wait
  broker_round_trip();
  int broker = broker_pid();
  ASSERT_GT(broker, 0);
  ASSERT_EQ(::kill(broker, SIGSTOP), 0);
  // The broker's lane threads stop one by one: until all have, one may
  // still answer.
  ASSERT_TRUE(test::wait_until_stopped(broker, 10s));

  // An open the broker never answers...
  std::atomic<pid_t> opener_id{0};
  auto opener = start_call([&] {
    opener_id = test::this_thread_id();
    auto start = clock::now();
    std::error_code ec;
    (void)pipe_client::open(pipe_name("absent"), pipe_access::duplex, ec);
    return timed_error{ec, clock::now() - start};
  });
  EXPECT_TRUE(test::wait_until_blocked_in(thread_id_of(opener_id), reply_waits, 10s));
  // ...holds up neither a wait with a timeout of its own...
  auto waiter = start_call([&] {
    auto start = clock::now();
    std::error_code ec;
    (void)wait_named_pipe(pipe_name(), 100ms, ec);
    return timed_error{ec, clock::now() - start};
  });
  // ...nor another call on the same connection, which has its own deadline.
  auto creator = start_call([&] {
    auto start = clock::now();
    std::error_code ec;
    auto other = pipe_server::create(pipe_name("other"), {}, ec);
    return timed_error{ec, clock::now() - start};
  });
  auto waited = waiter.get(3s);
  auto created = creator.get(8s);
  auto opened = opener.get(8s);
  // Whatever happened, let the broker go on: stuck calls end with it.
  ::kill(broker, SIGCONT);

  ASSERT_TRUE(waited) << "WaitNamedPipe(100 ms) hung on a stopped broker";
  EXPECT_EQ(waited->ec, errc::sem_timeout);
  EXPECT_LT(waited->took, 2s);
  ASSERT_TRUE(created) << "a call waited behind another one's";
  EXPECT_EQ(created->ec, errc::timeout);
  EXPECT_GE(created->took, 4s);  // the documented 5 s, give or take
  ASSERT_TRUE(opened) << "an open hung on a stopped broker";
  EXPECT_EQ(opened->ec, errc::timeout);

  // Running again, the broker serves later calls; the late answers to the
  // abandoned ones are dropped, and the instance made too late is undone.
  auto after = pipe_server::create(pipe_name("after"));
  auto client = pipe_client::open(pipe_name("after"));
  EXPECT_EQ(after.connect(10s), connect_status::already_connected);
  std::error_code ec;
  auto undone = pipe_client::open(pipe_name("other"), pipe_access::duplex, ec);
  EXPECT_EQ(ec, errc::file_not_found);
  EXPECT_EQ(client.write("still"), 5u);
  std::array<std::byte, 8> buffer;
  EXPECT_EQ(after.read(buffer), 5u);
}

// Sets environment variables for one test and puts them back.
class environment_guard {
 public:
  void set(const char* name, const std::string& value) {
    remember(name);
    ::setenv(name, value.c_str(), 1);
  }
  void unset(const char* name) {
    remember(name);
    ::unsetenv(name);
  }
  ~environment_guard() {
    for (const auto& [name, value] : saved_) {
      if (value)
        ::setenv(name.c_str(), value->c_str(), 1);
      else
        ::unsetenv(name.c_str());
    }
  }

 private:
  void remember(const char* name) {
    const char* old = std::getenv(name);
    saved_.emplace_back(name, old ? std::optional<std::string>(old) : std::nullopt);
  }
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

// Kills the broker whose pid file is in `dir`, if any, at the end.
struct broker_reaper {
  std::string dir;
  ~broker_reaper() {
    std::ifstream in(dir + "/conduitd.pid");
    int pid = 0;
    if (in >> pid && pid > 0) ::kill(pid, SIGKILL);
  }
};

TEST_F(BrokerFault, SystemBrokerRestartBringsServersBack) {
  std::string system_dir = runtime_dir_ + "/system";
  std::string session_root = runtime_dir_ + "/session";
  ASSERT_EQ(::mkdir(session_root.c_str(), 0700), 0);
  environment_guard env;
  env.unset("CONDUIT_RUNTIME_DIR");
  env.set("CONDUIT_SYSTEM_RUNTIME_DIR", system_dir);
  env.set("XDG_RUNTIME_DIR", session_root);
  broker_reaper session_broker{session_root + "/conduit"};

  test::broker_process system;
  ASSERT_TRUE(system.start({"--system"}));
  test::helper_process server;
  test::helper_process client;
  ASSERT_EQ(server.call("create s1 " + pipe_name()), "ok");
  ASSERT_EQ(client.call("wait " + pipe_name() + " 1000"), "ok");

  ASSERT_TRUE(system.kill_hard());
  // While it is away, the server waits for it: a session broker would hold
  // the pipe where clients, which look for the system broker first, never
  // look.
  EXPECT_EQ(server.call("wait " + pipe_name() + " 100"), "err 1062");
  EXPECT_FALSE(std::filesystem::exists(session_root + "/conduit/conduitd.sock"))
      << "a session broker was started";

  ASSERT_TRUE(system.start({"--system"}));
  // The server registers again with it; clients find the pipe there.
  std::string opened;
  auto deadline = clock::now() + 10s;
  do {
    opened = client.call("open c1 " + pipe_name());
  } while (opened == "err 2" && clock::now() < deadline);
  ASSERT_EQ(opened, "ok");
  EXPECT_EQ(server.call("connect s1"), "ok already");
  EXPECT_EQ(client.call("write c1 back"), "ok 4");
  EXPECT_EQ(server.call("read s1 64"), "ok back");
}

TEST_F(BrokerFault, RequestsTheBrokerWouldRefuseFailAloneAndEarly) {
  test::helper_process client;
  auto keep = pipe_server::create(pipe_name("keep"));
  std::error_code ec;
  std::string with_nul = pipe_name() + std::string(1, '\0') + "x";
  auto bad = pipe_server::create(with_nul, {}, ec);
  EXPECT_EQ(ec, errc::invalid_name);
  auto bad_client = pipe_client::open(with_nul, pipe_access::duplex, ec);
  EXPECT_EQ(ec, errc::invalid_name);
  EXPECT_FALSE(wait_named_pipe(with_nul, 100ms, ec));
  EXPECT_EQ(ec, errc::invalid_name);

  // A security descriptor past the broker's 4096-byte limit for a string.
  pipe_options large;
  large.security_descriptor = "D:";
  while (large.security_descriptor.size() <= 4096) large.security_descriptor += "(A;;GA;;;WD)";
  auto too_large = pipe_server::create(pipe_name("large"), large, ec);
  EXPECT_EQ(ec, errc::invalid_parameter);

  // Nothing reached the broker: this process's other instance is still
  // there, and serves.
  ASSERT_EQ(client.call("open c1 " + pipe_name("keep")), "ok");
  EXPECT_EQ(keep.connect(10s), connect_status::already_connected);
  ASSERT_EQ(client.call("write c1 kept"), "ok 4");
  std::array<std::byte, 8> buffer;
  EXPECT_EQ(keep.read(buffer), 4u);
}

TEST_F(BrokerFault, ClientAtItsDescriptorLimitGetsTooManyOpenFiles) {
  auto server = pipe_server::create(pipe_name());
  test::helper_process client;
  ASSERT_EQ(client.call("create keep " + pipe_name("keep")), "ok");
  // One descriptor left; an open brings two.
  ASSERT_EQ(client.call("fd-exhaust 1"), "ok");
  EXPECT_EQ(client.call("open c1 " + pipe_name()), "err 4");
  // The server has no client: no connect record arrived.
  std::error_code ec;
  server.connect(0ms, ec);
  EXPECT_EQ(ec, errc::sem_timeout);
  // The client's own instance is still registered.
  auto kept = pipe_client::open(pipe_name("keep"), pipe_access::duplex, ec);
  EXPECT_FALSE(ec) << ec.message();

  ASSERT_EQ(client.call("fd-restore"), "ok");
  ASSERT_EQ(client.call("open c1 " + pipe_name()), "ok");
  EXPECT_EQ(server.connect(10s), connect_status::already_connected);
  ASSERT_EQ(client.call("write c1 here"), "ok 4");
  std::array<std::byte, 8> buffer;
  EXPECT_EQ(server.read(buffer), 4u);
}

// A tmpfs with no inode left, mounted for one test (needs CAP_SYS_ADMIN).
class full_folder {
 public:
  explicit full_folder(const std::string& path) : path_(path) {
    if (::mkdir(path.c_str(), 0700) != 0) return;
    // The root takes one inode, the filler the other.
    mounted_ = ::mount("tmpfs", path.c_str(), "tmpfs", 0, "size=64k,nr_inodes=2,mode=0700") == 0;
    if (mounted_) std::ofstream(path + "/filler") << "x";
  }
  ~full_folder() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
  }
  [[nodiscard]] bool mounted() const { return mounted_; }

 private:
  std::string path_;
  bool mounted_ = false;
};

TEST_F(BrokerFault, RuntimeFolderWithoutInodesSaysDiskFull) {
  full_folder full(runtime_dir_ + "/full");
  if (!full.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here";
  environment_guard env;
  env.set("CONDUIT_RUNTIME_DIR", runtime_dir_ + "/full/run");
  test::helper_process server;
  EXPECT_EQ(server.call("create s1 " + pipe_name()), "err 112");
}

}  // namespace
}  // namespace conduit
