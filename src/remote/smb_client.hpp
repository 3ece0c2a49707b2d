// Opening a pipe on another machine: `\\host\pipe\x` through libsmbclient
// (`smb://host/IPC$/x`), as Windows opens it over SMB (docs/remote-pipes.md).
//
// The caller gets what a local open gives: one end of a socket pair (a
// message socket, as pipe_channel frames it) and an instance page, so that
// every front door (pipe_client, CreateFile, overlapped I/O, waits) works
// on it unchanged. A thread of the pipe's own relays between the other end
// and the SMB file.
//
// Credentials, in this order (never a silent anonymous logon):
//   CONDUIT_SMB_CREDENTIALS  a file as smbclient -A reads it:
//                            "username = ...", "password = ...", "domain = ..."
//   CONDUIT_SMB_USER, CONDUIT_SMB_PASSWORD, CONDUIT_SMB_DOMAIN
//   CONDUIT_SMB_KERBEROS=1   the Kerberos ticket in the ccache (KRB5CCNAME)
// CONDUIT_SMB_PORT picks another port than 445.
//
// libsmbclient's calls are synchronous and one connection serves one call
// at a time: while the relay waits in an SMB read for the server's data, no
// write can go out. So the relay reads only when the client asks for data:
// a read on the client's end that finds nothing to take signals the relay
// (an eventfd, `read_demand`), which makes one SMB read and hands over what
// it brings. That read is of one byte: libsmbclient's read returns only
// once its whole buffer is filled (Samba's cli_read reads again after a
// short answer) and does not say where a message ends (SMB's
// STATUS_BUFFER_OVERFLOW stays inside it), so one byte is what never waits
// for more than the server has sent; the server's message boundaries do
// not come through. Writes go out as they
// come, one SMB write each, whenever the relay is not in a read. A read
// waiting on the handle therefore holds back a write made meanwhile, as
// a synchronous handle serialises its I/O on Windows
// (docs/remote-pipes.md).
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
/// host cannot be reached, or this build has no libsmbclient),
/// ERROR_LOGON_FAILURE (no credentials found), ERROR_ACCESS_DENIED (the
/// logon or the open refused: libsmbclient tells them apart no more),
/// ERROR_FILE_NOT_FOUND, ERROR_PIPE_BUSY.
[[nodiscard]] std::error_code open_smb_pipe(const object_name& name, std::uint32_t access,
                                            smb_pipe& out);

}  // namespace conduit::detail::remote
