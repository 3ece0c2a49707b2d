// Where the broker lives: its folder, socket, lock and pid files.
#pragma once

#include <string>

namespace conduit::detail {

/// The shared broker's folder (`conduitd --system`): /run/conduit, or
/// CONDUIT_SYSTEM_RUNTIME_DIR when set (a system broker somewhere else, as
/// tests run one).
[[nodiscard]] std::string system_runtime_dir();

/// The folder named by CONDUIT_RUNTIME_DIR, or empty when it is not set.
[[nodiscard]] std::string runtime_dir_override();

/// This user's session folder: $XDG_RUNTIME_DIR/conduit, or /tmp/conduit-<uid>.
[[nodiscard]] std::string session_runtime_dir();

[[nodiscard]] inline std::string broker_socket_path(const std::string& dir) {
  return dir + "/conduitd.sock";
}
[[nodiscard]] inline std::string broker_lock_path(const std::string& dir) {
  return dir + "/conduitd.lock";
}
[[nodiscard]] inline std::string broker_pid_path(const std::string& dir) {
  return dir + "/conduitd.pid";
}
/// Held by a library while it starts a broker, so only one process does.
[[nodiscard]] inline std::string broker_spawn_lock_path(const std::string& dir) {
  return dir + "/spawn.lock";
}

}  // namespace conduit::detail
