// What the broker's fuzz targets share: how they stop on a broken promise,
// and the one sealed instance page they hand out duplicates of.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <system_error>

#include "core/instance_page.hpp"

namespace conduit::fuzz {

/// Aborts the run, saying why, unless `condition` holds.
inline void require(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "fuzz target: %s\n", what);
  std::abort();
}

/// One sealed instance page for the whole run; each use takes a duplicate.
inline int sealed_page() {
  static detail::instance_page page = [] {
    std::error_code ec;
    auto p = detail::instance_page::create(ec);
    require(!ec, "cannot create an instance page");
    return p;
  }();
  return page.fd();
}

}  // namespace conduit::fuzz
