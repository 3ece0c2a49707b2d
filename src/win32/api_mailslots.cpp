// Win32: mailslots (CreateMailslot, GetMailslotInfo, SetMailslotInfo) and
// CreateFile on `\\.\mailslot\name` (the open_mailslot_file hook).
// ReadFile, WriteFile and CloseHandle reach mailslot_object through
// file_object like any file.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "conduit/error.hpp"
#include "conduit/mailslot.hpp"
#include "conduit/win32/windows.h"
#include "core/pipe_flags.hpp"
#include "runtime/mailslot_reader.hpp"
#include "runtime/mailslot_writer.hpp"
#include "win32/api_guard.hpp"
#include "win32/file_open.hpp"
#include "win32/handle_table.hpp"
#include "win32/mailslot_object.hpp"
#include "win32/security_conversion.hpp"
#include "win32/status.hpp"
#include "win32/text.hpp"

using namespace conduit::win32;

namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// A local name that is not a mailslot's (`\\.\pipe\x`): Windows says the
// name is invalid, where the runtime, which parses it as a path, says the
// path is not found.
bool local_non_mailslot(std::string_view name) {
  if (name.size() < 4 || (name[0] != '\\' && name[0] != '/') ||
      (name[1] != '\\' && name[1] != '/') || name[2] != '.' || (name[3] != '\\' && name[3] != '/'))
    return false;
  std::string_view type = name.substr(4);
  type = type.substr(0, type.find_first_of("\\/"));
  return !iequals(type, "mailslot");
}

// What CreateMailslot's handle is granted (Windows opens the slot with
// GENERIC_READ | SYNCHRONIZE | WRITE_DAC).
constexpr DWORD slot_access = FILE_GENERIC_READ | SYNCHRONIZE | WRITE_DAC;

HANDLE create_mailslot(const char* name, DWORD max_size, DWORD timeout,
                       LPSECURITY_ATTRIBUTES attributes) {
  if (!name) {
    SetLastError(ERROR_PATH_NOT_FOUND);
    return INVALID_HANDLE_VALUE;
  }
  if (local_non_mailslot(name)) {
    SetLastError(ERROR_INVALID_NAME);
    return INVALID_HANDLE_VALUE;
  }
  conduit::mailslot_options options;
  options.max_message_size = max_size;
  options.read_timeout = timeout == MAILSLOT_WAIT_FOREVER ? conduit::mailslot_wait_forever
                                                          : std::chrono::milliseconds(timeout);
  if (auto ec = attributes_to_sddl(attributes, options.security_descriptor)) {
    SetLastError(static_cast<DWORD>(ec.value()));
    return INVALID_HANDLE_VALUE;
  }
  std::error_code ec;
  auto reader = conduit::detail::mailslot_reader::create(name, options, ec);
  if (!reader) {
    report(ec ? ec : make_error_code(conduit::errc::invalid_handle));
    return INVALID_HANDLE_VALUE;
  }
  DWORD flags = attributes && attributes->bInheritHandle ? DWORD{HANDLE_FLAG_INHERIT} : 0;
  auto object = std::make_shared<mailslot_object>(std::move(reader), slot_access);
  HANDLE handle = insert_handle(std::move(object), flags, slot_access);
  if (!handle) return INVALID_HANDLE_VALUE;
  SetLastError(ERROR_SUCCESS);
  return handle;
}

}  // namespace

namespace conduit::win32 {

// CreateFile on a mailslot name: a writer. Windows (since Vista) opens it
// with any access and any share mode, and any number of writers at once;
// only write access writes. docs/mailslots.md has the rules.
HANDLE open_mailslot_file(const create_file_args& args) {
  bool wants_all = args.access & (GENERIC_ALL | MAXIMUM_ALLOWED);
  bool write = wants_all || (args.access & (GENERIC_WRITE | FILE_WRITE_DATA));
  std::error_code ec;
  auto writer = conduit::detail::mailslot_writer::open(args.name,
                                                       write ? conduit::detail::want_write : 0, ec);
  if (!writer) {
    report(ec ? ec : make_error_code(conduit::errc::file_not_found));
    return INVALID_HANDLE_VALUE;
  }
  DWORD access = SYNCHRONIZE | FILE_READ_ATTRIBUTES;
  if (write) access |= FILE_GENERIC_WRITE;
  auto object = std::make_shared<mailslot_object>(std::move(writer), access);
  HANDLE handle = insert_handle(std::move(object), args.handle_flags, access);
  if (!handle) return INVALID_HANDLE_VALUE;
  SetLastError(args.disposition == OPEN_ALWAYS ? ERROR_ALREADY_EXISTS : ERROR_SUCCESS);
  return handle;
}

}  // namespace conduit::win32

extern "C" {

HANDLE WINAPI CreateMailslotA(LPCSTR lpName, DWORD nMaxMessageSize, DWORD lReadTimeout,
                              LPSECURITY_ATTRIBUTES lpSecurityAttributes) {
  return guarded(INVALID_HANDLE_VALUE, [&] {
    return create_mailslot(lpName, nMaxMessageSize, lReadTimeout, lpSecurityAttributes);
  });
}

HANDLE WINAPI CreateMailslotW(LPCWSTR lpName, DWORD nMaxMessageSize, DWORD lReadTimeout,
                              LPSECURITY_ATTRIBUTES lpSecurityAttributes) {
  return guarded(INVALID_HANDLE_VALUE, [&] {
    std::optional<std::string> name;
    if (lpName && !(name = to_utf8(lpName))) {
      SetLastError(ERROR_INVALID_NAME);
      return INVALID_HANDLE_VALUE;
    }
    return create_mailslot(name ? name->c_str() : nullptr, nMaxMessageSize, lReadTimeout,
                           lpSecurityAttributes);
  });
}

BOOL WINAPI GetMailslotInfo(HANDLE hMailslot, LPDWORD lpMaxMessageSize, LPDWORD lpNextSize,
                            LPDWORD lpMessageCount, LPDWORD lpReadTimeout) {
  return guarded(FALSE, [&] {
    auto slot = lookup_as<mailslot_object>(hMailslot);
    if (!slot) return FALSE;
    return slot->info(lpMaxMessageSize, lpNextSize, lpMessageCount, lpReadTimeout);
  });
}

BOOL WINAPI SetMailslotInfo(HANDLE hMailslot, DWORD lReadTimeout) {
  return guarded(FALSE, [&] {
    auto slot = lookup_as<mailslot_object>(hMailslot);
    if (!slot) return FALSE;
    if (!slot->reader()) {
      SetLastError(ERROR_INVALID_HANDLE);
      return FALSE;
    }
    slot->reader()->set_read_timeout_ms(lReadTimeout);
    return TRUE;
  });
}

}  // extern "C"
