#include "broker/broker.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>

#include "broker/log.hpp"
#include "conduit/error.hpp"
#include "core/fd_passing.hpp"
#include "core/object_name.hpp"
#include "core/pipe_flags.hpp"
#include "core/runtime_dir.hpp"
#include "core/socket_kind.hpp"

namespace conduit::broker {
namespace {

using detail::unique_fd;
constexpr std::uint64_t listener_tag = 0;
constexpr std::uint64_t signal_tag = 1;
constexpr std::uint64_t datagram_tag = 2;
constexpr std::uint64_t main_wake_tag = 3;

// Says what failed and why.
void log_error(const std::string& what, int error = errno) {
  log_errno(log_level::error, what, error);
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

// Writes the pid file and makes sure it reached the disk: a broker whose
// pid file is empty (the disk was full) cannot be found or stopped by it,
// so that is a failure to start, not something to pass over.
bool write_pid_file(const std::string& path) {
  unique_fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd) {
    log_error("cannot write " + path);
    return false;
  }
  std::string text = std::to_string(::getpid()) + "\n";
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      log_error("cannot write " + path, n < 0 ? errno : ENOSPC);
      ::unlink(path.c_str());
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  // Space is often only found missing when the data is written back.
  if (::fsync(fd.get()) != 0 || ::close(fd.release()) != 0) {
    log_error("cannot write " + path);
    ::unlink(path.c_str());
    return false;
  }
  return true;
}

wire::reply error_reply(errc e) {
  wire::reply r;
  r.error = static_cast<std::uint32_t>(e);
  return r;
}

// On a clean exit the broker takes its socket and pid file with it: a pid
// file left behind names a pid the system may give to another process, which
// whoever stops "the broker" by its pid file would then hit. The lock is
// still ours, so both files are.
// A socket handed over by a service manager stays: it is the manager's, and
// it is how the manager starts the broker again at the next connection.
void remove_files(const std::string& dir, bool activated) {
  if (!activated) ::unlink(detail::broker_socket_path(dir).c_str());
  ::unlink(detail::broker_pid_path(dir).c_str());
}

// A handed-over descriptor must be what the broker would have made: a
// listening Unix socket of packets. The loop needs it non-blocking (it
// accepts until EAGAIN) and no child may inherit it.
bool adopt_listener(int fd, const std::string& expected_path) {
  auto kind = detail::socket_kind_of(fd);
  if (!kind || kind->domain != AF_UNIX || kind->type != SOCK_SEQPACKET || !kind->listening) {
    log(log_level::error, "descriptor " + std::to_string(fd) +
                              " handed over is no listening AF_UNIX SOCK_SEQPACKET socket "
                              "(ListenSequentialPacket= in the socket unit)");
    return false;
  }
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0 ||
      ::fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
    log_error("cannot set up descriptor " + std::to_string(fd) + " handed over");
    return false;
  }
  // Clients find the broker by its folder's socket path: a socket bound
  // anywhere else would be served, but reached by nobody who looks there.
  sockaddr_un addr{};
  socklen_t addr_len = sizeof(addr);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &addr_len) == 0 &&
      addr_len > offsetof(sockaddr_un, sun_path)) {
    std::string bound(addr.sun_path,
                      strnlen(addr.sun_path, addr_len - offsetof(sockaddr_un, sun_path)));
    if (bound != expected_path)
      log(log_level::warning, "the socket handed over is bound to \"" + bound + "\", not " +
                                  expected_path + ", where clients look");
  }
  log(log_level::info, "serving the socket handed over (socket activation)");
  return true;
}

}  // namespace

bool broker::set_up() {
  const std::string& dir = options_.runtime_dir;
  activated_ = options_.listen_fd >= 0;
  limits_ =
      apply_settings(derive_limits(raise_descriptor_limit(), options_.system), options_.limits);
  if (::mkdir(dir.c_str(), options_.system ? 0755 : 0700) != 0 && errno != EEXIST) {
    log_error("cannot create " + dir);
    return false;
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::geteuid() ||
      (!options_.system && (st.st_mode & 022) != 0)) {
    log(log_level::error, dir + " must be a folder owned by this user, writable by no one else");
    return false;
  }
  lock_.reset(::open(detail::broker_lock_path(dir).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!lock_) {
    log_error("cannot create " + detail::broker_lock_path(dir));
    return false;
  }
  if (::flock(lock_.get(), LOCK_EX | LOCK_NB) != 0) {
    log(log_level::error, "another conduitd already serves " + dir);
    return false;
  }
  if (!mailslots_.set_up(dir)) {
    log_error("cannot make a private mailslots folder in " + dir);
    return false;
  }
  std::string path = detail::broker_socket_path(dir);
  if (options_.listen_fd >= 0) {
    listener_.reset(std::exchange(options_.listen_fd, -1));
    if (!adopt_listener(listener_.get(), path)) return false;
  } else {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof(addr.sun_path)) {
      log(log_level::error, "socket path too long: " + path);
      return false;
    }
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    ::unlink(path.c_str());  // a stale socket from a broker that died; we hold the lock
    listener_.reset(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!listener_ ||
        ::bind(listener_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::chmod(path.c_str(), options_.system ? 0666 : 0600) != 0 ||
        ::listen(listener_.get(), 512) != 0) {
      log_error("cannot listen on " + path);
      return false;
    }
  }
  if (!write_pid_file(detail::broker_pid_path(dir))) {
    if (!activated_) ::unlink(path.c_str());
    return false;
  }

  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigprocmask(SIG_BLOCK, &mask, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  signals_.reset(::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));
  epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
  spare_.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!signals_ || !epoll_) {
    log_error("cannot set up the event loop");
    return false;
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = listener_tag;
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, listener_.get(), &ev);
  ev.data.u64 = signal_tag;
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, signals_.get(), &ev);
  log(log_level::info, std::string(options_.system ? "system" : "session") + " broker serving " +
                           path + " (descriptors: " + std::to_string(limits_.descriptors_total) +
                           ", " + std::to_string(limits_.descriptors_per_uid) +
                           " per uid; waits: " + std::to_string(limits_.waits_total) + ", " +
                           std::to_string(limits_.waits_per_uid) + " per uid)");
  // Without the network the broker still serves this machine: a failure
  // here is logged (why, and what to do) and nothing more.
  if (options_.netbios && datagrams_.start(*options_.netbios, dir)) {
    ev.events = EPOLLIN;
    ev.data.u64 = datagram_tag;
    watching_datagrams_ = ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, datagrams_.fd(), &ev) == 0;
  }
  main_wake_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (main_wake_) {
    ev.events = EPOLLIN;
    ev.data.u64 = main_wake_tag;
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, main_wake_.get(), &ev);
  }
  if (options_.lanes) start_lanes();
  return true;
}

void broker::sync_datagram_interest() {
  if (!datagrams_.running() || datagrams_.wants_input() == watching_datagrams_) return;
  epoll_event ev{};
  ev.events = datagrams_.wants_input() ? std::uint32_t{EPOLLIN} : 0u;
  ev.data.u64 = datagram_tag;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, datagrams_.fd(), &ev) == 0)
    watching_datagrams_ = datagrams_.wants_input();
}

bool broker::start() {
  if (!set_up()) return false;
  if (options_.ready_fd >= 0) {
    (void)!::write(options_.ready_fd, "R", 1);
    ::close(options_.ready_fd);
  }
  idle_since_ = std::chrono::steady_clock::now();
  return true;
}

int broker::run() {
  if (!start()) return 1;
  for (;;)
    if (auto code = step(-1)) return *code;
}

std::optional<int> broker::step(int max_wait_ms) {
  std::array<epoll_event, 64> events{};
  std::unique_lock lock(mutex_);
  int timeout = next_timeout_ms();
  if (max_wait_ms >= 0 && (timeout < 0 || timeout > max_wait_ms)) timeout = max_wait_ms;
  lock.unlock();
  int n = ::epoll_wait(epoll_.get(), events.data(), events.size(), timeout);
  lock.lock();
  if (n < 0 && errno != EINTR) {
    log_error("epoll_wait");
    return 1;
  }
  for (int i = 0; i < n; ++i) {
    std::uint64_t tag = events[i].data.u64;
    if (tag == listener_tag) {
      accept_peers();
    } else if (tag == signal_tag) {
      log(log_level::info, "stopping on a signal");
      if (datagrams_.running()) datagrams_.write_counters();
      remove_files(options_.runtime_dir, activated_);
      return 0;
    } else if (tag == datagram_tag) {
      datagrams_.on_readable(mailslots_);
    } else if (tag == main_wake_tag) {
      std::uint64_t count;
      (void)!::read(main_wake_.get(), &count, sizeof(count));  // the condemned go below
    } else if (auto it = peers_.find(tag); it != peers_.end() && !condemned_.count(tag)) {
      serve(it->second);
    }
    drop_condemned();
  }
  expire_waiters();
  drop_condemned();
  if (datagrams_.running()) {
    datagrams_.on_timer(mailslots_);
    sync_datagram_interest();
  }
  if (listener_paused_until_ && std::chrono::steady_clock::now() >= *listener_paused_until_)
    resume_listener();
  if (options_.idle_exit_seconds > 0 && peers_.empty() &&
      std::chrono::steady_clock::now() - idle_since_ >=
          std::chrono::seconds(options_.idle_exit_seconds)) {
    log(log_level::info, "stopping: idle for " + std::to_string(options_.idle_exit_seconds) + " s");
    remove_files(options_.runtime_dir, activated_);
    return 0;
  }
  return std::nullopt;
}

int broker::next_timeout_ms() const {
  auto now = std::chrono::steady_clock::now();
  auto soonest = waiters_.next_deadline().value_or(std::chrono::steady_clock::time_point::max());
  if (options_.idle_exit_seconds > 0 && peers_.empty())
    soonest = std::min(soonest, idle_since_ + std::chrono::seconds(options_.idle_exit_seconds));
  if (listener_paused_until_) soonest = std::min(soonest, *listener_paused_until_);
  if (auto d = datagrams_.next_deadline()) soonest = std::min(soonest, *d);
  if (soonest == std::chrono::steady_clock::time_point::max()) return -1;
  if (soonest <= now) return 0;
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(soonest - now).count();
  return static_cast<int>(std::min<long long>(ms, 60'000));
}

// ---- Peers come and go

void broker::accept_peers() {
  // A bounded batch: a crowd at the door must not keep the peers inside
  // waiting (the listener stays readable, so the rest come next pass).
  for (int budget = 64; budget > 0; --budget) {
    unique_fd fd(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (!fd) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      // Out of descriptors (or kernel memory): the connection stays queued
      // and the listener readable, so unless it is taken off the queue the
      // loop would spin on it.
      int error = errno;
      if (error == EMFILE || error == ENFILE) {
        shed_result shed = shed_connection();
        if (shed == shed_result::one) continue;
        if (shed == shed_result::cannot) pause_listener(error);
      } else if (error == ENOBUFS || error == ENOMEM) {
        pause_listener(error);
      }
      return;  // EAGAIN: nobody left
    }
    adopt_locked(std::move(fd));
  }
}

broker::shed_result broker::shed_connection() {
  if (!spare_) return shed_result::cannot;
  spare_.reset();
  unique_fd excess(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
  int error = errno;
  bool took = static_cast<bool>(excess);
  excess.reset();  // the peer reads end of file
  spare_.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  // Without the spare back the next EMFILE cannot be survived so; and if
  // even the spare's slot did not let one in, the system is out of
  // descriptors (another process took it): rest.
  if (!spare_ || (!took && error != EAGAIN)) return shed_result::cannot;
  return took ? shed_result::one : shed_result::nobody_left;
}

void broker::pause_listener(int error) {
  if (listener_paused_until_) return;
  log_error("cannot accept connections for the next 100 ms", error);
  epoll_event ev{};
  ev.events = 0;
  ev.data.u64 = listener_tag;
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, listener_.get(), &ev);
  listener_paused_until_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(100);
}

void broker::resume_listener() {
  listener_paused_until_.reset();
  if (!spare_) spare_.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = listener_tag;
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, listener_.get(), &ev);
}

void broker::adopt(unique_fd fd) {
  std::lock_guard lock(mutex_);
  adopt_locked(std::move(fd));
}

void broker::adopt_locked(unique_fd fd) {
  peer p;
  if (!read_credentials(fd.get(), p.creds)) return;
  p.id = next_peer_++;
  p.socket = std::move(fd);
  // A connection is a descriptor too: past its uid's share, or the
  // broker's, it is refused. There is no request to answer yet; one that
  // already arrived is answered, so that the caller learns why.
  if (log_enabled(log_level::debug))
    log(log_level::debug, "peer " + std::to_string(p.id) + " connected: pid " +
                              std::to_string(p.creds.pid) + ", uid " + std::to_string(p.creds.uid));
  if (errc refusal = descriptor_refusal(p, charge_per_connection); refusal != errc::success) {
    if (log_enabled(log_level::info))
      log(log_level::info, "uid " + std::to_string(p.creds.uid) + " (pid " +
                               std::to_string(p.creds.pid) + "): connection refused, " +
                               (refusal == errc::not_enough_quota ? "its share" : "the broker") +
                               " is full");
    std::array<std::byte, wire::max_message_size> buffer;
    std::vector<unique_fd> fds;
    std::error_code ec;
    std::size_t n = detail::receive_packet(p.socket.get(), buffer, fds, ec, MSG_DONTWAIT);
    wire::header h;
    wire::request request;
    if (!ec && n > 0 && !wire::decode_request(std::span(buffer).first(n), h, request))
      reply(p, h.request_id, error_reply(refusal));
    return;
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = p.id;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, p.socket.get(), &ev) != 0) return;
  recharge(peers_.emplace(p.id, std::move(p)).first->second);
}

void broker::drop_condemned() {
  while (!condemned_.empty()) {
    peer_id id = *condemned_.begin();
    condemned_.erase(condemned_.begin());
    drop(id);
  }
}

void broker::drop(peer_id id) {
  auto it = peers_.find(id);
  if (it == peers_.end()) return;
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, it->second.socket.get(), nullptr);
  if (log_enabled(log_level::debug))
    log(log_level::debug,
        "peer " + std::to_string(id) + " (pid " + std::to_string(it->second.creds.pid) + ") gone");
  drop_lanes_of(it->second);
  pipes_.drop_peer(id);
  mailslots_.drop_peer(id);
  events_.drop_peer(id);
  waiters_.drop_peer(id);
  if (auto charge = uid_charges_.find(it->second.creds.uid); charge != uid_charges_.end()) {
    charge->second -= std::min(charge->second, it->second.charged);
    if (charge->second == 0) uid_charges_.erase(charge);
  }
  peers_.erase(it);
  if (peers_.empty()) idle_since_ = std::chrono::steady_clock::now();
}

// ---- Descriptor accounting (broker_limits.hpp)

std::size_t broker::descriptors_held() const {
  return (peers_.size() + lane_sockets_.size()) * charge_per_connection +
         pipes_.instance_count() * charge_per_instance +
         pipes_.endpoint_count() * charge_per_endpoint +
         mailslots_.slot_count() * charge_per_mailslot +
         events_.event_count() * charge_per_event_hold;
}

void broker::recharge(peer& p) {
  // A peer's instances can also go without it asking (a client found the
  // server end dead), which leaves its charge too high until it is next
  // recharged: never too low.
  std::size_t now = (1 + p.lanes.size()) * charge_per_connection +
                    pipes_.instances_of(p.id) * charge_per_instance +
                    pipes_.endpoints_of(p.id) * charge_per_endpoint +
                    mailslots_.slots_of(p.id) * charge_per_mailslot +
                    events_.events_of(p.id) * charge_per_event_hold;
  std::size_t& uid_charge = uid_charges_[p.creds.uid];
  uid_charge = uid_charge - std::min(uid_charge, p.charged) + now;
  p.charged = now;
}

errc broker::descriptor_refusal(const peer& p, std::size_t descriptors) const {
  if (descriptors_held() + descriptors > limits_.descriptors_total)
    return errc::no_system_resources;
  auto charge = uid_charges_.find(p.creds.uid);
  std::size_t held = charge == uid_charges_.end() ? 0 : charge->second;
  if (held + descriptors > limits_.descriptors_per_uid) return errc::not_enough_quota;
  return errc::success;
}

// ---- Requests

void broker::serve(peer& p) {
  std::array<std::byte, wire::max_message_size> buffer;
  std::vector<unique_fd> fds;
  peer_id id = p.id;
  for (int budget = 64; budget > 0; --budget) {
    std::error_code ec;
    std::size_t n = detail::receive_packet(p.socket.get(), buffer, fds, ec, MSG_DONTWAIT);
    if (ec == std::errc::resource_unavailable_try_again) return;
    if (ec || n == 0 || !handle(p, std::span(buffer).first(n), std::move(fds))) {
      condemn(id);
      return;
    }
    recharge(p);
    if (condemned_.count(id)) return;
  }
}

bool broker::reply(peer& p, std::uint32_t request_id, const wire::reply& r,
                   std::span<const int> fds) {
  return send_reply(p.socket.get(), request_id, r, fds);
}

bool broker::send_reply(int socket, std::uint32_t request_id, const wire::reply& r,
                        std::span<const int> fds) {
  auto bytes = wire::encode(r, request_id);
  // Never blocking (a lane socket's mode is its peer's to change): a peer
  // that does not read its answers is dropped.
  return !detail::send_packet(socket, bytes, fds, MSG_DONTWAIT);
}

bool broker::answer_open(peer& p, int socket, std::uint32_t request_id,
                         const wire::open_request& request) {
  open_result result = pipes_.open(p, request);
  if (result.reply.error != 0) return send_reply(socket, request_id, result.reply);
  std::array<int, 2> pass{result.endpoint.get(), result.page};
  return send_reply(socket, request_id, result.reply, pass);
}

bool broker::answer_listen(peer& p, int socket, std::uint32_t request_id,
                           const wire::listen_request& request, unique_fd endpoint) {
  // The endpoint is a descriptor more (unless it replaces the instance's
  // current one; charged all the same, which is never too little).
  recharge(p);
  if (errc refusal = descriptor_refusal(p, charge_per_endpoint); refusal != errc::success)
    return send_reply(socket, request_id, error_reply(refusal));
  wire::reply r = pipes_.listen(p, request, std::move(endpoint));
  if (!send_reply(socket, request_id, r)) return false;
  if (r.error == 0) wake_waiters(pipes_.key_of_instance(request.instance_id));
  return true;
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
  // Past a descriptor cap a request is answered, not carried out (the
  // descriptors that came with it are closed on the way out). Checked after
  // its descriptor count, which decides first whether it is answered at all.
  auto refused = [&](std::size_t descriptors) {
    recharge(p);
    errc refusal = descriptor_refusal(p, descriptors);
    return refusal != errc::success && (reply(p, h.request_id, error_reply(refusal)), true);
  };
  if (auto* create = std::get_if<wire::create_instance_request>(&request)) {
    if (fds.empty() || fds.size() > 2) return false;
    if (refused(fds.size() > 1 ? charge_per_listening_instance : charge_per_instance)) return true;
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
    if (refused(charge_per_mailslot)) return true;
    return reply(p, h.request_id, mailslots_.create(p, *create, std::move(fds[0])));
  }
  if (auto* create = std::get_if<wire::create_event_request>(&request)) {
    if (fds.size() != 1) return false;
    if (refused(charge_per_event_hold)) return true;
    return reply_event(p, h.request_id, events_.create(p, *create, std::move(fds[0])));
  }
  if (auto* create = std::get_if<wire::create_sync_object_request>(&request)) {
    if (fds.size() != 1) return false;
    if (refused(charge_per_event_hold)) return true;
    return reply_event(p, h.request_id, events_.create_sync(p, *create, std::move(fds[0])));
  }
  if (auto* attach = std::get_if<wire::attach_lane_request>(&request)) {
    if (fds.size() != 1) return false;
    return attach_lane(p, h.request_id, *attach, std::move(fds[0]));
  }
  if (!fds.empty() && !std::holds_alternative<wire::listen_request>(request)) return false;
  if (auto* listen = std::get_if<wire::listen_request>(&request)) {
    if (fds.size() != 1) return false;
    return answer_listen(p, p.socket.get(), h.request_id, *listen, std::move(fds[0]));
  }
  if (auto* close = std::get_if<wire::close_instance_request>(&request)) {
    return reply(p, h.request_id, pipes_.close_instance(p, *close));
  }
  if (auto* open = std::get_if<wire::open_request>(&request))
    return answer_open(p, p.socket.get(), h.request_id, *open);
  if (auto* open = std::get_if<wire::open_remote_request>(&request)) {
    open_result result = pipes_.open_remote(p, *open);
    if (result.reply.error != 0) return reply(p, h.request_id, result.reply);
    std::array<int, 2> pass{result.endpoint.get(), result.page};
    return reply(p, h.request_id, result.reply, pass);
  }
  if (auto* wait = std::get_if<wire::wait_request>(&request))
    return queue_wait(p, h.request_id, *wait);
  if (auto* query = std::get_if<wire::query_request>(&request))
    return reply(p, h.request_id, pipes_.query(p, *query));
  if (auto* get = std::get_if<wire::get_security_request>(&request))
    return reply(p, h.request_id, pipes_.get_security(p, *get));
  if (auto* set = std::get_if<wire::set_security_request>(&request))
    return reply(p, h.request_id, pipes_.set_security(p, *set));
  if (std::holds_alternative<wire::list_request>(request))
    return reply(p, h.request_id, pipes_.list());
  if (auto* list = std::get_if<wire::list_pipes_request>(&request))
    return reply(p, h.request_id, pipes_.list_pipes(p, *list));
  if (auto* open = std::get_if<wire::open_mailslot_request>(&request)) {
    mailslot_open_result result = mailslots_.open(p, *open);
    if (result.reply.error != 0) return reply(p, h.request_id, result.reply);
    std::array<int, 1> pass{result.writer_socket.get()};
    return reply(p, h.request_id, result.reply, pass);
  }
  if (auto* close = std::get_if<wire::close_mailslot_request>(&request))
    return reply(p, h.request_id, mailslots_.close(p, *close));
  if (auto* open = std::get_if<wire::open_event_request>(&request)) {
    if (refused(charge_per_event_hold)) return true;
    return reply_event(p, h.request_id, events_.open(p, *open));
  }
  if (auto* open = std::get_if<wire::open_sync_object_request>(&request)) {
    if (refused(charge_per_event_hold)) return true;
    return reply_event(p, h.request_id, events_.open_sync(p, *open));
  }
  if (auto* close = std::get_if<wire::close_event_request>(&request))
    return reply(p, h.request_id, events_.close(p, *close));
  if (auto* note = std::get_if<wire::mutex_owner_request>(&request)) {
    events_.note_owner(p, *note);  // never answered
    return true;
  }
  return false;
}

bool broker::reply_event(peer& p, std::uint32_t request_id, const event_result& result) {
  std::array<int, 1> pass{result.eventfd};
  return reply(p, request_id, result.reply,
               std::span<const int>(pass).first(result.eventfd >= 0 ? 1 : 0));
}

// ---- Waits

bool broker::queue_wait(peer& p, std::uint32_t request_id, const wire::wait_request& request) {
  bool must_wait = false;
  std::uint32_t timeout_ms = 0;
  std::string key;
  wire::reply r = pipes_.wait(request, must_wait, timeout_ms, key);
  if (!must_wait) return reply(p, request_id, r);
  if (waiters_.waits_of_peer(p.id) >= max_waits_per_peer)
    return reply(p, request_id, error_reply(errc::not_enough_memory));
  if (waiters_.size() >= limits_.waits_total)
    return reply(p, request_id, error_reply(errc::no_system_resources));
  if (waiters_.waits_of_uid(p.creds.uid) >= limits_.waits_per_uid)
    return reply(p, request_id, error_reply(errc::not_enough_quota));
  auto deadline = timeout_ms == detail::wait_forever
                      ? waiter_table::clock::time_point::max()
                      : waiter_table::clock::now() + std::chrono::milliseconds(timeout_ms);
  waiters_.add(p.id, p.creds.uid, request_id, key, deadline);
  return true;
}

void broker::answer_waits(const std::vector<queued_wait>& waits, std::uint32_t error) {
  wire::reply r;
  r.error = error;
  for (const auto& w : waits) {
    if (condemned_.count(w.peer)) continue;
    auto it = peers_.find(w.peer);
    if (it == peers_.end()) continue;
    // Condemned, not dropped: dropping here would change the tables this
    // answer came from while their waits are still being answered.
    if (!reply(it->second, w.request_id, r)) condemn(w.peer);
  }
}

void broker::wake_waiters(const std::string& key) {
  if (!key.empty()) answer_waits(waiters_.take_name(key), 0);
}

void broker::expire_waiters() {
  answer_waits(waiters_.take_expired(waiter_table::clock::now()),
               static_cast<std::uint32_t>(errc::sem_timeout));
}

}  // namespace conduit::broker
