#include "win32/descriptor_identity.hpp"

#include <sys/stat.h>

#include <charconv>
#include <cstdio>
#include <fstream>
#include <string>
#include <string_view>

namespace conduit::win32 {
namespace {

// The number after `eventfd-id:` or `Pid:` in the descriptor's fdinfo: what
// tells apart objects that share the anonymous inode.
std::uint64_t anonymous_instance(int fd) {
  char path[64];
  std::snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
  std::ifstream info(path);
  std::string line;
  while (std::getline(info, line)) {
    std::string_view text(line);
    for (std::string_view key : {"eventfd-id:", "Pid:"}) {
      if (!text.starts_with(key)) continue;
      text.remove_prefix(key.size());
      while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
      std::uint64_t n = 0;
      std::from_chars(text.data(), text.data() + text.size(), n);
      return n;
    }
  }
  return 0;
}

}  // namespace

std::optional<descriptor_identity> identify_descriptor(int fd) {
  struct stat st {};
  if (fd < 0 || ::fstat(fd, &st) != 0) return std::nullopt;
  descriptor_identity id{.device = st.st_dev,
                         .inode = st.st_ino,
                         .type = static_cast<std::uint32_t>(st.st_mode & S_IFMT)};
  if (id.type == 0) id.instance = anonymous_instance(fd);
  return id;
}

}  // namespace conduit::win32
