#include "broker/broker_config.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>

#include "core/unique_fd.hpp"

namespace conduit::broker {
namespace {

constexpr std::size_t max_number = std::size_t{1} << 20;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// What a peer or an editor may have put in a line, shown without letting it
// break the message: printable ASCII as is, the rest as \xNN, cut short.
std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size() && i < 64; ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out += static_cast<char>(c);
    } else {
      static constexpr char hex[] = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  if (s.size() > 64) out += "...";
  return out + "\"";
}

std::optional<std::size_t> parse_count(std::string_view value) {
  if (value.empty() || value.size() > 7) return std::nullopt;
  std::size_t n = 0;
  for (char c : value) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<std::size_t>(c - '0');
  }
  if (n < 1 || n > max_number) return std::nullopt;
  return n;
}

enum class setting {
  max_descriptors,
  descriptors_per_user,
  max_waits,
  waits_per_user,
  admin_group,
  log_level
};

constexpr std::array<std::pair<std::string_view, setting>, 6> settings = {{
    {"max-descriptors", setting::max_descriptors},
    {"descriptors-per-user", setting::descriptors_per_user},
    {"max-waits", setting::max_waits},
    {"waits-per-user", setting::waits_per_user},
    {"admin-group", setting::admin_group},
    {"log-level", setting::log_level},
}};

}  // namespace

config_result parse_config(std::string_view text, const std::string& file,
                           const group_resolver& resolve) {
  config_result result;
  auto fail = [&](std::size_t line, const std::string& message) {
    result.errors.push_back(file + ":" + std::to_string(line) + ": " + message);
  };
  if (text.size() > max_config_size) {
    fail(1, "the file is larger than " + std::to_string(max_config_size) + " bytes");
    return result;
  }
  std::map<setting, std::size_t> seen;  // setting -> line it was first set on
  std::size_t number = 0;
  while (!text.empty()) {
    ++number;
    auto end = text.find('\n');
    std::string_view raw = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    if (raw.find('\0') != std::string_view::npos) {
      fail(number, "the line holds a NUL byte");
      continue;
    }
    std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#') continue;
    auto equals = line.find('=');
    if (equals == std::string_view::npos) {
      fail(number, "expected NAME = VALUE, found " + quoted(line));
      continue;
    }
    std::string_view name = trim(line.substr(0, equals));
    std::string_view value = trim(line.substr(equals + 1));
    auto known = std::find_if(settings.begin(), settings.end(),
                              [&](const auto& entry) { return entry.first == name; });
    if (known == settings.end()) {
      std::string names;
      for (const auto& entry : settings)
        names += (names.empty() ? "" : ", ") + std::string(entry.first);
      fail(number, "unknown setting " + quoted(name) + " (known: " + names + ")");
      continue;
    }
    if (auto first = seen.find(known->second); first != seen.end()) {
      fail(number, std::string(name) + " is set twice (first on line " +
                       std::to_string(first->second) + ")");
      continue;
    }
    seen.emplace(known->second, number);
    switch (known->second) {
      case setting::max_descriptors:
      case setting::descriptors_per_user:
      case setting::max_waits:
      case setting::waits_per_user: {
        auto count = parse_count(value);
        if (!count) {
          fail(number, std::string(name) + ": " + quoted(value) + " is no whole number from 1 to " +
                           std::to_string(max_number));
          break;
        }
        auto& limits = result.config.limits;
        if (known->second == setting::max_descriptors) limits.descriptors_total = count;
        if (known->second == setting::descriptors_per_user) limits.descriptors_per_uid = count;
        if (known->second == setting::max_waits) limits.waits_total = count;
        if (known->second == setting::waits_per_user) limits.waits_per_uid = count;
        break;
      }
      case setting::admin_group: {
        std::vector<gid_t> gids;
        bool good = true;
        std::string_view rest = value;
        while (!rest.empty()) {
          auto comma = rest.find(',');
          std::string_view group = trim(rest.substr(0, comma));
          rest.remove_prefix(comma == std::string_view::npos ? rest.size() : comma + 1);
          std::optional<gid_t> gid;
          if (!group.empty() && resolve) gid = resolve(group);
          if (!gid) {
            fail(number, "admin-group: " + (group.empty() ? std::string("an empty group name")
                                                          : "no group " + quoted(group)));
            good = false;
            break;
          }
          gids.push_back(*gid);
        }
        if (good) result.config.admin_groups = std::move(gids);
        break;
      }
      case setting::log_level:
        if (auto level = parse_log_level(value)) {
          result.config.level = level;
        } else {
          fail(number,
               "log-level: " + quoted(value) + " is none of error, warning, notice, info, debug");
        }
        break;
    }
  }
  return result;
}

config_result read_config(const std::string& path, bool missing_ok, const group_resolver& resolve) {
  config_result result;
  detail::unique_fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!fd) {
    if (!(missing_ok && errno == ENOENT))
      result.errors.push_back(path + ": cannot read: " + std::strerror(errno));
    return result;
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    result.errors.push_back(path + ": is no regular file");
    return result;
  }
  // The file decides who is an administrator and how much anyone may hold:
  // one that someone else could have written is not taken (as sshd's
  // StrictModes refuses keys others may write).
  if ((st.st_uid != 0 && st.st_uid != ::geteuid()) || (st.st_mode & (S_IWGRP | S_IWOTH))) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(st.st_mode & 07777));
    result.errors.push_back(path + ": may be written by others (owner uid " +
                            std::to_string(st.st_uid) + ", mode " + mode +
                            "): it must belong to root or to this user and be writable by no "
                            "one else");
    return result;
  }
  std::string text;
  std::array<char, 4096> buffer;
  for (;;) {
    ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      result.errors.push_back(path + ": cannot read: " + std::strerror(errno));
      return result;
    }
    if (n == 0) break;
    text.append(buffer.data(), static_cast<std::size_t>(n));
    if (text.size() > max_config_size) break;  // parse_config says so
  }
  return parse_config(text, path, resolve);
}

}  // namespace conduit::broker
