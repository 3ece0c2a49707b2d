// Win32: files on disk. CreateFile on a path (api_files.cpp hands paths
// here), the file pointer and size, SetEndOfFile, DeleteFile, GetFileType.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <string>

#include "conduit/win32/windows.h"
#include "core/unique_fd.hpp"
#include "win32/anonymous_pipe_object.hpp"
#include "win32/api_guard.hpp"
#include "win32/disk_file_object.hpp"
#include "win32/file_open.hpp"
#include "win32/handle_table.hpp"
#include "win32/pipe_object.hpp"
#include "win32/text.hpp"
#include "win32/windows_path.hpp"

using namespace conduit::win32;
using conduit::detail::unique_fd;

namespace {

BOOL fail_with(DWORD error) {
  SetLastError(error);
  return FALSE;
}

HANDLE fail_handle(DWORD error) {
  SetLastError(error);
  return INVALID_HANDLE_VALUE;
}

// Whether the folder `path` is in exists: a missing file in a missing
// folder is ERROR_PATH_NOT_FOUND.
DWORD missing_error(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos || slash == 0) return ERROR_FILE_NOT_FOUND;
  struct stat st {};
  std::string folder = path.substr(0, slash);
  return ::stat(folder.c_str(), &st) == 0 && S_ISDIR(st.st_mode) ? ERROR_FILE_NOT_FOUND
                                                                 : ERROR_PATH_NOT_FOUND;
}

// Linux's open errors as Windows names them.
DWORD open_error(int error, const std::string& path) {
  switch (error) {
    case ENOENT:
      return missing_error(path);
    case ENOTDIR:
      return ERROR_PATH_NOT_FOUND;
    case EEXIST:
      return ERROR_FILE_EXISTS;
    case EACCES:
    case EPERM:
    case EISDIR:
    case EROFS:
    case ETXTBSY:
      return ERROR_ACCESS_DENIED;
    case ENAMETOOLONG:
      return ERROR_FILENAME_EXCED_RANGE;
    case EMFILE:
    case ENFILE:
      return ERROR_TOO_MANY_OPEN_FILES;
    case ENOSPC:
    case EDQUOT:
      return ERROR_DISK_FULL;
    case ELOOP:
      return 1921;  // ERROR_CANT_RESOLVE_FILENAME: a symbolic link loop
    default:
      return ERROR_ACCESS_DENIED;
  }
}

}  // namespace

namespace conduit::win32 {

DWORD file_rights(DWORD desired) {
  constexpr DWORD file_generic_execute = 0x001200A0;  // FILE_GENERIC_EXECUTE
  DWORD access =
      desired & ~(GENERIC_READ | GENERIC_WRITE | GENERIC_EXECUTE | GENERIC_ALL | MAXIMUM_ALLOWED);
  if (desired & GENERIC_READ) access |= FILE_GENERIC_READ;
  if (desired & GENERIC_WRITE) access |= FILE_GENERIC_WRITE;
  if (desired & GENERIC_EXECUTE) access |= file_generic_execute;
  if (desired & (GENERIC_ALL | MAXIMUM_ALLOWED)) access |= FILE_ALL_ACCESS;
  return access;
}

HANDLE open_disk_file(const create_file_args& args) {
  auto path = linux_path(args.name);
  if (!path) return fail_handle(ERROR_PATH_NOT_FOUND);
  DWORD access = file_rights(args.access);
  bool read = access & FILE_READ_DATA;
  bool write = access & (FILE_WRITE_DATA | FILE_APPEND_DATA);
  int flags = O_CLOEXEC | O_NOCTTY | (read && write ? O_RDWR : write ? O_WRONLY : O_RDONLY);
  // A handle for neither reading nor writing (attributes, deletion) needs
  // no permission on the data: O_PATH.
  if (!read && !write) flags = O_CLOEXEC | O_PATH;
  if (args.flags & FILE_FLAG_WRITE_THROUGH) flags |= O_DSYNC;
  if (args.flags & FILE_FLAG_OPEN_REPARSE_POINT) flags |= O_NOFOLLOW;
  mode_t mode = (args.flags & FILE_ATTRIBUTE_READONLY) ? 0444 : 0666;  // less the umask

  bool existed = false;
  unique_fd fd;
  auto open_with = [&](int extra) {
    fd.reset(::open(path->c_str(), flags | extra, mode));
    return static_cast<bool>(fd);
  };
  switch (args.disposition) {
    case CREATE_NEW:
      open_with(O_CREAT | O_EXCL);
      break;
    case CREATE_ALWAYS:
    case OPEN_ALWAYS:
      // Created if it can be; otherwise it existed (and CREATE_ALWAYS empties it).
      if (!open_with(O_CREAT | O_EXCL) && errno == EEXIST) {
        existed = true;
        open_with(args.disposition == CREATE_ALWAYS && !(flags & O_PATH) ? O_TRUNC : 0);
      }
      break;
    case OPEN_EXISTING:
      open_with(0);
      break;
    case TRUNCATE_EXISTING:
      if (!write) return fail_handle(ERROR_INVALID_PARAMETER);
      open_with(O_TRUNC);
      break;
    default:
      return fail_handle(ERROR_INVALID_PARAMETER);
  }
  if (!fd) return fail_handle(open_error(errno, *path));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return fail_handle(ERROR_ACCESS_DENIED);
  // A folder is a file only with FILE_FLAG_BACKUP_SEMANTICS, and never for data.
  if (S_ISDIR(st.st_mode) && (!(args.flags & FILE_FLAG_BACKUP_SEMANTICS) || read || write))
    return fail_handle(ERROR_ACCESS_DENIED);
  if (args.flags & FILE_FLAG_SEQUENTIAL_SCAN)
    ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  if (args.flags & FILE_FLAG_RANDOM_ACCESS) ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_RANDOM);
  if (args.flags & FILE_FLAG_DELETE_ON_CLOSE) access |= DELETE;
  auto file = std::make_shared<disk_file_object>(std::move(fd), access,
                                                 (args.flags & FILE_FLAG_OVERLAPPED) != 0, *path,
                                                 (args.flags & FILE_FLAG_DELETE_ON_CLOSE) != 0);
  if (!file->share().enter(st.st_dev, st.st_ino, access, args.share)) {
    // Nothing of it may remain: a file this call created goes again.
    if (!existed && args.disposition != OPEN_EXISTING && args.disposition != TRUNCATE_EXISTING)
      ::unlink(path->c_str());
    return fail_handle(ERROR_SHARING_VIOLATION);
  }
  HANDLE handle = insert_handle(std::move(file), args.handle_flags, access);
  if (!handle) return INVALID_HANDLE_VALUE;
  bool says_existed =
      existed && (args.disposition == CREATE_ALWAYS || args.disposition == OPEN_ALWAYS);
  SetLastError(says_existed ? ERROR_ALREADY_EXISTS : ERROR_SUCCESS);
  return handle;
}

}  // namespace conduit::win32

namespace {

// The Linux descriptor behind a file handle on disk or a standard handle;
// -1 (ERROR_INVALID_HANDLE set) for anything else.
int file_descriptor(HANDLE handle) {
  auto object = lookup_handle(handle).object;
  if (auto disk = std::dynamic_pointer_cast<disk_file_object>(object)) return disk->fd();
  if (auto anonymous = std::dynamic_pointer_cast<anonymous_pipe_object>(object))
    return anonymous->fd();
  SetLastError(ERROR_INVALID_HANDLE);
  return -1;
}

// A seek, with Windows's errors.
bool seek(HANDLE handle, LONGLONG distance, DWORD method, LONGLONG& position) {
  int fd = file_descriptor(handle);
  if (fd < 0) return false;
  int whence = method == FILE_BEGIN ? SEEK_SET : method == FILE_CURRENT ? SEEK_CUR : SEEK_END;
  if (method > FILE_END) {
    SetLastError(ERROR_INVALID_PARAMETER);
    return false;
  }
  off_t result = ::lseek(fd, static_cast<off_t>(distance), whence);
  if (result < 0) {
    SetLastError(errno == EINVAL   ? ERROR_NEGATIVE_SEEK
                 : errno == ESPIPE ? ERROR_INVALID_FUNCTION  // a pipe or terminal
                                   : ERROR_INVALID_PARAMETER);
    return false;
  }
  position = result;
  return true;
}

bool file_size(HANDLE handle, LONGLONG& size) {
  int fd = file_descriptor(handle);
  if (fd < 0) return false;
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    SetLastError(ERROR_INVALID_HANDLE);
    return false;
  }
  size = S_ISREG(st.st_mode) ? st.st_size : 0;
  return true;
}

BOOL delete_file(const char* name) {
  if (!name) return fail_with(ERROR_PATH_NOT_FOUND);
  auto path = linux_path(name);
  if (!path) return fail_with(ERROR_PATH_NOT_FOUND);
  struct stat st {};
  if (::lstat(path->c_str(), &st) != 0) return fail_with(open_error(errno, *path));
  if (S_ISDIR(st.st_mode)) return fail_with(ERROR_ACCESS_DENIED);
  if (!may_delete(st.st_dev, st.st_ino)) return fail_with(ERROR_SHARING_VIOLATION);
  if (::unlink(path->c_str()) != 0) return fail_with(open_error(errno, *path));
  return TRUE;
}

}  // namespace

extern "C" {

DWORD WINAPI GetFileType(HANDLE hFile) {
  auto object = lookup_handle(hFile).object;
  if (std::dynamic_pointer_cast<pipe_object>(object)) return FILE_TYPE_PIPE;
  int fd = -1;
  if (auto disk = std::dynamic_pointer_cast<disk_file_object>(object)) fd = disk->fd();
  if (auto anonymous = std::dynamic_pointer_cast<anonymous_pipe_object>(object))
    fd = anonymous->fd();
  struct stat st {};
  if (fd < 0 || ::fstat(fd, &st) != 0) {
    SetLastError(ERROR_INVALID_HANDLE);
    return FILE_TYPE_UNKNOWN;
  }
  SetLastError(ERROR_SUCCESS);
  if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)) return FILE_TYPE_PIPE;
  if (S_ISCHR(st.st_mode)) return FILE_TYPE_CHAR;
  return FILE_TYPE_DISK;
}

DWORD WINAPI GetFileSize(HANDLE hFile, LPDWORD lpFileSizeHigh) {
  LONGLONG size = 0;
  if (!file_size(hFile, size)) return INVALID_FILE_SIZE;
  if (lpFileSizeHigh) *lpFileSizeHigh = static_cast<DWORD>(static_cast<ULONGLONG>(size) >> 32);
  SetLastError(ERROR_SUCCESS);  // INVALID_FILE_SIZE can be a size's low half
  return static_cast<DWORD>(size);
}

BOOL WINAPI GetFileSizeEx(HANDLE hFile, PLARGE_INTEGER lpFileSize) {
  LONGLONG size = 0;
  if (!lpFileSize) return fail_with(ERROR_NOACCESS);
  if (!file_size(hFile, size)) return FALSE;
  lpFileSize->QuadPart = size;
  return TRUE;
}

DWORD WINAPI SetFilePointer(HANDLE hFile, LONG lDistanceToMove, PLONG lpDistanceToMoveHigh,
                            DWORD dwMoveMethod) {
  LONGLONG distance =
      lpDistanceToMoveHigh
          ? static_cast<LONGLONG>(
                (static_cast<ULONGLONG>(static_cast<DWORD>(*lpDistanceToMoveHigh)) << 32) |
                static_cast<DWORD>(lDistanceToMove))
          : lDistanceToMove;
  LONGLONG position = 0;
  if (!seek(hFile, distance, dwMoveMethod, position)) return INVALID_SET_FILE_POINTER;
  if (lpDistanceToMoveHigh) *lpDistanceToMoveHigh = static_cast<LONG>(position >> 32);
  SetLastError(ERROR_SUCCESS);
  return static_cast<DWORD>(position);
}

BOOL WINAPI SetFilePointerEx(HANDLE hFile, LARGE_INTEGER liDistanceToMove,
                             PLARGE_INTEGER lpNewFilePointer, DWORD dwMoveMethod) {
  LONGLONG position = 0;
  if (!seek(hFile, liDistanceToMove.QuadPart, dwMoveMethod, position)) return FALSE;
  if (lpNewFilePointer) lpNewFilePointer->QuadPart = position;
  return TRUE;
}

BOOL WINAPI SetEndOfFile(HANDLE hFile) {
  auto disk = lookup_as<disk_file_object>(hFile);
  if (!disk) return FALSE;
  if (!(disk->access() & (FILE_WRITE_DATA | FILE_APPEND_DATA)))
    return fail_with(ERROR_ACCESS_DENIED);
  off_t here = ::lseek(disk->fd(), 0, SEEK_CUR);
  if (here < 0 || ::ftruncate(disk->fd(), here) != 0)
    return fail_with(errno == EFBIG ? ERROR_DISK_FULL : ERROR_ACCESS_DENIED);
  return TRUE;
}

BOOL WINAPI DeleteFileA(LPCSTR lpFileName) {
  return guarded(FALSE, [&] { return delete_file(lpFileName); });
}

BOOL WINAPI DeleteFileW(LPCWSTR lpFileName) {
  return guarded(FALSE, [&]() -> BOOL {
    if (!lpFileName) return fail_with(ERROR_PATH_NOT_FOUND);
    auto name = to_utf8(lpFileName);
    if (!name) return fail_with(ERROR_INVALID_NAME);
    return delete_file(name->c_str());
  });
}

}  // extern "C"
