#include "gate/received_handles.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace conduit::gate {
namespace {

// One environment string may be 128 KiB (MAX_ARG_STRLEN); the list stays
// well under it.
constexpr std::size_t max_list_size = 96 * 1024;
// The letters of win32::transfer_kind.
constexpr std::string_view kinds = "rwsmapcnl";

}  // namespace

received_handles::received_handles(std::string_view inherited)
    : parent_(static_cast<std::uint64_t>(::getppid())) {
  // The gate runs as the child, started by the same parent: a list for
  // another process is for no one here.
  auto list = win32::parse_inherited(inherited);
  if (list.parent != parent_) return;
  for (auto& item : list.items) {
    list_size_ += win32::format_inherited(item).size();
    taken_.insert(item.value);
    inherited_.push_back(std::move(item));
  }
}

std::optional<std::uint64_t> received_handles::insert(const win32::handle_message& request,
                                                      std::vector<detail::unique_fd> fds,
                                                      DWORD& error) {
  // The program checks each descriptor against its kind at start-up, as it
  // does inherited ones; here only what the list needs.
  if (fds.empty() || fds.size() > 2 || request.kind == 0 ||
      kinds.find(request.kind) == std::string_view::npos) {
    error = ERROR_INVALID_PARAMETER;
    return std::nullopt;
  }
  // Values as the program's table gives them (multiples of 4 from 4),
  // none an inherited handle has.
  std::uint64_t value = 4;
  while (taken_.contains(value)) value += 4;
  held h{{.value = value,
          .fds = {},
          .identities = {},
          .kind = request.kind,
          .access = request.access,
          .flags = request.flags,
          .state = request.state},
         std::move(fds)};
  for (const auto& fd : h.fds) {
    auto identity = win32::identify_descriptor(fd.get());
    if (!identity) {
      error = ERROR_INVALID_PARAMETER;
      return std::nullopt;
    }
    h.item.fds.push_back(fd.get());
    h.item.identities.push_back(*identity);
  }
  std::size_t size = win32::format_inherited(h.item).size();
  if (list_size_ + size > max_list_size) {
    error = ERROR_NOT_ENOUGH_MEMORY;
    return std::nullopt;
  }
  list_size_ += size;
  taken_.insert(value);
  held_.push_back(std::move(h));
  return value;
}

void received_handles::forget(std::uint64_t value) {
  auto it = std::ranges::find_if(held_, [&](const held& h) { return h.item.value == value; });
  if (it == held_.end()) return;
  list_size_ -= win32::format_inherited(it->item).size();
  taken_.erase(value);
  held_.erase(it);
}

std::vector<std::string> received_handles::hand_over(char** environment) {
  std::string list;
  for (const auto& item : inherited_) list += win32::format_inherited(item);
  for (auto& h : held_) {
    for (auto& fd : h.fds) ::fcntl(fd.get(), F_SETFD, 0);
    list += win32::format_inherited(h.item);
    // Open on purpose from here on: they are the program's now.
    for (auto& fd : h.fds) (void)fd.release();
  }
  std::string prefix = std::string(win32::inherited_variable) + "=";
  std::vector<std::string> out;
  for (char** e = environment; e && *e; ++e) {
    if (std::strncmp(*e, prefix.c_str(), prefix.size()) != 0) out.emplace_back(*e);
  }
  // The program runs as this process: its parent is the gate's.
  if (!list.empty()) out.push_back(prefix + win32::format_inherited_parent(parent_) + list);
  return out;
}

}  // namespace conduit::gate
