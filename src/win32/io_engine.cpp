#include "win32/io_engine.hpp"

#include <poll.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <system_error>
#include <thread>

namespace conduit::win32 {
namespace {

constexpr int in = static_cast<int>(io_operation::direction::in);
constexpr int out = static_cast<int>(io_operation::direction::out);
// How long a write waiting on its reader (io_operation::wait_for_time)
// waits before the engine looks again: nothing signals the reader's
// progress, and settle() looks at once whenever the program does.
constexpr long timed_pause_ns = 2'000'000;

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
  detail::unique_fd timer(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
  if (!epoll || !wake || !timer) return false;
  for (int fd : {wake.get(), timer.get()}) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    if (::epoll_ctl(epoll.get(), EPOLL_CTL_ADD, fd, &ev) != 0) return false;
  }
  epoll_ = std::move(epoll);
  wake_ = std::move(wake);
  timer_ = std::move(timer);
  timer_armed_ = false;
  try {
    std::thread([this] { run(); }).detach();
  } catch (const std::system_error&) {
    epoll_.reset();
    wake_.reset();
    timer_.reset();
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
    update_locked(w);
    return false;
  }
  w.busy[d] = true;
  bool finished;
  for (;;) {
    op->waits_on_time_ = false;
    lock.unlock();
    finished = op->attempt();
    lock.lock();
    // Look again if readiness came meanwhile.
    if (finished || !w.missed[d]) break;
    w.missed[d] = false;
  }
  w.busy[d] = false;
  if (!finished) {
    op->pending_ = true;
    w.queue[d].push_front(op);
  }
  update_locked(w);
  return finished;
}

std::size_t io_engine::cancel(const void* owner, const void* thread, const OVERLAPPED* overlapped,
                              DWORD error, bool forced) {
  std::vector<operation_ptr> done;
  std::size_t matched = 0;
  {
    std::lock_guard lock(mutex_);
    std::vector<watch*> touched;  // whose queues changed: only those are re-armed
    for (watch* active : active_) {
      watch& w = *active;
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
      if (done.size() != before) touched.push_back(&w);
    }
    for (watch* w : touched) update_locked(*w);
  }
  deliver(done);
  return matched;
}

void io_engine::kick(int fd) {
  std::lock_guard lock(mutex_);
  if (!running_) return;
  auto it = watches_.find(fd);
  if (it == watches_.end() || !in_use(it->second)) return;
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
  bool waiting;
  {
    std::lock_guard lock(mutex_);
    if (!running_) return;
    epoll = epoll_.get();
    waiting = !active_.empty();
  }
  if (waiting) {
    // The set is armed one-shot: each readiness goes to the engine thread
    // or to us, never to both, and whoever takes it runs that descriptor's
    // queue.
    std::array<epoll_event, 64> events;
    int n = ::epoll_wait(epoll, events.data(), static_cast<int>(events.size()), 0);
    if (n > 0) handle(events.data(), n);
    // Writes waiting on their reader: look now, as the program looks.
    bool timed;
    {
      std::lock_guard lock(mutex_);
      timed = !timed_.empty();
    }
    if (timed) serve_timed();
  }
  // What the engine thread took from the set before us it is running, or
  // about to run: it may have taken an event and not yet said so. With a
  // few descriptors waiting, ask the kernel which are ready; one that is,
  // and that we were not given, is the engine thread's. With none waiting
  // any more, the engine thread may still be delivering what it ended: an
  // operation leaves its queue before its completion is reported.
  // Ready first, serving after: a descriptor the engine thread has begun
  // to run looks busy, not ready, and by then that thread says it serves.
  bool theirs = (waiting && ready_but_not_ours()) || serving_.load();
  if (theirs) {
    std::unique_lock lock(idle_mutex_);
    auto bound = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    // Wait until it has served a batch that began after we looked.
    std::uint64_t seen = batches_done_.load();
    idle_.wait_until(lock, bound, [&] {
      return batches_done_.load() != seen || (!ready_but_not_ours() && !serving_.load());
    });
  }
}

bool io_engine::ready_but_not_ours() {
  std::vector<pollfd> fds;
  {
    std::lock_guard lock(mutex_);
    if (!kicked_.empty()) return true;  // kicked, and the kick not yet taken
    if (active_.size() > few_watches) return false;
    for (const watch* w : active_) {
      short events = 0;
      if (!w->queue[in].empty() && !w->busy[in]) events |= POLLIN | POLLRDHUP;
      if (!w->queue[out].empty() && !w->busy[out] && !w->timed) events |= POLLOUT;
      if (events) fds.push_back(pollfd{w->fd, events, 0});
    }
  }
  return !fds.empty() && ::poll(fds.data(), fds.size(), 0) > 0;
}

void io_engine::handle(const epoll_event* events, int count) {
  int wake = wake_.get();
  for (int i = 0; i < count; ++i) {
    int fd = events[i].data.fd;
    if (fd == timer_.get()) {
      std::uint64_t expirations;
      (void)!::read(fd, &expirations, sizeof(expirations));
      serve_timed();
      continue;
    }
    if (fd != wake) {
      serve(fd, events[i].events, true);
      continue;
    }
    std::uint64_t value;
    (void)!::read(wake, &value, sizeof(value));
    std::vector<int> kicked;
    {
      std::lock_guard lock(mutex_);
      kicked.swap(kicked_);
    }
    for (int k : kicked) serve(k, EPOLLIN | EPOLLOUT, false);
  }
}

void io_engine::serve_timed() {
  std::vector<int> timed;
  {
    std::lock_guard lock(mutex_);
    timed.swap(timed_);
    timer_armed_ = false;
    for (int fd : timed) {
      auto it = watches_.find(fd);
      if (it != watches_.end()) it->second.timed = false;
    }
  }
  // Those still waiting come back into timed_ as their queues are updated.
  for (int fd : timed) serve(fd, EPOLLOUT, false);
}

void io_engine::serve(int fd, std::uint32_t events, bool from_epoll) {
  std::vector<operation_ptr> done;
  {
    std::unique_lock lock(mutex_);
    auto it = watches_.find(fd);
    if (it == watches_.end()) return;
    watch& w = it->second;
    if (from_epoll) w.armed = false;  // one-shot: reported once, then disarmed
    bool hangup = events & (EPOLLHUP | EPOLLERR);
    for (int d : {in, out}) {
      // The peer no longer writing ends reads (at end of stream), not writes.
      bool ready = hangup || (events & (d == in ? EPOLLIN | EPOLLRDHUP : EPOLLOUT));
      if (!ready || w.queue[d].empty()) continue;
      if (w.busy[d]) {
        w.missed[d] = true;
        continue;
      }
      w.busy[d] = true;
      drain_locked(w, d, lock, done);
      w.busy[d] = false;
    }
    update_locked(w);
  }
  deliver(done);
}

void io_engine::drain_locked(watch& w, int d, std::unique_lock<std::mutex>& lock,
                             std::vector<operation_ptr>& done) {
  for (;;) {
    auto& queue = w.queue[d];
    if (queue.empty()) return;
    operation_ptr op = queue.front();
    op->waits_on_time_ = false;
    lock.unlock();
    bool finished = op->attempt();
    lock.lock();
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

bool io_engine::in_use(const watch& w) {
  return !w.queue[in].empty() || !w.queue[out].empty();
}

void io_engine::note_use_locked(watch& w) {
  bool listed = w.active_slot != no_slot;
  if (in_use(w) == listed) return;
  if (!listed) {
    w.active_slot = active_.size();
    active_.push_back(&w);
    return;
  }
  watch* last = active_.back();
  active_[w.active_slot] = last;
  last->active_slot = w.active_slot;
  active_.pop_back();
  w.active_slot = no_slot;
}

void io_engine::update_locked(watch& w) {
  note_use_locked(w);
  std::uint32_t events = 0;
  if (!w.queue[in].empty() && !w.busy[in]) events |= EPOLLIN | EPOLLRDHUP;
  if (!w.queue[out].empty() && !w.busy[out]) {
    if (w.queue[out].front()->waits_on_time_) {
      // Writable all along: readiness would say nothing. The timer serves it.
      if (!w.timed) {
        w.timed = true;
        timed_.push_back(w.fd);
      }
      if (!timer_armed_) {
        itimerspec pause{};
        pause.it_value.tv_nsec = timed_pause_ns;
        timer_armed_ = ::timerfd_settime(timer_.get(), 0, &pause, nullptr) == 0;
      }
    } else {
      events |= EPOLLOUT;
    }
  }
  if (events == 0) {
    // A registration epoll has reported since it was armed is disarmed
    // (one-shot): it stays, reporting nothing, not even a hang-up, and the
    // next wait re-arms it with one call. One still armed is removed.
    if (w.armed) {
      ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, w.fd, nullptr);
      w.registered = false;
      w.armed = false;
    }
    return;
  }
  epoll_event ev{};
  ev.events = events | EPOLLONESHOT;
  ev.data.fd = w.fd;
  // The descriptor may have been closed and its number used again since it
  // was registered (closing took it out of the set), or registered by a
  // watch forgotten in a forked child: either call may find the other case.
  if (::epoll_ctl(epoll_.get(), w.registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, w.fd, &ev) != 0 &&
      errno == (w.registered ? ENOENT : EEXIST))
    ::epoll_ctl(epoll_.get(), w.registered ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, w.fd, &ev);
  w.registered = true;
  w.armed = true;
}

io_engine::watch& io_engine::watch_locked(int fd) {
  auto [it, made] = watches_.try_emplace(fd);
  if (made) it->second.fd = fd;
  return it->second;
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
  engine.active_.clear();
  engine.kicked_.clear();
  engine.timed_.clear();
  engine.epoll_.reset();
  engine.wake_.reset();
  engine.timer_.reset();
  engine.timer_armed_ = false;
  engine.running_ = false;
  engine.mutex_.unlock();
}

}  // namespace conduit::win32
