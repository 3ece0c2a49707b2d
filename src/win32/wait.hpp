// The one wait behind WaitForSingleObject(Ex), WaitForMultipleObjects(Ex),
// SleepEx and the other alertable waits.
#pragma once

#include <memory>
#include <span>

#include "conduit/win32/windows.h"
#include "win32/kernel_object.hpp"

namespace conduit::win32 {

/// Waits for one of `objects` (or all, with `wait_all`) to be signalled, for
/// at most `timeout_ms` (INFINITE: no limit). Alertable: APCs queued to the
/// calling thread run, and the wait returns WAIT_IO_COMPLETION. Returns
/// WAIT_OBJECT_0 + i, WAIT_TIMEOUT, WAIT_IO_COMPLETION, or WAIT_FAILED with
/// the error set (an object that cannot be waited on is ERROR_INVALID_HANDLE).
DWORD wait_for_objects(std::span<const std::shared_ptr<kernel_object>> objects, bool wait_all,
                       DWORD timeout_ms, bool alertable);

}  // namespace conduit::win32
