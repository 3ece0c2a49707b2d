// OpenProcess across users: a process of one user (made for the test) opens
// a process of another, of its own, and root opens either. The opener is
// conduit_win32_test_child ("open-process PID"), run as that user.
#include <gtest/gtest.h>
#include <unistd.h>

#include <windows.h>

#include <chrono>
#include <memory>
#include <string>

#include "support/unix_user.hpp"
#include "win32/win32_test_support.hpp"

namespace conduit::test {
namespace {

constexpr const char* child_path = CONDUIT_WIN32_CHILD;
constexpr int not_run = 91;  // the test child could not be executed as the user

// A process of `user` that waits until it is killed.
std::unique_ptr<user_process> idle_as(const unix_user& user) {
  return std::make_unique<user_process>(user, [] {
    ::pause();
    return 0;
  });
}

// What OpenProcess of `pid` gives a process of `user`: 0 or the last error.
// The child starts as root and becomes the user itself ("as"), so that it
// runs from a build folder the user cannot reach.
int open_as(const unix_user& user, pid_t pid) {
  std::string target = std::to_string(pid);
  std::string uid = std::to_string(user.uid());
  user_process opener([&] {
    ::execl(child_path, child_path, "as", uid.c_str(), "open-process", target.c_str(),
            static_cast<char*>(nullptr));
    return not_run;
  });
  return opener.wait_exit(std::chrono::seconds(30));
}

class ProcessAccess : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!can_create_users()) GTEST_SKIP() << "needs root to create users";
  }
};

TEST_F(ProcessAccess, AnotherUsersProcessIsAccessDenied) {
  unix_user owner;
  unix_user stranger;
  auto target = idle_as(owner);
  int result = open_as(stranger, target->pid());
  if (result == not_run) GTEST_SKIP() << "the test child cannot be run as another user here";
  EXPECT_EQ(result, ERROR_ACCESS_DENIED);
}

TEST_F(ProcessAccess, OwnUsersProcessOpens) {
  unix_user owner;
  auto target = idle_as(owner);
  int result = open_as(owner, target->pid());
  if (result == not_run) GTEST_SKIP() << "the test child cannot be run as another user here";
  EXPECT_EQ(result, 0);
}

TEST_F(ProcessAccess, RootOpensAnyUsersProcess) {
  unix_user owner;
  auto target = idle_as(owner);
  handle_guard opened(OpenProcess(PROCESS_QUERY_INFORMATION | SYNCHRONIZE, FALSE,
                                  static_cast<DWORD>(target->pid())));
  ASSERT_NE(opened.get(), nullptr) << GetLastError();
  EXPECT_FALSE(signalled(opened));
  target->kill_hard();
  EXPECT_TRUE(wait_for(opened));
}

TEST_F(ProcessAccess, AProcessThatDoesNotExistIsAnInvalidParameter) {
  // A child that has ended and been reaped: its pid names nothing now (a
  // new process could take it meanwhile only after the pids wrapped).
  unix_user owner;
  user_process gone(owner, [] { return 0; });
  pid_t pid = gone.pid();
  ASSERT_EQ(gone.wait_exit(std::chrono::seconds(30)), 0);
  EXPECT_EQ(OpenProcess(PROCESS_QUERY_INFORMATION, FALSE, static_cast<DWORD>(pid)), nullptr);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_PARAMETER));
}

}  // namespace
}  // namespace conduit::test
