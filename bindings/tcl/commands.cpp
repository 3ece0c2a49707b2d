// namedpipe_server, namedpipe_client, impersonate_namedpipe_client and
// revert_to_self (see commands.hpp). Options are TWAPI's; what a Win32
// call would refuse raises `TWAPI_WIN32 <code> <message>` (win32_error.hpp).
#include "commands.hpp"

#include <fcntl.h>

#include <cstdint>
#include <optional>
#include <string>
#include <system_error>

#include "conduit/error.hpp"
#include "conduit/impersonation.hpp"
#include "conduit/pipe_client.hpp"
#include "conduit/pipe_server.hpp"
#include "namedpipe_channel.hpp"
#include "win32_error.hpp"

namespace conduit::tcl {
namespace {

constexpr std::uint32_t access_read = 1;   // FILE_READ_DATA
constexpr std::uint32_t access_write = 2;  // FILE_WRITE_DATA

// As TWAPI's `file nativename`: forward slashes are backslashes.
std::string native_name(Tcl_Obj* obj) {
  std::string name = Tcl_GetString(obj);
  for (char& c : name)
    if (c == '/') c = '\\';
  return name;
}

// An -access list: "read", "write" or both, or a numeric mask of 1 and 2.
int parse_access(Tcl_Interp* interp, Tcl_Obj* list, std::uint32_t& mask) {
  static const char* const words[] = {"read", "write", nullptr};
  int count = 0;
  Tcl_Obj** items = nullptr;
  if (Tcl_ListObjGetElements(interp, list, &count, &items) != TCL_OK) return TCL_ERROR;
  mask = 0;
  for (int i = 0; i < count; ++i) {
    int number = 0;
    if (Tcl_GetIntFromObj(nullptr, items[i], &number) == TCL_OK) {
      if (number <= 0 || (number & ~3) != 0) {
        Tcl_SetObjResult(interp, Tcl_ObjPrintf("bad access mask \"%s\": must be 1 (read), "
                                               "2 (write) or 3 (both)",
                                               Tcl_GetString(items[i])));
        Tcl_SetErrorCode(interp, "TCL", "VALUE", "ACCESS", nullptr);
        return TCL_ERROR;
      }
      mask |= static_cast<std::uint32_t>(number);
      continue;
    }
    int index = 0;
    if (Tcl_GetIndexFromObj(interp, items[i], words, "access", TCL_EXACT, &index) != TCL_OK)
      return TCL_ERROR;
    mask |= index == 0 ? access_read : access_write;
  }
  if (mask == 0) {
    Tcl_SetObjResult(interp, Tcl_ObjPrintf("bad access list \"%s\": must name read, write or both",
                                           Tcl_GetString(list)));
    Tcl_SetErrorCode(interp, "TCL", "VALUE", "ACCESS", nullptr);
    return TCL_ERROR;
  }
  return TCL_OK;
}

int channel_mask(std::uint32_t access) {
  return ((access & access_read) ? TCL_READABLE : 0) | ((access & access_write) ? TCL_WRITABLE : 0);
}

// The value after option objv[i], or an error naming the option.
Tcl_Obj* option_value(Tcl_Interp* interp, int objc, Tcl_Obj* const objv[], int i) {
  if (i + 1 < objc) return objv[i + 1];
  Tcl_SetObjResult(interp, Tcl_ObjPrintf("option \"%s\" needs a value", Tcl_GetString(objv[i])));
  Tcl_SetErrorCode(interp, "TCL", "ARGUMENT", "MISSING", nullptr);
  return nullptr;
}

Tcl_Obj* register_channel(Tcl_Interp* interp, Tcl_Channel chan, bool inherit) {
  if (inherit) {
    // -inherit 1: children started with exec keep the pipe's socket.
    ClientData handle = nullptr;
    int direction = Tcl_GetChannelMode(chan) & TCL_READABLE ? TCL_READABLE : TCL_WRITABLE;
    if (Tcl_GetChannelHandle(chan, direction, &handle) == TCL_OK) {
      int fd = static_cast<int>(reinterpret_cast<intptr_t>(handle));
      ::fcntl(fd, F_SETFD, ::fcntl(fd, F_GETFD) & ~FD_CLOEXEC);
    }
  }
  Tcl_RegisterChannel(interp, chan);
  return Tcl_NewStringObj(Tcl_GetChannelName(chan), -1);
}

// namedpipe_server PIPENAME ?options?
int namedpipe_server_cmd(ClientData, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc < 2) {
    Tcl_WrongNumArgs(interp, 1, objv, "PIPENAME ?options?");
    return TCL_ERROR;
  }
  static const char* const names[] = {"-access",    "-denyremote",   "-inherit",   "-maxinstances",
                                      "-secd",      "-timeout",      "-writedacl", "-writeowner",
                                      "-writesacl", "-writethrough", nullptr};
  enum {
    access,
    denyremote,
    inherit,
    maxinstances,
    secd,
    timeout,
    writedacl,
    writeowner,
    writesacl,
    writethrough
  };
  pipe_options options;  // a byte pipe, read in byte mode: TWAPI has no message mode
  std::uint32_t mask = access_read | access_write;
  int inherit_flag = 0;
  for (int i = 2; i < objc; ++i) {
    int index = 0;
    if (Tcl_GetIndexFromObj(interp, objv[i], names, "option", 0, &index) != TCL_OK)
      return TCL_ERROR;
    switch (index) {  // the switches, which take no value
      case denyremote:
        options.reject_remote_clients = true;
        continue;
      case writedacl:
        options.write_dac = true;
        continue;
      case writeowner:
        // WRITE_OWNER shares its bit with FILE_FLAG_FIRST_PIPE_INSTANCE,
        // so on Windows this makes CreateNamedPipe refuse an existing pipe.
        options.first_instance = true;
        continue;
      case writesacl:  // ACCESS_SYSTEM_SECURITY: conduit keeps no SACL
      case writethrough:
        if (index == writethrough) options.write_through = true;
        continue;
      default:
        break;
    }
    Tcl_Obj* value = option_value(interp, objc, objv, i++);
    if (!value) return TCL_ERROR;
    int number = 0;
    switch (index) {
      case access:
        if (parse_access(interp, value, mask) != TCL_OK) return TCL_ERROR;
        break;
      case inherit:
        if (Tcl_GetBooleanFromObj(interp, value, &inherit_flag) != TCL_OK) return TCL_ERROR;
        break;
      case maxinstances:
        if (Tcl_GetIntFromObj(interp, value, &number) != TCL_OK) return TCL_ERROR;
        // Out of range (0, or over 255) is CreateNamedPipe's
        // ERROR_INVALID_PARAMETER, below.
        options.max_instances = number < 0 ? 0 : static_cast<std::uint32_t>(number);
        break;
      case secd:
        options.security_descriptor = Tcl_GetString(value);
        break;
      case timeout:
        if (Tcl_GetIntFromObj(interp, value, &number) != TCL_OK) return TCL_ERROR;
        if (number < 0) return win32_error(interp, errc::invalid_parameter);
        options.default_timeout = std::chrono::milliseconds(number);
        break;
      default:
        break;
    }
  }
  options.direction = static_cast<pipe_direction>(mask);
  std::error_code ec;
  auto server = pipe_server::create(native_name(objv[1]), options, ec);
  if (ec) return win32_error(interp, ec);
  Tcl_Channel chan = make_channel(std::move(server), channel_mask(mask));
  Tcl_SetObjResult(interp, register_channel(interp, chan, inherit_flag));
  return TCL_OK;
}

// namedpipe_client PIPENAME ?-access ACCESS? ?-impersonationlevel LEVEL?
//   ?-impersonateeffectiveonly BOOL? ?-impersonatecontexttracking BOOL?
int namedpipe_client_cmd(ClientData, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc < 2) {
    Tcl_WrongNumArgs(interp, 1, objv, "PIPENAME ?-access ACCESS? ?-impersonationlevel LEVEL?");
    return TCL_ERROR;
  }
  static const char* const names[] = {"-access", "-impersonatecontexttracking",
                                      "-impersonateeffectiveonly", "-impersonationlevel", nullptr};
  enum { access, contexttracking, effectiveonly, level };
  static const char* const levels[] = {"anonymous", "identification", "impersonation", "delegation",
                                       nullptr};
  std::uint32_t mask = access_read | access_write;
  std::optional<impersonation_level> allowed;
  for (int i = 2; i < objc; ++i) {
    int index = 0;
    if (Tcl_GetIndexFromObj(interp, objv[i], names, "option", 0, &index) != TCL_OK)
      return TCL_ERROR;
    Tcl_Obj* value = option_value(interp, objc, objv, i++);
    if (!value) return TCL_ERROR;
    int flag = 0;
    int which = 0;
    switch (index) {
      case access:
        if (parse_access(interp, value, mask) != TCL_OK) return TCL_ERROR;
        break;
      case contexttracking:
      case effectiveonly:
        // Checked, then accepted: a conduit client's identity is fixed when
        // it connects, and every group it has is enabled.
        if (Tcl_GetBooleanFromObj(interp, value, &flag) != TCL_OK) return TCL_ERROR;
        break;
      case level:
        if (Tcl_GetIndexFromObj(nullptr, value, levels, "level", TCL_EXACT, &which) != TCL_OK) {
          std::string message =
              std::string("Invalid impersonation level '") + Tcl_GetString(value) + "'.";
          return win32_error(interp, errc::bad_impersonation_level, message);
        }
        allowed = static_cast<impersonation_level>(which);
        break;
      default:
        break;
    }
  }
  std::error_code ec;
  auto name = native_name(objv[1]);
  auto requested = static_cast<pipe_access>(mask);
  auto client = allowed ? pipe_client::open(name, requested, *allowed, ec)
                        : pipe_client::open(name, requested, ec);
  if (ec) return win32_error(interp, ec);
  Tcl_Channel chan = make_channel(std::move(client), channel_mask(mask));
  Tcl_SetObjResult(interp, register_channel(interp, chan, false));
  return TCL_OK;
}

// The impersonation a Tcl thread holds between impersonate_namedpipe_client
// and revert_to_self (it belongs to the thread, as the identity switch does).
std::optional<impersonation>& held_impersonation() {
  static thread_local std::optional<impersonation> held;
  return held;
}

// impersonate_namedpipe_client CHANNEL
int impersonate_cmd(ClientData, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc != 2) {
    Tcl_WrongNumArgs(interp, 1, objv, "CHANNEL");
    return TCL_ERROR;
  }
  Tcl_Channel chan = Tcl_GetChannel(interp, Tcl_GetString(objv[1]), nullptr);
  if (!chan) return TCL_ERROR;
  pipe_server* server = server_of(chan);
  if (!server) {
    // What ImpersonateNamedPipeClient says of a handle that is not a
    // server's end of a pipe.
    std::string message = std::string("channel \"") + Tcl_GetString(objv[1]) +
                          "\" is not the server end of a named pipe";
    return win32_error(interp, errc::invalid_handle, message);
  }
  // A thread impersonating someone already returns to itself first (so a
  // held guard must not revert the new impersonation later).
  held_impersonation().reset();
  std::error_code ec;
  auto guard = server->impersonate_client(ec);
  if (ec) return win32_error(interp, ec);
  held_impersonation().emplace(std::move(guard));
  return TCL_OK;
}

// revert_to_self
int revert_cmd(ClientData, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc != 1) {
    Tcl_WrongNumArgs(interp, 1, objv, nullptr);
    return TCL_ERROR;
  }
  std::error_code ec;
  revert_to_self(ec);
  held_impersonation().reset();
  if (ec) return win32_error(interp, ec);
  return TCL_OK;
}

struct command {
  const char* name;
  Tcl_ObjCmdProc* proc;
};

constexpr command commands[] = {
    {"namedpipe_server", namedpipe_server_cmd},
    {"namedpipe_client", namedpipe_client_cmd},
    {"impersonate_namedpipe_client", impersonate_cmd},
    {"revert_to_self", revert_cmd},
};

}  // namespace

int create_commands(Tcl_Interp* interp) {
  for (const command& c : commands) {
    std::string qualified = std::string("::twapi::") + c.name;
    if (!Tcl_CreateObjCommand(interp, qualified.c_str(), c.proc, nullptr, nullptr))
      return TCL_ERROR;
    std::string bare = std::string("::") + c.name;
    Tcl_CmdInfo existing;
    if (!Tcl_GetCommandInfo(interp, bare.c_str(), &existing))
      Tcl_CreateObjCommand(interp, bare.c_str(), c.proc, nullptr, nullptr);
  }
  return TCL_OK;
}

}  // namespace conduit::tcl
