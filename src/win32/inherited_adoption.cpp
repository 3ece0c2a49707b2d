#include "win32/inherited_adoption.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "conduit/win32/windows.h"
#include "core/unique_fd.hpp"
#include "win32/anonymous_pipe_object.hpp"
#include "win32/handle_table.hpp"
#include "win32/inherited_list.hpp"
#include "win32/kernel_object.hpp"
#include "win32/object_transfer.hpp"

namespace conduit::win32 {
namespace {

using detail::unique_fd;

DWORD usual_access(char kind) {
  switch (kind) {
    case 'r':
      return anonymous_access(anonymous_pipe_object::end_kind::read);
    case 'w':
      return anonymous_access(anonymous_pipe_object::end_kind::write);
    case 'p':
      return PROCESS_ALL_ACCESS;
    default:
      return EVENT_ALL_ACCESS;
  }
}

// Whether the descriptors are the ones the parent described, numbers above
// the standard three, each named once.
bool descriptors_are_as_described(const inherited_item& item) {
  if (item.fds.empty() || item.identities.size() != item.fds.size()) return false;
  std::set<int> seen;
  for (std::size_t i = 0; i < item.fds.size(); ++i) {
    int fd = item.fds[i];
    if (fd < 3 || !seen.insert(fd).second) return false;
    auto now = identify_descriptor(fd);
    if (!now || *now != item.identities[i]) return false;
  }
  return descriptor_fits(static_cast<transfer_kind>(item.kind), item.fds[0]);
}

// The object for `item`, built on close-on-exec copies of its descriptors,
// so that a failure closes only the copies.
std::shared_ptr<kernel_object> rebuild_from_copies(const inherited_item& item) {
  std::vector<unique_fd> copies;
  for (int fd : item.fds) {
    unique_fd copy(::fcntl(fd, F_DUPFD_CLOEXEC, 3));
    if (!copy) return nullptr;
    copies.push_back(std::move(copy));
  }
  return rebuild_object(item.kind, std::move(copies), item.state);
}

bool same_handle_object(const inherited_item& a, const inherited_item& b) {
  return a.fds == b.fds && a.identities == b.identities && a.kind == b.kind && a.state == b.state;
}

}  // namespace

void adopt_inherited(std::string_view text) {
  inherited_list list = parse_inherited(text);
  if (list.parent == 0 || list.parent != static_cast<std::uint64_t>(::getppid())) return;
  struct adopted {
    const inherited_item* item;
    std::shared_ptr<kernel_object> object;
  };
  std::map<int, adopted> held;  // each descriptor an adopted item named
  for (const auto& item : list.items) {
    std::shared_ptr<kernel_object> object;
    bool any_held = std::ranges::any_of(item.fds, [&](int fd) { return held.contains(fd); });
    if (any_held) {
      // Duplicates of one handle share its descriptors: they become one
      // object again, as they were in the parent. Any other item naming a
      // descriptor taken already is refused, and takes nothing from it.
      auto it = held.find(item.fds[0]);
      if (it == held.end() || !same_handle_object(*it->second.item, item)) continue;
      object = it->second.object;
    } else {
      if (!descriptors_are_as_described(item)) continue;
      object = rebuild_from_copies(item);
      if (!object) continue;
    }
    // A taken slot cannot happen before main; if it does, that handle is
    // dropped (and the object with it if no other handle holds it).
    if (!insert_handle_at(reinterpret_cast<HANDLE>(item.value), object,
                          item.flags.value_or(HANDLE_FLAG_INHERIT),
                          item.access.value_or(usual_access(item.kind))))
      continue;
    for (int fd : item.fds) held.emplace(fd, adopted{&item, object});
  }
  // The objects hold copies; the descriptors passed are done with, and must
  // not reach a program started later by plain fork and exec.
  for (const auto& [fd, entry] : held) ::close(fd);
}

}  // namespace conduit::win32
