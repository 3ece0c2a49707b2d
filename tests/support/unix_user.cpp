#include "support/unix_user.hpp"

#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <stdexcept>
#include <vector>

namespace conduit::test {
namespace {

// Runs a command without a shell; its exit status, or -1.
int run(std::vector<std::string> argv) {
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// useradd and userdel fail while another process holds the password files'
// lock (other tests make users too): they are tried again, a bounded
// number of times.
int run_retrying(const std::vector<std::string>& argv) {
  int status = -1;
  for (int attempt = 0; attempt < 50; ++attempt) {
    status = run(argv);
    if (status == 0) return 0;
    // 10: cannot lock the password files (useradd, userdel); 1 likewise for
    // some versions. Anything else will not get better.
    if (status != 10 && status != 1) return status;
    ::usleep(20'000 * (attempt + 1 < 10 ? attempt + 1 : 10));
  }
  return status;
}

}  // namespace

bool can_create_users() {
  return ::geteuid() == 0 && ::access("/usr/sbin/useradd", X_OK) == 0 &&
         ::access("/usr/sbin/userdel", X_OK) == 0;
}

unix_group::unix_group(std::string_view prefix) {
  static std::atomic<int> counter{0};
  name_ = std::string(prefix) + std::to_string(::getpid()) + "x" + std::to_string(counter++);
  if (run_retrying({"/usr/sbin/groupadd", name_}) != 0)
    throw std::runtime_error("groupadd " + name_ + " failed");
  group* entry = ::getgrnam(name_.c_str());
  if (!entry) {
    run_retrying({"/usr/sbin/groupdel", name_});
    throw std::runtime_error("no group entry for " + name_);
  }
  gid_ = entry->gr_gid;
}

unix_group::~unix_group() {
  run_retrying({"/usr/sbin/groupdel", name_});
}

unix_user::unix_user(std::string_view prefix) : unix_user(prefix, {}) {}

unix_user::unix_user(std::string_view prefix, const std::vector<const unix_group*>& supplementary) {
  static std::atomic<int> counter{0};
  name_ = std::string(prefix) + std::to_string(::getpid()) + "x" + std::to_string(counter++);
  std::vector<std::string> args = {"/usr/sbin/useradd", "--no-create-home", "--user-group",
                                   "--shell", "/usr/sbin/nologin"};
  std::string list;
  for (const unix_group* g : supplementary) {
    list += (list.empty() ? "" : ",") + g->name();
    groups_.push_back(g->gid());
  }
  if (!list.empty()) args.insert(args.end(), {"--groups", list});
  args.push_back(name_);
  if (run_retrying(args) != 0) throw std::runtime_error("useradd " + name_ + " failed");
  passwd* entry = ::getpwnam(name_.c_str());
  if (!entry) {
    run_retrying({"/usr/sbin/userdel", name_});
    throw std::runtime_error("no passwd entry for " + name_);
  }
  uid_ = entry->pw_uid;
  gid_ = entry->pw_gid;
}

unix_user::~unix_user() {
  run_retrying({"/usr/sbin/userdel", name_});
}

bool unix_user::become() const {
  return ::setgroups(groups_.size(), groups_.data()) == 0 && ::setresgid(gid_, gid_, gid_) == 0 &&
         ::setresuid(uid_, uid_, uid_) == 0;
}

user_process::user_process(const unix_user& user, const std::function<int()>& body) {
  start(&user, body);
}

user_process::user_process(const std::function<int()>& body) {
  start(nullptr, body);
}

void user_process::start(const unix_user* user, const std::function<int()>& body) {
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    if (user && !user->become()) ::_exit(126);
    ::_exit(body());
  }
  pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
}

int user_process::wait_exit(std::chrono::milliseconds timeout) {
  if (pid_ < 0) return -1;
  if (pidfd_ >= 0) {
    pollfd p{pidfd_, POLLIN, 0};
    int n;
    do {
      n = ::poll(&p, 1, static_cast<int>(timeout.count()));
    } while (n < 0 && errno == EINTR);
    if (n == 0) return -1;
  }
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0)
    if (errno != EINTR) break;
  pid_ = -1;
  if (pidfd_ >= 0) ::close(pidfd_);
  pidfd_ = -1;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
}

void user_process::kill_hard() {
  if (pid_ < 0) return;
  ::kill(pid_, SIGKILL);
  (void)wait_exit(std::chrono::milliseconds(-1));
}

user_process::~user_process() {
  kill_hard();
}

}  // namespace conduit::test
