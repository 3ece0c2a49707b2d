// CONDUIT_INHERITED_HANDLES: the handles a process finds in its table at
// start-up, put there by whoever executed it (CreateProcess for inherited
// handles; conduit-gate for handles DuplicateHandle pushed into a suspended
// child). One item per handle, ';' after each:
//
//   value:fd[,fd...]:kind[:access[:flags[:state]]]
//
// `kind` is a transfer_kind letter, `state` its bytes in hexadecimal. This
// file knows only the text: no table, no objects, so conduit-gate can use it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace conduit::win32 {

inline constexpr const char* inherited_variable = "CONDUIT_INHERITED_HANDLES";

/// One handle the list describes.
struct inherited_item {
  std::uint64_t value = 0;
  std::vector<int> fds;
  char kind = 0;
  std::optional<std::uint32_t> access;  // none: the kind's usual access
  std::optional<std::uint32_t> flags;   // none: HANDLE_FLAG_INHERIT
  std::string state;
};

/// The item's text, with its ';'.
std::string format_inherited(const inherited_item& item);

/// The items of `list`; one that does not parse is left out.
std::vector<inherited_item> parse_inherited(std::string_view list);

}  // namespace conduit::win32
