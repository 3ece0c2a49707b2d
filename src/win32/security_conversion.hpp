// Between the Win32 layer's security descriptors (absolute or self-relative
// SECURITY_DESCRIPTOR memory a program hands in) and the core's
// security_descriptor value, which travels to the broker as SDDL.
#pragma once

#include <string>
#include <system_error>
#include <vector>

#include "conduit/win32/windows.h"
#include "security/security_descriptor.hpp"

namespace conduit::win32 {

/// Reads a SECURITY_DESCRIPTOR a program built: the absolute form
/// (InitializeSecurityDescriptor + SetSecurityDescriptorDacl, parts behind
/// pointers) or the self-relative one (ConvertStringSecurityDescriptor...,
/// MakeSelfRelativeSD). A DACL present with a NULL pointer is a null DACL.
/// @returns ERROR_INVALID_SECURITY_DESCR for a bad revision,
///   ERROR_INVALID_ACL / ERROR_INVALID_SID for a bad part.
[[nodiscard]] std::error_code read_descriptor(const void* psd,
                                              detail::security::security_descriptor& out);

/// What CreateNamedPipe, CreateMailslot and CreateEvent send the broker for
/// SECURITY_ATTRIBUTES::lpSecurityDescriptor: its SDDL ("" for NULL, which
/// means the default descriptor). A descriptor without a DACL gives SDDL
/// without "D:"; the broker then applies the default DACL, as Windows does.
[[nodiscard]] std::error_code descriptor_to_sddl(const void* psd, std::string& out);

/// The same for a whole SECURITY_ATTRIBUTES (NULL: "").
[[nodiscard]] std::error_code attributes_to_sddl(const SECURITY_ATTRIBUTES* sa, std::string& out);

/// A self-relative copy in LocalAlloc'd memory (what ConvertString... and
/// GetSecurityInfo return); nullptr with ERROR_NOT_ENOUGH_MEMORY.
[[nodiscard]] PSECURITY_DESCRIPTOR to_local_self_relative(
    const detail::security::security_descriptor& sd, DWORD* size);

/// GetSecurityInfo's out-parameters: points each requested part into a
/// self-relative descriptor (NULL where it has none); a null pointer
/// argument is skipped.
void self_relative_parts(PSECURITY_DESCRIPTOR psd, PSID* owner, PSID* group, PACL* dacl);

/// SetSecurityInfo's inputs: the parts `info` names, from a program's SID and
/// ACL memory, into `out` (other parts untouched). A NULL DACL with
/// DACL_SECURITY_INFORMATION is a null DACL; PROTECTED_ and
/// UNPROTECTED_DACL_SECURITY_INFORMATION set or clear the protection.
/// @returns ERROR_INVALID_SID, ERROR_INVALID_ACL, or ERROR_INVALID_PARAMETER
///   for a NULL owner or group that `info` names.
[[nodiscard]] std::error_code descriptor_from_parts(SECURITY_INFORMATION info, PSID owner,
                                                    PSID group, PACL dacl,
                                                    detail::security::security_descriptor& out);

/// The core's SID of a program's SID memory (ERROR_INVALID_SID if invalid).
[[nodiscard]] std::error_code read_sid(const void* psid, detail::security::sid& out);
/// The core's ACEs of a program's ACL memory (ERROR_INVALID_ACL if invalid).
[[nodiscard]] std::error_code read_acl(const void* pacl, std::vector<detail::security::ace>& out);

}  // namespace conduit::win32
