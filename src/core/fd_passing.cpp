#include "core/fd_passing.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace conduit::detail {

ssize_t send_with_descriptors(int socket, std::span<const std::byte> data, std::span<const int> fds,
                              int flags) {
  iovec iov{const_cast<std::byte*>(data.data()), data.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  // On the stack for what the project sends; only a hostile peer's test
  // sends more.
  alignas(cmsghdr) char usual[CMSG_SPACE(sizeof(int) * max_fds_per_packet)];
  std::vector<char> more;
  if (!fds.empty()) {
    std::size_t size = CMSG_SPACE(sizeof(int) * fds.size());
    if (size > sizeof(usual)) more.resize(size);
    msg.msg_control = more.empty() ? usual : more.data();
    msg.msg_controllen = size;
    cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(cmsg), fds.data(), sizeof(int) * fds.size());
  }
  return ::sendmsg(socket, &msg, MSG_NOSIGNAL | flags);
}

std::error_code send_packet(int socket, std::span<const std::byte> data, std::span<const int> fds,
                            int flags) {
  if (fds.size() > max_fds_per_packet) return std::make_error_code(std::errc::invalid_argument);
  for (;;) {
    if (send_with_descriptors(socket, data, fds, flags) >= 0) return {};
    if (errno != EINTR) return {errno, std::generic_category()};
  }
}

void descriptors_of(const msghdr& msg, std::vector<unique_fd>& fds) {
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(const_cast<msghdr*>(&msg), c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (std::size_t i = 0; i < count; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
      fds.emplace_back(fd);
    }
  }
}

std::size_t receive_packet(int socket, std::span<std::byte> buffer, std::vector<unique_fd>& fds,
                           std::error_code& ec, int flags) {
  ec.clear();
  fds.clear();
  iovec iov{buffer.data(), buffer.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * max_fds_per_packet)];
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  ssize_t n;
  do {
    n = ::recvmsg(socket, &msg, MSG_CMSG_CLOEXEC | flags);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    ec = {errno, std::generic_category()};
    return 0;
  }
  descriptors_of(msg, fds);
  // A truncated packet cannot be trusted: drop it whole.
  if ((msg.msg_flags & MSG_TRUNC) != 0) {
    fds.clear();
    ec = std::make_error_code(std::errc::message_size);
    return 0;
  }
  // The data is whole but descriptors were lost (the kernel closed them):
  // most often this process is at its RLIMIT_NOFILE.
  if ((msg.msg_flags & MSG_CTRUNC) != 0 || fds.size() > max_fds_per_packet) {
    fds.clear();
    ec = std::make_error_code(std::errc::too_many_files_open);
  }
  return static_cast<std::size_t>(n);
}

}  // namespace conduit::detail
