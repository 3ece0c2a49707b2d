// CreateProcess with CREATE_SUSPENDED: the child first runs conduit-gate
// (src/gate/main.cpp), which waits for ResumeThread and then executes the
// real program in the same process, so the pid CreateProcess reported is
// the program's from start to end.
//
// The program is found here, before the child starts, as the launcher
// would find it (PATH searched when it has no '/'), so that CreateProcess
// still fails at once for a program that is missing or may not be run.
#pragma once

#include <memory>
#include <optional>

#include "conduit/process.hpp"
#include "core/unique_fd.hpp"
#include "win32/suspend_gate.hpp"

namespace conduit::win32 {

/// What hold_back() set up: the gate that ResumeThread opens, and the
/// parent's copy of the child's end, to close once the child has started.
struct held_back_launch {
  std::shared_ptr<suspend_gate> gate;
  detail::unique_fd child_end;
};

/// Rewrites `options` to start conduit-gate in front of the program they
/// name. Nullopt with the last error set: ERROR_FILE_NOT_FOUND (no such
/// program, or no conduit-gate), ERROR_PATH_NOT_FOUND, ERROR_ACCESS_DENIED.
///
/// conduit-gate is looked for in CONDUIT_GATE, then beside this library in
/// the installed layout (libexec/conduit relative to the library's folder),
/// then where the build tree puts it, then at the install prefix.
std::optional<held_back_launch> hold_back(conduit::process_options& options);

}  // namespace conduit::win32
