// A program's start-up: the handles CONDUIT_INHERITED_HANDLES describes
// (win32/inherited_list.hpp) go back into its table, each only if it is
// provably what its parent passed.
#pragma once

#include <string_view>

namespace conduit::win32 {

/// Adopts the handles of `list`, the variable's value, into the table.
///
/// The list must name this process's parent (getppid()): a list a
/// grandchild inherited through a program that knows nothing of it, or one
/// left from a parent gone, is for someone else, and nothing of it is
/// adopted. Each item is adopted whole or not at all: every descriptor it
/// names must be open and be the object the parent described (device,
/// inode, type, and the kernel's number for anonymous inodes), of the kind
/// the item says, and held by no item adopted before it (a duplicate of
/// one handle excepted, which becomes the same object again). An item that
/// fails leaves every descriptor as it found it; one adopted gets close-
/// on-exec copies, and the descriptors the parent passed are closed.
void adopt_inherited(std::string_view list);

}  // namespace conduit::win32
