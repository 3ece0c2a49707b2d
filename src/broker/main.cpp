// conduitd: holds the names of pipes and mailslots; never touches their data.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

#include "broker/broker.hpp"
#include "core/runtime_dir.hpp"
#include "netbios/netbios_name.hpp"
#include "netbios/netbios_settings.hpp"

namespace {

void usage() {
  std::fputs(
      "usage: conduitd [--system] [--runtime-dir DIR] [--idle-exit SECONDS] [--detach] [--ready-fd "
      "N]\n"
      "  --system         serve all users from /run/conduit (or CONDUIT_SYSTEM_RUNTIME_DIR)\n"
      "  --runtime-dir    serve from DIR (default: CONDUIT_RUNTIME_DIR, or the session folder)\n"
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
      "  --netbios-scope  NetBIOS scope (default: CONDUIT_NETBIOS_SCOPE, or none)\n",
      stderr);
}

bool parse_int(const char* text, int& out) {
  char* end = nullptr;
  long value = std::strtol(text, &end, 10);
  if (!*text || *end || value < 0 || value > 1'000'000) return false;
  out = static_cast<int>(value);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  conduit::broker::broker_options options;
  namespace nb = conduit::detail::netbios;
  nb::netbios_settings netbios = nb::settings_from_environment();
  std::optional<bool> listen_network;
  if (std::getenv("CONDUIT_NETBIOS_PORT")) listen_network = netbios.port != 0;
  bool detach = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    bool has_value = i + 1 < argc;
    if (arg == "--system") {
      options.system = true;
    } else if (arg == "--detach") {
      detach = true;
    } else if (arg == "--runtime-dir" && has_value) {
      options.runtime_dir = argv[++i];
    } else if (arg == "--idle-exit" && has_value) {
      if (!parse_int(argv[++i], options.idle_exit_seconds)) return usage(), 2;
    } else if (arg == "--ready-fd" && has_value) {
      if (!parse_int(argv[++i], options.ready_fd)) return usage(), 2;
    } else if (arg == "--netbios-port" && has_value) {
      std::string port = argv[++i];
      listen_network = port != "0";
      if (*listen_network && !nb::parse_port(port.c_str(), netbios.port)) return usage(), 2;
    } else if (arg == "--netbios-name" && has_value) {
      netbios.name = nb::netbios_form(argv[++i]);
      if (netbios.name.empty()) return usage(), 2;
    } else if (arg == "--workgroup" && has_value) {
      netbios.workgroup = nb::netbios_form(argv[++i]);
      if (netbios.workgroup.empty()) return usage(), 2;
    } else if (arg == "--netbios-scope" && has_value) {
      netbios.scope = argv[++i];
      if (!nb::valid_scope(netbios.scope)) return usage(), 2;
    } else {
      usage();
      return arg == "--help" ? 0 : 2;
    }
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
  return conduit::broker::broker(options).run();
}
