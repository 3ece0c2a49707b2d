// Thousands of connections on one server thread: a one-thread overlapped
// server (conduit_test_echo_server, one completion port) holds 2,000
// connected clients of this process, spread over pipe names of 250
// instances, and echoes on every one of them; every echo is checked. The
// broker's descriptors are counted before, while they are connected, and
// after: it holds none per connected client, and none remain afterwards.
//
// 2,000 fits the usual descriptor limit of 20,000 (10,000 need about
// 41,000: 4 per listening instance in the server) and takes about a second;
// CONDUIT_SCALE_CONNECTIONS sets another number, and
// bench/connection_scale_bench.cpp measures what connections cost.
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
  // The server holds 4 descriptors per listening instance, the broker is
  // charged 2 (docs/benchmarks.md, "Thousands of connections").
  if (!raise_descriptor_limit(static_cast<rlim_t>(count) * 4 + 1024))
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

  clients.clear();
  ASSERT_EQ(server.terminate(60s), 0) << "the server failed";
  std::string counts = server.line(10s);
  EXPECT_NE(counts.find("errors 0"), std::string::npos) << counts;
  broker_round_trip();  // the broker has heard of the server's going
  int broker_fds_after = fd_count_of(broker);
  std::printf("broker descriptors: %d before, %d with %d listening, %d connected, %d after\n",
              broker_fds_before, broker_fds_listening, count, broker_fds_connected,
              broker_fds_after);
  // Charged 2 per instance, the broker holds at most that for a listening
  // one (its page and endpoint), and only the page once its client
  // connected.
  EXPECT_LE(broker_fds_listening - broker_fds_before, 2 * count + 8);
  EXPECT_LE(broker_fds_connected - broker_fds_before, count + 8);
  // This process stays: its lanes may have come since.
  EXPECT_LE(broker_fds_after, broker_fds_before + lane_allowance(1))
      << "descriptors left in the broker";
}

}  // namespace
}  // namespace conduit::test
