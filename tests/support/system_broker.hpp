// A system-mode conduitd (`--system`: one namespace for every user) that a
// test starts in a folder of its own and kills at the end.
#pragma once

#include <sys/types.h>

#include <string>

#include "core/unique_fd.hpp"

namespace conduit::test {

class system_broker {
 public:
  system_broker() = default;
  ~system_broker();
  system_broker(const system_broker&) = delete;
  system_broker& operator=(const system_broker&) = delete;

  /// Starts `conduitd --system --runtime-dir DIR` (beside the test binary)
  /// as this process's user, making DIR reachable by every user. True once
  /// it listens (within 10 seconds).
  [[nodiscard]] bool start(const std::string& dir);
  [[nodiscard]] pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  detail::unique_fd pidfd_;
};

}  // namespace conduit::test
