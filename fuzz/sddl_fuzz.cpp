// libFuzzer target: SDDL and the self-relative binary form
// (src/security/security_descriptor.cpp).
//
// The same input is read both ways, as the broker and the Win32 layer read
// what a program hands them:
// - as SDDL text: what parses must write back (to_sddl) to text that parses
//   to the same descriptor and writes the same text again (a fixed point),
//   and must survive the binary form unchanged;
// - as a self-relative descriptor: what reads must write back to bytes that
//   read the same, and its SDDL must parse to the same descriptor.
// Any difference aborts the target.
//
// Build and run: scripts/fuzz.sh [SECONDS].
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string_view>

#include "security/access_check.hpp"
#include "security/security_descriptor.hpp"

namespace sec = conduit::detail::security;

namespace {

void require(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "sddl_fuzz: %s\n", what);
  std::abort();
}

// The text of a descriptor parses back to it (when it fits the limit: the
// canonical text of a large binary descriptor may not).
void check_text_round_trip(const sec::security_descriptor& sd) {
  auto text = sec::to_sddl(sd);
  if (text.size() > sec::max_sddl_bytes) return;
  sec::security_descriptor again;
  require(!sec::parse_sddl(text, again), "to_sddl wrote text parse_sddl refuses");
  require(again == sd, "text round trip changed the descriptor");
  require(sec::to_sddl(again) == text, "to_sddl is not a fixed point");
}

void check_binary_round_trip(const sec::security_descriptor& sd) {
  auto bytes = sec::to_self_relative(sd);
  sec::security_descriptor again;
  require(!sec::from_self_relative(bytes, again), "from_self_relative refuses to_self_relative");
  require(again == sd, "binary round trip changed the descriptor");
  require(sec::to_self_relative(again) == bytes, "to_self_relative is not a fixed point");
}

// An access check of anything that parsed must not misbehave either.
void check_access(const sec::security_descriptor& sd, std::uint32_t desired) {
  sec::identity who{1000, 1000, {27, 1000}};
  std::uint32_t granted = 0;
  auto ec = sec::access_check(sd, who, desired, sec::file_generic_mapping, granted);
  require(ec ? granted == 0 : granted != 0, "granted disagrees with the result");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  sec::security_descriptor from_text;
  if (!sec::parse_sddl(text, from_text)) {
    check_text_round_trip(from_text);
    check_binary_round_trip(from_text);
    check_access(from_text, size >= 4 ? static_cast<std::uint32_t>(data[0]) << 24 | data[1] << 16 |
                                            data[2] << 8 | data[3]
                                      : 0x80000000u);
  }
  sec::security_descriptor from_bytes;
  if (!sec::from_self_relative(std::span(data, size), from_bytes)) {
    check_binary_round_trip(from_bytes);
    check_text_round_trip(from_bytes);
  }
  return 0;
}
