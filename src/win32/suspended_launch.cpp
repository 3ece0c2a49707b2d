#include "win32/suspended_launch.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace conduit::win32 {
namespace {

BOOL fail_with(DWORD error) {
  SetLastError(error);
  return FALSE;
}

bool is_runnable(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

std::string gate_path() {
  if (const char* path = std::getenv("CONDUIT_GATE"); path && *path) return path;
  Dl_info info{};
  if (::dladdr(reinterpret_cast<void*>(&hold_back), &info) && info.dli_fname) {
    std::string library = info.dli_fname;
    std::string folder = library.substr(0, library.rfind('/') + 1);
    for (std::string candidate : {folder + CONDUIT_GATE_FROM_LIBDIR "/conduit-gate",
                                  folder + "../libexec/conduit/conduit-gate"})
      if (is_runnable(candidate)) return candidate;
  }
  return CONDUIT_GATE_INSTALL_PATH;
}

// The program as execve needs it: an absolute path (the child may change
// its directory first), found in PATH when it has no '/'; false with the
// error the launcher would give when it cannot run.
bool resolve(const std::string& program, std::string& out) {
  if (program.empty()) return fail_with(ERROR_INVALID_PARAMETER);
  if (program.find('/') == std::string::npos) {
    const char* path = std::getenv("PATH");
    std::string_view dirs = path ? path : "/bin:/usr/bin";
    bool seen = false;
    while (true) {
      std::size_t colon = dirs.find(':');
      std::string dir(dirs.substr(0, colon));
      std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + program;
      if (is_runnable(candidate)) {
        out = std::filesystem::absolute(candidate).string();
        return true;
      }
      seen = seen || ::access(candidate.c_str(), F_OK) == 0;
      if (colon == std::string_view::npos) break;
      dirs.remove_prefix(colon + 1);
    }
    return fail_with(seen ? ERROR_ACCESS_DENIED : ERROR_FILE_NOT_FOUND);
  }
  struct stat st {};
  if (::stat(program.c_str(), &st) != 0)
    return fail_with(errno == ENOTDIR  ? ERROR_PATH_NOT_FOUND
                     : errno == EACCES ? ERROR_ACCESS_DENIED
                                       : ERROR_FILE_NOT_FOUND);
  if (!is_runnable(program)) return fail_with(ERROR_ACCESS_DENIED);
  out = std::filesystem::absolute(program).string();
  return true;
}

}  // namespace

std::optional<held_back_launch> hold_back(conduit::process_options& options) {
  std::string program;
  if (!resolve(options.program.empty() ? (options.argv.empty() ? std::string() : options.argv[0])
                                       : options.program.string(),
               program))
    return std::nullopt;
  std::string gate = gate_path();
  if (!is_runnable(gate)) {
    SetLastError(ERROR_FILE_NOT_FOUND);
    return std::nullopt;
  }
  int ends[2];
  if (::pipe2(ends, O_CLOEXEC) != 0) {
    SetLastError(ERROR_TOO_MANY_OPEN_FILES);
    return std::nullopt;
  }
  detail::unique_fd child_end(ends[0]);
  auto opener = std::make_shared<detail::unique_fd>(ends[1]);
  // The byte lets the child go; closing the end unanswered (every handle
  // gone without ResumeThread) makes it exit without running the program.
  auto gate_object = std::make_shared<suspend_gate>([opener] {
    char go = 1;
    (void)!::write(opener->get(), &go, 1);
    opener->reset();
  });
  std::vector<std::string> argv = {gate, std::to_string(child_end.get()), program};
  argv.insert(argv.end(), options.argv.begin(), options.argv.end());
  options.argv = std::move(argv);
  options.program = gate;
  options.inherited_handles.push_back(conduit::inherited_handle::native(child_end.get()));
  return held_back_launch{std::move(gate_object), std::move(child_end)};
}

}  // namespace conduit::win32
