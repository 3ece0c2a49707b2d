// The eventfd counter operations the waitable objects share (events,
// mutexes, semaphores). Every process that holds a named object shares
// one open file description, so O_NONBLOCK is anybody's to flip: nothing
// here depends on it.
#pragma once

#include <cstdint>
#include <optional>

namespace conduit::win32 {

/// Reads the counter without waiting: the whole count (or 1 in semaphore
/// mode), which resets it (or takes 1); 0 if it was zero.
std::uint64_t take_counter(int fd);

/// Adds `n` to the counter without waiting. False if the counter is so
/// near its maximum that the add would wait (only a holder writing such a
/// value itself brings that about).
bool add_counter(int fd, std::uint64_t n);

/// The counter's value, as the kernel shows it in /proc/self/fdinfo;
/// nullopt if it cannot be read. It may change the moment after.
std::optional<std::uint64_t> peek_counter(int fd);

}  // namespace conduit::win32
