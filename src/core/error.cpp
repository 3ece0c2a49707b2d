// Win32 error category and the one errno-to-Win32 table.
#include "conduit/error.hpp"

#include <cerrno>
#include <string>

#include "core/error_text.hpp"

namespace conduit {
namespace {

// What a number conduit has no words for reads as.
std::string unnamed_error(int value) {
  return "Win32 error " + std::to_string(value);
}

class win32_error_category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "win32"; }

  std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
      case errc::success:
        return "The operation completed successfully.";
      case errc::invalid_function:
        return "Incorrect function.";
      case errc::file_not_found:
        return "The system cannot find the file specified.";
      case errc::path_not_found:
        return "The system cannot find the path specified.";
      case errc::too_many_open_files:
        return "The system cannot open the file.";
      case errc::access_denied:
        return "Access is denied.";
      case errc::invalid_handle:
        return "The handle is invalid.";
      case errc::not_enough_memory:
        return "Not enough memory resources are available.";
      case errc::handle_eof:
        return "Reached the end of the file.";
      case errc::not_supported:
        return "The request is not supported.";
      case errc::bad_netpath:
        return "The network path was not found.";
      case errc::file_exists:
        return "The file exists.";
      case errc::invalid_parameter:
        return "The parameter is incorrect.";
      case errc::disk_full:
        return "There is not enough space on the disk.";
      case errc::broken_pipe:
        return "The pipe has been ended.";
      case errc::sem_timeout:
        return "The semaphore timeout period has expired.";
      case errc::insufficient_buffer:
        return "The data area passed to a system call is too small.";
      case errc::invalid_name:
        return "The filename, directory name, or volume label syntax is incorrect.";
      case errc::bad_pathname:
        return "The specified path is invalid.";
      case errc::filename_exced_range:
        return "The filename or extension is too long.";
      case errc::not_found:
        return "Element not found.";
      case errc::already_exists:
        return "Cannot create a file when that file already exists.";
      case errc::bad_pipe:
        return "The pipe state is invalid.";
      case errc::pipe_busy:
        return "All pipe instances are busy.";
      case errc::no_data:
        return "The pipe is being closed.";
      case errc::pipe_not_connected:
        return "No process is on the other end of the pipe.";
      case errc::more_data:
        return "More data is available.";
      case errc::pipe_connected:
        return "There is a process on other end of the pipe.";
      case errc::pipe_listening:
        return "Waiting for a process to open the other end of the pipe.";
      case errc::operation_aborted:
        return "The I/O operation has been aborted.";
      case errc::io_incomplete:
        return "Overlapped I/O event is not in a signaled state.";
      case errc::io_pending:
        return "Overlapped I/O operation is in progress.";
      case errc::service_not_active:
        return "The conduit broker (conduitd) is not running and could not be started.";
      case errc::invalid_owner:
        return "This security ID may not be assigned as the owner of this object.";
      case errc::invalid_primary_group:
        return "This security ID may not be assigned as the primary group of an object.";
      case errc::unknown_revision:
        return "The revision level is unknown.";
      case errc::none_mapped:
        return "No mapping between account names and security IDs was done.";
      case errc::invalid_acl:
        return "The access control list (ACL) structure is invalid.";
      case errc::invalid_sid:
        return "The security ID structure is invalid.";
      case errc::invalid_security_descr:
        return "The security descriptor structure is invalid.";
      case errc::bad_impersonation_level:
        return "Either a required impersonation level was not provided, or the provided "
               "impersonation level is invalid.";
      case errc::cannot_impersonate:
        return "Unable to impersonate using a named pipe until data has been read from that pipe.";
      case errc::no_token:
        return "An attempt was made to reference a token that does not exist.";
      case errc::cant_open_anonymous:
        return "Cannot open an anonymous level security token.";
      case errc::timeout:
        return "This operation returned because the timeout period expired.";
      case errc::no_system_resources:
        return "Insufficient system resources exist to complete the requested service.";
      case errc::not_enough_quota:
        return "Not enough quota is available to process this command.";
      case errc::logon_failure:
        return "The user name or password is incorrect.";
      case errc::unexp_net_err:
        return "An unexpected network error occurred.";
    }
    return unnamed_error(value);
  }
};

}  // namespace

const std::error_category& win32_category() noexcept {
  static const win32_error_category category;
  return category;
}

std::optional<std::string> detail::win32_message_text(int value) {
  std::string text = win32_category().message(value);
  if (text == unnamed_error(value)) return std::nullopt;
  return text;
}

std::error_code error_from_errno(int errno_value) noexcept {
  switch (errno_value) {
    case 0:
      return {};
    case ENOENT:
      return errc::file_not_found;
    case ENOTDIR:
      return errc::path_not_found;
    case EACCES:
    case EPERM:
      return errc::access_denied;
    case EBADF:
      return errc::invalid_handle;
    case ENOMEM:
    case ENOBUFS:
      return errc::not_enough_memory;
    case EMFILE:
    case ENFILE:
      return errc::too_many_open_files;
    case EINVAL:
      return errc::invalid_parameter;
    // A write into a socket whose reader is gone: Windows says the pipe is
    // being closed, not that it has ended.
    case EPIPE:
      return errc::no_data;
    // A reset peer is a peer that has gone away.
    case ECONNRESET:
      return errc::broken_pipe;
    // Nothing to read on a non-blocking pipe.
    case EAGAIN:
      return errc::no_data;
    case ENOTCONN:
      return errc::pipe_not_connected;
    case ETIMEDOUT:
      return errc::sem_timeout;
    case ECANCELED:
    case EINTR:
      return errc::operation_aborted;
    case EEXIST:
      return errc::already_exists;
    // Out of blocks or inodes (a full runtime folder), or over a quota.
    case ENOSPC:
    case EDQUOT:
      return errc::disk_full;
    case ENAMETOOLONG:
      return errc::invalid_name;
    case EOPNOTSUPP:
      return errc::not_supported;
    // The broker socket exists but nobody answers.
    case ECONNREFUSED:
      return errc::service_not_active;
    default:
      return errc::invalid_function;
  }
}

}  // namespace conduit
