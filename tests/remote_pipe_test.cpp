// Remote pipes over SMB (docs/remote-pipes.md): a conduit server published
// through conduit-smb-bridge and an smbd of the test's own, reached by SMB
// clients (python3-samba's, libsmbclient's and conduit's own), with
// the remote user's identity, the pipe's DACL, PIPE_REJECT_REMOTE_CLIENTS
// and either side dying mid-stream.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <future>
#include <string>
#include <thread>
#include <vector>

#ifdef CONDUIT_TEST_HAVE_SMBCLIENT
#include <libsmbclient.h>
#endif

#include "conduit/error.hpp"
#include "conduit/impersonation.hpp"
#include "conduit/pipe_client.hpp"
#include "conduit/pipe_server.hpp"
#include "remote/named_pipe_auth.hpp"
#include "remote_win32_names.hpp"
#include "runtime/client_end.hpp"
#include "support/broker_process.hpp"
#include "support/helper_process.hpp"
#include "support/sandbox.hpp"
#include "support/smb_server.hpp"
#include "support/unix_user.hpp"

namespace conduit::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* password = "Conduit-Secret-1";

// A program whose output lines are read as they come (bounded).
class spawned {
 public:
  explicit spawned(const std::vector<std::string>& argv) {
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
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
    out_ = detail::unique_fd(out[0]);
    pidfd_ = detail::unique_fd(pidfd_open(pid_));
  }
  ~spawned() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  /// The next line (without its newline), or "<timeout>" / "<eof>".
  std::string line(int timeout_ms = bound_ms) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
      if (auto nl = buffer_.find('\n'); nl != std::string::npos) {
        std::string l = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return l;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                      deadline - std::chrono::steady_clock::now())
                      .count();
      pollfd p{out_.get(), POLLIN, 0};
      if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0) return "<timeout>";
      char chunk[1024];
      ssize_t n = ::read(out_.get(), chunk, sizeof(chunk));
      if (n <= 0) return "<eof>";
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }
  /// Its exit code once it exits (bounded), -1 otherwise.
  int wait_exit() {
    if (!exits_within(pidfd_.get(), bound_ms)) return -1;
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  pid_t pid_ = -1;
  detail::unique_fd out_, pidfd_;
  std::string buffer_;
};

std::vector<std::string> python_argv(const std::string& user, const std::string& pass,
                                     const std::string& pipe,
                                     const std::vector<std::string>& messages) {
  std::vector<std::string> argv = {"/usr/bin/python3", CONDUIT_SMB_CLIENT_PY, user, pass, pipe};
  argv.insert(argv.end(), messages.begin(), messages.end());
  return argv;
}

// The python3-samba client (tests/smb/smb_pipe_client.py).
// Its exit code and every line it printed.
struct run_result {
  int status = -1;
  std::string out;
};

run_result python_client(const std::string& user, const std::string& pass, const std::string& pipe,
                         const std::vector<std::string>& messages) {
  spawned client(python_argv(user, pass, pipe, messages));
  run_result r;
  for (std::string l = client.line(); l != "<eof>" && l != "<timeout>"; l = client.line())
    r.out += l + "\n";
  r.status = client.wait_exit();
  return r;
}

// conduit-smb-bridge, started for one test and stopped at its end.
class bridge_process {
 public:
  [[nodiscard]] bool start(const std::string& np_dir, const std::vector<std::string>& pipes) {
    int ready[2];
    if (::pipe2(ready, O_CLOEXEC) != 0) return false;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // it dies with a test killed hard
      int fd = ::dup(ready[1]);            // without close-on-exec
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

  // Starts smbd with `users` as its accounts, and the bridge for `pipes`.
  void start_smb(const std::vector<const unix_user*>& users, const std::vector<std::string>& pipes,
                 bool guest = false, const std::string& extra = "") {
    std::vector<smb_server::account> accounts;
    for (const auto* u : users) accounts.push_back({u->name(), password});
    std::string why;
    ASSERT_TRUE(smbd_.start(accounts, why, guest, extra)) << why;
    ASSERT_TRUE(bridge_.start(smbd_.np_dir(), pipes));
  }

  // A pipe name with capitals: smbd asks for it lowercased.
  std::string short_name() const { return "CondSmb" + std::to_string(::getpid()); }
  std::string full_name() const { return R"(\\.\pipe\)" + short_name(); }

  smb_server smbd_;
  bridge_process bridge_;
};

// A pipe every user may open (as the bridge opens: reading and writing).
pipe_options open_to_all(pipe_type type) {
  pipe_options options;
  options.type = type;
  options.mode = type == pipe_type::message ? read_mode::message : read_mode::byte;
  options.security_descriptor = "D:(A;;GA;;;WD)";
  return options;
}

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
  start_smb({&alice}, {short_name()});
  auto server = pipe_server::create(full_name(), open_to_all(pipe_type::message));
  std::thread t = echo(server);
  auto r = python_client(alice.name(), password, short_name(), {"hello", "second message", "x"});
  t.join();
  EXPECT_EQ(r.status, 0) << r.out << smbd_.log();
  EXPECT_EQ(r.out, "opened\ngot:hello\ngot:second message\ngot:x\n");
}

TEST_F(RemotePipe, PythonClientEchoesBytes) {
  unix_user alice("csa");
  start_smb({&alice}, {short_name()});
  auto server = pipe_server::create(full_name(), open_to_all(pipe_type::byte));
  std::thread t = echo(server);
  auto r = python_client(alice.name(), password, short_name(), {"abc", "defgh"});
  t.join();
  EXPECT_EQ(r.status, 0) << r.out << smbd_.log();
  EXPECT_EQ(r.out, "opened\ngot:abc\ngot:defgh\n");
}

#ifdef CONDUIT_TEST_HAVE_SMBCLIENT
// What a plain libsmbclient program logs in with.
std::string libsmbclient_user;

void libsmbclient_credentials(SMBCCTX*, const char*, const char*, char*, int, char* user,
                              int userlen, char* pass, int passlen) {
  std::snprintf(user, static_cast<std::size_t>(userlen), "%s", libsmbclient_user.c_str());
  std::snprintf(pass, static_cast<std::size_t>(passlen), "%s", password);
}

// A program that talks to the pipe with libsmbclient itself, as Samba's own
// tools do: opens smb://127.0.0.1/IPC$/`name`, writes each of `messages`
// (one SMB write: one message on a message pipe) and reads its echo.
void libsmbclient_echoes(const std::string& name, const std::vector<std::string>& messages,
                         std::vector<std::string>& back) {
  SMBCCTX* ctx = smbc_new_context();
  ASSERT_NE(ctx, nullptr);
  smbc_setOptionNoAutoAnonymousLogin(ctx, 1);
  smbc_setFunctionAuthDataWithContext(ctx, libsmbclient_credentials);
  ASSERT_NE(smbc_init_context(ctx), nullptr) << std::strerror(errno);
  std::string url = "smb://127.0.0.1/IPC$/" + name;
  SMBCFILE* f = smbc_getFunctionOpen(ctx)(ctx, url.c_str(), O_RDWR, 0);
  EXPECT_NE(f, nullptr) << std::strerror(errno);
  for (std::size_t i = 0; f && i < messages.size(); ++i) {
    const std::string& m = messages[i];
    if (smbc_getFunctionWrite(ctx)(ctx, f, m.data(), m.size()) != static_cast<ssize_t>(m.size()))
      break;
    // libsmbclient's read returns once it has what it asked for.
    std::string got(m.size(), '\0');
    if (smbc_getFunctionRead(ctx)(ctx, f, got.data(), got.size()) !=
        static_cast<ssize_t>(got.size()))
      break;
    back.push_back(got);
  }
  if (f) smbc_getFunctionClose(ctx)(ctx, f);
  smbc_free_context(ctx, 1);
}

TEST_F(RemotePipe, LibsmbclientClientEchoesBytes) {
  unix_user alice("csa");
  start_smb({&alice}, {short_name()});
  auto server = pipe_server::create(full_name(), open_to_all(pipe_type::byte));
  std::thread t = echo(server);
  libsmbclient_user = alice.name();
  std::vector<std::string> sent{"abc", "defgh", std::string(300, 'z')}, back;
  libsmbclient_echoes(short_name(), sent, back);
  t.join();
  EXPECT_EQ(back, sent) << smbd_.log();
}

TEST_F(RemotePipe, LibsmbclientClientEchoesMessages) {
  unix_user alice("csa");
  start_smb({&alice}, {short_name()});
  auto server = pipe_server::create(full_name(), open_to_all(pipe_type::message));
  std::thread t = echo(server);
  libsmbclient_user = alice.name();
  std::vector<std::string> sent{"hello", "second message", std::string(300, 'x')}, back;
  libsmbclient_echoes(short_name(), sent, back);
  t.join();
  EXPECT_EQ(back, sent) << smbd_.log();
}
#endif

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// This host's name as an SMB client gives it in its logon: the first label,
// at most 15 characters.
std::string netbios_host_name() {
  char host[256] = {};
  ::gethostname(host, sizeof(host) - 1);
  std::string name(host);
  return name.substr(0, std::min(name.find('.'), std::size_t{15}));
}

// The server sees the SMB user as its client, marked remote, and acts as
// that user when it impersonates it.
TEST_F(RemotePipe, ServerSeesTheRemoteUser) {
  unix_user alice("csa");
  start_smb({&alice}, {short_name()});
  auto server = pipe_server::create(full_name(), open_to_all(pipe_type::message));
  std::thread t([&server] {
    std::error_code ec;
    (void)server.connect(std::chrono::milliseconds(bound_ms), ec);
    if (ec) return;
    auto request = server.read_message(ec);
    if (ec) return;
    auto who = server.client_identity(ec);
    std::string answer = "uid=" + std::to_string(who.uid) + " gid=" + std::to_string(who.gid) +
                         " remote=" + std::to_string(who.remote) + " name=" + who.user_name +
                         " computer=" + who.computer_name + " address=" + who.address;
    {
      auto acting = server.impersonate_client(ec);
      answer += " euid=" + (ec ? "error" : std::to_string(::geteuid()));
    }
    answer += " after=" + std::to_string(::geteuid());
    server.write(answer, ec);
  });
  auto r = python_client(alice.name(), password, short_name(), {"who am I"});
  t.join();
  EXPECT_EQ(r.status, 0) << r.out << smbd_.log();
  std::string uid = std::to_string(alice.uid());
  // The computer is the one the SMB client named in its logon (its NetBIOS
  // name: this host's), reached from 127.0.0.1.
  EXPECT_EQ(lower(r.out),
            lower("opened\ngot:uid=" + uid + " gid=" + std::to_string(alice.gid()) +
                  " remote=1 name=" + alice.name() + " computer=" + netbios_host_name() +
                  " address=127.0.0.1 euid=" + uid + " after=0\n"));
}

// The pipe's DACL decides for remote users as for local ones: the user it
// names gets in, another Samba user and a guest do not (while the guest
// does reach a pipe open to everyone).
TEST_F(RemotePipe, DaclAdmitsTheUserAndRefusesOthersAndGuests) {
  unix_user alice("csa");
  unix_user bob("csb");
  std::string open_pipe = short_name() + "Open";
  start_smb({&alice, &bob}, {short_name(), open_pipe}, /*guest=*/true);
  pipe_options only_alice;
  only_alice.security_descriptor = "D:(A;;GA;;;S-1-22-1-" + std::to_string(alice.uid()) + ")";
  auto server = pipe_server::create(full_name(), only_alice);
  pipe_options everyone;
  everyone.security_descriptor = "D:(A;;GA;;;WD)";
  auto open_server = pipe_server::create(R"(\\.\pipe\)" + open_pipe, everyone);

  auto by_bob = python_client(bob.name(), password, short_name(), {});
  EXPECT_EQ(by_bob.status, 3) << by_bob.out;
  EXPECT_EQ(by_bob.out.rfind("open-failed:", 0), 0u) << by_bob.out;
  auto by_guest = python_client("no-such-user", "whatever", short_name(), {});
  EXPECT_EQ(by_guest.status, 3) << by_guest.out;
  EXPECT_EQ(by_guest.out.rfind("open-failed:", 0), 0u) << by_guest.out;
  auto guest_open = python_client("no-such-user", "whatever", open_pipe, {});
  EXPECT_EQ(guest_open.status, 0) << guest_open.out << smbd_.log();

  std::thread t = echo(server);
  auto by_alice = python_client(alice.name(), password, short_name(), {"hi"});
  t.join();
  EXPECT_EQ(by_alice.status, 0) << by_alice.out;
  EXPECT_EQ(by_alice.out, "opened\ngot:hi\n");
}

// PIPE_REJECT_REMOTE_CLIENTS: SMB clients are refused, local ones are not.
TEST_F(RemotePipe, DenyRemoteRefusesSmbClients) {
  unix_user alice("csa");
  start_smb({&alice}, {short_name()});
  pipe_options options;
  options.security_descriptor = "D:(A;;GA;;;WD)";
  options.reject_remote_clients = true;
  auto server = pipe_server::create(full_name(), options);
  auto r = python_client(alice.name(), password, short_name(), {});
  EXPECT_EQ(r.status, 3) << r.out;
  EXPECT_EQ(r.out.rfind("open-failed:", 0), 0u) << r.out;
  std::error_code ec;
  auto local = pipe_client::open(full_name(), pipe_access::duplex, ec);
  EXPECT_FALSE(ec) << ec.message();
}

// The server's process dies in the middle: the SMB client's next read fails.
TEST_F(RemotePipe, ServerKilledMidStream) {
  unix_user alice("csa");
  start_smb({&alice}, {short_name()});
  helper_process helper;
  ASSERT_EQ(helper.call("echo-server " + full_name() + " 1 1 type=message sd=D:(A;;GA;;;WD)"),
            "ok");
  spawned client(python_argv(alice.name(), password, short_name(), {"hello", "@read"}));
  EXPECT_EQ(client.line(), "opened");
  EXPECT_EQ(client.line(), "got:hello");
  helper.kill_hard();
  // smbd answers a read on a pipe whose socket closed with
  // STATUS_PIPE_DISCONNECTED, which a Windows client sees as
  // ERROR_PIPE_NOT_CONNECTED (docs/remote-pipes.md).
  EXPECT_EQ(client.line(), "io-failed:0xc00000b0");
  EXPECT_EQ(client.wait_exit(), 4);
}

// Serves one client in a thread: echoes its first message if `echo_first`,
// then waits for one more, which it never answers; `after` gets how that
// wait ended (the client gone: ERROR_BROKEN_PIPE).
std::thread serve_until_client_leaves(pipe_server& server, std::promise<std::error_code>& after,
                                      bool echo_first) {
  return std::thread([&server, &after, echo_first] {
    std::error_code ec;
    (void)server.connect(std::chrono::milliseconds(bound_ms), ec);
    if (!ec && echo_first) {
      auto m = server.read_message(ec);
      if (!ec) server.write(m, ec);
    }
    if (!ec) (void)server.read_message(ec);
    after.set_value(ec);
  });
}

// smbd dies under a connected client: the server's read sees the pipe
// broken, as when a local client's process dies.
TEST_F(RemotePipe, SmbdKilledServerSideCleansUp) {
  unix_user alice("csa");
  start_smb({&alice}, {short_name()});
  auto server = pipe_server::create(full_name(), open_to_all(pipe_type::message));
  std::promise<std::error_code> after;
  auto outcome = after.get_future();
  std::thread t = serve_until_client_leaves(server, after, /*echo_first=*/true);
  spawned client(python_argv(alice.name(), password, short_name(), {"hello", "@read"}));
  EXPECT_EQ(client.line(), "opened");
  EXPECT_EQ(client.line(), "got:hello");
  EXPECT_TRUE(smbd_.kill_hard());
  ASSERT_EQ(outcome.wait_for(std::chrono::milliseconds(bound_ms)), std::future_status::ready);
  t.join();
  EXPECT_EQ(outcome.get(), errc::broken_pipe);
  // The instance is free for the next client.
  std::error_code ec;
  server.disconnect(ec);
  EXPECT_FALSE(ec);
}

// A conduit client opens \\127.0.0.1\pipe\x through its SMB2 client, smbd
// and the bridge: one writes messages (the server sees them whole, and
// whom they come from), another reads what the server sends; a wrong
// password and no credentials fail as documented.
TEST_F(RemotePipe, ConduitClientThroughSmbd) {
  unix_user alice("csa");
  start_smb({&alice}, {short_name()});
  auto server = pipe_server::create(full_name(), open_to_all(pipe_type::message));
  std::promise<std::string> heard;
  auto got = heard.get_future();
  std::thread t([&server, &heard] {
    std::error_code ec;
    std::string said;
    (void)server.connect(std::chrono::milliseconds(bound_ms), ec);
    for (int i = 0; i < 2 && !ec; ++i) {
      auto m = server.read_message(ec);
      said += std::string(reinterpret_cast<const char*>(m.data()), m.size()) + "|";
    }
    auto who = server.client_identity(ec);
    heard.set_value(said + who.user_name + (who.remote ? " remote " : " local ") +
                    lower(who.computer_name) + " " + who.address);
    server.disconnect(ec);
    (void)server.connect(std::chrono::milliseconds(bound_ms), ec);
    server.write("greetings", ec);
    server.disconnect(ec);
  });
  ::setenv("CONDUIT_SMB_USER", alice.name().c_str(), 1);
  ::setenv("CONDUIT_SMB_PASSWORD", password, 1);
  std::string remote_name = R"(\\127.0.0.1\pipe\)" + short_name();
  {
    std::error_code ec;
    auto writer = pipe_client::open(remote_name, pipe_access::write, ec);
    ASSERT_FALSE(ec) << ec.message() << smbd_.log();
    writer.write("one");
    writer.write("two two");
    ASSERT_EQ(got.wait_for(std::chrono::milliseconds(bound_ms)), std::future_status::ready);
    EXPECT_EQ(got.get(), "one|two two|" + alice.name() + " remote " + lower(netbios_host_name()) +
                             " 127.0.0.1");
  }
  {
    std::error_code ec;
    auto reader = pipe_client::open(remote_name, pipe_access::read, ec);
    ASSERT_FALSE(ec) << ec.message();
    std::string text;
    std::vector<std::byte> buffer(64);
    while (text.size() < 9 && !ec) {
      std::size_t n = reader.read(buffer, ec);
      text.append(reinterpret_cast<const char*>(buffer.data()), n);
    }
    EXPECT_EQ(text, "greetings");
    // The server disconnected: what follows is a broken pipe.
    (void)reader.read(buffer, ec);
    EXPECT_EQ(ec, errc::broken_pipe);
  }
  t.join();
  // A wrong password: ERROR_LOGON_FAILURE, and nothing falls back to an
  // anonymous or guest logon.
  std::error_code ec;
  ::setenv("CONDUIT_SMB_PASSWORD", "wrong", 1);
  (void)pipe_client::open(remote_name, pipe_access::write, ec);
  EXPECT_EQ(ec, errc::logon_failure);
  // A user smbd does not know: the same.
  ::setenv("CONDUIT_SMB_USER", "nosuchuser", 1);
  (void)pipe_client::open(remote_name, pipe_access::write, ec);
  EXPECT_EQ(ec, errc::logon_failure);
  ::setenv("CONDUIT_SMB_USER", alice.name().c_str(), 1);
  // No credentials at all.
  ::unsetenv("CONDUIT_SMB_USER");
  ::unsetenv("CONDUIT_SMB_PASSWORD");
  (void)pipe_client::open(remote_name, pipe_access::write, ec);
  EXPECT_EQ(ec, errc::logon_failure);
}

// Logs conduit's own SMB client in as `user`.
void smb_logon(const unix_user& user) {
  ::setenv("CONDUIT_SMB_USER", user.name().c_str(), 1);
  ::setenv("CONDUIT_SMB_PASSWORD", password, 1);
}

std::string text_of(std::span<const std::byte> bytes) {
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

// Runs `io` in another thread and ends `client`'s handle if it is not over
// in time, so that a read that never ends fails the test instead of
// hanging it. False on the timeout.
template <typename F>
bool within_bound(pipe_client& client, F io) {
  auto done = std::async(std::launch::async, io);
  if (done.wait_for(std::chrono::milliseconds(bound_ms)) == std::future_status::ready) return true;
  client.impl()->shut_down();
  done.wait();
  return false;
}

// Reads from `client` until `size` bytes came (or an error).
std::string read_bytes(pipe_client& client, std::size_t size, std::error_code& ec) {
  std::string got;
  std::vector<std::byte> buffer(256);
  while (got.size() < size && !ec) {
    std::size_t n = client.read(buffer, ec);
    got += text_of(std::span(buffer).first(n));
  }
  return got;
}

// One handle writes requests and reads the answers through smbd: each
// write reaches a message server as one message, and in message read mode
// each of the server's messages comes as one, however they queue up.
TEST_F(RemotePipe, ConduitClientDuplexOnAMessagePipe) {
  unix_user alice("csa");
  start_smb({&alice}, {short_name()});
  auto server = pipe_server::create(full_name(), open_to_all(pipe_type::message));
  std::thread t([&server] {
    std::error_code ec;
    (void)server.connect(std::chrono::milliseconds(bound_ms), ec);
    while (!ec) {
      auto m = server.read_message(ec);
      // Two answers to each request, written before the client reads.
      if (!ec) server.write("[" + std::to_string(m.size()) + ":" + text_of(m) + "]", ec);
      if (!ec) server.write("(" + text_of(m) + ")", ec);
    }
  });
  smb_logon(alice);
  std::error_code ec;
  auto client = pipe_client::open(R"(\\127.0.0.1\pipe\)" + short_name(), pipe_access::duplex, ec);
  ASSERT_FALSE(ec) << ec.message() << smbd_.log();
  client.set_read_mode(read_mode::message, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(client.read_mode(), read_mode::message);
  std::vector<std::string> answers;
  EXPECT_TRUE(within_bound(client, [&] {
    for (const std::string& m :
         {std::string("hello"), std::string("second message"), std::string(300, 'x')}) {
      client.write(m);
      // Wait until both answers are there, so that they queue up in the
      // relay and the pipe.
      std::string first = text_of(client.read_message(ec));
      std::string second = text_of(client.read_message(ec));
      answers.push_back(first == "[" + std::to_string(m.size()) + ":" + m + "]" &&
                                second == "(" + m + ")"
                            ? "ok"
                            : "wrong: " + first + " / " + second);
    }
  }));
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_EQ(answers, (std::vector<std::string>{"ok", "ok", "ok"}));
  client.close();
  t.join();
}

// What refuses a conduit client's open, and the error it sees: the DACL
// and -denyremote (the bridge closes before answering: ERROR_ACCESS_DENIED),
// a name the bridge does not publish (ERROR_FILE_NOT_FOUND), and a server
// that would take an unknown user as guest (ERROR_LOGON_FAILURE: never a
// guest session in place of the user's).
TEST_F(RemotePipe, ConduitClientRefusedOpens) {
  unix_user alice("csa");
  unix_user bob("csb");
  std::string denying = short_name() + "Deny";
  start_smb({&alice, &bob}, {short_name(), denying}, /*guest=*/true);
  pipe_options only_alice;
  only_alice.security_descriptor = "D:(A;;GA;;;S-1-22-1-" + std::to_string(alice.uid()) + ")";
  auto server = pipe_server::create(full_name(), only_alice);
  pipe_options no_remote;
  no_remote.security_descriptor = "D:(A;;GA;;;WD)";
  no_remote.reject_remote_clients = true;
  auto deny_server = pipe_server::create(R"(\\.\pipe\)" + denying, no_remote);
  std::string host = R"(\\127.0.0.1\pipe\)";
  std::error_code ec;
  smb_logon(bob);
  (void)pipe_client::open(host + short_name(), pipe_access::duplex, ec);
  EXPECT_EQ(ec, errc::access_denied) << ec.message();
  smb_logon(alice);
  (void)pipe_client::open(host + denying, pipe_access::duplex, ec);
  EXPECT_EQ(ec, errc::access_denied) << ec.message();
  (void)pipe_client::open(host + short_name() + "Unpublished", pipe_access::duplex, ec);
  EXPECT_EQ(ec, errc::file_not_found) << ec.message();
  ::setenv("CONDUIT_SMB_USER", "no-such-user", 1);
  (void)pipe_client::open(host + short_name(), pipe_access::duplex, ec);
  EXPECT_EQ(ec, errc::logon_failure) << ec.message();
  // The one the DACL names gets in.
  smb_logon(alice);
  std::thread t = echo(server);
  auto client = pipe_client::open(host + short_name(), pipe_access::duplex, ec);
  ASSERT_FALSE(ec) << ec.message() << smbd_.log();
  std::string back;
  EXPECT_TRUE(within_bound(client, [&] {
    client.write("hi");
    back = read_bytes(client, 2, ec);
  }));
  EXPECT_EQ(back, "hi");
  client.close();
  t.join();
  // Credentials from a file, as smbclient -A reads it, come before the
  // environment's: a wrong password there fails though the environment's
  // is right, and the right one opens.
  std::string file = smbd_.root() + "/credentials";
  auto write_file = [&file](const std::string& text) {
    std::ofstream out(file);
    out << text;
  };
  write_file("username = " + alice.name() + "\npassword = wrong\n");
  ::setenv("CONDUIT_SMB_CREDENTIALS", file.c_str(), 1);
  (void)pipe_client::open(host + short_name(), pipe_access::duplex, ec);
  EXPECT_EQ(ec, errc::logon_failure) << ec.message();
  write_file("username = " + alice.name() + "\npassword = " + password + "\ndomain = \n");
  server.disconnect(ec);  // the instance listens again
  std::thread t2 = echo(server);
  auto from_file = pipe_client::open(host + short_name(), pipe_access::duplex, ec);
  ::unsetenv("CONDUIT_SMB_CREDENTIALS");
  EXPECT_FALSE(ec) << ec.message();
  if (!ec) {
    EXPECT_TRUE(within_bound(from_file, [&] {
      from_file.write("file");
      back = read_bytes(from_file, 4, ec);
    }));
    EXPECT_EQ(back, "file");
    from_file.close();
  }
  t2.join();
}

// smbd requires signing: conduit's client signs its requests and checks
// smbd's signatures, and the pipe works as without.
TEST_F(RemotePipe, ConduitClientSignsWhenSmbdRequiresIt) {
  unix_user alice("csa");
  start_smb({&alice}, {short_name()}, false, "  server signing = mandatory\n");
  auto server = pipe_server::create(full_name(), open_to_all(pipe_type::message));
  std::thread t = echo(server);
  smb_logon(alice);
  std::error_code ec;
  auto client = pipe_client::open(R"(\\127.0.0.1\pipe\)" + short_name(), pipe_access::duplex, ec);
  ASSERT_FALSE(ec) << ec.message() << smbd_.log();
  client.set_read_mode(read_mode::message, ec);
  ASSERT_FALSE(ec);
  std::vector<std::string> back;
  EXPECT_TRUE(within_bound(client, [&] {
    for (const std::string& m : {std::string("signed"), std::string(5000, 's')}) {
      client.write(m);
      back.push_back(text_of(client.read_message(ec)));
    }
  }));
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_EQ(back, (std::vector<std::string>{"signed", std::string(5000, 's')}));
  client.close();
  t.join();
  // A wrong password stays a logon failure with signing on.
  ::setenv("CONDUIT_SMB_PASSWORD", "wrong", 1);
  (void)pipe_client::open(R"(\\127.0.0.1\pipe\)" + short_name(), pipe_access::duplex, ec);
  EXPECT_EQ(ec, errc::logon_failure);
}

// Serves one client in a thread: answers each message with a message of
// the size the request names (as text), filled with a pattern.
std::thread serve_sizes(pipe_server& server) {
  return std::thread([&server] {
    std::error_code ec;
    (void)server.connect(std::chrono::milliseconds(bound_ms), ec);
    while (!ec) {
      auto m = server.read_message(ec);
      if (ec) break;
      std::size_t size = std::stoul(text_of(m));
      std::string answer(size, '.');
      for (std::size_t i = 0; i < size; ++i) answer[i] = static_cast<char>('a' + i % 26);
      server.write(answer, ec);
    }
  });
}

std::string pattern(std::size_t size) {
  std::string s(size, '.');
  for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>('a' + i % 26);
  return s;
}

// TransactNamedPipe on a remote handle: one message out, one back, in
// message read mode; a reply larger than the buffer is ERROR_MORE_DATA
// with the part that fits, and the rest follows with the next read.
TEST_F(RemotePipe, ConduitClientTransactsAndReadsLongMessagesInParts) {
  unix_user alice("csa");
  start_smb({&alice}, {short_name()});
  auto server = pipe_server::create(full_name(), open_to_all(pipe_type::message));
  std::thread t = serve_sizes(server);
  smb_logon(alice);
  std::error_code ec;
  auto client = pipe_client::open(R"(\\127.0.0.1\pipe\)" + short_name(), pipe_access::duplex, ec);
  ASSERT_FALSE(ec) << ec.message() << smbd_.log();
  // Byte read mode: TransactNamedPipe refuses, as on Windows.
  std::vector<std::byte> reply(4096);
  (void)client.transact(std::as_bytes(std::span(std::string_view("10"))), reply, ec);
  EXPECT_EQ(ec, errc::bad_pipe);
  client.set_read_mode(read_mode::message, ec);
  ASSERT_FALSE(ec);
  EXPECT_TRUE(within_bound(client, [&] {
    for (std::size_t size : {std::size_t{1}, std::size_t{64}, std::size_t{4096}}) {
      std::string request = std::to_string(size);
      std::size_t n = client.transact(std::as_bytes(std::span(request)), reply, ec);
      EXPECT_FALSE(ec) << ec.message();
      EXPECT_EQ(text_of(std::span(reply).first(n)), pattern(size));
    }
    // 60,000 bytes: more than the buffer, less than the bridge's frame.
    std::size_t n = client.transact(std::as_bytes(std::span(std::string_view("60000"))), reply, ec);
    EXPECT_EQ(ec, errc::more_data);
    std::string got = text_of(std::span(reply).first(n));
    while (ec == errc::more_data) {
      n = client.read(reply, ec);
      got += text_of(std::span(reply).first(n));
    }
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_EQ(got, pattern(60000));
  }));
  client.close();
  t.join();
}

// smbd dies while a conduit client's read waits in it: the read fails
// with ERROR_BROKEN_PIPE, bounded, and the handle stays usable for close.
TEST_F(RemotePipe, ConduitClientSeesSmbdKilledMidStream) {
  unix_user alice("csa");
  start_smb({&alice}, {short_name()});
  auto server = pipe_server::create(full_name(), open_to_all(pipe_type::message));
  std::promise<std::error_code> after;
  auto outcome = after.get_future();
  std::thread t = serve_until_client_leaves(server, after, /*echo_first=*/true);
  smb_logon(alice);
  std::error_code ec;
  auto client = pipe_client::open(R"(\\127.0.0.1\pipe\)" + short_name(), pipe_access::duplex, ec);
  ASSERT_FALSE(ec) << ec.message() << smbd_.log();
  std::string first;
  EXPECT_TRUE(within_bound(client, [&] {
    client.write("hello");
    first = read_bytes(client, 5, ec);
  }));
  EXPECT_EQ(first, "hello");
  auto reading = std::async(std::launch::async, [&client] {
    std::vector<std::byte> buffer(64);
    std::error_code read_ec;
    (void)client.read(buffer, read_ec);
    return read_ec;
  });
  EXPECT_EQ(reading.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout);
  EXPECT_TRUE(smbd_.kill_hard());
  bool ended = reading.wait_for(std::chrono::milliseconds(bound_ms)) == std::future_status::ready;
  if (!ended) client.impl()->shut_down();  // fails, and never hangs
  ASSERT_TRUE(ended);
  EXPECT_EQ(reading.get(), errc::broken_pipe);
  client.write("after", ec);
  EXPECT_TRUE(ec == errc::broken_pipe || ec == errc::no_data) << ec.message();
  client.close();
  ASSERT_EQ(outcome.wait_for(std::chrono::milliseconds(bound_ms)), std::future_status::ready);
  t.join();
  EXPECT_EQ(outcome.get(), errc::broken_pipe);
}

// A byte pipe: what the server sends back comes as it arrives.
TEST_F(RemotePipe, ConduitClientDuplexOnABytePipe) {
  unix_user alice("csa");
  start_smb({&alice}, {short_name()});
  auto server = pipe_server::create(full_name(), open_to_all(pipe_type::byte));
  std::thread t = echo(server);
  smb_logon(alice);
  std::error_code ec;
  auto client = pipe_client::open(R"(\\127.0.0.1\pipe\)" + short_name(), pipe_access::duplex, ec);
  ASSERT_FALSE(ec) << ec.message() << smbd_.log();
  std::vector<std::string> back;
  EXPECT_TRUE(within_bound(client, [&] {
    for (const std::string& m : {std::string("abc"), std::string("defgh"), std::string(200, 'z')}) {
      client.write(m);
      back.push_back(read_bytes(client, m.size(), ec));
    }
  }));
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_EQ(back, (std::vector<std::string>{"abc", "defgh", std::string(200, 'z')}));
  client.close();
  t.join();
}

// The server's process dies between a request and its answer: the waiting
// read fails as the pipe breaks.
TEST_F(RemotePipe, ConduitClientSeesServerDie) {
  unix_user alice("csa");
  start_smb({&alice}, {short_name()});
  helper_process helper;
  ASSERT_EQ(helper.call("echo-server " + full_name() + " 1 1 type=message sd=D:(A;;GA;;;WD)"),
            "ok");
  smb_logon(alice);
  std::error_code ec;
  auto client = pipe_client::open(R"(\\127.0.0.1\pipe\)" + short_name(), pipe_access::duplex, ec);
  ASSERT_FALSE(ec) << ec.message() << smbd_.log();
  std::vector<std::byte> buffer(64);
  std::string first;
  EXPECT_TRUE(within_bound(client, [&] {
    client.write("hello");
    first = read_bytes(client, 5, ec);
  }));
  EXPECT_EQ(first, "hello");
  auto reading = std::async(std::launch::async, [&] {
    std::error_code read_ec;
    (void)client.read(buffer, read_ec);
    return read_ec;
  });
  helper.kill_hard();
  bool ended = reading.wait_for(std::chrono::milliseconds(bound_ms)) == std::future_status::ready;
  if (!ended) client.impl()->shut_down();  // fails, and never hangs
  ASSERT_TRUE(ended);
  auto failed = reading.get();
  EXPECT_TRUE(failed == errc::broken_pipe || failed == errc::pipe_not_connected)
      << failed.message();
}

// Ending the handle from another thread ends a read waiting on it, though
// the relay waits in an SMB read the server never answers; the server then
// sees its client gone.
TEST_F(RemotePipe, ConduitClientShutDownEndsAWaitingRead) {
  unix_user alice("csa");
  start_smb({&alice}, {short_name()});
  auto server = pipe_server::create(full_name(), open_to_all(pipe_type::message));
  std::promise<std::error_code> after;
  auto outcome = after.get_future();
  std::thread t = serve_until_client_leaves(server, after, /*echo_first=*/false);
  smb_logon(alice);
  std::error_code ec;
  auto client = pipe_client::open(R"(\\127.0.0.1\pipe\)" + short_name(), pipe_access::duplex, ec);
  ASSERT_FALSE(ec) << ec.message() << smbd_.log();
  auto reading = std::async(std::launch::async, [&client] {
    std::vector<std::byte> buffer(64);
    std::error_code read_ec;
    (void)client.read(buffer, read_ec);
    return read_ec;
  });
  // The read is waiting (it has nothing to take) when the handle ends.
  EXPECT_EQ(reading.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout);
  client.impl()->shut_down();
  ASSERT_EQ(reading.wait_for(std::chrono::milliseconds(bound_ms)), std::future_status::ready);
  EXPECT_TRUE(reading.get());
  ASSERT_EQ(outcome.wait_for(std::chrono::milliseconds(bound_ms)), std::future_status::ready);
  t.join();
  EXPECT_EQ(outcome.get(), errc::broken_pipe);
}

// A Win32 server asks its SMB client's computer name: the name the client
// gave in its logon, in both character sets; a buffer too small for it is
// ERROR_MORE_DATA (234).
TEST_F(RemotePipe, Win32ServerGetsTheClientComputerName) {
  unix_user alice("csa");
  start_smb({&alice}, {short_name()});
  auto asked = std::async(std::launch::async,
                          [this] { return win32_client_computer_name(full_name(), bound_ms); });
  smb_logon(alice);
  std::error_code ec;
  pipe_client client;
  // The Win32 server may not be listening yet: the open is then refused.
  for (int attempt = 0; attempt < 100; ++attempt) {
    client = pipe_client::open(R"(\\127.0.0.1\pipe\)" + short_name(), pipe_access::write, ec);
    if (!ec || asked.wait_for(std::chrono::milliseconds(20)) == std::future_status::ready) break;
  }
  EXPECT_FALSE(ec) << ec.message();
  std::string host = netbios_host_name();
  EXPECT_EQ(lower(asked.get()), lower("A:" + host + " W:" + host + " tiny error 234"));
}

// A local user who reaches the bridge's socket (here made reachable on
// purpose) and claims to be root in the handshake is not served: only
// root, smbd, speaks for remote users.
TEST_F(RemotePipe, BridgeServesOnlyRoot) {
  unix_user alice("csa");
  unix_user mallory("csm");
  start_smb({&alice}, {short_name()});
  auto server = pipe_server::create(full_name(), open_to_all(pipe_type::byte));
  std::string socket_path = smbd_.np_dir() + "/" + "condsmb" + std::to_string(::getpid());
  for (const auto& dir : {smbd_.root(), smbd_.root() + "/ncalrpc", smbd_.np_dir()})
    ASSERT_EQ(::chmod(dir.c_str(), 0711), 0);
  ASSERT_EQ(::chmod(socket_path.c_str(), 0777), 0);
  detail::remote::npa_request forged;
  forged.level = 7;
  forged.has_session = true;
  forged.has_unix_token = true;  // uid 0: root
  forged.account_name = "root";
  auto hello = detail::remote::encode_npa_request(forged);
  user_process attacker(mallory, [&] {
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, socket_path.c_str(), sizeof(addr.sun_path) - 1);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return 2;
    // The bridge may have closed already (it checks the peer first): a
    // refused send is that refusal, not a failure of the test.
    ssize_t sent = ::send(fd, hello.data(), hello.size(), MSG_NOSIGNAL);
    if (sent < 0 && errno == EPIPE) return 0;
    if (sent != static_cast<ssize_t>(hello.size())) return 3;
    char reply[64];
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, bound_ms) != 1) return 4;
    // Closed unanswered: end of file, or a reset (the bridge never read
    // what was sent).
    ssize_t n = ::read(fd, reply, sizeof(reply));
    return n == 0 || (n < 0 && errno == ECONNRESET) ? 0 : 5;
  });
  EXPECT_EQ(attacker.wait_exit(std::chrono::milliseconds(bound_ms)), 0);
  // No client reached the server.
  std::error_code ec;
  EXPECT_EQ(server.connect(std::chrono::milliseconds(100), ec), connect_status{});
  EXPECT_EQ(ec, errc::sem_timeout);
}

}  // namespace
}  // namespace conduit::test
