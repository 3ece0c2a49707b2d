#include "support/system_broker.hpp"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vector>

namespace conduit::test {
namespace {

constexpr int bound_ms = 10'000;

std::string beside_self(const std::string& program) {
  char self[PATH_MAX] = {};
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
  std::string path(self, n > 0 ? static_cast<std::size_t>(n) : 0);
  return path.substr(0, path.rfind('/') + 1) + program;
}

}  // namespace

bool system_broker::start(const std::string& dir) {
  constexpr int child_ready_fd = 3;
  if (::chmod(dir.c_str(), 0755) != 0) return false;
  std::vector<std::string> args = {
      beside_self("conduitd"),       "--system", "--runtime-dir", dir, "--ready-fd",
      std::to_string(child_ready_fd)};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int ready[2];
  if (::pipe2(ready, O_CLOEXEC) != 0) return false;
  pid_ = ::fork();
  if (pid_ == 0) {
    if (::dup2(ready[1], child_ready_fd) < 0) ::_exit(126);
    ::close_range(child_ready_fd + 1, ~0U, 0);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(ready[1]);
  detail::unique_fd ready_read(ready[0]);
  if (pid_ < 0) return false;
  pidfd_.reset(static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0)));
  pollfd p{ready_read.get(), POLLIN, 0};
  char byte = 0;
  return ::poll(&p, 1, bound_ms) == 1 && ::read(ready_read.get(), &byte, 1) == 1 && byte == 'R';
}

system_broker::~system_broker() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  pollfd p{pidfd_.get(), POLLIN, 0};
  if (!pidfd_ || ::poll(&p, 1, bound_ms) == 1) ::waitpid(pid_, nullptr, 0);
}

}  // namespace conduit::test
