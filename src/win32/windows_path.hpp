// How a Windows path names a Linux file (docs/win32-system.md).
//
//   C:\data\in.txt      -> /data/in.txt          (any drive letter: the drive root)
//   D:/logs/x.log       -> /mnt/d/logs/x.log     with CONDUIT_DRIVE_D=/mnt/d
//   \tmp\x  or  /tmp/x  -> /tmp/x                (rooted: from /)
//   data\in.txt         -> data/in.txt           (relative: from the working folder)
//   \\?\C:\x            -> /x                    (the \\?\ prefix is dropped)
//   NUL  (any case)     -> /dev/null
//
// `\` and `/` are both separators. A drive letter names the folder
// CONDUIT_DRIVE_<LETTER> says, else CONDUIT_DRIVE_ROOT, else `/`. A
// drive-relative path (`C:x`) is taken from the working folder. Linux
// names are case-sensitive: the path keeps its case.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace conduit::win32 {

/// The Linux path for a Windows path; nullopt for an empty one.
std::optional<std::string> linux_path(std::string_view windows_path);

}  // namespace conduit::win32
