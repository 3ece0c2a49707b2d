#include "netbios/netbios_settings.hpp"

#include <cstdlib>

#include "core/object_name.hpp"
#include "netbios/netbios_name.hpp"

namespace conduit::detail::netbios {

bool parse_port(const char* text, std::uint16_t& port) {
  if (!text || !*text) return false;
  char* end = nullptr;
  long value = std::strtol(text, &end, 10);
  if (*end || value < 1 || value > 65535) return false;
  port = static_cast<std::uint16_t>(value);
  return true;
}

netbios_settings settings_from_environment() {
  netbios_settings s;
  std::uint16_t port = 0;
  if (parse_port(std::getenv("CONDUIT_NETBIOS_PORT"), port)) s.port = port;
  const char* name = std::getenv("CONDUIT_NETBIOS_NAME");
  s.name = netbios_form(name && *name ? name : local_host_name().c_str());
  if (s.name.empty()) s.name = "LOCALHOST";
  if (const char* group = std::getenv("CONDUIT_WORKGROUP"); group && *group)
    s.workgroup = netbios_form(group);
  if (const char* scope = std::getenv("CONDUIT_NETBIOS_SCOPE"); scope && valid_scope(scope))
    s.scope = scope;
  return s;
}

}  // namespace conduit::detail::netbios
