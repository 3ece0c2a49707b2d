// The broker loop run in this process (broker::start, adopt, step), for
// what cannot be brought about from outside: running out of descriptors in
// the middle of accepting connections.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <vector>

#include "broker/broker.hpp"
#include "support/raw_broker.hpp"

namespace conduit {
namespace {

using namespace test;
using detail::unique_fd;

// A private folder, removed at the end.
struct temp_folder {
  temp_folder() {
    char name[] = "/tmp/conduit-loop-XXXXXX";
    EXPECT_NE(::mkdtemp(name), nullptr);
    path = name;
  }
  ~temp_folder() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string path;
};

// The lowest descriptor number free now: what the next open would get.
int lowest_free_descriptor() {
  int fd = ::dup(0);
  ::close(fd);
  return fd;
}

bool hung_up_now(int fd) {
  pollfd p{fd, POLLRDHUP, 0};
  return ::poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLRDHUP));
}

TEST(BrokerLoop, OutOfDescriptorsAtAcceptShedsConnectionsWithoutSpinning) {
  temp_folder folder;
  broker::broker_options options;
  options.runtime_dir = folder.path;
  broker::broker b(options);
  ASSERT_TRUE(b.start());
  unique_fd early = connect_raw(folder.path);
  ASSERT_FALSE(b.step(0).has_value());
  // Connections queue at the listener, and then no descriptor is left.
  std::vector<unique_fd> crowd;
  for (int i = 0; i < 8; ++i) crowd.push_back(connect_raw(folder.path));
  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &saved), 0);
  rlimit exhausted = saved;
  exhausted.rlim_cur = static_cast<rlim_t>(lowest_free_descriptor());
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &exhausted), 0);
  ASSERT_EQ(::dup(0), -1);
  ASSERT_EQ(errno, EMFILE);
  // One pass takes each queued connection off the listener with the spare
  // descriptor and closes it: the peer reads end of file.
  ASSERT_FALSE(b.step(0).has_value());
  // The early peer is still served meanwhile.
  send_raw(early.get(), encoded(wire::list_request{}));
  ASSERT_FALSE(b.step(0).has_value());
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &saved), 0);
  for (std::size_t i = 0; i < crowd.size(); ++i) EXPECT_TRUE(hung_up_now(crowd[i].get())) << i;
  EXPECT_EQ(outcome(early.get()), "reply 0");
  // With descriptors again, newcomers are served.
  unique_fd late = connect_raw(folder.path);
  send_raw(late.get(), encoded(wire::list_request{}));
  ASSERT_FALSE(b.step(0).has_value());
  ASSERT_FALSE(b.step(0).has_value());
  EXPECT_EQ(outcome(late.get()), "reply 0");
}

}  // namespace
}  // namespace conduit
