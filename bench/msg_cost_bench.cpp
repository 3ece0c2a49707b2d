// msg_cost_bench: what one message costs on a message pipe, item by item,
// each beside its raw baseline in the same run (docs/benchmarks.md, "Where a
// message's time goes"). One thread does both ends, so no context switch or
// scheduler decision enters a figure: what is left is the code path.
//
//   msg_cost_bench [--rounds=N]   the table: every item timed once per round,
//                                 in turn with the others, N rounds (20000);
//                                 the median of each, and its difference
//                                 from its baseline's
//   msg_cost_bench --ping-pong=N [--only=conduit|raw]
//                                 N 64-byte round trips between two threads
//                                 (for valgrind --tool=callgrind: run two
//                                 counts and divide the difference)
//
// Items (a message is sent and received on a SOCK_SEQPACKET pair unless
// conduit's; the baseline is raw send + recv of the same size):
//   conduit write+read   a message written on one end of a message pipe in
//                        message read mode and read whole on the other
//   recvfrom + name, recvmsg (+ name) with 1 or 2 iovecs
//                        the receives a reader may use
//   autobound pair       ends with abstract addresses (as message pipes have)
//   1 MiB sndbuf         the send buffer message pipes get by default
//   mutex, shared_ptr, atomics
//                        uncontended, against an empty loop
// and then 64-byte round trips to an echo thread, a message pipe's and a
// SEQPACKET pair's in turn, with all threads on one CPU and anywhere: the
// median round trip of each and the ratio of the rates.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
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
long rounds = 20000;
constexpr long cpu_ops = 5000000;

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

// Keeps the compiler from dropping a loop's work.
template <typename T>
void keep(T& value) {
  asm volatile("" : : "r,m"(value) : "memory");
}

// One message of `size` bytes sent and received on one thread.
std::function<void()> send_receive(socket_pair& pair, std::size_t size, receive_kind kind) {
  auto out = std::make_shared<std::vector<std::byte>>(size, std::byte{0x5a});
  auto in = std::make_shared<std::vector<std::byte>>(size);
  return [&pair, out, in, kind] {
    if (::send(pair.fd[0], out->data(), out->size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(out->size()))
      fail("send");
    receive(pair.fd[1], *in, kind);
  };
}

// An item of the table: one operation, timed each time on its own.
struct item {
  const char* name;
  std::function<void()> op;
  int baseline;  // the item it is compared with (itself for a baseline)
  std::vector<double> ns{};
};

// Runs every item once per round, in turn, so that the machine's drift
// falls on all alike; prints each item's median and its difference from
// its baseline's.
void run_items(std::vector<item>& items) {
  for (auto& i : items) i.op();  // warm up
  for (long round = 0; round < rounds; ++round) {
    for (auto& i : items) {
      auto start = clock_type::now();
      i.op();
      i.ns.push_back(std::chrono::duration<double, std::nano>(clock_type::now() - start).count());
    }
  }
  std::vector<double> medians;
  for (auto& i : items) {
    std::nth_element(i.ns.begin(), i.ns.begin() + i.ns.size() / 2, i.ns.end());
    medians.push_back(i.ns[i.ns.size() / 2]);
  }
  for (std::size_t k = 0; k < items.size(); ++k) {
    auto base = static_cast<std::size_t>(items[k].baseline);
    if (base == k)
      std::printf("%-46s %8.0f\n", items[k].name, medians[k]);
    else
      std::printf("%-46s %8.0f   %+6.0f vs %s\n", items[k].name, medians[k],
                  medians[k] - medians[base], items[base].name);
  }
}

// Median ns per op of `work` over blocks of `ops`, and of an empty loop.
template <typename Work>
void cpu_row(const char* name, Work work) {
  auto per_op = [](auto& loop) {
    std::vector<double> ns;
    for (int b = 0; b < 9; ++b) {
      auto start = clock_type::now();
      loop(cpu_ops);
      ns.push_back(std::chrono::duration<double, std::nano>(clock_type::now() - start).count() /
                   double(cpu_ops));
    }
    std::nth_element(ns.begin(), ns.begin() + 4, ns.end());
    return ns[4];
  };
  auto nothing = [](long ops) {
    for (long i = 0; i < ops; ++i) keep(i);
  };
  double with = per_op(work);
  double without = per_op(nothing);
  std::printf("%-46s %8.1f   %+6.1f vs an empty loop\n", name, with, with - without);
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
  std::printf("CPU: %s; one thread, each item timed %ld times in turn with the others\n",
              conduit_bench::cpu_model().c_str(), rounds);
  std::printf("%-46s %8s   %s\n", "item (median ns per message)", "ns", "difference");
  socket_pair plain(false, 0);
  socket_pair bound(true, 0);
  socket_pair big(false, 512 * 1024);  // the kernel doubles it: 1 MiB
  message_pipe pipe("table");
  auto conduit_message = [&](std::size_t size, bool to_client) {
    auto out = std::make_shared<std::vector<std::byte>>(size);
    auto in = std::make_shared<std::vector<std::byte>>(size);
    return [&pipe, out, in, to_client] {
      std::error_code ec;
      conduit::basic_pipe& writer = to_client ? static_cast<conduit::basic_pipe&>(pipe.server)
                                              : static_cast<conduit::basic_pipe&>(pipe.client);
      conduit::basic_pipe& reader = to_client ? static_cast<conduit::basic_pipe&>(pipe.client)
                                              : static_cast<conduit::basic_pipe&>(pipe.server);
      if (writer.write(*out, ec) != out->size() || reader.read(*in, ec) != in->size() || ec)
        fail("conduit write/read: " + ec.message());
    };
  };
  using rk = receive_kind;
  std::vector<item> items;
  items.push_back({"raw send+recv 64 B", send_receive(plain, 64, rk::recv), 0});
  items.push_back({"conduit write+read 64 B, client to server", conduit_message(64, false), 0});
  items.push_back({"conduit write+read 64 B, server to client", conduit_message(64, true), 0});
  items.push_back({"send+recvfrom+name", send_receive(plain, 64, rk::recvfrom_name), 0});
  items.push_back({"send+recvmsg, 1 iovec", send_receive(plain, 64, rk::recvmsg_1iov), 0});
  items.push_back(
      {"send+recvmsg+name, 1 iovec", send_receive(plain, 64, rk::recvmsg_name_1iov), 0});
  items.push_back(
      {"send+recvmsg+name, 2 iovecs", send_receive(plain, 64, rk::recvmsg_name_2iov), 0});
  items.push_back({"send+recv, autobound pair", send_receive(bound, 64, rk::recv), 0});
  items.push_back({"send+recvfrom+name, autobound", send_receive(bound, 64, rk::recvfrom_name), 0});
  items.push_back({"send+recv 64 B, 1 MiB sndbuf", send_receive(big, 64, rk::recv), 0});
  items.push_back({"raw send+recv 4 KiB", send_receive(plain, 4096, rk::recv), 10});
  items.push_back({"send+recv 4 KiB, 1 MiB sndbuf", send_receive(big, 4096, rk::recv), 10});
  items.push_back({"conduit write+read 4 KiB, client to server", conduit_message(4096, false), 10});
  run_items(items);

  std::mutex mutex;
  cpu_row("std::mutex lock+unlock", [&](long ops) {
    for (long i = 0; i < ops; ++i) {
      std::lock_guard lock(mutex);
      keep(i);
    }
  });
  auto shared = std::make_shared<int>(1);
  cpu_row("shared_ptr copy+release", [&](long ops) {
    for (long i = 0; i < ops; ++i) {
      auto copy = shared;
      keep(copy);
    }
  });
  std::atomic<long> counter{0};
  cpu_row("atomic fetch_add+fetch_sub", [&](long ops) {
    for (long i = 0; i < ops; ++i) {
      counter.fetch_add(1);
      counter.fetch_sub(1, std::memory_order_release);
    }
  });
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

// Round trips of one 64-byte message to an echo thread, on a message pipe
// and on a SEQPACKET pair, one of each in turn, each timed on its own: the
// medians and their ratio. `cpu`: all threads on that CPU (-1: anywhere).
void ping_pong_table(int cpu) {
  conduit_bench::cpu_pin_scope pin(cpu);  // the echo threads inherit it
  message_pipe pipe("table-ping");
  socket_pair pair(false, 0);
  std::thread conduit_echo([&] {
    std::array<std::byte, 4096> buffer;
    std::error_code ec;
    for (;;) {
      std::size_t n = pipe.server.read(buffer, ec);
      if (ec || pipe.server.write(std::span(buffer).first(n), ec) != n) return;
    }
  });
  std::thread raw_echo([&] {
    std::array<std::byte, 4096> buffer;
    for (;;) {
      ssize_t n = ::recv(pair.fd[1], buffer.data(), buffer.size(), 0);
      if (n <= 0 || ::send(pair.fd[1], buffer.data(), std::size_t(n), MSG_NOSIGNAL) != n) return;
    }
  });
  std::array<std::byte, 64> out{};
  std::array<std::byte, 64> in{};
  std::vector<double> conduit_ns, raw_ns;
  for (long round = 0; round < rounds; ++round) {
    std::error_code ec;
    auto start = clock_type::now();
    if (pipe.client.write(out, ec) != out.size() || pipe.client.read(in, ec) != in.size() || ec)
      fail("conduit ping: " + ec.message());
    auto middle = clock_type::now();
    if (::send(pair.fd[0], out.data(), out.size(), MSG_NOSIGNAL) != 64 ||
        ::recv(pair.fd[0], in.data(), in.size(), 0) != 64)
      fail("raw ping");
    auto end = clock_type::now();
    conduit_ns.push_back(std::chrono::duration<double, std::nano>(middle - start).count());
    raw_ns.push_back(std::chrono::duration<double, std::nano>(end - middle).count());
  }
  pipe.client.close();                // ends the conduit echo
  ::shutdown(pair.fd[0], SHUT_RDWR);  // ends the raw one
  conduit_echo.join();
  raw_echo.join();
  auto median = [](std::vector<double>& v) {
    std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
    return v[v.size() / 2];
  };
  double c = median(conduit_ns);
  double r = median(raw_ns);
  std::printf(
      "ping-pong 64 B, threads %s: conduit %.0f ns, raw %.0f ns a round trip: "
      "conduit/raw %.2f\n",
      cpu < 0 ? "anywhere" : "on one CPU", c, r, r / c);
}

}  // namespace

int main(int argc, char** argv) {
  long round_trips = 0;
  std::string only;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--ping-pong=", 0) == 0) {
      round_trips = std::atol(arg.c_str() + 12);
    } else if (arg.rfind("--rounds=", 0) == 0) {
      rounds = std::max(1L, std::atol(arg.c_str() + 9));
    } else if (arg.rfind("--only=", 0) == 0) {
      only = arg.substr(7);
    } else {
      std::fprintf(stderr,
                   "usage: msg_cost_bench [--rounds=N] [--ping-pong=N [--only=conduit|raw]]\n");
      return 2;
    }
  }
  conduit_bench::runtime_session session;
  if (round_trips > 0) {
    ping_pong(round_trips, only);
  } else {
    table();
    ping_pong_table(0);
    ping_pong_table(-1);
  }
  return 0;
}
