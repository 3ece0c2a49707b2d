// Impersonation on the calling thread: the thread's token (whom it
// impersonates, at which level) and the credentials that go with it.
//
// The state is the thread's own (thread_local): it ends with the thread, as
// the thread's credentials do, so a thread that exits while impersonating
// leaves nothing behind.
#pragma once

#include <system_error>

#include "conduit/client_identity.hpp"
#include "core/wire.hpp"
#include "security/thread_credentials.hpp"

namespace conduit::detail {

/// What the calling thread impersonates.
struct thread_impersonation {
  client_identity client;                                          // as the token names it
  impersonation_level level = impersonation_level::impersonation;  // as the token carries it
  bool acting = false;          // the thread took the client's uid, gid and groups
  thread_credentials original;  // the thread's own, to return to
};

/// The identity a connect record describes (the user name from NSS).
client_identity identity_of(const wire::connect_record& record);

/// Makes the calling thread impersonate `client` (ImpersonateNamedPipeClient).
/// A thread already impersonating someone returns to itself first.
///
/// The token's level is what the client allowed, except that a thread that
/// may not change its user id (no CAP_SETUID and CAP_SETGID) and is not
/// already the client's user gets an identification token, as Windows gives
/// one silently to a server without SeImpersonatePrivilege. At impersonation
/// and delegation level the thread takes the client's credentials; below,
/// a thread that may change them takes those of `nobody` (no groups), so
/// that what it does on its own acts for no one in particular.
/// Errors: the errno of a credential change the kernel refused.
std::error_code impersonate_on_this_thread(const client_identity& client);

/// Returns the calling thread to its own credentials (RevertToSelf); does
/// nothing on a thread that impersonates no one.
std::error_code revert_this_thread();

/// Whom the process runs as: the calling thread's own credentials, an
/// impersonation set aside (what OpenProcessToken shows).
client_identity process_identity();

/// The calling thread's impersonation, or null.
const thread_impersonation* this_thread_impersonation();

}  // namespace conduit::detail
