#include "runtime/interruption.hpp"

#include <linux/futex.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <exception>
#include <fstream>
#include <string>

namespace conduit::detail {
namespace {

// Initial-exec, as the Win32 layer's per-thread state: looked at only
// after EINTR, but set around every interruptible call.
[[gnu::tls_model("initial-exec")]] thread_local interruption* current = nullptr;

// Does nothing: its being there, without SA_RESTART, is what makes the
// blocked system call fail with EINTR instead of going on.
void on_interrupt_signal(int) {}

// Installs the handler once, before the first signal is sent. A handler the
// program put there itself is left alone: it interrupts too unless it asked
// for SA_RESTART. False when the signal has no handler after all: its
// default action would end the process, so it must not be sent.
bool install_handler() {
  static const bool handled = [] {
    struct sigaction old {};
    if (::sigaction(interrupt_signal(), nullptr, &old) != 0) return false;
    bool taken = (old.sa_flags & SA_SIGINFO) != 0 ||
                 (old.sa_handler != SIG_DFL && old.sa_handler != SIG_IGN);
    if (taken) return true;
    struct sigaction action {};
    action.sa_handler = &on_interrupt_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;  // no SA_RESTART: the blocked call returns EINTR
    return ::sigaction(interrupt_signal(), &action, nullptr) == 0;
  }();
  return handled;
}

// Whether thread `tid` of this process blocks the signal (SigBlk in its
// status): then the call cannot be interrupted until it unblocks it.
bool blocks_signal(pid_t tid) noexcept {
  try {
    std::ifstream status("/proc/self/task/" + std::to_string(tid) + "/status");
    std::string line;
    while (std::getline(status, line)) {
      if (line.rfind("SigBlk:", 0) != 0) continue;
      unsigned long long mask = std::stoull(line.substr(7), nullptr, 16);
      return (mask >> (interrupt_signal() - 1)) & 1;
    }
  } catch (const std::exception&) {
    // Unreadable: keep sending until the time runs out.
  }
  return false;
}

void futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected,
                std::chrono::nanoseconds timeout) {
  auto ns = std::max<std::int64_t>(timeout.count(), 0);
  timespec relative{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
  ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAIT_PRIVATE, expected,
            &relative, nullptr, 0);
}

void futex_wake_all(std::atomic<std::uint32_t>& word) {
  ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAKE_PRIVATE, INT32_MAX,
            nullptr, nullptr, 0);
}

// How long interrupt() sends the signal again and again: its first pause,
// the longest pause, when it looks whether the thread blocks the signal,
// and when it gives up (a thread stopped, or traced, or in a step that
// cannot be interrupted).
constexpr std::chrono::microseconds first_pause(20);
constexpr std::chrono::milliseconds longest_pause(10);
constexpr std::chrono::milliseconds look_at_mask_after(20);
constexpr std::chrono::seconds give_up_after(5);

}  // namespace

int interrupt_signal() noexcept {
  return SIGRTMIN + 6;
}

std::uint32_t interruption::begin() noexcept {
  std::uint32_t serial =
      (state_.load(std::memory_order_relaxed) & ~(serial_unit - 1)) + serial_unit;
  // Nobody else writes the word while no call is on: a plain store.
  state_.store(serial | in_call, std::memory_order_release);
  current = this;
  return serial;
}

void interruption::end() noexcept {
  current = nullptr;
  std::uint32_t serial = state_.load(std::memory_order_relaxed) & ~(serial_unit - 1);
  if (state_.exchange(serial, std::memory_order_acq_rel) & waiter) futex_wake_all(state_);
}

bool interruption::asked() noexcept {
  std::uint32_t s = state_.load(std::memory_order_acquire);
  if (!(s & ask)) return false;
  if (!(s & seen)) {
    std::uint32_t old = state_.fetch_or(seen, std::memory_order_acq_rel);
    if ((old & waiter) && !(old & seen)) futex_wake_all(state_);
  }
  return true;
}

bool interruption::interrupt(pid_t tid, std::uint32_t only, bool only_that) noexcept {
  std::uint32_t s = state_.load(std::memory_order_acquire);
  do {
    if (!(s & in_call)) return false;
    if (only_that && (s & ~(serial_unit - 1)) != only) return false;
  } while (!state_.compare_exchange_weak(s, s | ask | waiter, std::memory_order_acq_rel,
                                         std::memory_order_acquire));
  std::uint32_t serial = s & ~(serial_unit - 1);
  // Over once the thread has seen the request or left that call.
  auto over = [&](std::uint32_t now) {
    return (now & ~(serial_unit - 1)) != serial || !(now & in_call) || (now & seen);
  };
  // The request stays marked: a call that looks (interrupted()) still ends.
  if (!install_handler()) return true;
  using clock = std::chrono::steady_clock;
  auto start = clock::now();
  bool looked_at_mask = false;
  for (std::chrono::nanoseconds pause = first_pause;;
       pause = std::min<std::chrono::nanoseconds>(pause * 2, longest_pause)) {
    if (::syscall(SYS_tgkill, ::getpid(), tid, interrupt_signal()) != 0) return true;  // gone
    auto until = clock::now() + pause;
    for (;;) {
      std::uint32_t now = state_.load(std::memory_order_acquire);
      if (over(now)) return true;
      auto left = until - clock::now();
      if (left <= clock::duration::zero()) break;
      futex_wait(state_, now, left);
    }
    auto waited = clock::now() - start;
    // A thread that blocks the signal gets it when it unblocks it: the
    // request stays, pending with it, and ends the call then.
    if (!looked_at_mask && waited >= look_at_mask_after) {
      looked_at_mask = true;
      if (blocks_signal(tid)) return true;
    }
    if (waited >= give_up_after) return true;
  }
}

bool interrupted() noexcept {
  return current && current->asked();
}

}  // namespace conduit::detail
