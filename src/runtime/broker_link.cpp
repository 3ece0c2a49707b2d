#include "runtime/broker_link.hpp"

#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <thread>

#include "conduit/error.hpp"
#include "core/fd_passing.hpp"
#include "runtime/broker_launch.hpp"

namespace conduit::detail {
namespace {

bool broker_went_away(const std::error_code& ec) {
  return ec == std::errc::broken_pipe || ec == std::errc::connection_reset ||
         ec == std::errc::not_connected;
}

// Sends a request on `socket` and reads the reply with the same id.
std::error_code exchange_on(int socket, std::uint32_t id, const wire::request& request,
                            std::span<const int> fds, wire::reply& reply,
                            std::vector<unique_fd>* reply_fds) {
  auto bytes = wire::encode(request, id);
  if (auto ec = send_packet(socket, bytes, fds)) return ec;
  std::array<std::byte, wire::max_message_size> buffer;
  std::vector<unique_fd> received;
  std::error_code ec;
  std::size_t n = receive_packet(socket, buffer, received, ec);
  if (ec) return ec;
  if (n == 0) return std::make_error_code(std::errc::connection_reset);
  wire::header h;
  if (auto bad = wire::decode_reply(std::span(buffer).first(n), h, reply)) return bad;
  if (h.request_id != id) return std::make_error_code(std::errc::bad_message);
  if (reply_fds) *reply_fds = std::move(received);
  return {};
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

}  // namespace

broker_link& broker_link::get() {
  static broker_link* link = [] {
    auto* l = new broker_link();
    ::pthread_atfork([] { get().mutex_.lock(); }, [] { get().mutex_.unlock(); },
                     &broker_link::after_fork_in_child);
    return l;
  }();
  return *link;
}

// A forked child shares our broker connection: it must not use it. It starts
// afresh with no registrations (they belong to the parent) and no watcher.
void broker_link::after_fork_in_child() {
  broker_link& link = get();
  link.socket_.reset();
  for (const auto& reg : link.registrations_) reg->listening_endpoint.reset();
  link.registrations_.clear();
  link.mailslots_.clear();
  link.events_.clear();
  link.watcher_started_ = false;
  link.wake_.reset();
  link.mutex_.unlock();
}

std::error_code broker_link::ensure_connected_locked() {
  if (socket_) return {};
  std::error_code ec;
  socket_ = connect_broker(ec);
  if (ec) return ec;
  ++generation_;
  reregister_all_locked();
  if (wake_) {
    std::uint64_t one = 1;
    (void)!::write(wake_.get(), &one, sizeof(one));
  }
  return {};
}

std::error_code broker_link::exchange_locked(const wire::request& request, std::span<const int> fds,
                                             wire::reply& reply,
                                             std::vector<unique_fd>* reply_fds) {
  for (int attempt = 0;; ++attempt) {
    if (auto ec = ensure_connected_locked()) return ec;
    auto ec = exchange_on(socket_.get(), next_request_id_++, request, fds, reply, reply_fds);
    if (!ec) return refusal(reply);
    socket_.reset();
    if (!broker_went_away(ec) || attempt == 1) return errc::service_not_active;
  }
}

std::error_code broker_link::call(const wire::request& request, std::span<const int> fds,
                                  wire::reply& reply, std::vector<unique_fd>* reply_fds) {
  std::lock_guard lock(mutex_);
  return exchange_locked(request, fds, reply, reply_fds);
}

std::error_code broker_link::call_alone(const wire::request& request, wire::reply& reply) {
  std::error_code ec;
  unique_fd socket = connect_broker(ec);
  if (ec) return ec;
  if (exchange_on(socket.get(), 1, request, {}, reply, nullptr)) return errc::service_not_active;
  return refusal(reply);
}

std::error_code broker_link::register_instance(const std::shared_ptr<registration>& reg,
                                               wire::reply& reply) {
  std::lock_guard lock(mutex_);
  std::array<int, 2> fds{reg->page_fd, reg->listening_endpoint.get()};
  auto ec = exchange_locked(reg->params, std::span(fds).first(reg->listening_endpoint ? 2 : 1),
                            reply, nullptr);
  if (ec) return ec;
  reg->broker_id = reply.instance_id;
  registrations_.insert(reg);
  start_watcher_locked();
  return {};
}

std::error_code broker_link::relisten(const std::shared_ptr<registration>& reg, unique_fd endpoint,
                                      int server_end, std::uint32_t serial) {
  std::lock_guard lock(mutex_);
  reg->listening_endpoint = std::move(endpoint);
  reg->server_end = server_end;
  reg->params.serial = serial;
  if (auto ec = ensure_connected_locked()) return ec;
  // A reconnect above has registered it listening already.
  if (reg->broker_id == 0) return errc::service_not_active;
  wire::reply reply;
  std::array<int, 1> fds{reg->listening_endpoint.get()};
  return exchange_locked(wire::listen_request{reg->broker_id, serial}, fds, reply, nullptr);
}

void broker_link::mark_connected(const std::shared_ptr<registration>& reg) {
  std::lock_guard lock(mutex_);
  reg->listening_endpoint.reset();
}

void broker_link::unregister(const std::shared_ptr<registration>& reg) {
  std::lock_guard lock(mutex_);
  registrations_.erase(reg);
  reg->listening_endpoint.reset();
  forget_locked(wire::close_instance_request{reg->broker_id}, reg->broker_id);
}

std::error_code broker_link::register_mailslot(const std::shared_ptr<mailslot_registration>& reg,
                                               wire::reply& reply) {
  std::lock_guard lock(mutex_);
  std::array<int, 1> fds{reg->receiving_socket};
  if (auto ec = exchange_locked(reg->params, fds, reply, nullptr)) return ec;
  reg->broker_id = reply.instance_id;
  mailslots_.insert(reg);
  start_watcher_locked();
  return {};
}

void broker_link::unregister_mailslot(const std::shared_ptr<mailslot_registration>& reg) {
  std::lock_guard lock(mutex_);
  mailslots_.erase(reg);
  forget_locked(wire::close_mailslot_request{reg->broker_id}, reg->broker_id);
}

std::error_code broker_link::hold_event(const std::shared_ptr<event_registration>& reg,
                                        const wire::request& request, wire::reply& reply,
                                        unique_fd& received) {
  std::lock_guard lock(mutex_);
  std::array<int, 1> fds{reg->eventfd};
  std::vector<unique_fd> reply_fds;
  auto ec = exchange_locked(request, std::span(fds).first(wire::fds_expected(request)), reply,
                            &reply_fds);
  if (ec) return ec;
  if (!reply_fds.empty()) {
    received = std::move(reply_fds.front());
    reg->eventfd = received.get();
  }
  reg->params.flags = reply.open_mode & wire::event_manual_reset;
  reg->broker_id = reply.instance_id;
  events_.insert(reg);
  start_watcher_locked();
  return {};
}

void broker_link::release_event(const std::shared_ptr<event_registration>& reg) {
  std::lock_guard lock(mutex_);
  if (events_.erase(reg)) forget_locked(wire::close_event_request{reg->broker_id}, reg->broker_id);
}

void broker_link::forget_locked(const wire::request& close, std::uint64_t& broker_id) {
  if (broker_id == 0 || !socket_) return;
  wire::reply reply;
  // Best effort: if the broker is gone, so is its record.
  (void)exchange_locked(close, {}, reply, nullptr);
  broker_id = 0;
}

void broker_link::reregister_all_locked() {
  for (const auto& reg : registrations_) {
    reg->broker_id = 0;
    // An instance whose client arrived (its connect record is waiting to be
    // read) is no longer listening, even if we still hold the client's end.
    bool listening = reg->listening_endpoint && !has_data(reg->server_end);
    std::array<int, 2> fds{reg->page_fd, reg->listening_endpoint.get()};
    wire::reply reply;
    auto ec = exchange_on(socket_.get(), next_request_id_++, reg->params,
                          std::span(fds).first(listening ? 2 : 1), reply, nullptr);
    if (ec) {
      socket_.reset();
      return;
    }
    if (reply.error == 0) reg->broker_id = reply.instance_id;
  }
  // A slot whose name another reader took meanwhile stays unknown: its
  // writers keep writing, new ones cannot find it.
  for (const auto& reg : mailslots_)
    if (!register_again_locked(reg->params, reg->receiving_socket, reg->broker_id)) return;
  // Another holder may have named an event again first: the broker then
  // counts us in and offers its eventfd, which is ours already.
  for (const auto& reg : events_)
    if (!register_again_locked(reg->params, reg->eventfd, reg->broker_id)) return;
}

bool broker_link::register_again_locked(const wire::request& request, int fd,
                                        std::uint64_t& broker_id) {
  broker_id = 0;
  std::array<int, 1> fds{fd};
  wire::reply reply;
  if (exchange_on(socket_.get(), next_request_id_++, request, fds, reply, nullptr)) {
    socket_.reset();
    return false;
  }
  if (reply.error == 0) broker_id = reply.instance_id;
  return true;
}

void broker_link::start_watcher_locked() {
  if (watcher_started_) return;
  wake_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!wake_) return;
  watcher_started_ = true;
  std::thread([this] { watch(); }).detach();
}

// Waits for the broker to hang up, then reconnects and registers again.
void broker_link::watch() {
  for (;;) {
    int socket;
    int wake;
    std::uint64_t generation;
    {
      std::lock_guard lock(mutex_);
      if (!watcher_started_) return;
      socket = socket_.get();
      wake = wake_.get();
      generation = generation_;
    }
    std::array<pollfd, 2> fds{pollfd{wake, POLLIN, 0}, pollfd{socket, POLLRDHUP, 0}};
    // Without a connection, try again every second.
    int n = ::poll(fds.data(), socket >= 0 ? 2 : 1, socket >= 0 ? -1 : 1000);
    if (n < 0 && errno != EINTR) return;
    if (fds[0].revents & POLLIN) {
      std::uint64_t count;
      (void)!::read(wake, &count, sizeof(count));
      continue;
    }
    std::lock_guard lock(mutex_);
    if (generation_ != generation && socket >= 0) continue;
    if (socket >= 0 && !(fds[1].revents & (POLLRDHUP | POLLHUP | POLLERR))) continue;
    if (registrations_.empty() && mailslots_.empty() && events_.empty()) continue;
    socket_.reset();
    (void)ensure_connected_locked();
  }
}

}  // namespace conduit::detail
