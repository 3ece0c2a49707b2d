// conduitd's ear on the network: mailslot messages from other machines.
//
// Windows sends a write to `\\host\mailslot\x`, `\\domain\mailslot\x` or
// `\\*\mailslot\x` as a NetBIOS datagram to UDP port 138
// (netbios/mailslot_datagram.hpp). The listener binds that port (or
// another, --netbios-port), reads each datagram, and puts the message into
// the local slot of that name when the datagram is for this machine (its
// NetBIOS name, or its workgroup for a group datagram, in its scope) and
// the slot's DACL lets the network write (mailslot_namespace::deliver_remote).
// Everything else is dropped and counted by reason; the counts are in
// `<runtime dir>/datagram-counters` (one `name value` line each, rewritten
// at most every 100 ms), and the first drop of each kind, then every
// 1000th, is logged.
//
// A message whose slot's queue is full waits in the listener (one at a
// time, while the listener stops reading the network and lets the kernel's
// receive buffer hold the rest), retried every millisecond for at most
// 100 ms, then dropped as queue_full. The broker's loop never blocks on it.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "broker/mailslot_namespace.hpp"
#include "core/unique_fd.hpp"
#include "netbios/netbios_settings.hpp"

namespace conduit::broker {

/// What the listener has seen, by what became of it.
struct datagram_counters {
  std::uint64_t received = 0;      // datagrams read off the socket
  std::uint64_t delivered = 0;     // messages put into a slot
  std::uint64_t malformed = 0;     // not a well-formed mailslot datagram (or a fragment)
  std::uint64_t oversized = 0;     // over the datagram or message limit
  std::uint64_t not_for_us = 0;    // for another name, workgroup or scope
  std::uint64_t not_mailslot = 0;  // a well-formed SMB datagram, not a mailslot write
  std::uint64_t no_slot = 0;       // no slot of that name here
  std::uint64_t denied = 0;        // the slot's DACL refuses the network
  std::uint64_t too_large = 0;     // over the slot's maximum message size
  std::uint64_t queue_full = 0;    // the reader did not make room within 100 ms
};

class datagram_listener {
 public:
  /// Binds UDP `settings.port` on every IPv4 address. False, with one line
  /// on standard error saying why (the port is taken, by Samba's nmbd for
  /// instance; binding port 138 needs CAP_NET_BIND_SERVICE), when it
  /// cannot: the broker then serves this machine only.
  bool start(const detail::netbios::netbios_settings& settings, const std::string& runtime_dir);
  [[nodiscard]] int fd() const { return socket_.get(); }
  [[nodiscard]] bool running() const { return static_cast<bool>(socket_); }
  /// Whether the broker should watch fd() now (not while a message waits
  /// for room).
  [[nodiscard]] bool wants_input() const { return !pending_; }

  /// Reads the datagrams waiting (a bounded batch) and delivers them.
  void on_readable(mailslot_namespace& slots);
  /// Retries a waiting message and writes the counters when due.
  void on_timer(mailslot_namespace& slots);
  /// When on_timer should run next, if at all.
  [[nodiscard]] std::optional<std::chrono::steady_clock::time_point> next_deadline() const;
  /// Writes the counters file now.
  void write_counters();

  [[nodiscard]] const datagram_counters& counters() const { return counters_; }

 private:
  struct pending_message {
    std::string key;
    std::vector<std::byte> message;
    std::chrono::steady_clock::time_point given_up_at;
    std::chrono::steady_clock::time_point retry_at;
  };
  /// Takes one datagram; false when it waits for room (stop reading).
  bool take(std::span<const std::byte> packet, mailslot_namespace& slots);
  /// Counts one drop and logs the first of its kind and every 1000th.
  void drop(std::uint64_t& counter, const char* why);
  void mark_dirty();

  detail::netbios::netbios_settings settings_;
  detail::unique_fd socket_;
  std::string counters_path_;
  datagram_counters counters_;
  std::optional<pending_message> pending_;
  bool dirty_ = false;
  std::chrono::steady_clock::time_point next_write_{};
};

}  // namespace conduit::broker
