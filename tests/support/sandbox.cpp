#include "support/sandbox.hpp"

#include "conduit/error.hpp"
#include "conduit/pipe_client.hpp"
#include "runtime/broker_link.hpp"

#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

namespace conduit::test {

void sandbox::SetUp() {
  char dir[] = "/tmp/conduit-test-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  runtime_dir_ = dir;
  ::setenv("CONDUIT_RUNTIME_DIR", dir, 1);
}

int sandbox::broker_pid() const {
  std::ifstream in(runtime_dir_ + "/conduitd.pid");
  int pid = 0;
  in >> pid;
  return pid;
}

void sandbox::kill_broker() {
  int pid = broker_pid();
  if (pid <= 0) return;
  // The broker is not our child: a pidfd tells when it is gone.
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  ::kill(pid, SIGKILL);
  if (pidfd >= 0) {
    pollfd p{pidfd, POLLIN, 0};
    EXPECT_EQ(::poll(&p, 1, 10'000), 1) << "the broker did not die";
    ::close(pidfd);
  }
  std::filesystem::remove(runtime_dir_ + "/conduitd.pid");
}

void sandbox::TearDown() {
  kill_broker();
  std::error_code ec;
  std::filesystem::remove_all(runtime_dir_, ec);
}

void sandbox::broker_round_trip() {
  std::error_code ec;
  auto absent = pipe_client::open(pipe_name("round-trip"), pipe_access::duplex, ec);
  EXPECT_EQ(ec, errc::file_not_found);
}

std::string sandbox::pipe_name(const std::string& suffix) const {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  return std::string(R"(\\.\pipe\)") + info->test_suite_name() + "." + info->name() + "." + suffix;
}

pipe_client open_after_restart(const std::string& name, std::error_code& ec) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    auto client = pipe_client::open(name, pipe_access::duplex, ec);
    if (ec != errc::file_not_found || std::chrono::steady_clock::now() > deadline) return client;
    std::this_thread::yield();
  }
}

int open_fd_count() {
  int count = 0;
  DIR* dir = ::opendir("/proc/self/fd");
  if (!dir) return -1;
  while (dirent* entry = ::readdir(dir)) count += entry->d_name[0] != '.';
  ::closedir(dir);
  // The directory stream's own descriptor, and the broker lanes, which
  // like the broker connection stay for the process's life (one per CPU
  // its threads have opened on, so their number depends on the scheduler).
  return count - 1 - static_cast<int>(detail::broker_link::get().lane_count());
}

}  // namespace conduit::test
