// Where mailslot datagrams go and whom they are for: the settings the
// library (sending) and conduitd (receiving) share.
//
// Read from the environment, each with Windows' or RFC 1002's default:
//
//   CONDUIT_NETBIOS_PORT   UDP port of the datagram service      138
//   CONDUIT_NETBIOS_NAME   this machine's NetBIOS name            host name, first label,
//                                                                 upper case, 15 bytes
//   CONDUIT_WORKGROUP      the domain or workgroup it belongs to  WORKGROUP
//   CONDUIT_NETBIOS_SCOPE  NetBIOS scope (RFC 1001 5.2)           none
//
// conduitd takes the same as options (--netbios-port and so on), which
// win over the environment. A value that is not valid (a port of 0 or
// over 65535, a scope with empty labels) is ignored: the default holds.
#pragma once

#include <cstdint>
#include <string>

namespace conduit::detail::netbios {

struct netbios_settings {
  std::uint16_t port = 138;
  std::string name;                     // NetBIOS form, never empty
  std::string workgroup = "WORKGROUP";  // NetBIOS form
  std::string scope;
};

/// The settings as the environment gives them (read at each call).
[[nodiscard]] netbios_settings settings_from_environment();

/// Parses a port number (1..65535); false for anything else.
[[nodiscard]] bool parse_port(const char* text, std::uint16_t& port);

}  // namespace conduit::detail::netbios
