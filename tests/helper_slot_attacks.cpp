// A hostile writer: it finds the sockets its mailslot writers send on (an
// AF_UNIX datagram socket connected somewhere, as any process can find its
// own descriptors) and abuses them directly, past the library:
//
//   slot-attack shutdown          shutdown(2) each one            -> ok COUNT
//   slot-attack nonblock          O_NONBLOCK and a 1 µs SO_SNDTIMEO on each -> ok COUNT
//   slot-attack reach             connects a socket of its own to the reader's
//                                 address and binds one there  -> ok CONNECT_ERRNO BIND_ERRNO
//   slot-attack forge KIND        sends one crafted record on the first one -> ok
//     KIND: sparse (a sealed 2 GiB memfd with no pages), sparse-small (32 MiB,
//     no pages), liar (10 bytes, announced as 1 MiB), unsealed, two-fds, pipe,
//     short (a 3-byte record with a memfd), oversize (a full 200 KiB memfd
//     for a slot that takes less)
#include "helper_slot_attacks.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>

#include "core/fd_passing.hpp"

namespace {

// The descriptors of this process that are connected AF_UNIX datagram sockets.
std::vector<int> writer_sockets() {
  std::vector<int> found;
  DIR* d = ::opendir("/proc/self/fd");
  if (!d) return found;
  int own = ::dirfd(d);
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    int fd = std::atoi(e->d_name);
    if (fd == own) continue;
    int domain = 0, type = 0;
    socklen_t len = sizeof(int);
    if (::getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0 || domain != AF_UNIX) continue;
    len = sizeof(int);
    if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_DGRAM) continue;
    sockaddr_un peer{};
    socklen_t plen = sizeof(peer);
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &plen) != 0) continue;
    found.push_back(fd);
  }
  ::closedir(d);
  return found;
}

int memfd_of(std::size_t size, std::size_t written, bool seal) {
  int fd = ::memfd_create("attack", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) return -1;
  if (::ftruncate(fd, static_cast<off_t>(size)) != 0) return -1;
  std::vector<char> bytes(written, 'A');
  if (written && ::pwrite(fd, bytes.data(), written, 0) != static_cast<ssize_t>(written)) return -1;
  if (seal && ::fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE))
    return -1;
  return fd;
}

bool send_record(int socket, const void* data, std::size_t size, const std::vector<int>& fds) {
  auto bytes = std::span(static_cast<const std::byte*>(data), size);
  bool ok = !conduit::detail::send_packet(socket, bytes, fds);
  for (int fd : fds) ::close(fd);
  return ok;
}

std::string forge(int socket, const std::string& kind) {
  auto size_record = [](std::uint64_t size) {
    std::vector<unsigned char> r(8);
    for (int i = 0; i < 8; ++i) r[i] = static_cast<unsigned char>(size >> (8 * i));
    return r;
  };
  std::vector<unsigned char> record;
  std::vector<int> fds;
  if (kind == "sparse") {
    record = size_record(2ull << 30);
    fds = {memfd_of(2ull << 30, 0, true)};
  } else if (kind == "sparse-small") {
    record = size_record(32u << 20);
    fds = {memfd_of(32u << 20, 0, true)};
  } else if (kind == "liar") {
    record = size_record(1u << 20);
    fds = {memfd_of(10, 10, true)};
  } else if (kind == "unsealed") {
    record = size_record(100000);
    fds = {memfd_of(100000, 100000, false)};
  } else if (kind == "two-fds") {
    record = size_record(100000);
    fds = {memfd_of(100000, 100000, true), memfd_of(100000, 100000, true)};
  } else if (kind == "pipe") {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) return "err pipe";
    ::close(p[1]);
    record = size_record(0);
    fds = {p[0]};
  } else if (kind == "short") {
    record = {1, 2, 3};
    fds = {memfd_of(100000, 100000, true)};
  } else if (kind == "oversize") {
    record = size_record(200 * 1024);
    fds = {memfd_of(200 * 1024, 200 * 1024, true)};
  } else {
    return "err kind";
  }
  for (int fd : fds)
    if (fd < 0) return "err memfd " + std::to_string(errno);
  return send_record(socket, record.data(), record.size(), fds) ? "ok"
                                                                : "err " + std::to_string(errno);
}

// Connects a socket of its own to where the reader receives, and tries to
// bind one in its place: 0 for success, else the errno.
std::string reach(int socket) {
  sockaddr_un peer{};
  socklen_t len = sizeof(peer);
  if (::getpeername(socket, reinterpret_cast<sockaddr*>(&peer), &len) != 0)
    return "err " + std::to_string(errno);
  int own = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  int connect_errno = ::connect(own, reinterpret_cast<sockaddr*>(&peer), len) == 0 ? 0 : errno;
  ::close(own);
  int other = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  int bind_errno = ::bind(other, reinterpret_cast<sockaddr*>(&peer), len) == 0 ? 0 : errno;
  ::close(other);
  return "ok " + std::to_string(connect_errno) + " " + std::to_string(bind_errno);
}

}  // namespace

std::string run_slot_attack(const std::vector<std::string>& w) {
  if (w.size() < 2) return "err usage";
  std::vector<int> sockets = writer_sockets();
  if (sockets.empty()) return "err no writer socket";
  const std::string& kind = w[1];
  if (kind == "shutdown") {
    for (int fd : sockets) ::shutdown(fd, SHUT_RDWR);
    return "ok " + std::to_string(sockets.size());
  }
  if (kind == "nonblock") {
    timeval tiny{0, 1};
    for (int fd : sockets) {
      ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
      ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tiny, sizeof(tiny));
    }
    return "ok " + std::to_string(sockets.size());
  }
  if (kind == "reach") return reach(sockets.front());
  if (kind == "forge" && w.size() >= 3) return forge(sockets.front(), w[2]);
  return "err usage";
}
