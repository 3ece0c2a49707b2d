// Win32: events, waits, threads, APCs, sleeping and time.
#include <time.h>

#include <future>
#include <thread>
#include <vector>

#include "conduit/win32/windows.h"
#include "win32/event_object.hpp"
#include "win32/handle_table.hpp"
#include "win32/named_event.hpp"
#include "win32/security_conversion.hpp"
#include "win32/text.hpp"
#include "win32/thread_object.hpp"
#include "win32/wait.hpp"

using namespace conduit::win32;

namespace {

HANDLE create_event(LPSECURITY_ATTRIBUTES attributes, BOOL manual, BOOL initial, const char* name,
                    DWORD desired = EVENT_ALL_ACCESS) {
  DWORD flags = attributes && attributes->bInheritHandle ? HANDLE_FLAG_INHERIT : 0;
  // An empty name makes an unnamed event, as on Windows.
  if (name && *name) {
    std::string sddl;
    if (auto ec = attributes_to_sddl(attributes, sddl)) {
      SetLastError(static_cast<DWORD>(ec.value()));
      return nullptr;
    }
    return create_named_event(name, manual, initial, flags, desired, sddl);
  }
  HANDLE h =
      insert_handle(std::make_shared<event_object>(manual, initial), flags, EVENT_ALL_ACCESS);
  if (h) SetLastError(ERROR_SUCCESS);
  return h;
}

HANDLE open_event(DWORD desired, BOOL inherit, const char* name) {
  if (!name) {
    SetLastError(ERROR_INVALID_PARAMETER);
    return nullptr;
  }
  if (!*name) {
    SetLastError(ERROR_INVALID_HANDLE);  // what Windows says to an empty name
    return nullptr;
  }
  return open_named_event(name, inherit ? HANDLE_FLAG_INHERIT : 0, desired);
}

DWORD wait_handles(DWORD count, const HANDLE* handles, BOOL wait_all, DWORD ms, BOOL alertable) {
  if (count == 0 || count > MAXIMUM_WAIT_OBJECTS || !handles) {
    SetLastError(ERROR_INVALID_PARAMETER);
    return WAIT_FAILED;
  }
  std::vector<std::shared_ptr<kernel_object>> objects;
  for (DWORD i = 0; i < count; ++i) {
    auto object = lookup_handle(handles[i]).object;
    if (!object) {
      SetLastError(ERROR_INVALID_HANDLE);
      return WAIT_FAILED;
    }
    objects.push_back(std::move(object));
  }
  return wait_for_objects(objects, wait_all, ms, alertable);
}

struct thread_start {
  LPTHREAD_START_ROUTINE routine;
  LPVOID parameter;
  std::shared_ptr<thread_object> self;
};

}  // namespace

extern "C" {

HANDLE WINAPI CreateEventA(LPSECURITY_ATTRIBUTES lpEventAttributes, BOOL bManualReset,
                           BOOL bInitialState, LPCSTR lpName) {
  return create_event(lpEventAttributes, bManualReset, bInitialState, lpName);
}

HANDLE WINAPI CreateEventW(LPSECURITY_ATTRIBUTES lpEventAttributes, BOOL bManualReset,
                           BOOL bInitialState, LPCWSTR lpName) {
  if (!lpName) return create_event(lpEventAttributes, bManualReset, bInitialState, nullptr);
  auto name = to_utf8(lpName);
  if (!name) {
    SetLastError(ERROR_INVALID_NAME);
    return nullptr;
  }
  return create_event(lpEventAttributes, bManualReset, bInitialState, name->c_str());
}

HANDLE WINAPI CreateEventExA(LPSECURITY_ATTRIBUTES lpEventAttributes, LPCSTR lpName, DWORD dwFlags,
                             DWORD dwDesiredAccess) {
  return create_event(lpEventAttributes, (dwFlags & CREATE_EVENT_MANUAL_RESET) != 0,
                      (dwFlags & CREATE_EVENT_INITIAL_SET) != 0, lpName, dwDesiredAccess);
}

HANDLE WINAPI CreateEventExW(LPSECURITY_ATTRIBUTES lpEventAttributes, LPCWSTR lpName, DWORD dwFlags,
                             DWORD dwDesiredAccess) {
  auto name = lpName ? to_utf8(lpName) : std::nullopt;
  if (lpName && !name) {
    SetLastError(ERROR_INVALID_NAME);
    return nullptr;
  }
  return create_event(lpEventAttributes, (dwFlags & CREATE_EVENT_MANUAL_RESET) != 0,
                      (dwFlags & CREATE_EVENT_INITIAL_SET) != 0, name ? name->c_str() : nullptr,
                      dwDesiredAccess);
}

HANDLE WINAPI OpenEventA(DWORD dwDesiredAccess, BOOL bInheritHandle, LPCSTR lpName) {
  return open_event(dwDesiredAccess, bInheritHandle, lpName);
}

HANDLE WINAPI OpenEventW(DWORD dwDesiredAccess, BOOL bInheritHandle, LPCWSTR lpName) {
  auto name = lpName ? to_utf8(lpName) : std::nullopt;
  return open_event(dwDesiredAccess, bInheritHandle, name ? name->c_str() : nullptr);
}

BOOL WINAPI SetEvent(HANDLE hEvent) {
  auto event = lookup_as<event_object>(hEvent);
  if (!event) return FALSE;
  event->set();
  return TRUE;
}

BOOL WINAPI ResetEvent(HANDLE hEvent) {
  auto event = lookup_as<event_object>(hEvent);
  if (!event) return FALSE;
  event->reset();
  return TRUE;
}

DWORD WINAPI WaitForSingleObject(HANDLE hHandle, DWORD dwMilliseconds) {
  return wait_handles(1, &hHandle, FALSE, dwMilliseconds, FALSE);
}

DWORD WINAPI WaitForSingleObjectEx(HANDLE hHandle, DWORD dwMilliseconds, BOOL bAlertable) {
  return wait_handles(1, &hHandle, FALSE, dwMilliseconds, bAlertable);
}

DWORD WINAPI WaitForMultipleObjects(DWORD nCount, const HANDLE* lpHandles, BOOL bWaitAll,
                                    DWORD dwMilliseconds) {
  return wait_handles(nCount, lpHandles, bWaitAll, dwMilliseconds, FALSE);
}

DWORD WINAPI WaitForMultipleObjectsEx(DWORD nCount, const HANDLE* lpHandles, BOOL bWaitAll,
                                      DWORD dwMilliseconds, BOOL bAlertable) {
  return wait_handles(nCount, lpHandles, bWaitAll, dwMilliseconds, bAlertable);
}

VOID WINAPI Sleep(DWORD dwMilliseconds) {
  SleepEx(dwMilliseconds, FALSE);
}

DWORD WINAPI SleepEx(DWORD dwMilliseconds, BOOL bAlertable) {
  DWORD result = wait_for_objects({}, false, dwMilliseconds, bAlertable);
  return result == WAIT_IO_COMPLETION ? WAIT_IO_COMPLETION : 0;
}

DWORD WINAPI QueueUserAPC(PAPCFUNC pfnAPC, HANDLE hThread, ULONG_PTR dwData) {
  auto thread = lookup_granting<thread_object>(hThread, THREAD_SET_CONTEXT);
  if (!thread || !pfnAPC) {
    if (thread) SetLastError(ERROR_INVALID_PARAMETER);
    return 0;
  }
  thread->queue_apc([pfnAPC, dwData] { pfnAPC(dwData); });
  return 1;
}

HANDLE WINAPI CreateThread(LPSECURITY_ATTRIBUTES lpThreadAttributes, SIZE_T,
                           LPTHREAD_START_ROUTINE lpStartAddress, LPVOID lpParameter,
                           DWORD dwCreationFlags, LPDWORD lpThreadId) {
  if (!lpStartAddress) {
    SetLastError(ERROR_INVALID_PARAMETER);
    return nullptr;
  }
  auto self = std::make_shared<thread_object>();
  if (dwCreationFlags & CREATE_SUSPENDED) self->hold_back();  // until ResumeThread
  DWORD flags = lpThreadAttributes && lpThreadAttributes->bInheritHandle ? HANDLE_FLAG_INHERIT : 0;
  HANDLE handle = insert_handle(self, flags, THREAD_ALL_ACCESS);
  if (!handle) return nullptr;
  // The id is the new thread's own: it reports it once it has taken it.
  auto id = std::make_shared<std::promise<DWORD>>();
  std::future<DWORD> id_known = id->get_future();
  try {
    std::thread([start = thread_start{lpStartAddress, lpParameter, self}, id] {
      adopt_thread_object(start.self);
      id->set_value(start.self->id());
      if (start.self->gate()) start.self->gate()->wait();
      DWORD code = start.routine(start.parameter);
      start.self->finish(code);
    }).detach();
  } catch (const std::system_error&) {
    CloseHandle(handle);
    SetLastError(ERROR_NOT_ENOUGH_MEMORY);
    return nullptr;
  }
  id_known.wait();
  if (lpThreadId) *lpThreadId = self->id();
  return handle;
}

VOID WINAPI ExitThread(DWORD dwExitCode) {
  current_thread_object()->finish(dwExitCode);
  pthread_exit(nullptr);
}

BOOL WINAPI GetExitCodeThread(HANDLE hThread, LPDWORD lpExitCode) {
  auto thread = lookup_as<thread_object>(hThread);
  if (!thread) return FALSE;
  if (!lpExitCode) {
    SetLastError(ERROR_INVALID_PARAMETER);
    return FALSE;
  }
  *lpExitCode = thread->exit_code();
  return TRUE;
}

DWORD WINAPI GetTickCount(void) {
  return static_cast<DWORD>(GetTickCount64());
}

ULONGLONG WINAPI GetTickCount64(void) {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<ULONGLONG>(ts.tv_sec) * 1000 + static_cast<ULONGLONG>(ts.tv_nsec) / 1'000'000;
}

}  // extern "C"
