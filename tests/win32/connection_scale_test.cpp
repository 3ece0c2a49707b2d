// Thousands of connections on one server thread: a one-thread overlapped
// server (conduit_test_echo_server, one completion port) holds 2,000
// connected clients of this process, spread over pipe names of 250
// instances, and echoes on every one of them; every echo is checked. The
// server's and the broker's descriptors are counted while the instances
// listen (2 each: the server's two ends of the pair, the broker's page and
// endpoint) and once they are connected (1 each: the server's socket, the
// broker's page), and the broker's again afterwards: none remain.
//
// The suite runs 2,000, about a second. 10,000 do not fit one test
// process at the usual descriptor limit of 20,000 (this process holds 2 per
// client), so CONDUIT_SCALE_CONNECTIONS sets another number (up to about
// 9,000 here), and bench/connection_scale_bench.cpp measures 10,000 with
// the clients in several processes.
#include <gtest/gtest.h>

#include <sys/resource.h>
#include <windows.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "overlapped_echo_server.hpp"
#include "spawned_program.hpp"
#include "support/raw_broker.hpp"
#include "support/sandbox.hpp"
#include "win32_test_support.hpp"

namespace conduit::test {
namespace {

using namespace std::chrono_literals;

constexpr int per_name = 250;

int connection_count() {
  const char* set = std::getenv("CONDUIT_SCALE_CONNECTIONS");
  return set && std::atoi(set) > 0 ? std::atoi(set) : 2000;
}

// Enough descriptors for `needed`, for this process and the broker and
// server it starts (they inherit the limit); false if the hard limit is too
// low and may not be raised.
bool raise_descriptor_limit(rlim_t needed) {
  rlimit lim{};
  ::getrlimit(RLIMIT_NOFILE, &lim);
  if (lim.rlim_max < needed) lim.rlim_max = needed;  // root may
  lim.rlim_cur = lim.rlim_max;
  if (::setrlimit(RLIMIT_NOFILE, &lim) == 0) return true;
  ::getrlimit(RLIMIT_NOFILE, &lim);
  lim.rlim_cur = lim.rlim_max;
  return ::setrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_max >= needed;
}

class ConnectionScale : public sandbox {};

TEST_F(ConnectionScale, OneServerThreadEchoesOnEveryConnection) {
  int count = connection_count();
  // The server and the broker hold 2 descriptors per listening instance,
  // this process 2 per client (docs/benchmarks.md, "Thousands of
  // connections").
  if (!raise_descriptor_limit(static_cast<rlim_t>(count) * 2 + 1024))
    GTEST_SKIP() << "the descriptor limit is too low for " << count << " connections";

  std::string prefix = pipe_name("scale-");
  ASSERT_FALSE(WaitNamedPipeA((prefix + "0").c_str(), 0));  // starts the broker
  ASSERT_EQ(GetLastError(), static_cast<DWORD>(ERROR_FILE_NOT_FOUND));
  int broker = broker_pid();
  ASSERT_GT(broker, 0);
  broker_round_trip();
  int broker_fds_before = fd_count_of(broker);

  conduit_bench::echo_server_options options;
  options.prefix = prefix;
  options.instances = count;
  options.per_name = per_name;
  spawned_program server(
      {CONDUIT_ECHO_SERVER, prefix, std::to_string(count), std::to_string(per_name), "0"});
  ASSERT_EQ(server.line(120s), "ready");
  int broker_fds_listening = fd_count_of(broker);
  int server_fds_listening = fd_count_of(server.pid());

  std::vector<handle_guard> clients;
  clients.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    HANDLE h = conduit_bench::open_echo_client(conduit_bench::echo_pipe_name(options, i));
    ASSERT_NE(h, INVALID_HANDLE_VALUE) << "client " << i << ": " << GetLastError();
    clients.emplace_back(h);
  }
  int broker_fds_connected = fd_count_of(broker);

  // Two rounds: a request on every connection, then every echo; each
  // request says which connection and round it belongs to.
  auto request_of = [](int connection, int round) {
    std::array<char, 64> r{};
    std::snprintf(r.data(), r.size(), "connection %d round %d", connection, round);
    return r;
  };
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < count; ++i) {
      auto request = request_of(i, round);
      ASSERT_TRUE(conduit_bench::write_all(clients[i], request.data(), request.size()))
          << "write " << i << ": " << GetLastError();
    }
    for (int i = 0; i < count; ++i) {
      std::array<char, 64> reply{};
      ASSERT_TRUE(conduit_bench::read_all(clients[i], reply.data(), reply.size()))
          << "read " << i << ": " << GetLastError();
      ASSERT_EQ(reply, request_of(i, round)) << "echo " << i;
    }
  }

  // Every instance has served its client: each has seen its client come.
  int server_fds_connected = fd_count_of(server.pid());
  clients.clear();
  ASSERT_EQ(server.terminate(60s), 0) << "the server failed";
  std::string counts = server.line(10s);
  EXPECT_NE(counts.find("errors 0"), std::string::npos) << counts;
  broker_round_trip();  // the broker has heard of the server's going
  int broker_fds_after = fd_count_of(broker);
  std::printf("broker descriptors: %d before, %d with %d listening, %d connected, %d after\n",
              broker_fds_before, broker_fds_listening, count, broker_fds_connected,
              broker_fds_after);
  std::printf("server descriptors: %d with %d listening, %d connected\n", server_fds_listening,
              count, server_fds_connected);
  // The broker holds a listening instance's page and endpoint, and only the
  // page once its client connected (and is charged as much: docs/broker.md).
  EXPECT_LE(broker_fds_listening - broker_fds_before, 2 * count + 8);
  EXPECT_LE(broker_fds_connected - broker_fds_before, count + 8);
  // The server holds its end of a listening instance's pair and its copy of
  // the client's end (to register it again with a broker that restarts),
  // then its end alone: no page, no eventfd per instance. The rest is the
  // process's own (broker connection and lanes, port, engine, standard
  // streams).
  EXPECT_LE(server_fds_listening, 2 * count + 32);
  EXPECT_LE(server_fds_connected, count + 32);
  // This process stays: its lanes may have come since.
  EXPECT_LE(broker_fds_after, broker_fds_before + lane_allowance(1))
      << "descriptors left in the broker";
}

}  // namespace
}  // namespace conduit::test
