// overlapped_echo_bench: requests per second of a Win32-style overlapped echo
// server on ONE thread with 1,000 connected clients (CreateNamedPipe with
// FILE_FLAG_OVERLAPPED, overlapped ConnectNamedPipe/ReadFile/WriteFile, one
// completion port), against a raw one-thread epoll AF_UNIX echo server with
// 1,000 accepted connections, in the same run.
//
// The two servers are forked before this process touches the library; this
// process then plays all 2,000 clients from a few threads, each owning a
// slice of both kinds of connections. A block sends one 64-byte request on
// every connection of the slice, then reads every echo, and repeats for a
// fixed time; blocks alternate conduit, raw, conduit, raw... so both share
// the machine's noise, and the table shows the median over the blocks.
//
//   overlapped_echo_bench [--clients=N] [--threads=T] [--blocks=B] [--block-ms=M]
//                         [--per-name=P]  (pipe instances per pipe name)

#include <windows.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "bench_support.hpp"
#include "overlapped_echo_server.hpp"

namespace {

constexpr std::size_t request_size = 64;
// Instances per pipe name. The broker caps a pipe at 255 instances even with
// PIPE_UNLIMITED_INSTANCES (src/broker/pipe_namespace.cpp), so by default the
// 1,000 instances are spread over several names: still one thread, one port.
int per_name = 250;

int clients = 1000;
int threads = 4;
int blocks = 6;  // per server
int block_ms = 700;

volatile sig_atomic_t stop_requested = 0;
void on_term(int) {
  stop_requested = 1;
}

// A child that stops on SIGTERM (no SA_RESTART, so blocking waits return),
// dies with its parent, and gives up on its own after a bound.
void child_setup() {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  struct sigaction sa {};
  sa.sa_handler = on_term;
  ::sigaction(SIGTERM, &sa, nullptr);
  ::alarm(120);
}

void signal_ready(int fd) {
  char c = 'R';
  (void)!::write(fd, &c, 1);
  ::close(fd);
}

// ---- (a) the overlapped echo server: one thread, one completion port ----

conduit_bench::echo_server_options server_options() {
  conduit_bench::echo_server_options options;
  options.prefix = "\\\\.\\pipe\\overlapped-echo-bench-";
  options.instances = clients;
  options.per_name = per_name;
  return options;
}

int conduit_server(int ready_fd) {
  child_setup();
  conduit_bench::echo_server_counts counts;
  bool ok = conduit_bench::run_echo_server(
      server_options(), stop_requested, [](void* fd) { signal_ready(*static_cast<int*>(fd)); },
      &ready_fd, counts);
  std::fprintf(stderr,
               "conduit server: %ld echoes, %ld completions, %ld completed at once, %ld errors\n",
               counts.echoes, counts.completions, counts.immediate, counts.errors);
  return !ok ? 1 : counts.errors ? 2 : 0;
}

// ---- (b) the raw baseline: one thread, epoll, AF_UNIX stream -------------

int raw_server(const std::string& path, int ready_fd) {
  child_setup();
  int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path.c_str());
  if (listener < 0 || ::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(listener, 4096) != 0) {
    std::perror("raw server: listen");
    return 1;
  }
  int ep = ::epoll_create1(EPOLL_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = listener;
  ::epoll_ctl(ep, EPOLL_CTL_ADD, listener, &ev);
  signal_ready(ready_fd);
  long errors = 0, echoes = 0;
  std::vector<epoll_event> events(256);
  char buffer[request_size];
  while (!stop_requested) {
    int n = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), 200);
    for (int i = 0; i < n; ++i) {
      int fd = events[static_cast<std::size_t>(i)].data.fd;
      if (fd == listener) {
        for (;;) {
          int c = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
          if (c < 0) break;
          epoll_event cev{};
          cev.events = EPOLLIN;
          cev.data.fd = c;
          ::epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
        }
        continue;
      }
      ssize_t r = ::read(fd, buffer, sizeof(buffer));
      if (r <= 0) {
        if (r < 0) ++errors;
        ::close(fd);
        continue;
      }
      if (::write(fd, buffer, static_cast<std::size_t>(r)) != r) ++errors;
      ++echoes;
    }
  }
  std::fprintf(stderr, "raw server: %ld echoes, %ld errors\n", echoes, errors);
  return errors ? 2 : 0;
}

pid_t start_child(int (*body)(int, const std::string&), const std::string& arg) {
  int ready[2];
  if (::pipe2(ready, O_CLOEXEC) != 0) return -1;
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(ready[0]);
    std::fflush(nullptr);
    ::_exit(body(ready[1], arg));
  }
  ::close(ready[1]);
  pollfd p{ready[0], POLLIN, 0};
  char c = 0;
  bool ok = ::poll(&p, 1, 30'000) == 1 && ::read(ready[0], &c, 1) == 1 && c == 'R';
  ::close(ready[0]);
  if (!ok) {
    std::fprintf(stderr, "overlapped_echo_bench: a server did not start\n");
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    return -1;
  }
  return pid;
}

int stop_child(pid_t pid) {
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

// ---- the clients ----------------------------------------------------------

bool full_write(HANDLE h, const char* data, std::size_t size) {
  return conduit_bench::write_all(h, data, size);
}
bool full_read(HANDLE h, char* data, std::size_t size) {
  return conduit_bench::read_all(h, data, size);
}
bool full_write(int fd, const char* data, std::size_t size) {
  while (size) {
    ssize_t n = ::write(fd, data, size);
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}
bool full_read(int fd, char* data, std::size_t size) {
  while (size) {
    ssize_t n = ::read(fd, data, size);
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

// One block on one slice of connections: every connection has a request in
// flight, then every echo is read and checked; repeated until `until`.
template <typename End>
long run_slice(std::vector<End>& ends, std::chrono::steady_clock::time_point until, bool& failed) {
  char request[request_size], reply[request_size];
  long done = 0;
  unsigned seq = 0;
  while (std::chrono::steady_clock::now() < until) {
    std::memset(request, static_cast<int>(seq++ & 0xff), sizeof(request));
    for (auto& e : ends)
      if (!full_write(e, request, sizeof(request))) return failed = true, done;
    for (auto& e : ends) {
      if (!full_read(e, reply, sizeof(reply)) || std::memcmp(reply, request, sizeof(reply)))
        return failed = true, done;
      ++done;
    }
  }
  return done;
}

template <typename End>
double run_block(std::vector<std::vector<End>>& slices, bool& failed) {
  std::vector<long> counts(slices.size());
  std::vector<char> fails(slices.size());
  auto start = std::chrono::steady_clock::now();
  auto until = start + std::chrono::milliseconds(block_ms);
  std::vector<std::thread> workers;
  for (std::size_t t = 0; t < slices.size(); ++t)
    workers.emplace_back([&, t] {
      bool f = false;
      counts[t] = run_slice(slices[t], until, f);
      fails[t] = f;
    });
  for (auto& w : workers) w.join();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  long total = 0;
  for (std::size_t t = 0; t < slices.size(); ++t) {
    total += counts[t];
    if (fails[t]) failed = true;
  }
  return static_cast<double>(total) / secs;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    clients = conduit_bench::int_option(argv[i], "--clients", clients);
    threads = conduit_bench::int_option(argv[i], "--threads", threads);
    blocks = conduit_bench::int_option(argv[i], "--blocks", blocks);
    block_ms = conduit_bench::int_option(argv[i], "--block-ms", block_ms);
    per_name = conduit_bench::int_option(argv[i], "--per-name", per_name);
  }
  if (clients < 1 || threads < 1 || blocks < 1 || block_ms < 1 || per_name < 1) {
    std::fprintf(
        stderr,
        "usage: %s [--clients=N] [--threads=T] [--blocks=B] [--block-ms=M] [--per-name=P]\n",
        argv[0]);
    return 1;
  }
  threads = std::min(threads, clients);

  rlimit lim{};
  ::getrlimit(RLIMIT_NOFILE, &lim);
  lim.rlim_cur = lim.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &lim);
  ::signal(SIGPIPE, SIG_IGN);

  conduit_bench::runtime_session session;  // sets CONDUIT_RUNTIME_DIR for all
  conduit_bench::watchdog_scope watchdog("overlapped_echo_bench", std::chrono::seconds(90));
  std::string socket_path = session.dir() + "/raw-echo.sock";

  // Both servers before this process uses the library.
  pid_t conduit_pid =
      start_child([](int fd, const std::string&) { return conduit_server(fd); }, socket_path);
  if (conduit_pid < 0) return 1;
  pid_t raw_pid =
      start_child([](int fd, const std::string& p) { return raw_server(p, fd); }, socket_path);
  if (raw_pid < 0) return 1;

  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::vector<HANDLE>> pipe_slices(static_cast<std::size_t>(threads));
  std::vector<std::vector<int>> raw_slices(static_cast<std::size_t>(threads));
  for (int i = 0; i < clients; ++i) {
    HANDLE h = conduit_bench::open_echo_client(conduit_bench::echo_pipe_name(server_options(), i));
    if (h == INVALID_HANDLE_VALUE) {
      std::fprintf(stderr, "client #%d: CreateFile: %u\n", i, GetLastError());
      return 1;
    }
    pipe_slices[static_cast<std::size_t>(i % threads)].push_back(h);
  }
  auto t1 = std::chrono::steady_clock::now();
  for (int i = 0; i < clients; ++i) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", socket_path.c_str());
    if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      std::fprintf(stderr, "raw client #%d: %s\n", i, std::strerror(errno));
      return 1;
    }
    raw_slices[static_cast<std::size_t>(i % threads)].push_back(fd);
  }
  auto t2 = std::chrono::steady_clock::now();
  auto ms = [](auto d) { return std::chrono::duration<double, std::milli>(d).count(); };
  std::printf("%d clients per server (%d pipe names), %d client threads, %d blocks of %d ms\n",
              clients, (clients + per_name - 1) / per_name, threads, blocks, block_ms);
  std::printf("connect all: conduit %.0f ms, raw %.0f ms\n", ms(t1 - t0), ms(t2 - t1));

  std::vector<double> conduit_rates, raw_rates, ratios;
  bool failed = false;
  // One short warm-up block each, not counted.
  {
    auto saved = block_ms;
    block_ms = 200;
    run_block(pipe_slices, failed);
    run_block(raw_slices, failed);
    block_ms = saved;
  }
  for (int b = 0; b < blocks && !failed; ++b) {
    double c = run_block(pipe_slices, failed);
    double r = run_block(raw_slices, failed);
    conduit_rates.push_back(c);
    raw_rates.push_back(r);
    ratios.push_back(c / r);
    std::printf("block %d: conduit %9.0f req/s   raw %9.0f req/s   ratio %.2f\n", b + 1, c, r,
                c / r);
    std::fflush(stdout);
  }
  if (failed) std::fprintf(stderr, "overlapped_echo_bench: a request failed or echoed wrong\n");

  if (!failed) {
    std::printf("\n| server | requests/s (median of %d blocks) |\n| --- | --- |\n", blocks);
    std::printf("| conduit overlapped, 1 thread, IOCP | %.0f |\n", median(conduit_rates));
    std::printf("| raw epoll AF_UNIX, 1 thread | %.0f |\n", median(raw_rates));
    std::printf("| ratio conduit / raw (median of per-block ratios) | %.2f |\n", median(ratios));
  }

  for (auto& s : pipe_slices)
    for (HANDLE h : s) CloseHandle(h);
  for (auto& s : raw_slices)
    for (int fd : s) ::close(fd);
  std::fflush(stdout);
  int cs = stop_child(conduit_pid);
  int rs = stop_child(raw_pid);
  if (!WIFEXITED(cs) || WEXITSTATUS(cs) != 0 || !WIFEXITED(rs) || WEXITSTATUS(rs) != 0) {
    std::fprintf(stderr, "overlapped_echo_bench: server exit status conduit %d, raw %d\n", cs, rs);
    failed = true;
  }
  return failed ? 1 : 0;
}
