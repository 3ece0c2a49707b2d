// Instance pages as this process's clients map them: kept mapped for the
// next client of the same instance, so that a connect costs no mapping.
#pragma once

#include <memory>
#include <system_error>

#include "core/instance_page.hpp"

namespace conduit::detail {

/// The instance page `fd` names, mapped read-only: a mapping this process
/// holds already of the same page (the same file), or a new one once `fd`
/// passes instance_page_is_safe (else EINVAL, as instance_page::map_readonly).
/// The last few pages mapped stay mapped after their clients close.
std::shared_ptr<const instance_page> map_client_page(int fd, std::error_code& ec);

}  // namespace conduit::detail
