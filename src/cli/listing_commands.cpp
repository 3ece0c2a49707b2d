// conduit list and info: the pipes the broker knows, as Sysinternals'
// pipelist shows them on Windows, for people (a table) or programs (--json).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "cli/cli_support.hpp"
#include "cli/commands.hpp"
#include "conduit/pipe_listing.hpp"

namespace conduit::cli {
namespace {

const char* type_text(pipe_type t) {
  return t == pipe_type::message ? "message" : "byte";
}
const char* mode_text(read_mode m) {
  return m == read_mode::message ? "message" : "byte";
}
const char* direction_text(pipe_direction d) {
  switch (d) {
    case pipe_direction::inbound:
      return "inbound";
    case pipe_direction::outbound:
      return "outbound";
    default:
      return "duplex";
  }
}

std::string max_text(std::uint32_t max) {
  return max == unlimited_instances ? "unlimited" : std::to_string(max);
}

// `\\.\pipe\x` -> `x`, as pipelist shows names.
std::string short_name(const std::string& name) {
  std::string_view prefix = "\\\\.\\pipe\\";
  if (name.size() > prefix.size() && name.compare(0, prefix.size(), prefix) == 0)
    return name.substr(prefix.size());
  return name;
}

std::string servers_text(const listed_pipe& p) {
  if (!p.details_visible) return "-";
  std::string out;
  for (const auto& s : p.servers) {
    if (!out.empty()) out += ",";
    out += std::to_string(s.process_id) + "(" + s.user_name + ")";
  }
  if (p.server_count > p.servers.size())
    out += ",+" + std::to_string(p.server_count - p.servers.size());
  return out.empty() ? "-" : out;
}

std::string json_of(const listed_pipe& p) {
  std::string j = "{\"name\":" + json_string(p.name) +
                  ",\"instances\":" + std::to_string(p.current_instances) +
                  ",\"max_instances\":" + std::to_string(p.max_instances) +
                  ",\"listening\":" + std::to_string(p.listening_instances) +
                  ",\"details\":" + (p.details_visible ? "true" : "false");
  if (!p.details_visible)
    return j +
           ",\"type\":null,\"read_mode\":null,\"direction\":null,\"owner\":null,\"servers\":null}";
  j += ",\"type\":" + json_string(type_text(p.type)) +
       ",\"read_mode\":" + json_string(mode_text(p.mode)) +
       ",\"direction\":" + json_string(direction_text(p.direction)) +
       ",\"in_buffer\":" + std::to_string(p.in_buffer_size) +
       ",\"out_buffer\":" + std::to_string(p.out_buffer_size) +
       ",\"default_timeout_ms\":" + std::to_string(p.default_timeout_ms) +
       ",\"owner\":{\"uid\":" + std::to_string(p.owner_uid) +
       ",\"user\":" + json_string(p.owner_name) + "}" +
       ",\"server_count\":" + std::to_string(p.server_count) + ",\"servers\":[";
  for (std::size_t i = 0; i < p.servers.size(); ++i) {
    const auto& s = p.servers[i];
    j += std::string(i ? "," : "") + "{\"pid\":" + std::to_string(s.process_id) +
         ",\"uid\":" + std::to_string(s.uid) + ",\"user\":" + json_string(s.user_name) + "}";
  }
  return j + "]}";
}

void run_list(bool json) {
  std::error_code ec;
  auto pipes = list_pipes(ec);
  check(ec, "list");
  if (json) {
    std::printf("[");
    for (std::size_t i = 0; i < pipes.size(); ++i)
      std::printf("%s%s", i ? ",\n " : "", json_of(pipes[i]).c_str());
    std::printf("]\n");
    return;
  }
  std::size_t width = 4;
  for (const auto& p : pipes) width = std::max(width, short_name(p.name).size());
  std::printf("%-*s  %-7s  %9s  %9s  %s\n", static_cast<int>(width), "PIPE", "TYPE", "INSTANCES",
              "MAX", "SERVERS");
  for (const auto& p : pipes)
    std::printf("%-*s  %-7s  %9u  %9s  %s\n", static_cast<int>(width), short_name(p.name).c_str(),
                p.details_visible ? type_text(p.type) : "-", p.current_instances,
                max_text(p.max_instances).c_str(), servers_text(p).c_str());
}

void run_info(const std::string& name, bool json) {
  std::string path = pipe_path(name);
  std::error_code ec;
  auto p = describe_pipe(path, ec);
  check(ec, "info " + path);
  if (json) {
    std::printf("%s\n", json_of(*p).c_str());
    return;
  }
  std::printf("name:        %s\n", p->name.c_str());
  std::printf("instances:   %u of %s (%u listening)\n", p->current_instances,
              max_text(p->max_instances).c_str(), p->listening_instances);
  if (!p->details_visible) {
    std::printf("details:     hidden (this user may not open the pipe)\n");
    return;
  }
  std::printf("type:        %s\n", type_text(p->type));
  std::printf("read mode:   %s\n", mode_text(p->mode));
  std::printf("direction:   %s\n", direction_text(p->direction));
  std::printf("buffers:     in %u, out %u bytes\n", p->in_buffer_size, p->out_buffer_size);
  std::printf("timeout:     %u ms\n", p->default_timeout_ms);
  std::printf("owner:       %s (uid %u)\n", p->owner_name.c_str(), p->owner_uid);
  std::printf("servers:     %s\n", servers_text(*p).c_str());
}

}  // namespace

void add_listing_commands(CLI::App& app) {
  auto json = std::make_shared<bool>(false);
  auto* list = app.add_subcommand(
      "list", "Every pipe: type, instances in use and max, server processes and users");
  list->add_flag("--json", *json, "one JSON array");
  list->callback([json] { run_list(*json); });

  auto info_args = std::make_shared<std::pair<std::string, bool>>();
  auto* info = app.add_subcommand(
      "info", "One pipe: type, read mode, instances, buffer sizes, server pids and users");
  info->add_option("name", info_args->first, "pipe name")->required();
  info->add_flag("--json", info_args->second, "one JSON object");
  info->callback([info_args] { run_info(info_args->first, info_args->second); });
}

}  // namespace conduit::cli
