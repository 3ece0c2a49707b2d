#include "broker/broker.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "conduit/error.hpp"
#include "core/fd_passing.hpp"
#include "core/object_name.hpp"
#include "core/pipe_flags.hpp"
#include "core/runtime_dir.hpp"

namespace conduit::broker {
namespace {

using detail::unique_fd;
constexpr std::uint64_t listener_tag = 0;
constexpr std::uint64_t signal_tag = 1;

void log_error(const char* what) {
  std::fprintf(stderr, "conduitd: %s: %s\n", what, std::strerror(errno));
}

// A peer's credentials as the kernel recorded them at connect time.
bool read_credentials(int fd, credentials& out) {
  ucred cred{};
  socklen_t len = sizeof(cred);
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return false;
  out.pid = cred.pid;
  out.uid = cred.uid;
  out.gid = cred.gid;
  std::array<gid_t, 256> groups{};
  len = sizeof(groups);
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &len) == 0)
    out.groups.assign(groups.begin(), groups.begin() + len / sizeof(gid_t));
  return true;
}

// Each listening instance holds two descriptors here: allow as many as the
// hard limit lets us.
void raise_descriptor_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

// On a clean exit the broker takes its socket and pid file with it: a pid
// file left behind names a pid the system may give to another process, which
// whoever stops "the broker" by its pid file would then hit. The lock is
// still ours, so both files are.
void remove_files(const std::string& dir) {
  ::unlink(detail::broker_socket_path(dir).c_str());
  ::unlink(detail::broker_pid_path(dir).c_str());
}

}  // namespace

bool broker::set_up() {
  const std::string& dir = options_.runtime_dir;
  if (::mkdir(dir.c_str(), options_.system ? 0755 : 0700) != 0 && errno != EEXIST) {
    log_error(("cannot create " + dir).c_str());
    return false;
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::geteuid() ||
      (!options_.system && (st.st_mode & 022) != 0)) {
    std::fprintf(stderr,
                 "conduitd: %s must be a folder owned by this user, writable by no one else\n",
                 dir.c_str());
    return false;
  }
  lock_.reset(::open(detail::broker_lock_path(dir).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!lock_ || ::flock(lock_.get(), LOCK_EX | LOCK_NB) != 0) {
    std::fprintf(stderr, "conduitd: another conduitd already serves %s\n", dir.c_str());
    return false;
  }
  std::string path = detail::broker_socket_path(dir);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) {
    std::fprintf(stderr, "conduitd: socket path too long: %s\n", path.c_str());
    return false;
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  ::unlink(path.c_str());  // a stale socket from a broker that died; we hold the lock
  listener_.reset(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!listener_ ||
      ::bind(listener_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::chmod(path.c_str(), options_.system ? 0666 : 0600) != 0 ||
      ::listen(listener_.get(), 512) != 0) {
    log_error(("cannot listen on " + path).c_str());
    return false;
  }
  if (FILE* pid = std::fopen(detail::broker_pid_path(dir).c_str(), "we")) {
    std::fprintf(pid, "%d\n", ::getpid());
    std::fclose(pid);
  }

  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigprocmask(SIG_BLOCK, &mask, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  signals_.reset(::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));
  epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = listener_tag;
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, listener_.get(), &ev);
  ev.data.u64 = signal_tag;
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, signals_.get(), &ev);
  raise_descriptor_limit();
  return true;
}

int broker::run() {
  if (!set_up()) return 1;
  if (options_.ready_fd >= 0) {
    (void)!::write(options_.ready_fd, "R", 1);
    ::close(options_.ready_fd);
  }
  idle_since_ = std::chrono::steady_clock::now();
  std::array<epoll_event, 64> events{};
  for (;;) {
    int n = ::epoll_wait(epoll_.get(), events.data(), events.size(), next_timeout_ms());
    if (n < 0 && errno != EINTR) {
      log_error("epoll_wait");
      return 1;
    }
    for (int i = 0; i < n; ++i) {
      std::uint64_t tag = events[i].data.u64;
      if (tag == listener_tag) {
        accept_peers();
      } else if (tag == signal_tag) {
        remove_files(options_.runtime_dir);
        return 0;
      } else if (auto it = peers_.find(tag); it != peers_.end()) {
        serve(it->second);
      }
    }
    expire_waiters();
    if (options_.idle_exit_seconds > 0 && peers_.empty() &&
        std::chrono::steady_clock::now() - idle_since_ >=
            std::chrono::seconds(options_.idle_exit_seconds)) {
      remove_files(options_.runtime_dir);
      return 0;
    }
  }
}

int broker::next_timeout_ms() const {
  auto now = std::chrono::steady_clock::now();
  auto soonest = std::chrono::steady_clock::time_point::max();
  for (const auto& w : waiters_) soonest = std::min(soonest, w.deadline);
  if (options_.idle_exit_seconds > 0 && peers_.empty())
    soonest = std::min(soonest, idle_since_ + std::chrono::seconds(options_.idle_exit_seconds));
  if (soonest == std::chrono::steady_clock::time_point::max()) return -1;
  if (soonest <= now) return 0;
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(soonest - now).count();
  return static_cast<int>(std::min<long long>(ms, 60'000));
}

void broker::accept_peers() {
  for (;;) {
    unique_fd fd(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (!fd) return;  // EAGAIN, or a peer that vanished before we took it
    peer p;
    if (!read_credentials(fd.get(), p.creds)) continue;
    p.id = next_peer_++;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = p.id;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd.get(), &ev) != 0) continue;
    p.socket = std::move(fd);
    peers_.emplace(p.id, std::move(p));
  }
}

void broker::serve(peer& p) {
  std::array<std::byte, wire::max_message_size> buffer;
  std::vector<unique_fd> fds;
  peer_id id = p.id;
  for (int budget = 64; budget > 0; --budget) {
    std::error_code ec;
    std::size_t n = detail::receive_packet(p.socket.get(), buffer, fds, ec, MSG_DONTWAIT);
    if (ec == std::errc::resource_unavailable_try_again) return;
    if (ec || n == 0 || !handle(p, std::span(buffer).first(n), std::move(fds))) {
      drop(id);
      return;
    }
    if (!peers_.count(id)) return;
  }
}

bool broker::reply(peer& p, std::uint32_t request_id, const wire::reply& r,
                   std::span<const int> fds) {
  auto bytes = wire::encode(r, request_id);
  // The socket is non-blocking: a peer that does not read its answers is dropped.
  return !detail::send_packet(p.socket.get(), bytes, fds);
}

bool broker::handle(peer& p, std::span<const std::byte> packet, std::vector<unique_fd> fds) {
  wire::header h;
  wire::request request;
  if (auto ec = wire::decode_request(packet, h, request)) {
    // Another protocol version gets an answer it can read; garbage does not.
    if (ec == std::errc::protocol_not_supported) {
      wire::reply r;
      r.error = static_cast<std::uint32_t>(errc::not_supported);
      reply(p, h.request_id, r);
    }
    return false;
  }
  if (auto* create = std::get_if<wire::create_instance_request>(&request)) {
    if (fds.empty() || fds.size() > 2) return false;
    unique_fd page = std::move(fds[0]);
    unique_fd endpoint = fds.size() > 1 ? std::move(fds[1]) : unique_fd();
    bool listening = static_cast<bool>(endpoint);
    wire::reply r = pipes_.create_instance(p, *create, std::move(page), std::move(endpoint));
    if (!reply(p, h.request_id, r)) return false;
    if (r.error == 0 && listening) wake_waiters(pipes_.key_of_instance(r.instance_id));
    return true;
  }
  if (auto* create = std::get_if<wire::create_mailslot_request>(&request)) {
    if (fds.size() != 1) return false;
    return reply(p, h.request_id, mailslots_.create(p, *create, std::move(fds[0])));
  }
  if (auto* create = std::get_if<wire::create_event_request>(&request)) {
    if (fds.size() != 1) return false;
    return reply_event(p, h.request_id, events_.create(p, *create, std::move(fds[0])));
  }
  if (!fds.empty() && !std::holds_alternative<wire::listen_request>(request)) return false;
  if (auto* listen = std::get_if<wire::listen_request>(&request)) {
    if (fds.size() != 1) return false;
    wire::reply r = pipes_.listen(p, *listen, std::move(fds[0]));
    if (!reply(p, h.request_id, r)) return false;
    if (r.error == 0) wake_waiters(pipes_.key_of_instance(listen->instance_id));
    return true;
  }
  if (auto* close = std::get_if<wire::close_instance_request>(&request)) {
    return reply(p, h.request_id, pipes_.close_instance(p, *close));
  }
  if (auto* open = std::get_if<wire::open_request>(&request)) {
    open_result result = pipes_.open(p, *open);
    if (result.reply.error != 0) return reply(p, h.request_id, result.reply);
    std::array<int, 2> pass{result.endpoint.get(), result.page};
    return reply(p, h.request_id, result.reply, pass);
  }
  if (auto* wait = std::get_if<wire::wait_request>(&request)) {
    bool must_wait = false;
    std::uint32_t timeout_ms = 0;
    std::string key;
    wire::reply r = pipes_.wait(*wait, must_wait, timeout_ms, key);
    if (!must_wait) return reply(p, h.request_id, r);
    if (p.waits >= max_waits_per_peer) {
      r.error = static_cast<std::uint32_t>(errc::not_enough_memory);
      return reply(p, h.request_id, r);
    }
    waiter w;
    w.peer = p.id;
    w.request_id = h.request_id;
    w.key = key;
    w.deadline = timeout_ms == detail::wait_forever
                     ? std::chrono::steady_clock::time_point::max()
                     : std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    waiters_.push_back(std::move(w));
    ++p.waits;
    return true;
  }
  if (auto* query = std::get_if<wire::query_request>(&request))
    return reply(p, h.request_id, pipes_.query(p, *query));
  if (auto* get = std::get_if<wire::get_security_request>(&request))
    return reply(p, h.request_id, pipes_.get_security(p, *get));
  if (auto* set = std::get_if<wire::set_security_request>(&request))
    return reply(p, h.request_id, pipes_.set_security(p, *set));
  if (std::holds_alternative<wire::list_request>(request))
    return reply(p, h.request_id, pipes_.list());
  if (auto* open = std::get_if<wire::open_mailslot_request>(&request)) {
    mailslot_open_result result = mailslots_.open(p, *open);
    if (result.reply.error != 0) return reply(p, h.request_id, result.reply);
    std::array<int, 1> pass{result.sending_end};
    return reply(p, h.request_id, result.reply, pass);
  }
  if (auto* close = std::get_if<wire::close_mailslot_request>(&request))
    return reply(p, h.request_id, mailslots_.close(p, *close));
  if (auto* open = std::get_if<wire::open_event_request>(&request))
    return reply_event(p, h.request_id, events_.open(p, *open));
  if (auto* close = std::get_if<wire::close_event_request>(&request))
    return reply(p, h.request_id, events_.close(p, *close));
  return false;
}

bool broker::reply_event(peer& p, std::uint32_t request_id, const event_result& result) {
  std::array<int, 1> pass{result.eventfd};
  return reply(p, request_id, result.reply,
               std::span<const int>(pass).first(result.eventfd >= 0 ? 1 : 0));
}

void broker::wake_waiters(const std::string& key) {
  for (auto it = waiters_.begin(); it != waiters_.end();) {
    if (it->key != key) {
      ++it;
      continue;
    }
    auto peer_it = peers_.find(it->peer);
    std::uint32_t request_id = it->request_id;
    it = waiters_.erase(it);
    if (peer_it == peers_.end()) continue;
    --peer_it->second.waits;
    if (!reply(peer_it->second, request_id, wire::reply{})) drop(peer_it->first);
  }
}

void broker::expire_waiters() {
  auto now = std::chrono::steady_clock::now();
  for (auto it = waiters_.begin(); it != waiters_.end();) {
    if (it->deadline > now) {
      ++it;
      continue;
    }
    auto peer_it = peers_.find(it->peer);
    std::uint32_t request_id = it->request_id;
    it = waiters_.erase(it);
    if (peer_it == peers_.end()) continue;
    --peer_it->second.waits;
    wire::reply r;
    r.error = static_cast<std::uint32_t>(errc::sem_timeout);
    if (!reply(peer_it->second, request_id, r)) drop(peer_it->first);
  }
}

void broker::drop(peer_id id) {
  auto it = peers_.find(id);
  if (it == peers_.end()) return;
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, it->second.socket.get(), nullptr);
  pipes_.drop_peer(id);
  mailslots_.drop_peer(id);
  events_.drop_peer(id);
  waiters_.remove_if([id](const waiter& w) { return w.peer == id; });
  peers_.erase(it);
  if (peers_.empty()) idle_since_ = std::chrono::steady_clock::now();
}

}  // namespace conduit::broker
