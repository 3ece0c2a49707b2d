// CreateFile's arguments as the code that opens one kind of name sees them,
// and the hook through which CreateFile opens mailslots.
#pragma once

#include <string>
#include <string_view>

#include "conduit/win32/windows.h"

namespace conduit::win32 {

struct create_file_args {
  std::string name;  // UTF-8, as given
  DWORD access = 0;  // dwDesiredAccess
  DWORD share = 0;   // dwShareMode
  DWORD disposition = 0;
  DWORD flags = 0;         // dwFlagsAndAttributes
  DWORD handle_flags = 0;  // HANDLE_FLAG_INHERIT from lpSecurityAttributes
};

/// CreateFile on `\\host\mailslot\name`: opens the mailslot for writing and
/// returns its handle, or INVALID_HANDLE_VALUE with the error set. The
/// mailslot code defines it; until it does, a weak definition answers
/// ERROR_FILE_NOT_FOUND, as Windows does for a slot nobody has created.
HANDLE open_mailslot_file(const create_file_args& args);

/// CreateFile's dwDesiredAccess with its generic rights mapped as for a
/// file (FILE_GENERIC_READ, ...; GENERIC_ALL and MAXIMUM_ALLOWED: all).
DWORD file_rights(DWORD desired);

/// Whether two names are equal, ASCII letters compared without case.
bool ascii_iequals(std::string_view a, std::string_view b);

/// CreateFile on a path (api_disk_files.cpp): the file on disk, or
/// INVALID_HANDLE_VALUE with the error set; the last error is
/// ERROR_ALREADY_EXISTS when CREATE_ALWAYS or OPEN_ALWAYS found the file.
HANDLE open_disk_file(const create_file_args& args);

}  // namespace conduit::win32
