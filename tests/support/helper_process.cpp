#include "support/helper_process.hpp"

#include "support/line_reader.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "support/broker_process.hpp"
#include "support/unix_user.hpp"

extern char** environ;

namespace conduit::test {
namespace {

std::string helper_path() {
  return beside_self("conduit_test_helper");
}

}  // namespace

helper_process::helper_process(std::vector<std::string> args, uid_t as_uid) {
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe2 failed";
    return;
  }
  std::string path = helper_path();
  args.insert(args.begin(), path);
  if (as_uid != static_cast<uid_t>(-1)) {
    std::string id = std::to_string(as_uid);
    args.insert(args.begin() + 1, {"--become", id + ":" + id + ":-"});
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  int rc = ::posix_spawn(&pid_, path.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(in[0]);
  ::close(out[1]);
  to_child_ = in[1];
  from_child_ = out[0];
  if (rc != 0) {
    ADD_FAILURE() << "cannot start " << path;
    pid_ = -1;
  }
}

helper_process::helper_process(const unix_user& user, const std::vector<std::string>& env) {
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe2 failed";
    return;
  }
  // Everything the child needs is made before fork: after it, only system calls.
  std::string path = helper_path();
  std::vector<std::string> vars = env;
  for (char** e = environ; *e; ++e) vars.emplace_back(*e);
  std::vector<char*> envp;
  for (auto& v : vars) envp.push_back(v.data());
  envp.push_back(nullptr);
  // The helper becomes the user itself, once loaded: the build folder need
  // not be reachable by the user.
  std::string groups;
  for (gid_t g : user.groups()) groups += (groups.empty() ? "" : ",") + std::to_string(g);
  std::string become = std::to_string(user.uid()) + ":" + std::to_string(user.gid()) + ":" +
                       (groups.empty() ? "-" : groups);
  char become_flag[] = "--become";
  char* argv[] = {path.data(), become_flag, become.data(), nullptr};
  pid_ = ::fork();
  if (pid_ == 0) {
    if (::dup2(in[0], 0) < 0 || ::dup2(out[1], 1) < 0) ::_exit(126);
    ::execve(argv[0], argv, envp.data());
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  to_child_ = in[1];
  from_child_ = out[0];
  if (pid_ < 0) ADD_FAILURE() << "cannot fork for " << path;
}

helper_process::~helper_process() {
  if (to_child_ >= 0) ::close(to_child_);  // the helper exits at end of input
  if (pid_ > 0 && wait_exit(std::chrono::seconds(10)) == -1) {
    kill_hard();
  }
  if (from_child_ >= 0) ::close(from_child_);
}

void helper_process::send(const std::string& command) {
  std::string line = command + "\n";
  if (::write(to_child_, line.data(), line.size()) != static_cast<ssize_t>(line.size()))
    ADD_FAILURE() << "helper " << pid_ << " did not take: " << command;
}

std::string helper_process::next_line(std::chrono::steady_clock::time_point deadline) {
  std::string line;
  switch (next_line_from(from_child_, buffered_, line, deadline)) {
    case line_result::line:
      return line;
    case line_result::timeout:
      ADD_FAILURE() << "helper " << pid_ << " gave no answer in time";
      return "timeout";
    case line_result::eof:
      break;
  }
  return "eof";
}

// Answers of both kinds may arrive in any order: each is kept for its reader.
std::string helper_process::answer(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (foreground_.empty()) {
    std::string line = next_line(deadline);
    if (line == "timeout" || line == "eof") return line;
    (line.rfind("& ", 0) == 0 ? background_ : foreground_).push_back(line);
  }
  std::string line = foreground_.front();
  foreground_.erase(foreground_.begin());
  return line;
}

std::string helper_process::background_answer(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (background_.empty()) {
    std::string line = next_line(deadline);
    if (line == "timeout" || line == "eof") return line;
    (line.rfind("& ", 0) == 0 ? background_ : foreground_).push_back(line);
  }
  std::string line = background_.front().substr(2);
  background_.erase(background_.begin());
  return line;
}

std::string helper_process::call(const std::string& command, std::chrono::milliseconds timeout) {
  send(command);
  return answer(timeout);
}

void helper_process::kill_hard() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    wait_exit(std::chrono::seconds(10));
  }
}

int helper_process::wait_exit(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return -1;
  // A pidfd makes the wait bounded without polling.
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
  if (pidfd >= 0) {
    pollfd p{pidfd, POLLIN, 0};
    int ready = ::poll(&p, 1, static_cast<int>(timeout.count()));
    ::close(pidfd);
    if (ready <= 0) return -1;
  }
  int status = 0;
  if (::waitpid(pid_, &status, 0) != pid_) return -1;
  pid_ = -1;
  return status;
}

}  // namespace conduit::test
