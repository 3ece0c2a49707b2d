// conduit bench: four measurements, each beside its raw Linux baseline in
// the same run, and the ratio between them:
//   ping-pong           1-byte round trips: a byte pipe / an AF_UNIX stream pair
//   throughput          64 KiB writes one way: a byte pipe / the stream pair
//   message throughput  256-byte messages one way: a message pipe / a
//                       SOCK_SEQPACKET pair
//   connect rate        open, connect, close: a pipe / listen+connect+accept
// The other side runs on a thread of this process, so both sides of each
// pair pay the same scheduling. Short by default: a quick look, not a
// benchmark suite (bench/ has that).
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "cli/cli_support.hpp"
#include "cli/commands.hpp"
#include "conduit/error.hpp"
#include "conduit/pipe_client.hpp"
#include "conduit/pipe_server.hpp"
#include "conduit/process.hpp"

namespace conduit::cli {
namespace {

using clock = std::chrono::steady_clock;

struct result {
  std::string name;
  std::string unit;
  double conduit = 0;
  double raw = 0;
  [[nodiscard]] double ratio() const { return raw > 0 ? conduit / raw : 0; }
};

struct bench_options {
  unsigned duration_ms = 300;
  bool json = false;
  std::string plot;
};

// Runs `step` (which returns the work it did) until `duration` passes;
// returns the work per second.
double rate(const std::string& label, std::chrono::milliseconds duration,
            const std::function<double()>& step) {
  progress shown(label);
  auto start = clock::now();
  auto end = start + duration;
  double work = 0;
  auto now = start;
  do {
    work += step();
    now = clock::now();
    shown.update(static_cast<std::uint64_t>(
                     std::chrono::duration_cast<std::chrono::milliseconds>(now - start).count()),
                 static_cast<std::uint64_t>(duration.count()), "ms");
  } while (now < end);
  return work / std::chrono::duration<double>(now - start).count();
}

bool read_full(int fd, void* data, std::size_t size) {
  auto* p = static_cast<char*>(data);
  while (size > 0) {
    ssize_t n = ::read(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

std::string bench_name(const char* what) {
  static unsigned n = 0;
  return "\\\\.\\pipe\\conduit-bench-" + std::to_string(::getpid()) + "-" + what + "-" +
         std::to_string(++n);
}

// A server instance, its client, and a thread serving the server with `serve`.
struct pipe_pair {
  pipe_server server;
  pipe_client client;
  std::thread thread;
  pipe_pair(bool message, const std::function<void(pipe_server&)>& serve) {
    pipe_options o;
    o.type = message ? pipe_type::message : pipe_type::byte;
    o.mode = message ? read_mode::message : read_mode::byte;
    std::string name = bench_name("pair");
    std::error_code ec;
    server = pipe_server::create(name, o, ec);
    check(ec, "bench: create " + name);
    client = pipe_client::open(name, pipe_access::duplex, ec);
    check(ec, "bench: open " + name);
    if (message) client.set_read_mode(read_mode::message);
    server.connect(ec);
    thread = std::thread([this, serve] { serve(server); });
  }
  ~pipe_pair() {
    client.close();
    thread.join();
  }
};

struct socket_pair {
  int fds[2] = {-1, -1};
  std::thread thread;
  socket_pair(int type, const std::function<void(int)>& serve) {
    if (::socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, fds) != 0)
      throw failure("bench: socketpair", error_from_errno(errno));
    thread = std::thread([this, serve] { serve(fds[1]); });
  }
  ~socket_pair() {
    ::shutdown(fds[0], SHUT_RDWR);
    thread.join();
    ::close(fds[0]);
    ::close(fds[1]);
  }
};

result ping_pong(std::chrono::milliseconds d) {
  result r{"ping-pong", "round trips/s"};
  {
    pipe_pair p(false, [](pipe_server& s) {
      std::byte b[1];
      std::error_code ec;
      while (s.read(b, ec) == 1 && !ec) s.write(std::span<const std::byte>(b, 1), ec);
    });
    std::byte b[1] = {std::byte{1}};
    r.conduit = rate("ping-pong (conduit)", d, [&] {
      p.client.write(std::span<const std::byte>(b, 1));
      return p.client.read(b) == 1 ? 1.0 : 0.0;
    });
  }
  {
    socket_pair s(SOCK_STREAM, [](int fd) {
      char c;
      while (::read(fd, &c, 1) == 1 && ::write(fd, &c, 1) == 1) {
      }
    });
    char c = 1;
    r.raw = rate("ping-pong (raw)", d, [&] {
      return ::write(s.fds[0], &c, 1) == 1 && read_full(s.fds[0], &c, 1) ? 1.0 : 0.0;
    });
  }
  return r;
}

result throughput(std::chrono::milliseconds d) {
  result r{"throughput", "MiB/s"};
  constexpr std::size_t chunk = 64 * 1024;
  std::vector<std::byte> buffer(chunk);
  {
    pipe_pair p(false, [](pipe_server& s) {
      std::vector<std::byte> in(chunk);
      std::error_code ec;
      while (s.read(in, ec) > 0 && !ec) {
      }
    });
    r.conduit = rate("throughput (conduit)", d,
                     [&] { return static_cast<double>(p.client.write(buffer)) / (1 << 20); });
  }
  {
    socket_pair s(SOCK_STREAM, [](int fd) {
      std::vector<char> in(chunk);
      while (::read(fd, in.data(), in.size()) > 0) {
      }
    });
    r.raw = rate("throughput (raw)", d, [&] {
      ssize_t n = ::write(s.fds[0], buffer.data(), buffer.size());
      return n > 0 ? static_cast<double>(n) / (1 << 20) : 0.0;
    });
  }
  return r;
}

result message_throughput(std::chrono::milliseconds d) {
  result r{"message throughput", "messages/s"};
  std::vector<std::byte> message(256, std::byte{7});
  {
    pipe_pair p(true, [](pipe_server& s) {
      std::vector<std::byte> in(4096);
      std::error_code ec;
      for (;;) {
        s.read(in, ec);
        if (ec && ec != errc::more_data) return;
      }
    });
    r.conduit = rate("message throughput (conduit)", d,
                     [&] { return p.client.write(message) == message.size() ? 1.0 : 0.0; });
  }
  {
    socket_pair s(SOCK_SEQPACKET, [](int fd) {
      char in[4096];
      while (::read(fd, in, sizeof(in)) > 0) {
      }
    });
    r.raw = rate("message throughput (raw)", d, [&] {
      return ::write(s.fds[0], message.data(), message.size()) == 256 ? 1.0 : 0.0;
    });
  }
  return r;
}

result connect_rate(std::chrono::milliseconds d) {
  result r{"connect rate", "connects/s"};
  {
    std::string name = bench_name("connect");
    std::error_code ec;
    auto server = pipe_server::create(name, {}, ec);
    check(ec, "bench: create " + name);
    std::atomic<bool> stop{false};
    std::thread t([&] {
      while (!stop) {
        std::error_code e;
        server.connect(std::chrono::milliseconds(200), e);
        if (e == errc::sem_timeout) continue;
        std::byte b[1];
        server.read(b, e);  // until the client closes
        server.disconnect(e);
      }
    });
    r.conduit = rate("connect rate (conduit)", d, [&] {
      std::error_code e;
      auto client = pipe_client::open(name, pipe_access::duplex, e);
      if (e == errc::pipe_busy) {
        wait_named_pipe(name, std::chrono::seconds(5), e);
        return 0.0;
      }
      check(e, "bench: open " + name);
      return 1.0;
    });
    stop = true;
    t.join();
  }
  {
    std::string dir =
        std::filesystem::temp_directory_path() / ("conduit-bench-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    std::string path = dir + "/s";
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path.c_str());
    int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ::unlink(path.c_str());
    if (listener < 0 || ::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::listen(listener, 64) != 0)
      throw failure("bench: listen on " + path, error_from_errno(errno));
    std::thread t([&] {
      for (;;) {
        int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) return;
        char c;
        bool last = ::read(fd, &c, 1) == 1;  // a byte says: the last one
        ::close(fd);
        if (last) return;
      }
    });
    r.raw = rate("connect rate (raw)", d, [&] {
      int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
      ::close(fd);
      return ok ? 1.0 : 0.0;
    });
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0)
      (void)!::write(fd, "x", 1);
    ::close(fd);
    t.join();
    ::close(listener);
    std::filesystem::remove_all(dir);
  }
  return r;
}

std::string cpu_name() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown";
}

// The plotting program, if installed: gnuplot from Debian's gnuplot-nox.
std::string find_gnuplot() {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  for (std::size_t start = 0; start <= dirs.size();) {
    std::size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string candidate = dirs.substr(start, end - start) + "/gnuplot";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return {};
}

void plot(const std::vector<result>& results, const std::string& file) {
  std::string gnuplot = find_gnuplot();
  if (gnuplot.empty())
    throw failure(
        "bench --plot " + file + ": gnuplot is not installed (apt-get install gnuplot-nox)",
        make_error_code(errc::file_not_found));
  std::string script = "set terminal pngcairo size 800,450\nset output " + json_string(file) +
                       "\nset title 'conduit / raw Linux (1.0 = as fast as the kernel alone)'\n"
                       "set style fill solid 0.6\nset boxwidth 0.5\nset yrange [0:*]\n"
                       "set grid ytics\nunset key\n"
                       "plot '-' using 0:2:xtic(1) with boxes, 1 with lines dt 2\n";
  for (const auto& r : results) script += "\"" + r.name + "\" " + std::to_string(r.ratio()) + "\n";
  script += "e\n";
  process_options po;
  po.argv = {gnuplot};
  po.std_input = stdio::pipe();
  po.std_output = stdio::null();
  std::error_code ec;
  process child = process::launch(po, ec);
  check(ec, "bench --plot: " + gnuplot);
  child.std_input().write(std::as_bytes(std::span(script)), ec);
  child.std_input().close();
  auto code = child.wait(std::chrono::seconds(30), ec);
  if (!code) child.terminate(1, ec);
  if (!code || *code != 0)
    throw failure("bench --plot: gnuplot could not draw " + file,
                  make_error_code(errc::invalid_function));
}

void run_bench(const bench_options& o) {
  std::chrono::milliseconds d(o.duration_ms);
  std::vector<result> results{ping_pong(d), throughput(d), message_throughput(d), connect_rate(d)};
  if (o.json) {
    std::printf("{\"cpu\":%s,\"duration_ms\":%u,\"results\":[", json_string(cpu_name()).c_str(),
                o.duration_ms);
    for (std::size_t i = 0; i < results.size(); ++i) {
      const auto& r = results[i];
      std::printf("%s{\"name\":%s,\"unit\":%s,\"conduit\":%.1f,\"raw\":%.1f,\"ratio\":%.3f}",
                  i ? "," : "", json_string(r.name).c_str(), json_string(r.unit).c_str(), r.conduit,
                  r.raw, r.ratio());
    }
    std::printf("]}\n");
  } else {
    std::printf("%-20s %16s %16s %7s  %s\n", "", "conduit", "raw Linux", "ratio", "unit");
    for (const auto& r : results)
      std::printf("%-20s %16.1f %16.1f %7.2f  %s\n", r.name.c_str(), r.conduit, r.raw, r.ratio(),
                  r.unit.c_str());
    std::printf("(%s, %u ms each)\n", cpu_name().c_str(), o.duration_ms);
  }
  std::fflush(stdout);
  if (!o.plot.empty()) plot(results, o.plot);
}

}  // namespace

void add_bench_command(CLI::App& app) {
  auto o = std::make_shared<bench_options>();
  auto* cmd = app.add_subcommand(
      "bench", "Ping-pong, throughput, message throughput, connect rate: conduit vs raw Linux");
  cmd->add_option("--duration,-d", o->duration_ms, "milliseconds per measurement (default 300)")
      ->check(CLI::Range(10u, 60000u));
  cmd->add_flag("--json", o->json, "results as JSON");
  cmd->add_option("--plot", o->plot, "draw the ratios into FILE.png (needs gnuplot)");
  cmd->callback([o] { run_bench(*o); });
}

}  // namespace conduit::cli
