#include "win32/inherited_list.hpp"

#include <charconv>

namespace conduit::win32 {
namespace {

constexpr char hex_digits[] = "0123456789abcdef";

template <typename T>
bool number(std::string_view text, T& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

bool unhex(std::string_view text, std::string& out) {
  if (text.size() % 2 != 0) return false;
  out.clear();
  for (std::size_t i = 0; i < text.size(); i += 2) {
    int high = hex_value(text[i]);
    int low = hex_value(text[i + 1]);
    if (high < 0 || low < 0) return false;
    out += static_cast<char>(high * 16 + low);
  }
  return true;
}

// Splits at `separator`: a, b, c for "a<s>b<s>c".
std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> out;
  for (;;) {
    std::size_t end = text.find(separator);
    out.push_back(text.substr(0, end));
    if (end == std::string_view::npos) return out;
    text.remove_prefix(end + 1);
  }
}

// `fd@device.inode.type.instance`.
bool parse_descriptor(std::string_view text, int& fd, descriptor_identity& id) {
  std::size_t at = text.find('@');
  if (at == std::string_view::npos || !number(text.substr(0, at), fd) || fd < 0) return false;
  auto parts = split(text.substr(at + 1), '.');
  return parts.size() == 4 && number(parts[0], id.device) && number(parts[1], id.inode) &&
         number(parts[2], id.type) && number(parts[3], id.instance);
}

std::optional<inherited_item> parse_item(std::string_view text) {
  auto fields = split(text, ':');
  inherited_item item;
  if (fields.size() < 3 || fields.size() > 6 || !number(fields[0], item.value) ||
      fields[2].size() != 1)
    return std::nullopt;
  for (auto fd : split(fields[1], ',')) {
    if (!parse_descriptor(fd, item.fds.emplace_back(), item.identities.emplace_back()))
      return std::nullopt;
  }
  item.kind = fields[2][0];
  std::uint32_t n = 0;
  if (fields.size() > 3) {
    if (!number(fields[3], n)) return std::nullopt;
    item.access = n;
  }
  if (fields.size() > 4) {
    if (!number(fields[4], n)) return std::nullopt;
    item.flags = n;
  }
  if (fields.size() > 5 && !unhex(fields[5], item.state)) return std::nullopt;
  return item;
}

constexpr std::string_view parent_prefix = "parent=";

}  // namespace

std::string format_inherited_parent(std::uint64_t parent) {
  return std::string(parent_prefix) + std::to_string(parent) + ";";
}

std::string format_inherited(const inherited_item& item) {
  std::string out = std::to_string(item.value) + ":";
  for (std::size_t i = 0; i < item.fds.size(); ++i) {
    descriptor_identity id =
        i < item.identities.size() ? item.identities[i] : descriptor_identity{};
    out += (i ? "," : "") + std::to_string(item.fds[i]) + "@" + std::to_string(id.device) + "." +
           std::to_string(id.inode) + "." + std::to_string(id.type) + "." +
           std::to_string(id.instance);
  }
  out += std::string(":") + item.kind;
  // Later fields only when needed, so that the usual item stays short.
  bool state = !item.state.empty();
  bool flags = state || item.flags;
  if (flags || item.access) out += ":" + std::to_string(item.access.value_or(0));
  if (flags) out += ":" + std::to_string(item.flags.value_or(1));
  if (state) {
    out += ':';
    for (unsigned char c : item.state) {
      out += hex_digits[c >> 4];
      out += hex_digits[c & 15];
    }
  }
  return out + ";";
}

inherited_list parse_inherited(std::string_view list) {
  inherited_list out;
  auto items = split(list, ';');
  // Whom the list is for comes first, or the list is for no one.
  if (!items.empty() && items[0].starts_with(parent_prefix)) {
    if (!number(items[0].substr(parent_prefix.size()), out.parent)) out.parent = 0;
    items.erase(items.begin());
  }
  for (auto text : items) {
    if (text.empty()) continue;
    if (auto item = parse_item(text)) out.items.push_back(std::move(*item));
  }
  return out;
}

}  // namespace conduit::win32
