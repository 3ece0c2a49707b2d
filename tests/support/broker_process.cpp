#include "support/broker_process.hpp"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>

namespace conduit::test {

using detail::unique_fd;

std::string beside_self(const std::string& program) {
  char self[PATH_MAX] = {};
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
  std::string path(self, n > 0 ? static_cast<std::size_t>(n) : 0);
  return path.substr(0, path.rfind('/') + 1) + program;
}

int pidfd_open(pid_t pid) {
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}

bool exits_within(int pidfd, int timeout_ms) {
  pollfd p{pidfd, POLLIN, 0};
  return ::poll(&p, 1, timeout_ms) == 1;
}

bool become(uid_t uid) {
  return ::setgroups(0, nullptr) == 0 && ::setresgid(uid, uid, uid) == 0 &&
         ::setresuid(uid, uid, uid) == 0;
}

broker_process::~broker_process() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    wait_exit(bound_ms);
  }
}

bool broker_process::start(std::vector<std::string> args, uid_t uid) {
  broker_start how;
  how.uid = uid;
  return start(std::move(args), how);
}

bool broker_process::start(std::vector<std::string> args, const broker_start& how) {
  constexpr int child_ready_fd = 3;
  args.insert(args.begin(), beside_self("conduitd"));
  args.push_back("--ready-fd");
  args.push_back(std::to_string(child_ready_fd));
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int ready[2];
  if (::pipe2(ready, O_CLOEXEC) != 0) return false;
  int err[2] = {-1, -1};
  if (how.capture_stderr && ::pipe2(err, O_CLOEXEC) != 0) return false;
  pid_ = ::fork();
  if (pid_ == 0) {
    if (how.descriptors && ::setrlimit(RLIMIT_NOFILE, &*how.descriptors) != 0) ::_exit(126);
    if (how.uid != static_cast<uid_t>(-1) && !become(how.uid)) ::_exit(126);
    if (::dup2(ready[1], child_ready_fd) < 0) ::_exit(126);
    if (err[1] >= 0 && ::dup2(err[1], 2) < 0) ::_exit(126);
    ::close_range(child_ready_fd + 1, ~0U, 0);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(ready[1]);
  unique_fd ready_read(ready[0]);
  if (err[1] >= 0) ::close(err[1]);
  stderr_.reset(err[0]);
  if (pid_ < 0) return false;
  pidfd_.reset(pidfd_open(pid_));
  pollfd p{ready_read.get(), POLLIN, 0};
  char byte = 0;
  return ::poll(&p, 1, bound_ms) == 1 && ::read(ready_read.get(), &byte, 1) == 1 && byte == 'R';
}

bool broker_process::running() const {
  return pid_ > 0 && !exits_within(pidfd_.get(), 0);
}

int broker_process::wait_exit(int timeout_ms) {
  if (pid_ <= 0) return -1;
  if (pidfd_ && !exits_within(pidfd_.get(), timeout_ms)) return -1;
  int status = 0;
  if (::waitpid(pid_, &status, 0) != pid_) return -1;
  pid_ = -1;
  return status;
}

std::string broker_process::stderr_text() {
  if (!stderr_) return said_;
  // Bounded: what is there now, or its end once the broker has exited.
  for (;;) {
    pollfd p{stderr_.get(), POLLIN, 0};
    if (::poll(&p, 1, running() ? 0 : bound_ms) != 1) break;
    char chunk[512];
    ssize_t n = ::read(stderr_.get(), chunk, sizeof(chunk));
    if (n <= 0) break;
    said_.append(chunk, static_cast<std::size_t>(n));
  }
  return said_;
}

bool broker_process::kill_hard() {
  if (pid_ <= 0) return true;
  ::kill(pid_, SIGKILL);
  return wait_exit(bound_ms) != -1;
}

}  // namespace conduit::test
