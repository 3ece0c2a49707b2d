// mailslot_bench: 64-byte messages per second into one mailslot, from one
// writer process and from four, against a raw AF_UNIX datagram socket pair
// in the same run; prints the ratio conduit/raw.
//
//   mailslot_bench [MESSAGES_PER_ROUND] [ROUNDS]
//
// Each round the reader (this process) forks the writers, which open their
// end (mailslot_client::open, or inherit the raw socket), say they are ready
// and wait for the start. The clock runs from the start until the reader has
// read every message; the rate is messages over that wall-clock time.
// Rounds rotate the order of conduit and the raw baselines so that the
// machine's drift falls on all; the table shows medians and conduit/raw. The raw socket's send
// buffer is set as conduit sets a slot's, so both queues hold the same before writers wait. It
// starts its own broker in a fresh CONDUIT_RUNTIME_DIR and stops it at the end; an alarm ends a run
// that hangs.
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <system_error>
#include <vector>

#include "conduit/error.hpp"
#include "conduit/mailslot.hpp"

namespace {

using clock_type = std::chrono::steady_clock;
constexpr std::size_t message_size = 64;
// What conduit asks for as a slot's send buffer (mailslot_queue_bytes).
constexpr int queue_bytes = 1 << 20;

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "mailslot_bench: %s\n", what.c_str());
  std::exit(1);
}

// The writers of one round: forked, each runs `write_all` once started.
class writers {
 public:
  writers(int count, const std::function<bool()>& prepare, const std::function<bool()>& write_all) {
    int ready[2], go[2];
    if (::pipe2(ready, O_CLOEXEC) != 0 || ::pipe2(go, O_CLOEXEC) != 0) fail("pipe2");
    for (int i = 0; i < count; ++i) {
      pid_t pid = ::fork();
      if (pid < 0) fail("fork");
      if (pid == 0) {
        ::close(ready[0]);
        ::close(go[1]);
        bool ok = prepare();
        char byte = ok ? 'R' : 'E';
        (void)!::write(ready[1], &byte, 1);
        if (!ok || ::read(go[0], &byte, 1) != 1) ::_exit(2);
        ::_exit(write_all() ? 0 : 3);
      }
      pids_.push_back(pid);
    }
    ::close(ready[1]);
    ::close(go[0]);
    for (int i = 0; i < count; ++i) {
      char byte = 0;
      if (::read(ready[0], &byte, 1) != 1 || byte != 'R') fail("a writer could not start");
    }
    ::close(ready[0]);
    go_ = go[1];
  }
  // Starts every writer at once: they all wait on one pipe.
  void start() {
    std::string bytes(pids_.size(), 'G');
    if (::write(go_, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size()))
      fail("start");
  }
  ~writers() {
    ::close(go_);
    for (pid_t pid : pids_) {
      int status = 0;
      ::waitpid(pid, &status, 0);
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) fail("a writer failed");
    }
  }

 private:
  std::vector<pid_t> pids_;
  int go_ = -1;
};

// One conduit round: messages per second.
double conduit_round(int writer_count, long per_writer, int round) {
  std::string name =
      R"(\\.\mailslot\conduit-bench\)" + std::to_string(::getpid()) + "." + std::to_string(round);
  // A bounded read timeout: a lost message ends the run instead of hanging it.
  auto slot = conduit::mailslot_server::create(name, {.read_timeout = std::chrono::seconds(30)});
  conduit::mailslot_client client;
  std::array<std::byte, message_size> message{};
  writers w(
      writer_count,
      [&] {
        std::error_code ec;
        client = conduit::mailslot_client::open(name, ec);
        return !ec;
      },
      [&] {
        std::error_code ec;
        for (long i = 0; i < per_writer && !ec; ++i) client.write(message, ec);
        return !ec;
      });
  std::array<std::byte, message_size> buffer;
  long total = per_writer * writer_count;
  auto begin = clock_type::now();
  w.start();
  for (long i = 0; i < total; ++i) {
    std::error_code ec;
    if (slot.read(buffer, ec) != message_size || ec) fail("conduit read: " + ec.message());
  }
  std::chrono::duration<double> took = clock_type::now() - begin;
  return static_cast<double>(total) / took.count();
}

// The same over a raw AF_UNIX socket pair of `type` the writers inherit:
// SOCK_DGRAM is the baseline (the writers share one sending end, so the
// kernel's limit of net.unix.max_dgram_qlen queued datagrams, which a slot's
// own writers meet, never applies to it); SOCK_SEQPACKET is for comparison.
double raw_round(int writer_count, long per_writer, int type = SOCK_DGRAM) {
  int pair[2];
  if (::socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, pair) != 0) fail("socketpair");
  int bytes = queue_bytes;
  ::setsockopt(pair[1], SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes));
  timeval timeout{30, 0};
  ::setsockopt(pair[0], SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  std::array<std::byte, message_size> message{};
  double rate = 0;
  {
    writers w(
        writer_count, [] { return true; },
        [&] {
          for (long i = 0; i < per_writer; ++i)
            if (::send(pair[1], message.data(), message.size(), MSG_NOSIGNAL) < 0) return false;
          return true;
        });
    std::array<std::byte, message_size> buffer;
    long total = per_writer * writer_count;
    auto begin = clock_type::now();
    w.start();
    for (long i = 0; i < total; ++i) {
      ssize_t n = ::recv(pair[0], buffer.data(), buffer.size(), 0);
      if (n != static_cast<ssize_t>(message_size))
        fail(std::string("raw recv: ") + std::strerror(errno));
    }
    std::chrono::duration<double> took = clock_type::now() - begin;
    rate = static_cast<double>(total) / took.count();
  }
  ::close(pair[0]);
  ::close(pair[1]);
  return rate;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// A broker folder of our own; the broker the library starts there is
// stopped at the end.
struct private_runtime {
  std::string dir;
  private_runtime() {
    char path[] = "/tmp/conduit-mailslot-bench.XXXXXX";
    if (!::mkdtemp(path)) fail("mkdtemp");
    dir = path;
    ::setenv("CONDUIT_RUNTIME_DIR", path, 1);
  }
  ~private_runtime() {
    std::ifstream pid_file(dir + "/conduitd.pid");
    int pid = 0;
    if (pid_file >> pid && pid > 0) ::kill(pid, SIGTERM);
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

}  // namespace

int main(int argc, char** argv) {
  long messages = argc > 1 ? std::atol(argv[1]) : 400000;
  int rounds = argc > 2 ? std::atoi(argv[2]) : 7;
  if (messages <= 0 || rounds <= 0) fail("usage: mailslot_bench [MESSAGES_PER_ROUND] [ROUNDS]");
  ::alarm(static_cast<unsigned>(60 + rounds * 60));  // the watchdog: a hang ends the run
  private_runtime runtime;

  std::printf("64-byte messages into one reader, %ld per round, median of %d rounds\n\n", messages,
              rounds);
  std::printf("%-8s %14s %16s %8s %18s %8s\n", "writers", "conduit msg/s", "raw dgram msg/s",
              "ratio", "raw seqpkt msg/s", "ratio");
  for (int writer_count : {1, 4}) {
    long per_writer = messages / writer_count;
    std::vector<double> conduit_rates, raw_rates, seqpacket_rates;
    for (int r = 0; r < rounds; ++r) {
      // Rotate which goes first, so that none always runs warm.
      std::function<void()> runs[] = {
          [&] { conduit_rates.push_back(conduit_round(writer_count, per_writer, r)); },
          [&] { raw_rates.push_back(raw_round(writer_count, per_writer)); },
          [&] { seqpacket_rates.push_back(raw_round(writer_count, per_writer, SOCK_SEQPACKET)); }};
      for (int i = 0; i < 3; ++i) runs[(r + i) % 3]();
    }
    double c = median(conduit_rates), raw = median(raw_rates), seq = median(seqpacket_rates);
    std::printf("%-8d %14.0f %16.0f %7.2fx %18.0f %7.2fx\n", writer_count, c, raw, c / raw, seq,
                c / seq);
  }
  return 0;
}
