#include "win32/windows_path.hpp"

#include "win32/file_open.hpp"

#include <cstdlib>

namespace conduit::win32 {
namespace {

bool is_separator(char c) {
  return c == '\\' || c == '/';
}

bool is_letter(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

// The folder drive `letter` stands for, without a trailing slash ("" is /).
std::string drive_root(char letter) {
  char upper = letter >= 'a' ? static_cast<char>(letter - 32) : letter;
  std::string variable = std::string("CONDUIT_DRIVE_") + upper;
  const char* root = std::getenv(variable.c_str());
  if (!root || !*root) root = std::getenv("CONDUIT_DRIVE_ROOT");
  std::string out = root && *root ? root : "";
  while (!out.empty() && out.back() == '/') out.pop_back();
  return out;
}

}  // namespace

bool ascii_iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::optional<std::string> linux_path(std::string_view path) {
  if (path.empty()) return std::nullopt;
  if (ascii_iequals(path, "NUL") || ascii_iequals(path, "\\\\.\\NUL")) return "/dev/null";
  // \\?\C:\x and \??\C:\x: the same path, parsing turned off on Windows.
  if (path.size() >= 4 && is_separator(path[0]) && is_separator(path[3]) &&
      (path.substr(1, 2) == "\\?" || path.substr(1, 2) == "??" || path.substr(1, 2) == "/?"))
    path.remove_prefix(4);
  std::string out;
  if (path.size() >= 2 && is_letter(path[0]) && path[1] == ':') {
    char letter = path[0];
    bool rooted = path.size() >= 3 && is_separator(path[2]);
    path.remove_prefix(2);
    if (rooted) out = drive_root(letter);  // the path's own separator follows
  }
  for (char c : path) out.push_back(is_separator(c) ? '/' : c);
  if (out.empty()) return ".";
  return out;
}

}  // namespace conduit::win32
