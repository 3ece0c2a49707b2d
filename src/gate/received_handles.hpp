// What DuplicateHandle pushed into a suspended child while conduit-gate
// stood in for its program: each object's descriptors and description,
// kept until the gate executes the program, which then finds them in
// CONDUIT_INHERITED_HANDLES (win32/inherited_list.hpp) and puts them in its
// table as it does inherited handles.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "conduit/win32/windows.h"
#include "core/unique_fd.hpp"
#include "win32/handle_message.hpp"
#include "win32/inherited_list.hpp"

namespace conduit::gate {

class received_handles {
 public:
  /// `inherited`: the list the program inherits already, whose handle
  /// values are taken; left out unless it names the gate's parent.
  explicit received_handles(std::string_view inherited);

  /// Keeps what an insert request brought; the handle value it will have in
  /// the program, or nullopt with `error` set (ERROR_INVALID_PARAMETER for
  /// what cannot be an object, ERROR_NOT_ENOUGH_MEMORY once the list would
  /// not fit in the environment).
  std::optional<std::uint64_t> insert(const win32::handle_message& request,
                                      std::vector<detail::unique_fd> fds, DWORD& error);

  /// Drops the handle `value` (its caller never learned it).
  void forget(std::uint64_t value);

  /// Lets the descriptors survive execve and returns `environment` with
  /// the list completed, ready for it.
  std::vector<std::string> hand_over(char** environment);

 private:
  struct held {
    win32::inherited_item item;
    std::vector<detail::unique_fd> fds;
  };
  std::uint64_t parent_;
  std::vector<win32::inherited_item> inherited_;  // what the parent passed
  std::set<std::uint64_t> taken_;
  std::vector<held> held_;
  std::size_t list_size_ = 0;
};

}  // namespace conduit::gate
