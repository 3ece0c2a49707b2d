// Where another thread of this process is blocked, read from /proc: lets a
// test wait, without sleeping, until a thread has reached a known blocking
// call (a broker exchange waiting for its reply, a lock) before it acts.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <initializer_list>

namespace conduit::test {

/// The calling thread's kernel id, for the probes below.
[[nodiscard]] pid_t this_thread_id();

/// True when thread `tid` of this process sleeps in one of `syscalls`
/// (numbers, e.g. SYS_poll) right now.
[[nodiscard]] bool blocked_in(pid_t tid, std::initializer_list<long> syscalls);

/// True once thread `tid` of this process sleeps in one of `syscalls`
/// (numbers, e.g. SYS_poll); false if that does not happen within `timeout`.
[[nodiscard]] bool wait_until_blocked_in(pid_t tid, std::initializer_list<long> syscalls,
                                         std::chrono::milliseconds timeout);

/// True once every thread of process `pid` is stopped (state T, as after
/// SIGSTOP, which reaches a process's threads one by one); false if that
/// does not happen within `timeout`.
[[nodiscard]] bool wait_until_stopped(pid_t pid, std::chrono::milliseconds timeout);

}  // namespace conduit::test
