// The soak's operator: starts the server and the clients, kills the server
// and the broker at random moments, and checks the logs at the end. Every
// wait is bounded by the run's deadline.
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "soak/soak.hpp"

extern char** environ;

namespace conduit::soak {
namespace {

using clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

constexpr const char* pipe_name = R"(\\.\pipe\conduit-soak)";

// A process this run started: its pid, and a pidfd to wait on it.
struct process {
  pid_t pid = -1;
  int pidfd = -1;
  int output = -1;  // its standard output, read when it has exited
};

std::string self_path() {
  char path[PATH_MAX] = {};
  ssize_t n = ::readlink("/proc/self/exe", path, sizeof(path) - 1);
  return n > 0 ? std::string(path, static_cast<std::size_t>(n)) : "conduit_soak";
}

std::string broker_path() {
  if (const char* path = std::getenv("CONDUIT_BROKER"); path && *path) return path;
  return (fs::path(self_path()).parent_path() / "conduitd").string();
}

// Starts `exe` (this program if empty) with `args`; its standard error
// goes to `errors`, its standard output to a pipe when `capture`.
process start(const std::vector<std::string>& args, const fs::path& errors, bool capture,
              std::string exe = {}) {
  process p;
  if (exe.empty()) exe = self_path();
  std::vector<std::string> all = {exe};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 2, errors.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                   0600);
  int out[2] = {-1, -1};
  if (capture && ::pipe2(out, O_CLOEXEC) == 0) {
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  } else {
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  }
  if (::posix_spawn(&p.pid, exe.c_str(), &actions, nullptr, argv.data(), environ) != 0) p.pid = -1;
  posix_spawn_file_actions_destroy(&actions);
  if (out[1] >= 0) ::close(out[1]);
  p.output = out[0];
  if (p.pid > 0) p.pidfd = static_cast<int>(::syscall(SYS_pidfd_open, p.pid, 0));
  return p;
}

// Kills a process of this run and reaps it; false if it would not go.
bool kill_and_reap(process& p) {
  if (p.pid <= 0) return true;
  ::kill(p.pid, SIGKILL);
  pollfd gone{p.pidfd, POLLIN, 0};
  bool ok = ::poll(&gone, 1, 10'000) == 1;
  int status;
  if (ok) ::waitpid(p.pid, &status, 0);
  ::close(p.pidfd);
  if (p.output >= 0) ::close(p.output);
  p = process{};
  return ok;
}

// Kills and reaps every process still below this one. A client killed
// while it started a session broker leaves that broker behind (this
// process, a subreaper, inherits it), and it must neither outlive the run
// nor write into its folder while the folder goes.
void kill_descendants() {
  for (int round = 0; round < 100; ++round) {
    std::vector<pid_t> pids;
    std::error_code ec;
    for (const auto& task : fs::directory_iterator("/proc/self/task", ec)) {
      std::ifstream children(task.path() / "children");
      pid_t pid;
      while (children >> pid) pids.push_back(pid);
    }
    if (pids.empty()) return;
    for (pid_t pid : pids) {
      int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
      if (pidfd < 0) continue;
      ::syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0);
      pollfd gone{pidfd, POLLIN, 0};
      if (::poll(&gone, 1, 10'000) == 1) ::waitpid(pid, nullptr, 0);
      ::close(pidfd);
    }
  }
}

std::string read_all(int fd) {
  std::string out;
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(fd, buffer, sizeof(buffer))) > 0)
    out.append(buffer, static_cast<std::size_t>(n));
  return out;
}

std::string tail_of(const fs::path& file) {
  std::ifstream in(file);
  std::string text{std::istreambuf_iterator<char>(in), {}};
  return text.size() > 400 ? text.substr(text.size() - 400) : text;
}

// Kills the broker serving `runtime`, if one is up: the library starts
// another when it next needs one. Only a process named conduitd is killed,
// never what a stale pid file names.
bool kill_broker(const fs::path& runtime) {
  std::ifstream in(runtime / "conduitd.pid");
  int pid = 0;
  if (!(in >> pid) || pid <= 0) return false;
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) return false;
  std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
  std::string name;
  comm >> name;
  bool killed = false;
  if (name == "conduitd") {
    fs::remove(runtime / "conduitd.pid");
    ::syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0);
    pollfd gone{pidfd, POLLIN, 0};
    killed = ::poll(&gone, 1, 10'000) == 1;
  }
  ::close(pidfd);
  return killed;
}

int random_between(std::mt19937_64& random, int low, int high) {
  return std::uniform_int_distribution<int>(low, high)(random);
}

}  // namespace

int run_soak(const soak_options& o) {
  auto started = clock::now();
  auto deadline = started + std::chrono::seconds(o.timeout_seconds);
  // Orphans of this run (see kill_descendants) become this process's.
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  std::uint64_t seed =
      o.seed ? o.seed : static_cast<std::uint64_t>(clock::now().time_since_epoch().count());
  std::mt19937_64 random(seed);
  char dir_template[] = "/tmp/conduit-soak-XXXXXX";
  if (!::mkdtemp(dir_template)) {
    std::perror("soak: work folder");
    return 1;
  }
  fs::path work = dir_template;
  fs::path runtime = work / "run";
  ::mkdir(runtime.c_str(), 0700);
  ::setenv("CONDUIT_RUNTIME_DIR", runtime.c_str(), 1);
  fs::path log = work / "server.log";
  // A system broker: this run starts it, and again after each kill; the
  // processes find no broker program to start one of their own.
  std::string system_broker = o.system_broker ? broker_path() : std::string();
  process broker;
  std::optional<clock::time_point> broker_restart;
  auto start_broker = [&] {
    broker = start({"--system", "--runtime-dir", runtime.string(), "--idle-exit", "0"},
                   work / "broker.err", false, system_broker);
  };
  if (o.system_broker) {
    ::setenv("CONDUIT_BROKER", (work / "no-broker-here").c_str(), 1);
    start_broker();
  }
  std::string instances = std::to_string(o.instances);
  auto start_server = [&] {
    return start({"server", pipe_name, log.string(), instances}, work / "server.err", false);
  };
  process server = start_server();
  std::vector<process> clients(static_cast<std::size_t>(o.clients));
  std::vector<int> codes(clients.size(), -1);
  std::map<std::string, int> errors;  // what clients retried after, summed
  int seconds = o.timeout_seconds;
  for (std::size_t i = 0; i < clients.size(); ++i) {
    std::string id = std::to_string(i);
    clients[i] = start({"client", pipe_name, id, std::to_string(o.requests),
                        (work / ("acks-" + id)).string(), std::to_string(seconds)},
                       work / ("client-" + id + ".err"), true);
  }
  auto next = [&](int low, int high) -> std::optional<clock::time_point> {
    if (high == 0) return std::nullopt;
    return clock::now() + std::chrono::milliseconds(random_between(random, low, high));
  };
  // The first kills are timed from the first logged request, so that they
  // fall among the requests however fast the processes start.
  std::optional<clock::time_point> server_kill, broker_kill;
  bool serving = false;
  int server_kills = 0, broker_kills = 0, server_deaths = 0;
  std::size_t running = clients.size();
  bool timed_out = false;
  while (running > 0) {
    auto now = clock::now();
    if (now >= deadline) {
      timed_out = true;
      break;
    }
    auto wake = deadline;
    if (!serving) {
      std::error_code ec;
      serving = fs::exists(log, ec) && fs::file_size(log, ec) > 0;
      if (serving) {
        auto first = [&](int low, int high) {
          return high == 0 ? std::nullopt : next(0, std::max(low, 1));
        };
        server_kill = first(o.server_kill_min_ms, o.server_kill_max_ms);
        broker_kill = first(o.broker_kill_min_ms, o.broker_kill_max_ms);
      } else {
        wake = std::min(wake, now + std::chrono::milliseconds(5));
      }
    }
    if (server_kill) wake = std::min(wake, *server_kill);
    if (broker_kill) wake = std::min(wake, *broker_kill);
    if (broker_restart) wake = std::min(wake, *broker_restart);
    std::vector<pollfd> fds;
    std::vector<std::size_t> which;
    for (std::size_t i = 0; i < clients.size(); ++i) {
      if (clients[i].pid <= 0) continue;
      fds.push_back({clients[i].pidfd, POLLIN, 0});
      which.push_back(i);
    }
    fds.push_back({server.pidfd, POLLIN, 0});
    auto wait_ms = std::chrono::duration_cast<std::chrono::milliseconds>(wake - now).count();
    ::poll(fds.data(), fds.size(), static_cast<int>(std::max<long long>(wait_ms, 0)));
    for (std::size_t k = 0; k + 1 < fds.size(); ++k) {
      if (!(fds[k].revents & POLLIN)) continue;
      process& c = clients[which[k]];
      int status = 0;
      ::waitpid(c.pid, &status, 0);
      codes[which[k]] = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      std::istringstream seen(read_all(c.output));
      std::string item;
      while (seen >> item) {
        std::size_t colon = item.find(':');
        if (colon != std::string::npos)
          errors[item.substr(0, colon)] += std::stoi(item.substr(colon + 1));
      }
      ::close(c.pidfd);
      ::close(c.output);
      c = process{};
      --running;
    }
    if (fds.back().revents & POLLIN) {
      // The server died without being killed: a fault, noted; it starts again.
      ++server_deaths;
      kill_and_reap(server);
      server = start_server();
    }
    now = clock::now();
    if (server_kill && now >= *server_kill) {
      kill_and_reap(server);
      ++server_kills;
      server = start_server();
      server_kill = next(o.server_kill_min_ms, o.server_kill_max_ms);
    }
    if (broker_kill && now >= *broker_kill) {
      if (!o.system_broker) {
        broker_kills += kill_broker(runtime);
      } else if (broker.pid > 0) {
        broker_kills += kill_and_reap(broker);
        broker_restart = next(0, 100);
      }
      broker_kill = next(o.broker_kill_min_ms, o.broker_kill_max_ms);
    }
    if (broker_restart && now >= *broker_restart) {
      start_broker();
      broker_restart.reset();
    }
  }
  for (auto& c : clients) kill_and_reap(c);
  kill_and_reap(server);
  if (o.system_broker)
    kill_and_reap(broker);
  else
    kill_broker(runtime);
  kill_descendants();
  double elapsed = std::chrono::duration<double>(clock::now() - started).count();

  // Every acknowledged request must be in the log.
  std::set<std::string> logged;
  std::size_t log_lines = 0;
  {
    std::ifstream in(log);
    std::string line;
    while (std::getline(in, line)) {
      logged.insert(line);
      ++log_lines;
    }
  }
  std::size_t acked = 0, missing = 0;
  std::vector<std::string> problems;
  for (std::size_t i = 0; i < clients.size(); ++i) {
    std::string id = std::to_string(i);
    std::ifstream in(work / ("acks-" + id));
    std::string seq;
    std::set<int> seqs;
    while (in >> seq) {
      ++acked;
      seqs.insert(std::stoi(seq));
      if (!logged.contains("c" + id + " " + seq)) {
        ++missing;
        problems.push_back("client " + id + ": request " + seq + " acknowledged, not logged");
      }
    }
    if (codes[i] != 0)
      problems.push_back("client " + id + ": exit " + std::to_string(codes[i]) + ": " +
                         tail_of(work / ("client-" + id + ".err")));
    else if (seqs.size() != static_cast<std::size_t>(o.requests))
      problems.push_back("client " + id + ": " + std::to_string(seqs.size()) + " acknowledged");
  }
  if (server_deaths > 0)
    problems.push_back("the server died " + std::to_string(server_deaths) +
                       " time(s) unkilled: " + tail_of(work / "server.err"));
  if (timed_out) problems.push_back("timed out after " + std::to_string(o.timeout_seconds) + " s");
  std::string retried;
  for (const auto& [error, count] : errors) retried += " " + error + ":" + std::to_string(count);
  std::printf(
      "soak: %d clients x %d requests, %d instances, %s broker, seed %llu: %zu acknowledged, "
      "%zu log lines "
      "(%zu distinct), %zu missing; server killed %d times, broker %d times; %.1f s; retries "
      "after (error:count)%s\n",
      o.clients, o.requests, o.instances, o.system_broker ? "system" : "session",
      static_cast<unsigned long long>(seed), acked, log_lines, logged.size(), missing, server_kills,
      broker_kills, elapsed, retried.c_str());
  for (const auto& p : problems) std::printf("soak: FAIL %s\n", p.c_str());
  if (!problems.empty() || o.keep) {
    std::printf("soak: work folder kept: %s\n", work.c_str());
  } else {
    std::error_code ec;
    fs::remove_all(work, ec);
    if (ec)
      std::printf("soak: work folder %s not removed: %s\n", work.c_str(), ec.message().c_str());
  }
  std::fflush(stdout);
  return problems.empty() ? 0 : 1;
}

}  // namespace conduit::soak
