#include "support/raw_broker.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <fstream>
#include <string>

#include "core/fd_passing.hpp"
#include "core/pipe_flags.hpp"
#include "core/runtime_dir.hpp"

namespace conduit::test {

using detail::unique_fd;

unique_fd connect_raw(const std::string& dir) {
  std::string path = detail::broker_socket_path(dir);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  unique_fd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ADD_FAILURE() << "cannot connect to " << path << ": " << std::strerror(errno);
    return {};
  }
  return fd;
}

void send_raw(int fd, std::span<const std::byte> packet, std::span<const int> fds) {
  // send_packet refuses more than max_fds_per_packet; a hostile peer need not.
  EXPECT_EQ(detail::send_with_descriptors(fd, packet, fds, 0), static_cast<ssize_t>(packet.size()))
      << std::strerror(errno);
}

std::vector<std::byte> encoded(const wire::request& r, std::uint32_t id) {
  return wire::encode(r, id);
}

std::string outcome(int fd, wire::reply* out, wire::header* header, std::vector<unique_fd>* fds) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, bound_ms) != 1) return "timeout";
  std::array<std::byte, wire::max_message_size> buffer;
  std::vector<unique_fd> received;
  std::error_code ec;
  std::size_t n = detail::receive_packet(fd, buffer, received, ec, MSG_DONTWAIT);
  if (ec == std::errc::connection_reset) return "dropped";
  if (ec) return "error " + ec.message();
  if (n == 0) return "dropped";
  wire::header h;
  wire::reply r;
  if (wire::decode_reply(std::span(buffer).first(n), h, r)) return "malformed reply";
  if (out) *out = r;
  if (header) *header = h;
  if (fds) *fds = std::move(received);
  return "reply " + std::to_string(r.error);
}

std::string request(int fd, const wire::request& r, std::span<const int> fds, wire::reply* out) {
  send_raw(fd, encoded(r), fds);
  return outcome(fd, out);
}

wire::create_instance_request create_request(const std::string& name, std::uint32_t max) {
  wire::create_instance_request r;
  r.name = name;
  r.open_mode = detail::access_duplex;
  r.max_instances = max;
  return r;
}

detail::instance_page sealed_page() {
  std::error_code ec;
  auto page = detail::instance_page::create(ec);
  EXPECT_FALSE(ec) << ec.message();
  return page;
}

std::array<unique_fd, 2> endpoint_pair() {
  int pair[2] = {-1, -1};
  EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
  return {unique_fd(pair[0]), unique_fd(pair[1])};
}

int fd_count_of(pid_t pid) {
  int count = 0;
  DIR* dir = ::opendir(("/proc/" + std::to_string(pid) + "/fd").c_str());
  if (!dir) return -1;
  while (dirent* entry = ::readdir(dir)) count += entry->d_name[0] != '.';
  ::closedir(dir);
  return count;
}

int lane_allowance(int processes) {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  int cpus = ::sched_getaffinity(0, sizeof(allowed), &allowed) == 0 ? CPU_COUNT(&allowed) : 1;
  return processes * cpus;
}

long resident_kib_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

}  // namespace conduit::test
