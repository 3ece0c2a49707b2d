/*
 * conduit/win32/fileapi_find.h: FindFirstFile, FindNextFile and FindClose,
 * for listing named pipes (`\\.\pipe\*`, or a pattern such as
 * `\\.\pipe\app-*`), as Windows lists the named pipe file system.
 *
 *   WIN32_FIND_DATAA found;
 *   HANDLE find = FindFirstFileA("\\\\.\\pipe\\*", &found);
 *   if (find != INVALID_HANDLE_VALUE) {
 *     do printf("%s: %lu instances\n", found.cFileName, (unsigned long)found.nFileSizeLow);
 *     while (FindNextFileA(find, &found));
 *     FindClose(find);   // GetLastError() was ERROR_NO_MORE_FILES
 *   }
 *
 * For a pipe, cFileName is its name after `\\.\pipe\` (as its first
 * instance spelt it), nFileSizeLow its current number of instances (what
 * Windows reports in the file size), nFileSizeHigh 0, dwFileAttributes
 * FILE_ATTRIBUTE_NORMAL; the times are zero. Patterns take `*` and `?`
 * and compare without regard to case. Only pipe folders can be listed:
 * another path fails with ERROR_NOT_SUPPORTED. Included by windows.h.
 */
#ifndef CONDUIT_WIN32_FILEAPI_FIND_H
#define CONDUIT_WIN32_FILEAPI_FIND_H

#ifdef __cplusplus
extern "C" {
#endif

#ifndef CONDUIT_FILETIME_DEFINED
#define CONDUIT_FILETIME_DEFINED
/* A time in 100-nanosecond intervals since 1601-01-01 (UTC). */
typedef struct _FILETIME {
  DWORD dwLowDateTime;
  DWORD dwHighDateTime;
} FILETIME, *PFILETIME, *LPFILETIME;
#endif

#ifndef ERROR_NO_MORE_FILES
#define ERROR_NO_MORE_FILES 18L
#endif

typedef struct _WIN32_FIND_DATAA {
  DWORD dwFileAttributes;
  FILETIME ftCreationTime;
  FILETIME ftLastAccessTime;
  FILETIME ftLastWriteTime;
  DWORD nFileSizeHigh;
  DWORD nFileSizeLow;
  DWORD dwReserved0;
  DWORD dwReserved1;
  CHAR cFileName[MAX_PATH];
  CHAR cAlternateFileName[14];
} WIN32_FIND_DATAA, *PWIN32_FIND_DATAA, *LPWIN32_FIND_DATAA;

typedef struct _WIN32_FIND_DATAW {
  DWORD dwFileAttributes;
  FILETIME ftCreationTime;
  FILETIME ftLastAccessTime;
  FILETIME ftLastWriteTime;
  DWORD nFileSizeHigh;
  DWORD nFileSizeLow;
  DWORD dwReserved0;
  DWORD dwReserved1;
  WCHAR cFileName[MAX_PATH];
  WCHAR cAlternateFileName[14];
} WIN32_FIND_DATAW, *PWIN32_FIND_DATAW, *LPWIN32_FIND_DATAW;

/* The first pipe whose name matches lpFileName (`\\.\pipe\PATTERN`); a
 * handle for FindNextFile, or INVALID_HANDLE_VALUE with ERROR_FILE_NOT_FOUND
 * when none matches, ERROR_NOT_SUPPORTED for a path that is not a pipe
 * folder, ERROR_INVALID_PARAMETER for a NULL argument, the broker's error
 * (ERROR_SERVICE_NOT_ACTIVE) when it cannot be asked. The pipes are those
 * that existed at this call. */
HANDLE WINAPI FindFirstFileA(LPCSTR lpFileName, LPWIN32_FIND_DATAA lpFindFileData);
HANDLE WINAPI FindFirstFileW(LPCWSTR lpFileName, LPWIN32_FIND_DATAW lpFindFileData);
/* The next match; FALSE with ERROR_NO_MORE_FILES after the last, with
 * ERROR_INVALID_HANDLE for a handle FindFirstFile did not return. */
BOOL WINAPI FindNextFileA(HANDLE hFindFile, LPWIN32_FIND_DATAA lpFindFileData);
BOOL WINAPI FindNextFileW(HANDLE hFindFile, LPWIN32_FIND_DATAW lpFindFileData);
/* Ends a search: ERROR_INVALID_HANDLE for a handle that is not one. */
BOOL WINAPI FindClose(HANDLE hFindFile);

#ifdef UNICODE
#define WIN32_FIND_DATA WIN32_FIND_DATAW
#define PWIN32_FIND_DATA PWIN32_FIND_DATAW
#define LPWIN32_FIND_DATA LPWIN32_FIND_DATAW
#define FindFirstFile FindFirstFileW
#define FindNextFile FindNextFileW
#else
#define WIN32_FIND_DATA WIN32_FIND_DATAA
#define PWIN32_FIND_DATA PWIN32_FIND_DATAA
#define LPWIN32_FIND_DATA LPWIN32_FIND_DATAA
#define FindFirstFile FindFirstFileA
#define FindNextFile FindNextFileA
#endif

#ifdef __cplusplus
}
#endif

#endif /* CONDUIT_WIN32_FILEAPI_FIND_H */
