// Synchronous I/O that CancelSynchronousIo can end: the calling thread waits
// for its descriptor or for its own cancel descriptor, whichever comes
// first; an overlapped-style operation (io_operation) is run to its end
// that way.
#pragma once

#include "win32/io_operation.hpp"

namespace conduit::win32 {

/// Runs `op` to its end in the calling thread; its result is in `op`. A
/// CancelSynchronousIo aimed at the thread meanwhile ends it with
/// ERROR_OPERATION_ABORTED, or, for one that cannot stop yet (a message
/// half written), lets it finish.
void run_in_caller(io_operation& op);

/// Waits in the calling thread until `fd` shows `events` (poll's): true.
/// False, with ERROR_OPERATION_ABORTED in `error`, once CancelSynchronousIo
/// is aimed at the thread first.
bool wait_in_caller(int fd, short events, DWORD& error);

}  // namespace conduit::win32
