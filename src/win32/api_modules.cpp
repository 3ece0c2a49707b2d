// GetModuleHandle and GetProcAddress: the program and conduit's Win32
// library, whose exports are the Windows DLLs' functions.
#include <dlfcn.h>
#include <link.h>
#include <strings.h>

#include <string>

#include "conduit/win32/windows.h"
#include "win32/text.hpp"

namespace {

// Where this library is loaded: its HMODULE, as a DLL's is its base.
const Dl_info& library() {
  static const Dl_info info = [] {
    Dl_info found{};
    dladdr(reinterpret_cast<void*>(&GetProcAddress), &found);
    return found;
  }();
  return info;
}

// The program's HMODULE: the handle dlopen(NULL) gives.
void* program() {
  static void* const handle = dlopen(nullptr, RTLD_LAZY);
  return handle;
}

bool names_library(std::string name) {
  if (name.size() > 4 && strcasecmp(name.c_str() + name.size() - 4, ".dll") == 0)
    name.resize(name.size() - 4);
  for (const char* dll : {"kernel32", "kernelbase", "advapi32", "user32"})
    if (strcasecmp(name.c_str(), dll) == 0) return true;
  return false;
}

HMODULE module_named(const char* name) {
  if (!name) return program();
  if (names_library(name)) return library().dli_fbase;
  SetLastError(ERROR_MOD_NOT_FOUND);
  return nullptr;
}

}  // namespace

extern "C" {

HMODULE WINAPI GetModuleHandleA(LPCSTR name) {
  return module_named(name);
}

HMODULE WINAPI GetModuleHandleW(LPCWSTR name) {
  if (!name) return program();
  auto narrow = conduit::win32::to_utf8(name);
  if (!narrow) {
    SetLastError(ERROR_MOD_NOT_FOUND);
    return nullptr;
  }
  return module_named(narrow->c_str());
}

FARPROC WINAPI GetProcAddress(HMODULE module, LPCSTR name) {
  // A "name" below 64K is an ordinal: there are none here.
  if (reinterpret_cast<std::uintptr_t>(name) < 0x10000) {
    SetLastError(ERROR_PROC_NOT_FOUND);
    return nullptr;
  }
  // The dlopen handle of the module; dlsym on it also searches what it
  // depends on (libc...), so only the module's own definitions count.
  void* handle = nullptr;
  if (module == library().dli_fbase)
    handle = dlopen(library().dli_fname, RTLD_LAZY | RTLD_NOLOAD);
  else if (module == program() || !module)
    handle = dlopen(nullptr, RTLD_LAZY);
  if (!handle) {
    SetLastError(ERROR_MOD_NOT_FOUND);
    return nullptr;
  }
  void* symbol = dlsym(handle, name);
  link_map* owner = nullptr;
  link_map* found_in = nullptr;
  Dl_info where{};
  if (symbol && (dlinfo(handle, RTLD_DI_LINKMAP, &owner) != 0 ||
                 !dladdr1(symbol, &where, reinterpret_cast<void**>(&found_in), RTLD_DL_LINKMAP) ||
                 owner != found_in))
    symbol = nullptr;
  dlclose(handle);
  if (!symbol) {
    SetLastError(ERROR_PROC_NOT_FOUND);
    return nullptr;
  }
  return reinterpret_cast<FARPROC>(symbol);
}

}  // extern "C"
