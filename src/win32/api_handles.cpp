// Win32: last error, handles (DuplicateHandle within this process and
// between processes: handle_service.hpp), and who we are.
#include <unistd.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "conduit/win32/windows.h"
#include "win32/api_guard.hpp"
#include "win32/handle_service.hpp"
#include "win32/handle_table.hpp"
#include "win32/object_transfer.hpp"
#include "win32/process_object.hpp"
#include "win32/thread_object.hpp"

using namespace conduit::win32;

namespace {
// Initial-exec: read on every call, so without the __tls_get_addr call a
// shared library's thread_local costs otherwise (a few bytes of the static
// TLS space glibc keeps for libraries, dlopen()ed ones included).
[[gnu::tls_model("initial-exec")]] thread_local DWORD last_error = 0;

// A process DuplicateHandle names: this one, or another one, reached
// through its handle service.
struct process_side {
  bool self = false;
  remote_process remote;
  std::shared_ptr<process_object> keep;  // holds remote.pidfd open
};

struct duplicate_request {
  HANDLE handle;  // in the source process
  DWORD desired_access;
  DWORD flags;  // HANDLE_FLAG_INHERIT or 0
  DWORD options;
};

// False with the last error set: not a process handle, or one without
// PROCESS_DUP_HANDLE.
bool resolve_process(HANDLE handle, process_side& out) {
  if (handle == current_process_pseudo_handle) {
    out.self = true;
    return true;
  }
  auto process = process_for(handle, PROCESS_DUP_HANDLE);
  if (!process) return false;
  out.self = process->pid() == static_cast<int>(::getpid());
  out.remote = {process->pid(), process->wait_fd()};
  out.keep = std::move(process);
  return true;
}

void close_source(const process_side& source, HANDLE handle) {
  if (source.self) {
    close_handle(handle);
  } else {
    (void)fetch_object(source.remote, reinterpret_cast<std::uintptr_t>(handle), true);
  }
}

// From this process: into this table, or pushed to the target's service.
std::optional<std::uint64_t> duplicate_from_here(const duplicate_request& request,
                                                 const process_side& target) {
  handle_entry source = lookup_handle(request.handle);
  std::optional<std::uint64_t> copy;
  if (!source.object) {
    SetLastError(ERROR_INVALID_HANDLE);
  } else {
    DWORD access =
        (request.options & DUPLICATE_SAME_ACCESS) ? source.access : request.desired_access;
    if (target.self) {
      if (HANDLE h = insert_handle(source.object, request.flags, access))
        copy = reinterpret_cast<std::uintptr_t>(h);
    } else if (auto portable =
                   make_portable(source.object, (request.options & DUPLICATE_CLOSE_SOURCE) &&
                                                    source.object->handle_count() == 1)) {
      copy = push_object(target.remote, static_cast<char>(portable->kind), portable->state,
                         portable->fds, access, request.flags);
    }
  }
  if (request.options & DUPLICATE_CLOSE_SOURCE) {
    DWORD error = GetLastError();
    close_handle(request.handle);
    SetLastError(error);
  }
  return copy;
}

// From another process: fetched from its service (which closes the source
// itself), then inserted here or passed on to the target's service.
std::optional<std::uint64_t> duplicate_from(const process_side& source,
                                            const duplicate_request& request,
                                            const process_side& target) {
  auto fetched = fetch_object(source.remote, reinterpret_cast<std::uintptr_t>(request.handle),
                              request.options & DUPLICATE_CLOSE_SOURCE);
  if (!fetched) return std::nullopt;
  DWORD access =
      (request.options & DUPLICATE_SAME_ACCESS) ? fetched->access : request.desired_access;
  if (!target.self) {
    std::vector<int> fds;
    for (const auto& fd : fetched->fds) fds.push_back(fd.get());
    return push_object(target.remote, fetched->kind, fetched->state, fds, access, request.flags);
  }
  auto object = rebuild_object(fetched->kind, std::move(fetched->fds), fetched->state);
  if (!object) return std::nullopt;
  HANDLE h = insert_handle(std::move(object), request.flags, access);
  if (!h) return std::nullopt;
  return reinterpret_cast<std::uintptr_t>(h);
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
  return guarded(FALSE, [&] {
    if ((dwOptions & ~(DUPLICATE_CLOSE_SOURCE | DUPLICATE_SAME_ACCESS)) != 0) {
      SetLastError(ERROR_INVALID_PARAMETER);
      return FALSE;
    }
    duplicate_request request{hSourceHandle, dwDesiredAccess,
                              bInheritHandle ? DWORD{HANDLE_FLAG_INHERIT} : 0, dwOptions};
    process_side source;
    process_side target;
    if (!resolve_process(hSourceProcessHandle, source)) return FALSE;
    if (!resolve_process(hTargetProcessHandle, target)) {
      // Windows closes the source whatever else goes wrong.
      if (dwOptions & DUPLICATE_CLOSE_SOURCE) close_source(source, hSourceHandle);
      return FALSE;
    }
    std::optional<std::uint64_t> copy = source.self ? duplicate_from_here(request, target)
                                                    : duplicate_from(source, request, target);
    if (!copy) return FALSE;
    if (lpTargetHandle)
      *lpTargetHandle = reinterpret_cast<HANDLE>(static_cast<std::uintptr_t>(*copy));
    return TRUE;
  });
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
