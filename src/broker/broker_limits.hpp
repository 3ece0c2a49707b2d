// How much one broker may hold, derived from the descriptors it may open.
//
// Nearly everything the broker holds for a peer is a descriptor: the peer's
// connection, an instance's page and listening endpoint, a mailslot's
// sending end, a named event's eventfd. The process's RLIMIT_NOFILE is
// therefore the broker's real capacity, and its caps are set below it so
// that the limit itself is never reached by what peers ask for: a peer
// past a cap gets an answer, and everyone else keeps being served.
// docs/broker.md ("Limits") describes the numbers.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <optional>

namespace conduit::broker {

struct broker_limits {
  /// RLIMIT_NOFILE in force.
  std::size_t descriptor_limit = 0;
  /// Descriptors the broker may hold for peers, all users together; the
  /// rest is headroom (its own descriptors, those in flight in a request).
  std::size_t descriptors_total = 0;
  /// Of which one uid may hold.
  std::size_t descriptors_per_uid = 0;
  /// Queued waits of one uid, and of all users together.
  std::size_t waits_per_uid = 0;
  std::size_t waits_total = 0;
};

/// What a peer is charged, in descriptors, for what it holds.
inline constexpr std::size_t charge_per_connection = 1;
/// An instance's page, held while the instance lives.
inline constexpr std::size_t charge_per_instance = 1;
/// Its listening endpoint, held from when it listens until a client takes
/// it: an instance costs what the broker holds for it, so a server with
/// thousands of connected instances is charged one descriptor each, not
/// two. Listening again is therefore a request the caps can refuse.
inline constexpr std::size_t charge_per_endpoint = 1;
/// What a listening instance costs.
inline constexpr std::size_t charge_per_listening_instance =
    charge_per_instance + charge_per_endpoint;
inline constexpr std::size_t charge_per_mailslot = 1;
inline constexpr std::size_t charge_per_event_hold = 1;

/// Raises the soft RLIMIT_NOFILE to the hard limit and returns the limit in
/// force afterwards.
std::size_t raise_descriptor_limit();

/// The caps for a broker with `descriptor_limit` descriptors. `system`: a
/// broker shared by all users, where one uid gets a quarter of the total;
/// a session broker serves one user, who may use all of it.
[[nodiscard]] broker_limits derive_limits(std::size_t descriptor_limit, bool system);

/// Caps an administrator sets (conduitd.conf): each may only lower what
/// derive_limits() gives, never raise it, since the derived caps are what
/// keep the broker below its descriptor limit.
struct limit_settings {
  std::optional<std::size_t> descriptors_total;
  std::optional<std::size_t> descriptors_per_uid;
  std::optional<std::size_t> waits_total;
  std::optional<std::size_t> waits_per_uid;
};

/// `derived` with each set cap lowered to its setting (one above the
/// derived value leaves it as it is); a uid's share never exceeds the total.
[[nodiscard]] broker_limits apply_settings(broker_limits derived, const limit_settings& settings);

}  // namespace conduit::broker
