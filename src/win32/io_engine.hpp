// The process's overlapped I/O engine: one epoll set and one thread, started
// on first use, that finish every pending overlapped operation.
//
// An operation first runs in the thread that issues it; if it cannot end
// without blocking it waits in its descriptor's queue for that direction
// (in: reads, connects; out: writes), and the engine thread advances the
// head of each queue when epoll says the descriptor is ready. Queues keep
// the order operations were issued in, so operations on one handle
// complete in order per direction. Nothing here ever blocks on I/O, so one
// thread serves any number of pipe instances.
//
// Contract with epoll: descriptors are registered EPOLLONESHOT for the
// directions that have waiting operations nobody is running; whoever runs
// a queue re-arms the descriptor when it stops, and epoll then reports at
// once what became ready meanwhile. A descriptor with nothing waiting
// stays in the set, disarmed by the report that ended its wait, so the
// next wait costs one epoll_ctl. Readiness that comes while another
// thread runs a queue is noted (missed) and makes that thread look again.
// Completions are delivered outside the engine's lock.
#pragma once

#include <sys/epoll.h>

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "conduit/win32/windows.h"
#include "core/unique_fd.hpp"
#include "win32/io_operation.hpp"

namespace conduit::win32 {

class io_engine {
 public:
  /// The process's engine (never destroyed: operations may end at exit).
  static io_engine& get();

  /// Starts `op`: runs it at once, unless operations issued before it on
  /// its descriptor and direction still wait, in which case it queues
  /// behind them. True if it ended at once: its result is in `op`, reported
  /// to no one (the caller reports it). False if it waits: the engine
  /// delivers its completion when it ends.
  bool start(const std::shared_ptr<io_operation>& op);

  /// Ends the waiting operations of `owner` that were issued by `thread`
  /// (its thread_object; null: any) for `overlapped` (null: any), with `error`.
  /// Returns how many matched; one that cannot end yet (io_operation::stop)
  /// still counts and ends by itself. Internal operations match only when
  /// `forced` (the owner is going away).
  std::size_t cancel(const void* owner, const void* thread, const OVERLAPPED* overlapped,
                     DWORD error, bool forced);

  /// Makes the engine run again what waits on `fd`: something changed that
  /// the descriptor's readiness does not show (a pipe client's arrival
  /// taken by another call, say). Never blocks; safe under other locks.
  void kick(int fd);

  /// Runs now, in the calling thread, every waiting operation whose
  /// descriptor is ready: what the engine thread would do a moment later.
  /// Called wherever a program looks at an operation (waits,
  /// GetOverlappedResult, HasOverlappedIoCompleted, completion ports), so
  /// that an operation whose condition is met when the program looks is
  /// complete when it looks, as on Windows. One non-blocking epoll_wait;
  /// nothing when no operation waits.
  void settle();

 private:
  using operation_ptr = std::shared_ptr<io_operation>;
  /// A descriptor's state in the engine. Made on the descriptor's first
  /// operation and kept while the process lives (descriptors are small
  /// numbers, used again): an operation that ends at once then costs one
  /// lookup, and references to a watch stay valid across unlocks.
  struct watch {
    int fd = -1;
    // Lists, not deques: an empty list allocates nothing.
    std::array<std::list<operation_ptr>, 2> queue;
    std::array<bool, 2> busy{};         // someone is running the queue's head
    std::array<bool, 2> missed{};       // readiness came while it was busy
    bool registered = false;            // in the epoll set (perhaps disarmed)
    bool armed = false;                 // registered with events not yet reported
    bool timed = false;                 // its writes' head waits on time (in timed_)
    std::size_t active_slot = no_slot;  // its place in active_, if there
  };
  static constexpr std::size_t no_slot = SIZE_MAX;
  /// Whether an operation waits in one of the watch's queues. (One that
  /// runs while its queue is empty is out of reach of cancel, settle and
  /// kick anyway: it is in no queue and its descriptor is not armed.)
  static bool in_use(const watch& w);

  io_engine();
  bool ensure_running_locked();
  void run();
  /// What epoll reported, in whichever thread took it from the set.
  void handle(const epoll_event* events, int count);
  /// Serves fd's queues; `from_epoll`: epoll reported it, which disarmed
  /// its one-shot registration (a kick does not).
  void serve(int fd, std::uint32_t events, bool from_epoll);
  /// Whether the engine thread has work settle() did not get: a kick not
  /// yet taken, or (with at most few_watches descriptors waiting) one that
  /// poll says is ready.
  bool ready_but_not_ours();
  static constexpr std::size_t few_watches = 32;
  /// Runs the head of w's queue `d` (busy held by the caller) until one
  /// must wait; ended operations go to `done`.
  void drain_locked(watch& w, int d, std::unique_lock<std::mutex>& lock,
                    std::vector<operation_ptr>& done);
  /// Re-arms or disarms w's descriptor after its queues changed, and keeps
  /// active_ up to date.
  void update_locked(watch& w);
  /// Adds w to active_, or takes it out, as in_use(w) says.
  void note_use_locked(watch& w);
  /// fd's watch, made if it has none.
  watch& watch_locked(int fd);
  static void deliver(const std::vector<operation_ptr>& done);

  static void before_fork();
  static void after_fork_in_parent();
  static void after_fork_in_child();

  std::mutex mutex_;
  std::unordered_map<int, watch> watches_;
  // The watches in use: what cancel, settle and kick look at, so that the
  // many idle descriptors cost them nothing.
  std::vector<watch*> active_;
  std::vector<int> kicked_;
  // Descriptors whose head write waits on time (io_operation::wait_for_time),
  // served again when timer_ fires, which runs while any wait.
  std::vector<int> timed_;
  detail::unique_fd timer_;  // timerfd in the epoll set
  bool timer_armed_ = false;
  /// Serves again the descriptors that wait on time.
  void serve_timed();
  detail::unique_fd epoll_;
  detail::unique_fd wake_;  // eventfd in the epoll set: kicks
  bool running_ = false;
  // Set while the engine thread runs what its epoll_wait returned, so that
  // settle() can wait for operations it took first.
  std::atomic<bool> serving_{false};
  std::atomic<std::uint64_t> batches_done_{0};
  std::mutex idle_mutex_;
  std::condition_variable idle_;
};

}  // namespace conduit::win32
