// A broker every user can reach, for tests that cross users: conduitd in
// system mode (its socket open to all) in the sandbox's runtime folder,
// which is opened to all too. The sandbox stops it at the end like its own.
#pragma once

namespace conduit::test {

/// Starts `conduitd --system` in $CONDUIT_RUNTIME_DIR (beside the test
/// binary) and waits, bounded, until it listens. Call before anything in
/// this process talks to a broker. False if it did not come up.
[[nodiscard]] bool start_system_broker();

}  // namespace conduit::test
