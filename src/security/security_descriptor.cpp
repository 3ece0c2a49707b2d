// Security descriptors: SDDL text and the self-relative binary form.
#include "security/security_descriptor.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdio>

#include "conduit/error.hpp"

namespace conduit::detail::security {
namespace {

struct right_name {
  std::string_view name;
  std::uint32_t mask;
};

// Names an access mask can be written with, in the order Windows tries
// them when it writes one mask as one name.
constexpr std::array<right_name, 25> right_names{{
    {"GA", 0x10000000}, {"GR", 0x80000000}, {"GW", 0x40000000}, {"GX", 0x20000000},
    {"RC", 0x00020000}, {"SD", 0x00010000}, {"WD", 0x00040000}, {"WO", 0x00080000},
    {"RP", 0x00000010}, {"WP", 0x00000020}, {"CC", 0x00000001}, {"DC", 0x00000002},
    {"LC", 0x00000004}, {"SW", 0x00000008}, {"LO", 0x00000080}, {"DT", 0x00000040},
    {"CR", 0x00000100}, {"FA", 0x001f01ff}, {"FR", 0x00120089}, {"FW", 0x00120116},
    {"FX", 0x001200a0}, {"KA", 0x000f003f}, {"KR", 0x00020019}, {"KW", 0x00020006},
    {"KX", 0x00020019},
}};

// The one-bit names Windows composes a mask from, by bit number.
constexpr std::array<std::string_view, 32> bit_names{
    "CC", "DC", "LC", "SW", "RP", "WP", "DT", "LO", "CR", "", "", "", "",   "",   "",   "",
    "SD", "RC", "WD", "WO", "",   "",   "",   "",   "",   "", "", "", "GA", "GX", "GW", "GR"};

struct flag_name {
  std::string_view name;
  std::uint8_t flag;
};
constexpr std::array<flag_name, 5> ace_flag_names{{
    {"OI", ace_flags::object_inherit},
    {"CI", ace_flags::container_inherit},
    {"NP", ace_flags::no_propagate},
    {"IO", ace_flags::inherit_only},
    {"ID", ace_flags::inherited},
}};

char upper(char c) {
  return static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
}

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (upper(text[i]) != upper(prefix[i])) return false;
  return true;
}

// Section letters are upper case only, as Windows reads them ("d:" fails).
bool is_section_start(std::string_view text, std::size_t pos) {
  if (pos + 1 >= text.size() || text[pos + 1] != ':') return false;
  char c = text[pos];
  return c == 'O' || c == 'G' || c == 'D' || c == 'S';
}

// Where the section that starts at `pos` ends: at the next "X:" outside
// parentheses, or at the end.
std::size_t section_end(std::string_view text, std::size_t pos) {
  int depth = 0;
  for (std::size_t i = pos; i < text.size(); ++i) {
    if (text[i] == '(')
      ++depth;
    else if (text[i] == ')')
      --depth;
    else if (depth == 0 && is_section_start(text, i))
      return i;
  }
  return text.size();
}

// "0x1f01ff" (at most 8 hex digits), or names run together ("GRGW").
bool parse_rights(std::string_view text, bool label_rights, std::uint32_t& out) {
  out = 0;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    auto digits = text.substr(2);
    if (digits.size() > 8) return false;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), out, 16);
    return ec == std::errc{} && end == digits.data() + digits.size();
  }
  while (!text.empty()) {
    if (text.size() < 2) return false;
    auto token = text.substr(0, 2);
    bool known = false;
    for (const auto& r : right_names) {
      if (starts_with_nocase(token, r.name)) {
        out |= r.mask;
        known = true;
        break;
      }
    }
    // The mandatory label's no-write-up, no-read-up, no-execute-up.
    if (!known && label_rights) {
      constexpr std::array<right_name, 3> label{{{"NW", 1}, {"NR", 2}, {"NX", 4}}};
      for (const auto& r : label) {
        if (starts_with_nocase(token, r.name)) {
          out |= r.mask;
          known = true;
        }
      }
    }
    if (!known) return false;
    text.remove_prefix(2);
  }
  return true;
}

bool parse_ace_flags(std::string_view text, bool audit, std::uint8_t& out) {
  out = 0;
  while (!text.empty()) {
    if (text.size() < 2) return false;
    auto token = text.substr(0, 2);
    bool known = false;
    for (const auto& f : ace_flag_names) {
      if (starts_with_nocase(token, f.name)) {
        out |= f.flag;
        known = true;
      }
    }
    if (!known && audit && (starts_with_nocase(token, "SA") || starts_with_nocase(token, "FA")))
      known = true;
    if (!known) return false;
    text.remove_prefix(2);
  }
  return true;
}

// One "(type;flags;rights;object;inherited-object;sid)" without its
// parentheses. In a SACL (`audit`) the ACE is checked and not kept.
bool parse_ace(std::string_view text, bool audit, ace& out) {
  std::array<std::string_view, 6> fields;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    auto semi = text.find(';');
    if ((semi == std::string_view::npos) != (i == fields.size() - 1)) return false;
    fields[i] = text.substr(0, semi);
    if (semi != std::string_view::npos) text.remove_prefix(semi + 1);
  }
  bool label = false;
  if (!audit) {
    if (fields[0].size() != 1) return false;
    char type = upper(fields[0][0]);
    if (type == 'A')
      out.type = ace::kind::allow;
    else if (type == 'D')
      out.type = ace::kind::deny;
    else
      return false;
  } else {
    constexpr std::array<std::string_view, 3> audit_types{"AU", "AL", "ML"};
    if (std::none_of(audit_types.begin(), audit_types.end(), [&](auto t) {
          return fields[0].size() == 2 && starts_with_nocase(fields[0], t);
        }))
      return false;
    label = starts_with_nocase(fields[0], "ML");
  }
  // Object ACEs (OA, OD) carry GUIDs; the plain ACEs kept here have none.
  if (!fields[3].empty() || !fields[4].empty()) return false;
  return parse_ace_flags(fields[1], audit, out.flags) && parse_rights(fields[2], label, out.mask) &&
         !parse_sid(fields[5], out.trustee);
}

// "P", "AI", "AR", "NO_ACCESS_CONTROL" then "(ace)..." of a D: or S: body.
std::error_code parse_acl_section(std::string_view body, bool audit, security_descriptor& sd) {
  constexpr std::string_view no_access_control = "NO_ACCESS_CONTROL";
  bool null_acl = false;
  while (!body.empty() && body[0] != '(') {
    if (starts_with_nocase(body, no_access_control)) {
      null_acl = true;
      body.remove_prefix(no_access_control.size());
    } else if (starts_with_nocase(body, "AI") || starts_with_nocase(body, "AR")) {
      bool ai = upper(body[1]) == 'I';
      if (!audit) (ai ? sd.dacl_auto_inherited : sd.dacl_auto_inherit_req) = true;
      body.remove_prefix(2);
    } else if (upper(body[0]) == 'P') {
      if (!audit) sd.dacl_protected = true;
      body.remove_prefix(1);
    } else {
      return errc::invalid_acl;
    }
  }
  std::vector<ace> aces;
  while (!body.empty()) {
    if (body[0] != '(') return errc::invalid_acl;
    auto close = body.find(')');
    if (close == std::string_view::npos) return errc::invalid_acl;
    ace entry;
    if (!parse_ace(body.substr(1, close - 1), audit, entry)) return errc::invalid_acl;
    if (!audit) aces.push_back(std::move(entry));
    body.remove_prefix(close + 1);
  }
  // A null ACL with ACEs is a contradiction.
  if (null_acl && !aces.empty()) return errc::invalid_acl;
  if (!audit) {
    if (acl_size(aces) > max_acl_bytes) return errc::invalid_acl;
    sd.dacl_present = true;
    sd.dacl_null = null_acl;
    sd.dacl = std::move(aces);
  }
  return {};
}

void put_u16(std::vector<std::uint8_t>& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v));
  out.push_back(static_cast<std::uint8_t>(v >> 8));
}
void put_u32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
void set_u32(std::vector<std::uint8_t>& out, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
}
std::uint16_t get_u16(std::span<const std::uint8_t> b, std::size_t at) {
  return static_cast<std::uint16_t>(b[at] | b[at + 1] << 8);
}
std::uint32_t get_u32(std::span<const std::uint8_t> b, std::size_t at) {
  return static_cast<std::uint32_t>(b[at]) | static_cast<std::uint32_t>(b[at + 1]) << 8 |
         static_cast<std::uint32_t>(b[at + 2]) << 16 | static_cast<std::uint32_t>(b[at + 3]) << 24;
}

constexpr std::size_t header_bytes = 20;  // SECURITY_DESCRIPTOR_RELATIVE
constexpr std::size_t acl_header_bytes = 8;
constexpr std::size_t ace_header_bytes = 8;  // ACE_HEADER and Mask

}  // namespace

std::error_code parse_sddl(std::string_view input, security_descriptor& out) {
  if (input.size() > max_sddl_bytes) return errc::invalid_parameter;
  // Windows skips white space between tokens; no token accepted here
  // holds any, so dropping all of it reads the same.
  std::string compact;
  compact.reserve(input.size());
  for (char c : input)
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') compact.push_back(c);
  std::string_view text = compact;
  security_descriptor sd;
  bool seen_owner = false, seen_group = false, seen_dacl = false, seen_sacl = false;
  std::size_t pos = 0;
  while (pos < text.size()) {
    if (!is_section_start(text, pos)) return errc::invalid_parameter;
    char letter = text[pos];
    std::size_t end = section_end(text, pos + 2);
    std::string_view body = text.substr(pos + 2, end - pos - 2);
    switch (letter) {
      case 'O':
      case 'G': {
        bool& seen = letter == 'O' ? seen_owner : seen_group;
        if (seen) return errc::invalid_parameter;
        seen = true;
        sid s;
        if (parse_sid(body, s)) return errc::invalid_sid;
        (letter == 'O' ? sd.owner : sd.group) = std::move(s);
        break;
      }
      case 'D':
      case 'S': {
        bool& seen = letter == 'D' ? seen_dacl : seen_sacl;
        if (seen) return errc::invalid_parameter;
        seen = true;
        if (auto ec = parse_acl_section(body, letter == 'S', sd)) return ec;
        break;
      }
    }
    pos = end;
  }
  out = std::move(sd);
  return {};
}

std::string rights_to_sddl(std::uint32_t mask) {
  if (mask == 0) return {};
  for (const auto& r : right_names)
    if (r.mask == mask) return std::string(r.name);
  std::string text;
  for (int bit = 0; bit < 32; ++bit) {
    if (!(mask & (1u << bit))) continue;
    if (bit_names[bit].empty()) {
      char buf[16];
      std::snprintf(buf, sizeof buf, "0x%x", mask);
      return buf;
    }
    text += bit_names[bit];
  }
  return text;
}

std::string to_sddl(const security_descriptor& sd, std::uint32_t parts) {
  std::string text;
  if ((parts & info::owner) && sd.owner) text += "O:" + to_sddl_sid(*sd.owner);
  if ((parts & info::group) && sd.group) text += "G:" + to_sddl_sid(*sd.group);
  if ((parts & info::dacl) && sd.dacl_present) {
    text += "D:";
    if (sd.dacl_protected) text += "P";
    if (sd.dacl_auto_inherit_req) text += "AR";
    if (sd.dacl_auto_inherited) text += "AI";
    if (sd.dacl_null) text += "NO_ACCESS_CONTROL";
    for (const auto& a : sd.dacl) {
      text += a.type == ace::kind::allow ? "(A;" : "(D;";
      for (const auto& f : ace_flag_names)
        if (a.flags & f.flag) text += f.name;
      text += ";" + rights_to_sddl(a.mask) + ";;;" + to_sddl_sid(a.trustee) + ")";
    }
  }
  return text;
}

std::string to_sddl(const security_descriptor& sd) {
  return to_sddl(sd, info::all);
}

std::uint16_t control_bits(const security_descriptor& sd) {
  std::uint16_t bits = control::self_relative;
  if (sd.dacl_present) bits |= control::dacl_present;
  if (sd.dacl_protected) bits |= control::dacl_protected;
  if (sd.dacl_auto_inherited) bits |= control::dacl_auto_inherited;
  if (sd.dacl_auto_inherit_req) bits |= control::dacl_auto_inherit_req;
  return bits;
}

std::size_t acl_size(const std::vector<ace>& acl) {
  std::size_t size = acl_header_bytes;
  for (const auto& a : acl) size += ace_header_bytes + binary_size(a.trustee);
  return size;
}

void append_acl(const std::vector<ace>& acl, std::vector<std::uint8_t>& out) {
  out.push_back(2);  // ACL_REVISION
  out.push_back(0);
  put_u16(out, static_cast<std::uint16_t>(acl_size(acl)));
  put_u16(out, static_cast<std::uint16_t>(acl.size()));
  put_u16(out, 0);
  for (const auto& a : acl) {
    out.push_back(static_cast<std::uint8_t>(a.type));
    out.push_back(a.flags);
    put_u16(out, static_cast<std::uint16_t>(ace_header_bytes + binary_size(a.trustee)));
    put_u32(out, a.mask);
    append_bytes(a.trustee, out);
  }
}

std::vector<std::uint8_t> to_self_relative(const security_descriptor& sd) {
  std::vector<std::uint8_t> out;
  out.push_back(1);  // SECURITY_DESCRIPTOR_REVISION
  out.push_back(0);
  put_u16(out, control_bits(sd));
  out.resize(header_bytes, 0);
  if (sd.owner) {
    set_u32(out, 4, static_cast<std::uint32_t>(out.size()));
    append_bytes(*sd.owner, out);
  }
  if (sd.group) {
    set_u32(out, 8, static_cast<std::uint32_t>(out.size()));
    append_bytes(*sd.group, out);
  }
  if (sd.dacl_present && !sd.dacl_null) {
    set_u32(out, 16, static_cast<std::uint32_t>(out.size()));
    append_acl(sd.dacl, out);
  }
  return out;
}

std::error_code acl_from_bytes(std::span<const std::uint8_t> bytes, std::vector<ace>& out) {
  if (bytes.size() < acl_header_bytes) return errc::invalid_acl;
  std::uint8_t revision = bytes[0];
  std::size_t size = get_u16(bytes, 2);
  std::size_t count = get_u16(bytes, 4);
  // ACL_REVISION (2) and ACL_REVISION_DS (4) share the layout of these ACEs.
  if ((revision != 2 && revision != 4) || size < acl_header_bytes || size > bytes.size())
    return errc::invalid_acl;
  std::vector<ace> aces;
  std::size_t at = acl_header_bytes;
  for (std::size_t i = 0; i < count; ++i) {
    if (size - at < ace_header_bytes) return errc::invalid_acl;
    std::uint8_t type = bytes[at];
    std::uint8_t flags = bytes[at + 1];
    std::size_t ace_size = get_u16(bytes, at + 2);
    // Allow and deny ACEs with inheritance flags only: the audit flags
    // belong to SACLs, other types to objects conduit does not have.
    if (type > 1 || (flags & ~ace_flags::valid) || ace_size < ace_header_bytes + 12 ||
        ace_size > size - at)
      return errc::invalid_acl;
    ace entry;
    entry.type = static_cast<ace::kind>(type);
    entry.flags = flags;
    entry.mask = get_u32(bytes, at + 4);
    std::size_t used = 0;
    if (from_bytes(bytes.subspan(at + ace_header_bytes, ace_size - ace_header_bytes), entry.trustee,
                   &used))
      return errc::invalid_acl;
    aces.push_back(std::move(entry));
    at += ace_size;
  }
  out = std::move(aces);
  return {};
}

std::error_code from_self_relative(std::span<const std::uint8_t> bytes, security_descriptor& out) {
  if (bytes.size() > max_binary_bytes) return errc::invalid_parameter;
  if (bytes.size() < header_bytes || bytes[0] != 1) return errc::invalid_security_descr;
  std::uint16_t bits = get_u16(bytes, 2);
  if (!(bits & control::self_relative)) return errc::invalid_security_descr;
  auto part = [&](std::size_t field, std::span<const std::uint8_t>& where) {
    std::uint32_t offset = get_u32(bytes, field);
    if (offset == 0) return false;
    if (offset < header_bytes || offset >= bytes.size()) return true;  // out of range
    where = bytes.subspan(offset);
    return false;
  };
  security_descriptor sd;
  std::span<const std::uint8_t> owner, group, dacl;
  if (part(4, owner) || part(8, group) || part(16, dacl)) return errc::invalid_security_descr;
  if (!owner.empty()) {
    sid s;
    if (from_bytes(owner, s)) return errc::invalid_sid;
    sd.owner = std::move(s);
  }
  if (!group.empty()) {
    sid s;
    if (from_bytes(group, s)) return errc::invalid_sid;
    sd.group = std::move(s);
  }
  if (bits & control::dacl_present) {
    sd.dacl_present = true;
    sd.dacl_protected = bits & control::dacl_protected;
    sd.dacl_auto_inherited = bits & control::dacl_auto_inherited;
    sd.dacl_auto_inherit_req = bits & control::dacl_auto_inherit_req;
    if (dacl.empty()) {
      sd.dacl_null = true;
    } else if (auto ec = acl_from_bytes(dacl, sd.dacl)) {
      return ec;
    }
  }
  out = std::move(sd);
  return {};
}

}  // namespace conduit::detail::security
