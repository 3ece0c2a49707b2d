// Win32 errors for std::error_codes, and the NTSTATUS values an OVERLAPPED's
// Internal field holds.
#pragma once

#include <system_error>

#include "conduit/win32/windows.h"

namespace conduit::win32 {

/// The Win32 error an error_code holds (0 for none); errno values from
/// outside the Win32 category are mapped once more.
DWORD error_from_code(const std::error_code& ec);

/// Sets the thread's last error from `ec` (0 when it holds none) and returns
/// TRUE if there was no error: `return fail_or_true(ec);`.
BOOL report(const std::error_code& ec);

/// Sets the thread's last error to `error` and returns FALSE:
/// `return fail_bool(ERROR_INVALID_SID);`.
BOOL fail_bool(DWORD error);

/// The NTSTATUS a completed operation leaves in OVERLAPPED::Internal for a
/// Win32 error (0 gives STATUS_SUCCESS).
NTSTATUS status_from_error(DWORD win32_error);
/// The Win32 error GetOverlappedResult reports for a status.
DWORD error_from_status(NTSTATUS status);

}  // namespace conduit::win32
