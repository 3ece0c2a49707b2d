// Win32: anonymous pipes (CreatePipe), standard handles, and processes
// (CreateProcess, OpenProcess, exit codes, the command line).
//
// Inheritance: a Linux child gets only the descriptors conduit's launcher is
// told to pass, so CreateProcess with bInheritHandles passes the descriptor
// of every inheritable handle (at the same number) and describes them in
// CONDUIT_INHERITED_HANDLES (win32/inherited_list.hpp). The child's conduit_win32
// reads that at startup and puts each object back at the same handle value,
// so a handle number handed over on the command line means the same pipe in
// the child. CONDUIT_COMMAND_LINE carries the exact command line the parent
// gave, for GetCommandLine.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "conduit/anonymous_pipe.hpp"
#include "conduit/command_line.hpp"
#include "conduit/process.hpp"
#include "conduit/win32/windows.h"
#include "win32/anonymous_pipe_object.hpp"
#include "win32/api_guard.hpp"
#include "win32/disk_file_object.hpp"
#include "win32/handle_service.hpp"
#include "win32/handle_table.hpp"
#include "win32/inherited_adoption.hpp"
#include "win32/inherited_list.hpp"
#include "win32/mutex_object.hpp"
#include "win32/object_transfer.hpp"
#include "win32/port_forwarding.hpp"
#include "win32/process_access.hpp"
#include "win32/process_object.hpp"
#include "win32/status.hpp"
#include "win32/suspended_launch.hpp"
#include "win32/text.hpp"

extern char** environ;

using namespace conduit::win32;

namespace {

constexpr const char* command_line_variable = "CONDUIT_COMMAND_LINE";

BOOL fail_with(DWORD error) {
  SetLastError(error);
  return FALSE;
}

// ---- What the parent handed over, read once at startup ----

struct startup_state {
  std::optional<std::string> command_line;  // CONDUIT_COMMAND_LINE
};

startup_state& startup() {
  static startup_state* s = new startup_state();
  return *s;
}

// The most state one inherited item carries in the child's environment (as
// hexadecimal, twice as long): Linux refuses an environment string over
// 128 KiB. A message pipe end holding more of a message read in part than
// this is not inherited (docs/win32-named-pipes.md).
constexpr std::size_t max_inherited_state = 32 * 1024;

// Puts each inherited handle back at its number (win32/inherited_adoption.hpp
// says which it trusts). The variables are removed so that programs this
// one starts some other way do not see stale values.
void adopt_inherited_handles() {
  if (const char* line = std::getenv(command_line_variable)) {
    startup().command_line = line;
    ::unsetenv(command_line_variable);
  }
  const char* list = std::getenv(inherited_variable);
  if (!list) return;
  std::string text = list;
  ::unsetenv(inherited_variable);
  adopt_inherited(text);
}

// Runs before main, so the handles are there before the program looks.
// The handle service starts only then: an object another process pushes in
// must not take a handle value an inherited handle is about to get back.
[[maybe_unused]] const bool adopted = (adopt_inherited_handles(), start_handle_service(), true);

// ---- Standard handles ----

struct standard_handles {
  std::mutex mutex;
  HANDLE handles[3] = {nullptr, nullptr, nullptr};
  bool made[3] = {false, false, false};
};

standard_handles& standard() {
  static standard_handles* s = new standard_handles();
  return *s;
}

int std_slot(DWORD which) {
  if (which == STD_INPUT_HANDLE) return 0;
  if (which == STD_OUTPUT_HANDLE) return 1;
  if (which == STD_ERROR_HANDLE) return 2;
  return -1;
}

// ---- CreateProcess ----

// An inheritable handle the child gets: its descriptor and what it is.
struct inherited {
  HANDLE handle;
  portable_object object;  // keeps the descriptor open while the child starts
  DWORD access;
};

std::vector<inherited> inheritable_handles() {
  std::vector<inherited> out;
  visit_handles(
      [](HANDLE handle, const handle_entry& entry, void* context) {
        if (!(entry.flags & HANDLE_FLAG_INHERIT)) return;
        auto& list = *static_cast<std::vector<inherited>*>(context);
        // What crosses goes with its descriptors and state, as DuplicateHandle
        // moves it; standard handles cross as the child's descriptors 0, 1
        // and 2 instead. What cannot cross (docs/anonymous-pipes.md) is an
        // invalid handle in the child.
        auto portable = make_portable(entry.object);
        if (portable && portable->kind != transfer_kind::standard)
          list.push_back({handle, std::move(*portable), entry.access});
      },
      &out);
  return out;
}

// One of the child's standard handles; false (last error set) if the
// handle cannot be one.
bool stdio_for(HANDLE handle, int slot, conduit::stdio& out) {
  if (!handle || handle == INVALID_HANDLE_VALUE) {
    out = conduit::stdio::null();  // Windows gives the child no handle
    return true;
  }
  auto found = lookup_handle(handle).object;
  auto object = std::dynamic_pointer_cast<anonymous_pipe_object>(found);
  auto disk = std::dynamic_pointer_cast<disk_file_object>(found);  // a file: redirection
  if (!object && !disk) {
    SetLastError(found ? ERROR_NOT_SUPPORTED : ERROR_INVALID_HANDLE);
    return false;
  }
  int fd = object ? object->fd() : disk->fd();
  if (fd < 0) {
    SetLastError(ERROR_INVALID_HANDLE);
    return false;
  }
  out = fd == slot ? conduit::stdio::inherit() : conduit::stdio::native(fd);
  return true;
}

std::vector<std::string> environment_block_ansi(const char* block) {
  std::vector<std::string> out;
  while (*block) {
    out.emplace_back(block);
    block += out.back().size() + 1;
  }
  return out;
}

std::optional<std::vector<std::string>> environment_block_wide(const WCHAR* block) {
  std::vector<std::string> out;
  while (*block) {
    auto text = to_utf8(block);
    if (!text) return std::nullopt;
    std::size_t n = 0;
    while (block[n]) ++n;
    out.push_back(std::move(*text));
    block += n + 1;
  }
  return out;
}

bool is_conduit_variable(const std::string& entry) {
  return entry.starts_with(std::string(inherited_variable) + "=") ||
         entry.starts_with(std::string(command_line_variable) + "=");
}

struct create_request {
  std::optional<std::string> application;
  std::optional<std::string> command_line;
  bool inherit_handles = false;
  std::optional<std::vector<std::string>> environment;  // none: ours
  std::optional<std::string> directory;
  bool use_std_handles = false;
  HANDLE std_handles[3] = {nullptr, nullptr, nullptr};
  bool suspended = false;  // CREATE_SUSPENDED
};

BOOL create_process(const create_request& request, LPPROCESS_INFORMATION info) {
  if (!info) return fail_with(ERROR_INVALID_PARAMETER);
  conduit::process_options options;
  std::string line;
  if (request.command_line) {
    line = *request.command_line;
    options.argv = conduit::split_command_line(line);
  }
  if (request.application) {
    options.program = *request.application;
    if (!request.command_line) {
      line = *request.application;
      options.argv = {*request.application};
    }
  }
  if (options.argv.empty()) {
    if (!request.application) return fail_with(ERROR_INVALID_PARAMETER);
    options.argv = {*request.application};
  }

  // Standard handles: STARTUPINFO's, or this process's current ones (a
  // program may have changed them with SetStdHandle for the child).
  conduit::stdio* slots[3] = {&options.std_input, &options.std_output, &options.std_error};
  for (int slot = 0; slot < 3; ++slot) {
    HANDLE handle = nullptr;
    if (request.use_std_handles) {
      handle = request.std_handles[slot];
    } else {
      standard_handles& s = standard();
      std::lock_guard lock(s.mutex);
      if (!s.made[slot]) continue;  // untouched: the child shares ours
      handle = s.handles[slot];
    }
    if (!stdio_for(handle, slot, *slots[slot])) return FALSE;
  }

  std::string description;
  std::vector<inherited> passed;
  if (request.inherit_handles) {
    passed = inheritable_handles();
    std::vector<int> fds;
    for (const auto& h : passed) {
      if (h.object.state.size() > max_inherited_state) continue;
      std::vector<descriptor_identity> identities;
      for (int fd : h.object.fds) {
        auto identity = identify_descriptor(fd);
        if (fd < 3 || !identity) break;
        identities.push_back(*identity);
      }
      if (identities.empty() || identities.size() != h.object.fds.size()) continue;
      // The state goes along: a named event's name, a pipe end's name, mode
      // and place in a message, which the child holds too.
      description += format_inherited({.value = reinterpret_cast<std::uintptr_t>(h.handle),
                                       .fds = h.object.fds,
                                       .identities = std::move(identities),
                                       .kind = static_cast<char>(h.object.kind),
                                       .access = h.access,
                                       .flags = std::nullopt,
                                       .state = h.object.state});
      for (int fd : h.object.fds) {
        if (std::find(fds.begin(), fds.end(), fd) != fds.end()) continue;
        fds.push_back(fd);
        options.inherited_handles.push_back(conduit::inherited_handle::native(fd));
      }
    }
  }

  std::vector<std::string> environment;
  if (request.environment) {
    environment = *request.environment;
  } else {
    for (char** e = environ; e && *e; ++e) environment.emplace_back(*e);
  }
  std::erase_if(environment, is_conduit_variable);
  environment.push_back(std::string(command_line_variable) + "=" + line);
  // For the child alone: it checks that its parent is this process.
  if (!description.empty())
    environment.push_back(std::string(inherited_variable) + "=" +
                          format_inherited_parent(static_cast<std::uint64_t>(::getpid())) +
                          description);
  options.environment = std::move(environment);
  if (request.directory) options.working_directory = *request.directory;
  // The child's end of the gate is closed here once the child has started.
  std::optional<held_back_launch> held;
  if (request.suspended && !(held = hold_back(options))) return FALSE;

  std::error_code ec;
  conduit::process child = conduit::process::launch(options, ec);
  if (ec) return report(ec);
  DWORD pid = child.id();
  auto shared = register_child(std::move(child));
  auto object = std::make_shared<process_object>(shared);
  if (held) object->set_gate(std::move(held->gate));
  HANDLE process = insert_handle(object, 0, PROCESS_ALL_ACCESS);
  if (!process) return FALSE;
  // The "thread": the same object, signalled when the process ends.
  HANDLE thread = insert_handle(object, 0, THREAD_ALL_ACCESS);
  if (!thread) {
    close_handle(process);
    return FALSE;
  }
  info->hProcess = process;
  info->hThread = thread;
  info->dwProcessId = pid;
  info->dwThreadId = pid;
  return TRUE;
}

// ---- The command line ----

std::string own_command_line() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> argv;
  std::size_t pos = 0;
  while (pos < raw.size()) {
    std::size_t end = raw.find('\0', pos);
    if (end == std::string::npos) end = raw.size();
    argv.push_back(raw.substr(pos, end - pos));
    pos = end + 1;
  }
  // The parent's line, if it is really ours: a program the child ran in
  // turn (sh -c "prog x") inherits the variable but has other arguments.
  const auto& given = startup().command_line;
  if (given && conduit::split_command_line(*given) == argv) return *given;
  std::error_code ec;
  return conduit::join_command_line(argv, ec);
}

// What CreateProcessA and CreateProcessW take alike: handle inheritance,
// the creation flags, the environment block and the standard handles.
// False for an environment block that is not one.
template <typename StartupInfo>
bool fill_request(create_request& request, BOOL inherit_handles, DWORD creation_flags,
                  LPVOID environment, const StartupInfo& startup) {
  request.inherit_handles = inherit_handles != FALSE;
  request.suspended = (creation_flags & CREATE_SUSPENDED) != 0;
  if (environment) {
    if (creation_flags & CREATE_UNICODE_ENVIRONMENT) {
      request.environment = environment_block_wide(static_cast<const WCHAR*>(environment));
      if (!request.environment) return false;
    } else {
      request.environment = environment_block_ansi(static_cast<const char*>(environment));
    }
  }
  request.use_std_handles = (startup.dwFlags & STARTF_USESTDHANDLES) != 0;
  request.std_handles[0] = startup.hStdInput;
  request.std_handles[1] = startup.hStdOutput;
  request.std_handles[2] = startup.hStdError;
  return true;
}

}  // namespace

extern "C" {

BOOL WINAPI CreatePipe(PHANDLE hReadPipe, PHANDLE hWritePipe,
                       LPSECURITY_ATTRIBUTES lpPipeAttributes, DWORD nSize) {
  return guarded(FALSE, [&] {
    if (!hReadPipe || !hWritePipe) return fail_with(ERROR_INVALID_PARAMETER);
    std::error_code ec;
    auto pipe = conduit::anonymous_pipe::create({.buffer_size = nSize}, ec);
    if (ec) return report(ec);
    DWORD flags = lpPipeAttributes && lpPipeAttributes->bInheritHandle ? HANDLE_FLAG_INHERIT : 0;
    using kind = anonymous_pipe_object::end_kind;
    auto read = std::make_shared<anonymous_pipe_object>(pipe.read_end.release(), kind::read, nSize);
    auto write =
        std::make_shared<anonymous_pipe_object>(pipe.write_end.release(), kind::write, nSize);
    HANDLE r = insert_handle(read, flags, anonymous_access(kind::read));
    if (!r) return FALSE;
    HANDLE w = insert_handle(write, flags, anonymous_access(kind::write));
    if (!w) {
      close_handle(r);
      return FALSE;
    }
    *hReadPipe = r;
    *hWritePipe = w;
    return TRUE;
  });
}

HANDLE WINAPI GetStdHandle(DWORD nStdHandle) {
  return guarded(INVALID_HANDLE_VALUE, [&]() -> HANDLE {
    int slot = std_slot(nStdHandle);
    if (slot < 0) {
      SetLastError(ERROR_INVALID_HANDLE);
      return INVALID_HANDLE_VALUE;
    }
    standard_handles& s = standard();
    std::lock_guard lock(s.mutex);
    if (!s.made[slot]) {
      // Made on first use: a handle over descriptor 0, 1 or 2, if open.
      s.made[slot] = true;
      if (::fcntl(slot, F_GETFD) >= 0) {
        auto object = std::make_shared<anonymous_pipe_object>(
            slot, anonymous_pipe_object::end_kind::standard);
        s.handles[slot] = insert_handle(object, 0, anonymous_access(object->kind()));
      }
    }
    return s.handles[slot];
  });
}

BOOL WINAPI SetStdHandle(DWORD nStdHandle, HANDLE hHandle) {
  int slot = std_slot(nStdHandle);
  if (slot < 0) return fail_with(ERROR_INVALID_HANDLE);
  standard_handles& s = standard();
  std::lock_guard lock(s.mutex);
  s.handles[slot] = hHandle;
  s.made[slot] = true;
  return TRUE;
}

BOOL WINAPI CreateProcessA(LPCSTR lpApplicationName, LPSTR lpCommandLine, LPSECURITY_ATTRIBUTES,
                           LPSECURITY_ATTRIBUTES, BOOL bInheritHandles, DWORD dwCreationFlags,
                           LPVOID lpEnvironment, LPCSTR lpCurrentDirectory,
                           LPSTARTUPINFOA lpStartupInfo,
                           LPPROCESS_INFORMATION lpProcessInformation) {
  return guarded(FALSE, [&] {
    if (!lpStartupInfo) return fail_with(ERROR_INVALID_PARAMETER);
    create_request request;
    if (lpApplicationName) request.application = lpApplicationName;
    if (lpCommandLine) request.command_line = lpCommandLine;
    if (lpCurrentDirectory) request.directory = lpCurrentDirectory;
    if (!fill_request(request, bInheritHandles, dwCreationFlags, lpEnvironment, *lpStartupInfo))
      return fail_with(ERROR_INVALID_PARAMETER);
    return create_process(request, lpProcessInformation);
  });
}

BOOL WINAPI CreateProcessW(LPCWSTR lpApplicationName, LPWSTR lpCommandLine, LPSECURITY_ATTRIBUTES,
                           LPSECURITY_ATTRIBUTES, BOOL bInheritHandles, DWORD dwCreationFlags,
                           LPVOID lpEnvironment, LPCWSTR lpCurrentDirectory,
                           LPSTARTUPINFOW lpStartupInfo,
                           LPPROCESS_INFORMATION lpProcessInformation) {
  return guarded(FALSE, [&] {
    if (!lpStartupInfo) return fail_with(ERROR_INVALID_PARAMETER);
    create_request request;
    auto narrow = [](LPCWSTR text, std::optional<std::string>& out) {
      if (!text) return true;
      out = to_utf8(text);
      return out.has_value();
    };
    if (!narrow(lpApplicationName, request.application) ||
        !narrow(lpCommandLine, request.command_line) ||
        !narrow(lpCurrentDirectory, request.directory))
      return fail_with(ERROR_INVALID_PARAMETER);
    if (!fill_request(request, bInheritHandles, dwCreationFlags, lpEnvironment, *lpStartupInfo))
      return fail_with(ERROR_INVALID_PARAMETER);
    return create_process(request, lpProcessInformation);
  });
}

HANDLE WINAPI OpenProcess(DWORD dwDesiredAccess, BOOL bInheritHandle, DWORD dwProcessId) {
  return guarded(static_cast<HANDLE>(nullptr), [&]() -> HANDLE {
    DWORD flags = bInheritHandle ? HANDLE_FLAG_INHERIT : 0;
    // Windows: pid 0 (the idle process) and pids that do not exist are
    // invalid parameters.
    if (dwProcessId == 0 || dwProcessId > 0x3fffffff) {
      SetLastError(ERROR_INVALID_PARAMETER);
      return nullptr;
    }
    std::shared_ptr<process_object> object;
    if (auto child = find_child(static_cast<int>(dwProcessId))) {
      object = std::make_shared<process_object>(child);
    } else {
      int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, dwProcessId, 0));
      if (pidfd < 0) {
        SetLastError(errno == ESRCH ? ERROR_INVALID_PARAMETER : ERROR_ACCESS_DENIED);
        return nullptr;
      }
      ::fcntl(pidfd, F_SETFD, FD_CLOEXEC);
      object = std::make_shared<process_object>(static_cast<int>(dwProcessId), pidfd);
      // Only now: the pidfd keeps naming the process that was checked.
      if (DWORD refused = process_open_access(static_cast<int>(dwProcessId))) {
        SetLastError(refused);
        return nullptr;
      }
    }
    return insert_handle(object, flags, dwDesiredAccess);
  });
}

BOOL WINAPI GetExitCodeProcess(HANDLE hProcess, LPDWORD lpExitCode) {
  return guarded(FALSE, [&] {
    if (hProcess == current_process_pseudo_handle) {
      if (!lpExitCode) return fail_with(ERROR_INVALID_PARAMETER);
      *lpExitCode = STILL_ACTIVE;
      return TRUE;
    }
    auto process =
        process_for(hProcess, PROCESS_QUERY_INFORMATION | PROCESS_QUERY_LIMITED_INFORMATION);
    return process ? process->exit_code(lpExitCode) : FALSE;
  });
}

DWORD WINAPI GetProcessId(HANDLE Process) {
  return guarded(DWORD{0}, [&]() -> DWORD {
    if (Process == current_process_pseudo_handle) return static_cast<DWORD>(::getpid());
    auto process =
        process_for(Process, PROCESS_QUERY_INFORMATION | PROCESS_QUERY_LIMITED_INFORMATION);
    return process ? static_cast<DWORD>(process->pid()) : 0;
  });
}

BOOL WINAPI ProcessIdToSessionId(DWORD dwProcessId, DWORD* pSessionId) {
  return guarded(FALSE, [&] {
    if (!pSessionId || dwProcessId == 0 || dwProcessId > 0x3fffffff)
      return fail_with(ERROR_INVALID_PARAMETER);
    pid_t session = ::getsid(static_cast<pid_t>(dwProcessId));
    if (session < 0) return fail_with(ERROR_INVALID_PARAMETER);
    *pSessionId = static_cast<DWORD>(session);
    return TRUE;
  });
}

BOOL WINAPI TerminateProcess(HANDLE hProcess, UINT uExitCode) {
  return guarded(FALSE, [&] {
    if (hProcess == current_process_pseudo_handle) ExitProcess(uExitCode);
    auto process = process_for(hProcess, PROCESS_TERMINATE);
    return process ? process->terminate(uExitCode) : FALSE;
  });
}

VOID WINAPI ExitProcess(UINT uExitCode) {
  // The C runtime's buffers are written out, as its DLL detach does on
  // Windows; no destructors run while other threads may still use them.
  std::fflush(nullptr);
  abandon_owned_mutexes();  // as Windows does for a process that ends owning them
  cancel_forwarded_io();    // other processes' ports hear of I/O ended here
  ::_exit(static_cast<int>(uExitCode));
}

LPSTR WINAPI GetCommandLineA(void) {
  static std::string* line = new std::string(own_command_line());
  return line->data();
}

LPWSTR WINAPI GetCommandLineW(void) {
  static std::u16string* line = new std::u16string(to_utf16(own_command_line()));
  return reinterpret_cast<LPWSTR>(line->data());
}

}  // extern "C"
