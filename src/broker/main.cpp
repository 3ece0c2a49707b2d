// conduitd: holds the names of pipes and mailslots; never touches their data.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "broker/broker.hpp"
#include "core/runtime_dir.hpp"

namespace {

void usage() {
  std::fputs(
      "usage: conduitd [--system] [--runtime-dir DIR] [--idle-exit SECONDS] [--detach] [--ready-fd "
      "N]\n"
      "  --system         serve all users from /run/conduit (or CONDUIT_SYSTEM_RUNTIME_DIR)\n"
      "  --runtime-dir    serve from DIR (default: CONDUIT_RUNTIME_DIR, or the session folder)\n"
      "  --idle-exit      exit after SECONDS with no process connected (0: never)\n"
      "  --detach         run in the background, in a session of its own\n"
      "  --ready-fd       write 'R' to descriptor N once accepting connections\n",
      stderr);
}

bool parse_int(const char* text, int& out) {
  char* end = nullptr;
  long value = std::strtol(text, &end, 10);
  if (!*text || *end || value < 0 || value > 1'000'000) return false;
  out = static_cast<int>(value);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  conduit::broker::broker_options options;
  bool detach = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    bool has_value = i + 1 < argc;
    if (arg == "--system") {
      options.system = true;
    } else if (arg == "--detach") {
      detach = true;
    } else if (arg == "--runtime-dir" && has_value) {
      options.runtime_dir = argv[++i];
    } else if (arg == "--idle-exit" && has_value) {
      if (!parse_int(argv[++i], options.idle_exit_seconds)) return usage(), 2;
    } else if (arg == "--ready-fd" && has_value) {
      if (!parse_int(argv[++i], options.ready_fd)) return usage(), 2;
    } else {
      usage();
      return arg == "--help" ? 0 : 2;
    }
  }
  if (options.runtime_dir.empty()) {
    options.runtime_dir = options.system ? conduit::detail::system_runtime_dir()
                                         : conduit::detail::runtime_dir_override();
    if (options.runtime_dir.empty()) options.runtime_dir = conduit::detail::session_runtime_dir();
  }
  // Detached, the broker outlives the process that started it and is no
  // child of it: that process need not reap it.
  if (detach) {
    pid_t child = ::fork();
    if (child < 0) return 1;
    if (child > 0) return 0;
    ::setsid();
  }
  return conduit::broker::broker(options).run();
}
