// conduit/error.hpp: Win32 error codes as std::error_code.
//
// Every fallible conduit call reports failure as a Win32 error number (the
// same value GetLastError() returns on Windows) in `conduit::win32_category()`.
// Each call comes in two overloads, as in std::filesystem and Asio: one that
// throws `std::system_error`, and one that takes `std::error_code&` and never
// throws.
//
// Example:
//
//   std::error_code ec;
//   auto client = conduit::pipe_client::open(R"(\\.\pipe\echo)", conduit::pipe_access::duplex, ec);
//   if (ec == conduit::errc::pipe_busy) { /* every instance is in use */ }
#pragma once

#include <system_error>

namespace conduit {

/// Win32 error numbers that conduit reports. The values are the Windows SDK's.
enum class errc : int {
  success = 0,
  invalid_function = 1,            // ERROR_INVALID_FUNCTION
  file_not_found = 2,              // ERROR_FILE_NOT_FOUND: no pipe or slot of that name
  path_not_found = 3,              // ERROR_PATH_NOT_FOUND
  too_many_open_files = 4,         // ERROR_TOO_MANY_OPEN_FILES
  access_denied = 5,               // ERROR_ACCESS_DENIED
  invalid_handle = 6,              // ERROR_INVALID_HANDLE
  not_enough_memory = 8,           // ERROR_NOT_ENOUGH_MEMORY
  handle_eof = 38,                 // ERROR_HANDLE_EOF: writing to a mailslot whose reader closed it
  bad_netpath = 53,                // ERROR_BAD_NETPATH: a remote host conduit cannot reach
  file_exists = 80,                // ERROR_FILE_EXISTS
  disk_full = 112,                 // ERROR_DISK_FULL: no space (or inodes) left for a file
  invalid_parameter = 87,          // ERROR_INVALID_PARAMETER
  broken_pipe = 109,               // ERROR_BROKEN_PIPE: the other end was closed
  sem_timeout = 121,               // ERROR_SEM_TIMEOUT: a wait ran out
  insufficient_buffer = 122,       // ERROR_INSUFFICIENT_BUFFER
  invalid_name = 123,              // ERROR_INVALID_NAME
  bad_pathname = 161,              // ERROR_BAD_PATHNAME
  filename_exced_range = 206,      // ERROR_FILENAME_EXCED_RANGE: a name over 256 characters
  already_exists = 183,            // ERROR_ALREADY_EXISTS
  bad_pipe = 230,                  // ERROR_BAD_PIPE
  pipe_busy = 231,                 // ERROR_PIPE_BUSY: no free instance
  no_data = 232,                   // ERROR_NO_DATA: the pipe is being closed
  pipe_not_connected = 233,        // ERROR_PIPE_NOT_CONNECTED
  more_data = 234,                 // ERROR_MORE_DATA
  pipe_connected = 535,            // ERROR_PIPE_CONNECTED
  pipe_listening = 536,            // ERROR_PIPE_LISTENING
  operation_aborted = 995,         // ERROR_OPERATION_ABORTED
  io_incomplete = 996,             // ERROR_IO_INCOMPLETE
  io_pending = 997,                // ERROR_IO_PENDING
  service_not_active = 1062,       // ERROR_SERVICE_NOT_ACTIVE: the broker cannot be reached
  unknown_revision = 1305,         // ERROR_UNKNOWN_REVISION: an SDDL or descriptor revision
  none_mapped = 1332,              // ERROR_NONE_MAPPED: no account has that name or SID
  invalid_acl = 1336,              // ERROR_INVALID_ACL: a malformed ACL or ACE
  invalid_sid = 1337,              // ERROR_INVALID_SID: a malformed SID
  invalid_security_descr = 1338,   // ERROR_INVALID_SECURITY_DESCR: a malformed descriptor
  not_supported = 50,              // ERROR_NOT_SUPPORTED
  invalid_owner = 1307,            // ERROR_INVALID_OWNER: one may only make oneself the owner
  invalid_primary_group = 1308,    // ERROR_INVALID_PRIMARY_GROUP
  bad_impersonation_level = 1346,  // ERROR_BAD_IMPERSONATION_LEVEL
  cannot_impersonate = 1368,       // ERROR_CANNOT_IMPERSONATE: nothing read from the client yet
  no_token = 1008,                 // ERROR_NO_TOKEN: the thread impersonates no one
  cant_open_anonymous = 1347,      // ERROR_CANT_OPEN_ANONYMOUS: the client is anonymous
  not_found = 1168,                // ERROR_NOT_FOUND: e.g. the client of an instance with none
  no_system_resources = 1450,      // ERROR_NO_SYSTEM_RESOURCES: the broker is full
  timeout = 1460,                  // ERROR_TIMEOUT
  not_enough_quota = 1816,         // ERROR_NOT_ENOUGH_QUOTA: a user used its share of the broker
  logon_failure = 1326,            // ERROR_LOGON_FAILURE: a remote host refused the credentials
  unexp_net_err = 59,              // ERROR_UNEXP_NET_ERR: a remote host answered what SMB is not
};

/// The category of Win32 error numbers. Its name is "win32"; message() gives
/// the Windows text for the numbers conduit uses.
[[nodiscard]] const std::error_category& win32_category() noexcept;

/// Makes an error_code in win32_category(); lets `ec == conduit::errc::x` work.
[[nodiscard]] inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), win32_category()};
}

/// Maps a Linux errno value to the Win32 error a Windows program would see for
/// the same failure (EAGAIN, for example, is ERROR_NO_DATA on a pipe).
[[nodiscard]] std::error_code error_from_errno(int errno_value) noexcept;

}  // namespace conduit

template <>
struct std::is_error_code_enum<conduit::errc> : std::true_type {};
