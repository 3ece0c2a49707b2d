// Who may open another process (OpenProcess).
//
// Windows checks the process's security descriptor, which by default lets
// in its own user and the system. Here: root may open any process; any
// other user only a process whose real, effective and saved user ids are
// all its own, the uid rule Linux applies before one process may inspect
// another (ptrace_may_access) and the rule the handle service serves by.
// A setuid program this user started runs as another user: not this
// user's. A child this process created stays openable whatever it became,
// as the handle CreateProcess gave already is.
#pragma once

#include "conduit/win32/windows.h"

namespace conduit::win32 {

/// Whether this process may open process `pid` (asked once its pidfd is
/// open, which the handle will use): ERROR_SUCCESS, ERROR_ACCESS_DENIED, or
/// ERROR_INVALID_PARAMETER for a process gone before it could be looked at.
DWORD process_open_access(int pid);

}  // namespace conduit::win32
