#include "core/event_name.hpp"

#include "core/utf8.hpp"

namespace conduit::detail {

errc parse_event_name(std::string_view name, std::string& key) {
  std::size_t units = 0;
  for (std::size_t i = 0; i < name.size();) {
    auto cp = decode_utf8(name, i);
    if (!cp) return errc::invalid_name;
    units += *cp >= 0x10000 ? 2 : 1;  // a surrogate pair in UTF-16
  }
  if (name.empty()) return errc::invalid_name;
  if (units > max_event_name_units) return errc::filename_exced_range;
  if (name.front() == '\\') return errc::bad_pathname;
  // The prefixes are object folders, looked up case-sensitively like names.
  for (std::string_view prefix : {std::string_view("Global\\"), std::string_view("Local\\")}) {
    if (name.starts_with(prefix)) {
      name.remove_prefix(prefix.size());
      if (name.empty()) return errc::invalid_name;
      break;
    }
  }
  if (name.find('\\') != std::string_view::npos) return errc::path_not_found;
  key.assign(name);
  return errc::success;
}

}  // namespace conduit::detail
