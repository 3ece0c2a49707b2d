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
// What libsmbclient can carry decides what opens: its calls are
// synchronous, one connection serves one call at a time, and its read
// waits until the whole buffer is filled (or the file ends), where Windows
// returns one message. A relay cannot then wait for the server's data and
// send the client's at once, nor end a read at a message boundary. So a
// remote pipe opens for writing only (each write goes out as one SMB write,
// one message on a message pipe) or for reading only (the server's bytes
// come in as they arrive, one SMB read of a byte at a time, to be read in
// byte mode); asking for both is ERROR_NOT_SUPPORTED (docs/remote-pipes.md).
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
};

/// Whether this build reaches remote pipes (it was built with libsmbclient).
[[nodiscard]] bool smb_client_available();

/// Opens `name` (not local) for `access` (data_direction bits: want_read or
/// want_write). Errors, in the order they are found: ERROR_BAD_NETPATH (the
/// host cannot be reached, or this build has no libsmbclient),
/// ERROR_LOGON_FAILURE (no credentials found), ERROR_ACCESS_DENIED (the
/// logon or the open refused: libsmbclient tells them apart no more),
/// ERROR_FILE_NOT_FOUND, ERROR_PIPE_BUSY, and ERROR_NOT_SUPPORTED for both
/// directions at once (see above).
[[nodiscard]] std::error_code open_smb_pipe(const object_name& name, std::uint32_t access,
                                            smb_pipe& out);

}  // namespace conduit::detail::remote
