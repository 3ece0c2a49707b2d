#include "core/object_name.hpp"

#include <locale.h>
#include <unistd.h>
#include <wctype.h>

#include <cstdint>
#include <optional>

#include "conduit/error.hpp"
#include "core/utf8.hpp"

namespace conduit::detail {
namespace {

locale_t utf8_locale() {
  static locale_t locale = [] {
    locale_t l = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(0));
    return l ? l : newlocale(LC_CTYPE_MASK, "C", static_cast<locale_t>(0));
  }();
  return locale;
}

bool iequals_ascii(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 32);
    if (y >= 'a' && y <= 'z') y = static_cast<char>(y - 32);
    if (x != y) return false;
  }
  return true;
}

}  // namespace

std::string fold_case(std::string_view path) {
  std::string out;
  out.reserve(path.size());
  for (std::size_t i = 0; i < path.size();) {
    auto cp = decode_utf8(path, i);
    if (!cp) return {};
    if (*cp < 0x80) {
      char c = static_cast<char>(*cp);
      out += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
    } else {
      encode_utf8(static_cast<char32_t>(towupper_l(static_cast<wint_t>(*cp), utf8_locale())), out);
    }
  }
  return out;
}

const std::string& local_host_name() {
  static const std::string name = [] {
    char buffer[256] = {};
    if (::gethostname(buffer, sizeof(buffer) - 1) != 0) return std::string("localhost");
    return std::string(buffer);
  }();
  return name;
}

std::error_code parse_object_name(std::string_view given, object_kind kind, object_name& out) {
  if (given.empty()) return errc::path_not_found;
  // No Win32 caller can pass NUL inside a name; the C++ API can, and a name
  // cut short there must not stand for another one.
  if (given.find('\0') != std::string_view::npos) return errc::invalid_name;
  // Win32 path rules turn '/' into '\' before the object manager sees a name.
  std::string full(given);
  for (char& c : full)
    if (c == '/') c = '\\';
  // Count characters, not bytes, against the 256 limit; reject bad UTF-8.
  std::size_t chars = 0;
  for (std::size_t i = 0; i < full.size(); ++chars) {
    if (!decode_utf8(full, i)) return errc::invalid_name;
  }
  if (chars > max_object_name_chars) return errc::filename_exced_range;
  if (full.size() < 2 || full[0] != '\\' || full[1] != '\\') return errc::invalid_name;
  std::string_view rest = std::string_view(full).substr(2);
  std::size_t host_end = rest.find('\\');
  if (host_end == std::string_view::npos || host_end == 0) return errc::invalid_name;
  std::string_view host = rest.substr(0, host_end);
  rest.remove_prefix(host_end + 1);
  std::string_view type = kind == object_kind::pipe ? "pipe" : "mailslot";
  std::size_t type_end = rest.find('\\');
  std::string_view type_given = rest.substr(0, type_end);
  if (!iequals_ascii(type_given, type)) {
    // `\\.\other\x` names a device path that is not ours; `\\.\pipex` no path at all.
    return type_end == std::string_view::npos ? errc::invalid_name : errc::path_not_found;
  }
  if (type_end == std::string_view::npos) return errc::invalid_name;
  std::string_view path = rest.substr(type_end + 1);
  if (path.empty()) return errc::invalid_name;
  out.kind = kind;
  // `.` and `?` (from `\\?\pipe\x`) are this machine, and so is its own name.
  out.local = host == "." || host == "?" || iequals_ascii(host, local_host_name()) ||
              iequals_ascii(host, "localhost");
  out.host = out.local ? std::string(".") : std::string(host);
  out.path = std::string(path);
  out.key = fold_case(path);
  return {};
}

}  // namespace conduit::detail
