// conduit-smb-bridge: see src/remote/smb_bridge.hpp and docs/remote-pipes.md.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "remote/smb_bridge.hpp"

namespace {

int usage() {
  std::fprintf(stderr,
               "usage: conduit-smb-bridge [--np-dir DIR] [--ready-fd N] PIPE...\n"
               "  publish each \\\\.\\pipe\\PIPE to SMB clients through smbd\n"
               "  --np-dir    smbd's named-pipe folder (default /run/samba/ncalrpc/np)\n"
               "  --ready-fd  write 'R' to descriptor N once every pipe is published\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  conduit::detail::remote::bridge_options options;
  options.np_dir = "/run/samba/ncalrpc/np";
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    bool has_value = i + 1 < argc;
    if (arg == "--np-dir" && has_value) {
      options.np_dir = argv[++i];
    } else if (arg == "--ready-fd" && has_value) {
      char* end = nullptr;
      long fd = std::strtol(argv[++i], &end, 10);
      if (*end != '\0' || fd < 0 || fd > 1 << 20) return usage();
      options.ready_fd = static_cast<int>(fd);
    } else if (arg.starts_with("-")) {
      return usage();
    } else {
      // A name after \pipe\: no separators smbd would not pass, nothing empty.
      if (arg.empty() || arg.find('/') != std::string_view::npos || arg == "." || arg == "..")
        return usage();
      options.pipes.emplace_back(arg);
    }
  }
  if (options.pipes.empty()) return usage();
  return conduit::detail::remote::run_bridge(options);
}
