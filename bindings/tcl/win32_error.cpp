// TWAPI_WIN32 errors (see win32_error.hpp).
#include "win32_error.hpp"

#include <string>

#include "conduit/error.hpp"

namespace conduit::tcl {
namespace {

std::error_code as_win32(std::error_code ec) {
  if (ec.category() == win32_category()) return ec;
  if (ec.category() == std::generic_category() || ec.category() == std::system_category())
    return error_from_errno(ec.value());
  return errc::invalid_function;
}

}  // namespace

int win32_error(Tcl_Interp* interp, std::error_code ec) {
  ec = as_win32(ec);
  return win32_error(interp, ec, ec.message());
}

int win32_error(Tcl_Interp* interp, std::error_code ec, std::string_view message) {
  ec = as_win32(ec);
  std::string text = ec.message();
  Tcl_Obj* code[] = {Tcl_NewStringObj("TWAPI_WIN32", -1), Tcl_NewIntObj(ec.value()),
                     Tcl_NewStringObj(text.data(), static_cast<int>(text.size()))};
  Tcl_SetObjErrorCode(interp, Tcl_NewListObj(3, code));
  Tcl_SetObjResult(interp, Tcl_NewStringObj(message.data(), static_cast<int>(message.size())));
  return TCL_ERROR;
}

}  // namespace conduit::tcl
