// One thread polls the pidfds of abandoned children and reaps each as it
// ends. Windows has no zombies: a child whose handles are all closed simply
// goes when it exits, and this gives process::close() the same effect.
#include "runtime/child_reaper.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace conduit::detail {
namespace {

class reaper {
 public:
  // Leaked on purpose: its thread runs until the process exits, so it must
  // never be destroyed under it by static destructors.
  static reaper& instance() {
    static reaper* the_reaper = new reaper;
    return *the_reaper;
  }

  void adopt(unique_fd pidfd) noexcept {
    std::lock_guard lock(mutex_);
    if (!started_ && !start()) return;  // pidfd closes: the child stays a zombie
    try {
      incoming_.push_back(std::move(pidfd));
    } catch (const std::bad_alloc&) {
      return;
    }
    std::uint64_t one = 1;
    (void)::write(wake_.get(), &one, sizeof one);
  }

 private:
  // Called with mutex_ held.
  bool start() noexcept {
    wake_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!wake_) return false;
    try {
      std::thread([this] { run(); }).detach();
    } catch (const std::system_error&) {
      wake_.reset();
      return false;
    }
    started_ = true;
    return true;
  }

  void run() noexcept {
    std::vector<unique_fd> children;
    std::vector<pollfd> polled;
    for (;;) {
      {
        std::lock_guard lock(mutex_);
        for (auto& fd : incoming_) children.push_back(std::move(fd));
        incoming_.clear();
      }
      polled.assign(1, pollfd{wake_.get(), POLLIN, 0});
      for (auto& child : children) polled.push_back(pollfd{child.get(), POLLIN, 0});
      if (::poll(polled.data(), polled.size(), -1) < 0) continue;  // EINTR
      if (polled[0].revents & POLLIN) {
        std::uint64_t count;
        (void)::read(wake_.get(), &count, sizeof count);
      }
      // Walk backwards so erasing keeps the pollfd indexes valid.
      for (std::size_t i = children.size(); i-- > 0;) {
        if (!polled[i + 1].revents) continue;
        siginfo_t info{};
        int rc = ::waitid(P_PIDFD, static_cast<id_t>(children[i].get()), &info, WEXITED | WNOHANG);
        if (rc == 0 && info.si_pid == 0) continue;  // not yet
        children.erase(children.begin() + static_cast<std::ptrdiff_t>(i));
      }
    }
  }

  std::mutex mutex_;
  bool started_ = false;
  unique_fd wake_;
  std::vector<unique_fd> incoming_;
};

}  // namespace

void reap_in_background(unique_fd pidfd) noexcept {
  try {
    reaper::instance().adopt(std::move(pidfd));
  } catch (const std::bad_alloc&) {
  }
}

}  // namespace conduit::detail
