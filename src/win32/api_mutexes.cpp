// Win32: mutexes and semaphores (CreateMutex, OpenMutex, ReleaseMutex,
// CreateSemaphore, OpenSemaphore, ReleaseSemaphore), unnamed or named.
#include <optional>
#include <string>

#include "conduit/win32/windows.h"
#include "win32/api_guard.hpp"
#include "win32/handle_table.hpp"
#include "win32/mutex_object.hpp"
#include "win32/named_sync_object.hpp"
#include "win32/security_conversion.hpp"
#include "win32/semaphore_object.hpp"
#include "win32/text.hpp"

using namespace conduit::win32;

namespace {

HANDLE fail(DWORD error) {
  SetLastError(error);
  return nullptr;
}

DWORD inherit_flag(LPSECURITY_ATTRIBUTES attributes) {
  return attributes && attributes->bInheritHandle ? HANDLE_FLAG_INHERIT : 0;
}

// A wide name as UTF-8; false (ERROR_INVALID_NAME set) if it is not text.
bool narrow(LPCWSTR wide, std::optional<std::string>& out) {
  if (!wide) return true;
  out = to_utf8(wide);
  if (!out) SetLastError(ERROR_INVALID_NAME);
  return out.has_value();
}

const char* c_str(const std::optional<std::string>& s) {
  return s ? s->c_str() : nullptr;
}

HANDLE create_mutex(LPSECURITY_ATTRIBUTES attributes, bool owned, const char* name,
                    DWORD desired = MUTEX_ALL_ACCESS) {
  // An empty name makes an unnamed mutex, as on Windows.
  if (name && *name) {
    std::string sddl;
    if (auto ec = attributes_to_sddl(attributes, sddl)) return fail(static_cast<DWORD>(ec.value()));
    return create_named_mutex(name, owned, inherit_flag(attributes), desired, sddl);
  }
  auto mutex = std::make_shared<mutex_object>(owned);
  HANDLE h = insert_handle(mutex, inherit_flag(attributes), MUTEX_ALL_ACCESS);
  if (!h) return nullptr;
  if (owned) mutex->own_from_start();
  SetLastError(ERROR_SUCCESS);
  return h;
}

HANDLE create_semaphore(LPSECURITY_ATTRIBUTES attributes, LONG initial, LONG maximum,
                        const char* name, DWORD desired = SEMAPHORE_ALL_ACCESS) {
  if (maximum <= 0 || initial < 0 || initial > maximum) return fail(ERROR_INVALID_PARAMETER);
  if (name && *name) {
    std::string sddl;
    if (auto ec = attributes_to_sddl(attributes, sddl)) return fail(static_cast<DWORD>(ec.value()));
    return create_named_semaphore(name, initial, maximum, inherit_flag(attributes), desired, sddl);
  }
  HANDLE h = insert_handle(std::make_shared<semaphore_object>(initial, maximum),
                           inherit_flag(attributes), SEMAPHORE_ALL_ACCESS);
  if (h) SetLastError(ERROR_SUCCESS);
  return h;
}

// OpenMutex, OpenSemaphore: what Windows says to a null or empty name.
bool open_name_ok(const char* name) {
  if (!name) {
    SetLastError(ERROR_INVALID_PARAMETER);
    return false;
  }
  if (!*name) {
    SetLastError(ERROR_INVALID_HANDLE);
    return false;
  }
  return true;
}

HANDLE open_mutex(DWORD desired, BOOL inherit, const char* name) {
  if (!open_name_ok(name)) return nullptr;
  return open_named_mutex(name, inherit ? HANDLE_FLAG_INHERIT : 0, desired);
}

HANDLE open_semaphore(DWORD desired, BOOL inherit, const char* name) {
  if (!open_name_ok(name)) return nullptr;
  return open_named_semaphore(name, inherit ? HANDLE_FLAG_INHERIT : 0, desired);
}

}  // namespace

extern "C" {

HANDLE WINAPI CreateMutexA(LPSECURITY_ATTRIBUTES lpMutexAttributes, BOOL bInitialOwner,
                           LPCSTR lpName) {
  return guarded(HANDLE{}, [&] { return create_mutex(lpMutexAttributes, bInitialOwner, lpName); });
}

HANDLE WINAPI CreateMutexW(LPSECURITY_ATTRIBUTES lpMutexAttributes, BOOL bInitialOwner,
                           LPCWSTR lpName) {
  return guarded(HANDLE{}, [&]() -> HANDLE {
    std::optional<std::string> name;
    if (!narrow(lpName, name)) return nullptr;
    return create_mutex(lpMutexAttributes, bInitialOwner, c_str(name));
  });
}

HANDLE WINAPI CreateMutexExA(LPSECURITY_ATTRIBUTES lpMutexAttributes, LPCSTR lpName, DWORD dwFlags,
                             DWORD dwDesiredAccess) {
  return guarded(HANDLE{}, [&]() -> HANDLE {
    if (dwFlags & ~static_cast<DWORD>(CREATE_MUTEX_INITIAL_OWNER))
      return fail(ERROR_INVALID_PARAMETER);
    return create_mutex(lpMutexAttributes, dwFlags & CREATE_MUTEX_INITIAL_OWNER, lpName,
                        dwDesiredAccess);
  });
}

HANDLE WINAPI CreateMutexExW(LPSECURITY_ATTRIBUTES lpMutexAttributes, LPCWSTR lpName, DWORD dwFlags,
                             DWORD dwDesiredAccess) {
  return guarded(HANDLE{}, [&]() -> HANDLE {
    std::optional<std::string> name;
    if (!narrow(lpName, name)) return nullptr;
    if (dwFlags & ~static_cast<DWORD>(CREATE_MUTEX_INITIAL_OWNER))
      return fail(ERROR_INVALID_PARAMETER);
    return create_mutex(lpMutexAttributes, dwFlags & CREATE_MUTEX_INITIAL_OWNER, c_str(name),
                        dwDesiredAccess);
  });
}

HANDLE WINAPI OpenMutexA(DWORD dwDesiredAccess, BOOL bInheritHandle, LPCSTR lpName) {
  return guarded(HANDLE{}, [&] { return open_mutex(dwDesiredAccess, bInheritHandle, lpName); });
}

HANDLE WINAPI OpenMutexW(DWORD dwDesiredAccess, BOOL bInheritHandle, LPCWSTR lpName) {
  return guarded(HANDLE{}, [&]() -> HANDLE {
    std::optional<std::string> name;
    if (!narrow(lpName, name)) return nullptr;
    return open_mutex(dwDesiredAccess, bInheritHandle, c_str(name));
  });
}

BOOL WINAPI ReleaseMutex(HANDLE hMutex) {
  auto mutex = lookup_as<mutex_object>(hMutex);
  if (!mutex) return FALSE;
  DWORD error = mutex->release();
  if (error == ERROR_SUCCESS) return TRUE;
  SetLastError(error);
  return FALSE;
}

HANDLE WINAPI CreateSemaphoreA(LPSECURITY_ATTRIBUTES lpSemaphoreAttributes, LONG lInitialCount,
                               LONG lMaximumCount, LPCSTR lpName) {
  return guarded(HANDLE{}, [&] {
    return create_semaphore(lpSemaphoreAttributes, lInitialCount, lMaximumCount, lpName);
  });
}

HANDLE WINAPI CreateSemaphoreW(LPSECURITY_ATTRIBUTES lpSemaphoreAttributes, LONG lInitialCount,
                               LONG lMaximumCount, LPCWSTR lpName) {
  return guarded(HANDLE{}, [&]() -> HANDLE {
    std::optional<std::string> name;
    if (!narrow(lpName, name)) return nullptr;
    return create_semaphore(lpSemaphoreAttributes, lInitialCount, lMaximumCount, c_str(name));
  });
}

HANDLE WINAPI CreateSemaphoreExA(LPSECURITY_ATTRIBUTES lpSemaphoreAttributes, LONG lInitialCount,
                                 LONG lMaximumCount, LPCSTR lpName, DWORD dwFlags,
                                 DWORD dwDesiredAccess) {
  return guarded(HANDLE{}, [&]() -> HANDLE {
    if (dwFlags != 0) return fail(ERROR_INVALID_PARAMETER);  // reserved
    return create_semaphore(lpSemaphoreAttributes, lInitialCount, lMaximumCount, lpName,
                            dwDesiredAccess);
  });
}

HANDLE WINAPI CreateSemaphoreExW(LPSECURITY_ATTRIBUTES lpSemaphoreAttributes, LONG lInitialCount,
                                 LONG lMaximumCount, LPCWSTR lpName, DWORD dwFlags,
                                 DWORD dwDesiredAccess) {
  return guarded(HANDLE{}, [&]() -> HANDLE {
    std::optional<std::string> name;
    if (!narrow(lpName, name)) return nullptr;
    if (dwFlags != 0) return fail(ERROR_INVALID_PARAMETER);
    return create_semaphore(lpSemaphoreAttributes, lInitialCount, lMaximumCount, c_str(name),
                            dwDesiredAccess);
  });
}

HANDLE WINAPI OpenSemaphoreA(DWORD dwDesiredAccess, BOOL bInheritHandle, LPCSTR lpName) {
  return guarded(HANDLE{}, [&] { return open_semaphore(dwDesiredAccess, bInheritHandle, lpName); });
}

HANDLE WINAPI OpenSemaphoreW(DWORD dwDesiredAccess, BOOL bInheritHandle, LPCWSTR lpName) {
  return guarded(HANDLE{}, [&]() -> HANDLE {
    std::optional<std::string> name;
    if (!narrow(lpName, name)) return nullptr;
    return open_semaphore(dwDesiredAccess, bInheritHandle, c_str(name));
  });
}

BOOL WINAPI ReleaseSemaphore(HANDLE hSemaphore, LONG lReleaseCount, LPLONG lpPreviousCount) {
  return guarded(FALSE, [&] {
    auto semaphore = lookup_as<semaphore_object>(hSemaphore);
    if (!semaphore) return FALSE;
    // A handle opened without SEMAPHORE_MODIFY_STATE may only wait.
    DWORD access = lookup_handle(hSemaphore).access;
    if (!(access & (SEMAPHORE_MODIFY_STATE | GENERIC_WRITE | GENERIC_ALL))) {
      SetLastError(ERROR_ACCESS_DENIED);
      return FALSE;
    }
    DWORD error = semaphore->release(lReleaseCount, lpPreviousCount);
    if (error == ERROR_SUCCESS) return TRUE;
    SetLastError(error);
    return FALSE;
  });
}

}  // extern "C"
