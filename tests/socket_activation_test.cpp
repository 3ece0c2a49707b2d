// conduitd started by socket activation, without systemd: the test is the
// service manager. As systemd does for conduitd.socket, it makes the
// listening socket itself (as root, mode 0666), waits until a client knocks,
// then starts `conduitd --system` as an unprivileged service user with the
// socket as descriptor 3 and LISTEN_FDS=1, LISTEN_PID=<its pid>. Clients of
// two other real users find it as the system broker and talk to each other
// through it; the socket outlives the broker, which a second knock starts
// again. The abuse cases hand over what a broker must refuse.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "broker/socket_activation.hpp"
#include "support/broker_process.hpp"
#include "support/helper_process.hpp"
#include "support/sandbox.hpp"
#include "support/unix_user.hpp"

namespace conduit {
namespace {

using namespace std::chrono_literals;
using test::helper_process;
using test::unix_user;
using test::user_process;

// A folder of its own under /tmp, removed with everything in it.
class scratch_dir {
 public:
  scratch_dir() {
    std::string pattern = "/tmp/conduit-activation-XXXXXX";
    if (::mkdtemp(pattern.data())) path_ = pattern;
  }
  ~scratch_dir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// What a service manager does with a socket unit: holds the listening
// socket, and starts the service on it, with the variables of
// sd_listen_fds(3), when a connection waits.
class activation_launcher {
 public:
  // The socket at `path`, made by this process, open to every user.
  bool listen_at(const std::string& path) {
    listener_ = detail::unique_fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (!listener_ || path.size() >= sizeof(addr.sun_path)) return false;
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    return ::bind(listener_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
           ::chmod(path.c_str(), 0666) == 0 && ::listen(listener_.get(), 64) == 0;
  }
  [[nodiscard]] int listener() const { return listener_.get(); }

  // True once a connection waits on the socket (bounded).
  bool knocked(std::chrono::milliseconds timeout) const {
    pollfd p{listener_.get(), POLLIN, 0};
    return ::poll(&p, 1, static_cast<int>(timeout.count())) == 1;
  }

  // Starts `argv` (through /bin/sh, whose `exec` keeps the pid that
  // LISTEN_PID must name) as `user` with `fd` as descriptor 3 and
  // `listen_fds` in LISTEN_FDS; standard error goes to `err_fd` if given.
  std::unique_ptr<user_process> start(const unix_user* user, int fd,
                                      const std::vector<std::string>& argv,
                                      const std::string& listen_fds = "1", int err_fd = -1) {
    std::string script = "LISTEN_PID=$$ LISTEN_FDS=" + listen_fds +
                         " LISTEN_FDNAMES=conduitd.socket exec \"$0\" \"$@\"";
    std::vector<std::string> args = {"/bin/sh", "-c", script};
    args.insert(args.end(), argv.begin(), argv.end());
    auto strings = std::make_shared<std::vector<std::string>>(std::move(args));
    auto pointers = std::make_shared<std::vector<char*>>();
    for (auto& s : *strings) pointers->push_back(s.data());
    pointers->push_back(nullptr);
    // After the fork: system calls only.
    auto body = [=]() -> int {
      if (err_fd >= 0 && ::dup2(err_fd, 2) < 0) return 125;
      if (fd == 3) {
        int flags = ::fcntl(3, F_GETFD);
        if (flags < 0 || ::fcntl(3, F_SETFD, flags & ~FD_CLOEXEC) != 0) return 125;
      } else if (::dup2(fd, 3) < 0) {
        return 125;
      }
      ::execv("/bin/sh", pointers->data());
      return 127;
    };
    return user ? std::make_unique<user_process>(*user, body)
                : std::make_unique<user_process>(body);
  }

 private:
  detail::unique_fd listener_;
};

// The uid a process runs as, from /proc.
uid_t uid_of(pid_t pid) {
  struct stat st {};
  if (::stat(("/proc/" + std::to_string(pid)).c_str(), &st) != 0) return static_cast<uid_t>(-1);
  return st.st_uid;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class SocketActivation : public test::sandbox {
 protected:
  void SetUp() override {
    sandbox::SetUp();
    if (::geteuid() != 0) GTEST_SKIP() << "acting as other users needs root";
    if (!test::can_create_users()) GTEST_SKIP() << "needs useradd";
    ASSERT_FALSE(run_.path().empty());
    ASSERT_FALSE(bin_.path().empty());
    service_ = std::make_unique<unix_user>("ctsvc");
    alice_ = std::make_unique<unix_user>("ctalice");
    bob_ = std::make_unique<unix_user>("ctbob");
    // The service user's program, where it can surely run it.
    broker_exe_ = bin_.path() + "/conduitd";
    std::filesystem::copy_file(test::beside_self("conduitd"), broker_exe_);
    ASSERT_EQ(::chmod(bin_.path().c_str(), 0755), 0);
    ASSERT_EQ(::chmod(broker_exe_.c_str(), 0755), 0);
    // As a tmpfiles.d line would: the folder belongs to the service user.
    ASSERT_EQ(::chown(run_.path().c_str(), service_->uid(), service_->gid()), 0);
    ASSERT_EQ(::chmod(run_.path().c_str(), 0755), 0);
    // The socket unit's socket: root's, in the service user's folder.
    ASSERT_TRUE(launcher_.listen_at(run_.path() + "/conduitd.sock"));
  }

  void TearDown() override {
    // Clients first, then the broker, then the users they ran as.
    processes_.clear();
    broker_.reset();
    bob_.reset();
    alice_.reset();
    service_.reset();
    sandbox::TearDown();
  }

  // A helper as `user` that finds the system broker as any program does:
  // no CONDUIT_RUNTIME_DIR, the system folder first.
  helper_process& as(const unix_user& user) {
    processes_.push_back(std::make_unique<helper_process>(
        user, std::vector<std::string>{"CONDUIT_RUNTIME_DIR=",
                                       "CONDUIT_SYSTEM_RUNTIME_DIR=" + run_.path()}));
    return *processes_.back();
  }

  // The service manager's part: a client knocked, so start the service.
  void activate() {
    ASSERT_TRUE(launcher_.knocked(10s)) << "no client reached the socket";
    broker_ = launcher_.start(service_.get(), launcher_.listener(),
                              {broker_exe_, "--system", "--runtime-dir", run_.path()});
  }

  scratch_dir run_, bin_;
  activation_launcher launcher_;
  std::string broker_exe_;
  std::unique_ptr<unix_user> service_, alice_, bob_;
  std::unique_ptr<user_process> broker_;
  std::vector<std::unique_ptr<helper_process>> processes_;
};

TEST_F(SocketActivation, TwoUsersMeetThroughOneActivatedSystemBroker) {
  auto& alice = as(*alice_);
  auto& bob = as(*bob_);
  // Alice's request waits in the socket's queue: no broker runs yet.
  // Her pipe lets every authenticated user read and write (the default
  // lets other users only read).
  alice.send("create s1 " + pipe_name() + " max=2 sd=D:(A;;GRGW;;;AU)(A;;GA;;;OW)");
  activate();
  ASSERT_EQ(alice.answer(), "ok");

  // The broker is the service user's, and the socket the manager's.
  std::string pid_text = read_file(run_.path() + "/conduitd.pid");
  ASSERT_FALSE(pid_text.empty());
  EXPECT_EQ(std::stoi(pid_text), broker_->pid());
  EXPECT_EQ(uid_of(broker_->pid()), service_->uid());

  // Bob, another user, reaches Alice's pipe through the same broker, and
  // each side sees the other's process.
  ASSERT_EQ(bob.call("open c1 " + pipe_name()), "ok");
  EXPECT_EQ(alice.call("connect s1 10000"), "ok already");
  EXPECT_EQ(bob.call("write c1 from-bob"), "ok 8");
  EXPECT_EQ(alice.call("read s1 64"), "ok from-bob");
  EXPECT_EQ(alice.call("write s1 from-alice"), "ok 10");
  EXPECT_EQ(bob.call("read c1 64"), "ok from-alice");
  EXPECT_EQ(bob.call("server-pid c1"), "ok " + std::to_string(alice.pid()));
  EXPECT_EQ(alice.call("client-pid s1"), "ok " + std::to_string(bob.pid()));
}

TEST_F(SocketActivation, SocketOutlivesTheBrokerWhichStartsAgain) {
  auto& alice = as(*alice_);
  alice.send("create s1 " + pipe_name());
  activate();
  ASSERT_EQ(alice.answer(), "ok");

  // Stopped as a service manager stops it: the socket file stays (it is the
  // manager's), the pid file goes.
  ASSERT_EQ(::kill(broker_->pid(), SIGTERM), 0);
  ASSERT_EQ(broker_->wait_exit(10s), 0);
  struct stat st {};
  EXPECT_EQ(::lstat((run_.path() + "/conduitd.sock").c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_NE(::access((run_.path() + "/conduitd.pid").c_str(), F_OK), 0);

  // Bob's first call knocks again; a new broker serves him on the same socket.
  auto& bob = as(*bob_);
  bob.send("create s2 " + pipe_name("q"));
  activate();
  ASSERT_EQ(bob.answer(), "ok");
  EXPECT_EQ(uid_of(broker_->pid()), service_->uid());
}

// What the launcher hands over is checked; a broker that cannot serve it
// says why and exits with status 1 rather than serving something else.
class SocketActivationAbuse : public ::testing::Test {
 protected:
  // Runs conduitd with `fd` handed over and `listen_fds`; its exit status,
  // and what it said.
  int run(int fd, const std::string& listen_fds, std::string& said) {
    int err[2];
    if (::pipe2(err, O_CLOEXEC) != 0) return -1;
    auto broker = launcher_.start(
        nullptr, fd,
        {test::beside_self("conduitd"), "--system", "--runtime-dir", run_.path() + "/run"},
        listen_fds, err[1]);
    ::close(err[1]);
    int status = broker->wait_exit(10s);
    said.clear();
    char buffer[512];
    pollfd p{err[0], POLLIN, 0};
    while (::poll(&p, 1, 1000) == 1) {
      ssize_t n = ::read(err[0], buffer, sizeof(buffer));
      if (n <= 0) break;
      said.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(err[0]);
    return status;
  }

  scratch_dir run_;
  activation_launcher launcher_;
};

TEST_F(SocketActivationAbuse, StreamSocketIsRefused) {
  detail::unique_fd stream(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  std::string path = run_.path() + "/stream.sock";
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  ASSERT_EQ(::bind(stream.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(stream.get(), 4), 0);
  std::string said;
  EXPECT_EQ(run(stream.get(), "1", said), 1);
  EXPECT_NE(said.find("handed over is no listening AF_UNIX SOCK_SEQPACKET socket"),
            std::string::npos)
      << said;
}

TEST_F(SocketActivationAbuse, UnboundPacketSocketThatDoesNotListenIsRefused) {
  detail::unique_fd idle(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  std::string said;
  EXPECT_EQ(run(idle.get(), "1", said), 1);
  EXPECT_NE(said.find("no listening AF_UNIX SOCK_SEQPACKET socket"), std::string::npos) << said;
}

TEST_F(SocketActivationAbuse, MoreThanOneSocketIsRefused) {
  ASSERT_TRUE(launcher_.listen_at(run_.path() + "/conduitd.sock"));
  std::string said;
  EXPECT_EQ(run(launcher_.listener(), "2", said), 1);
  EXPECT_NE(said.find("LISTEN_FDS=2: conduitd serves one socket"), std::string::npos) << said;
}

TEST_F(SocketActivationAbuse, CountThatIsNoNumberIsRefused) {
  ASSERT_TRUE(launcher_.listen_at(run_.path() + "/conduitd.sock"));
  std::string said;
  EXPECT_EQ(run(launcher_.listener(), "x1", said), 1);
  EXPECT_NE(said.find("LISTEN_FDS=\"x1\" is no count of descriptors"), std::string::npos) << said;
}

TEST_F(SocketActivationAbuse, SocketBoundElsewhereIsServedWithAWarning) {
  // Clients look for DIR/conduitd.sock: a socket bound anywhere else is
  // served, but the broker says nobody will find it.
  ASSERT_TRUE(launcher_.listen_at(run_.path() + "/elsewhere.sock"));
  int err[2];
  ASSERT_EQ(::pipe2(err, O_CLOEXEC), 0);
  auto broker = launcher_.start(nullptr, launcher_.listener(),
                                {test::beside_self("conduitd"), "--system", "--runtime-dir",
                                 run_.path() + "/run", "--log-level", "info"},
                                "1", err[1]);
  ::close(err[1]);
  std::string said;
  char buffer[512];
  pollfd p{err[0], POLLIN, 0};
  while (said.find("broker serving") == std::string::npos && ::poll(&p, 1, 10'000) == 1) {
    ssize_t n = ::read(err[0], buffer, sizeof(buffer));
    if (n <= 0) break;
    said.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(err[0]);
  EXPECT_NE(said.find("conduitd: warning: the socket handed over is bound to \"" + run_.path() +
                      "/elsewhere.sock\", not " + run_.path() +
                      "/run/conduitd.sock, where "
                      "clients look"),
            std::string::npos)
      << said;
  EXPECT_NE(said.find("system broker serving " + run_.path() + "/run/conduitd.sock"),
            std::string::npos)
      << said;
  broker->kill_hard();
}

TEST_F(SocketActivationAbuse, ClosedDescriptorIsRefused) {
  // LISTEN_FDS=1, but a shell between the launcher and the broker closed
  // descriptor 3 (exec keeps the pid LISTEN_PID names).
  detail::unique_fd null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  int err[2];
  ASSERT_EQ(::pipe2(err, O_CLOEXEC), 0);
  auto broker = launcher_.start(
      nullptr, null.get(),
      {"/bin/sh", "-c", "exec 3>&-; exec \"$0\" \"$@\"", test::beside_self("conduitd"), "--system",
       "--runtime-dir", run_.path() + "/run"},
      "1", err[1]);
  ::close(err[1]);
  EXPECT_EQ(broker->wait_exit(10s), 1);
  char buffer[512] = {};
  pollfd p{err[0], POLLIN, 0};
  ssize_t n = ::poll(&p, 1, 1000) == 1 ? ::read(err[0], buffer, sizeof(buffer) - 1) : 0;
  ::close(err[0]);
  EXPECT_NE(std::string(buffer, n > 0 ? static_cast<std::size_t>(n) : 0)
                .find("LISTEN_FDS=1 but descriptor 3 is not open"),
            std::string::npos);
}

}  // namespace
}  // namespace conduit

namespace conduit::broker {
namespace {

// The variables are read once and taken out of the environment, whoever
// they were meant for; only those naming this process hand anything over.
TEST(SocketActivationEnvironment, VariablesForAnotherProcessHandNothingOver) {
  ::setenv("LISTEN_PID", std::to_string(::getpid() + 1).c_str(), 1);
  ::setenv("LISTEN_FDS", "1", 1);
  ::setenv("LISTEN_FDNAMES", "conduitd.socket", 1);
  activation a = take_activated_socket();
  EXPECT_EQ(a.fd, -1);
  EXPECT_EQ(a.error, "");
  EXPECT_EQ(std::getenv("LISTEN_PID"), nullptr);
  EXPECT_EQ(std::getenv("LISTEN_FDS"), nullptr);
  EXPECT_EQ(std::getenv("LISTEN_FDNAMES"), nullptr);
}

TEST(SocketActivationEnvironment, NothingSetHandsNothingOver) {
  ::unsetenv("LISTEN_PID");
  ::unsetenv("LISTEN_FDS");
  activation a = take_activated_socket();
  EXPECT_EQ(a.fd, -1);
  EXPECT_EQ(a.error, "");
}

TEST(SocketActivationEnvironment, NoDescriptorsForThisProcess) {
  ::setenv("LISTEN_PID", std::to_string(::getpid()).c_str(), 1);
  ::setenv("LISTEN_FDS", "0", 1);
  activation a = take_activated_socket();
  EXPECT_EQ(a.fd, -1);
  EXPECT_EQ(a.error, "");
  EXPECT_EQ(std::getenv("LISTEN_FDS"), nullptr);
}

TEST(SocketActivationEnvironment, PidThatIsNoNumberHandsNothingOver) {
  ::setenv("LISTEN_PID", (std::to_string(::getpid()) + "x").c_str(), 1);
  ::setenv("LISTEN_FDS", "1", 1);
  activation a = take_activated_socket();
  EXPECT_EQ(a.fd, -1);
  EXPECT_EQ(a.error, "");
}

}  // namespace
}  // namespace conduit::broker
