// Finding the broker, and starting a session broker when none answers.
#pragma once

#include <string>
#include <system_error>

#include "core/unique_fd.hpp"
#include "runtime/deadline.hpp"

namespace conduit::detail {

/// Which broker a process found: it goes back to the same kind.
enum class broker_kind { none, configured, system, session };

/// Connects to the broker that serves this process: the one in
/// CONDUIT_RUNTIME_DIR if set, else the system broker (system_runtime_dir()),
/// else this user's session broker, which is started if it is not running
/// (one process starts it; others that race wait for it). The broker's
/// credentials are checked before the connection is returned.
///
/// `kind` says what the process used before (none at first) and is set to
/// what it uses now. A process that used the system broker never falls to a
/// session broker: it tries the system broker again, with backoff, until
/// `until` passes (a restart of the system broker must not strand its
/// servers where its clients do not look).
/// Errors: ERROR_SERVICE_NOT_ACTIVE when no broker can be reached or started,
/// ERROR_ACCESS_DENIED when the socket belongs to someone untrusted.
[[nodiscard]] unique_fd connect_broker(broker_kind& kind, const deadline& until,
                                       std::error_code& ec);

}  // namespace conduit::detail
