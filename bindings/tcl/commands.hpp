// The Tcl commands of the package, as TWAPI's twapi_namedpipe module names
// them: namedpipe_server, namedpipe_client, impersonate_namedpipe_client
// and revert_to_self (docs/tcl.md).
#pragma once

#include <tcl.h>

namespace conduit::tcl {

/// Creates the commands in the namespace `twapi` and, as the manual's
/// synopsis writes them, under their bare names in the global namespace
/// (unless a command of that name exists there already).
int create_commands(Tcl_Interp* interp);

}  // namespace conduit::tcl
