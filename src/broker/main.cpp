// conduitd: holds the names of pipes and mailslots; never touches their data.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

#include "broker/broker.hpp"
#include "broker/broker_config.hpp"
#include "broker/log.hpp"
#include "broker/socket_activation.hpp"
#include "core/runtime_dir.hpp"
#include "netbios/netbios_name.hpp"
#include "netbios/netbios_settings.hpp"
#include "security/access_check.hpp"
#include "security/sid.hpp"

namespace {

using namespace conduit::broker;

void usage(FILE* to) {
  std::fputs(
      "usage: conduitd [--system] [--runtime-dir DIR] [--config FILE] [--log-level LEVEL]\n"
      "                [--idle-exit SECONDS] [--detach] [--ready-fd N]\n"
      "  --system         serve all users from /run/conduit (or CONDUIT_SYSTEM_RUNTIME_DIR)\n"
      "  --runtime-dir    serve from DIR (default: CONDUIT_RUNTIME_DIR, or the session folder)\n"
      "  --config         read settings from FILE (default with --system and no\n"
      "                   --runtime-dir: /etc/conduit/conduitd.conf, if it exists)\n"
      "  --log-level      error, warning, notice (default), info or debug\n"
      "  --idle-exit      exit after SECONDS with no process connected (0: never)\n"
      "  --detach         run in the background, in a session of its own\n"
      "  --ready-fd       write 'R' to descriptor N once accepting connections\n"
      "  --netbios-port   receive mailslot datagrams from other machines on UDP port N\n"
      "                   (0: not at all; default: CONDUIT_NETBIOS_PORT if set, else 138\n"
      "                   with --system and none in a user's session)\n"
      "  --netbios-name   this machine's NetBIOS name (default: CONDUIT_NETBIOS_NAME, or\n"
      "                   the host name)\n"
      "  --workgroup      the workgroup or domain whose broadcasts it takes (default:\n"
      "                   CONDUIT_WORKGROUP, or WORKGROUP)\n"
      "  --netbios-scope  NetBIOS scope (default: CONDUIT_NETBIOS_SCOPE, or none)\n"
      "A listening socket handed over by a service manager (LISTEN_PID, LISTEN_FDS)\n"
      "is served instead of one of its own (socket activation).\n",
      to);
}

bool parse_int(const char* text, int& out) {
  char* end = nullptr;
  long value = std::strtol(text, &end, 10);
  if (!*text || *end || value < 0 || value > 1'000'000) return false;
  out = static_cast<int>(value);
  return true;
}

// A group name, through NSS, or a number naming a gid directly.
std::optional<gid_t> resolve_group(std::string_view name) {
  if (!name.empty() &&
      std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (name.size() > 9) return std::nullopt;
    return static_cast<gid_t>(std::strtoul(std::string(name).c_str(), nullptr, 10));
  }
  namespace sec = conduit::detail::security;
  sec::sid s;
  sec::account found;
  if (sec::lookup_name("Unix Group\\" + std::string(name), s, &found)) return std::nullopt;
  return sec::gid_of(s);
}

}  // namespace

int main(int argc, char** argv) {
  broker_options options;
  namespace nb = conduit::detail::netbios;
  nb::netbios_settings netbios = nb::settings_from_environment();
  std::optional<bool> listen_network;
  if (std::getenv("CONDUIT_NETBIOS_PORT")) listen_network = netbios.port != 0;
  bool detach = false;
  std::string config_path;
  std::optional<log_level> level;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    bool has_value = i + 1 < argc;
    if (arg == "--system") {
      options.system = true;
    } else if (arg == "--detach") {
      detach = true;
    } else if (arg == "--runtime-dir" && has_value) {
      options.runtime_dir = argv[++i];
    } else if (arg == "--config" && has_value) {
      config_path = argv[++i];
    } else if (arg == "--log-level" && has_value) {
      level = parse_log_level(argv[++i]);
      if (!level) {
        std::fprintf(stderr,
                     "conduitd: --log-level: \"%s\" is none of error, warning, notice, "
                     "info, debug\n",
                     argv[i]);
        return 2;
      }
    } else if (arg == "--idle-exit" && has_value) {
      if (!parse_int(argv[++i], options.idle_exit_seconds)) return usage(stderr), 2;
    } else if (arg == "--ready-fd" && has_value) {
      if (!parse_int(argv[++i], options.ready_fd)) return usage(stderr), 2;
    } else if (arg == "--help") {
      usage(stdout);
      return 0;
    } else if (arg == "--netbios-port" && has_value) {
      std::string port = argv[++i];
      listen_network = port != "0";
      if (*listen_network && !nb::parse_port(port.c_str(), netbios.port)) return usage(stderr), 2;
    } else if (arg == "--netbios-name" && has_value) {
      netbios.name = nb::netbios_form(argv[++i]);
      if (netbios.name.empty()) return usage(stderr), 2;
    } else if (arg == "--workgroup" && has_value) {
      netbios.workgroup = nb::netbios_form(argv[++i]);
      if (netbios.workgroup.empty()) return usage(stderr), 2;
    } else if (arg == "--netbios-scope" && has_value) {
      netbios.scope = argv[++i];
      if (!nb::valid_scope(netbios.scope)) return usage(stderr), 2;
    } else {
      usage(stderr);
      return 2;
    }
  }
  if (level) set_log_level(*level);

  // Taken first, so that whatever happens next no child inherits the
  // variables, and a socket that cannot be used is closed.
  activation activated = take_activated_socket();
  if (!activated.error.empty()) {
    log(log_level::error, "socket activation: " + activated.error);
    return 1;
  }
  options.listen_fd = activated.fd;

  // The system broker in its own folder reads the system's configuration
  // when there is one (a system-mode broker elsewhere, as tests run them,
  // does not); a file named on the command line must be there.
  bool explicit_config = !config_path.empty();
  if (!explicit_config && options.system && options.runtime_dir.empty())
    config_path = default_config_path;
  if (!config_path.empty()) {
    config_result parsed = read_config(config_path, !explicit_config, resolve_group);
    for (const auto& error : parsed.errors) log(log_level::error, error);
    if (!parsed.errors.empty()) return 1;
    options.limits = parsed.config.limits;
    if (parsed.config.admin_groups)
      conduit::detail::security::set_admin_groups(*parsed.config.admin_groups);
    if (parsed.config.level && !level) set_log_level(*parsed.config.level);
  }

  if (options.runtime_dir.empty()) {
    options.runtime_dir = options.system ? conduit::detail::system_runtime_dir()
                                         : conduit::detail::runtime_dir_override();
    if (options.runtime_dir.empty()) options.runtime_dir = conduit::detail::session_runtime_dir();
  }
  // The system broker is the machine's: it takes the network's datagrams
  // unless told otherwise. A user's session broker only when asked.
  if (listen_network.value_or(options.system)) options.netbios = netbios;
  // Detached, the broker outlives the process that started it and is no
  // child of it: that process need not reap it.
  if (detach) {
    pid_t child = ::fork();
    if (child < 0) return 1;
    if (child > 0) return 0;
    ::setsid();
  }
  return broker(options).run();
}
