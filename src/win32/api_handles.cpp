// Win32: last error, handles, and who we are.
#include <unistd.h>

#include "conduit/win32/windows.h"
#include "win32/handle_table.hpp"
#include "win32/thread_object.hpp"

using namespace conduit::win32;

namespace {
thread_local DWORD last_error = 0;

bool is_current_process(HANDLE process) {
  return process == current_process_pseudo_handle;
}
}  // namespace

extern "C" {

DWORD WINAPI GetLastError(void) {
  return last_error;
}

VOID WINAPI SetLastError(DWORD dwErrCode) {
  last_error = dwErrCode;
}

BOOL WINAPI CloseHandle(HANDLE hObject) {
  // Closing a pseudo-handle does nothing, successfully, as on Windows.
  if (hObject == current_process_pseudo_handle || hObject == current_thread_pseudo_handle)
    return TRUE;
  return close_handle(hObject) ? TRUE : FALSE;
}

BOOL WINAPI DuplicateHandle(HANDLE hSourceProcessHandle, HANDLE hSourceHandle,
                            HANDLE hTargetProcessHandle, LPHANDLE lpTargetHandle,
                            DWORD dwDesiredAccess, BOOL bInheritHandle, DWORD dwOptions) {
  if ((dwOptions & ~(DUPLICATE_CLOSE_SOURCE | DUPLICATE_SAME_ACCESS)) != 0) {
    SetLastError(ERROR_INVALID_PARAMETER);
    return FALSE;
  }
  if (!is_current_process(hSourceProcessHandle) || !is_current_process(hTargetProcessHandle)) {
    SetLastError(ERROR_NOT_SUPPORTED);  // between processes: see docs/win32.md
    return FALSE;
  }
  handle_entry source = lookup_handle(hSourceHandle);
  if (!source.object) {
    SetLastError(ERROR_INVALID_HANDLE);
    return FALSE;
  }
  DWORD access = (dwOptions & DUPLICATE_SAME_ACCESS) ? source.access : dwDesiredAccess;
  HANDLE copy = insert_handle(source.object, bInheritHandle ? HANDLE_FLAG_INHERIT : 0, access);
  if (!copy) return FALSE;
  if (dwOptions & DUPLICATE_CLOSE_SOURCE) CloseHandle(hSourceHandle);
  if (lpTargetHandle) *lpTargetHandle = copy;
  return TRUE;
}

BOOL WINAPI GetHandleInformation(HANDLE hObject, LPDWORD lpdwFlags) {
  handle_entry entry = lookup_handle(hObject);
  if (!entry.object || !lpdwFlags) {
    SetLastError(entry.object ? ERROR_INVALID_PARAMETER : ERROR_INVALID_HANDLE);
    return FALSE;
  }
  *lpdwFlags = entry.flags;
  return TRUE;
}

BOOL WINAPI SetHandleInformation(HANDLE hObject, DWORD dwMask, DWORD dwFlags) {
  constexpr DWORD known = HANDLE_FLAG_INHERIT | HANDLE_FLAG_PROTECT_FROM_CLOSE;
  if ((dwMask & ~known) != 0) {
    SetLastError(ERROR_INVALID_PARAMETER);
    return FALSE;
  }
  return set_handle_flags(hObject, dwMask, dwFlags) ? TRUE : FALSE;
}

HANDLE WINAPI GetCurrentProcess(void) {
  return current_process_pseudo_handle;
}
HANDLE WINAPI GetCurrentThread(void) {
  return current_thread_pseudo_handle;
}
DWORD WINAPI GetCurrentProcessId(void) {
  return static_cast<DWORD>(::getpid());
}
DWORD WINAPI GetCurrentThreadId(void) {
  return current_thread_id();
}

}  // extern "C"
