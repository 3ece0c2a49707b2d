// Per-thread credentials through the raw system calls (see the header).
#include "security/thread_credentials.hpp"

#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace conduit::detail {

namespace {

std::error_code last_error() {
  return {errno, std::generic_category()};
}

bool get_caps(thread_credentials& c) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (::syscall(SYS_capget, &header, data) != 0) return false;
  for (int i = 0; i < 2; ++i) {
    c.effective_caps[i] = data[i].effective;
    c.permitted_caps[i] = data[i].permitted;
    c.inheritable_caps[i] = data[i].inheritable;
  }
  return true;
}

bool set_caps(const std::uint32_t (&effective)[2], const thread_credentials& c) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  for (int i = 0; i < 2; ++i) {
    data[i].effective = effective[i] & c.permitted_caps[i];
    data[i].permitted = c.permitted_caps[i];
    data[i].inheritable = c.inheritable_caps[i];
  }
  return ::syscall(SYS_capset, &header, data) == 0;
}

bool has_cap(const std::uint32_t (&set)[2], int cap) {
  return (set[cap / 32] >> (cap % 32)) & 1;
}

// The raw calls: glibc's wrappers would change every thread of the process.
bool set_groups(const std::vector<gid_t>& groups) {
  return ::syscall(SYS_setgroups, groups.size(), groups.data()) == 0;
}
bool set_gids(gid_t real, gid_t effective, gid_t saved) {
  return ::syscall(SYS_setresgid, real, effective, saved) == 0;
}
bool set_uids(uid_t real, uid_t effective, uid_t saved) {
  return ::syscall(SYS_setresuid, real, effective, saved) == 0;
}

}  // namespace

thread_credentials thread_credentials::current(std::error_code& ec) {
  ec.clear();
  thread_credentials c;
  if (::getresuid(&c.real_uid, &c.effective_uid, &c.saved_uid) != 0 ||
      ::getresgid(&c.real_gid, &c.effective_gid, &c.saved_gid) != 0 || !get_caps(c)) {
    ec = last_error();
    return c;
  }
  int n = ::getgroups(0, nullptr);
  if (n >= 0) {
    c.groups.resize(static_cast<std::size_t>(n));
    n = ::getgroups(n, c.groups.data());
  }
  if (n < 0)
    ec = last_error();
  else
    c.groups.resize(static_cast<std::size_t>(n));
  return c;
}

bool thread_credentials::may_switch_identity() const {
  return has_cap(effective_caps, CAP_SETUID) && has_cap(effective_caps, CAP_SETGID);
}

std::error_code switch_thread_to(const unix_identity& who, const thread_credentials& original) {
  constexpr std::uint32_t none[2] = {0, 0};
  if (set_groups(who.groups) && set_gids(original.real_gid, who.gid, original.saved_gid) &&
      set_uids(original.real_uid, who.uid, original.effective_uid) && set_caps(none, original))
    return {};
  std::error_code ec = last_error();
  (void)restore_thread(original);
  return ec;
}

std::error_code restore_thread(const thread_credentials& original) {
  // The effective user id first: the saved one is the original effective
  // id, and returning to it (to root, say) gives back the capabilities that
  // changing the rest needs.
  bool ok = set_uids(static_cast<uid_t>(-1), original.effective_uid, static_cast<uid_t>(-1)) &&
            set_caps(original.effective_caps, original) && set_groups(original.groups) &&
            set_gids(original.real_gid, original.effective_gid, original.saved_gid) &&
            set_uids(original.real_uid, original.effective_uid, original.saved_uid) &&
            set_caps(original.effective_caps, original);
  return ok ? std::error_code() : last_error();
}

}  // namespace conduit::detail
