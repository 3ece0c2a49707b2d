// smb_bench: 64-byte round trips to a conduit echo server over four paths,
// with the ratios printed (docs/benchmarks.md, docs/remote-pipes.md):
//   local   a conduit client on the local socket pair;
//   conduit the same conduit client API opening \\127.0.0.1\pipe\x: its
//           SMB2 relay, smbd and the bridge (what users get);
//   bridge  the bridge's np socket spoken to directly, as smbd speaks to it
//           (the handshake, then the relay): what the bridge adds;
//   smbd    a python3-samba client through smbd on loopback: the remote path
//           with a client that reads a message whole (its time per round
//           trip measured inside python).
// Needs root, Samba and network namespaces; it starts its own smbd, bridge
// and broker and stops them at the end. An alarm ends a run that hangs.
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "bench_support.hpp"
#include "conduit/error.hpp"
#include "conduit/pipe_client.hpp"
#include "conduit/pipe_server.hpp"
#include "remote/named_pipe_auth.hpp"
#include "support/broker_process.hpp"
#include "support/smb_server.hpp"
#include "support/unix_user.hpp"

namespace {

using clock_type = std::chrono::steady_clock;
constexpr int local_rounds = 20000;
constexpr int bridge_rounds = 20000;
constexpr int smbd_rounds = 2000;
constexpr int conduit_remote_rounds = 100;
constexpr const char* password = "Conduit-Bench-1";

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "smb_bench: %s\n", what.c_str());
  std::exit(1);
}

double per_round_us(clock_type::duration d, int rounds) {
  return std::chrono::duration<double, std::micro>(d).count() / rounds;
}

void exchange(int fd, std::byte* data) {
  if (::send(fd, data, 64, MSG_NOSIGNAL) != 64) fail("send to the bridge");
  std::size_t got = 0;
  while (got < 64) {
    ssize_t n = ::recv(fd, data + got, 64 - got, 0);
    if (n <= 0) fail("recv from the bridge");
    got += static_cast<std::size_t>(n);
  }
}

// Connects to the bridge's socket and makes the handshake: the socket, or
// -1 when the bridge is not listening yet or refused.
int handshake(const std::string& socket_path, const std::vector<std::byte>& request) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, socket_path.c_str(), sizeof(addr.sun_path) - 1);
  std::byte reply[36];
  std::size_t got = 0;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(request.size())) {
    while (got < sizeof(reply)) {
      ssize_t n = ::recv(fd, reply + got, sizeof(reply) - got, 0);
      if (n <= 0) break;
      got += static_cast<std::size_t>(n);
    }
  }
  if (got == sizeof(reply)) return fd;
  ::close(fd);
  return -1;
}

}  // namespace

int main() {
  using namespace conduit;
  ::alarm(120);
  if (::geteuid() != 0 || !test::samba_installed()) fail("needs root and samba");
  if (!test::private_network()) fail("needs network namespaces");
  char dir[] = "/tmp/conduit-smb-bench-XXXXXX";
  if (!::mkdtemp(dir)) fail("mkdtemp");
  ::setenv("CONDUIT_RUNTIME_DIR", dir, 1);

  test::unix_user user("cbe");
  test::smb_server smbd;
  std::string why;
  if (!smbd.start({{user.name(), password}}, why)) fail(why);
  std::string pipe = "SmbBench" + std::to_string(::getpid());

  pipe_options options;
  options.security_descriptor = "D:(A;;GA;;;WD)";
  auto server = pipe_server::create(R"(\\.\pipe\)" + pipe, options);
  std::thread echo([&server] {
    std::vector<std::byte> buffer(4096);
    for (int client = 0; client < 4; ++client) {
      std::error_code ec;
      (void)server.connect(std::chrono::seconds(60), ec);
      while (!ec) {
        std::size_t n = server.read(buffer, ec);
        if (!ec) server.write(std::span(buffer).first(n), ec);
      }
      server.disconnect(ec);
    }
  });

  // The bridge.
  pid_t bridge = ::fork();
  if (bridge == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    std::string exe = test::beside_self("conduit-smb-bridge"), np = smbd.np_dir();
    ::execl(exe.c_str(), exe.c_str(), "--np-dir", np.c_str(), pipe.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  std::string socket_path = smbd.np_dir() + "/smbbench" + std::to_string(::getpid());

  std::byte data[64] = {};
  // local
  auto client = pipe_client::open(R"(\\.\pipe\)" + pipe, pipe_access::duplex);
  auto start = clock_type::now();
  for (int i = 0; i < local_rounds; ++i) {
    client.write(std::span<const std::byte>(data, 64));
    std::size_t got = 0;
    while (got < 64) got += client.read(std::span<std::byte>(data + got, 64 - got));
  }
  double local_us = per_round_us(clock_type::now() - start, local_rounds);
  client.close();

  // The same client API through conduit's SMB2 client, smbd and the bridge.
  ::setenv("CONDUIT_SMB_USER", user.name().c_str(), 1);
  ::setenv("CONDUIT_SMB_PASSWORD", password, 1);
  std::error_code open_ec;
  pipe_client remote;
  for (int attempt = 0; attempt < 500; ++attempt) {
    remote = pipe_client::open(R"(\\127.0.0.1\pipe\)" + pipe, pipe_access::duplex, open_ec);
    if (open_ec != errc::access_denied && open_ec != errc::file_not_found) break;
    pollfd none{-1, 0, 0};
    ::poll(&none, 0, 10);  // the bridge is still starting: try again shortly
  }
  if (open_ec) fail("remote open: " + open_ec.message());
  start = clock_type::now();
  for (int i = 0; i < conduit_remote_rounds; ++i) {
    remote.write(std::span<const std::byte>(data, 64));
    std::size_t got = 0;
    while (got < 64) got += remote.read(std::span<std::byte>(data + got, 64 - got));
  }
  double conduit_remote_us = per_round_us(clock_type::now() - start, conduit_remote_rounds);
  remote.close();

  // bridge, as smbd speaks to it: once it listens, and once the echo
  // server listens again after the client before (a refused handshake)
  detail::remote::npa_request hello;
  hello.level = 7;
  hello.has_session = true;
  hello.has_unix_token = true;
  hello.uid = hello.gid = user.uid();
  auto request = detail::remote::encode_npa_request(hello);
  int fd = -1;
  for (int attempt = 0; attempt < 500 && fd < 0; ++attempt) {
    fd = handshake(socket_path, request);
    if (fd < 0) {
      pollfd none{-1, 0, 0};
      ::poll(&none, 0, 10);
    }
  }
  if (fd < 0) fail("cannot reach the bridge");
  start = clock_type::now();
  for (int i = 0; i < bridge_rounds; ++i) exchange(fd, data);
  double bridge_us = per_round_us(clock_type::now() - start, bridge_rounds);
  ::close(fd);

  // smbd, with python3-samba
  int out[2];
  if (::pipe(out) != 0) fail("pipe");
  pid_t py = ::fork();
  if (py == 0) {
    ::dup2(out[1], 1);
    std::string bench = "@bench:" + std::to_string(smbd_rounds);
    ::execl("/usr/bin/python3", "python3", CONDUIT_SMB_CLIENT_PY, user.name().c_str(), password,
            pipe.c_str(), bench.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(out[1]);
  std::string text;
  char chunk[256];
  for (ssize_t n; (n = ::read(out[0], chunk, sizeof(chunk))) > 0;) text.append(chunk, n);
  ::waitpid(py, nullptr, 0);
  auto at = text.find("rt-us:");
  if (at == std::string::npos) fail("python client: " + text);
  double smbd_us = std::strtod(text.c_str() + at + 6, nullptr);

  std::printf("64-byte round trips (mean per round trip), CPU: %s\n",
              conduit_bench::cpu_model().c_str());
  std::printf("  local socket pair (conduit client)        %9.2f us\n", local_us);
  std::printf("  through smbd (conduit client, loopback)   %9.2f us  %6.1fx local\n",
              conduit_remote_us, conduit_remote_us / local_us);
  std::printf("  bridge np socket (as smbd speaks to it)   %9.2f us  %6.1fx local\n", bridge_us,
              bridge_us / local_us);
  std::printf("  through smbd (python3-samba, loopback)    %9.2f us  %6.1fx local\n", smbd_us,
              smbd_us / local_us);

  server.close();
  echo.join();
  ::kill(bridge, SIGTERM);
  ::waitpid(bridge, nullptr, 0);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return 0;
}
