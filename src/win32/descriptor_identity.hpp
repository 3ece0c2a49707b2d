// What a descriptor refers to, as a second process can check it: the
// object's device and inode, its file type, and for objects that share one
// anonymous inode (eventfds; pidfds on kernels without pidfs) the number
// the kernel gives each in /proc/self/fdinfo (eventfd-id, Pid). A
// descriptor number alone says nothing: the number a parent passed may
// have been closed and reused for a log file or a socket by the time
// someone reads it. Inode numbers of pipes and sockets are not reused soon;
// an eventfd's number is (the kernel hands out the lowest free one), so
// two eventfds that live at once are told apart, while an eventfd closed
// and made again may look like the one before it.
#pragma once

#include <cstdint>
#include <optional>

namespace conduit::win32 {

struct descriptor_identity {
  std::uint64_t device = 0;
  std::uint64_t inode = 0;
  std::uint32_t type = 0;      // st_mode & S_IFMT; 0 for an anonymous inode
  std::uint64_t instance = 0;  // eventfd-id or Pid for an anonymous inode, else 0

  friend bool operator==(const descriptor_identity&, const descriptor_identity&) = default;
};

/// What `fd` refers to now, or nullopt if it is not open.
std::optional<descriptor_identity> identify_descriptor(int fd);

}  // namespace conduit::win32
