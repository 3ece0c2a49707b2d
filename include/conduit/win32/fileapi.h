/* conduit/win32/fileapi.h: files on disk, as fileapi.h declares them:
 * CreateFile on a path (in windows.h), ReadFile and WriteFile on it (with
 * OVERLAPPED offsets too), the file pointer and size, DeleteFile and
 * GetFileType.
 *
 * Included by <windows.h>; not meant to be included alone.
 *
 *   HANDLE f = CreateFileA("C:\\data\\in.txt", GENERIC_READ, FILE_SHARE_READ, NULL,
 *                          OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);  // /data/in.txt
 *   char buf[4096];
 *   DWORD n;
 *   while (ReadFile(f, buf, sizeof buf, &n, NULL) && n > 0) ...
 *   CloseHandle(f);
 *
 * Paths: `\` and `/` both separate; a drive letter names
 * $CONDUIT_DRIVE_<LETTER>, else $CONDUIT_DRIVE_ROOT, else `/` (so
 * C:\data\in.txt is /data/in.txt); `\x` is /x; relative paths are from the
 * working folder; NUL is /dev/null. Names keep their case (Linux's are
 * case-sensitive).
 *
 * CreateFile's dispositions, errors and last errors are Windows's:
 * CREATE_NEW on an existing file fails with ERROR_FILE_EXISTS;
 * CREATE_ALWAYS and OPEN_ALWAYS on one succeed with last error
 * ERROR_ALREADY_EXISTS; a missing file is ERROR_FILE_NOT_FOUND, a missing
 * folder ERROR_PATH_NOT_FOUND; a folder, or a file Linux refuses,
 * ERROR_ACCESS_DENIED. Share modes hold between the handles of one process
 * (ERROR_SHARING_VIOLATION); Linux does not hold other processes to them.
 * FILE_FLAG_DELETE_ON_CLOSE removes the file when its last handle closes;
 * FILE_FLAG_WRITE_THROUGH writes synchronously (O_DSYNC); other
 * FILE_ATTRIBUTE_* and FILE_FLAG_* values are accepted (FILE_ATTRIBUTE_READONLY
 * creates the file read-only). docs/win32-system.md has the details. */
#ifndef CONDUIT_WIN32_FILEAPI_H
#define CONDUIT_WIN32_FILEAPI_H

#ifdef __cplusplus
extern "C" {
#endif

#define ERROR_NEGATIVE_SEEK 131L
#define ERROR_DISK_FULL 112L
#define ERROR_DIRECTORY 267L

#define FILE_TYPE_UNKNOWN 0x0000
#define FILE_TYPE_DISK 0x0001
#define FILE_TYPE_CHAR 0x0002
#define FILE_TYPE_PIPE 0x0003
#define FILE_TYPE_REMOTE 0x8000

#define FILE_BEGIN 0
#define FILE_CURRENT 1
#define FILE_END 2
#define INVALID_SET_FILE_POINTER ((DWORD)-1)
#define INVALID_FILE_SIZE ((DWORD)0xFFFFFFFF)

#define FILE_ATTRIBUTE_READONLY 0x00000001
#define FILE_ATTRIBUTE_HIDDEN 0x00000002
#define FILE_ATTRIBUTE_SYSTEM 0x00000004
#define FILE_ATTRIBUTE_DIRECTORY 0x00000010
#define FILE_ATTRIBUTE_ARCHIVE 0x00000020
#define FILE_ATTRIBUTE_TEMPORARY 0x00000100
#define FILE_ATTRIBUTE_OFFLINE 0x00001000
#define FILE_ATTRIBUTE_NOT_CONTENT_INDEXED 0x00002000
#define FILE_ATTRIBUTE_ENCRYPTED 0x00004000
#define FILE_FLAG_RANDOM_ACCESS 0x10000000
#define FILE_FLAG_SEQUENTIAL_SCAN 0x08000000
#define FILE_FLAG_DELETE_ON_CLOSE 0x04000000
#define FILE_FLAG_BACKUP_SEMANTICS 0x02000000
#define FILE_FLAG_POSIX_SEMANTICS 0x01000000
#define FILE_FLAG_SESSION_AWARE 0x00800000
#define FILE_FLAG_OPEN_REPARSE_POINT 0x00200000
#define FILE_FLAG_OPEN_NO_RECALL 0x00100000

/* FILE_TYPE_DISK for a file on disk, FILE_TYPE_PIPE for a pipe end (named
 * or anonymous), FILE_TYPE_CHAR for a terminal or device (/dev/null);
 * FILE_TYPE_UNKNOWN with ERROR_INVALID_HANDLE for a handle that is not a file. */
DWORD WINAPI GetFileType(HANDLE hFile);
/* The low 32 bits of the size (the high ones in *lpFileSizeHigh);
 * INVALID_FILE_SIZE with the error set on failure. */
DWORD WINAPI GetFileSize(HANDLE hFile, LPDWORD lpFileSizeHigh);
BOOL WINAPI GetFileSizeEx(HANDLE hFile, PLARGE_INTEGER lpFileSize);
/* Moves the file pointer: lDistanceToMove alone is a signed 32-bit
 * distance; with lpDistanceToMoveHigh, the two make a signed 64-bit one
 * (and *lpDistanceToMoveHigh gets the new position's high half). Returns
 * the new position's low half; INVALID_SET_FILE_POINTER with
 * ERROR_NEGATIVE_SEEK before the start, ERROR_INVALID_PARAMETER for an
 * unknown method (test GetLastError: the value is also a valid position). */
DWORD WINAPI SetFilePointer(HANDLE hFile, LONG lDistanceToMove, PLONG lpDistanceToMoveHigh,
                            DWORD dwMoveMethod);
BOOL WINAPI SetFilePointerEx(HANDLE hFile, LARGE_INTEGER liDistanceToMove,
                             PLARGE_INTEGER lpNewFilePointer, DWORD dwMoveMethod);
/* Ends (or extends, with zeros) the file at the file pointer. */
BOOL WINAPI SetEndOfFile(HANDLE hFile);
/* ERROR_FILE_NOT_FOUND, ERROR_PATH_NOT_FOUND, ERROR_ACCESS_DENIED (a
 * folder, or no permission), ERROR_SHARING_VIOLATION (open here without
 * FILE_SHARE_DELETE). */
BOOL WINAPI DeleteFileA(LPCSTR lpFileName);
BOOL WINAPI DeleteFileW(LPCWSTR lpFileName);

#ifdef UNICODE
#define DeleteFile DeleteFileW
#else
#define DeleteFile DeleteFileA
#endif

#ifdef __cplusplus
}
#endif

#endif /* CONDUIT_WIN32_FILEAPI_H */
