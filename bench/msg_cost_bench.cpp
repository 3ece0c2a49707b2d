// msg_cost_bench: what one message costs on a message pipe, item by item,
// each beside its raw baseline in the same run (docs/benchmarks.md, "Where a
// message's time goes"). One thread does both ends, so no context switch or
// scheduler decision enters a figure: what is left is the code path.
//
//   msg_cost_bench [--blocks=B] [--ops=N]
//                                  the table: ns per message for each item,
//                                  the median of B blocks of N (9, 50000)
//   msg_cost_bench --ping-pong=N [--only=conduit|raw]
//                                  N 64-byte round trips between two threads
//                                  (for valgrind --tool=callgrind: run two
//                                  counts and divide the difference)
//
// Items, each against the baseline named beside it:
//   conduit write+read  a 64-byte message written on a client in message mode
//                       and read whole on its server, one thread
//                       (raw: send + recv on a SOCK_SEQPACKET pair)
//   recvfrom + name / recvmsg + name, 2 iovecs / recvmsg, 1 iovec /
//   recvmsg + name, 1 iovec
//                       the receive a reader may use (raw: recv)
//   autobound pair      send + recv on a pair whose ends have abstract
//                       addresses (raw: an unbound pair)
//   1 MiB send buffer   send + recv of 64 B and 4 KiB (raw: Linux's default)
//   mutex, shared_ptr   an uncontended std::mutex lock/unlock, a shared_ptr
//                       copy and release (raw: nothing)
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench_support.hpp"
#include "conduit/error.hpp"
#include "conduit/pipe_client.hpp"
#include "conduit/pipe_server.hpp"

namespace {

using clock_type = std::chrono::steady_clock;
int blocks = 9;
long ops_per_block = 50000;

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "msg_cost_bench: %s\n", what.c_str());
  std::exit(1);
}

void check(const std::error_code& ec, const char* what) {
  if (ec) fail(std::string(what) + ": " + ec.message());
}

struct socket_pair {
  int fd[2] = {-1, -1};
  socket_pair(bool bound, int sndbuf) {
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fd) != 0) fail("socketpair");
    for (int f : fd) {
      if (bound) {
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        if (::bind(f, reinterpret_cast<sockaddr*>(&address), sizeof(sa_family_t)) != 0)
          fail("bind");
      }
      if (sndbuf > 0) ::setsockopt(f, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
    }
  }
  ~socket_pair() {
    ::close(fd[0]);
    ::close(fd[1]);
  }
  socket_pair(const socket_pair&) = delete;
  socket_pair& operator=(const socket_pair&) = delete;
};

// How a receive is made.
enum class receive_kind { recv, recvfrom_name, recvmsg_name_2iov, recvmsg_1iov, recvmsg_name_1iov };

std::vector<std::byte> spill(256 * 1024);

void receive(int fd, std::span<std::byte> buffer, receive_kind kind) {
  ssize_t n;
  if (kind == receive_kind::recv) {
    n = ::recv(fd, buffer.data(), buffer.size(), 0);
  } else if (kind == receive_kind::recvfrom_name) {
    sockaddr_un sender;
    socklen_t size = sizeof(sender);
    n = ::recvfrom(fd, buffer.data(), buffer.size(), MSG_TRUNC,
                   reinterpret_cast<sockaddr*>(&sender), &size);
  } else {
    std::array<iovec, 2> iov{{{buffer.data(), buffer.size()}, {spill.data(), spill.size()}}};
    sockaddr_un sender;
    msghdr msg{};
    if (kind != receive_kind::recvmsg_1iov) {
      msg.msg_name = &sender;
      msg.msg_namelen = sizeof(sender);
    }
    msg.msg_iov = iov.data();
    msg.msg_iovlen = kind == receive_kind::recvmsg_name_2iov ? 2 : 1;
    n = ::recvmsg(fd, &msg, 0);
  }
  if (n != static_cast<ssize_t>(buffer.size())) fail("receive");
}

// `ops` messages of `size` bytes sent and received on one thread.
std::function<void(long)> send_receive(socket_pair& pair, std::size_t size, receive_kind kind) {
  return [&pair, size, kind](long ops) {
    std::vector<std::byte> out(size, std::byte{0x5a});
    std::vector<std::byte> in(size);
    for (long i = 0; i < ops; ++i) {
      if (::send(pair.fd[0], out.data(), out.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(size))
        fail("send");
      receive(pair.fd[1], in, kind);
    }
  };
}

double seconds_of(const std::function<void(long)>& work, long ops) {
  auto start = clock_type::now();
  work(ops);
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

// Median ns per op of `item` and of `baseline`, blocks alternating.
std::pair<double, double> compare(const std::function<void(long)>& item,
                                  const std::function<void(long)>& baseline, long ops) {
  item(ops / 10);  // warm up both
  baseline(ops / 10);
  std::vector<double> a, b;
  for (int i = 0; i < blocks; ++i) {
    a.push_back(seconds_of(item, ops) * 1e9 / double(ops));
    b.push_back(seconds_of(baseline, ops) * 1e9 / double(ops));
  }
  std::nth_element(a.begin(), a.begin() + blocks / 2, a.end());
  std::nth_element(b.begin(), b.begin() + blocks / 2, b.end());
  return {a[blocks / 2], b[blocks / 2]};
}

void row(const char* item, const char* baseline, std::pair<double, double> r) {
  std::printf("%-34s %9.1f   %-24s %9.1f   %+8.1f\n", item, r.first, baseline, r.second,
              r.first - r.second);
}

// Keeps the compiler from dropping a loop's work.
template <typename T>
void keep(T& value) {
  asm volatile("" : : "r,m"(value) : "memory");
}

conduit::pipe_options message_options() {
  conduit::pipe_options options;
  options.type = conduit::pipe_type::message;
  options.mode = conduit::read_mode::message;
  return options;
}

std::string pipe_name(const char* kind) {
  return std::string(R"(\\.\pipe\conduit-cost-)") + kind + "-" + std::to_string(::getpid());
}

// A message pipe's two ends in this process, both in message read mode.
struct message_pipe {
  conduit::pipe_server server;
  conduit::pipe_client client;
  explicit message_pipe(const char* kind) {
    std::error_code ec;
    std::string name = pipe_name(kind);
    server = conduit::pipe_server::create(name, message_options(), ec);
    check(ec, "pipe_server::create");
    client = conduit::pipe_client::open(name, conduit::pipe_access::duplex, ec);
    check(ec, "pipe_client::open");
    client.set_read_mode(conduit::read_mode::message, ec);
    check(ec, "set_read_mode");
    server.connect(ec);
    if (ec && ec != conduit::errc::pipe_connected) check(ec, "connect");
  }
};

void table() {
  std::printf("CPU: %s, one thread, median of %d blocks of %ld\n",
              conduit_bench::cpu_model().c_str(), blocks, ops_per_block);
  std::printf("%-34s %9s   %-24s %9s   %8s\n", "item (ns per message)", "ns", "baseline", "ns",
              "delta");
  socket_pair plain(false, 0);
  auto raw64 = send_receive(plain, 64, receive_kind::recv);

  message_pipe pipe("table");
  auto conduit64 = [&](long ops) {
    std::array<std::byte, 64> out{};
    std::array<std::byte, 64> in{};
    std::error_code ec;
    for (long i = 0; i < ops; ++i) {
      if (pipe.client.write(out, ec) != out.size() || pipe.server.read(in, ec) != in.size() || ec)
        fail("conduit write/read: " + ec.message());
    }
  };
  row("conduit write+read 64 B", "send+recv", compare(conduit64, raw64, ops_per_block));

  socket_pair bound(true, 0);
  row("send+recvfrom+name, autobound", "send+recv, unbound",
      compare(send_receive(bound, 64, receive_kind::recvfrom_name), raw64, ops_per_block));
  row("send+recvmsg+name, 2 iovecs", "send+recv",
      compare(send_receive(plain, 64, receive_kind::recvmsg_name_2iov), raw64, ops_per_block));
  row("send+recvmsg+name, 1 iovec", "send+recv",
      compare(send_receive(plain, 64, receive_kind::recvmsg_name_1iov), raw64, ops_per_block));
  row("send+recvmsg, 1 iovec", "send+recv",
      compare(send_receive(plain, 64, receive_kind::recvmsg_1iov), raw64, ops_per_block));

  row("send+recv, autobound pair", "send+recv, unbound",
      compare(send_receive(bound, 64, receive_kind::recv), raw64, ops_per_block));

  socket_pair big(false, 512 * 1024);
  row("send+recv 64 B, 1 MiB sndbuf", "send+recv, default",
      compare(send_receive(big, 64, receive_kind::recv), raw64, ops_per_block));
  row("send+recv 4 KiB, 1 MiB sndbuf", "send+recv 4 KiB, default",
      compare(send_receive(big, 4096, receive_kind::recv),
              send_receive(plain, 4096, receive_kind::recv), ops_per_block));

  const long cheap_ops = ops_per_block * 100;
  auto nothing = [](long ops) {
    for (long i = 0; i < ops; ++i) keep(i);
  };
  std::mutex mutex;
  row("std::mutex lock+unlock", "empty loop",
      compare(
          [&](long ops) {
            for (long i = 0; i < ops; ++i) {
              std::lock_guard lock(mutex);
              keep(i);
            }
          },
          nothing, cheap_ops));
  auto shared = std::make_shared<int>(1);
  row("shared_ptr copy+release", "empty loop",
      compare(
          [&](long ops) {
            for (long i = 0; i < ops; ++i) {
              auto copy = shared;
              keep(copy);
            }
          },
          nothing, cheap_ops));
}

// Round trips of one 64-byte message between this thread and an echo thread.
void ping_pong(long round_trips, const std::string& only) {
  if (only != "raw") {
    message_pipe pipe("ping");
    std::thread echo([&] {
      std::array<std::byte, 4096> buffer;
      std::error_code ec;
      for (long i = 0; i < round_trips; ++i) {
        std::size_t n = pipe.server.read(buffer, ec);
        if (ec || pipe.server.write(std::span(buffer).first(n), ec) != n) fail("echo");
      }
    });
    std::array<std::byte, 64> out{};
    std::array<std::byte, 64> in{};
    std::error_code ec;
    for (long i = 0; i < round_trips; ++i) {
      if (pipe.client.write(out, ec) != out.size() || pipe.client.read(in, ec) != in.size() || ec)
        fail("ping");
    }
    echo.join();
  }
  if (only != "conduit") {
    socket_pair pair(false, 0);
    std::thread echo([&] {
      std::array<std::byte, 4096> buffer;
      for (long i = 0; i < round_trips; ++i) {
        ssize_t n = ::recv(pair.fd[1], buffer.data(), buffer.size(), 0);
        if (n <= 0 || ::send(pair.fd[1], buffer.data(), std::size_t(n), MSG_NOSIGNAL) != n)
          fail("raw echo");
      }
    });
    std::array<std::byte, 64> out{};
    std::array<std::byte, 64> in{};
    for (long i = 0; i < round_trips; ++i) {
      if (::send(pair.fd[0], out.data(), out.size(), MSG_NOSIGNAL) != 64 ||
          ::recv(pair.fd[0], in.data(), in.size(), 0) != 64)
        fail("raw ping");
    }
    echo.join();
  }
}

}  // namespace

int main(int argc, char** argv) {
  long round_trips = 0;
  std::string only;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--ping-pong=", 0) == 0) {
      round_trips = std::atol(arg.c_str() + 12);
    } else if (arg.rfind("--blocks=", 0) == 0) {
      blocks = std::max(1, std::atoi(arg.c_str() + 9));
    } else if (arg.rfind("--ops=", 0) == 0) {
      ops_per_block = std::max(10L, std::atol(arg.c_str() + 6));
    } else if (arg.rfind("--only=", 0) == 0) {
      only = arg.substr(7);
    } else {
      std::fprintf(
          stderr,
          "usage: msg_cost_bench [--blocks=B] [--ops=N] [--ping-pong=N [--only=conduit|raw]]\n");
      return 2;
    }
  }
  conduit_bench::runtime_session session;
  if (round_trips > 0)
    ping_pong(round_trips, only);
  else
    table();
  return 0;
}
