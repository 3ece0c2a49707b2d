// Stand-ins for the Win32 functions libconduit-win32 does not have yet, so
// that the differential programs link and run while the Win32 layer grows.
//
// This library is linked AFTER conduit::win32: the dynamic linker takes
// each symbol from the first library that defines it, so a real function
// always wins, and a stand-in is only reached while the real one is
// missing. Each fails the way an unknown call fails on Windows:
// ERROR_CALL_NOT_IMPLEMENTED (120), which the comparison then shows.
//
// windows.h is deliberately not included: the stand-ins take no parameters
// (callers' arguments are ignored, which the C calling convention allows)
// and only their names and return values matter.
#include <cstdint>

extern "C" void SetLastError(std::uint32_t);

namespace {
constexpr std::uint32_t error_call_not_implemented = 120;
void* const invalid_handle = reinterpret_cast<void*>(-1);
}  // namespace

#define FAILS_WITH(type, name, value)         \
  extern "C" type name() {                    \
    SetLastError(error_call_not_implemented); \
    return value;                             \
  }
#define BOOL_FUNCTION(name) FAILS_WITH(int, name, 0)

FAILS_WITH(void*, CreateNamedPipeA, invalid_handle)
FAILS_WITH(void*, CreateNamedPipeW, invalid_handle)
FAILS_WITH(void*, CreateFileA, invalid_handle)
FAILS_WITH(void*, CreateFileW, invalid_handle)
FAILS_WITH(void*, CreateMailslotA, invalid_handle)
FAILS_WITH(void*, CreateMailslotW, invalid_handle)
FAILS_WITH(void*, CreateIoCompletionPort, nullptr)
BOOL_FUNCTION(ConnectNamedPipe)
BOOL_FUNCTION(DisconnectNamedPipe)
BOOL_FUNCTION(ReadFile)
BOOL_FUNCTION(WriteFile)
BOOL_FUNCTION(ReadFileEx)
BOOL_FUNCTION(WriteFileEx)
BOOL_FUNCTION(FlushFileBuffers)
BOOL_FUNCTION(WaitNamedPipeA)
BOOL_FUNCTION(WaitNamedPipeW)
BOOL_FUNCTION(CallNamedPipeA)
BOOL_FUNCTION(CallNamedPipeW)
BOOL_FUNCTION(TransactNamedPipe)
BOOL_FUNCTION(PeekNamedPipe)
BOOL_FUNCTION(GetNamedPipeInfo)
BOOL_FUNCTION(GetNamedPipeHandleStateA)
BOOL_FUNCTION(GetNamedPipeHandleStateW)
BOOL_FUNCTION(SetNamedPipeHandleState)
BOOL_FUNCTION(GetNamedPipeClientProcessId)
BOOL_FUNCTION(GetNamedPipeServerProcessId)
BOOL_FUNCTION(GetNamedPipeClientSessionId)
BOOL_FUNCTION(GetNamedPipeServerSessionId)
BOOL_FUNCTION(ImpersonateNamedPipeClient)
BOOL_FUNCTION(RevertToSelf)
BOOL_FUNCTION(CreatePipe)
BOOL_FUNCTION(GetMailslotInfo)
BOOL_FUNCTION(SetMailslotInfo)
BOOL_FUNCTION(GetOverlappedResult)
BOOL_FUNCTION(GetOverlappedResultEx)
BOOL_FUNCTION(CancelIo)
BOOL_FUNCTION(CancelIoEx)
BOOL_FUNCTION(GetQueuedCompletionStatus)
BOOL_FUNCTION(GetQueuedCompletionStatusEx)
BOOL_FUNCTION(PostQueuedCompletionStatus)
