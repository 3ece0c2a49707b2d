#include "win32/status.hpp"

#include "conduit/error.hpp"

namespace conduit::win32 {

DWORD error_from_code(const std::error_code& ec) {
  if (!ec) return ERROR_SUCCESS;
  // Errors from outside the Win32 category (an errno) are mapped once more.
  return ec.category() == conduit::win32_category()
             ? static_cast<DWORD>(ec.value())
             : static_cast<DWORD>(conduit::error_from_errno(ec.value()).value());
}

BOOL report(const std::error_code& ec) {
  if (!ec) return TRUE;
  SetLastError(error_from_code(ec));
  return FALSE;
}

BOOL fail_bool(DWORD error) {
  SetLastError(error);
  return FALSE;
}

namespace {
struct pair {
  DWORD error;
  NTSTATUS status;
};
// The pairs the pipe and mailslot paths produce, both ways.
constexpr pair table[] = {
    {ERROR_SUCCESS, STATUS_SUCCESS},
    {ERROR_MORE_DATA, STATUS_BUFFER_OVERFLOW},
    {ERROR_OPERATION_ABORTED, STATUS_CANCELLED},
    {ERROR_BROKEN_PIPE, STATUS_PIPE_BROKEN},
    {ERROR_PIPE_NOT_CONNECTED, STATUS_PIPE_DISCONNECTED},
    {ERROR_NO_DATA, STATUS_PIPE_CLOSING},
    {ERROR_PIPE_CONNECTED, STATUS_PIPE_CONNECTED},
    {ERROR_PIPE_LISTENING, STATUS_PIPE_LISTENING},
    {ERROR_PIPE_BUSY, STATUS_PIPE_BUSY},
    {ERROR_INVALID_HANDLE, STATUS_INVALID_HANDLE},
    {ERROR_INVALID_PARAMETER, STATUS_INVALID_PARAMETER},
    {ERROR_ACCESS_DENIED, STATUS_ACCESS_DENIED},
    {ERROR_HANDLE_EOF, STATUS_END_OF_FILE},
    {ERROR_SEM_TIMEOUT, STATUS_IO_TIMEOUT},
    {ERROR_INVALID_FUNCTION, STATUS_INVALID_DEVICE_REQUEST},
    {ERROR_IO_PENDING, static_cast<NTSTATUS>(STATUS_PENDING)},
};
}  // namespace

NTSTATUS status_from_error(DWORD win32_error) {
  for (const auto& p : table)
    if (p.error == win32_error) return p.status;
  // Any other error keeps its number in an NTSTATUS of the Win32 facility
  // (0xC007xxxx), which error_from_status turns back.
  return static_cast<NTSTATUS>(0xC0070000u | (win32_error & 0xFFFF));
}

DWORD error_from_status(NTSTATUS status) {
  for (const auto& p : table)
    if (p.status == status) return p.error;
  auto bits = static_cast<DWORD>(status);
  if ((bits & 0xFFFF0000u) == 0xC0070000u) return bits & 0xFFFF;
  return ERROR_INVALID_FUNCTION;
}

}  // namespace conduit::win32
