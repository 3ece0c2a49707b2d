// Win32: overlapped results, cancelling I/O, and completion ports.
#include <algorithm>
#include <vector>

#include "conduit/win32/windows.h"
#include "win32/api_guard.hpp"
#include "win32/completion_port.hpp"
#include "win32/file_object.hpp"
#include "win32/handle_table.hpp"
#include "win32/io_completion.hpp"
#include "win32/io_engine.hpp"
#include "win32/status.hpp"
#include "win32/thread_object.hpp"

using namespace conduit::win32;

namespace {

BOOL fail_with(DWORD error) {
  SetLastError(error);
  return FALSE;
}

// The kernel ignores a handle value's two low bits; hEvent's low bit only
// asks for no completion packet.
HANDLE without_tag_bits(HANDLE handle) {
  return reinterpret_cast<HANDLE>(reinterpret_cast<std::uintptr_t>(handle) & ~std::uintptr_t{3});
}

// An NTSTATUS of the success or informational kinds (not warning or error).
bool succeeded(NTSTATUS status) {
  return status >= 0;
}

// GetQueuedCompletionStatus(Ex) without the waiting: the port behind a handle.
std::shared_ptr<completion_port> port_of(HANDLE handle) {
  return lookup_as<completion_port>(handle);
}

}  // namespace

extern "C" {

BOOL WINAPI GetOverlappedResult(HANDLE hFile, LPOVERLAPPED lpOverlapped,
                                LPDWORD lpNumberOfBytesTransferred, BOOL bWait) {
  return GetOverlappedResultEx(hFile, lpOverlapped, lpNumberOfBytesTransferred,
                               bWait ? INFINITE : 0, FALSE);
}

BOOL WINAPI GetOverlappedResultEx(HANDLE hFile, LPOVERLAPPED lpOverlapped,
                                  LPDWORD lpNumberOfBytesTransferred, DWORD dwMilliseconds,
                                  BOOL bAlertable) {
  if (!lpOverlapped || !lpNumberOfBytesTransferred) return fail_with(ERROR_INVALID_PARAMETER);
  NTSTATUS status = load_status(lpOverlapped);
  if (status == static_cast<NTSTATUS>(STATUS_PENDING)) {
    // An operation whose condition is met now is complete now.
    io_engine::get().settle();
    status = load_status(lpOverlapped);
  }
  if (status == static_cast<NTSTATUS>(STATUS_PENDING)) {
    if (dwMilliseconds == 0) return fail_with(ERROR_IO_INCOMPLETE);
    // No event: the file handle itself is signalled when an operation ends.
    HANDLE target = lpOverlapped->hEvent ? without_tag_bits(lpOverlapped->hEvent) : hFile;
    DWORD waited = WaitForSingleObjectEx(target, dwMilliseconds, bAlertable);
    if (waited == WAIT_FAILED) return FALSE;
    if (waited != WAIT_OBJECT_0) return fail_with(waited);  // WAIT_TIMEOUT, WAIT_IO_COMPLETION
    status = load_status(lpOverlapped);
    // Signalled by someone else with the operation still going: as Windows,
    // report what the block says.
    if (status == static_cast<NTSTATUS>(STATUS_PENDING)) status = STATUS_SUCCESS;
  }
  *lpNumberOfBytesTransferred = static_cast<DWORD>(lpOverlapped->InternalHigh);
  if (!succeeded(status)) return fail_with(error_from_status(status));
  return TRUE;
}

BOOL WINAPI conduit_has_overlapped_io_completed(const OVERLAPPED* lpOverlapped) {
  if (load_status(lpOverlapped) != static_cast<NTSTATUS>(STATUS_PENDING)) return TRUE;
  io_engine::get().settle();
  return load_status(lpOverlapped) != static_cast<NTSTATUS>(STATUS_PENDING);
}

BOOL WINAPI CancelIo(HANDLE hFile) {
  return guarded(FALSE, [&] {
    auto file = lookup_as<file_object>(hFile);
    if (!file) return FALSE;
    file->cancel(true, nullptr);
    return TRUE;
  });
}

BOOL WINAPI CancelIoEx(HANDLE hFile, LPOVERLAPPED lpOverlapped) {
  return guarded(FALSE, [&] {
    auto file = lookup_as<file_object>(hFile);
    if (!file) return FALSE;
    if (file->cancel(false, lpOverlapped) == 0) return fail_with(ERROR_NOT_FOUND);
    return TRUE;
  });
}

BOOL WINAPI CancelSynchronousIo(HANDLE hThread) {
  return guarded(FALSE, [&] {
    auto thread = lookup_granting<thread_object>(hThread, THREAD_TERMINATE);
    if (!thread) return FALSE;
    if (!thread->cancel_synchronous_io()) return fail_with(ERROR_NOT_FOUND);
    return TRUE;
  });
}

HANDLE WINAPI CreateIoCompletionPort(HANDLE FileHandle, HANDLE ExistingCompletionPort,
                                     ULONG_PTR CompletionKey, DWORD NumberOfConcurrentThreads) {
  return guarded(HANDLE{nullptr}, [&]() -> HANDLE {
    std::shared_ptr<completion_port> port;
    HANDLE result = ExistingCompletionPort;
    if (ExistingCompletionPort) {
      if (FileHandle == INVALID_HANDLE_VALUE) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return nullptr;
      }
      port =
          std::dynamic_pointer_cast<completion_port>(lookup_handle(ExistingCompletionPort).object);
      if (!port) {
        SetLastError(ERROR_INVALID_PARAMETER);  // as Wine answers for a handle that is not a port
        return nullptr;
      }
    } else {
      port = std::make_shared<completion_port>(NumberOfConcurrentThreads);
      result = insert_handle(port, 0, 0);
      if (!result) return nullptr;
    }
    if (FileHandle == INVALID_HANDLE_VALUE) return result;
    auto file = lookup_as<file_object>(FileHandle);
    DWORD error = !file                                  ? ERROR_INVALID_HANDLE
                  : file->associate(port, CompletionKey) ? ERROR_SUCCESS
                                                         : ERROR_INVALID_PARAMETER;
    if (error) {
      if (!ExistingCompletionPort) CloseHandle(result);
      SetLastError(error);
      return nullptr;
    }
    return result;
  });
}

BOOL WINAPI GetQueuedCompletionStatus(HANDLE CompletionPort, LPDWORD lpNumberOfBytesTransferred,
                                      PULONG_PTR lpCompletionKey, LPOVERLAPPED* lpOverlapped,
                                      DWORD dwMilliseconds) {
  return guarded(FALSE, [&] {
    if (!lpNumberOfBytesTransferred || !lpCompletionKey || !lpOverlapped)
      return fail_with(ERROR_INVALID_PARAMETER);
    *lpOverlapped = nullptr;
    auto port = port_of(CompletionPort);
    if (!port) return FALSE;
    completion_packet packet;
    DWORD why = 0;
    if (port->take(std::span(&packet, 1), dwMilliseconds, false, why) == 0) return fail_with(why);
    *lpNumberOfBytesTransferred = packet.bytes;
    *lpCompletionKey = packet.key;
    *lpOverlapped = packet.overlapped;
    // A failed operation's packet: FALSE with its error, the rest filled in.
    if (!succeeded(packet.status)) return fail_with(error_from_status(packet.status));
    return TRUE;
  });
}

BOOL WINAPI GetQueuedCompletionStatusEx(HANDLE CompletionPort,
                                        LPOVERLAPPED_ENTRY lpCompletionPortEntries, ULONG ulCount,
                                        PULONG ulNumEntriesRemoved, DWORD dwMilliseconds,
                                        BOOL fAlertable) {
  return guarded(FALSE, [&] {
    if (!lpCompletionPortEntries || !ulNumEntriesRemoved || ulCount == 0)
      return fail_with(ERROR_INVALID_PARAMETER);
    *ulNumEntriesRemoved = 0;
    auto port = port_of(CompletionPort);
    if (!port) return FALSE;
    std::vector<completion_packet> packets(std::min<ULONG>(ulCount, 1024));
    DWORD why = 0;
    std::size_t n = port->take(packets, dwMilliseconds, fAlertable, why);
    if (n == 0) return fail_with(why);
    for (std::size_t i = 0; i < n; ++i) {
      OVERLAPPED_ENTRY& entry = lpCompletionPortEntries[i];
      entry.lpCompletionKey = packets[i].key;
      entry.lpOverlapped = packets[i].overlapped;
      entry.Internal = static_cast<ULONG_PTR>(static_cast<std::uint32_t>(packets[i].status));
      entry.dwNumberOfBytesTransferred = packets[i].bytes;
    }
    *ulNumEntriesRemoved = static_cast<ULONG>(n);
    return TRUE;
  });
}

BOOL WINAPI PostQueuedCompletionStatus(HANDLE CompletionPort, DWORD dwNumberOfBytesTransferred,
                                       ULONG_PTR dwCompletionKey, LPOVERLAPPED lpOverlapped) {
  return guarded(FALSE, [&] {
    auto port = port_of(CompletionPort);
    if (!port) return FALSE;
    port->post({dwCompletionKey, lpOverlapped, STATUS_SUCCESS, dwNumberOfBytesTransferred});
    return TRUE;
  });
}

}  // extern "C"
