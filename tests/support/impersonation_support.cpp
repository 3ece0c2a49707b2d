#include "support/impersonation_support.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <filesystem>

#include "conduit/error.hpp"
#include "support/broker_process.hpp"
#include "support/system_broker.hpp"

namespace conduit::test {

namespace {

std::string client_program() {
  return beside_self("conduit_impersonation_client");
}

std::string make_file(const std::string& path, uid_t uid, gid_t gid, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  EXPECT_GE(fd, 0) << path;
  EXPECT_EQ(::fchown(fd, uid, gid), 0);
  EXPECT_EQ(::fchmod(fd, mode), 0);
  ::close(fd);
  return path;
}

}  // namespace

void cross_user_sandbox::SetUp() {
  sandbox::SetUp();
  if (!can_create_users()) GTEST_SKIP() << "needs root to create users";
  ASSERT_TRUE(start_system_broker());
}

remote_client::remote_client(const std::string& pipe, uid_t uid, gid_t gid,
                             const std::string& groups, const std::string& level)
    : args_{client_program(), pipe, std::to_string(uid), std::to_string(gid), groups, level} {
  for (auto& a : args_) argv_.push_back(a.data());
  argv_.push_back(nullptr);
  // The child of a multithreaded process only execs: nothing that locks.
  char* const* argv = argv_.data();
  process_ = std::make_unique<user_process>([argv] {
    ::execv(argv[0], argv);
    return 127;
  });
}

std::error_code try_open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return error_from_errno(errno);
  ::close(fd);
  return {};
}

test_files::test_files(uid_t client_uid, gid_t client_gid, gid_t group) {
  char name[] = "/tmp/conduit-impersonation-XXXXXX";
  if (::mkdtemp(name)) dir = name;
  EXPECT_FALSE(dir.empty());
  EXPECT_EQ(::chmod(dir.c_str(), 0755), 0);
  client_only = make_file(dir + "/client-only", client_uid, client_gid, 0600);
  server_only = make_file(dir + "/server-only", 0, 0, 0600);
  group_only = make_file(dir + "/group-only", 0, group, 0040);
}

test_files::~test_files() {
  std::error_code ec;
  if (!dir.empty()) std::filesystem::remove_all(dir, ec);
}

bool bounded_barrier::arrive_and_wait(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  int phase = phase_;
  if (++arrived_ == parties_) {
    arrived_ = 0;
    ++phase_;
    changed_.notify_all();
    return true;
  }
  return changed_.wait_for(lock, timeout, [&] { return phase_ != phase; });
}

}  // namespace conduit::test
