// Finding the broker, and starting a session broker when none answers.
#pragma once

#include <string>
#include <system_error>

#include "core/unique_fd.hpp"

namespace conduit::detail {

/// Connects to the broker that serves this process: the one in
/// CONDUIT_RUNTIME_DIR if set, else the system broker in /run/conduit, else
/// this user's session broker, which is started if it is not running (one
/// process starts it; others that race wait for it). The broker's
/// credentials are checked before the connection is returned.
/// Errors: ERROR_SERVICE_NOT_ACTIVE when no broker can be reached or started,
/// ERROR_ACCESS_DENIED when the socket belongs to someone untrusted.
[[nodiscard]] unique_fd connect_broker(std::error_code& ec);

}  // namespace conduit::detail
