// unread_by_peer: the kernel's count of what a socket's peer has not read,
// which the pipe write quota counts (docs/named-pipes.md).
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>
#include <cstdint>

#include "core/unique_fd.hpp"
#include "runtime/socket_queue.hpp"

namespace conduit::detail {
namespace {

struct socket_pair {
  unique_fd writer, reader;
  explicit socket_pair(int type) {
    int fds[2];
    if (::socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, fds) == 0) {
      writer = unique_fd(fds[0]);
      reader = unique_fd(fds[1]);
    }
  }
};

TEST(SocketQueue, CountsWhatTheStreamPeerHasNotRead) {
  socket_pair p(SOCK_STREAM);
  ASSERT_TRUE(p.writer);
  std::uint32_t peer = 0;
  EXPECT_EQ(unread_by_peer(p.writer.get(), peer), std::optional<std::size_t>(0));
  EXPECT_NE(peer, 0u);  // found, and kept for the next call
  std::array<char, 1000> data{};
  ASSERT_EQ(::send(p.writer.get(), data.data(), data.size(), 0), 1000);
  EXPECT_EQ(unread_by_peer(p.writer.get(), peer), std::optional<std::size_t>(1000));
  ASSERT_EQ(::recv(p.reader.get(), data.data(), 400, 0), 400);
  EXPECT_EQ(unread_by_peer(p.writer.get(), peer), std::optional<std::size_t>(600));
  // Only the peer's queue: what the peer wrote to us is not ours unread.
  ASSERT_EQ(::send(p.reader.get(), data.data(), 50, 0), 50);
  EXPECT_EQ(unread_by_peer(p.writer.get(), peer), std::optional<std::size_t>(600));
}

TEST(SocketQueue, CountsTheBytesOfRecordsEmptyOnesIncluded) {
  socket_pair p(SOCK_SEQPACKET);
  ASSERT_TRUE(p.writer);
  std::uint32_t peer = 0;
  std::array<char, 20> data{};
  ASSERT_EQ(::send(p.writer.get(), data.data(), 10, 0), 10);
  ASSERT_EQ(::send(p.writer.get(), data.data(), 0, 0), 0);
  ASSERT_EQ(::send(p.writer.get(), data.data(), 20, 0), 20);
  EXPECT_EQ(unread_by_peer(p.writer.get(), peer), std::optional<std::size_t>(30));
}

TEST(SocketQueue, UnknownWithoutAPeer) {
  socket_pair p(SOCK_STREAM);
  ASSERT_TRUE(p.writer);
  std::uint32_t peer = 0;
  ASSERT_TRUE(unread_by_peer(p.writer.get(), peer).has_value());
  p.reader.reset();  // the peer's socket, and its queue, are gone
  EXPECT_FALSE(unread_by_peer(p.writer.get(), peer).has_value());
  std::uint32_t fresh = 0;
  EXPECT_FALSE(unread_by_peer(p.writer.get(), fresh).has_value());
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  unique_fd in(pipe_fds[0]), out(pipe_fds[1]);
  std::uint32_t none = 0;
  EXPECT_FALSE(unread_by_peer(out.get(), none).has_value());  // not a socket
}

}  // namespace
}  // namespace conduit::detail
