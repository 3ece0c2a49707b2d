// win32_path_bench: the Win32 call path beside the C++ one, each against its
// raw Linux baseline in the same run. Two threads of one process, as a plain
// Win32 program has them:
//
//   mailslot_64B     a reader whose slot has a finite read timeout (5000 ms)
//                    takes 64-byte messages that a second thread writes;
//                    baseline: an AF_UNIX SOCK_DGRAM socket pair.
//   msg_ping_pong_64B  round trips of one 64-byte message on a message pipe
//                    (ReadFile/WriteFile on both ends); baseline: an AF_UNIX
//                    SOCK_SEQPACKET socket pair.
//
// Each is run with both threads on one CPU ("pinned") and left to the
// scheduler ("unpinned"). Blocks alternate Win32, C++ and raw so that the
// machine's drift falls on all three; the table shows the median rate of each
// and the ratios Win32/raw and C++/raw, under the CPU's model name.
//
//   win32_path_bench [--blocks=B] [--messages=N] [--round-trips=R]
//                    [--bench=NAME] [--only=win32|cpp|raw] [--pinned|--unpinned]
//                    [--raw=nonpeer]

#include <windows.h>

#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "bench_support.hpp"
#include "conduit/mailslot.hpp"
#include "conduit/pipe_client.hpp"
#include "conduit/pipe_server.hpp"

namespace {

using clock_type = std::chrono::steady_clock;
constexpr std::size_t message_size = 64;
constexpr DWORD slot_timeout_ms = 5000;

int blocks = 7;
long messages = 100000;
long round_trips = 20000;
int pin_cpu = -1;   // the CPU both threads run on, or -1 for the scheduler's choice
std::string only;   // --only=win32|cpp|raw runs one side alone (for strace -c)
std::string which;  // --bench=mailslot_64B|msg_ping_pong_64B runs one benchmark

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "win32_path_bench: %s\n", what.c_str());
  std::exit(1);
}

void pin_this_thread() {
  if (pin_cpu < 0) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(pin_cpu, &set);
  if (::sched_setaffinity(0, sizeof set, &set) != 0) fail("sched_setaffinity");
}

std::string unique_name(const char* kind) {
  static int serial = 0;
  return std::string(R"(\\.\)") + kind + R"(\conduit-path-bench-)" + std::to_string(::getpid()) +
         "-" + std::to_string(++serial);
}

// Runs `other` on a second (pinned) thread while `self` runs here; the rate
// is `count` over the time until both are done.
double timed_pair(long count, const std::function<void()>& self,
                  const std::function<void()>& other) {
  pin_this_thread();
  auto begin = clock_type::now();
  std::thread peer([&] {
    pin_this_thread();
    other();
  });
  self();
  peer.join();
  std::chrono::duration<double> took = clock_type::now() - begin;
  return static_cast<double>(count) / took.count();
}

// --- mailslot ---------------------------------------------------------------

double mailslot_win32() {
  std::string name = unique_name("mailslot");
  HANDLE slot = CreateMailslotA(name.c_str(), 0, slot_timeout_ms, nullptr);
  if (slot == INVALID_HANDLE_VALUE) fail("CreateMailslot: " + std::to_string(GetLastError()));
  HANDLE writer = CreateFileA(name.c_str(), GENERIC_WRITE, FILE_SHARE_READ, nullptr, OPEN_EXISTING,
                              FILE_ATTRIBUTE_NORMAL, nullptr);
  if (writer == INVALID_HANDLE_VALUE) fail("CreateFile(slot): " + std::to_string(GetLastError()));
  double rate = timed_pair(
      messages,
      [&] {
        std::array<char, message_size> buffer;
        for (long i = 0; i < messages; ++i) {
          DWORD got = 0;
          if (!ReadFile(slot, buffer.data(), buffer.size(), &got, nullptr) || got != message_size)
            fail("ReadFile(slot): " + std::to_string(GetLastError()));
        }
      },
      [&] {
        std::array<char, message_size> message{};
        for (long i = 0; i < messages; ++i) {
          DWORD put = 0;
          if (!WriteFile(writer, message.data(), message.size(), &put, nullptr))
            fail("WriteFile(slot): " + std::to_string(GetLastError()));
        }
      });
  CloseHandle(writer);
  CloseHandle(slot);
  return rate;
}

double mailslot_cpp() {
  std::string name = unique_name("mailslot");
  auto slot = conduit::mailslot_server::create(
      name, {.read_timeout = std::chrono::milliseconds(slot_timeout_ms)});
  auto writer = conduit::mailslot_client::open(name);
  return timed_pair(
      messages,
      [&] {
        std::array<std::byte, message_size> buffer;
        for (long i = 0; i < messages; ++i)
          if (slot.read(buffer) != message_size) fail("mailslot read");
      },
      [&] {
        std::array<std::byte, message_size> message{};
        for (long i = 0; i < messages; ++i) writer.write(message);
      });
}

// --raw=nonpeer: the slot's own shape instead of a pair. A receiving socket
// bound to an (abstract) address and a writer's socket connected to it, not
// its peer: the kernel then makes the writer wait whenever
// net.unix.max_dgram_qlen datagrams are queued, as it does a slot's writers,
// where a pair's writer only waits for its send buffer.
bool raw_nonpeer = false;

bool nonpeer_sockets(int (&pair)[2]) {
  pair[0] = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  pair[1] = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (pair[0] < 0 || pair[1] < 0) return false;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::string name = "conduit-bench-" + std::to_string(::getpid());
  std::memcpy(address.sun_path + 1, name.data(), name.size());
  auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  return ::bind(pair[0], reinterpret_cast<sockaddr*>(&address), length) == 0 &&
         ::connect(pair[1], reinterpret_cast<sockaddr*>(&address), length) == 0;
}

double mailslot_raw() {
  int pair[2];
  if (raw_nonpeer ? !nonpeer_sockets(pair)
                  : ::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, pair) != 0)
    fail("raw sockets");
  double rate = timed_pair(
      messages,
      [&] {
        std::array<std::byte, message_size> buffer;
        for (long i = 0; i < messages; ++i)
          if (::recv(pair[0], buffer.data(), buffer.size(), 0) != message_size) fail("raw recv");
      },
      [&] {
        std::array<std::byte, message_size> message{};
        for (long i = 0; i < messages; ++i)
          if (::send(pair[1], message.data(), message.size(), MSG_NOSIGNAL) < 0) fail("raw send");
      });
  ::close(pair[0]);
  ::close(pair[1]);
  return rate;
}

// --- message ping-pong ------------------------------------------------------

double ping_pong_win32() {
  std::string name = unique_name("pipe");
  HANDLE server = CreateNamedPipeA(name.c_str(), PIPE_ACCESS_DUPLEX,
                                   PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE | PIPE_WAIT, 1, 4096,
                                   4096, 0, nullptr);
  if (server == INVALID_HANDLE_VALUE) fail("CreateNamedPipe: " + std::to_string(GetLastError()));
  HANDLE client = CreateFileA(name.c_str(), GENERIC_READ | GENERIC_WRITE, 0, nullptr, OPEN_EXISTING,
                              0, nullptr);
  if (client == INVALID_HANDLE_VALUE) fail("CreateFile(pipe): " + std::to_string(GetLastError()));
  DWORD mode = PIPE_READMODE_MESSAGE;
  if (!SetNamedPipeHandleState(client, &mode, nullptr, nullptr)) fail("SetNamedPipeHandleState");
  if (!ConnectNamedPipe(server, nullptr) && GetLastError() != ERROR_PIPE_CONNECTED)
    fail("ConnectNamedPipe: " + std::to_string(GetLastError()));
  auto exchange = [](HANDLE h, bool first_write) {
    std::array<char, message_size> buffer{};
    for (long i = 0; i < round_trips; ++i) {
      DWORD n = 0;
      if (first_write && !WriteFile(h, buffer.data(), buffer.size(), &n, nullptr))
        fail("WriteFile(pipe)");
      if (!ReadFile(h, buffer.data(), buffer.size(), &n, nullptr) || n != message_size)
        fail("ReadFile(pipe): " + std::to_string(GetLastError()));
      if (!first_write && !WriteFile(h, buffer.data(), buffer.size(), &n, nullptr))
        fail("WriteFile(pipe)");
    }
  };
  double rate = timed_pair(
      round_trips, [&] { exchange(client, true); }, [&] { exchange(server, false); });
  CloseHandle(client);
  CloseHandle(server);
  return rate;
}

double ping_pong_cpp() {
  std::string name = unique_name("pipe");
  conduit::pipe_options options;
  options.type = conduit::pipe_type::message;
  options.mode = conduit::read_mode::message;
  auto server = conduit::pipe_server::create(name, options);
  auto client = conduit::pipe_client::open(name);
  client.set_read_mode(conduit::read_mode::message);
  server.connect();
  auto exchange = [](auto& end, bool first_write) {
    std::array<std::byte, message_size> buffer{};
    for (long i = 0; i < round_trips; ++i) {
      if (first_write) end.write(buffer);
      if (end.read(buffer) != message_size) fail("pipe read");
      if (!first_write) end.write(buffer);
    }
  };
  return timed_pair(
      round_trips, [&] { exchange(client, true); }, [&] { exchange(server, false); });
}

double ping_pong_raw() {
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) fail("socketpair");
  auto exchange = [](int fd, bool first_write) {
    std::array<std::byte, message_size> buffer{};
    for (long i = 0; i < round_trips; ++i) {
      if (first_write && ::send(fd, buffer.data(), buffer.size(), MSG_NOSIGNAL) < 0)
        fail("raw send");
      if (::recv(fd, buffer.data(), buffer.size(), 0) != message_size) fail("raw recv");
      if (!first_write && ::send(fd, buffer.data(), buffer.size(), MSG_NOSIGNAL) < 0)
        fail("raw send");
    }
  };
  double rate = timed_pair(
      round_trips, [&] { exchange(pair[0], true); }, [&] { exchange(pair[1], false); });
  ::close(pair[0]);
  ::close(pair[1]);
  return rate;
}

// --- the table --------------------------------------------------------------

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

void run(const char* label, const char* unit, double (*win32)(), double (*cpp)(), double (*raw)()) {
  if (!which.empty() && which != label) return;
  if (!only.empty()) {
    double (*side)() = only == "win32" ? win32 : only == "cpp" ? cpp : raw;
    std::vector<double> rates;
    for (int b = 0; b < blocks; ++b) rates.push_back(side());
    std::printf("%-18s %-9s %s %12.0f %s\n", label, pin_cpu < 0 ? "unpinned" : "pinned",
                only.c_str(), median(rates), unit);
    return;
  }
  std::vector<double> w, c, r;
  for (int b = 0; b < blocks; ++b) {
    // Rotate which goes first, so that none always runs warm.
    std::function<void()> runs[] = {[&] { w.push_back(win32()); }, [&] { c.push_back(cpp()); },
                                    [&] { r.push_back(raw()); }};
    for (int i = 0; i < 3; ++i) runs[(b + i) % 3]();
  }
  double mw = median(w), mc = median(c), mr = median(r);
  std::printf("%-18s %-9s %12.0f %12.0f %12.0f %7.2fx %7.2fx  %s\n", label,
              pin_cpu < 0 ? "unpinned" : "pinned", mw, mc, mr, mw / mr, mc / mr, unit);
}

long option(const char* arg, const char* name, long fallback) {
  std::size_t n = std::strlen(name);
  return std::strncmp(arg, name, n) == 0 ? std::atol(arg + n) : fallback;
}

}  // namespace

int main(int argc, char** argv) {
  bool pinned_only = false, unpinned_only = false;
  for (int i = 1; i < argc; ++i) {
    blocks = static_cast<int>(option(argv[i], "--blocks=", blocks));
    messages = option(argv[i], "--messages=", messages);
    round_trips = option(argv[i], "--round-trips=", round_trips);
    if (std::strncmp(argv[i], "--only=", 7) == 0) only = argv[i] + 7;
    if (std::strcmp(argv[i], "--pinned") == 0) pinned_only = true;
    if (std::strcmp(argv[i], "--unpinned") == 0) unpinned_only = true;
    if (std::strncmp(argv[i], "--bench=", 8) == 0) which = argv[i] + 8;
    if (std::strcmp(argv[i], "--raw=nonpeer") == 0) raw_nonpeer = true;
  }
  if (blocks <= 0 || messages <= 0 || round_trips <= 0)
    fail("usage: win32_path_bench [--blocks=B] [--messages=N] [--round-trips=R]");
  ::alarm(600);                            // the watchdog: a hang ends the run
  conduit_bench::runtime_session runtime;  // a broker of its own, stopped at the end

  std::printf(
      "CPU: %s, %u CPUs; median of %d blocks%s\n\n", conduit_bench::cpu_model().c_str(),
      std::thread::hardware_concurrency(), blocks,
      raw_nonpeer ? "; mailslot raw: a writer connected to a bound socket, not its peer" : "");
  std::printf("%-18s %-9s %12s %12s %12s %8s %8s\n", "benchmark", "placement", "Win32", "C++",
              "raw", "W/raw", "C++/raw");
  for (int cpu : {0, -1}) {
    if ((cpu < 0 && pinned_only) || (cpu >= 0 && unpinned_only)) continue;
    pin_cpu = cpu;
    run("mailslot_64B", "msg/s", mailslot_win32, mailslot_cpp, mailslot_raw);
    run("msg_ping_pong_64B", "round trips/s", ping_pong_win32, ping_pong_cpp, ping_pong_raw);
  }
  return 0;
}
