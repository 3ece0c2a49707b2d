#include "bench_support.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

extern char** environ;

namespace conduit_bench {
namespace {

constexpr int helper_ready_timeout_ms = 10'000;
constexpr int exit_timeout_ms = 5'000;

int pidfd_open(pid_t pid) {
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}

// Waits up to `timeout_ms` for the process behind `pidfd` to end.
bool wait_pidfd(int pidfd, int timeout_ms) {
  pollfd p{pidfd, POLLIN, 0};
  int n;
  do {
    n = ::poll(&p, 1, timeout_ms);
  } while (n < 0 && errno == EINTR);
  return n == 1;
}

std::string read_first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// Stops the broker the library started in `dir`, checking through a pidfd
// that the pid still names a conduitd before signalling it.
void stop_broker(const std::string& dir) {
  std::string text = read_first_line(dir + "/conduitd.pid");
  char* end = nullptr;
  long pid = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end || pid <= 1) return;
  int pidfd = pidfd_open(static_cast<pid_t>(pid));
  if (pidfd < 0) return;  // already gone
  if (read_first_line("/proc/" + text + "/comm") == "conduitd" &&
      ::syscall(SYS_pidfd_send_signal, pidfd, SIGTERM, nullptr, 0) == 0 &&
      !wait_pidfd(pidfd, exit_timeout_ms))
    ::syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0);
  ::close(pidfd);
}

std::string self_executable() {
  char path[PATH_MAX] = {};
  ssize_t n = ::readlink("/proc/self/exe", path, sizeof(path) - 1);
  return n > 0 ? std::string(path, static_cast<std::size_t>(n)) : std::string("/proc/self/exe");
}

// The watchdog: one thread, one deadline at a time.
struct watchdog_state {
  std::mutex mutex;
  std::condition_variable changed;
  std::optional<std::chrono::steady_clock::time_point> deadline;
  std::string what;
  std::string runtime_dir;  // to stop its broker when giving up
  bool started = false;
};

watchdog_state& watchdog() {
  static auto* state = new watchdog_state();  // never destroyed: its thread outlives main
  return *state;
}

void watchdog_loop() {
  auto& w = watchdog();
  std::unique_lock lock(w.mutex);
  for (;;) {
    if (!w.deadline) {
      w.changed.wait(lock);
      continue;
    }
    auto deadline = *w.deadline;
    if (w.changed.wait_until(lock, deadline) == std::cv_status::timeout && w.deadline == deadline) {
      std::fprintf(stderr, "conduit_bench: %s did not finish in time; giving up\n", w.what.c_str());
      // Helpers exit when our end of their control socket closes with us.
      if (!w.runtime_dir.empty()) stop_broker(w.runtime_dir);
      std::_Exit(3);
    }
  }
}

}  // namespace

runtime_session::runtime_session() {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/conduit-bench.XXXXXX";
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (!::mkdtemp(buffer.data())) {
    std::perror("conduit_bench: mkdtemp");
    std::exit(1);
  }
  dir_ = buffer.data();
  // Inherited by the helpers, so both sides find the same private broker.
  ::setenv("CONDUIT_RUNTIME_DIR", dir_.c_str(), 1);
  std::lock_guard lock(watchdog().mutex);
  watchdog().runtime_dir = dir_;
}

runtime_session::~runtime_session() {
  stop_broker(dir_);
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

bool helper_process::start(std::string_view mode, std::string_view arg, int data_fd,
                           std::string& error, int cpu) {
  stop();
  int control[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, control) != 0) {
    error = "socketpair failed";
    return false;
  }
  // Moved above the numbers they are dup2'ed to, so no dup2 overwrites the
  // other's source or lands on itself (which would keep close-on-exec).
  int child_control = ::fcntl(control[1], F_DUPFD_CLOEXEC, 16);
  ::close(control[1]);
  int child_data = data_fd >= 0 ? ::fcntl(data_fd, F_DUPFD_CLOEXEC, 16) : -1;

  std::string exe = self_executable();
  std::vector<std::string> args = {exe, "--helper", std::string(mode), std::string(arg),
                                   std::to_string(cpu)};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, child_control, helper_control_fd);
  if (child_data >= 0) posix_spawn_file_actions_adddup2(&actions, child_data, helper_data_fd);
  posix_spawn_file_actions_addclosefrom_np(&actions, helper_data_fd + 1);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, exe.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(child_control);
  if (child_data >= 0) ::close(child_data);
  if (rc != 0) {
    ::close(control[0]);
    error = "posix_spawn failed";
    return false;
  }
  pid_ = pid;
  control_ = control[0];

  pollfd p{control_, POLLIN, 0};
  int n;
  do {
    n = ::poll(&p, 1, helper_ready_timeout_ms);
  } while (n < 0 && errno == EINTR);
  char byte = 0;
  if (n == 1 && ::read(control_, &byte, 1) == 1 && byte == 'R') return true;
  error = "helper '" + std::string(mode) + "' did not start (see its message above)";
  stop();
  return false;
}

void helper_process::stop() {
  if (control_ >= 0) ::close(control_);  // the helper's signal to exit
  control_ = -1;
  if (pid_ < 0) return;
  int pidfd = pidfd_open(pid_);
  if (pidfd < 0 || !wait_pidfd(pidfd, exit_timeout_ms)) ::kill(pid_, SIGKILL);
  if (pidfd >= 0) ::close(pidfd);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

watchdog_scope::watchdog_scope(std::string_view what, std::chrono::seconds limit) {
  auto& w = watchdog();
  std::lock_guard lock(w.mutex);
  if (!w.started) {
    std::thread(watchdog_loop).detach();
    w.started = true;
  }
  w.what = std::string(what);
  w.deadline = std::chrono::steady_clock::now() + limit;
  w.changed.notify_one();
}

watchdog_scope::~watchdog_scope() {
  auto& w = watchdog();
  std::lock_guard lock(w.mutex);
  w.deadline.reset();
  w.changed.notify_one();
}

namespace {
std::string proc_path(pid_t pid, const char* entry) {
  return "/proc/" + (pid ? std::to_string(pid) : std::string("self")) + "/" + entry;
}
}  // namespace

int int_option(const char* arg, const char* name, int fallback) {
  std::size_t len = std::strlen(name);
  if (std::strncmp(arg, name, len) == 0 && arg[len] == '=') return std::atoi(arg + len + 1);
  return fallback;
}

long resident_kib(pid_t pid) {
  std::ifstream in(proc_path(pid, "status"));
  for (std::string line; std::getline(in, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

int descriptor_count(pid_t pid) {
  DIR* dir = ::opendir(proc_path(pid, "fd").c_str());
  if (!dir) return -1;
  int count = 0;
  while (dirent* entry = ::readdir(dir)) count += entry->d_name[0] != '.';
  ::closedir(dir);
  return pid ? count : count - 1;  // not the directory stream's own
}

std::string cpu_model() {
  std::ifstream info("/proc/cpuinfo");
  std::string line;
  while (std::getline(info, line)) {
    if (line.rfind("model name", 0) != 0) continue;
    auto colon = line.find(':');
    auto start = colon == std::string::npos ? colon : line.find_first_not_of(' ', colon + 1);
    if (start != std::string::npos) return line.substr(start);
  }
  return "unknown CPU";
}

std::optional<std::pair<int, int>> two_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof(set), &set) != 0) return std::nullopt;
  std::vector<int> cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE && cpus.size() < 2; ++cpu)
    if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
  if (cpus.size() < 2) return std::nullopt;
  return std::pair(cpus[0], cpus[1]);
}

cpu_pin_scope::cpu_pin_scope(int cpu) {
  if (cpu < 0 || ::sched_getaffinity(0, sizeof(saved_), &saved_) != 0) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  pinned_ = ::sched_setaffinity(0, sizeof(set), &set) == 0;
}

cpu_pin_scope::~cpu_pin_scope() {
  if (pinned_) ::sched_setaffinity(0, sizeof(saved_), &saved_);
}

// The same loops as conduit's own stream I/O (src/runtime/stream_io.cpp), so
// the baseline pays for what conduit pays for at the system-call level.
std::size_t raw_end::read(std::span<std::byte> buffer, std::error_code& ec) noexcept {
  ec.clear();
  for (;;) {
    ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
    if (n > 0) return static_cast<std::size_t>(n);
    if (n == 0) {
      ec = std::make_error_code(std::errc::broken_pipe);
      return 0;
    }
    if (errno != EINTR) {
      ec = std::error_code(errno, std::generic_category());
      return 0;
    }
  }
}

std::size_t raw_end::write(std::span<const std::byte> data, std::error_code& ec) noexcept {
  ec.clear();
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n >= 0) {
      done += static_cast<std::size_t>(n);
    } else if (errno != EINTR) {
      ec = std::error_code(errno, std::generic_category());
      break;
    }
  }
  return done;
}

}  // namespace conduit_bench
