// Remote pipes over SMB (docs/remote-pipes.md): a conduit server published
// through conduit-smb-bridge and an smbd of the test's own, reached by SMB
// clients (python3-samba's and conduit's own, through libsmbclient), with
// the remote user's identity, the pipe's DACL, PIPE_REJECT_REMOTE_CLIENTS
// and either side dying mid-stream.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "conduit/error.hpp"
#include "conduit/impersonation.hpp"
#include "conduit/pipe_server.hpp"
#include "support/broker_process.hpp"
#include "support/sandbox.hpp"
#include "support/smb_server.hpp"
#include "support/unix_user.hpp"

namespace conduit::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* password = "Conduit-Secret-1";

// A program run to its end with its standard output kept; killed if it
// outlives the bound.
struct run_result {
  int status = -1;  // exit code, or -1
  std::string out;
};

run_result run(const std::vector<std::string>& argv, int timeout_ms = bound_ms) {
  int out[2];
  run_result r;
  if (::pipe2(out, O_CLOEXEC) != 0) return r;
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out[1], 1);
    int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(out[1]);
  detail::unique_fd reader(out[0]);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  char buffer[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    pollfd p{reader.get(), POLLIN, 0};
    if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0) {
      ::kill(pid, SIGKILL);
      break;
    }
    ssize_t n = ::read(reader.get(), buffer, sizeof(buffer));
    if (n <= 0) break;
    r.out.append(buffer, static_cast<std::size_t>(n));
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// The python3-samba client (tests/smb/smb_pipe_client.py).
run_result python_client(const std::string& user, const std::string& pass, const std::string& pipe,
                         const std::vector<std::string>& messages) {
  std::vector<std::string> argv = {"/usr/bin/python3", CONDUIT_SMB_CLIENT_PY, user, pass, pipe};
  argv.insert(argv.end(), messages.begin(), messages.end());
  return run(argv);
}

// conduit-smb-bridge, started for one test and stopped at its end.
class bridge_process {
 public:
  bool start(const std::string& np_dir, const std::vector<std::string>& pipes) {
    int ready[2];
    if (::pipe2(ready, O_CLOEXEC) != 0) return false;
    pid_ = ::fork();
    if (pid_ == 0) {
      int fd = ::dup(ready[1]);  // without close-on-exec
      std::vector<std::string> argv = {beside_self("conduit-smb-bridge"), "--np-dir", np_dir,
                                       "--ready-fd", std::to_string(fd)};
      argv.insert(argv.end(), pipes.begin(), pipes.end());
      std::vector<char*> args;
      for (auto& a : argv) args.push_back(a.data());
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    ::close(ready[1]);
    detail::unique_fd reader(ready[0]);
    pidfd_ = detail::unique_fd(pidfd_open(pid_));
    pollfd p{reader.get(), POLLIN, 0};
    char c = 0;
    return ::poll(&p, 1, bound_ms) == 1 && ::read(reader.get(), &c, 1) == 1 && c == 'R';
  }
  ~bridge_process() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    if (!exits_within(pidfd_.get(), bound_ms)) ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }

 private:
  pid_t pid_ = -1;
  detail::unique_fd pidfd_;
};

class RemotePipe : public sandbox {
 protected:
  void SetUp() override {
    if (!can_create_users()) GTEST_SKIP() << "needs root and useradd";
    if (!samba_installed()) GTEST_SKIP() << "needs samba (scripts/install-deps.sh)";
    if (!private_network()) GTEST_SKIP() << "needs network namespaces";
    sandbox::SetUp();
  }

  // Starts smbd with `user` as its account, and the bridge for `pipe`.
  void start_smb(const unix_user& user, const std::string& pipe, bool guest = false) {
    std::string why;
    ASSERT_TRUE(smbd_.start({{user.name(), password}}, why, guest)) << why;
    ASSERT_TRUE(bridge_.start(smbd_.np_dir(), {pipe}));
  }

  // A pipe name with capitals: smbd asks for it lowercased.
  std::string short_name() const { return "CondSmb" + std::to_string(::getpid()); }
  std::string full_name() const { return R"(\\.\pipe\)" + short_name(); }

  smb_server smbd_;
  bridge_process bridge_;
};

// Serves one client: echoes every message (or run of bytes) until it goes.
std::thread echo(pipe_server& server) {
  return std::thread([&server] {
    std::error_code ec;
    (void)server.connect(std::chrono::milliseconds(bound_ms), ec);
    if (ec) return;
    std::vector<std::byte> buffer(65536);
    for (;;) {
      std::size_t n = server.read(buffer, ec);
      if (ec && ec != errc::more_data) return;
      server.write(std::span(buffer).first(n), ec);
      if (ec) return;
    }
  });
}

TEST_F(RemotePipe, PythonClientEchoesMessages) {
  unix_user alice("csa");
  start_smb(alice, short_name());
  pipe_options options;
  options.type = pipe_type::message;
  options.mode = read_mode::message;
  options.security_descriptor = "D:(A;;GA;;;WD)";
  auto server = pipe_server::create(full_name(), options);
  std::thread t = echo(server);
  auto r = python_client(alice.name(), password, short_name(), {"hello", "second message", "x"});
  t.join();
  EXPECT_EQ(r.status, 0) << r.out << smbd_.log();
  EXPECT_EQ(r.out, "opened\ngot:hello\ngot:second message\ngot:x\n");
}

}  // namespace
}  // namespace conduit::test
