#include "win32/io_engine.hpp"

#include <poll.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <system_error>
#include <thread>

namespace conduit::win32 {
namespace {

constexpr int in = static_cast<int>(io_operation::direction::in);
constexpr int out = static_cast<int>(io_operation::direction::out);

bool matches(const io_operation& op, const void* owner, const void* thread,
             const OVERLAPPED* overlapped, bool forced) {
  return op.owner == owner && (!op.internal || forced) && (!thread || op.thread == thread) &&
         (!overlapped || op.completion.packet_overlapped == overlapped);
}

}  // namespace

io_engine& io_engine::get() {
  static io_engine* engine = new io_engine();
  return *engine;
}

io_engine::io_engine() {
  ::pthread_atfork(&io_engine::before_fork, &io_engine::after_fork_in_parent,
                   &io_engine::after_fork_in_child);
}

bool io_engine::ensure_running_locked() {
  if (running_) return true;
  detail::unique_fd epoll(::epoll_create1(EPOLL_CLOEXEC));
  detail::unique_fd wake(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!epoll || !wake) return false;
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = wake.get();
  if (::epoll_ctl(epoll.get(), EPOLL_CTL_ADD, wake.get(), &ev) != 0) return false;
  epoll_ = std::move(epoll);
  wake_ = std::move(wake);
  try {
    std::thread([this] { run(); }).detach();
  } catch (const std::system_error&) {
    epoll_.reset();
    wake_.reset();
    return false;
  }
  running_ = true;
  return true;
}

bool io_engine::start(const operation_ptr& op) {
  int d = static_cast<int>(op->dir());
  int fd = op->fd();
  std::unique_lock lock(mutex_);
  if (!ensure_running_locked()) {
    // Without the engine nothing could finish it later: fail it now.
    op->finish(ERROR_NOT_ENOUGH_MEMORY, 0);
    return true;
  }
  watch& w = watch_locked(fd);
  if (w.busy[d] || !w.queue[d].empty()) {
    op->pending_ = true;
    w.queue[d].push_back(op);
    update_locked(fd);
    return false;
  }
  w.busy[d] = true;
  bool finished;
  for (;;) {
    lock.unlock();
    finished = op->attempt();
    lock.lock();
    // Busy keeps the watch alive; look again if readiness came meanwhile.
    watch& again = watches_.at(fd);
    if (finished || !again.missed[d]) break;
    again.missed[d] = false;
  }
  watch& after = watches_.at(fd);
  after.busy[d] = false;
  if (!finished) {
    op->pending_ = true;
    after.queue[d].push_front(op);
  }
  update_locked(fd);
  return finished;
}

std::size_t io_engine::cancel(const void* owner, const void* thread, const OVERLAPPED* overlapped,
                              DWORD error, bool forced) {
  std::vector<operation_ptr> done;
  std::size_t matched = 0;
  {
    std::lock_guard lock(mutex_);
    std::vector<int> touched;  // whose queues changed: only those are re-armed
    for (auto& [fd, w] : watches_) {
      std::size_t before = done.size();
      for (int d : {in, out}) {
        auto& queue = w.queue[d];
        for (auto it = queue.begin(); it != queue.end();) {
          io_operation& op = **it;
          if (!matches(op, owner, thread, overlapped, forced)) {
            ++it;
            continue;
          }
          ++matched;
          if (w.busy[d] && it == queue.begin()) {
            // Running in another thread now: it stops when its step ends.
            op.stop_error_ = error;
            op.stop_forced_ = op.stop_forced_ || forced;
            ++it;
          } else if (op.stop(error, forced)) {
            done.push_back(*it);
            it = queue.erase(it);
          } else {
            ++it;
          }
        }
      }
      if (done.size() != before) touched.push_back(fd);
    }
    for (int fd : touched) update_locked(fd);
  }
  deliver(done);
  return matched;
}

void io_engine::kick(int fd) {
  std::lock_guard lock(mutex_);
  if (!running_ || !watches_.count(fd)) return;
  kicked_.push_back(fd);
  std::uint64_t one = 1;
  (void)!::write(wake_.get(), &one, sizeof(one));
}

void io_engine::run() {
  std::array<epoll_event, 64> events;
  int epoll = epoll_.get();
  for (;;) {
    int n = ::epoll_wait(epoll, events.data(), static_cast<int>(events.size()), -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // the set is gone (a forked child's copy): nothing left to serve
    }
    serving_.store(true);
    handle(events.data(), n);
    std::lock_guard lock(idle_mutex_);
    serving_.store(false);
    batches_done_.fetch_add(1);
    idle_.notify_all();
  }
}

void io_engine::settle() {
  int epoll;
  {
    std::lock_guard lock(mutex_);
    if (!running_ || watches_.empty()) return;
    epoll = epoll_.get();
  }
  // The set is armed one-shot: each readiness goes to the engine thread or
  // to us, never to both, and whoever takes it runs that descriptor's queue.
  std::array<epoll_event, 64> events;
  int n = ::epoll_wait(epoll, events.data(), static_cast<int>(events.size()), 0);
  if (n > 0) handle(events.data(), n);
  // What the engine thread took from the set before us it is running, or
  // about to run: it may have taken an event and not yet said so. With a
  // few descriptors waiting, ask the kernel which are ready; one that is,
  // and that we were not given, is the engine thread's.
  bool theirs = serving_.load() || ready_but_not_ours();
  if (theirs) {
    std::unique_lock lock(idle_mutex_);
    auto bound = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    // Wait until it has served a batch that began after we looked.
    std::uint64_t seen = batches_done_.load();
    idle_.wait_until(lock, bound, [&] {
      return batches_done_.load() != seen || (!serving_.load() && !ready_but_not_ours());
    });
  }
}

bool io_engine::ready_but_not_ours() {
  std::vector<pollfd> fds;
  {
    std::lock_guard lock(mutex_);
    if (!kicked_.empty()) return true;  // kicked, and the kick not yet taken
    if (watches_.size() > few_watches) return false;
    for (const auto& [fd, w] : watches_) {
      short events = 0;
      if (!w.queue[in].empty() && !w.busy[in]) events |= POLLIN | POLLRDHUP;
      if (!w.queue[out].empty() && !w.busy[out]) events |= POLLOUT;
      if (events) fds.push_back(pollfd{fd, events, 0});
    }
  }
  return !fds.empty() && ::poll(fds.data(), fds.size(), 0) > 0;
}

void io_engine::handle(const epoll_event* events, int count) {
  int wake = wake_.get();
  for (int i = 0; i < count; ++i) {
    int fd = events[i].data.fd;
    if (fd != wake) {
      serve(fd, events[i].events);
      continue;
    }
    std::uint64_t value;
    (void)!::read(wake, &value, sizeof(value));
    std::vector<int> kicked;
    {
      std::lock_guard lock(mutex_);
      kicked.swap(kicked_);
    }
    for (int k : kicked) serve(k, EPOLLIN | EPOLLOUT);
  }
}

void io_engine::serve(int fd, std::uint32_t events) {
  std::vector<operation_ptr> done;
  {
    std::unique_lock lock(mutex_);
    if (!watches_.count(fd)) return;  // a late event for a descriptor no longer watched
    bool hangup = events & (EPOLLHUP | EPOLLERR);
    for (int d : {in, out}) {
      // The peer no longer writing ends reads (at end of stream), not writes.
      bool ready = hangup || (events & (d == in ? EPOLLIN | EPOLLRDHUP : EPOLLOUT));
      watch& w = watches_.at(fd);
      if (!ready || w.queue[d].empty()) continue;
      if (w.busy[d]) {
        w.missed[d] = true;
        continue;
      }
      w.busy[d] = true;
      drain_locked(fd, d, lock, done);
      watches_.at(fd).busy[d] = false;
    }
    update_locked(fd);
  }
  deliver(done);
}

void io_engine::drain_locked(int fd, int d, std::unique_lock<std::mutex>& lock,
                             std::vector<operation_ptr>& done) {
  for (;;) {
    auto& queue = watches_.at(fd).queue[d];
    if (queue.empty()) return;
    operation_ptr op = queue.front();
    lock.unlock();
    bool finished = op->attempt();
    lock.lock();
    watch& w = watches_.at(fd);
    if (!finished && w.missed[d]) {
      w.missed[d] = false;
      continue;
    }
    if (!finished && op->stop_error_ != 0) {
      finished = op->stop(op->stop_error_, op->stop_forced_);
      op->stop_error_ = 0;
    }
    if (!finished) return;
    // A cancel never takes the head a thread is running: it is still first.
    w.queue[d].pop_front();
    done.push_back(std::move(op));
  }
}

void io_engine::update_locked(int fd) {
  auto it = watches_.find(fd);
  if (it == watches_.end()) return;
  watch& w = it->second;
  std::uint32_t events = 0;
  if (!w.queue[in].empty() && !w.busy[in]) events |= EPOLLIN | EPOLLRDHUP;
  if (!w.queue[out].empty() && !w.busy[out]) events |= EPOLLOUT;
  if (events == 0) {
    // Removed rather than left disarmed: a hang-up would still be reported.
    if (w.registered) ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
    w.registered = false;
    if (w.queue[in].empty() && w.queue[out].empty() && !w.busy[in] && !w.busy[out]) {
      if (spare_watches_.size() < spare_limit)
        spare_watches_.push_back(watches_.extract(it));
      else
        watches_.erase(it);
    }
    return;
  }
  epoll_event ev{};
  ev.events = events | EPOLLONESHOT;
  ev.data.fd = fd;
  if (::epoll_ctl(epoll_.get(), w.registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev) != 0 &&
      errno == (w.registered ? ENOENT : EEXIST))
    ::epoll_ctl(epoll_.get(), w.registered ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &ev);
  w.registered = true;
}

io_engine::watch& io_engine::watch_locked(int fd) {
  if (auto it = watches_.find(fd); it != watches_.end()) return it->second;
  if (spare_watches_.empty()) return watches_[fd];
  watch_map::node_type node = std::move(spare_watches_.back());
  spare_watches_.pop_back();
  node.key() = fd;
  node.mapped() = watch{};  // its queues are empty: nothing is freed
  return watches_.insert(std::move(node)).position->second;
}

void io_engine::deliver(const std::vector<operation_ptr>& done) {
  for (const auto& op : done)
    if (!op->internal) op->completion.deliver(op->error(), op->bytes());
}

void io_engine::before_fork() {
  get().mutex_.lock();
}

void io_engine::after_fork_in_parent() {
  get().mutex_.unlock();
}

void io_engine::after_fork_in_child() {
  io_engine& engine = get();
  // The engine thread did not come along, and the epoll set is shared with
  // the parent: start afresh on first use. The parent's operations are
  // dropped without running their destructors, which would act on the
  // parent's pipes.
  new std::unordered_map<int, watch>(std::move(engine.watches_));
  engine.watches_.clear();
  engine.spare_watches_.clear();  // empty watches: nothing of the parent's
  engine.kicked_.clear();
  engine.epoll_.reset();
  engine.wake_.reset();
  engine.running_ = false;
  engine.mutex_.unlock();
}

}  // namespace conduit::win32
