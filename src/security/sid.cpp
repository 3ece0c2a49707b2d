// SIDs: text, aliases, binary form, and the NSS lookups.
#include "security/sid.hpp"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstring>

#include "conduit/error.hpp"

namespace conduit::detail::security {
namespace {

constexpr std::uint64_t max_authority = 0xffff'ffff'ffffULL;
constexpr std::uint64_t unix_authority = 22;  // Samba's S-1-22

struct alias_entry {
  std::string_view alias;
  std::uint64_t authority;
  std::array<std::uint32_t, 2> subs;
  std::size_t count;
};

// The SDDL aliases that stand for one fixed SID. Domain-relative ones (LA,
// DA, ...) need a Windows domain and are unknown here.
constexpr std::array<alias_entry, 36> aliases{{
    {"WD", 1, {0}, 1},       {"CO", 3, {0}, 1},       {"CG", 3, {1}, 1},
    {"OW", 3, {4}, 1},       {"NU", 5, {2}, 1},       {"IU", 5, {4}, 1},
    {"SU", 5, {6}, 1},       {"AN", 5, {7}, 1},       {"ED", 5, {9}, 1},
    {"PS", 5, {10}, 1},      {"AU", 5, {11}, 1},      {"RC", 5, {12}, 1},
    {"SY", 5, {18}, 1},      {"LS", 5, {19}, 1},      {"NS", 5, {20}, 1},
    {"WR", 5, {33}, 1},      {"BA", 5, {32, 544}, 2}, {"BU", 5, {32, 545}, 2},
    {"BG", 5, {32, 546}, 2}, {"PU", 5, {32, 547}, 2}, {"AO", 5, {32, 548}, 2},
    {"SO", 5, {32, 549}, 2}, {"PO", 5, {32, 550}, 2}, {"BO", 5, {32, 551}, 2},
    {"RE", 5, {32, 552}, 2}, {"RU", 5, {32, 554}, 2}, {"RD", 5, {32, 555}, 2},
    {"NO", 5, {32, 556}, 2}, {"MU", 5, {32, 558}, 2}, {"LU", 5, {32, 559}, 2},
    {"IS", 5, {32, 568}, 2}, {"AC", 15, {2, 1}, 2},   {"LW", 16, {4096}, 1},
    {"ME", 16, {8192}, 1},   {"HI", 16, {12288}, 1},  {"SI", 16, {16384}, 1},
}};

sid sid_of(const alias_entry& e) {
  return sid{1, e.authority, std::vector<std::uint32_t>(e.subs.begin(), e.subs.begin() + e.count)};
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::toupper(static_cast<unsigned char>(x)) ==
                  std::toupper(static_cast<unsigned char>(y));
         });
}

// One number of a SID string: decimal, or hex after 0x / 0X.
bool parse_number(std::string_view text, std::uint64_t limit, std::uint64_t& out) {
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    text.remove_prefix(2);
    base = 16;
  }
  if (text.empty()) return false;
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (ec != std::errc{} || end != text.data() + text.size() || value > limit) return false;
  out = value;
  return true;
}

std::error_code invalid_sid() {
  return errc::invalid_sid;
}
std::error_code none_mapped() {
  return errc::none_mapped;
}

void put_u32le(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

// A name and a domain from the well-known accounts, as Windows spells them.
struct named_account {
  std::string_view alias;  // the SID, by its SDDL alias
  std::string_view name;
  std::string_view domain;
  account_kind kind;
};
constexpr std::array<named_account, 12> named_accounts{{
    {"WD", "Everyone", "", account_kind::well_known_group},
    {"CO", "CREATOR OWNER", "", account_kind::well_known_group},
    {"CG", "CREATOR GROUP", "", account_kind::well_known_group},
    {"OW", "OWNER RIGHTS", "", account_kind::well_known_group},
    {"NU", "NETWORK", "NT AUTHORITY", account_kind::well_known_group},
    {"IU", "INTERACTIVE", "NT AUTHORITY", account_kind::well_known_group},
    {"AN", "ANONYMOUS LOGON", "NT AUTHORITY", account_kind::well_known_group},
    {"AU", "Authenticated Users", "NT AUTHORITY", account_kind::well_known_group},
    {"SY", "SYSTEM", "NT AUTHORITY", account_kind::well_known_group},
    {"BA", "Administrators", "BUILTIN", account_kind::alias},
    {"BU", "Users", "BUILTIN", account_kind::alias},
    {"BG", "Guests", "BUILTIN", account_kind::alias},
}};
constexpr std::string_view unix_user_domain = "Unix User";
constexpr std::string_view unix_group_domain = "Unix Group";

// getpw*_r / getgr*_r want a buffer; grow it on ERANGE, within reason.
template <typename Call>
bool with_nss_buffer(Call call) {
  std::vector<char> buffer(1024);
  while (buffer.size() <= (1u << 20)) {
    int rc = call(buffer);
    if (rc != ERANGE) return rc == 0;
    buffer.resize(buffer.size() * 2);
  }
  return false;
}

bool user_by_name(const std::string& name, uid_t& uid, std::string& canonical) {
  return with_nss_buffer([&](std::vector<char>& buf) {
    passwd pw{};
    passwd* result = nullptr;
    int rc = getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &result);
    if (rc == 0 && result) {
      uid = pw.pw_uid;
      canonical = pw.pw_name;
    } else if (rc == 0) {
      rc = ENOENT;
    }
    return rc;
  });
}

bool group_by_name(const std::string& name, gid_t& gid, std::string& canonical) {
  return with_nss_buffer([&](std::vector<char>& buf) {
    group gr{};
    group* result = nullptr;
    int rc = getgrnam_r(name.c_str(), &gr, buf.data(), buf.size(), &result);
    if (rc == 0 && result) {
      gid = gr.gr_gid;
      canonical = gr.gr_name;
    } else if (rc == 0) {
      rc = ENOENT;
    }
    return rc;
  });
}

bool user_name(uid_t uid, std::string& name) {
  return with_nss_buffer([&](std::vector<char>& buf) {
    passwd pw{};
    passwd* result = nullptr;
    int rc = getpwuid_r(uid, &pw, buf.data(), buf.size(), &result);
    if (rc == 0 && result)
      name = pw.pw_name;
    else if (rc == 0)
      rc = ENOENT;
    return rc;
  });
}

bool group_name(gid_t gid, std::string& name) {
  return with_nss_buffer([&](std::vector<char>& buf) {
    group gr{};
    group* result = nullptr;
    int rc = getgrgid_r(gid, &gr, buf.data(), buf.size(), &result);
    if (rc == 0 && result)
      name = gr.gr_name;
    else if (rc == 0)
      rc = ENOENT;
    return rc;
  });
}

}  // namespace

sid user_sid(uid_t uid) {
  return sid{1, unix_authority, {1, static_cast<std::uint32_t>(uid)}};
}
sid group_sid(gid_t gid) {
  return sid{1, unix_authority, {2, static_cast<std::uint32_t>(gid)}};
}

std::optional<uid_t> uid_of(const sid& s) {
  if (s.revision == 1 && s.authority == unix_authority && s.sub_authorities.size() == 2 &&
      s.sub_authorities[0] == 1)
    return static_cast<uid_t>(s.sub_authorities[1]);
  return std::nullopt;
}

std::optional<gid_t> gid_of(const sid& s) {
  if (s.revision == 1 && s.authority == unix_authority && s.sub_authorities.size() == 2 &&
      s.sub_authorities[0] == 2)
    return static_cast<gid_t>(s.sub_authorities[1]);
  return std::nullopt;
}

std::error_code parse_sid(std::string_view text, sid& out) {
  if (text.size() == 2) {
    for (const auto& e : aliases) {
      if (iequals(text, e.alias)) {
        out = sid_of(e);
        return {};
      }
    }
    return invalid_sid();
  }
  if (text.size() < 2 || (text[0] != 'S' && text[0] != 's') || text[1] != '-') return invalid_sid();
  text.remove_prefix(2);
  std::vector<std::string_view> parts;
  while (true) {
    auto dash = text.find('-');
    parts.push_back(text.substr(0, dash));
    if (dash == std::string_view::npos) break;
    text.remove_prefix(dash + 1);
  }
  // Revision, authority, and 1 to 15 sub-authorities.
  if (parts.size() < 3 || parts.size() > 2 + max_sub_authorities) return invalid_sid();
  std::uint64_t revision = 0, authority = 0;
  if (!parse_number(parts[0], 0xff, revision) || revision != 1) return invalid_sid();
  if (!parse_number(parts[1], max_authority, authority)) return invalid_sid();
  sid result{static_cast<std::uint8_t>(revision), authority, {}};
  for (std::size_t i = 2; i < parts.size(); ++i) {
    std::uint64_t value = 0;
    if (!parse_number(parts[i], 0xffff'ffffULL, value)) return invalid_sid();
    result.sub_authorities.push_back(static_cast<std::uint32_t>(value));
  }
  out = std::move(result);
  return {};
}

std::string to_string(const sid& s) {
  std::string text = "S-" + std::to_string(s.revision) + "-";
  if (s.authority > 0xffff'ffffULL) {
    // Windows writes a large authority as 12 hex digits.
    char buf[24];
    std::snprintf(buf, sizeof buf, "0x%012llx", static_cast<unsigned long long>(s.authority));
    text += buf;
  } else {
    text += std::to_string(s.authority);
  }
  for (auto sub : s.sub_authorities) text += "-" + std::to_string(sub);
  return text;
}

std::optional<std::string_view> sddl_alias(const sid& s) {
  for (const auto& e : aliases) {
    if (s.revision == 1 && s.authority == e.authority && s.sub_authorities.size() == e.count &&
        std::equal(s.sub_authorities.begin(), s.sub_authorities.end(), e.subs.begin()))
      return e.alias;
  }
  return std::nullopt;
}

std::string to_sddl_sid(const sid& s) {
  if (auto alias = sddl_alias(s)) return std::string(*alias);
  return to_string(s);
}

bool is_valid(const sid& s) {
  return s.revision == 1 && s.sub_authorities.size() <= max_sub_authorities &&
         s.authority <= max_authority;
}

std::size_t binary_size(const sid& s) {
  return 8 + 4 * s.sub_authorities.size();
}

void append_bytes(const sid& s, std::vector<std::uint8_t>& out) {
  out.push_back(s.revision);
  out.push_back(static_cast<std::uint8_t>(s.sub_authorities.size()));
  for (int i = 5; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(s.authority >> (8 * i)));
  for (auto sub : s.sub_authorities) put_u32le(out, sub);
}

std::vector<std::uint8_t> to_bytes(const sid& s) {
  std::vector<std::uint8_t> out;
  out.reserve(binary_size(s));
  append_bytes(s, out);
  return out;
}

std::error_code from_bytes(std::span<const std::uint8_t> bytes, sid& out, std::size_t* used) {
  if (bytes.size() < 8) return invalid_sid();
  std::size_t count = bytes[1];
  // One sub-authority at least, as in the text form: a SID without any
  // names a whole authority, never an account an ACE could mean.
  if (bytes[0] != 1 || count < 1 || count > max_sub_authorities || bytes.size() < 8 + 4 * count)
    return invalid_sid();
  sid result{bytes[0], 0, {}};
  for (int i = 0; i < 6; ++i) result.authority = (result.authority << 8) | bytes[2 + i];
  result.sub_authorities.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    const auto* p = bytes.data() + 8 + 4 * i;
    result.sub_authorities.push_back(
        static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
        static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24);
  }
  if (used) *used = 8 + 4 * count;
  out = std::move(result);
  return {};
}

std::error_code lookup_name(std::string_view name, sid& out, account* found) {
  if (name.empty() || name.size() > 256 || name.find('\0') != std::string_view::npos)
    return none_mapped();
  std::string_view domain;
  auto slash = name.find('\\');
  if (slash != std::string_view::npos) {
    domain = name.substr(0, slash);
    name.remove_prefix(slash + 1);
  }
  for (const auto& a : named_accounts) {
    if (iequals(name, a.name) && (slash == std::string_view::npos || iequals(domain, a.domain))) {
      sid s;
      (void)parse_sid(a.alias, s);
      out = s;
      if (found) *found = account{std::string(a.name), std::string(a.domain), a.kind};
      return {};
    }
  }
  bool any_domain = slash == std::string_view::npos;
  std::string key(name);
  std::string canonical;
  if (any_domain || iequals(domain, unix_user_domain)) {
    uid_t uid = 0;
    if (user_by_name(key, uid, canonical)) {
      out = user_sid(uid);
      if (found) *found = account{canonical, std::string(unix_user_domain), account_kind::user};
      return {};
    }
  }
  if (any_domain || iequals(domain, unix_group_domain)) {
    gid_t gid = 0;
    if (group_by_name(key, gid, canonical)) {
      out = group_sid(gid);
      if (found) *found = account{canonical, std::string(unix_group_domain), account_kind::group};
      return {};
    }
  }
  return none_mapped();
}

std::string user_name_or_number(uid_t uid) {
  std::string name;
  return user_name(uid, name) ? name : std::to_string(uid);
}

std::error_code lookup_sid(const sid& s, account& out) {
  if (auto alias = sddl_alias(s)) {
    for (const auto& a : named_accounts) {
      if (a.alias == *alias) {
        out = account{std::string(a.name), std::string(a.domain), a.kind};
        return {};
      }
    }
  }
  std::string name;
  if (auto uid = uid_of(s); uid && user_name(*uid, name)) {
    out = account{name, std::string(unix_user_domain), account_kind::user};
    return {};
  }
  if (auto gid = gid_of(s); gid && group_name(*gid, name)) {
    out = account{name, std::string(unix_group_domain), account_kind::group};
    return {};
  }
  return none_mapped();
}

}  // namespace conduit::detail::security
