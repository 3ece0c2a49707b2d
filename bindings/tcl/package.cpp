// The entry point Tcl's `load` calls: Conduit_Init provides the packages
// `conduit` and `twapi_namedpipe` (pkgIndex.tcl loads this library for
// either) and creates their commands.
#include <tcl.h>

#include "commands.hpp"

#ifndef CONDUIT_TCL_VERSION
#error "CONDUIT_TCL_VERSION: the package version, from CMake"
#endif

/// The TWAPI release whose twapi_namedpipe module this package follows.
#define CONDUIT_TWAPI_VERSION "4.3.5"

// No Conduit_SafeInit: a safe interpreter may not reach other processes.
extern "C" {

__attribute__((visibility("default"))) int Conduit_Init(Tcl_Interp* interp) {
  if (!Tcl_InitStubs(interp, "8.6", 0)) return TCL_ERROR;
  if (conduit::tcl::create_commands(interp) != TCL_OK) return TCL_ERROR;
  if (Tcl_PkgProvide(interp, "conduit", CONDUIT_TCL_VERSION) != TCL_OK) return TCL_ERROR;
  return Tcl_PkgProvide(interp, "twapi_namedpipe", CONDUIT_TWAPI_VERSION);
}
}
