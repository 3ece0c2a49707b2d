// A private broker for each test: a fresh CONDUIT_RUNTIME_DIR, and the broker
// started there killed at the end, so tests never share state.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <system_error>

#include "conduit/pipe_client.hpp"

namespace conduit::test {

class sandbox : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  /// The broker's pid (0 if none is running yet).
  [[nodiscard]] int broker_pid() const;
  /// Kills the broker with SIGKILL and waits (bounded) until it is gone.
  void kill_broker();
  /// One request through the broker and back. The broker closes its copy of
  /// a client's end just after handing it over, so after this round trip a
  /// client end closed by its holder is closed for good.
  void broker_round_trip();
  /// A pipe name unique to this test.
  [[nodiscard]] std::string pipe_name(const std::string& suffix = "p") const;

  std::string runtime_dir_;
};

/// Opens `name`, retrying (bounded, 10 s) while it is not found: a broker
/// that has just restarted has not yet heard from the pipe's server again.
[[nodiscard]] pipe_client open_after_restart(const std::string& name, std::error_code& ec);

/// Number of open descriptors of this process.
[[nodiscard]] int open_fd_count();

}  // namespace conduit::test
