#include "core/client_computer.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <string>

#include "core/wire.hpp"

namespace conduit::detail {

namespace {

bool ascii_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

}  // namespace

bool valid_computer_name(std::string_view name) {
  if (name.empty()) return true;
  if (name.size() > wire::connect_record::max_computer_name) return false;
  if (name.front() == '.' || name.back() == '.') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return ascii_alnum(c) || c == '-' || c == '.' || c == '_' || c == '$';
  });
}

bool valid_client_address(std::string_view address) {
  if (address.empty()) return true;
  if (address.size() > wire::connect_record::max_client_address) return false;
  unsigned char parsed[16];
  auto scope = address.find('%');
  std::string host(address.substr(0, scope));
  if (scope == std::string_view::npos) {
    return ::inet_pton(AF_INET, host.c_str(), parsed) == 1 ||
           ::inet_pton(AF_INET6, host.c_str(), parsed) == 1;
  }
  // A scope belongs to an IPv6 address: an interface's name or index.
  std::string_view zone = address.substr(scope + 1);
  return !zone.empty() && std::all_of(zone.begin(), zone.end(), ascii_alnum) &&
         ::inet_pton(AF_INET6, host.c_str(), parsed) == 1;
}

}  // namespace conduit::detail
