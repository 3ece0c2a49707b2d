// The body of an extern "C" API function: a C caller cannot take a C++
// exception, so one that escapes becomes a Win32 error and the function's
// failure value.
#pragma once

#include <new>
#include <system_error>

#include "conduit/win32/windows.h"
#include "win32/status.hpp"

namespace conduit::win32 {

template <typename R, typename F>
R guarded(R failed, F&& body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    SetLastError(ERROR_NOT_ENOUGH_MEMORY);
  } catch (const std::system_error& e) {
    SetLastError(error_from_code(e.code()));
  }
  return failed;
}

}  // namespace conduit::win32
