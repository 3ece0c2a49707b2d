// A program the test starts as a process of its own (posix_spawn), whose
// standard output the test reads line by line. Every read and wait is
// bounded; the destructor kills what is still running.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "support/line_reader.hpp"

extern char** environ;

namespace conduit::test {

class spawned_program {
 public:
  explicit spawned_program(std::vector<std::string> args) {
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) return;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (::posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    from_ = out[0];
  }
  ~spawned_program() {
    if (pid_ > 0) ::kill(pid_, SIGKILL), ::waitpid(pid_, nullptr, 0);
    if (from_ >= 0) ::close(from_);
  }
  spawned_program(const spawned_program&) = delete;
  spawned_program& operator=(const spawned_program&) = delete;

  [[nodiscard]] pid_t pid() const { return pid_; }

  /// The next line it prints, or "" if none comes within `timeout` (or it
  /// ended).
  std::string line(std::chrono::milliseconds timeout) {
    std::string got;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    return next_line_from(from_, buffered_, got, deadline) == line_result::line ? got : "";
  }

  /// Waits up to `timeout` for it to end: its exit status (as waitpid
  /// gives it), or -1 if it did not end (it is killed then).
  int wait_exit(std::chrono::milliseconds timeout) {
    if (pid_ <= 0) return -1;
    int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
    pollfd p{pidfd, POLLIN, 0};
    bool ended = pidfd >= 0 && ::poll(&p, 1, static_cast<int>(timeout.count())) == 1;
    if (pidfd >= 0) ::close(pidfd);
    if (!ended) ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return ended ? status : -1;
  }

  /// SIGTERM, then wait_exit.
  int terminate(std::chrono::milliseconds timeout) {
    if (pid_ > 0) ::kill(pid_, SIGTERM);
    return wait_exit(timeout);
  }

 private:
  pid_t pid_ = -1;
  int from_ = -1;
  std::string buffered_;
};

}  // namespace conduit::test
