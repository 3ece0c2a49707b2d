// Win32: ResumeThread and SuspendThread, on what CREATE_SUSPENDED holds
// back: a thread CreateThread made, or a child CreateProcess made (whose
// PROCESS_INFORMATION.hThread is the process object). See suspend_gate.hpp
// for what cannot be suspended.
#include "conduit/win32/windows.h"
#include "win32/handle_table.hpp"
#include "win32/process_object.hpp"
#include "win32/thread_object.hpp"

using namespace conduit::win32;

namespace {

constexpr DWORD failed = static_cast<DWORD>(-1);

// The gate behind a thread handle (null for one not created suspended);
// false, ERROR_INVALID_HANDLE set, when the handle is no thread's, and
// ERROR_ACCESS_DENIED when it lacks THREAD_SUSPEND_RESUME.
bool gate_of(HANDLE handle, std::shared_ptr<suspend_gate>& gate) {
  handle_entry entry = lookup_handle(handle);
  auto object = entry.object;
  if (auto thread = std::dynamic_pointer_cast<thread_object>(object)) {
    if (!(entry.access & THREAD_SUSPEND_RESUME)) {
      SetLastError(ERROR_ACCESS_DENIED);
      return false;
    }
    gate = thread->gate();
    return true;
  }
  if (auto process = std::dynamic_pointer_cast<process_object>(object)) {
    gate = process->gate();
    return true;
  }
  SetLastError(ERROR_INVALID_HANDLE);
  return false;
}

}  // namespace

extern "C" {

DWORD WINAPI ResumeThread(HANDLE hThread) {
  std::shared_ptr<suspend_gate> gate;
  if (!gate_of(hThread, gate)) return failed;
  return gate ? gate->resume() : 0;  // running already: a count of 0
}

DWORD WINAPI SuspendThread(HANDLE hThread) {
  std::shared_ptr<suspend_gate> gate;
  if (!gate_of(hThread, gate)) return failed;
  if (!gate) {
    SetLastError(ERROR_NOT_SUPPORTED);  // a running thread: suspend_gate.hpp says why
    return failed;
  }
  return gate->suspend();
}

}  // extern "C"
