#include "broker/socket_activation.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string_view>

namespace conduit::broker {
namespace {

// sd_listen_fds(3): the first descriptor handed over.
constexpr int first_listen_fd = 3;

bool parse_number(const char* text, long& out) {
  if (!text || !*text) return false;
  char* end = nullptr;
  errno = 0;
  long value = std::strtol(text, &end, 10);
  if (*end || errno != 0 || value < 0) return false;
  out = value;
  return true;
}

}  // namespace

activation take_activated_socket() {
  activation result;
  const char* pid_text = std::getenv("LISTEN_PID");
  const char* count_text = std::getenv("LISTEN_FDS");
  long pid = 0, count = 0;
  bool for_us = pid_text && parse_number(pid_text, pid) && pid == ::getpid();
  bool counted = count_text && parse_number(count_text, count);
  std::string count_copy = count_text ? count_text : "";
  ::unsetenv("LISTEN_PID");
  ::unsetenv("LISTEN_FDS");
  ::unsetenv("LISTEN_FDNAMES");
  if (!for_us) return result;
  if (!counted || count > 1024) {
    result.error = "LISTEN_FDS=\"" + count_copy + "\" is no count of descriptors";
    return result;
  }
  if (count == 0) return result;
  if (count > 1) {
    // One socket, one broker: the others are closed so that no child gets them.
    for (long fd = first_listen_fd + 1; fd < first_listen_fd + count; ++fd)
      ::close(static_cast<int>(fd));
    result.error = "LISTEN_FDS=" + count_copy +
                   ": conduitd serves one socket (one ListenSequentialPacket= line)";
    ::close(first_listen_fd);
    return result;
  }
  if (::fcntl(first_listen_fd, F_GETFD) < 0) {
    result.error = "LISTEN_FDS=1 but descriptor 3 is not open";
    return result;
  }
  result.fd = first_listen_fd;
  return result;
}

}  // namespace conduit::broker
