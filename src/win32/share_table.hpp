// Share modes (CreateFile's dwShareMode) among this process's handles to
// files on disk. Linux has no share modes, so another process is not held
// to them: docs/win32-system.md says so.
//
// Each open file (device and inode) keeps the access and share mode of
// every handle open to it; a new open, or DeleteFile, is refused with
// ERROR_SHARING_VIOLATION when it and an existing handle do not allow each
// other, by Windows's rules.
#pragma once

#include <sys/types.h>

#include <cstdint>

#include "conduit/win32/windows.h"

namespace conduit::win32 {

/// One handle's place in the table: released when it goes.
class share_entry {
 public:
  share_entry() = default;
  share_entry(const share_entry&) = delete;
  share_entry& operator=(const share_entry&) = delete;
  ~share_entry() { release(); }

  /// Enters a handle with `access` (FILE_READ_DATA, FILE_WRITE_DATA,
  /// FILE_APPEND_DATA, DELETE as granted) and `share` to the file (dev, ino).
  /// False if an open handle and this one do not share.
  bool enter(dev_t dev, ino_t ino, DWORD access, DWORD share);
  void release();

 private:
  bool entered_ = false;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
  DWORD access_ = 0;
  DWORD share_ = 0;
};

/// Whether the file may be deleted now (no handle open without FILE_SHARE_DELETE).
bool may_delete(dev_t dev, ino_t ino);

}  // namespace conduit::win32
