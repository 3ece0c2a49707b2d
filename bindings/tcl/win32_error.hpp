// Tcl errors in TWAPI's form: a failed Win32 call raises an error whose
// errorCode is `TWAPI_WIN32 <code> <message>` and whose message is the text
// conduit's C++ API gives for that code (conduit::win32_category()).
//
//   std::error_code ec;
//   auto client = conduit::pipe_client::open(name, access, ec);
//   if (ec) return conduit::tcl::win32_error(interp, ec);   // TCL_ERROR
#pragma once

#include <tcl.h>

#include <string_view>
#include <system_error>

namespace conduit::tcl {

/// Sets the interpreter's result to the text of `ec` and its errorCode to
/// `TWAPI_WIN32 <code> <text>`; returns TCL_ERROR. An error of another
/// category is first mapped to its Win32 code (std::errc via errno).
int win32_error(Tcl_Interp* interp, std::error_code ec);

/// As win32_error(), with a message of the caller's in place of the code's
/// text as the result (the errorCode keeps the code's text).
int win32_error(Tcl_Interp* interp, std::error_code ec, std::string_view message);

}  // namespace conduit::tcl
