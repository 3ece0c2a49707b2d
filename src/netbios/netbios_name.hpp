// NetBIOS names as RFC 1001/1002 put them on the wire.
//
// A NetBIOS name is 16 bytes: up to 15 characters, padded with spaces, and
// a one-byte suffix saying what the name stands for (0x00 a workstation or
// a workgroup, 0x20 a file server, ...). On the wire (RFC 1002 4.1, "first
// level encoding") each byte becomes two letters, 'A' plus its high and
// its low four bits, so the 16 bytes take 32; a length byte (0x20) comes
// first, then the optional NetBIOS scope as DNS labels, then a zero byte.
//
//   netbios_name n{"HOST-A", 0x00, ""};
//   std::vector<std::byte> out;
//   encode_netbios_name(n, out);  // 0x20 "EIEPFDFECNEBCACA...AA" 0x00: 34 bytes
//   std::size_t at = 0;
//   netbios_name back;
//   if (decode_netbios_name(out, at, back)) ...;  // malformed
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace conduit::detail::netbios {

/// Most characters in a name (the 16th byte is the suffix).
inline constexpr std::size_t name_chars = 15;
/// Longest scope, in bytes as written with dots (RFC 1002: the whole
/// encoded name stays within a DNS name's 255 bytes).
inline constexpr std::size_t max_scope_bytes = 200;

/// Suffixes used here.
inline constexpr std::uint8_t suffix_workstation = 0x00;  // a host, and a workgroup (group name)
inline constexpr std::uint8_t suffix_server = 0x20;

struct netbios_name {
  std::string name;         // up to 15 bytes, no trailing spaces
  std::uint8_t suffix = 0;  // the 16th byte
  std::string scope;        // dotted labels, empty for none
  friend bool operator==(const netbios_name&, const netbios_name&) = default;
};

/// The NetBIOS form of a host or workgroup name: ASCII letters upper-cased
/// (NetBIOS names are compared as upper case), cut to 15 bytes. A DNS name
/// (`host.example.org`) gives its first label; an IPv4 address is kept
/// whole (cut to 15).
[[nodiscard]] std::string netbios_form(std::string_view host);

/// Whether two names (netbios_form already applied to neither) are the same
/// NetBIOS name: compared in upper case, trailing spaces ignored.
[[nodiscard]] bool same_name(std::string_view a, std::string_view b);

/// Whether `scope` can be written: dotted labels of 1 to 63 bytes, each of
/// printable ASCII other than '.', at most max_scope_bytes in all.
[[nodiscard]] bool valid_scope(std::string_view scope);

/// Appends the encoded name (34 bytes plus the scope). Preconditions: the
/// name has at most 15 bytes, the scope is valid_scope.
void encode_netbios_name(const netbios_name& n, std::vector<std::byte>& out);

/// Reads an encoded name at `at` and moves `at` past it. False when the
/// bytes are not one: a first length other than 32, a letter outside
/// 'A'..'P', a label running past the end, a label of 64 bytes or more
/// (DNS compression pointers are not allowed in datagrams), a label byte
/// valid_scope refuses, a scope over max_scope_bytes, or no terminating zero. Trailing spaces are
/// dropped from the name; `at` is left alone on failure.
[[nodiscard]] bool decode_netbios_name(std::span<const std::byte> in, std::size_t& at,
                                       netbios_name& out);

}  // namespace conduit::detail::netbios
