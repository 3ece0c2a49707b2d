// connection_scale_bench: what 10,000 connected pipe clients cost. A
// one-thread overlapped echo server (bench/overlapped_echo_server.hpp, one
// completion port) holds N connected instances, spread over names of 250;
// this process holds the N clients and echoes a request on every one.
// Printed: resident memory (VmRSS) and descriptors per idle connection of
// the server, the broker and the client process, and the time of one
// connect (CreateFile) to a small probe server while the N connections
// exist, against the same on an idle broker, both medians.
//
//   connection_scale_bench [--connections=N] [--probes=P] [--rounds=R]
//
// The servers are forked before this process touches the library; the big
// one waits to be told before it creates its instances, so that the idle
// figures are taken first. 10,000 connections need a descriptor limit of
// about 41,000 (the server holds 4 per listening instance, the broker is
// charged 2 per instance: docs/broker.md); raising the hard limit needs
// CAP_SYS_RESOURCE.
#include <windows.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "bench_support.hpp"
#include "overlapped_echo_server.hpp"

namespace {

using clock_type = std::chrono::steady_clock;

int connections = 10000;
int probes = 300;
int rounds = 3;

volatile std::sig_atomic_t stop_requested = 0;
void on_term(int) {
  stop_requested = 1;
}

conduit_bench::echo_server_options big_options() {
  conduit_bench::echo_server_options options;
  options.prefix = "\\\\.\\pipe\\connection-scale-";
  options.instances = connections;
  options.per_name = 250;
  return options;
}

conduit_bench::echo_server_options probe_options() {
  conduit_bench::echo_server_options options;
  options.prefix = "\\\\.\\pipe\\connection-scale-probe-";
  options.instances = 4;
  options.per_name = 4;
  return options;
}

// A forked server. It writes "base <KiB> <descriptors>" before it creates
// anything, waits for a byte on `go` if asked to, then "ready" once every
// instance listens; on SIGTERM it stops.
struct server_child {
  pid_t pid = -1;
  int lines = -1;  // its reports
  int go = -1;     // a byte here lets it create its instances
  long base_kib = 0;
  int base_fds = 0;
};

void say(int fd, const std::string& text) {
  (void)!::write(fd, text.data(), text.size());
}

std::string read_line(int fd, int timeout_ms) {
  std::string line;
  char c;
  while (line.size() < 200) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) != 1 || ::read(fd, &c, 1) != 1) return "";
    if (c == '\n') return line;
    line += c;
  }
  return line;
}

server_child fork_server(const conduit_bench::echo_server_options& options, bool wait_for_go) {
  int report[2], go[2];
  if (::pipe2(report, O_CLOEXEC) != 0 || ::pipe2(go, O_CLOEXEC) != 0) return {};
  pid_t pid = ::fork();
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    struct sigaction sa {};
    sa.sa_handler = on_term;
    ::sigaction(SIGTERM, &sa, nullptr);
    ::close(report[0]);
    ::close(go[1]);
    say(report[1], "base " + std::to_string(conduit_bench::resident_kib(0)) + " " +
                       std::to_string(conduit_bench::descriptor_count(0)) + "\n");
    char c;
    if (wait_for_go && ::read(go[0], &c, 1) != 1) ::_exit(1);
    conduit_bench::echo_server_counts counts;
    bool ok = conduit_bench::run_echo_server(
        options, stop_requested, [](void* fd) { say(*static_cast<int*>(fd), "ready\n"); },
        &report[1], counts);
    std::fflush(nullptr);
    ::_exit(!ok ? 1 : counts.errors ? 2 : 0);
  }
  ::close(report[1]);
  ::close(go[0]);
  server_child child{pid, report[0], go[1]};
  std::string base = read_line(child.lines, 10'000);
  std::sscanf(base.c_str(), "base %ld %d", &child.base_kib, &child.base_fds);
  return child;
}

bool wait_ready(const server_child& child, int timeout_ms) {
  return read_line(child.lines, timeout_ms) == "ready";
}

int stop_server(const server_child& child) {
  ::kill(child.pid, SIGTERM);
  int status = 0;
  ::waitpid(child.pid, &status, 0);
  return status;
}

// Median time of one CreateFile to the probe server, in microseconds.
double connect_time_us(int count) {
  std::vector<double> times;
  auto options = probe_options();
  std::string name = conduit_bench::echo_pipe_name(options, 0);
  for (int i = 0; i < count; ++i) {
    auto t0 = clock_type::now();
    HANDLE h = conduit_bench::open_echo_client(name);
    auto t1 = clock_type::now();
    if (h == INVALID_HANDLE_VALUE) {
      std::fprintf(stderr, "probe connect: %u\n", GetLastError());
      return -1;
    }
    CloseHandle(h);
    times.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

int broker_pid(const std::string& dir) {
  std::ifstream in(dir + "/conduitd.pid");
  int pid = 0;
  in >> pid;
  return pid;
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    connections = conduit_bench::int_option(argv[i], "--connections", connections);
    probes = conduit_bench::int_option(argv[i], "--probes", probes);
    rounds = conduit_bench::int_option(argv[i], "--rounds", rounds);
  }
  if (connections < 1 || probes < 1 || rounds < 0) {
    std::fprintf(stderr, "usage: %s [--connections=N] [--probes=P] [--rounds=R]\n", argv[0]);
    return 1;
  }
  // Inherited by the servers and the broker the library starts.
  rlimit lim{};
  ::getrlimit(RLIMIT_NOFILE, &lim);
  // The server holds 4 descriptors per listening instance, the client 3.
  auto needed = static_cast<rlim_t>(connections) * 4 + 4096;
  if (lim.rlim_max < needed) lim.rlim_max = needed;
  lim.rlim_cur = lim.rlim_max;
  if (::setrlimit(RLIMIT_NOFILE, &lim) != 0) {
    ::getrlimit(RLIMIT_NOFILE, &lim);
    lim.rlim_cur = lim.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &lim);
    std::fprintf(
        stderr,
        "connection_scale_bench: descriptor limit %llu (a higher one needs CAP_SYS_RESOURCE)\n",
        static_cast<unsigned long long>(lim.rlim_max));
  }
  ::signal(SIGPIPE, SIG_IGN);

  conduit_bench::runtime_session session;
  conduit_bench::watchdog_scope watchdog("connection_scale_bench", std::chrono::seconds(600));

  server_child probe = fork_server(probe_options(), false);
  if (probe.pid < 0 || !wait_ready(probe, 30'000)) return 1;
  server_child big = fork_server(big_options(), true);
  if (big.pid < 0) return 1;
  int broker = broker_pid(session.dir());
  if (broker <= 0) {
    std::fprintf(stderr, "connection_scale_bench: no broker\n");
    return 1;
  }

  // Idle: the broker holds the probe's 4 instances only.
  double idle_connect = connect_time_us(probes);
  long broker_kib0 = conduit_bench::resident_kib(broker);
  int broker_fds0 = conduit_bench::descriptor_count(broker);
  long client_kib0 = conduit_bench::resident_kib(0);
  int client_fds0 = conduit_bench::descriptor_count(0);

  auto t0 = clock_type::now();
  say(big.go, "G");
  if (!wait_ready(big, 300'000)) return 1;
  auto t1 = clock_type::now();
  long server_kib1 = conduit_bench::resident_kib(big.pid);
  long broker_kib1 = conduit_bench::resident_kib(broker);
  int server_fds1 = conduit_bench::descriptor_count(big.pid);
  int broker_fds1 = conduit_bench::descriptor_count(broker);

  std::vector<HANDLE> clients;
  auto options = big_options();
  for (int i = 0; i < connections; ++i) {
    HANDLE h = conduit_bench::open_echo_client(conduit_bench::echo_pipe_name(options, i));
    if (h == INVALID_HANDLE_VALUE) {
      std::fprintf(stderr, "client #%d: %u\n", i, GetLastError());
      return 1;
    }
    clients.push_back(h);
  }
  auto t2 = clock_type::now();

  // Every connection echoes, then all sit idle while they are measured.
  bool failed = false;
  auto t3 = clock_type::now();
  auto request_of = [](int connection, int round) {
    std::array<char, 64> r{};
    std::snprintf(r.data(), r.size(), "connection %d round %d", connection, round);
    return r;
  };
  for (int r = 0; r < rounds && !failed; ++r) {
    for (int i = 0; i < connections; ++i) {
      auto request = request_of(i, r);
      failed |= !conduit_bench::write_all(clients[i], request.data(), request.size());
    }
    for (int i = 0; i < connections && !failed; ++i) {
      std::array<char, 64> reply{};
      failed |= !conduit_bench::read_all(clients[i], reply.data(), reply.size()) ||
                reply != request_of(i, r);
    }
  }
  auto t4 = clock_type::now();
  if (failed) std::fprintf(stderr, "connection_scale_bench: an echo failed or was wrong\n");

  long server_kib2 = conduit_bench::resident_kib(big.pid);
  long broker_kib2 = conduit_bench::resident_kib(broker);
  long client_kib2 = conduit_bench::resident_kib(0);
  int server_fds2 = conduit_bench::descriptor_count(big.pid);
  int broker_fds2 = conduit_bench::descriptor_count(broker);
  int client_fds2 = conduit_bench::descriptor_count(0);
  double busy_connect = connect_time_us(probes);

  auto ms = [](auto d) { return std::chrono::duration<double, std::milli>(d).count(); };
  double n = connections;
  std::printf("%s, %d connections on one server thread (%d names), RLIMIT_NOFILE %llu\n",
              conduit_bench::cpu_model().c_str(), connections, (connections + 249) / 250,
              static_cast<unsigned long long>(lim.rlim_cur));
  std::printf(
      "create %d instances: %.0f ms; connect them all: %.0f ms; %d echo rounds: %.0f ms "
      "(%.0f req/s)\n",
      connections, ms(t1 - t0), ms(t2 - t1), rounds, ms(t4 - t3),
      rounds * n / std::chrono::duration<double>(t4 - t3).count());
  std::printf("\n| per idle connection | resident memory | descriptors |\n| --- | --- | --- |\n");
  std::printf("| server (one thread, IOCP) | %.2f KiB | %.2f |\n", (server_kib2 - big.base_kib) / n,
              (server_fds2 - big.base_fds) / n);
  std::printf("| of which listening instances | %.2f KiB | %.2f |\n",
              (server_kib1 - big.base_kib) / n, (server_fds1 - big.base_fds) / n);
  std::printf("| broker | %.2f KiB | %.2f |\n", (broker_kib2 - broker_kib0) / n,
              (broker_fds2 - broker_fds0) / n);
  std::printf("| broker, while listening | %.2f KiB | %.2f |\n", (broker_kib1 - broker_kib0) / n,
              (broker_fds1 - broker_fds0) / n);
  std::printf("| client process | %.2f KiB | %.2f |\n", (client_kib2 - client_kib0) / n,
              (client_fds2 - client_fds0) / n);
  std::printf("\n| one connect (CreateFile), median of %d | time |\n| --- | --- |\n", probes);
  std::printf("| idle broker | %.1f us |\n", idle_connect);
  std::printf("| with %d connections | %.1f us |\n", connections, busy_connect);
  std::printf("| ratio | %.2f |\n", busy_connect / idle_connect);

  for (HANDLE h : clients) CloseHandle(h);
  int bs = stop_server(big);
  int ps = stop_server(probe);
  if (!WIFEXITED(bs) || WEXITSTATUS(bs) != 0 || !WIFEXITED(ps) || WEXITSTATUS(ps) != 0) {
    std::fprintf(stderr, "connection_scale_bench: server exit status %d, probe %d\n", bs, ps);
    failed = true;
  }
  return failed || idle_connect < 0 || busy_connect < 0 ? 1 : 0;
}
