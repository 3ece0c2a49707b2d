// The broker's lanes: a thread on each CPU, serving `open` and `listen` on
// connections that peers attach for that CPU.
//
// On a machine of few CPUs the cost of a connect is the wake-ups it takes:
// waking a thread on another CPU costs far more than the work. A client asks
// on the lane of the CPU it runs on, whose thread is pinned there, so the
// round trip goes from the client to the broker and back on one CPU. A lane
// serves the peer that attached it, with that peer's credentials: the peer
// handed the lane's socket over its own connection, so nothing sent on a
// lane can pass for anyone else. Every table stays the broker's, under
// mutex_, which a lane holds while it reads and answers a request.
#include <pthread.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>

#include "broker/broker.hpp"
#include "broker/log.hpp"
#include "core/fd_passing.hpp"
#include "core/socket_kind.hpp"

namespace conduit::broker {
namespace {

using detail::unique_fd;

// A lane's epoll data for its stop eventfd; lane sockets' tags start at 1.
constexpr std::uint64_t stop_tag = 0;
// More CPUs than this share lanes (CPU number modulo the lane count).
constexpr std::size_t max_lanes = 64;
// CPU numbers a request may name (glibc's CPU_SETSIZE).
constexpr std::uint32_t max_cpu_number = CPU_SETSIZE;

wire::reply error_reply(errc e) {
  wire::reply r;
  r.error = static_cast<std::uint32_t>(e);
  return r;
}

// A lane must be the broker's end of a connected AF_UNIX SOCK_SEQPACKET
// socket, as the broker's own connections are.
bool is_lane_socket(int fd) {
  return detail::is_unix_socket(fd, SOCK_SEQPACKET);
}

}  // namespace

broker::~broker() {
  stop_lanes();
}

void broker::start_lanes() {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (::sched_getaffinity(0, sizeof(allowed), &allowed) != 0) return;
  std::vector<int> cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE && cpus.size() < max_lanes; ++cpu)
    if (CPU_ISSET(cpu, &allowed)) cpus.push_back(cpu);
  for (int cpu : cpus) {
    auto l = std::make_unique<lane>();
    l->cpu = cpu;
    l->epoll.reset(::epoll_create1(EPOLL_CLOEXEC));
    l->stop.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!l->epoll || !l->stop) break;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = stop_tag;
    if (::epoll_ctl(l->epoll.get(), EPOLL_CTL_ADD, l->stop.get(), &ev) != 0) break;
    lanes_.push_back(std::move(l));
  }
  // Each CPU the broker may use has its lane; any other number maps onto one.
  lane_of_cpu_.assign(max_cpu_number, 0);
  for (std::uint32_t cpu = 0; cpu < max_cpu_number && !lanes_.empty(); ++cpu)
    lane_of_cpu_[cpu] = cpu % lanes_.size();
  for (std::uint32_t i = 0; i < lanes_.size(); ++i) lane_of_cpu_[lanes_[i]->cpu] = i;
  for (auto& l : lanes_) {
    lane* self = l.get();
    l->thread = std::thread([this, self] { run_lane(*self); });
  }
  log(log_level::info, std::to_string(lanes_.size()) + " lanes");
}

void broker::stop_lanes() {
  for (auto& l : lanes_) {
    std::uint64_t one = 1;
    (void)!::write(l->stop.get(), &one, sizeof(one));
  }
  for (auto& l : lanes_)
    if (l->thread.joinable()) l->thread.join();
  lanes_.clear();
}

void broker::run_lane(lane& l) {
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(l.cpu, &one);
  // Unpinned (a CPU taken away meanwhile), the lane still serves; it only
  // saves less.
  (void)::pthread_setaffinity_np(::pthread_self(), sizeof(one), &one);
  std::array<epoll_event, 16> events{};
  for (;;) {
    int n = ::epoll_wait(l.epoll.get(), events.data(), events.size(), -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      log_errno(log_level::error, "a lane's epoll_wait", errno);
      return;
    }
    std::lock_guard lock(mutex_);
    for (int i = 0; i < n; ++i) {
      if (events[i].data.u64 == stop_tag) return;
      serve_lane_socket(events[i].data.u64);
    }
  }
}

void broker::serve_lane_socket(std::uint64_t tag) {
  // One packet per report: a lane's peer waits for each answer before it
  // asks again, so a second read would find nothing but cost a system call;
  // epoll (level-triggered) reports the socket again if more came.
  std::array<std::byte, wire::max_message_size> buffer;
  std::vector<unique_fd> fds;
  auto it = lane_sockets_.find(tag);
  if (it == lane_sockets_.end()) return;
  auto owner = peers_.find(it->second.owner);
  if (owner == peers_.end() || condemned_.count(it->second.owner)) return;
  peer& p = owner->second;
  int socket = it->second.socket.get();
  std::error_code ec;
  std::size_t n = detail::receive_packet(socket, buffer, fds, ec, MSG_DONTWAIT);
  if (ec == std::errc::resource_unavailable_try_again) return;
  if (ec || n == 0) {
    close_lane_socket(tag);  // the peer closed its end: its connection stays
    return;
  }
  wire::header h;
  wire::request request;
  bool kept = false;
  if (!wire::decode_request(std::span(buffer).first(n), h, request)) {
    if (auto* open = std::get_if<wire::open_request>(&request); open && fds.empty()) {
      kept = answer_open(p, socket, h.request_id, *open);
    } else if (auto* listen = std::get_if<wire::listen_request>(&request);
               listen && fds.size() == 1) {
      kept = answer_listen(p, socket, h.request_id, *listen, std::move(fds[0]));
    }
  }
  // Anything else on a lane, or a reply it does not read, is a broken
  // protocol: the peer goes, as it would on its own connection.
  if (!kept) {
    condemn(p.id);
    wake_main();
    return;
  }
  recharge(p);
}

bool broker::attach_lane(peer& p, std::uint32_t request_id,
                         const wire::attach_lane_request& request, unique_fd socket) {
  if (lanes_.empty()) return reply(p, request_id, error_reply(errc::not_supported));
  if (request.cpu >= max_cpu_number || !is_lane_socket(socket.get()))
    return reply(p, request_id, error_reply(errc::invalid_parameter));
  std::uint32_t index = lane_of_cpu_[request.cpu];
  // A lane in place of the peer's own on that lane costs nothing more.
  if (auto old = p.lanes.find(index); old != p.lanes.end()) {
    close_lane_socket(old->second);
  } else {
    recharge(p);
    if (errc refusal = descriptor_refusal(p, charge_per_connection); refusal != errc::success)
      return reply(p, request_id, error_reply(refusal));
  }
  std::uint64_t tag = next_lane_tag_++;
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = tag;
  if (::epoll_ctl(lanes_[index]->epoll.get(), EPOLL_CTL_ADD, socket.get(), &ev) != 0)
    return reply(p, request_id, error_reply(errc::no_system_resources));
  lane_sockets_.emplace(tag, lane_socket{p.id, index, std::move(socket)});
  p.lanes[index] = tag;
  recharge(p);
  wire::reply r;
  r.instance_id = index;
  return reply(p, request_id, r);
}

void broker::close_lane_socket(std::uint64_t tag) {
  auto it = lane_sockets_.find(tag);
  if (it == lane_sockets_.end()) return;
  ::epoll_ctl(lanes_[it->second.lane]->epoll.get(), EPOLL_CTL_DEL, it->second.socket.get(),
              nullptr);
  if (auto owner = peers_.find(it->second.owner); owner != peers_.end()) {
    owner->second.lanes.erase(it->second.lane);
    recharge(owner->second);
  }
  lane_sockets_.erase(it);
}

void broker::drop_lanes_of(peer& p) {
  auto lanes = p.lanes;
  for (const auto& [index, tag] : lanes) close_lane_socket(tag);
}

void broker::wake_main() {
  std::uint64_t one = 1;
  (void)!::write(main_wake_.get(), &one, sizeof(one));
}

}  // namespace conduit::broker
