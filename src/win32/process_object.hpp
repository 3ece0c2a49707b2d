// A process handle (CreateProcess, OpenProcess): waitable over a pidfd,
// signalled once the process has ended.
#pragma once

#include <memory>
#include <mutex>
#include <optional>

#include "conduit/process.hpp"
#include "conduit/win32/windows.h"
#include "win32/kernel_object.hpp"
#include "win32/suspend_gate.hpp"

namespace conduit::win32 {

/// A child this process started: one per child, shared by every handle to
/// it (CreateProcess's hProcess and hThread, OpenProcess of its pid), so its
/// exit code is known to all of them.
struct launched_child {
  std::mutex mutex;
  conduit::process process;
};

class process_object final : public kernel_object {
 public:
  /// A child of ours.
  explicit process_object(std::shared_ptr<launched_child> child);
  /// Any other process (OpenProcess): owns `pidfd`.
  process_object(int pid, int pidfd);
  ~process_object() override;

  int wait_fd() const override;
  [[nodiscard]] int pid() const { return pid_; }

  /// CREATE_SUSPENDED: what ResumeThread on the process's "thread" opens
  /// (null when it was not created suspended).
  void set_gate(std::shared_ptr<suspend_gate> gate) { gate_ = std::move(gate); }
  [[nodiscard]] const std::shared_ptr<suspend_gate>& gate() const { return gate_; }

  /// GetExitCodeProcess: STILL_ACTIVE while it runs.
  BOOL exit_code(LPDWORD code);
  /// TerminateProcess.
  BOOL terminate(UINT code);

 private:
  std::shared_ptr<launched_child> child_;
  int pid_ = 0;
  int pidfd_ = -1;  // owned when child_ is null
  std::shared_ptr<suspend_gate> gate_;
};

/// This process, for GetCurrentProcess(): waitable (it never ends while
/// anyone waits on it), so a wait on it times out as on Windows.
const std::shared_ptr<process_object>& current_process_object();

/// The process object behind a handle granted any of the `needed` rights;
/// null with ERROR_INVALID_HANDLE (not a process handle) or
/// ERROR_ACCESS_DENIED. The pseudo-handle GetCurrentProcess() has them all.
std::shared_ptr<process_object> process_for(HANDLE handle, DWORD needed);

/// Registers a child CreateProcess started; OpenProcess finds it by pid.
std::shared_ptr<launched_child> register_child(conduit::process process);
/// The child of ours with this pid, if it is still known.
std::shared_ptr<launched_child> find_child(int pid);

}  // namespace conduit::win32
