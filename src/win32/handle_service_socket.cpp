#include "win32/handle_service_socket.hpp"

#include <dirent.h>
#include <sys/random.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <fstream>
#include <set>
#include <string>

#include "core/fd_passing.hpp"

namespace conduit::win32 {

using detail::unique_fd;

namespace {

// How long one exchange may take, either side: a stuck peer cannot hold
// the service's single thread or a caller for longer.
constexpr timeval exchange_timeout{5, 0};

constexpr std::string_view service_prefix = "conduit/handles/";

// The listening flag in /proc/net/unix (__SO_ACCEPTCON).
constexpr unsigned long listening_flag = 0x10000;

sockaddr_un abstract_address(const std::string& name, socklen_t& length) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  name.copy(address.sun_path + 1, sizeof(address.sun_path) - 2);
  length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  return address;
}

std::string random_token() {
  unsigned char bytes[16];
  if (::getrandom(bytes, sizeof(bytes), 0) != static_cast<ssize_t>(sizeof(bytes))) return {};
  std::string token;
  for (unsigned char b : bytes) {
    constexpr char digits[] = "0123456789abcdef";
    token += digits[b >> 4];
    token += digits[b & 15];
  }
  return token;
}

// The inodes of the sockets process `pid` holds; false if it may not be
// looked at (or is gone).
bool socket_inodes(int pid, std::set<unsigned long>& inodes, int& error) {
  std::string folder = "/proc/" + std::to_string(pid) + "/fd";
  DIR* dir = ::opendir(folder.c_str());
  if (!dir) {
    error = errno;
    return false;
  }
  while (dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    char target[64] = {};
    std::string link = folder + "/" + entry->d_name;
    ssize_t n = ::readlink(link.c_str(), target, sizeof(target) - 1);
    unsigned long inode = 0;
    if (n > 0 && std::sscanf(target, "socket:[%lu]", &inode) == 1) inodes.insert(inode);
  }
  ::closedir(dir);
  return true;
}

}  // namespace

bool may_serve(int connection) {
  ucred peer{};
  socklen_t length = sizeof(peer);
  if (::getsockopt(connection, SOL_SOCKET, SO_PEERCRED, &peer, &length) != 0) return false;
  return peer.uid == 0 || peer.uid == ::geteuid();
}

void refuse_stranger(int connection) {
  // A request already there is dropped unread (its descriptors, never
  // received, are closed by the kernel): closed with unread data, the
  // connection would be reset and the caller would not see the reply.
  char ignored = 0;
  (void)!::recv(connection, &ignored, sizeof(ignored), MSG_DONTWAIT | MSG_TRUNC);
  auto packet = encode_handle_message(handle_failure(ERROR_ACCESS_DENIED));
  (void)!::send(connection, packet.data(), packet.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
}

unique_fd listen_for_handle_requests() {
  // A token that is taken already (by chance) is drawn again.
  for (int attempt = 0; attempt < 4; ++attempt) {
    std::string token = random_token();
    if (token.empty()) return {};
    unique_fd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
    if (!fd) return {};
    socklen_t length = 0;
    sockaddr_un address = abstract_address(
        std::string(service_prefix) + std::to_string(::getpid()) + "/" + token, length);
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), length) == 0)
      return ::listen(fd.get(), SOMAXCONN) == 0 ? std::move(fd) : unique_fd();
    if (errno != EADDRINUSE) return {};
  }
  return {};
}

service_lookup find_handle_service(int pid, std::vector<service_address>& found) {
  found.clear();
  std::set<unsigned long> inodes;
  int error = 0;
  if (!socket_inodes(pid, inodes, error))
    return error == ENOENT ? service_lookup::not_listening : service_lookup::access_denied;
  // Names others bound with the same form are not the process's sockets.
  std::string prefix = "@" + std::string(service_prefix) + std::to_string(pid) + "/";
  std::ifstream table("/proc/net/unix");
  std::string line;
  std::getline(table, line);  // the header
  while (std::getline(table, line)) {
    std::size_t at = line.find(prefix);
    if (at == std::string::npos) continue;
    unsigned long flags = 0;
    unsigned long inode = 0;
    // "Num: RefCount Protocol Flags Type St Inode Path"
    if (std::sscanf(line.c_str(), "%*s %*s %*s %lx %*s %*s %lu", &flags, &inode) != 2) continue;
    std::string name = line.substr(at + 1);
    if (!(flags & listening_flag) || !inodes.contains(inode) ||
        name.size() > sizeof(sockaddr_un::sun_path) - 2)
      continue;
    service_address address;
    address.where = abstract_address(name, address.length);
    found.push_back(address);
  }
  return found.empty() ? service_lookup::not_listening : service_lookup::found;
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
  if (!receive_handle_message(connection, request, fds)) {
    send_handle_message(connection, handle_failure(ERROR_INVALID_PARAMETER));
    return std::nullopt;
  }
  return request;
}

}  // namespace conduit::win32
