#include "remote/smb_bridge.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <thread>

#include "conduit/error.hpp"
#include "core/client_computer.hpp"
#include "core/pipe_flags.hpp"
#include "core/unique_fd.hpp"
#include "core/wire.hpp"
#include "remote/named_pipe_auth.hpp"
#include "remote/smb_relay.hpp"
#include "runtime/broker_link.hpp"
#include "runtime/pipe_channel.hpp"

namespace conduit::detail::remote {
namespace {

// How long smbd has to send its whole request once connected.
constexpr int handshake_timeout_ms = 10'000;
// The uid and gid a session without a Unix token stands for (nobody).
constexpr std::uint32_t nobody = 65534;
// What the bridge asks of the pipe for its client: reading and writing.
// SMB opens do not carry their access mask through smbd's socket.
constexpr std::uint32_t generic_read_write = 0xC0000000;

struct published {
  std::string name;  // as given: the pipe is `\\.\pipe\<name>`
  std::string path;  // the socket smbd connects to
  unique_fd listener;
};

std::string lowercase(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

unique_fd listen_at(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) {
    errno = ENAMETOOLONG;
    return {};
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  unique_fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return {};
  ::unlink(path.c_str());  // a socket left by an earlier bridge
  // smbd connects as root; nobody else needs to (np/ is root's alone too).
  mode_t old = ::umask(077);
  int bound = ::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  ::umask(old);
  if (bound != 0 || ::listen(fd.get(), 64) != 0) return {};
  return fd;
}

// Reads exactly what the request's length says, within the deadline.
bool read_request(int fd, std::vector<std::byte>& out) {
  out.clear();
  std::size_t want = npa_length_prefix;
  auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(handshake_timeout_ms);
  while (out.size() < want) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    std::size_t had = out.size();
    out.resize(want);
    ssize_t n = ::recv(fd, out.data() + had, want - had, MSG_DONTWAIT);
    out.resize(had + (n > 0 ? static_cast<std::size_t>(n) : 0));
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) return false;
    if (out.size() == npa_length_prefix && want == npa_length_prefix) {
      want = npa_request_size(out);
      if (want == 0) return false;
    }
  }
  return true;
}

bool send_all(int fd, std::span<const std::byte> bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    pollfd p{fd, POLLOUT, 0};
    if (::poll(&p, 1, handshake_timeout_ms) <= 0) return false;
    ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EINTR) return false;
    if (n > 0) sent += static_cast<std::size_t>(n);
  }
  return true;
}

bool anonymous_session(const npa_request& r) {
  if (!r.has_session || !r.has_unix_token) return true;
  for (const auto& s : r.sids)
    if (s == security::well_known::anonymous) return true;
  return false;
}

void serve(unique_fd smbd, std::string pipe_name) {
  ucred peer{};
  socklen_t len = sizeof(peer);
  if (::getsockopt(smbd.get(), SOL_SOCKET, SO_PEERCRED, &peer, &len) != 0 || peer.uid != 0)
    return;  // only root (smbd) speaks for remote users
  std::vector<std::byte> bytes;
  npa_request request;
  if (!read_request(smbd.get(), bytes) || decode_npa_request(bytes, request)) return;

  wire::open_remote_request open;
  open.name = "\\\\.\\pipe\\" + pipe_name;
  open.desired_access = generic_read_write;
  open.client_pid = static_cast<std::uint32_t>(peer.pid);
  if (anonymous_session(request)) {
    open.uid = open.gid = nobody;
    open.flags = wire::remote_anonymous;
  } else {
    open.uid = static_cast<std::uint32_t>(request.uid);
    open.gid = static_cast<std::uint32_t>(request.gid);
    for (auto g : request.groups) {
      if (open.groups.size() == wire::connect_record::max_groups) break;
      open.groups.push_back(static_cast<std::uint32_t>(g));
    }
  }
  // The client's computer as smbd heard it; what the broker would refuse
  // goes unsaid rather than failing the open.
  if (valid_computer_name(request.remote_client_name))
    open.computer_name = request.remote_client_name;
  if (valid_client_address(request.remote_client_addr))
    open.client_address = request.remote_client_addr;
  wire::reply reply;
  std::vector<unique_fd> fds;
  if (broker_link::get().call(open, {}, reply, &fds) || reply.error != 0 || fds.size() != 2) {
    // Refused (access, busy, no such pipe, remote clients rejected): smbd
    // fails the open when the socket closes before the answer.
    return;
  }
  bool message = reply.pipe_mode & type_message;
  auto answer =
      encode_npa_reply(request.level, message ? npa_file_type::message : npa_file_type::byte);
  if (!send_all(smbd.get(), answer)) return;
  pipe_channel channel(std::move(fds[0]), message);
  relay(std::move(smbd), channel, message);
}

}  // namespace

int run_bridge(const bridge_options& options) {
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);  // threads made from here on inherit it
  sigdelset(&stop, SIGPIPE);
  unique_fd signals(::signalfd(-1, &stop, SFD_CLOEXEC));

  std::vector<published> pipes;
  for (const auto& name : options.pipes) {
    published p;
    p.name = name;
    p.path = options.np_dir + "/" + lowercase(name);
    p.listener = listen_at(p.path);
    if (!p.listener) {
      std::fprintf(stderr, "conduit-smb-bridge: cannot listen on %s: %s\n", p.path.c_str(),
                   std::strerror(errno));
      for (auto& made : pipes) ::unlink(made.path.c_str());
      return 1;
    }
    pipes.push_back(std::move(p));
  }
  if (options.ready_fd >= 0) {
    (void)!::write(options.ready_fd, "R", 1);
    ::close(options.ready_fd);
  }

  std::vector<pollfd> fds;
  fds.push_back({signals.get(), POLLIN, 0});
  for (auto& p : pipes) fds.push_back({p.listener.get(), POLLIN, 0});
  for (;;) {
    if (::poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) break;
    if (fds[0].revents) break;
    for (std::size_t i = 1; i < fds.size(); ++i) {
      if (!(fds[i].revents & POLLIN)) continue;
      unique_fd client(::accept4(fds[i].fd, nullptr, nullptr, SOCK_CLOEXEC));
      if (!client) continue;
      std::thread(serve, std::move(client), pipes[i - 1].name).detach();
    }
  }
  for (auto& p : pipes) ::unlink(p.path.c_str());
  return 0;
}

}  // namespace conduit::detail::remote
