// Impersonation on the calling thread (see the header).
#include "security/impersonation.hpp"

#include <pwd.h>
#include <unistd.h>

#include <optional>
#include <vector>

#include "core/pipe_flags.hpp"
#include "security/sid.hpp"

namespace conduit::detail {

namespace {

thread_local std::optional<thread_impersonation> current;

// Whom a thread that may not act as its client becomes: the account that
// owns nothing.
unix_identity nobody() {
  std::vector<char> buffer(16384);
  passwd entry{};
  passwd* found = nullptr;
  if (::getpwnam_r("nobody", &entry, buffer.data(), buffer.size(), &found) == 0 && found)
    return {found->pw_uid, found->pw_gid, {}};
  return {65534, 65534, {}};
}

}  // namespace

client_identity identity_of(const wire::connect_record& record) {
  client_identity who;
  who.process_id = record.client_pid;
  who.session_id = record.session_id;
  who.uid = record.uid;
  who.gid = record.gid;
  who.groups = record.groups;
  who.user_name = security::user_name_or_number(record.uid);
  who.level = record.sqos_flags & sqos_present
                  ? static_cast<impersonation_level>((record.sqos_flags >> sqos_level_shift) & 3)
                  : impersonation_level::impersonation;
  who.remote = (record.sqos_flags & sqos_remote_client) != 0;
  if (who.remote) {
    who.computer_name = record.computer_name;
    who.address = record.client_address;
  }
  return who;
}

client_identity process_identity() {
  std::error_code ec;
  thread_credentials own = current ? current->original : thread_credentials::current(ec);
  client_identity who;
  who.process_id = static_cast<std::uint32_t>(::getpid());
  pid_t session = ::getsid(0);
  who.session_id = session > 0 ? static_cast<std::uint32_t>(session) : 0;
  who.uid = own.effective_uid;
  who.gid = own.effective_gid;
  who.groups.assign(own.groups.begin(), own.groups.end());
  who.user_name = security::user_name_or_number(own.effective_uid);
  return who;
}

std::error_code impersonate_on_this_thread(const client_identity& client) {
  if (auto ec = revert_this_thread()) return ec;
  std::error_code ec;
  thread_impersonation state;
  state.original = thread_credentials::current(ec);
  if (ec) return ec;
  state.client = client;
  state.level = client.level;
  bool privileged = state.original.may_switch_identity();
  bool same_user = client.uid == state.original.effective_uid;
  if (state.level >= impersonation_level::impersonation && !privileged && !same_user)
    state.level = impersonation_level::identification;

  if (privileged) {
    unix_identity target =
        state.level >= impersonation_level::impersonation
            ? unix_identity{client.uid, client.gid,
                            std::vector<gid_t>(client.groups.begin(), client.groups.end())}
            : nobody();
    if ((ec = switch_thread_to(target, state.original))) return ec;
    state.acting = state.level >= impersonation_level::impersonation;
  } else {
    // Already the client's user (nothing to change), or an identification
    // token that changes nothing.
    state.acting = state.level >= impersonation_level::impersonation;
  }
  current = std::move(state);
  return {};
}

std::error_code revert_this_thread() {
  if (!current) return {};
  bool switched = current->original.may_switch_identity();
  if (switched) {
    if (auto ec = restore_thread(current->original)) return ec;
  }
  current.reset();
  return {};
}

const thread_impersonation* this_thread_impersonation() {
  return current ? &*current : nullptr;
}

}  // namespace conduit::detail
