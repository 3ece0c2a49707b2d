// connection_scale_bench: what 10,000 connected pipe clients cost. A
// one-thread overlapped echo server (bench/overlapped_echo_server.hpp, one
// completion port) holds N connected instances of one pipe name created
// with PIPE_UNLIMITED_INSTANCES, keeping a few (--listening) listening and
// creating the next as each client connects; K client processes
// (--client-processes) hold the N clients and echo a request on every one.
// Printed: resident memory (VmRSS) and descriptors per idle connection of
// the server, the broker and the client processes, and the time of one
// connect (CreateFile) to a small probe server while the N connections
// exist, against the same on an idle broker, both medians.
//
//   connection_scale_bench [--connections=N] [--listening=P] [--client-processes=K]
//                          [--probes=P] [--rounds=R]
//
// The servers and the client processes are forked before this process
// touches the library; the big server waits to be told before it creates
// its instances, so that the idle figures are taken first. The server
// holds 1 descriptor per connected instance and 2 per listening one, the
// broker the same (docs/benchmarks.md), a client 2 per connection: 10,000
// connections fit a limit of 20,000 with the clients in two processes or
// more.
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
int listening = 256;
int client_processes = 0;  // 0: one per 4,000 connections
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
  options.per_name = connections;  // one name, PIPE_UNLIMITED_INSTANCES
  options.listening = listening;
  return options;
}

conduit_bench::echo_server_options probe_options() {
  conduit_bench::echo_server_options options;
  options.prefix = "\\\\.\\pipe\\connection-scale-probe-";
  options.instances = 4;
  options.per_name = 4;
  return options;
}

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

// A forked child: it writes "base <KiB> <descriptors>" before it touches
// the library, then reads one-letter commands on `go` and answers each
// with a line.
struct child {
  pid_t pid = -1;
  int lines = -1;  // its reports
  int go = -1;     // its commands
  long base_kib = 0;
  int base_fds = 0;
};

template <typename Body>
child fork_child(Body body) {
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
    int status = body(go[0], report[1]);
    std::fflush(nullptr);
    ::_exit(status);
  }
  ::close(report[1]);
  ::close(go[0]);
  child c{pid, report[0], go[1]};
  std::string base = read_line(c.lines, 10'000);
  std::sscanf(base.c_str(), "base %ld %d", &c.base_kib, &c.base_fds);
  return c;
}

// A server: waits for "G" if asked to, then says "ready" once its first
// instances listen; on SIGTERM it stops.
child fork_server(const conduit_bench::echo_server_options& options, bool wait_for_go) {
  return fork_child([options, wait_for_go](int go, int report) {
    char c;
    if (wait_for_go && ::read(go, &c, 1) != 1) return 1;
    conduit_bench::echo_server_counts counts;
    bool ok = conduit_bench::run_echo_server(
        options, stop_requested, [](void* fd) { say(*static_cast<int*>(fd), "ready\n"); }, &report,
        counts);
    return !ok ? 1 : counts.errors ? 2 : 0;
  });
}

std::array<char, 64> request_of(int connection, int round) {
  std::array<char, 64> r{};
  std::snprintf(r.data(), r.size(), "connection %d round %d", connection, round);
  return r;
}

// A client process with connections [first, first + count): "C" connects
// them all ("connected" or "failed"), "E" echoes `rounds` rounds on each
// ("echoed" or "failed"), "M" reports "mem <KiB> <descriptors>", "Q" closes
// them and exits.
child fork_clients(int first, int count) {
  return fork_child([first, count](int go, int report) {
    std::vector<HANDLE> clients;
    std::string name = conduit_bench::echo_pipe_name(big_options(), 0);
    char command;
    while (::read(go, &command, 1) == 1) {
      if (command == 'C') {
        for (int i = 0; i < count; ++i) {
          HANDLE h = conduit_bench::open_echo_client(name, 1000);
          if (h == INVALID_HANDLE_VALUE) {
            std::fprintf(stderr, "client #%d: %u\n", first + i, GetLastError());
            break;
          }
          clients.push_back(h);
        }
        say(report, clients.size() == static_cast<std::size_t>(count) ? "connected\n" : "failed\n");
      } else if (command == 'E') {
        bool failed = false;
        for (int r = 0; r < rounds && !failed; ++r) {
          for (int i = 0; i < count && !failed; ++i) {
            auto request = request_of(first + i, r);
            failed |= !conduit_bench::write_all(clients[i], request.data(), request.size());
          }
          for (int i = 0; i < count && !failed; ++i) {
            std::array<char, 64> reply{};
            failed |= !conduit_bench::read_all(clients[i], reply.data(), reply.size()) ||
                      reply != request_of(first + i, r);
          }
        }
        say(report, failed ? "failed\n" : "echoed\n");
      } else if (command == 'M') {
        say(report, "mem " + std::to_string(conduit_bench::resident_kib(0)) + " " +
                        std::to_string(conduit_bench::descriptor_count(0)) + "\n");
      } else {
        break;
      }
    }
    for (HANDLE h : clients) CloseHandle(h);
    return 0;
  });
}

// Sends `command` to every child, then waits for each one's answer: true
// if every answer is `expected`.
bool all_answer(const std::vector<child>& children, const char* command,
                const std::string& expected, int timeout_ms) {
  for (const auto& c : children) say(c.go, command);
  bool ok = true;
  for (const auto& c : children) ok &= read_line(c.lines, timeout_ms) == expected;
  return ok;
}

int stop_child(const child& c) {
  ::kill(c.pid, SIGTERM);
  int status = 0;
  ::waitpid(c.pid, &status, 0);
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
    listening = conduit_bench::int_option(argv[i], "--listening", listening);
    client_processes = conduit_bench::int_option(argv[i], "--client-processes", client_processes);
    probes = conduit_bench::int_option(argv[i], "--probes", probes);
    rounds = conduit_bench::int_option(argv[i], "--rounds", rounds);
  }
  if (client_processes <= 0) client_processes = (connections + 3999) / 4000;
  if (connections < 1 || listening < 1 || client_processes > connections || probes < 1 ||
      rounds < 0) {
    std::fprintf(stderr,
                 "usage: %s [--connections=N] [--listening=P] [--client-processes=K] "
                 "[--probes=P] [--rounds=R]\n",
                 argv[0]);
    return 1;
  }
  listening = std::min(listening, connections);
  // Inherited by the servers, the clients and the broker the library
  // starts: the hard limit, which only CAP_SYS_RESOURCE may raise.
  rlimit lim{};
  ::getrlimit(RLIMIT_NOFILE, &lim);
  lim.rlim_cur = lim.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &lim);
  ::signal(SIGPIPE, SIG_IGN);

  conduit_bench::runtime_session session;
  conduit_bench::watchdog_scope watchdog("connection_scale_bench", std::chrono::seconds(600));

  std::vector<child> client_children;
  for (int k = 0; k < client_processes; ++k) {
    int first = static_cast<int>(static_cast<long>(connections) * k / client_processes);
    int next = static_cast<int>(static_cast<long>(connections) * (k + 1) / client_processes);
    client_children.push_back(fork_clients(first, next - first));
    if (client_children.back().pid < 0) return 1;
  }
  child probe = fork_server(probe_options(), false);
  if (probe.pid < 0 || read_line(probe.lines, 30'000) != "ready") return 1;
  child big = fork_server(big_options(), true);
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

  auto t0 = clock_type::now();
  say(big.go, "G");
  if (read_line(big.lines, 300'000) != "ready") return 1;
  auto t1 = clock_type::now();
  long server_kib1 = conduit_bench::resident_kib(big.pid);
  long broker_kib1 = conduit_bench::resident_kib(broker);
  int server_fds1 = conduit_bench::descriptor_count(big.pid);
  int broker_fds1 = conduit_bench::descriptor_count(broker);

  bool failed = !all_answer(client_children, "C", "connected", 300'000);
  auto t2 = clock_type::now();
  // Every connection echoes, then all sit idle while they are measured.
  if (!failed) failed = !all_answer(client_children, "E", "echoed", 300'000);
  auto t3 = clock_type::now();
  if (failed) std::fprintf(stderr, "connection_scale_bench: a connect or an echo failed\n");

  long server_kib2 = conduit_bench::resident_kib(big.pid);
  long broker_kib2 = conduit_bench::resident_kib(broker);
  int server_fds2 = conduit_bench::descriptor_count(big.pid);
  int broker_fds2 = conduit_bench::descriptor_count(broker);
  long client_kib = 0;
  long client_fds = 0;
  for (const auto& c : client_children) {
    say(c.go, "M");
    long kib = 0;
    int fds = 0;
    std::sscanf(read_line(c.lines, 10'000).c_str(), "mem %ld %d", &kib, &fds);
    client_kib += kib - c.base_kib;
    client_fds += fds - c.base_fds;
  }
  double busy_connect = failed ? -1 : connect_time_us(probes);

  auto ms = [](auto d) { return std::chrono::duration<double, std::milli>(d).count(); };
  double n = connections;
  double p = listening;
  std::printf(
      "%s, %d connections on one server thread (one name, %d listening at a time), %d client "
      "processes, RLIMIT_NOFILE %llu\n",
      conduit_bench::cpu_model().c_str(), connections, listening, client_processes,
      static_cast<unsigned long long>(lim.rlim_cur));
  std::printf(
      "create %d instances: %.0f ms; connect all (creating the rest): %.0f ms; %d echo "
      "rounds: %.0f ms (%.0f req/s)\n",
      listening, ms(t1 - t0), ms(t2 - t1), rounds, ms(t3 - t2),
      rounds * n / std::chrono::duration<double>(t3 - t2).count());
  std::printf("\n| per idle connection | resident memory | descriptors |\n| --- | --- | --- |\n");
  std::printf("| server (one thread, IOCP) | %.2f KiB | %.2f |\n", (server_kib2 - big.base_kib) / n,
              (server_fds2 - big.base_fds) / n);
  std::printf("| broker | %.2f KiB | %.2f |\n", (broker_kib2 - broker_kib0) / n,
              (broker_fds2 - broker_fds0) / n);
  std::printf("| client processes | %.2f KiB | %.2f |\n", client_kib / n, client_fds / n);
  std::printf(
      "\n| per listening instance (the first %d) | resident memory | descriptors |\n"
      "| --- | --- | --- |\n",
      listening);
  std::printf("| server | %.2f KiB | %.2f |\n", (server_kib1 - big.base_kib) / p,
              (server_fds1 - big.base_fds) / p);
  std::printf("| broker | %.2f KiB | %.2f |\n", (broker_kib1 - broker_kib0) / p,
              (broker_fds1 - broker_fds0) / p);
  std::printf("\n| one connect (CreateFile), median of %d | time |\n| --- | --- |\n", probes);
  std::printf("| idle broker | %.1f us |\n", idle_connect);
  std::printf("| with %d connections | %.1f us |\n", connections, busy_connect);
  std::printf("| ratio | %.2f |\n", busy_connect / idle_connect);

  for (const auto& c : client_children) say(c.go, "Q");
  for (const auto& c : client_children) {
    int status = 0;
    ::waitpid(c.pid, &status, 0);
  }
  int bs = stop_child(big);
  int ps = stop_child(probe);
  if (!WIFEXITED(bs) || WEXITSTATUS(bs) != 0 || !WIFEXITED(ps) || WEXITSTATUS(ps) != 0) {
    std::fprintf(stderr, "connection_scale_bench: server exit status %d, probe %d\n", bs, ps);
    failed = true;
  }
  return failed || idle_connect < 0 || busy_connect < 0 ? 1 : 0;
}
