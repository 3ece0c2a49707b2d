#include "core/runtime_dir.hpp"

#include <unistd.h>

#include <cstdlib>

namespace conduit::detail {

std::string system_runtime_dir() {
  const char* dir = std::getenv("CONDUIT_SYSTEM_RUNTIME_DIR");
  return dir && *dir ? std::string(dir) : std::string("/run/conduit");
}

std::string runtime_dir_override() {
  const char* dir = std::getenv("CONDUIT_RUNTIME_DIR");
  return dir && *dir ? std::string(dir) : std::string();
}

std::string session_runtime_dir() {
  const char* xdg = std::getenv("XDG_RUNTIME_DIR");
  if (xdg && *xdg == '/') return std::string(xdg) + "/conduit";
  return "/tmp/conduit-" + std::to_string(::geteuid());
}

}  // namespace conduit::detail
