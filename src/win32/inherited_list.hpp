// CONDUIT_INHERITED_HANDLES: the handles a process finds in its table at
// start-up, put there by whoever executed it (CreateProcess for inherited
// handles; conduit-gate for handles DuplicateHandle pushed into a suspended
// child). The parent's process id first, then one item per handle, ';'
// after each:
//
//   parent=PID;value:fd@id[,fd@id...]:kind[:access[:flags[:state]]];...
//
// PID is the process that started the program: a process whose parent is
// another (a grandchild that inherited the variable through a program that
// knows nothing of it) adopts nothing. Each descriptor carries what it
// refers to, `id` = device.inode.type.instance (descriptor_identity.hpp),
// so that a number closed and reused since is never taken for the object.
// `kind` is a transfer_kind letter, `state` its bytes in hexadecimal. This
// file knows only the text: no table, no objects, so conduit-gate can use it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "win32/descriptor_identity.hpp"

namespace conduit::win32 {

inline constexpr const char* inherited_variable = "CONDUIT_INHERITED_HANDLES";

/// One handle the list describes.
struct inherited_item {
  std::uint64_t value = 0;
  std::vector<int> fds;
  std::vector<descriptor_identity> identities;  // one per descriptor
  char kind = 0;
  std::optional<std::uint32_t> access;  // none: the kind's usual access
  std::optional<std::uint32_t> flags;   // none: HANDLE_FLAG_INHERIT
  std::string state;
};

/// A whole list: whom it is for, and its items.
struct inherited_list {
  std::uint64_t parent = 0;  // 0: the list names none, and is for no one
  std::vector<inherited_item> items;
};

/// The list's first item: the process that starts the program.
std::string format_inherited_parent(std::uint64_t parent);

/// The item's text, with its ';'.
std::string format_inherited(const inherited_item& item);

/// The list's parts; an item that does not parse is left out.
inherited_list parse_inherited(std::string_view list);

}  // namespace conduit::win32
