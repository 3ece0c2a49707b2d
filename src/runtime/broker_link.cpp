#include "runtime/broker_link.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <optional>
#include <thread>
#include <utility>
#include <variant>

#include "conduit/error.hpp"
#include "core/fd_passing.hpp"

namespace conduit::detail {
namespace {

// Without a connection, the watcher tries again this often.
constexpr int reconnect_interval_ms = 1000;

bool broker_went_away(const std::error_code& ec) {
  return ec == std::errc::broken_pipe || ec == std::errc::connection_reset ||
         ec == std::errc::not_connected;
}

bool timed_out(const std::error_code& ec) {
  return ec == std::errc::timed_out;
}

// The broker's "no" to a request, as the Win32 error it carries.
std::error_code refusal(const wire::reply& reply) {
  if (reply.error == 0) return {};
  return {static_cast<int>(reply.error), win32_category()};
}

bool has_data(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

unique_fd duplicate(int fd) {
  return unique_fd(fd < 0 ? -1 : ::fcntl(fd, F_DUPFD_CLOEXEC, 0));
}

// Link sockets never block: every wait on them is a poll with a deadline.
void make_nonblocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0) ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

// The request as a packet, if the broker would take it: a string over its
// limit or holding NUL, or a message over the size limit, would make it drop
// the whole connection (and every instance on it), so such a request never
// leaves: ERROR_INVALID_PARAMETER. The broker's own decoder is the judge.
std::error_code encode_for_broker(const wire::request& request, std::uint32_t id,
                                  std::vector<std::byte>& bytes) {
  bytes = wire::encode(request, id);
  wire::header h;
  wire::request decoded;
  if (wire::decode_request(bytes, h, decoded)) return errc::invalid_parameter;
  return {};
}

// How many descriptors the broker's answer to `request` may carry.
std::size_t descriptors_in_reply(const wire::request& request) {
  if (std::holds_alternative<wire::open_request>(request) ||
      std::holds_alternative<wire::open_remote_request>(request))
    return 2;  // endpoint, page
  if (std::holds_alternative<wire::open_mailslot_request>(request) ||
      std::holds_alternative<wire::open_event_request>(request) ||
      std::holds_alternative<wire::create_event_request>(request))
    return 1;
  return 0;
}

// Whether this process can take `count` more descriptors. Asked before the
// request goes: once the broker has answered an open, the server has the
// client's connect record, and descriptors the kernel could not give us
// would leave it a client that never was.
std::error_code descriptor_room(int socket, std::size_t count) {
  std::array<unique_fd, 2> room;
  for (std::size_t i = 0; i < std::min(count, room.size()); ++i) {
    room[i] = duplicate(socket);
    if (!room[i]) return error_from_errno(errno);
  }
  return {};
}

// Sends one packet before `until`, waiting while the socket's buffer is full.
std::error_code send_before(int socket, std::span<const std::byte> bytes, std::span<const int> fds,
                            const deadline& until) {
  for (;;) {
    auto ec = send_packet(socket, bytes, fds);
    if (ec != std::errc::resource_unavailable_try_again) return ec;
    int revents = poll_until(socket, POLLOUT, until);
    if (revents == 0) return std::make_error_code(std::errc::timed_out);
    if (revents < 0) return {errno, std::generic_category()};
  }
}

// One packet from a broker connection that poll said is readable: its size
// (0: nothing after all), or `broken` set when the connection is unusable.
std::size_t receive_reply(int socket, std::span<std::byte> buffer, std::vector<unique_fd>& fds,
                          std::error_code& ec, bool& broken) {
  std::size_t n = receive_packet(socket, buffer, fds, ec, MSG_DONTWAIT);
  if (ec == std::errc::resource_unavailable_try_again) {
    ec.clear();
    return 0;
  }
  // A reply whose descriptors were lost is still a reply (EMFILE).
  broken = (ec && ec != std::errc::too_many_files_open) || n == 0;
  return broken ? 0 : n;
}

// Waits before `until` for the reply on `socket`. `interruptible`: another
// thread may end the wait (interruption.hpp; ERROR_OPERATION_ABORTED).
std::error_code wait_for_reply(int socket, bool interruptible, const deadline& until) {
  int revents = poll_until(socket, POLLIN, until, interruptible);
  if (revents == 0) return std::make_error_code(std::errc::timed_out);
  if (revents < 0 && errno == EINTR) return errc::operation_aborted;
  if (revents < 0) return {errno, std::generic_category()};
  return {};
}

// One exchange on a connection nobody else uses: replies to anything else
// are skipped.
std::error_code exchange_on(int socket, std::uint32_t id, const wire::request& request,
                            std::span<const int> fds, wire::reply& reply,
                            std::vector<unique_fd>* reply_fds, const deadline& until,
                            bool interruptible = false) {
  std::vector<std::byte> bytes;
  if (auto ec = encode_for_broker(request, id, bytes)) return ec;
  if (auto ec = send_before(socket, bytes, fds, until)) return ec;
  std::array<std::byte, wire::max_message_size> buffer;
  for (;;) {
    if (auto ec = wait_for_reply(socket, interruptible, until)) return ec;
    std::vector<unique_fd> received;
    std::error_code ec;
    bool broken = false;
    std::size_t n = receive_reply(socket, buffer, received, ec, broken);
    if (broken) return std::make_error_code(std::errc::connection_reset);
    if (n == 0) continue;
    wire::header h;
    if (auto bad = wire::decode_reply(std::span(buffer).first(n), h, reply)) return bad;
    if (h.request_id != id) continue;
    if (ec) return ec;
    if (reply_fds) *reply_fds = std::move(received);
    return {};
  }
}

// What a caller hears when a broker exchange did not complete.
std::error_code link_failure(const std::error_code& ec) {
  if (ec.category() == win32_category()) return ec;
  if (timed_out(ec)) return errc::timeout;
  if (ec == std::errc::too_many_files_open) return errc::too_many_open_files;
  return errc::service_not_active;
}

// A request that makes something at the broker, whose late success must be
// undone (its caller gave up waiting): the close that undoes it.
std::optional<wire::request> undo_of(const wire::request& made, const wire::reply& reply) {
  if (reply.error != 0) return std::nullopt;
  if (std::holds_alternative<wire::create_instance_request>(made))
    return wire::close_instance_request{reply.instance_id};
  if (std::holds_alternative<wire::create_mailslot_request>(made))
    return wire::close_mailslot_request{reply.instance_id};
  if (std::holds_alternative<wire::create_event_request>(made) ||
      std::holds_alternative<wire::open_event_request>(made))
    return wire::close_event_request{reply.instance_id};
  return std::nullopt;
}

// Sends a request whose reply is of no interest, without waiting.
void send_now(int socket, std::uint32_t id, const wire::request& request) {
  std::vector<std::byte> bytes;
  if (!encode_for_broker(request, id, bytes)) (void)send_packet(socket, bytes, {});
}

}  // namespace

struct broker_link::pending {
  std::uint32_t id = 0;
  const unique_fd* conn = nullptr;
  bool done = false;
  std::error_code ec;
  wire::reply* reply = nullptr;
  std::vector<unique_fd> fds;
};

// A lane: one more connection to the broker, for one CPU, used by one
// thread at a time (a thread that finds it busy takes the connection).
struct broker_link::lane {
  std::mutex busy;
  unique_fd socket;
  std::uint64_t generation = 0;  // the connection it was attached on
  std::uint32_t next_id = 1;
};

broker_link& broker_link::get() {
  static broker_link* link = [] {
    auto* l = new broker_link();
    ::pthread_atfork([] { get().mutex_.lock(); }, [] { get().mutex_.unlock(); },
                     &broker_link::after_fork_in_child);
    return l;
  }();
  return *link;
}

// A forked child shares our broker connection: it must not use it, nor keep
// it open (the broker would not see us go). It starts afresh with no
// registrations (they belong to the parent), no waiters and no watcher.
void broker_link::after_fork_in_child() {
  broker_link& link = get();
  if (link.socket_) ::close(link.socket_->release());
  link.socket_.reset();
  for (const auto& reg : link.registrations_) reg->listening_endpoint.reset();
  link.registrations_.clear();
  link.mailslots_.clear();
  link.events_.clear();
  link.pending_.clear();
  link.abandoned_.clear();
  link.undoing_.clear();
  // The parent's lanes are the parent's (one may even be in use).
  for (auto& [cpu, lane] : link.lanes_) ::close(lane->socket.release());
  link.lanes_.clear();
  link.connecting_ = false;
  link.reading_ = false;
  link.watcher_started_ = false;
  link.wake_.reset();
  link.mutex_.unlock();
}

bool broker_link::wait_locked(std::unique_lock<std::mutex>& lock, const deadline& until) {
  if (until.unlimited()) {
    changed_.wait(lock);
    return true;
  }
  changed_.wait_until(lock, until.at());
  return !until.passed();
}

broker_link::connection broker_link::connected_locked(std::unique_lock<std::mutex>& lock,
                                                      const deadline& until,
                                                      std::uint64_t& generation,
                                                      std::error_code& ec) {
  for (;;) {
    if (socket_) {
      generation = generation_;
      return socket_;
    }
    if (!connecting_) {
      reconnect_locked(lock, until, ec);
      if (ec) return nullptr;
      continue;
    }
    // Another thread is connecting: wait for it, but no longer than we may.
    if (!wait_locked(lock, until) && !socket_) {
      ec = errc::service_not_active;
      return nullptr;
    }
  }
}

void broker_link::reconnect_locked(std::unique_lock<std::mutex>& lock, const deadline& until,
                                   std::error_code& ec) {
  connecting_ = true;
  broker_kind kind = kind_;
  lock.unlock();
  unique_fd fd = connect_broker(kind, until, ec);
  if (fd) make_nonblocking(fd.get());
  lock.lock();
  if (fd) kind_ = kind;
  std::uint64_t generation = generation_ + 1;
  bool ok = fd && reregister_all(lock, fd.get(), generation);
  connecting_ = false;
  if (ok) {
    generation_ = generation;
    socket_ = std::make_shared<unique_fd>(std::move(fd));
    if (wake_) {
      std::uint64_t one = 1;
      (void)!::write(wake_.get(), &one, sizeof(one));
    }
  } else if (!ec) {
    ec = errc::service_not_active;
  }
  changed_.notify_all();
}

void broker_link::broken_locked(const connection& conn) {
  for (auto& [id, p] : pending_) {
    if (p->conn == conn.get() && !p->done) {
      p->done = true;
      p->ec = std::make_error_code(std::errc::connection_reset);
    }
  }
  if (socket_ == conn) {
    // Shut down, not just dropped: a broker that is still there must see us
    // go (and forget what we registered on it), and the watcher must wake.
    ::shutdown(conn->get(), SHUT_RDWR);
    socket_.reset();
    abandoned_.clear();
    undoing_.clear();
  }
  changed_.notify_all();
}

void broker_link::read_one(std::unique_lock<std::mutex>& lock, const connection& conn,
                           const deadline& until) {
  reading_ = true;
  lock.unlock();
  std::array<std::byte, wire::max_message_size> buffer;
  std::vector<unique_fd> fds;
  std::error_code ec;
  bool broken = false;
  std::size_t n = 0;
  int revents = poll_until(conn->get(), POLLIN, until);
  if (revents < 0) broken = true;
  if (revents > 0) n = receive_reply(conn->get(), buffer, fds, ec, broken);
  wire::header h;
  wire::reply reply;
  if (n > 0 && wire::decode_reply(std::span(buffer).first(n), h, reply)) broken = true;
  lock.lock();
  reading_ = false;
  if (broken) {
    broken_locked(conn);
    return;
  }
  if (n > 0) {
    if (auto it = pending_.find(h.request_id);
        it != pending_.end() && it->second->conn == conn.get()) {
      pending& p = *it->second;
      *p.reply = std::move(reply);
      p.fds = std::move(fds);
      p.ec = ec;
      p.done = true;
    } else if (auto gone = abandoned_.find(h.request_id); gone != abandoned_.end()) {
      // Its caller gave up; what the broker made for it must not linger.
      if (auto undo = undo_of(gone->second, reply)) {
        undoing_.insert(next_request_id_);
        send_now(conn->get(), next_request_id_++, *undo);
      }
      abandoned_.erase(gone);
    } else {
      undoing_.erase(h.request_id);
    }
  }
  changed_.notify_all();
}

std::error_code broker_link::await_reply_locked(std::unique_lock<std::mutex>& lock, pending& p,
                                                const connection& conn, const deadline& until) {
  while (!p.done && !until.passed()) {
    if (!reading_)
      read_one(lock, conn, until);
    else
      wait_locked(lock, until);
  }
  pending_.erase(p.id);
  if (!p.done) return std::make_error_code(std::errc::timed_out);
  return p.ec;
}

std::error_code broker_link::exchange(const wire::request& request, std::span<const int> fds,
                                      wire::reply& reply, std::vector<unique_fd>* reply_fds,
                                      const deadline& until, std::uint64_t& generation,
                                      bool pinned) {
  std::unique_lock lock(mutex_);
  for (int attempt = 0;; ++attempt) {
    std::uint64_t current = 0;
    std::error_code ec;
    connection conn = connected_locked(lock, until, current, ec);
    if (!conn) return ec;
    // A request that names what an earlier connection registered means
    // nothing to another broker (whose ids may name something else).
    if (pinned && current != generation) return std::make_error_code(std::errc::connection_reset);
    std::vector<std::byte> bytes;
    pending p;
    p.id = next_request_id_++;
    if ((ec = encode_for_broker(request, p.id, bytes))) return ec;
    if ((ec = descriptor_room(conn->get(), descriptors_in_reply(request)))) return ec;
    p.conn = conn.get();
    p.reply = &reply;
    pending_.emplace(p.id, &p);
    lock.unlock();
    ec = send_before(conn->get(), bytes, fds, until);
    lock.lock();
    if (ec) {
      pending_.erase(p.id);
      // Nothing was sent: the connection is as good as before.
      if (!broker_went_away(ec)) return ec;
    } else {
      ec = await_reply_locked(lock, p, conn, until);
      if (timed_out(ec)) abandoned_.emplace(p.id, request);
    }
    if (!ec || ec == std::errc::too_many_files_open) {
      generation = current;
      if (reply_fds) *reply_fds = std::move(p.fds);
      return ec ? ec : refusal(reply);
    }
    if (timed_out(ec)) return ec;
    broken_locked(conn);
    if (pinned || !broker_went_away(ec) || attempt == 1)
      return std::make_error_code(std::errc::connection_reset);
  }
}

std::error_code broker_link::call(const wire::request& request, std::span<const int> fds,
                                  wire::reply& reply, std::vector<unique_fd>* reply_fds,
                                  std::chrono::milliseconds timeout) {
  std::uint64_t generation = 0;
  auto ec = exchange(request, fds, reply, reply_fds, deadline(timeout), generation, false);
  return ec ? link_failure(ec) : ec;
}

std::error_code broker_link::call_on_lane(const wire::request& request, wire::reply& reply,
                                          std::vector<unique_fd>* reply_fds) {
  std::uint64_t generation;
  bool connected;
  {
    std::lock_guard lock(mutex_);
    generation = generation_;
    connected = static_cast<bool>(socket_);
  }
  // One deadline for all of it: attaching a lane, the lane, the connection.
  deadline until(reply_timeout);
  std::error_code ec;
  if (connected && exchange_on_lane(request, {}, reply, reply_fds, generation, until, ec))
    return ec ? link_failure(ec) : refusal(reply);
  std::uint64_t answered = 0;
  ec = exchange(request, {}, reply, reply_fds, until, answered, false);
  return ec ? link_failure(ec) : ec;
}

std::size_t broker_link::lane_count() {
  std::lock_guard lock(mutex_);
  return lanes_.size();
}

bool broker_link::exchange_on_lane(const wire::request& request, std::span<const int> fds,
                                   wire::reply& reply, std::vector<unique_fd>* reply_fds,
                                   std::uint64_t generation, const deadline& until,
                                   std::error_code& ec) {
  int cpu = ::sched_getcpu();
  std::shared_ptr<lane> l = cpu >= 0 ? lane_for_cpu(cpu, generation, until, ec) : nullptr;
  if (!l) return static_cast<bool>(ec);  // out of time: no other way is quicker
  std::unique_lock busy(l->busy, std::try_to_lock);
  if (!busy) return false;
  if ((ec = descriptor_room(l->socket.get(), descriptors_in_reply(request)))) return true;
  ec = exchange_on(l->socket.get(), l->next_id++, request, fds, reply, reply_fds, until);
  // A request the broker would not take is refused alike on any connection.
  if (!ec || ec.category() == win32_category()) return true;
  // Broken, or silent (a late answer would meet the next request): the lane
  // goes, and the broker's end with it.
  std::lock_guard lock(mutex_);
  if (auto it = lanes_.find(cpu); it != lanes_.end() && it->second == l) lanes_.erase(it);
  if (timed_out(ec)) return true;
  ec.clear();
  return false;
}

std::shared_ptr<broker_link::lane> broker_link::lane_for_cpu(int cpu, std::uint64_t generation,
                                                             const deadline& until,
                                                             std::error_code& ec) {
  std::unique_lock lock(mutex_);
  if (lanes_refused_ || !socket_ || generation != generation_) return nullptr;
  // What the connection still has to undo (or may yet have to) must reach
  // the broker before anything this process asks next: the connection
  // keeps that order, a lane would not.
  if (!undoing_.empty() || !abandoned_.empty()) return nullptr;
  if (auto it = lanes_.find(cpu); it != lanes_.end()) {
    if (it->second->generation == generation) return it->second;
    lanes_.erase(it);  // attached to a broker that is gone
  }
  lock.unlock();
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) return nullptr;
  unique_fd ours(pair[0]);
  unique_fd theirs(pair[1]);
  make_nonblocking(ours.get());
  std::array<int, 1> fds{theirs.get()};
  wire::reply reply;
  std::uint64_t answered = generation;
  auto attached = exchange(wire::attach_lane_request{static_cast<std::uint32_t>(cpu)}, fds, reply,
                           nullptr, until, answered, true);
  lock.lock();
  // A broker without lanes says so (or, older, drops the connection): then
  // the connection serves every request, as before.
  if (attached == errc::not_supported || attached == std::errc::connection_reset)
    lanes_refused_ = true;
  if (timed_out(attached)) ec = attached;
  if (attached || answered != generation_) return nullptr;
  auto l = std::make_shared<lane>();
  l->socket = std::move(ours);
  l->generation = answered;
  lanes_[cpu] = l;
  return l;
}

std::error_code broker_link::call_alone(const wire::request& request, wire::reply& reply,
                                        std::chrono::milliseconds timeout) {
  deadline until(timeout);
  broker_kind kind;
  {
    std::lock_guard lock(mutex_);
    kind = kind_;
  }
  std::error_code ec;
  unique_fd socket = connect_broker(kind, until, ec);
  if (ec) return ec;
  make_nonblocking(socket.get());
  // Nobody else waits on this connection: the wait for the reply may be
  // interrupted.
  if ((ec = exchange_on(socket.get(), 1, request, {}, reply, nullptr, until, true)))
    return link_failure(ec);
  return refusal(reply);
}

std::error_code broker_link::register_instance(const std::shared_ptr<registration>& reg,
                                               wire::reply& reply) {
  deadline until(reply_timeout);
  std::unique_lock lock(mutex_);
  for (int attempt = 0;; ++attempt) {
    std::uint64_t generation = 0;
    std::error_code ec;
    if (!connected_locked(lock, until, generation, ec)) return link_failure(ec);
    // A broker that went away after taking the endpoint may have given it to
    // a client first: that client's record then waits at our end, and the
    // endpoint is the client's alone. Offered again, it would reach a second
    // client, who would share the first one's connection.
    if (reg->listening_endpoint && has_data(reg->server_end)) reg->listening_endpoint.reset();
    bool listening = static_cast<bool>(reg->listening_endpoint);
    // The instance is not shared yet: its descriptors stay put meanwhile.
    std::array<int, 2> fds{reg->page.fd(), reg->listening_endpoint.get()};
    lock.unlock();
    // Pinned: a request the broker may have acted on is never sent again
    // blindly, only from here, after the look above.
    ec = exchange(reg->params, std::span(fds).first(listening ? 2 : 1), reply, nullptr, until,
                  generation, true);
    lock.lock();
    if (!ec && socket_ && generation == generation_) {
      reg->broker_id = reply.instance_id;
      reg->generation = generation;
      reg->listening_serial = listening ? reg->params.serial : 0;
      // The broker holds the page now; a new broker will get a new one.
      reg->page.close_fd();
      registrations_.insert(reg);
      start_watcher_locked();
      return {};
    }
    if (ec && ec != std::errc::connection_reset) return link_failure(ec);
    // The broker went away, before answering or before we could remember
    // the answer: the next one has not heard of it.
    if (attempt == 1) return errc::service_not_active;
  }
}

std::error_code broker_link::relisten(const std::shared_ptr<registration>& reg, unique_fd endpoint,
                                      int server_end, std::uint32_t serial) {
  std::unique_lock lock(mutex_);
  reg->listening_endpoint = std::move(endpoint);
  reg->server_end = server_end;
  reg->params.serial = serial;
  auto ec = relisten_locked(lock, reg, serial);
  if (ec) {
    // Refused (the broker's descriptor caps, say) or unreachable: the
    // caller closes its end of the pair, so ours must not be registered
    // with a broker that comes up later.
    reg->listening_endpoint.reset();
    reg->listening_serial = 0;
  }
  return ec;
}

std::error_code broker_link::relisten_locked(std::unique_lock<std::mutex>& lock,
                                             const std::shared_ptr<registration>& reg,
                                             std::uint32_t serial) {
  deadline until(reply_timeout);
  for (int attempt = 0;; ++attempt) {
    std::uint64_t generation = 0;
    std::error_code ec;
    if (!connected_locked(lock, until, generation, ec)) return ec;
    // A reconnect has registered it listening with this endpoint already.
    if (reg->generation == generation && reg->listening_serial == serial) return {};
    if (reg->broker_id == 0 || reg->generation != generation) return errc::service_not_active;
    // The caller holds the instance's lock: the endpoint stays ours meanwhile.
    std::array<int, 1> fds{reg->listening_endpoint.get()};
    wire::request request = wire::listen_request{reg->broker_id, serial};
    lock.unlock();
    wire::reply reply;
    // On this CPU's lane when it has one: the server's thread, too, is
    // answered on its own CPU.
    if (exchange_on_lane(request, fds, reply, nullptr, generation, until, ec)) {
      if (!ec) ec = refusal(reply);
    } else {
      ec = exchange(request, fds, reply, nullptr, until, generation, true);
    }
    lock.lock();
    if (!ec && generation == generation_) reg->listening_serial = serial;
    if (ec.category() == win32_category()) return ec;
    if (!ec) return {};
    // The broker went away: its successor learns the endpoint from the
    // re-registration; look again.
    if (timed_out(ec) || attempt == 1) return link_failure(ec);
  }
}

void broker_link::mark_connected(const std::shared_ptr<registration>& reg) {
  std::lock_guard lock(mutex_);
  reg->listening_endpoint.reset();
  reg->listening_serial = 0;
}

void broker_link::forget(const wire::request& close, std::uint64_t generation) {
  // Waited for, so that whatever this process does next (or tells another
  // process) finds the name gone; but only on the connection that knew it.
  wire::reply reply;
  (void)exchange(close, {}, reply, nullptr, deadline(reply_timeout), generation, true);
}

void broker_link::unregister(const std::shared_ptr<registration>& reg) {
  std::uint64_t id;
  std::uint64_t generation;
  {
    std::lock_guard lock(mutex_);
    registrations_.erase(reg);
    reg->listening_endpoint.reset();
    id = std::exchange(reg->broker_id, 0);
    generation = reg->generation;
  }
  if (id != 0) forget(wire::close_instance_request{id}, generation);
}

void broker_link::publish_serial(const std::shared_ptr<registration>& reg, std::uint32_t serial) {
  std::lock_guard lock(mutex_);
  if (reg->page) reg->page.get()->serial.store(serial, std::memory_order_release);
  // The clients that read a replaced page are disconnected by this too, and
  // later clients get the current page: the old ones are done with.
  for (const auto& old : reg->replaced_pages)
    old.get()->serial.store(serial, std::memory_order_release);
  reg->replaced_pages.clear();
}

std::error_code broker_link::register_mailslot(const std::shared_ptr<mailslot_registration>& reg,
                                               wire::reply& reply) {
  std::array<int, 1> fds{reg->receiving_socket};
  for (int attempt = 0;; ++attempt) {
    std::uint64_t generation = 0;
    auto ec =
        exchange(reg->params, fds, reply, nullptr, deadline(reply_timeout), generation, false);
    if (ec) return link_failure(ec);
    std::lock_guard lock(mutex_);
    if (socket_ && generation == generation_) {
      reg->broker_id = reply.instance_id;
      reg->generation = generation;
      mailslots_.insert(reg);
      start_watcher_locked();
      return {};
    }
    if (attempt == 1) return errc::service_not_active;
  }
}

void broker_link::unregister_mailslot(const std::shared_ptr<mailslot_registration>& reg) {
  std::uint64_t id;
  std::uint64_t generation;
  {
    std::lock_guard lock(mutex_);
    mailslots_.erase(reg);
    id = std::exchange(reg->broker_id, 0);
    generation = reg->generation;
  }
  if (id != 0) forget(wire::close_mailslot_request{id}, generation);
}

std::error_code broker_link::hold_event(const std::shared_ptr<event_registration>& reg,
                                        const wire::request& request, wire::reply& reply,
                                        unique_fd& received) {
  std::array<int, 1> fds{reg->eventfd};
  for (int attempt = 0;; ++attempt) {
    std::uint64_t generation = 0;
    std::vector<unique_fd> reply_fds;
    auto ec = exchange(request, std::span(fds).first(wire::fds_expected(request)), reply,
                       &reply_fds, deadline(reply_timeout), generation, false);
    if (ec) return link_failure(ec);
    std::lock_guard lock(mutex_);
    if (socket_ && generation == generation_) {
      if (!reply_fds.empty()) {
        received = std::move(reply_fds.front());
        reg->eventfd = received.get();
      }
      reg->params.flags = reply.open_mode & wire::event_manual_reset;
      reg->broker_id = reply.instance_id;
      reg->generation = generation;
      events_.insert(reg);
      start_watcher_locked();
      return {};
    }
    if (attempt == 1) return errc::service_not_active;
  }
}

void broker_link::release_event(const std::shared_ptr<event_registration>& reg) {
  std::uint64_t id;
  std::uint64_t generation;
  {
    std::lock_guard lock(mutex_);
    if (!events_.erase(reg)) return;
    id = std::exchange(reg->broker_id, 0);
    generation = reg->generation;
  }
  if (id != 0) forget(wire::close_event_request{id}, generation);
}

void broker_link::note_mutex_owner(const event_registration& reg, bool owned) {
  connection conn;
  std::uint32_t id;
  wire::mutex_owner_request note{0, owned ? 1u : 0u};
  {
    std::lock_guard lock(mutex_);
    if (!socket_ || reg.broker_id == 0 || reg.generation != generation_) return;
    conn = socket_;
    id = next_request_id_++;
    note.event_id = reg.broker_id;
  }
  std::vector<std::byte> bytes;
  if (encode_for_broker(note, id, bytes)) return;
  // Waited for while the connection is full, rather than dropped: a lost
  // "let go" would have the broker abandon a mutex another process may own
  // by then. Sent before the caller frees the counter, so a thread here
  // that takes the mutex next sends its note after this one.
  (void)send_before(conn->get(), bytes, {}, deadline(reply_timeout));
}

// Runs with connecting_ set, so nothing else uses `socket` or publishes a
// connection; the lock is let go around each exchange, and each object is
// looked at again afterwards (it may have been closed meanwhile).
bool broker_link::reregister_all(std::unique_lock<std::mutex>& lock, int socket,
                                 std::uint64_t generation) {
  // Registers `request` with `fds` (duplicates, so that the object may close
  // its own meanwhile); false if the connection broke.
  auto again = [&](const wire::request& request, std::span<const int> fds, wire::reply& reply) {
    std::uint32_t id = next_request_id_++;
    lock.unlock();
    auto ec = exchange_on(socket, id, request, fds, reply, nullptr, deadline(reply_timeout));
    lock.lock();
    return !ec;
  };
  std::vector<std::shared_ptr<registration>> instances(registrations_.begin(),
                                                       registrations_.end());
  for (const auto& reg : instances) {
    if (!registrations_.count(reg)) continue;
    reg->broker_id = 0;
    reg->listening_serial = 0;
    // An instance whose client arrived (its connect record is waiting to be
    // read) is no longer listening: its endpoint belongs to that client and
    // must never reach another one.
    if (reg->listening_endpoint && has_data(reg->server_end)) reg->listening_endpoint.reset();
    bool listening = static_cast<bool>(reg->listening_endpoint);
    // The old broker's page is gone with it (the instance kept only its
    // mapping): this one gets a fresh page carrying the same serial.
    std::error_code page_ec;
    instance_page page = instance_page::create(page_ec);
    unique_fd endpoint = listening ? duplicate(reg->listening_endpoint.get()) : unique_fd();
    if (page_ec || (listening && !endpoint)) continue;  // out of descriptors: stays unknown
    if (reg->page) {
      page.get()->serial.store(reg->page.get()->serial.load(std::memory_order_acquire),
                               std::memory_order_release);
      reg->replaced_pages.push_back(std::move(reg->page));
    }
    reg->page = std::move(page);
    wire::create_instance_request params = reg->params;
    std::array<int, 2> fds{reg->page.fd(), endpoint.get()};
    wire::reply reply;
    bool sent = again(params, std::span(fds).first(listening ? 2 : 1), reply);
    reg->page.close_fd();  // only the lock's holder touches the page: not changed meanwhile
    if (!sent) return false;
    if (reply.error != 0) continue;
    if (!registrations_.count(reg)) {  // closed meanwhile
      undoing_.insert(next_request_id_);
      send_now(socket, next_request_id_++, wire::close_instance_request{reply.instance_id});
      continue;
    }
    reg->broker_id = reply.instance_id;
    reg->generation = generation;
    reg->listening_serial = listening ? params.serial : 0;
  }
  // A slot whose name another reader took meanwhile stays unknown: its
  // writers keep writing, new ones cannot find it.
  std::vector<std::shared_ptr<mailslot_registration>> slots(mailslots_.begin(), mailslots_.end());
  for (const auto& reg : slots) {
    if (!mailslots_.count(reg)) continue;
    reg->broker_id = 0;
    unique_fd end = duplicate(reg->receiving_socket);
    if (!end) continue;
    std::array<int, 1> fds{end.get()};
    wire::reply reply;
    if (!again(reg->params, fds, reply)) return false;
    if (reply.error != 0) continue;
    if (!mailslots_.count(reg)) {
      undoing_.insert(next_request_id_);
      send_now(socket, next_request_id_++, wire::close_mailslot_request{reply.instance_id});
      continue;
    }
    reg->broker_id = reply.instance_id;
    reg->generation = generation;
  }
  // Another holder may have named an event again first: the broker then
  // counts us in and offers its eventfd, which is ours already.
  std::vector<std::shared_ptr<event_registration>> events(events_.begin(), events_.end());
  for (const auto& reg : events) {
    if (!events_.count(reg)) continue;
    reg->broker_id = 0;
    unique_fd eventfd = duplicate(reg->eventfd);
    if (!eventfd) continue;
    std::array<int, 1> fds{eventfd.get()};
    wire::reply reply;
    bool sent =
        reg->sync_params ? again(*reg->sync_params, fds, reply) : again(reg->params, fds, reply);
    if (!sent) return false;
    if (reply.error != 0) continue;
    if (!events_.count(reg)) {
      undoing_.insert(next_request_id_);
      send_now(socket, next_request_id_++, wire::close_event_request{reply.instance_id});
      continue;
    }
    reg->broker_id = reply.instance_id;
    reg->generation = generation;
  }
  return true;
}

void broker_link::start_watcher_locked() {
  if (watcher_started_) return;
  wake_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!wake_) return;
  watcher_started_ = true;
  std::thread([this] { watch(); }).detach();
}

// Waits for the broker to hang up, then reconnects and registers again. A
// process that used the system broker waits here for it to come back.
void broker_link::watch() {
  for (;;) {
    connection conn;
    int wake;
    {
      std::lock_guard lock(mutex_);
      if (!watcher_started_) return;
      conn = socket_;
      wake = wake_.get();
    }
    std::array<pollfd, 2> fds{pollfd{wake, POLLIN, 0},
                              pollfd{conn ? conn->get() : -1, POLLRDHUP, 0}};
    int n = ::poll(fds.data(), fds.size(), conn ? -1 : reconnect_interval_ms);
    if (n < 0 && errno != EINTR) return;
    if (fds[0].revents & POLLIN) {
      std::uint64_t count;
      (void)!::read(wake, &count, sizeof(count));
      continue;
    }
    std::unique_lock lock(mutex_);
    if (conn && !(fds[1].revents & (POLLRDHUP | POLLHUP | POLLERR))) continue;
    if (conn) broken_locked(conn);
    conn.reset();
    if (socket_ || connecting_) continue;
    if (registrations_.empty() && mailslots_.empty() && events_.empty()) continue;
    std::error_code ec;
    reconnect_locked(lock, deadline(std::chrono::milliseconds(-1)), ec);
  }
}

}  // namespace conduit::detail
