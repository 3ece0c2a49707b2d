// Win32: GetSecurityInfo and SetSecurityInfo on named pipe handles. The
// descriptor lives in the broker with the pipe; the handle's own rights are
// checked here first (READ_CONTROL to read, WRITE_DAC and WRITE_OWNER to
// change), then the broker checks the caller (docs/security.md).
#include "conduit/win32/aclapi.h"

#include <memory>
#include <string>

#include "conduit/win32/windows.h"
#include "runtime/client_end.hpp"
#include "runtime/pipe_end.hpp"
#include "runtime/server_instance.hpp"
#include "security/security_descriptor.hpp"
#include "win32/api_guard.hpp"
#include "win32/handle_table.hpp"
#include "win32/pipe_object.hpp"
#include "win32/security_conversion.hpp"
#include "win32/status.hpp"

using namespace conduit::win32;

namespace {

namespace sec = conduit::detail::security;

constexpr DWORD parts_carried =
    OWNER_SECURITY_INFORMATION | GROUP_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION;
constexpr DWORD privilege_not_held = 1314;  // ERROR_PRIVILEGE_NOT_HELD

// The pipe end behind a handle, with the handle's rights; the error to
// return if there is none.
DWORD pipe_end_of(HANDLE handle, SE_OBJECT_TYPE type, conduit::detail::pipe_end*& end,
                  std::shared_ptr<pipe_object>& keep, DWORD& access) {
  if (type != SE_KERNEL_OBJECT && type != SE_FILE_OBJECT) return ERROR_INVALID_PARAMETER;
  handle_entry entry = lookup_handle(handle);
  if (!entry.object) return ERROR_INVALID_HANDLE;
  keep = std::dynamic_pointer_cast<pipe_object>(entry.object);
  // Only named pipes keep a descriptor in the broker so far.
  if (!keep) return ERROR_NOT_SUPPORTED;
  end = keep->server() ? static_cast<conduit::detail::pipe_end*>(keep->server().get())
                       : static_cast<conduit::detail::pipe_end*>(keep->client().get());
  if (!end) return ERROR_INVALID_HANDLE;
  access = entry.access;
  return ERROR_SUCCESS;
}

DWORD get_security_info(HANDLE handle, SE_OBJECT_TYPE type, SECURITY_INFORMATION info, PSID* owner,
                        PSID* group, PACL* dacl, PACL* sacl, PSECURITY_DESCRIPTOR* descriptor) {
  if (!descriptor && (owner || group || dacl || sacl)) return ERROR_INVALID_PARAMETER;
  conduit::detail::pipe_end* end = nullptr;
  std::shared_ptr<pipe_object> keep;
  DWORD access = 0;
  if (DWORD error = pipe_end_of(handle, type, end, keep, access)) return error;
  if (info & SACL_SECURITY_INFORMATION) return privilege_not_held;
  DWORD parts = info & parts_carried;
  if (parts && !(access & READ_CONTROL)) return ERROR_ACCESS_DENIED;
  sec::security_descriptor sd;
  if (parts) {
    std::error_code ec;
    std::string sddl = end->security(parts, ec);
    if (ec) return error_from_code(ec);
    if (auto parse_ec = sec::parse_sddl(sddl, sd)) return ERROR_INVALID_SECURITY_DESCR;
  }
  DWORD size = 0;
  PSECURITY_DESCRIPTOR self_relative = to_local_self_relative(sd, &size);
  if (!self_relative) return ERROR_NOT_ENOUGH_MEMORY;
  self_relative_parts(self_relative, owner, group, dacl);
  if (sacl) *sacl = nullptr;
  if (descriptor)
    *descriptor = self_relative;
  else
    LocalFree(self_relative);
  return ERROR_SUCCESS;
}

DWORD set_security_info(HANDLE handle, SE_OBJECT_TYPE type, SECURITY_INFORMATION info, PSID owner,
                        PSID group, PACL dacl) {
  conduit::detail::pipe_end* end = nullptr;
  std::shared_ptr<pipe_object> keep;
  DWORD access = 0;
  if (DWORD error = pipe_end_of(handle, type, end, keep, access)) return error;
  if (info & SACL_SECURITY_INFORMATION) return privilege_not_held;
  DWORD parts = info & parts_carried;
  if (!parts) return ERROR_SUCCESS;
  if (((parts & DACL_SECURITY_INFORMATION) && !(access & WRITE_DAC)) ||
      ((parts & (OWNER_SECURITY_INFORMATION | GROUP_SECURITY_INFORMATION)) &&
       !(access & WRITE_OWNER)))
    return ERROR_ACCESS_DENIED;
  sec::security_descriptor sd;
  if (auto ec = descriptor_from_parts(info, owner, group, dacl, sd))
    return static_cast<DWORD>(ec.value());
  std::error_code ec;
  end->set_security(parts, sec::to_sddl(sd, parts), ec);
  return ec ? error_from_code(ec) : ERROR_SUCCESS;
}

}  // namespace

extern "C" {

DWORD WINAPI GetSecurityInfo(HANDLE handle, SE_OBJECT_TYPE ObjectType,
                             SECURITY_INFORMATION SecurityInfo, PSID* ppsidOwner, PSID* ppsidGroup,
                             PACL* ppDacl, PACL* ppSacl,
                             PSECURITY_DESCRIPTOR* ppSecurityDescriptor) {
  try {
    return get_security_info(handle, ObjectType, SecurityInfo, ppsidOwner, ppsidGroup, ppDacl,
                             ppSacl, ppSecurityDescriptor);
  } catch (const std::bad_alloc&) {
    return ERROR_NOT_ENOUGH_MEMORY;
  }
}

DWORD WINAPI SetSecurityInfo(HANDLE handle, SE_OBJECT_TYPE ObjectType,
                             SECURITY_INFORMATION SecurityInfo, PSID psidOwner, PSID psidGroup,
                             PACL pDacl, PACL) {
  try {
    return set_security_info(handle, ObjectType, SecurityInfo, psidOwner, psidGroup, pDacl);
  } catch (const std::bad_alloc&) {
    return ERROR_NOT_ENOUGH_MEMORY;
  }
}

}  // extern "C"
