// Win32: named pipes (CreateNamedPipe, ConnectNamedPipe, DisconnectNamedPipe,
// WaitNamedPipe, CallNamedPipe, TransactNamedPipe, PeekNamedPipe, and the
// pipe's state, information and process and session ids).
//
// CreateFile, ReadFile and WriteFile are in api_files.cpp: they serve every
// kind of file.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "conduit/error.hpp"
#include "conduit/pipe_client.hpp"
#include "conduit/win32/windows.h"
#include "core/pipe_flags.hpp"
#include "runtime/client_end.hpp"
#include "runtime/server_instance.hpp"
#include "security/impersonation.hpp"
#include "win32/anonymous_pipe_object.hpp"
#include "win32/api_guard.hpp"
#include "win32/handle_table.hpp"
#include "win32/pipe_object.hpp"
#include "win32/security_conversion.hpp"
#include "win32/status.hpp"
#include "win32/text.hpp"
#include "win32/thread_object.hpp"

using namespace conduit::win32;
using conduit::errc;

namespace {

constexpr DWORD file_generic_read = FILE_GENERIC_READ;
constexpr DWORD file_generic_write = FILE_GENERIC_WRITE;

BOOL fail_with(DWORD error) {
  SetLastError(error);
  return FALSE;
}

// The W functions' names in UTF-8, or nullopt (ERROR_INVALID_NAME set).
std::optional<std::string> narrow(LPCWSTR name) {
  auto text = to_utf8(name);
  if (!text) SetLastError(ERROR_INVALID_NAME);
  return text;
}

// What a server handle is granted: its direction's generic rights, as
// CreateNamedPipe asks for them, and the security rights the open mode names.
DWORD server_access(DWORD open_mode) {
  DWORD access = SYNCHRONIZE;
  if (open_mode & PIPE_ACCESS_INBOUND) access |= file_generic_read;
  if (open_mode & PIPE_ACCESS_OUTBOUND) access |= file_generic_write;
  return access | (open_mode & (WRITE_DAC | WRITE_OWNER | ACCESS_SYSTEM_SECURITY));
}

HANDLE create_named_pipe(const char* name, DWORD open_mode, DWORD pipe_mode, DWORD max_instances,
                         DWORD out_size, DWORD in_size, DWORD default_timeout,
                         LPSECURITY_ATTRIBUTES attributes) {
  if (!name) {
    SetLastError(ERROR_PATH_NOT_FOUND);
    return INVALID_HANDLE_VALUE;
  }
  // Windows refuses bits it does not define, in either mode (Wine lets them
  // through); so does conduit, rather than guess what they were meant to say.
  constexpr DWORD known_open_mode = PIPE_ACCESS_DUPLEX | FILE_FLAG_FIRST_PIPE_INSTANCE |
                                    FILE_FLAG_WRITE_THROUGH | FILE_FLAG_OVERLAPPED | WRITE_DAC |
                                    WRITE_OWNER | ACCESS_SYSTEM_SECURITY;
  constexpr DWORD known_pipe_mode =
      PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE | PIPE_NOWAIT | PIPE_REJECT_REMOTE_CLIENTS;
  if ((open_mode & PIPE_ACCESS_DUPLEX) == 0 || (open_mode & ~known_open_mode) != 0 ||
      (pipe_mode & ~known_pipe_mode) != 0) {
    SetLastError(ERROR_INVALID_PARAMETER);
    return INVALID_HANDLE_VALUE;
  }
  conduit::pipe_options options;
  options.direction = static_cast<conduit::pipe_direction>(open_mode & PIPE_ACCESS_DUPLEX);
  options.type =
      pipe_mode & PIPE_TYPE_MESSAGE ? conduit::pipe_type::message : conduit::pipe_type::byte;
  options.mode =
      pipe_mode & PIPE_READMODE_MESSAGE ? conduit::read_mode::message : conduit::read_mode::byte;
  options.max_instances = max_instances;
  options.out_buffer_size = out_size;
  options.in_buffer_size = in_size;
  // NMPWAIT_WAIT_FOREVER as a default is as long a wait as the broker keeps.
  options.default_timeout = std::chrono::milliseconds(
      std::min<DWORD>(default_timeout, std::numeric_limits<DWORD>::max() - 1));
  options.first_instance = open_mode & FILE_FLAG_FIRST_PIPE_INSTANCE;
  options.write_through = open_mode & FILE_FLAG_WRITE_THROUGH;
  options.reject_remote_clients = pipe_mode & PIPE_REJECT_REMOTE_CLIENTS;
  options.nowait = pipe_mode & PIPE_NOWAIT;
  options.write_dac = open_mode & WRITE_DAC;
  if (auto ec = attributes_to_sddl(attributes, options.security_descriptor)) {
    SetLastError(static_cast<DWORD>(ec.value()));
    return INVALID_HANDLE_VALUE;
  }
  std::error_code ec;
  auto server = conduit::detail::server_instance::create(name, options, ec);
  if (!server) {
    report(ec);
    return INVALID_HANDLE_VALUE;
  }
  DWORD access = server_access(open_mode);
  bool created = server->created_pipe();
  auto object =
      std::make_shared<pipe_object>(std::move(server), open_mode & FILE_FLAG_OVERLAPPED, access);
  DWORD flags = attributes && attributes->bInheritHandle ? HANDLE_FLAG_INHERIT : 0;
  HANDLE handle = insert_handle(std::move(object), flags, access);
  if (!handle) return INVALID_HANDLE_VALUE;
  // As Windows: another instance of an existing pipe says so.
  SetLastError(created ? ERROR_SUCCESS : ERROR_ALREADY_EXISTS);
  return handle;
}

// The pipe behind a handle for a question about it. A client end the server
// has disconnected answers nothing but ERROR_PIPE_NOT_CONNECTED, as on Windows.
std::shared_ptr<pipe_object> pipe_to_ask(HANDLE handle) {
  auto pipe = lookup_as<pipe_object>(handle);
  if (pipe && pipe->client() && !pipe->client()->still_connected()) {
    SetLastError(ERROR_PIPE_NOT_CONNECTED);
    return nullptr;
  }
  return pipe;
}

// The anonymous pipe end behind a handle, if it is one.
std::shared_ptr<anonymous_pipe_object> anonymous_end(HANDLE handle) {
  return std::dynamic_pointer_cast<anonymous_pipe_object>(lookup_handle(handle).object);
}

// WaitNamedPipe's and CallNamedPipe's timeouts.
std::chrono::milliseconds wait_timeout(DWORD timeout) {
  if (timeout == NMPWAIT_WAIT_FOREVER) return conduit::wait_forever;
  if (timeout == NMPWAIT_USE_DEFAULT_WAIT) return conduit::use_default_wait;
  return std::chrono::milliseconds(timeout);
}

// A name that is not a pipe's is a path that does not exist, to WaitNamedPipe.
DWORD wait_error(const std::error_code& ec) {
  return ec == errc::invalid_name ? ERROR_PATH_NOT_FOUND : error_from_code(ec);
}

// CancelSynchronousIo ends the wait (ERROR_OPERATION_ABORTED).
BOOL wait_named_pipe(const char* name, DWORD timeout) {
  if (!name) return fail_with(ERROR_PATH_NOT_FOUND);
  std::error_code ec;
  {
    synchronous_io_scope scope;
    conduit::wait_named_pipe(name, wait_timeout(timeout), ec);
  }
  return ec ? fail_with(wait_error(ec)) : TRUE;
}

BOOL call_named_pipe(const char* name, LPVOID in, DWORD in_size, LPVOID out, DWORD out_size,
                     LPDWORD read, DWORD timeout) {
  if (read) *read = 0;
  if (!name) return fail_with(ERROR_PATH_NOT_FOUND);
  std::error_code ec;
  std::size_t n;
  {
    // One synchronous call, which CancelSynchronousIo ends while it waits
    // for an instance, for room for the request or for the reply (the
    // steps that talk to the broker finish first).
    synchronous_io_scope scope;
    n = conduit::call_named_pipe(
        name, std::span(static_cast<const std::byte*>(in), in ? in_size : 0),
        std::span(static_cast<std::byte*>(out), out ? out_size : 0), wait_timeout(timeout), ec);
  }
  if (read) *read = static_cast<DWORD>(n);
  return ec ? fail_with(error_from_code(ec)) : TRUE;
}

// The user name of a server's client (GetNamedPipeHandleState), or the
// error: only a client that allowed impersonation can be named.
DWORD client_user_name(const pipe_object& pipe, std::string& name) {
  if (!pipe.server()) return ERROR_INVALID_PARAMETER;  // "must be NULL" on a client end
  // Asking for the pid takes a client that has arrived but not been seen yet.
  std::error_code ec;
  pipe.server()->client_process_id(ec);
  conduit::detail::wire::connect_record record;
  if (ec || !pipe.server()->client_record(record)) return ERROR_CANNOT_IMPERSONATE;
  auto client = conduit::detail::identity_of(record);
  if (client.level < conduit::impersonation_level::impersonation)
    return ERROR_BAD_IMPERSONATION_LEVEL;  // anonymous or identification only
  name = client.user_name;
  return ERROR_SUCCESS;
}

template <typename Char>
BOOL get_handle_state(HANDLE handle, LPDWORD state, LPDWORD instances, LPDWORD max_count,
                      LPDWORD timeout, Char* user, DWORD user_size) {
  // An anonymous pipe is a byte pipe of one instance, always blocking, with
  // no client to name.
  if (anonymous_end(handle)) {
    if (max_count || timeout) return fail_with(ERROR_INVALID_PARAMETER);
    if (user) return fail_with(ERROR_CANNOT_IMPERSONATE);
    if (instances) *instances = 1;
    if (state) *state = PIPE_WAIT | PIPE_READMODE_BYTE;
    return TRUE;
  }
  auto pipe = pipe_to_ask(handle);
  if (!pipe) return FALSE;
  // Collection count and timeout mean something only for a remote client.
  if (max_count || timeout) return fail_with(ERROR_INVALID_PARAMETER);
  std::string name;
  if (user) {
    if (DWORD error = client_user_name(*pipe, name)) return fail_with(error);
    std::basic_string<Char> text;
    if constexpr (sizeof(Char) == 1)
      text = name;
    else
      text = to_utf16(name);
    if (text.size() + 1 > user_size) return fail_with(ERROR_INSUFFICIENT_BUFFER);
    std::copy(text.begin(), text.end(), user);
    user[text.size()] = 0;
  }
  if (instances) {
    std::error_code ec;
    DWORD n = pipe->end().current_instances(ec);
    if (ec) return report(ec);
    *instances = n;
  }
  if (state) {
    *state = (pipe->end().nowait() ? PIPE_NOWAIT : PIPE_WAIT) |
             (pipe->end().current_read_mode() == conduit::read_mode::message ? PIPE_READMODE_MESSAGE
                                                                             : PIPE_READMODE_BYTE);
  }
  return TRUE;
}

// The four id functions share their checks: an out pointer, then the pipe.
template <typename F>
BOOL pipe_id(HANDLE handle, PULONG out, F&& get) {
  if (!out) return fail_with(ERROR_INSUFFICIENT_BUFFER);
  auto pipe = pipe_to_ask(handle);
  if (!pipe) return FALSE;
  DWORD error = ERROR_SUCCESS;
  ULONG value = get(*pipe, error);
  if (error) return fail_with(error);
  *out = value;
  return TRUE;
}

// A local client has no computer name to give: Windows says
// ERROR_PIPE_LOCAL. A remote one (an SMB client, docs/remote-pipes.md) gives
// the name smbd heard, or its address when smbd knew no name; `size` is in
// bytes, and one too small for the name and its null is ERROR_MORE_DATA.
template <typename Char>
BOOL client_computer_name(HANDLE handle, Char* out, ULONG size) {
  auto pipe = pipe_to_ask(handle);
  if (!pipe) return FALSE;
  if (!pipe->server()) return fail_with(ERROR_NOT_SUPPORTED);
  std::error_code ec;
  pipe->server()->client_process_id(ec);
  if (ec) return fail_with(error_from_code(ec));
  conduit::detail::wire::connect_record client;
  if (!pipe->server()->client_record(client)) return fail_with(ERROR_NOT_FOUND);
  if (!(client.sqos_flags & conduit::detail::sqos_remote_client))
    return fail_with(ERROR_PIPE_LOCAL);
  // Both are ASCII (the broker sees to it), so each byte is one character.
  const std::string& name =
      client.computer_name.empty() ? client.client_address : client.computer_name;
  if (!out || size / sizeof(Char) < name.size() + 1) return fail_with(ERROR_MORE_DATA);
  std::copy(name.begin(), name.end(), out);
  out[name.size()] = 0;
  return TRUE;
}

ULONG session_of(pid_t pid) {
  pid_t sid = ::getsid(pid);
  return sid > 0 ? static_cast<ULONG>(sid) : 0;
}

}  // namespace

extern "C" {

HANDLE WINAPI CreateNamedPipeA(LPCSTR lpName, DWORD dwOpenMode, DWORD dwPipeMode,
                               DWORD nMaxInstances, DWORD nOutBufferSize, DWORD nInBufferSize,
                               DWORD nDefaultTimeOut, LPSECURITY_ATTRIBUTES lpSecurityAttributes) {
  return guarded(INVALID_HANDLE_VALUE, [&] {
    return create_named_pipe(lpName, dwOpenMode, dwPipeMode, nMaxInstances, nOutBufferSize,
                             nInBufferSize, nDefaultTimeOut, lpSecurityAttributes);
  });
}

HANDLE WINAPI CreateNamedPipeW(LPCWSTR lpName, DWORD dwOpenMode, DWORD dwPipeMode,
                               DWORD nMaxInstances, DWORD nOutBufferSize, DWORD nInBufferSize,
                               DWORD nDefaultTimeOut, LPSECURITY_ATTRIBUTES lpSecurityAttributes) {
  return guarded(INVALID_HANDLE_VALUE, [&] {
    if (!lpName)
      return create_named_pipe(nullptr, dwOpenMode, dwPipeMode, nMaxInstances, nOutBufferSize,
                               nInBufferSize, nDefaultTimeOut, lpSecurityAttributes);
    auto name = narrow(lpName);
    if (!name) return INVALID_HANDLE_VALUE;
    return create_named_pipe(name->c_str(), dwOpenMode, dwPipeMode, nMaxInstances, nOutBufferSize,
                             nInBufferSize, nDefaultTimeOut, lpSecurityAttributes);
  });
}

BOOL WINAPI ConnectNamedPipe(HANDLE hNamedPipe, LPOVERLAPPED lpOverlapped) {
  return guarded(FALSE, [&] {
    auto pipe = lookup_as<pipe_object>(hNamedPipe);
    if (!pipe) return FALSE;
    return pipe->connect({lpOverlapped, nullptr, nullptr, io_call::connect});
  });
}

BOOL WINAPI DisconnectNamedPipe(HANDLE hNamedPipe) {
  return guarded(FALSE, [&] {
    auto pipe = lookup_as<pipe_object>(hNamedPipe);
    if (!pipe) return FALSE;
    if (!pipe->server()) return fail_with(ERROR_NOT_SUPPORTED);  // a client end, as Wine answers
    std::error_code ec;
    pipe->server()->disconnect(ec);
    return report(ec);
  });
}

BOOL WINAPI WaitNamedPipeA(LPCSTR lpNamedPipeName, DWORD nTimeOut) {
  return guarded(FALSE, [&] { return wait_named_pipe(lpNamedPipeName, nTimeOut); });
}

BOOL WINAPI WaitNamedPipeW(LPCWSTR lpNamedPipeName, DWORD nTimeOut) {
  return guarded(FALSE, [&] {
    if (!lpNamedPipeName) return wait_named_pipe(nullptr, nTimeOut);
    auto name = narrow(lpNamedPipeName);
    return name ? wait_named_pipe(name->c_str(), nTimeOut) : FALSE;
  });
}

BOOL WINAPI CallNamedPipeA(LPCSTR lpNamedPipeName, LPVOID lpInBuffer, DWORD nInBufferSize,
                           LPVOID lpOutBuffer, DWORD nOutBufferSize, LPDWORD lpBytesRead,
                           DWORD nTimeOut) {
  return guarded(FALSE, [&] {
    return call_named_pipe(lpNamedPipeName, lpInBuffer, nInBufferSize, lpOutBuffer, nOutBufferSize,
                           lpBytesRead, nTimeOut);
  });
}

BOOL WINAPI CallNamedPipeW(LPCWSTR lpNamedPipeName, LPVOID lpInBuffer, DWORD nInBufferSize,
                           LPVOID lpOutBuffer, DWORD nOutBufferSize, LPDWORD lpBytesRead,
                           DWORD nTimeOut) {
  return guarded(FALSE, [&] {
    std::optional<std::string> name;
    if (lpNamedPipeName && !(name = narrow(lpNamedPipeName))) return FALSE;
    return call_named_pipe(name ? name->c_str() : nullptr, lpInBuffer, nInBufferSize, lpOutBuffer,
                           nOutBufferSize, lpBytesRead, nTimeOut);
  });
}

BOOL WINAPI TransactNamedPipe(HANDLE hNamedPipe, LPVOID lpInBuffer, DWORD nInBufferSize,
                              LPVOID lpOutBuffer, DWORD nOutBufferSize, LPDWORD lpBytesRead,
                              LPOVERLAPPED lpOverlapped) {
  return guarded(FALSE, [&] {
    if (lpBytesRead) *lpBytesRead = 0;
    auto pipe = lookup_as<pipe_object>(hNamedPipe);
    if (!pipe) return FALSE;
    if ((!lpInBuffer && nInBufferSize) || (!lpOutBuffer && nOutBufferSize))
      return fail_with(ERROR_NOACCESS);
    return pipe->transact(std::span(static_cast<const std::byte*>(lpInBuffer), nInBufferSize),
                          std::span(static_cast<std::byte*>(lpOutBuffer), nOutBufferSize),
                          {lpOverlapped, lpBytesRead, nullptr, io_call::transfer});
  });
}

BOOL WINAPI PeekNamedPipe(HANDLE hNamedPipe, LPVOID lpBuffer, DWORD nBufferSize,
                          LPDWORD lpBytesRead, LPDWORD lpTotalBytesAvail,
                          LPDWORD lpBytesLeftThisMessage) {
  return guarded(FALSE, [&] {
    // An anonymous pipe is a named pipe too (CreatePipe), with its own ends.
    if (auto anonymous = anonymous_end(hNamedPipe))
      return anonymous->peek(lpBuffer, nBufferSize, lpBytesRead, lpTotalBytesAvail,
                             lpBytesLeftThisMessage);
    auto pipe = pipe_to_ask(hNamedPipe);
    if (!pipe) return FALSE;
    if (!(pipe->access() & FILE_READ_DATA)) return fail_with(ERROR_ACCESS_DENIED);
    std::error_code ec;
    auto counts = pipe->end().peek(
        std::span(static_cast<std::byte*>(lpBuffer), lpBuffer ? nBufferSize : 0), ec);
    if (ec) return report(ec);
    if (lpBytesRead) *lpBytesRead = static_cast<DWORD>(counts.copied);
    if (lpTotalBytesAvail) *lpTotalBytesAvail = static_cast<DWORD>(counts.available);
    // On a byte pipe, minus the bytes peeked: what Windows gives (its page
    // says zero; Wine's pipe.c checks -4 after peeking 4).
    if (lpBytesLeftThisMessage) {
      bool message = pipe->end().info().type == conduit::pipe_type::message;
      *lpBytesLeftThisMessage = message ? static_cast<DWORD>(counts.message_left - counts.copied)
                                        : 0u - static_cast<DWORD>(counts.copied);
    }
    return TRUE;
  });
}

BOOL WINAPI GetNamedPipeInfo(HANDLE hNamedPipe, LPDWORD lpFlags, LPDWORD lpOutBufferSize,
                             LPDWORD lpInBufferSize, LPDWORD lpMaxInstances) {
  return guarded(FALSE, [&] {
    if (auto anonymous = anonymous_end(hNamedPipe))
      return anonymous->info(lpFlags, lpOutBufferSize, lpInBufferSize, lpMaxInstances);
    auto pipe = pipe_to_ask(hNamedPipe);
    if (!pipe) return FALSE;
    const conduit::pipe_info& info = pipe->end().info();
    if (lpFlags)
      *lpFlags = (info.server_end ? PIPE_SERVER_END : PIPE_CLIENT_END) |
                 (info.type == conduit::pipe_type::message ? PIPE_TYPE_MESSAGE : PIPE_TYPE_BYTE);
    if (lpOutBufferSize) *lpOutBufferSize = info.out_buffer_size;
    if (lpInBufferSize) *lpInBufferSize = info.in_buffer_size;
    if (lpMaxInstances) *lpMaxInstances = info.max_instances;
    return TRUE;
  });
}

BOOL WINAPI GetNamedPipeHandleStateA(HANDLE hNamedPipe, LPDWORD lpState, LPDWORD lpCurInstances,
                                     LPDWORD lpMaxCollectionCount, LPDWORD lpCollectDataTimeout,
                                     LPSTR lpUserName, DWORD nMaxUserNameSize) {
  return guarded(FALSE, [&] {
    return get_handle_state(hNamedPipe, lpState, lpCurInstances, lpMaxCollectionCount,
                            lpCollectDataTimeout, lpUserName, nMaxUserNameSize);
  });
}

BOOL WINAPI GetNamedPipeHandleStateW(HANDLE hNamedPipe, LPDWORD lpState, LPDWORD lpCurInstances,
                                     LPDWORD lpMaxCollectionCount, LPDWORD lpCollectDataTimeout,
                                     LPWSTR lpUserName, DWORD nMaxUserNameSize) {
  return guarded(FALSE, [&] {
    return get_handle_state(hNamedPipe, lpState, lpCurInstances, lpMaxCollectionCount,
                            lpCollectDataTimeout, lpUserName, nMaxUserNameSize);
  });
}

BOOL WINAPI SetNamedPipeHandleState(HANDLE hNamedPipe, LPDWORD lpMode, LPDWORD lpMaxCollectionCount,
                                    LPDWORD lpCollectDataTimeout) {
  return guarded(FALSE, [&] {
    auto pipe = pipe_to_ask(hNamedPipe);
    if (!pipe) return FALSE;
    if (lpMode && (*lpMode & ~(PIPE_READMODE_MESSAGE | PIPE_NOWAIT)))
      return fail_with(ERROR_INVALID_PARAMETER);
    // As documented: changing the state takes FILE_WRITE_ATTRIBUTES, which a
    // client opened with GENERIC_READ alone does not have.
    if ((lpMode || lpMaxCollectionCount || lpCollectDataTimeout) &&
        !(pipe->access() & FILE_WRITE_ATTRIBUTES))
      return fail_with(ERROR_ACCESS_DENIED);
    // Collection count and timeout concern remote clients only: accepted.
    if (lpMode) {
      std::error_code ec;
      pipe->end().set_read_mode(
          *lpMode & PIPE_READMODE_MESSAGE ? conduit::read_mode::message : conduit::read_mode::byte,
          ec);
      if (ec) return report(ec);
      pipe->end().set_nowait(*lpMode & PIPE_NOWAIT);
    }
    return TRUE;
  });
}

BOOL WINAPI GetNamedPipeClientProcessId(HANDLE Pipe, PULONG ClientProcessId) {
  return guarded(FALSE, [&] {
    return pipe_id(Pipe, ClientProcessId, [](const pipe_object& pipe, DWORD& error) -> ULONG {
      if (!pipe.server()) return static_cast<ULONG>(::getpid());
      std::error_code ec;
      auto pid = pipe.server()->client_process_id(ec);
      error = error_from_code(ec);
      return pid;
    });
  });
}

BOOL WINAPI GetNamedPipeServerProcessId(HANDLE Pipe, PULONG ServerProcessId) {
  return guarded(FALSE, [&] {
    return pipe_id(Pipe, ServerProcessId, [](const pipe_object& pipe, DWORD&) -> ULONG {
      return pipe.server() ? static_cast<ULONG>(::getpid()) : pipe.client()->server_process_id();
    });
  });
}

BOOL WINAPI GetNamedPipeClientSessionId(HANDLE Pipe, PULONG ClientSessionId) {
  return guarded(FALSE, [&] {
    return pipe_id(Pipe, ClientSessionId, [](const pipe_object& pipe, DWORD& error) -> ULONG {
      if (!pipe.server()) return session_of(0);
      // Asking for the pid takes a client that has arrived but not been seen yet.
      std::error_code ec;
      pipe.server()->client_process_id(ec);
      conduit::detail::wire::connect_record client;
      if (!ec && pipe.server()->client_record(client)) return client.session_id;
      error = ec ? error_from_code(ec) : ERROR_NOT_FOUND;
      return 0;
    });
  });
}

BOOL WINAPI GetNamedPipeServerSessionId(HANDLE Pipe, PULONG ServerSessionId) {
  return guarded(FALSE, [&] {
    return pipe_id(Pipe, ServerSessionId, [](const pipe_object& pipe, DWORD&) -> ULONG {
      if (pipe.server()) return session_of(0);
      return session_of(static_cast<pid_t>(pipe.client()->server_process_id()));
    });
  });
}

BOOL WINAPI ImpersonateNamedPipeClient(HANDLE hNamedPipe) {
  return guarded(FALSE, [&] {
    auto pipe = lookup_as<pipe_object>(hNamedPipe);
    if (!pipe) return FALSE;
    if (!pipe->server()) return fail_with(ERROR_NOT_SUPPORTED);  // a client end, as Wine answers
    conduit::detail::wire::connect_record record;
    std::error_code ec;
    if (!pipe->server()->impersonation_record(record, ec)) return report(ec);
    if ((ec = conduit::detail::impersonate_on_this_thread(conduit::detail::identity_of(record))))
      return report(conduit::error_from_errno(ec.value()));
    return TRUE;
  });
}

BOOL WINAPI GetNamedPipeClientComputerNameA(HANDLE Pipe, LPSTR ClientComputerName,
                                            ULONG ClientComputerNameLength) {
  return guarded(FALSE, [&] {
    return client_computer_name(Pipe, ClientComputerName, ClientComputerNameLength);
  });
}

BOOL WINAPI GetNamedPipeClientComputerNameW(HANDLE Pipe, LPWSTR ClientComputerName,
                                            ULONG ClientComputerNameLength) {
  return guarded(FALSE, [&] {
    return client_computer_name(Pipe, ClientComputerName, ClientComputerNameLength);
  });
}

}  // extern "C"
