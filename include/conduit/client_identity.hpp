// conduit/client_identity.hpp: who is at the other end of a server's pipe.
//
// When a client opens a pipe, the broker writes into the server's end what
// the kernel says of the client's process (its SO_PEERCRED credentials):
// the process, user and groups, as they were at the moment of the open. The
// client cannot choose them; it chooses only how far the server may act on
// its behalf (impersonation_level, CreateFile's SECURITY_SQOS_PRESENT flags).
//
//   auto server = conduit::pipe_server::create(R"(\\.\pipe\service)");
//   server.connect();
//   conduit::client_identity who = server.client_identity();
//   std::printf("%s (uid %u, pid %u)\n", who.user_name.c_str(), who.uid, who.process_id);
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace conduit {

/// How far a client lets a server act as it (SECURITY_IMPERSONATION_LEVEL).
/// The values are Windows's SecurityAnonymous .. SecurityDelegation.
enum class impersonation_level : std::uint8_t {
  anonymous = 0,       // the server learns nothing of the client while impersonating
  identification = 1,  // the server may ask who the client is, not act as it
  impersonation = 2,   // the server may act as the client on this machine (the default)
  delegation = 3,      // as impersonation; Linux has no further reach to give
};

/// The client of a connected server instance.
struct client_identity {
  std::uint32_t process_id = 0;       // GetNamedPipeClientProcessId
  std::uint32_t session_id = 0;       // GetNamedPipeClientSessionId: the process's session (getsid)
  std::uint32_t uid = 0;              // the client's effective user id
  std::uint32_t gid = 0;              // its effective group id
  std::vector<std::uint32_t> groups;  // its supplementary groups (at most 64 of them)
  /// The user's name from the system's user database (getpwuid_r: files,
  /// LDAP, whatever NSS is set up with), or the uid in decimal when it has
  /// none.
  std::string user_name;
  /// What the client allowed (impersonation when it said nothing).
  impersonation_level level = impersonation_level::impersonation;
  /// Whether the client is on another machine: an SMB client that reached
  /// the pipe through conduit-smb-bridge (docs/remote-pipes.md). Its
  /// process_id is then the id of the smbd process serving it.
  bool remote = false;
  /// A remote client's computer, as smbd heard it: its name (NetBIOS or
  /// DNS; GetNamedPipeClientComputerName), empty when smbd knew none, and
  /// its IP address in text. Both empty for a local client.
  std::string computer_name;
  std::string address;
};

}  // namespace conduit
