#include "win32/security_attributes.hpp"

#include "security/win32_descriptor.hpp"

namespace conduit::win32 {

bool sddl_of(const SECURITY_ATTRIBUTES* attributes, std::string& out) {
  out.clear();
  if (!attributes || !attributes->lpSecurityDescriptor) return true;
  if (auto ec = detail::security::descriptor_to_sddl(attributes->lpSecurityDescriptor, out)) {
    SetLastError(static_cast<DWORD>(ec.value()));
    return false;
  }
  return true;
}

}  // namespace conduit::win32
