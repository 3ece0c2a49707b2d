// conduit/pipe_listing.hpp: which named pipes exist, with their instances
// and server processes (what Sysinternals' pipelist shows on Windows, and
// FindFirstFile on `\\.\pipe\*` enumerates).
//
//   for (const conduit::listed_pipe& p : conduit::list_pipes())
//     std::printf("%s %u/%u\n", p.name.c_str(), p.current_instances, p.max_instances);
//
// Anyone may see every name and its instance counts, as anyone may list
// `\\.\pipe\` on Windows. The pipe's parameters, owner and server processes
// are shown only to callers who could query the pipe (open a handle to it,
// SYNCHRONIZE in its descriptor); for the others `details_visible` is false
// and those fields are empty.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "conduit/pipe_options.hpp"

namespace conduit {

/// A process that holds server instances of a pipe.
struct pipe_server_process {
  std::uint32_t process_id = 0;
  std::uint32_t uid = 0;
  std::string user_name;  // through NSS, or the uid in decimal
};

/// One named pipe as the broker knows it.
struct listed_pipe {
  std::string name;                       // as its first instance spelt it: `\\.\pipe\x`
  std::uint32_t current_instances = 0;    // instances that exist now
  std::uint32_t max_instances = 0;        // 255: unlimited
  std::uint32_t listening_instances = 0;  // of those, waiting for a client
  /// Whether the caller may see what follows (it could query the pipe).
  bool details_visible = false;
  pipe_direction direction = pipe_direction::duplex;
  pipe_type type = pipe_type::byte;
  read_mode mode = read_mode::byte;  // the servers' read mode
  std::uint32_t out_buffer_size = 0;
  std::uint32_t in_buffer_size = 0;
  std::uint32_t default_timeout_ms = 0;
  std::uint32_t owner_uid = 0;  // who created the pipe
  std::string owner_name;
  /// How many processes hold server instances; `servers` lists the first
  /// 32 of them by process id.
  std::uint32_t server_count = 0;
  std::vector<pipe_server_process> servers;
};

/// Every pipe, in the order of their case-folded names. Errors: those of
/// the broker link (ERROR_SERVICE_NOT_ACTIVE, ERROR_TIMEOUT).
/// @throws std::system_error
[[nodiscard]] std::vector<listed_pipe> list_pipes();
[[nodiscard]] std::vector<listed_pipe> list_pipes(std::error_code& ec);

/// One pipe by name (any case). Errors: ERROR_FILE_NOT_FOUND when no such
/// pipe exists; ERROR_INVALID_NAME, ERROR_PATH_NOT_FOUND,
/// ERROR_FILENAME_EXCED_RANGE for a bad name; ERROR_BAD_NETPATH for a remote
/// host; those of the broker link.
/// @throws std::system_error
[[nodiscard]] listed_pipe describe_pipe(std::string_view name);
[[nodiscard]] std::optional<listed_pipe> describe_pipe(std::string_view name, std::error_code& ec);

}  // namespace conduit
