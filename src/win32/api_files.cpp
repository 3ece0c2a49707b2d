// Win32: CreateFile on pipe and mailslot names, and the calls every file
// handle answers (ReadFile, WriteFile, ReadFileEx, WriteFileEx,
// FlushFileBuffers). Paths on disk go to api_disk_files.cpp.
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "conduit/error.hpp"
#include "conduit/win32/windows.h"
#include "core/object_name.hpp"
#include "core/pipe_flags.hpp"
#include "runtime/client_end.hpp"
#include "win32/api_guard.hpp"
#include "win32/file_open.hpp"
#include "win32/handle_table.hpp"
#include "win32/pipe_object.hpp"
#include "win32/status.hpp"
#include "win32/text.hpp"

using namespace conduit::win32;

namespace conduit::win32 {

__attribute__((weak)) HANDLE open_mailslot_file(const create_file_args&) {
  SetLastError(ERROR_FILE_NOT_FOUND);
  return INVALID_HANDLE_VALUE;
}

}  // namespace conduit::win32

namespace {

BOOL fail_with(DWORD error) {
  SetLastError(error);
  return FALSE;
}

enum class name_kind { pipe, mailslot, device, remote, path };

// What a name is: `\\host\pipe\x`, `\\host\mailslot\x`, another device
// (`\\.\x`), a share on another machine, or a path on disk.
name_kind classify(std::string name) {
  for (char& c : name)
    if (c == '/') c = '\\';
  if (name.size() < 2 || name[0] != '\\' || name[1] != '\\') return name_kind::path;
  std::string_view rest = std::string_view(name).substr(2);
  std::size_t host_end = rest.find('\\');
  std::string_view host = rest.substr(0, host_end);
  std::string_view type =
      host_end == std::string_view::npos ? std::string_view() : rest.substr(host_end + 1);
  type = type.substr(0, type.find('\\'));
  if (ascii_iequals(type, "pipe")) return name_kind::pipe;
  if (ascii_iequals(type, "mailslot")) return name_kind::mailslot;
  // \\?\C:\x is the path C:\x, its parsing turned off.
  if (host == "?" && type.size() == 2 && type[1] == ':') return name_kind::path;
  return host == "." || host == "?" ? name_kind::device : name_kind::remote;
}

// The rights a client handle is granted: generic rights mapped as for a
// file, with the data rights the pipe refused taken away.
DWORD granted_access(DWORD desired, bool read, bool write) {
  DWORD access = file_rights(desired);
  // Every pipe handle may wait and ask what it is.
  access |= SYNCHRONIZE | FILE_READ_ATTRIBUTES;
  if (!read) access &= ~FILE_READ_DATA;
  if (!write) access &= ~FILE_WRITE_DATA;
  return access;
}

HANDLE open_pipe(const create_file_args& args) {
  bool wants_all = args.access & (GENERIC_ALL | MAXIMUM_ALLOWED);
  bool read = wants_all || (args.access & (GENERIC_READ | FILE_READ_DATA));
  bool write = wants_all || (args.access & (GENERIC_WRITE | FILE_WRITE_DATA));
  DWORD sqos = args.flags & SECURITY_SQOS_PRESENT ? args.flags & SECURITY_VALID_SQOS_FLAGS : 0;
  // The broker checks the mask as CreateFile passed it; MAXIMUM_ALLOWED is
  // tried as the directions it may stand for, one after the other.
  auto open = [&](bool r, bool w, std::error_code& ec) {
    DWORD mask = args.access;
    if (mask & MAXIMUM_ALLOWED)
      mask = (mask & ~(MAXIMUM_ALLOWED | GENERIC_ALL | FILE_READ_DATA | FILE_WRITE_DATA |
                       GENERIC_READ | GENERIC_WRITE)) |
             (r ? GENERIC_READ : 0) | (w ? GENERIC_WRITE : 0);
    return conduit::detail::client_end::open(args.name, mask, sqos, ec);
  };
  std::error_code ec;
  auto client = open(read, write, ec);
  if (ec == conduit::errc::access_denied && (args.access & MAXIMUM_ALLOWED)) {
    // The most the pipe allows: one direction of it.
    read = false;
    write = true;
    client = open(read, write, ec);
    if (ec == conduit::errc::access_denied) {
      std::swap(read, write);
      client = open(read, write, ec);
    }
  }
  if (!client) {
    report(ec);
    return INVALID_HANDLE_VALUE;
  }
  DWORD access = granted_access(args.access, read, write);
  auto object =
      std::make_shared<pipe_object>(std::move(client), args.flags & FILE_FLAG_OVERLAPPED, access);
  HANDLE handle = insert_handle(std::move(object), args.handle_flags, access);
  return handle ? handle : INVALID_HANDLE_VALUE;
}

HANDLE create_file(const char* name, DWORD access, DWORD share, LPSECURITY_ATTRIBUTES attributes,
                   DWORD disposition, DWORD flags) {
  if (!name || !*name) {
    SetLastError(ERROR_PATH_NOT_FOUND);
    return INVALID_HANDLE_VALUE;
  }
  if (disposition < CREATE_NEW || disposition > TRUNCATE_EXISTING) {
    SetLastError(ERROR_INVALID_PARAMETER);
    return INVALID_HANDLE_VALUE;
  }
  create_file_args args{
      name,  access,
      share, disposition,
      flags, attributes && attributes->bInheritHandle ? DWORD{HANDLE_FLAG_INHERIT} : 0};
  HANDLE handle = INVALID_HANDLE_VALUE;
  switch (classify(name)) {
    case name_kind::pipe:
      handle = open_pipe(args);
      break;
    case name_kind::mailslot:
      return open_mailslot_file(args);
    case name_kind::device:
      if (ascii_iequals(name, "\\\\.\\NUL")) return open_disk_file(args);
      SetLastError(ERROR_FILE_NOT_FOUND);
      return INVALID_HANDLE_VALUE;
    case name_kind::remote:
      SetLastError(ERROR_BAD_NETPATH);
      return INVALID_HANDLE_VALUE;
    case name_kind::path:
      return open_disk_file(args);
  }
  // A pipe opens whatever the disposition; "open always" says it existed.
  if (handle != INVALID_HANDLE_VALUE)
    SetLastError(disposition == OPEN_ALWAYS ? ERROR_ALREADY_EXISTS : ERROR_SUCCESS);
  return handle;
}

enum class io_direction { read, write };

// Whether a handle's access lets it read or write data. A handle made with
// less than its object allows (DuplicateHandle with GENERIC_READ only) is
// held to what it was granted; generic rights count as their file rights.
bool access_allows(DWORD access, io_direction direction) {
  if (access == 0) return true;  // a handle that records no access
  DWORD wanted = direction == io_direction::read ? FILE_READ_DATA | GENERIC_READ
                                                 : FILE_WRITE_DATA | GENERIC_WRITE;
  return (access & (wanted | GENERIC_ALL | MAXIMUM_ALLOWED)) != 0;
}

// The file behind a handle for ReadFile/WriteFile, or null with the error
// set: ERROR_INVALID_HANDLE, ERROR_ACCESS_DENIED (the handle's own rights),
// ERROR_NOACCESS (no buffer).
std::shared_ptr<file_object> file_for_io(HANDLE handle, const void* buffer, DWORD size,
                                         io_direction direction) {
  handle_entry entry = lookup_handle(handle);
  file_object* file = entry.object ? entry.object->as_file() : nullptr;
  if (!file) {
    SetLastError(ERROR_INVALID_HANDLE);
    return nullptr;
  }
  if (!access_allows(entry.access, direction)) {
    SetLastError(ERROR_ACCESS_DENIED);
    return nullptr;
  }
  if (!buffer && size) {
    SetLastError(ERROR_NOACCESS);
    return nullptr;
  }
  return {std::move(entry.object), file};
}

}  // namespace

extern "C" {

HANDLE WINAPI CreateFileA(LPCSTR lpFileName, DWORD dwDesiredAccess, DWORD dwShareMode,
                          LPSECURITY_ATTRIBUTES lpSecurityAttributes, DWORD dwCreationDisposition,
                          DWORD dwFlagsAndAttributes, HANDLE) {
  return guarded(INVALID_HANDLE_VALUE, [&] {
    return create_file(lpFileName, dwDesiredAccess, dwShareMode, lpSecurityAttributes,
                       dwCreationDisposition, dwFlagsAndAttributes);
  });
}

HANDLE WINAPI CreateFileW(LPCWSTR lpFileName, DWORD dwDesiredAccess, DWORD dwShareMode,
                          LPSECURITY_ATTRIBUTES lpSecurityAttributes, DWORD dwCreationDisposition,
                          DWORD dwFlagsAndAttributes, HANDLE) {
  return guarded(INVALID_HANDLE_VALUE, [&] {
    std::optional<std::string> name;
    if (lpFileName && !(name = to_utf8(lpFileName))) {
      SetLastError(ERROR_INVALID_NAME);
      return INVALID_HANDLE_VALUE;
    }
    return create_file(name ? name->c_str() : nullptr, dwDesiredAccess, dwShareMode,
                       lpSecurityAttributes, dwCreationDisposition, dwFlagsAndAttributes);
  });
}

BOOL WINAPI ReadFile(HANDLE hFile, LPVOID lpBuffer, DWORD nNumberOfBytesToRead,
                     LPDWORD lpNumberOfBytesRead, LPOVERLAPPED lpOverlapped) {
  return guarded(FALSE, [&] {
    if (lpNumberOfBytesRead) *lpNumberOfBytesRead = 0;
    auto file = file_for_io(hFile, lpBuffer, nNumberOfBytesToRead, io_direction::read);
    if (!file) return FALSE;
    return file->read(std::span(static_cast<std::byte*>(lpBuffer), nNumberOfBytesToRead),
                      {lpOverlapped, lpNumberOfBytesRead, nullptr, io_call::transfer});
  });
}

BOOL WINAPI WriteFile(HANDLE hFile, LPCVOID lpBuffer, DWORD nNumberOfBytesToWrite,
                      LPDWORD lpNumberOfBytesWritten, LPOVERLAPPED lpOverlapped) {
  return guarded(FALSE, [&] {
    if (lpNumberOfBytesWritten) *lpNumberOfBytesWritten = 0;
    auto file = file_for_io(hFile, lpBuffer, nNumberOfBytesToWrite, io_direction::write);
    if (!file) return FALSE;
    return file->write(std::span(static_cast<const std::byte*>(lpBuffer), nNumberOfBytesToWrite),
                       {lpOverlapped, lpNumberOfBytesWritten, nullptr, io_call::transfer});
  });
}

BOOL WINAPI ReadFileEx(HANDLE hFile, LPVOID lpBuffer, DWORD nNumberOfBytesToRead,
                       LPOVERLAPPED lpOverlapped,
                       LPOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine) {
  return guarded(FALSE, [&] {
    if (!lpOverlapped) return fail_with(ERROR_INVALID_PARAMETER);
    auto file = file_for_io(hFile, lpBuffer, nNumberOfBytesToRead, io_direction::read);
    if (!file) return FALSE;
    // A file tied to a completion port reports there, not by routine.
    if (file->has_port()) return fail_with(ERROR_INVALID_PARAMETER);
    return file->read(std::span(static_cast<std::byte*>(lpBuffer), nNumberOfBytesToRead),
                      {lpOverlapped, nullptr, lpCompletionRoutine, io_call::routine});
  });
}

BOOL WINAPI WriteFileEx(HANDLE hFile, LPCVOID lpBuffer, DWORD nNumberOfBytesToWrite,
                        LPOVERLAPPED lpOverlapped,
                        LPOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine) {
  return guarded(FALSE, [&] {
    if (!lpOverlapped) return fail_with(ERROR_INVALID_PARAMETER);
    auto file = file_for_io(hFile, lpBuffer, nNumberOfBytesToWrite, io_direction::write);
    if (!file) return FALSE;
    if (file->has_port()) return fail_with(ERROR_INVALID_PARAMETER);
    return file->write(std::span(static_cast<const std::byte*>(lpBuffer), nNumberOfBytesToWrite),
                       {lpOverlapped, nullptr, lpCompletionRoutine, io_call::routine});
  });
}

BOOL WINAPI FlushFileBuffers(HANDLE hFile) {
  return guarded(FALSE, [&] {
    auto file = lookup_as<file_object>(hFile);
    if (!file) return FALSE;
    std::error_code ec;
    file->flush(ec);
    return report(ec);
  });
}

}  // extern "C"
