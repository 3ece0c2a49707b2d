#include "win32/handle_service_socket.hpp"

#include <unistd.h>

#include <cstddef>
#include <cstdio>

#include "core/fd_passing.hpp"

namespace conduit::win32 {

using detail::unique_fd;

namespace {

// How long one exchange may take, either side: a stuck peer cannot hold
// the service's single thread or a caller for longer.
constexpr timeval exchange_timeout{5, 0};

bool may_serve(int connection) {
  ucred peer{};
  socklen_t length = sizeof(peer);
  if (::getsockopt(connection, SOL_SOCKET, SO_PEERCRED, &peer, &length) != 0) return false;
  return peer.uid == 0 || peer.uid == ::geteuid();
}

}  // namespace

sockaddr_un handle_service_address(int pid, socklen_t& length) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  // Abstract: no file to clean up, gone with the process.
  int n =
      std::snprintf(address.sun_path + 1, sizeof(address.sun_path) - 1, "conduit/handles/%d", pid);
  length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + n);
  return address;
}

unique_fd listen_for_handle_requests() {
  unique_fd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!fd) return {};
  socklen_t length = 0;
  sockaddr_un address = handle_service_address(static_cast<int>(::getpid()), length);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      ::listen(fd.get(), 16) != 0)
    return {};
  return fd;
}

void set_exchange_timeouts(int fd) {
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &exchange_timeout, sizeof(exchange_timeout));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &exchange_timeout, sizeof(exchange_timeout));
}

bool send_handle_message(int fd, const handle_message& m, std::span<const int> fds) {
  auto packet = encode_handle_message(m);
  // A packet goes as one record, which must fit the send buffer: a message
  // pipe's read state can be larger than a default buffer holds.
  int sndbuf = 0;
  socklen_t length = sizeof(sndbuf);
  ::getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, &length);
  if (packet.size() + detail::pipe_channel::record_overhead > static_cast<std::size_t>(sndbuf)) {
    int wanted = static_cast<int>(handle_message_max);  // the kernel doubles it
    ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &wanted, sizeof(wanted));
  }
  return !detail::send_packet(fd, packet, fds);
}

bool receive_handle_message(int fd, handle_message& m, std::vector<unique_fd>& fds) {
  std::vector<std::byte> buffer(handle_message_max + 1);  // one more: a longer packet is an error
  std::error_code ec;
  std::size_t n = detail::receive_packet(fd, buffer, fds, ec);
  if (ec || n == 0 || !decode_handle_message(std::span(buffer).first(n), m)) {
    fds.clear();
    return false;
  }
  return true;
}

handle_message handle_failure(DWORD error) {
  handle_message reply;
  reply.error = error;
  return reply;
}

std::optional<handle_message> receive_handle_request(int connection, std::vector<unique_fd>& fds) {
  set_exchange_timeouts(connection);
  handle_message request;
  bool valid = receive_handle_message(connection, request, fds);
  // Read first, so the caller gets its answer rather than a reset
  // connection; what a refused caller sent is closed unused.
  if (!may_serve(connection)) {
    fds.clear();
    send_handle_message(connection, handle_failure(ERROR_ACCESS_DENIED));
    return std::nullopt;
  }
  if (!valid) {
    send_handle_message(connection, handle_failure(ERROR_INVALID_PARAMETER));
    return std::nullopt;
  }
  return request;
}

}  // namespace conduit::win32
