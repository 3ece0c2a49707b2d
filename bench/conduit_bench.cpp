// conduit_bench: conduit's named pipes against raw AF_UNIX sockets, measured
// in the same run, with the server side in another process in both cases.
//
//   connect_close     open, write 1 byte, close; the server connects, reads,
//                     disconnects (raw: connect/accept on a socket path)
//   call_named_pipe   Win32 CallNamedPipe: open, 1-byte request, 1-byte
//                     answer, close, on a message pipe (raw: connect to a
//                     SOCK_SEQPACKET socket path, write, read, close)
//   ping_pong_64B     64-byte round trips to an echo server (raw: socketpair)
//   throughput_64KiB  64 KiB writes to a reader (raw: socketpair)
//   msg_ping_pong_64B    64-byte round trips on a message pipe in message read
//                        mode (raw: SOCK_SEQPACKET socketpair)
//   msg_throughput_4KiB  4 KiB messages read whole in message mode (raw:
//                        SOCK_SEQPACKET socketpair)
//   msg_throughput_1MiB  1 MiB messages read whole in message mode (raw: stream
//                        socketpair, 1 MiB writes read back as 1 MiB: a
//                        SEQPACKET record cannot exceed the send buffer)
//
// Each benchmark keeps both sides' servers running and alternates short timed
// blocks of conduit and raw work, so that whatever else the machine does
// falls on both alike; it reports both rates and their ratio. The table at
// the end gives the medians over the repetitions. See docs/benchmarks.md.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <benchmark/benchmark.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "bench_support.hpp"
#include "conduit/error.hpp"
#include "conduit/pipe_client.hpp"

namespace conduit_bench {
namespace {

// Far above what a run takes; only a hung peer gets there.
constexpr auto benchmark_time_limit = std::chrono::seconds(60);
// How long a client waits for a free instance before calling it a failure.
constexpr auto busy_wait_limit = std::chrono::seconds(5);

std::string runtime_dir;

// A new name for each run: a helper's instances may outlive it briefly in
// the broker, and a new run must not meet them.
std::string unique_suffix() {
  static int counter = 0;
  return std::to_string(++counter);
}

std::string pipe_name(std::string_view kind) {
  return R"(\\.\pipe\conduit-bench-)" + std::string(kind) + "-" + unique_suffix();
}

// Closes a descriptor when the benchmark function returns, before the helper
// (declared earlier) is stopped.
struct owned_fd {
  int fd = -1;
  owned_fd() = default;
  explicit owned_fd(int f) : fd(f) {}
  owned_fd(const owned_fd&) = delete;
  owned_fd& operator=(const owned_fd&) = delete;
  ~owned_fd() {
    if (fd >= 0) ::close(fd);
  }
};

void skip(benchmark::State& state, std::string_view what, const std::error_code& ec) {
  std::string message = std::string(what) + ": " + ec.message();
  state.SkipWithError(message.c_str());
}

// ---- pairing ----------------------------------------------------------------

// One side's accumulated block time and work (operations or bytes).
struct side {
  std::chrono::steady_clock::duration time{};
  double work = 0;
  [[nodiscard]] double rate() const { return work / std::chrono::duration<double>(time).count(); }
};

// Each iteration runs one conduit block, then one raw block, each timed on
// its own: a block returns false after reporting its error to `state`.
template <typename ConduitBlock, typename RawBlock>
void run_pair(benchmark::State& state, double conduit_work, ConduitBlock conduit_block,
              double raw_work, RawBlock raw_block, bool bytes) {
  side conduit_side;
  side raw_side;
  auto timed = [](side& s, double work, auto& block) {
    auto start = std::chrono::steady_clock::now();
    if (!block()) return false;
    s.time += std::chrono::steady_clock::now() - start;
    s.work += work;
    return true;
  };
  for (auto _ : state) {
    if (!timed(conduit_side, conduit_work, conduit_block) || !timed(raw_side, raw_work, raw_block))
      return;
  }
  auto base = bytes ? benchmark::Counter::OneK::kIs1024 : benchmark::Counter::OneK::kIs1000;
  state.counters["conduit"] =
      benchmark::Counter(conduit_side.rate(), benchmark::Counter::kDefaults, base);
  state.counters["raw"] = benchmark::Counter(raw_side.rate(), benchmark::Counter::kDefaults, base);
  state.counters["ratio"] = conduit_side.rate() / raw_side.rate();
}

// Starts `mode` on the other end of a new socket pair; `ours` gets this end.
bool start_on_socketpair(helper_process& helper, std::string_view mode, owned_fd& ours,
                         std::string& error, int cpu, int type = SOCK_STREAM) {
  int pair[2];
  if (::socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, pair) != 0) {
    error = "socketpair failed";
    return false;
  }
  ours.fd = pair[0];
  owned_fd theirs(pair[1]);  // the helper's once started: its loop ends when we close ours
  return helper.start(mode, "-", theirs.fd, error, cpu);
}

// Where the two ends of a data-path benchmark run. Left to the scheduler,
// a server shares the client's CPU in some repetitions and not in others,
// which changes a 64-byte round trip by a factor of two or more and swamps
// the ratio. By default both ends share one CPU (the scheduler's usual
// choice for a ping-pong); --pin=split puts the servers on another CPU,
// --pin=none leaves it to the scheduler.
enum class pin_mode { same, split, none };
pin_mode data_path_pin = pin_mode::same;

struct data_path_cpus {
  int client = -1;
  int server = -1;
  data_path_cpus() {
    auto cpus = two_cpus();
    if (!cpus || data_path_pin == pin_mode::none) return;
    client = cpus->first;
    server = data_path_pin == pin_mode::split ? cpus->second : cpus->first;
  }
};

// ---- connect_close -------------------------------------------------------

// Connects per block; about as long for both sides at the measured rates.
constexpr int conduit_connects_per_block = 100;
constexpr int raw_connects_per_block = 400;

// Reads until the server drops this client: the last client of a block
// waits so, and the block's time includes the server's work for its clients.
template <typename End>
void wait_until_dropped(End& end) {
  std::array<std::byte, 1> byte;
  std::error_code ec;
  while (!ec) end.read(byte, ec);
}

bool raw_connects(benchmark::State& state, const sockaddr_un& addr) {
  const std::array<std::byte, 1> byte{std::byte{1}};
  for (int i = 0; i < raw_connects_per_block; ++i) {
    raw_end end{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
    std::error_code ec;
    if (end.fd < 0 ||
        ::connect(end.fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
      ec = std::error_code(errno, std::generic_category());
    } else {
      end.write(byte, ec);
      if (!ec && i == raw_connects_per_block - 1) wait_until_dropped(end);
    }
    if (end.fd >= 0) ::close(end.fd);
    if (ec) {
      skip(state, "raw connect/write", ec);
      return false;
    }
  }
  return true;
}

bool conduit_connects(benchmark::State& state, const std::string& name, std::int64_t& busy) {
  const std::array<std::byte, 1> byte{std::byte{1}};
  for (int i = 0; i < conduit_connects_per_block; ++i) {
    std::error_code ec;
    auto client = conduit::pipe_client::open(name, conduit::pipe_access::duplex, ec);
    // Every instance busy: wait for one as a Windows client does.
    while (ec == conduit::errc::pipe_busy) {
      ++busy;
      if (!conduit::wait_named_pipe(name, busy_wait_limit, ec)) break;
      client = conduit::pipe_client::open(name, conduit::pipe_access::duplex, ec);
    }
    if (!ec) client.write(byte, ec);
    if (ec) {
      skip(state, "open/write", ec);
      return false;
    }
    if (i == conduit_connects_per_block - 1) wait_until_dropped(client);
  }
  return true;
}

// The servers of a benchmark of connects: MODE-conduit on a new pipe and
// MODE-raw on a new socket path (bench_helper.cpp).
struct connect_servers_pair {
  std::string name;
  sockaddr_un addr{};
  helper_process conduit_server;
  helper_process raw_server;

  // False once the reason is reported to `state`.
  bool start(benchmark::State& state, const std::string& mode) {
    name = pipe_name(mode);
    std::string path = runtime_dir + "/raw-" + mode + "-" + unique_suffix() + ".sock";
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof(addr.sun_path)) {
      state.SkipWithError("socket path too long");
      return false;
    }
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    std::string error;
    if (!conduit_server.start(mode + "-conduit", name, -1, error) ||
        !raw_server.start(mode + "-raw", path, -1, error)) {
      state.SkipWithError(error.c_str());
      return false;
    }
    return true;
  }
};

void connect_close(benchmark::State& state) {
  watchdog_scope guard("connect_close", benchmark_time_limit);
  connect_servers_pair servers;
  if (!servers.start(state, "connect")) return;
  std::int64_t busy = 0;
  run_pair(
      state, conduit_connects_per_block,
      [&] { return conduit_connects(state, servers.name, busy); }, raw_connects_per_block,
      [&] { return raw_connects(state, servers.addr); }, false);
  // How often a client found every instance busy, per connect.
  state.counters["busy"] = static_cast<double>(busy) /
                           (static_cast<double>(state.iterations()) * conduit_connects_per_block);
}

// ---- call_named_pipe ---------------------------------------------------------

bool raw_calls(benchmark::State& state, const sockaddr_un& addr) {
  std::array<std::byte, 1> byte{std::byte{1}};
  for (int i = 0; i < raw_connects_per_block; ++i) {
    raw_end end{::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)};
    std::error_code ec;
    if (end.fd < 0 ||
        ::connect(end.fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
      ec = std::error_code(errno, std::generic_category());
    } else if (end.write(byte, ec) == 1 && !ec) {
      read_whole(end, std::span(byte), ec);
    }
    if (end.fd >= 0) ::close(end.fd);
    if (ec) {
      skip(state, "raw call", ec);
      return false;
    }
  }
  return true;
}

bool conduit_calls(benchmark::State& state, const std::string& name) {
  for (int i = 0; i < conduit_connects_per_block; ++i) {
    std::string error;
    if (!win32_call(name, error)) {
      state.SkipWithError(error.c_str());
      return false;
    }
  }
  return true;
}

void call_named_pipe(benchmark::State& state) {
  watchdog_scope guard("call_named_pipe", benchmark_time_limit);
  connect_servers_pair servers;
  if (!servers.start(state, "call")) return;
  run_pair(
      state, conduit_connects_per_block, [&] { return conduit_calls(state, servers.name); },
      raw_connects_per_block, [&] { return raw_calls(state, servers.addr); }, false);
}

// ---- ping_pong_64B ---------------------------------------------------------

constexpr int round_trips_per_block = 500;

// Whole: each answer must come as one whole message from a single read
// (message read mode, SEQPACKET); otherwise bytes are read until 64 are in.
template <bool Whole = false, typename End>
bool ping_pong(benchmark::State& state, End& end) {
  std::array<std::byte, ping_size> out{};
  std::array<std::byte, ping_size> in{};
  std::error_code ec;
  for (int i = 0; i < round_trips_per_block; ++i) {
    if (end.write(out, ec) != out.size() || ec ||
        !(Whole ? read_whole(end, std::span(in), ec) : read_exact(end, std::span(in), ec))) {
      skip(state, "ping-pong", ec);
      return false;
    }
  }
  return true;
}

void ping_pong_64B(benchmark::State& state) {
  watchdog_scope guard("ping_pong_64B", benchmark_time_limit);
  std::string name = pipe_name("ping");
  data_path_cpus cpus;
  cpu_pin_scope pin(cpus.client);
  helper_process conduit_server;
  helper_process raw_server;
  owned_fd raw_socket;
  std::string error;
  if (!conduit_server.start("echo-conduit", name, -1, error, cpus.server) ||
      !start_on_socketpair(raw_server, "echo-raw", raw_socket, error, cpus.server))
    return state.SkipWithError(error.c_str());
  std::error_code ec;
  auto client = conduit::pipe_client::open(name, conduit::pipe_access::duplex, ec);
  if (ec) return skip(state, "open", ec);
  raw_end raw{raw_socket.fd};
  run_pair(
      state, round_trips_per_block, [&] { return ping_pong(state, client); }, round_trips_per_block,
      [&] { return ping_pong(state, raw); }, false);
}

// ---- throughput_64KiB ------------------------------------------------------

constexpr int writes_per_block = 256;  // 16 MiB

// One block: the count, the data, then the reader's acknowledgement, so a
// block counts what the reader has, not what is still queued.
template <typename End>
bool stream(benchmark::State& state, End& end, std::span<const std::byte> data) {
  std::uint64_t total = std::uint64_t{writes_per_block} * data.size();
  std::array<std::byte, 1> ack;
  std::error_code ec;
  if (end.write(std::as_bytes(std::span(&total, 1)), ec) != sizeof(total) || ec) {
    skip(state, "write count", ec);
    return false;
  }
  for (int i = 0; i < writes_per_block; ++i) {
    if (end.write(data, ec) != data.size() || ec) {
      skip(state, "write", ec);
      return false;
    }
  }
  if (!read_exact(end, ack, ec)) {
    skip(state, "read acknowledgement", ec);
    return false;
  }
  return true;
}

void throughput_64KiB(benchmark::State& state) {
  watchdog_scope guard("throughput_64KiB", benchmark_time_limit);
  std::string name = pipe_name("stream");
  data_path_cpus cpus;
  cpu_pin_scope pin(cpus.client);
  helper_process conduit_server;
  helper_process raw_server;
  owned_fd raw_socket;
  std::string error;
  if (!conduit_server.start("sink-conduit", name, -1, error, cpus.server) ||
      !start_on_socketpair(raw_server, "sink-raw", raw_socket, error, cpus.server))
    return state.SkipWithError(error.c_str());
  std::error_code ec;
  auto client = conduit::pipe_client::open(name, conduit::pipe_access::duplex, ec);
  if (ec) return skip(state, "open", ec);
  raw_end raw{raw_socket.fd};
  std::vector<std::byte> data(throughput_block, std::byte{0x5a});
  constexpr double bytes_per_block = double{writes_per_block} * throughput_block;
  run_pair(
      state, bytes_per_block, [&] { return stream(state, client, data); }, bytes_per_block,
      [&] { return stream(state, raw, data); }, true);
}

// ---- message pipes -----------------------------------------------------------

// A client of a message pipe, switched to message read mode as a Windows
// client does with SetNamedPipeHandleState(PIPE_READMODE_MESSAGE).
conduit::pipe_client open_message_client(const std::string& name, std::error_code& ec) {
  auto client = conduit::pipe_client::open(name, conduit::pipe_access::duplex, ec);
  if (!ec) client.set_read_mode(conduit::read_mode::message, ec);
  return client;
}

void msg_ping_pong_64B(benchmark::State& state) {
  watchdog_scope guard("msg_ping_pong_64B", benchmark_time_limit);
  std::string name = pipe_name("msg-ping");
  data_path_cpus cpus;
  cpu_pin_scope pin(cpus.client);
  helper_process conduit_server;
  helper_process raw_server;
  owned_fd raw_socket;
  std::string error;
  if (!conduit_server.start("msg-echo-conduit", name, -1, error, cpus.server) ||
      !start_on_socketpair(raw_server, "echo-raw", raw_socket, error, cpus.server, SOCK_SEQPACKET))
    return state.SkipWithError(error.c_str());
  std::error_code ec;
  auto client = open_message_client(name, ec);
  if (ec) return skip(state, "open/set_read_mode", ec);
  raw_end raw{raw_socket.fd};
  run_pair(
      state, round_trips_per_block, [&] { return ping_pong<true>(state, client); },
      round_trips_per_block, [&] { return ping_pong<true>(state, raw); }, false);
}

// One block: a {count, size} message, count messages, then the reader's
// 1-byte acknowledgement message. Whole: the acknowledgement is read as one
// message (conduit, SEQPACKET); the stream baseline reads it as a byte.
template <bool Whole, typename End>
bool message_stream(benchmark::State& state, End& end, std::span<const std::byte> data,
                    std::uint64_t count) {
  std::array<std::uint64_t, 2> header{count, data.size()};
  std::array<std::byte, 1> ack;
  std::error_code ec;
  if (end.write(std::as_bytes(std::span(header)), ec) != sizeof(header) || ec) {
    skip(state, "write header", ec);
    return false;
  }
  for (std::uint64_t i = 0; i < count; ++i) {
    if (end.write(data, ec) != data.size() || ec) {
      skip(state, "write message", ec);
      return false;
    }
  }
  if (!(Whole ? read_whole(end, std::span(ack), ec) : read_exact(end, std::span(ack), ec))) {
    skip(state, "read acknowledgement", ec);
    return false;
  }
  return true;
}

// Size-byte messages, PerBlock of them per block; the baseline is a
// SEQPACKET pair, or for StreamBaseline a stream pair read size bytes at a
// time.
template <std::size_t Size, std::uint64_t PerBlock, bool StreamBaseline>
void message_throughput(benchmark::State& state) {
  watchdog_scope guard("msg_throughput", benchmark_time_limit);
  std::string name = pipe_name("msg-stream");
  data_path_cpus cpus;
  cpu_pin_scope pin(cpus.client);
  helper_process conduit_server;
  helper_process raw_server;
  owned_fd raw_socket;
  std::string error;
  if (!conduit_server.start("msg-sink-conduit", name, -1, error, cpus.server) ||
      !start_on_socketpair(raw_server, StreamBaseline ? "msg-sink-stream" : "msg-sink-seqpacket",
                           raw_socket, error, cpus.server,
                           StreamBaseline ? SOCK_STREAM : SOCK_SEQPACKET))
    return state.SkipWithError(error.c_str());
  std::error_code ec;
  auto client = open_message_client(name, ec);
  if (ec) return skip(state, "open/set_read_mode", ec);
  raw_end raw{raw_socket.fd};
  std::vector<std::byte> data(Size, std::byte{0x5a});
  constexpr double bytes_per_block = double(PerBlock) * Size;
  run_pair(
      state, bytes_per_block, [&] { return message_stream<true>(state, client, data, PerBlock); },
      bytes_per_block, [&] { return message_stream<!StreamBaseline>(state, raw, data, PerBlock); },
      true);
}

// ---- the table ---------------------------------------------------------------

struct pair_spec {
  const char* name;
  void (*function)(benchmark::State&);
  benchmark::IterationCount iterations;  // block pairs per repetition
  bool bytes;
  double target;  // the project's goal for conduit/raw
};
// A repetition of each takes a few tenths of a second on the 2-core
// reference machine, so the default 15 repetitions keep the run short.
constexpr std::array<pair_spec, 7> pairs{{
    {"connect_close", connect_close, 20, false, 0.5},
    {"call_named_pipe", call_named_pipe, 20, false, 0.5},
    {"ping_pong_64B", ping_pong_64B, 25, false, 0.9},
    {"throughput_64KiB", throughput_64KiB, 15, true, 0.9},
    {"msg_ping_pong_64B", msg_ping_pong_64B, 25, false, 0.9},
    // 2048 x 4 KiB = 8 MiB and 16 x 1 MiB = 16 MiB per block.
    {"msg_throughput_4KiB", message_throughput<message_small, 2048, false>, 15, true, 0.9},
    {"msg_throughput_1MiB", message_throughput<message_large, 16, true>, 15, true, 0.9},
}};

std::string format_rate(double rate, bool bytes) {
  char text[64];
  if (bytes)
    std::snprintf(text, sizeof(text), "%.2f GiB/s", rate / (1024.0 * 1024.0 * 1024.0));
  else
    std::snprintf(text, sizeof(text), "%.1f k/s", rate / 1000.0);
  return text;
}

// The console output as usual, then a table of the medians over the
// repetitions (or the single run when there is one) with their coefficients
// of variation, so a reader sees how far to trust each figure. The ratio is
// the median of each repetition's own ratio: the two sides of one
// repetition saw the same machine.
class table_reporter : public benchmark::ConsoleReporter {
 public:
  using ConsoleReporter::ConsoleReporter;

  [[nodiscard]] bool any_failed() const { return any_failed_; }

  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      if (run.error_occurred) {
        any_failed_ = true;
        continue;
      }
      bool aggregate = run.run_type == Run::RT_Aggregate;
      if (aggregate && run.aggregate_name != "median" && run.aggregate_name != "cv") continue;
      auto& row = rows_[run.run_name.function_name];
      for (const char* key : {"conduit", "raw", "ratio"}) {
        auto it = run.counters.find(key);
        if (it == run.counters.end()) continue;
        figure& f = row[key];
        if (run.aggregate_name == "cv") {
          f.cv = it->second.value;
        } else if (aggregate || !f.from_median) {
          f.value = it->second.value;
          f.from_median = aggregate;
        }
      }
    }
  }

  void Finalize() override {
    auto& out = GetOutputStream();
    char line[200];
    out << "\nCPU: " << cpu_model() << ", " << std::thread::hardware_concurrency() << " CPUs\n";
    std::snprintf(line, sizeof(line), "%-20s %20s %20s %16s   %s\n", "benchmark", "conduit (cv)",
                  "raw (cv)", "conduit/raw (cv)", "target");
    out << line;
    for (const auto& spec : pairs) {
      auto it = rows_.find(spec.name);
      if (it == rows_.end()) continue;
      auto& row = it->second;
      const figure& ratio = row["ratio"];
      const char* verdict = "";
      char ratio_text[32] = "-";
      if (ratio.value > 0) {
        std::snprintf(ratio_text, sizeof(ratio_text), "%.2f", ratio.value);
        verdict = ratio.value >= spec.target ? "met" : "below";
      }
      std::snprintf(line, sizeof(line), "%-20s %20s %20s %16s   >= %.1f %s\n", spec.name,
                    shown(row["conduit"], format_rate(row["conduit"].value, spec.bytes)).c_str(),
                    shown(row["raw"], format_rate(row["raw"].value, spec.bytes)).c_str(),
                    shown(ratio, ratio_text).c_str(), spec.target, verdict);
      out << line;
    }
    out.flush();
  }

 private:
  struct figure {
    double value = 0;
    double cv = -1;  // none with a single repetition
    bool from_median = false;
  };

  static std::string shown(const figure& f, const std::string& text) {
    if (f.value <= 0) return "failed";
    if (f.cv < 0) return text;
    return text + " (" + std::to_string(static_cast<int>(f.cv * 100 + 0.5)) + "%)";
  }

  std::map<std::string, std::map<std::string, figure>> rows_;
  bool any_failed_ = false;
};

void register_benchmarks() {
  for (const auto& spec : pairs) {
    benchmark::RegisterBenchmark(spec.name, spec.function)
        ->Iterations(spec.iterations)
        ->UseRealTime()  // the work is split across processes: wall time is what counts
        ->Unit(benchmark::kMillisecond);
  }
}

}  // namespace
}  // namespace conduit_bench

int main(int argc, char** argv) {
  using namespace conduit_bench;
  if (argc == 5 && std::string_view(argv[1]) == "--helper")
    return helper_main(argv[2], argv[3], std::atoi(argv[4]));

  // Defaults first, so that the same flags given on the command line win.
  std::vector<std::string> defaults = {"--benchmark_repetitions=15",
                                       "--benchmark_enable_random_interleaving=true",
                                       "--benchmark_display_aggregates_only=true"};
  std::vector<char*> args{argv[0]};
  for (auto& d : defaults) args.push_back(d.data());
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--pin=same" || arg == "--pin=split" || arg == "--pin=none") {
      data_path_pin = arg == "--pin=same"    ? pin_mode::same
                      : arg == "--pin=split" ? pin_mode::split
                                             : pin_mode::none;
    } else {
      args.push_back(argv[i]);
    }
  }
  int count = static_cast<int>(args.size());
  args.push_back(nullptr);
  benchmark::Initialize(&count, args.data());
  if (benchmark::ReportUnrecognizedArguments(count, args.data())) return 1;

  runtime_session session;
  runtime_dir = session.dir();
  // Starts the broker now, from this unpinned process: started by a pinned
  // helper, it would inherit that helper's single CPU for the whole run.
  std::error_code ec;
  (void)conduit::pipe_client::open(R"(\\.\pipe\conduit-bench-start)", conduit::pipe_access::duplex,
                                   ec);
  if (ec != conduit::errc::file_not_found) {
    std::fprintf(stderr, "conduit_bench: cannot reach the broker: %s\n", ec.message().c_str());
    return 1;
  }
  register_benchmarks();
  table_reporter reporter(::isatty(STDOUT_FILENO) ? benchmark::ConsoleReporter::OO_ColorTabular
                                                  : benchmark::ConsoleReporter::OO_Tabular);
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return reporter.any_failed() ? 1 : 0;
}
