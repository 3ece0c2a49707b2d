// libFuzzer target: conduitd.conf (src/broker/broker_config.cpp).
//
// Whatever the text, the parser must return, and:
// - every error names the file and a line that exists ("FILE:N: ..."), and
//   is one printable line (bytes from the file are quoted, never echoed);
// - what it accepts is within range (numbers 1 to 1048576, known groups);
// - a text with no error, written back as settings and parsed again, gives
//   the same configuration (nothing accepted is misread).
// Any difference aborts the target.
//
// Build and run: scripts/fuzz.sh [SECONDS].
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "broker/broker_config.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace conduit::broker;
using conduit::fuzz::require;

// A fixed set of groups, so the run does not depend on the machine.
std::optional<gid_t> groups(std::string_view name) {
  if (name == "wheel") return 10;
  if (name == "sudo") return 27;
  if (name == "0") return 0;
  return std::nullopt;
}

void check_errors(const config_result& r, std::string_view text) {
  std::size_t lines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
  for (const auto& e : r.errors) {
    require(e.rfind("f.conf:", 0) == 0, "an error that does not name the file");
    std::size_t colon = e.find(':', 7);
    require(colon != std::string::npos, "an error without a line number");
    std::size_t line = std::stoul(e.substr(7, colon - 7));
    require(line >= 1 && line <= lines, "an error naming a line that is not there");
    require(std::all_of(e.begin(), e.end(),
                        [](char c) { return static_cast<unsigned char>(c) >= 0x20 && c != 0x7f; }),
            "an error with a control byte in it");
    require(e.size() < 400, "an error message that is not short");
  }
}

std::string written(const broker_config& c) {
  std::string out;
  auto number = [&](const char* name, const std::optional<std::size_t>& v) {
    if (v) out += std::string(name) + " = " + std::to_string(*v) + "\n";
  };
  number("max-descriptors", c.limits.descriptors_total);
  number("descriptors-per-user", c.limits.descriptors_per_uid);
  number("max-waits", c.limits.waits_total);
  number("waits-per-user", c.limits.waits_per_uid);
  if (c.admin_groups) {
    out += "admin-group = ";
    for (std::size_t i = 0; i < c.admin_groups->size(); ++i)
      out += (i ? "," : "") + std::to_string((*c.admin_groups)[i]);
    out += "\n";
  }
  if (c.level) out += "log-level = " + std::to_string(static_cast<int>(*c.level)) + "\n";
  return out;
}

bool same(const broker_config& a, const broker_config& b) {
  return a.limits.descriptors_total == b.limits.descriptors_total &&
         a.limits.descriptors_per_uid == b.limits.descriptors_per_uid &&
         a.limits.waits_total == b.limits.waits_total &&
         a.limits.waits_per_uid == b.limits.waits_per_uid && a.admin_groups == b.admin_groups &&
         a.level == b.level;
}

// Gids written back as numbers: only those this resolver knows by number.
std::optional<gid_t> groups_by_number(std::string_view name) {
  if (name == "10" || name == "27" || name == "0")
    return static_cast<gid_t>(std::stoul(std::string(name)));
  return groups(name);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  config_result r = parse_config(text, "f.conf", groups);
  check_errors(r, text);
  for (const auto& v : {r.config.limits.descriptors_total, r.config.limits.descriptors_per_uid,
                        r.config.limits.waits_total, r.config.limits.waits_per_uid})
    require(!v || (*v >= 1 && *v <= (std::size_t{1} << 20)), "a number out of range accepted");
  if (r.errors.empty()) {
    config_result again = parse_config(written(r.config), "f.conf", groups_by_number);
    require(again.errors.empty(), "a configuration written back does not parse");
    require(same(r.config, again.config), "a configuration written back reads differently");
  }
  return 0;
}
