// The throwing overloads' one helper.
#pragma once

#include <system_error>

namespace conduit::detail {

/// Throws std::system_error(ec, what) if ec holds an error.
inline void throw_if_error(const std::error_code& ec, const char* what) {
  if (ec) throw std::system_error(ec, what);
}

}  // namespace conduit::detail
