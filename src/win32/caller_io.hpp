// Synchronous I/O that CancelSynchronousIo can end: an overlapped-style
// operation (io_operation) run to its end in the calling thread, which waits
// between its steps for the operation's descriptor or for its own cancel
// descriptor, whichever comes first.
#pragma once

#include "win32/io_operation.hpp"

namespace conduit::win32 {

/// Runs `op` to its end in the calling thread; its result is in `op`. A
/// CancelSynchronousIo aimed at the thread meanwhile ends it with
/// ERROR_OPERATION_ABORTED, or, for one that cannot stop yet (a message
/// half written), lets it finish.
void run_in_caller(io_operation& op);

}  // namespace conduit::win32
