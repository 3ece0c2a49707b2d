// The calling thread's Unix credentials, and switching them for that thread
// alone.
//
// Linux keeps user and group ids, supplementary groups and capabilities per
// thread; POSIX wants them per process, so glibc's setresuid, setresgid and
// setgroups signal every thread of the process to make the same change.
// Impersonation must change one thread only: these functions make the raw
// system calls, which act on the caller alone.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <system_error>
#include <vector>

namespace conduit::detail {

/// A Unix identity to take: user, primary group, supplementary groups.
struct unix_identity {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
};

/// Everything of the calling thread's credentials that impersonation
/// changes, as read from the kernel.
struct thread_credentials {
  uid_t real_uid = 0, effective_uid = 0, saved_uid = 0;
  gid_t real_gid = 0, effective_gid = 0, saved_gid = 0;
  std::vector<gid_t> groups;
  // Capability sets (two 32-bit words each, _LINUX_CAPABILITY_VERSION_3).
  std::uint32_t effective_caps[2] = {};
  std::uint32_t permitted_caps[2] = {};
  std::uint32_t inheritable_caps[2] = {};

  /// The calling thread's credentials. Errors: the errno of a failed read.
  static thread_credentials current(std::error_code& ec);
  /// Whether these credentials may take another user's identity: both
  /// CAP_SETUID and CAP_SETGID effective.
  [[nodiscard]] bool may_switch_identity() const;
};

/// Gives the calling thread (only it) `who`'s identity: its supplementary
/// groups and effective group id first, while the thread still has the
/// right to change them, then its effective user id. The kernel checks file
/// access with the filesystem ids, which follow the effective ones, so the
/// thread now opens files as `who`. The real and saved ids stay
/// `original`'s: the saved user id lets restore_thread() return, and the
/// kernel lets a process signal or trace another only when its ids match
/// the target's real or saved ones, so `who` gains no hold over the thread.
/// Every effective capability is dropped, so that the access checks are
/// `who`'s alone whoever the server is (a non-root server with CAP_SETUID
/// keeps its capabilities across a change of user id otherwise).
///
/// On failure the thread is back at `original` (as far as the kernel lets
/// it) and the error is the errno of the failed call, typically EPERM.
std::error_code switch_thread_to(const unix_identity& who, const thread_credentials& original);

/// Puts `original` back on the calling thread: the effective user id first
/// (the saved one allows it, and with it come the capabilities to change the
/// rest), then groups, group ids, user ids and capabilities.
std::error_code restore_thread(const thread_credentials& original);

}  // namespace conduit::detail
