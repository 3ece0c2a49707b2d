#include "netbios/netbios_name.hpp"

#include <algorithm>

namespace conduit::detail::netbios {
namespace {

char upper(char c) {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

bool is_ipv4_literal(std::string_view s) {
  int dots = 0;
  for (char c : s) {
    if (c == '.') {
      ++dots;
    } else if (c < '0' || c > '9') {
      return false;
    }
  }
  return dots == 3;
}

std::string_view trim_spaces(std::string_view s) {
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

}  // namespace

std::string netbios_form(std::string_view host) {
  if (!is_ipv4_literal(host)) host = host.substr(0, host.find('.'));
  std::string out(host.substr(0, name_chars));
  for (char& c : out) c = upper(c);
  return out;
}

bool same_name(std::string_view a, std::string_view b) {
  a = trim_spaces(a);
  b = trim_spaces(b);
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return upper(x) == upper(y); });
}

bool valid_scope(std::string_view scope) {
  if (scope.empty()) return true;
  if (scope.size() > max_scope_bytes) return false;
  std::size_t label = 0;
  for (char c : scope) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    if (c <= ' ' || c > '~') return false;
    if (++label > 63) return false;
  }
  return label > 0;
}

void encode_netbios_name(const netbios_name& n, std::vector<std::byte>& out) {
  std::string padded = n.name.substr(0, name_chars);
  padded.resize(name_chars, ' ');
  padded.push_back(static_cast<char>(n.suffix));
  out.push_back(std::byte{32});
  for (char c : padded) {
    auto b = static_cast<unsigned char>(c);
    out.push_back(static_cast<std::byte>('A' + (b >> 4)));
    out.push_back(static_cast<std::byte>('A' + (b & 0x0F)));
  }
  std::string_view scope = n.scope;
  while (!scope.empty()) {
    std::size_t dot = scope.find('.');
    std::string_view label = scope.substr(0, dot);
    out.push_back(static_cast<std::byte>(label.size()));
    for (char c : label) out.push_back(static_cast<std::byte>(c));
    scope.remove_prefix(dot == std::string_view::npos ? scope.size() : dot + 1);
  }
  out.push_back(std::byte{0});
}

bool decode_netbios_name(std::span<const std::byte> in, std::size_t& at, netbios_name& out) {
  std::size_t p = at;
  if (p + 33 > in.size() || in[p] != std::byte{32}) return false;
  ++p;
  std::string raw;
  raw.reserve(16);
  for (int i = 0; i < 16; ++i, p += 2) {
    auto hi = static_cast<unsigned char>(in[p]);
    auto lo = static_cast<unsigned char>(in[p + 1]);
    if (hi < 'A' || hi > 'P' || lo < 'A' || lo > 'P') return false;
    raw.push_back(static_cast<char>(((hi - 'A') << 4) | (lo - 'A')));
  }
  std::string scope;
  for (;;) {
    if (p >= in.size()) return false;
    auto len = static_cast<std::size_t>(in[p++]);
    if (len == 0) break;
    // 0xC0 and up would be a DNS pointer, 0x40..0xBF is no label at all.
    if (len > 63 || p + len > in.size()) return false;
    if (!scope.empty()) scope.push_back('.');
    for (std::size_t i = 0; i < len; ++i) {
      auto c = static_cast<char>(in[p + i]);
      if (c <= ' ' || c > '~' || c == '.') return false;  // what valid_scope refuses
      scope.push_back(c);
    }
    p += len;
    if (scope.size() > max_scope_bytes) return false;
  }
  out.suffix = static_cast<std::uint8_t>(raw[15]);
  raw.resize(15);
  out.name = std::string(trim_spaces(raw));
  out.scope = std::move(scope);
  at = p;
  return true;
}

}  // namespace conduit::detail::netbios
