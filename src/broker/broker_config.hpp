// conduitd.conf: the broker's settings, read once at start.
//
// One setting a line, `name = value`; blank lines and lines whose first
// non-blank character is `#` are ignored. Names:
//
//     max-descriptors      = N   descriptors held for all peers together
//     descriptors-per-user = N   of which one uid may hold
//     max-waits            = N   queued WaitNamedPipe calls, all users
//     waits-per-user       = N   of which one uid may queue
//     admin-group          = G[,G...]  groups whose members hold
//                                BUILTIN\Administrators (names or gids;
//                                empty: only root)
//     log-level            = error | warning | notice | info | debug
//
// Numbers are whole, from 1 to 1048576, and only lower the caps the broker
// derives from its descriptor limit (docs/broker.md, "Limits"). Every bad
// line is reported as FILE:LINE: what is wrong, all of them, not just the
// first; a broker with a bad configuration does not start.
//
//   auto parsed = broker::parse_config(text, "/etc/conduit/conduitd.conf", resolve_group);
//   for (auto& e : parsed.errors) log(log_level::error, e);
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "broker/broker_limits.hpp"
#include "broker/log.hpp"

namespace conduit::broker {

/// Where the system broker looks for its configuration when --config is
/// not given (a missing file there is no error).
inline constexpr const char* default_config_path = "/etc/conduit/conduitd.conf";

/// A file larger than this is refused whole: a configuration is a few lines.
inline constexpr std::size_t max_config_size = 64 * 1024;

struct broker_config {
  limit_settings limits;
  /// The administrators groups, when the file names them (an empty list:
  /// root only); nullopt leaves CONDUIT_ADMIN_GROUP or the default.
  std::optional<std::vector<gid_t>> admin_groups;
  std::optional<log_level> level;
};

struct config_result {
  broker_config config;
  /// "FILE:LINE: message" for every bad line, in order; empty when the text is good.
  std::vector<std::string> errors;
};

/// A group name (or number) to its gid; nullopt when there is no such group.
using group_resolver = std::function<std::optional<gid_t>(std::string_view)>;

/// Parses configuration `text`; `file` names it in the errors. `resolve`
/// looks up the groups of admin-group.
[[nodiscard]] config_result parse_config(std::string_view text, const std::string& file,
                                         const group_resolver& resolve);

/// Reads and parses `path`. A file that cannot be read is an error, except
/// when `missing_ok` and it does not exist (the result is then empty); so
/// is one that belongs to neither root nor this user, or that its group or
/// others may write.
[[nodiscard]] config_result read_config(const std::string& path, bool missing_ok,
                                        const group_resolver& resolve);

}  // namespace conduit::broker
