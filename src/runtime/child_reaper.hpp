// Reaping children nobody waits for any more.
#pragma once

#include "core/unique_fd.hpp"

namespace conduit::detail {

/// Takes a pidfd of a child of this process that is still running and whose
/// process object was closed; the child is reaped when it ends, so it does
/// not stay a zombie. Runs one background thread, started on first use.
/// Never fails: if the thread cannot start, the child is left to the
/// process's own exit (a zombie until then).
void reap_in_background(unique_fd pidfd) noexcept;

}  // namespace conduit::detail
