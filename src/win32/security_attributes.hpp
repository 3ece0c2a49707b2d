// The security descriptor a Win32 call's SECURITY_ATTRIBUTES carries, as the
// SDDL text the broker takes.
#pragma once

#include <string>

#include "conduit/win32/windows.h"

namespace conduit::win32 {

/// The SDDL of `attributes->lpSecurityDescriptor`; empty when there is no
/// descriptor (the object gets its default). False with the last error set
/// (ERROR_INVALID_SECURITY_DESCR) when the descriptor is not a valid one.
[[nodiscard]] bool sddl_of(const SECURITY_ATTRIBUTES* attributes, std::string& out);

}  // namespace conduit::win32
