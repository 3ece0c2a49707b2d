#include "support/thread_probe.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

namespace conduit::test {
namespace {

// The state letter (R, S, D, T, ...) from a stat line under /proc.
char state_in(const std::string& stat_path) {
  std::ifstream in(stat_path);
  std::string line;
  std::getline(in, line);
  // The command name may hold anything but ends at the last ')'.
  auto end = line.rfind(')');
  return end != std::string::npos && end + 2 < line.size() ? line[end + 2] : '?';
}

// The state letter of thread `tid` of this process.
char state_of(pid_t tid) {
  return state_in("/proc/self/task/" + std::to_string(tid) + "/stat");
}

// True when every thread of process `pid` is stopped now.
bool all_threads_stopped(pid_t pid) {
  std::error_code ec;
  std::filesystem::path tasks = "/proc/" + std::to_string(pid) + "/task";
  bool any = false;
  for (const auto& task : std::filesystem::directory_iterator(tasks, ec)) {
    any = true;
    if (state_in((task.path() / "stat").string()) != 'T') return false;
  }
  return any && !ec;
}

// The system call the thread is in, or -1 when it runs in user space.
long syscall_of(pid_t tid) {
  std::ifstream in("/proc/self/task/" + std::to_string(tid) + "/syscall");
  std::string first;
  in >> first;
  if (first.empty() || first == "running") return -1;
  try {
    return std::stol(first);
  } catch (...) {
    return -1;
  }
}

}  // namespace

pid_t this_thread_id() {
  return static_cast<pid_t>(::syscall(SYS_gettid));
}

bool blocked_in(pid_t tid, std::initializer_list<long> syscalls) {
  // Sleeping, and (read again after) still in the same call: settled there.
  long call = syscall_of(tid);
  return std::find(syscalls.begin(), syscalls.end(), call) != syscalls.end() &&
         state_of(tid) == 'S' && syscall_of(tid) == call;
}

bool wait_until_blocked_in(pid_t tid, std::initializer_list<long> syscalls,
                           std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (blocked_in(tid, syscalls)) return true;
    std::this_thread::yield();
  }
  return false;
}

bool wait_until_stopped(pid_t pid, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (all_threads_stopped(pid)) return true;
    std::this_thread::yield();
  }
  return false;
}

}  // namespace conduit::test
