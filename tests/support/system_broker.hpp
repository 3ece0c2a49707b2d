// A broker every user can reach, for tests that cross users: conduitd in
// system mode (`--system`: its socket open to all, one namespace for every
// user) in a folder the test makes reachable to all.
#pragma once

#include <sys/types.h>

#include <string>

#include "support/broker_process.hpp"

namespace conduit::test {

/// Starts `conduitd --system` in $CONDUIT_RUNTIME_DIR (beside the test
/// binary), detached, and waits, bounded, until it listens; the sandbox
/// stops it at the end like its own. Call before anything in this process
/// talks to a broker. False if it did not come up.
[[nodiscard]] bool start_system_broker();

/// A system-mode conduitd that the test starts as its own child in a folder
/// of its own, and kills at the end.
class system_broker {
 public:
  /// Starts `conduitd --system --runtime-dir DIR` as this process's user,
  /// making DIR (created if need be) reachable by every user. True once it listens (bounded).
  [[nodiscard]] bool start(const std::string& dir);
  [[nodiscard]] pid_t pid() const { return broker_.pid(); }
  /// Kills it with SIGKILL and reaps it (bounded); true once it is gone.
  bool stop() { return broker_.kill_hard(); }

 private:
  broker_process broker_;
};

}  // namespace conduit::test
