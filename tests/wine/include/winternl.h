/* winternl.h for Wine's conformance tests: the two NT calls pipe.c makes.
 * conduit has no NT layer; the runner (winetest.c) stubs them:
 *  - NtQueryInformationFile(FileAccessInformation) returns
 *    STATUS_NOT_IMPLEMENTED (conduit has no call that reports a handle's
 *    granted access), so its checks fail and are listed as such;
 *  - NtFsControlFile(FSCTL_PIPE_PEEK) is answered from PeekNamedPipe, the
 *    Win32 call Windows builds on it. */
#ifndef CONDUIT_WINETEST_WINTERNL_H
#define CONDUIT_WINETEST_WINTERNL_H
#include <windows.h>

#include "ntstatus.h"

typedef struct _IO_STATUS_BLOCK {
  union {
    NTSTATUS Status;
    PVOID Pointer;
  };
  ULONG_PTR Information;
} IO_STATUS_BLOCK, *PIO_STATUS_BLOCK;

typedef void(WINAPI* PIO_APC_ROUTINE)(PVOID, PIO_STATUS_BLOCK, ULONG);

typedef enum _FILE_INFORMATION_CLASS { FileAccessInformation = 8 } FILE_INFORMATION_CLASS;

typedef struct _FILE_ACCESS_INFORMATION {
  ACCESS_MASK AccessFlags;
} FILE_ACCESS_INFORMATION;

typedef struct _FILE_PIPE_PEEK_BUFFER {
  ULONG NamedPipeState;
  ULONG ReadDataAvailable;
  ULONG NumberOfMessages;
  ULONG MessageLength;
  CHAR Data[1];
} FILE_PIPE_PEEK_BUFFER, *PFILE_PIPE_PEEK_BUFFER;

#ifndef FIELD_OFFSET
#define FIELD_OFFSET(type, field) ((LONG)offsetof(type, field))
#endif

NTSTATUS WINAPI NtQueryInformationFile(HANDLE file, PIO_STATUS_BLOCK io, PVOID info, ULONG length,
                                       FILE_INFORMATION_CLASS info_class);
NTSTATUS WINAPI NtFsControlFile(HANDLE file, HANDLE event, PIO_APC_ROUTINE apc, PVOID apc_context,
                                PIO_STATUS_BLOCK io, ULONG code, PVOID in_buffer, ULONG in_size,
                                PVOID out_buffer, ULONG out_size);
#endif /* CONDUIT_WINETEST_WINTERNL_H */
