// Opening a pipe on another machine: `\\host\pipe\x` over SMB2, as Windows
// opens it (docs/remote-pipes.md): through conduit's own SMB2 client
// (remote/smb2_session.hpp) for a user name and password, through
// libsmbclient (`smb://host/IPC$/x`) for a Kerberos logon.
//
// The caller gets what a local open gives: one end of a socket pair (a
// message socket, as pipe_channel frames it) and an instance page, so that
// every front door (pipe_client, CreateFile, overlapped I/O, waits) works
// on it unchanged. A relay process of the pipe's own sits between the
// other end and the SMB connection.
//
// Credentials, in this order (never a silent anonymous logon):
//   CONDUIT_SMB_CREDENTIALS  a file as smbclient -A reads it:
//                            "username = ...", "password = ...", "domain = ..."
//   CONDUIT_SMB_USER, CONDUIT_SMB_PASSWORD, CONDUIT_SMB_DOMAIN
//   CONDUIT_SMB_KERBEROS=1   the Kerberos ticket in the ccache (KRB5CCNAME)
// CONDUIT_SMB_PORT picks another port than 445.
//
// The relay reads from the server only when the client asks for data: a
// read on the client's end that finds nothing to take signals the relay
// (an eventfd, `read_demand`), which makes one SMB read and hands over what
// it brings. Over SMB2 that read returns what the server has, a message at
// most, STATUS_BUFFER_OVERFLOW saying more of it follows: the relay reads
// on and hands the message over whole, so the server's boundaries come
// through; writes go out while a read waits at the server. Through
// libsmbclient, whose read returns only once its whole buffer is filled and
// hides STATUS_BUFFER_OVERFLOW, the read is of one byte, boundaries are
// lost, and a waiting read holds back writes (its calls are synchronous).
#pragma once

#include <cstdint>
#include <system_error>

#include "core/object_name.hpp"
#include "core/unique_fd.hpp"

namespace conduit::detail::remote {

/// What an open of a remote pipe hands over.
struct smb_pipe {
  unique_fd socket;  // the client's end (SOCK_SEQPACKET, message framing)
  unique_fd page;    // a sealed instance page whose serial stays 0
  /// An eventfd the client's reads add 1 to when they would wait: each
  /// asks the relay for one SMB read (pipe_channel::set_read_demand).
  unique_fd read_demand;
  /// The relay keeps the server's message boundaries (conduit's SMB2
  /// client): message read mode works on the handle.
  bool message_reads = false;
};

/// Whether this build reaches remote pipes (it was built with libsmbclient).
[[nodiscard]] bool smb_client_available();

/// Opens `name` (not local) for `access` (data_direction bits: want_read or
/// want_write). Errors, in the order they are found: ERROR_BAD_NETPATH (the
/// host cannot be reached, has no IPC$, or this build has no SMB client),
/// ERROR_LOGON_FAILURE (no credentials found, or refused, or only a guest
/// session granted; through libsmbclient a refused logon is
/// ERROR_ACCESS_DENIED), ERROR_NOT_SUPPORTED (the server wants more than
/// SMB 2.1 and NTLMv2 give, or Kerberos without libsmbclient),
/// ERROR_UNEXP_NET_ERR (a server answered what SMB is not), ERROR_SEM_TIMEOUT
/// (a setup step took over 30 s), ERROR_ACCESS_DENIED (the open refused),
/// ERROR_FILE_NOT_FOUND, ERROR_PIPE_BUSY.
[[nodiscard]] std::error_code open_smb_pipe(const object_name& name, std::uint32_t access,
                                            smb_pipe& out);

}  // namespace conduit::detail::remote
