// A named event's other holders cannot change how it behaves here. Every
// holder shares the eventfd's open file description, and with it the
// O_NONBLOCK flag; another process (of another user, or of this one) that
// flips the flag without pause must not make ResetEvent, SetEvent or a
// wait block, nor change what they do.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <windows.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <future>
#include <memory>
#include <set>
#include <string>

#include "support/sandbox.hpp"
#include "support/unix_user.hpp"
#include "win32/win32_test_support.hpp"

namespace conduit::test {
namespace {

std::set<int> eventfds() {
  std::set<int> found;
  for (int fd = 0; fd < 1024; ++fd) {
    char target[64] = {};
    std::string link = "/proc/self/fd/" + std::to_string(fd);
    ssize_t n = ::readlink(link.c_str(), target, sizeof(target) - 1);
    if (n > 0 && std::string(target) == "anon_inode:[eventfd]") found.insert(fd);
  }
  return found;
}

std::string counter_of(int fd) {
  std::ifstream in("/proc/self/fdinfo/" + std::to_string(fd));
  std::string line;
  while (std::getline(in, line))
    if (line.starts_with("eventfd-count:")) return line;
  return {};
}

// Whether `fd` is the eventfd behind `event`: its counter follows the event.
bool is_event(HANDLE event, int fd) {
  SetEvent(event);
  std::string set = counter_of(fd);
  ResetEvent(event);
  return set != counter_of(fd);
}

// The other holder: flips O_NONBLOCK on the shared description until killed.
int flip_forever(int fd) {
  for (;;) {
    int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0) return 1;
    ::fcntl(fd, F_SETFL, flags ^ O_NONBLOCK);
  }
}

// What the owner does while the flag flips; a description of the first
// result that is wrong, or empty.
std::string exercise(HANDLE event, bool manual) {
  for (int i = 0; i < 1000; ++i) {
    if (!ResetEvent(event)) return "ResetEvent failed";
    if (WaitForSingleObject(event, 0) != WAIT_TIMEOUT) return "signalled after ResetEvent";
    if (WaitForSingleObject(event, 1) != WAIT_TIMEOUT) return "signalled after ResetEvent (1 ms)";
    if (!SetEvent(event) || !SetEvent(event)) return "SetEvent failed";
    if (WaitForSingleObject(event, 0) != WAIT_OBJECT_0) return "not signalled after SetEvent";
    DWORD again = WaitForSingleObject(event, 0);
    if (again != (manual ? WAIT_OBJECT_0 : WAIT_TIMEOUT))
      return manual ? "manual-reset event lost its state" : "auto-reset event released twice";
    if (!ResetEvent(event) || !ResetEvent(event)) return "ResetEvent failed";
    if (WaitForSingleObject(event, 0) != WAIT_TIMEOUT) return "signalled after two resets";
  }
  return {};
}

class EventIsolation : public sandbox {
 protected:
  // The eventfd behind `event`, made after `before` was taken.
  int shared_eventfd(HANDLE event, const std::set<int>& before) {
    for (int fd : eventfds())
      if (!before.contains(fd) && is_event(event, fd)) return fd;
    return -1;
  }

  // Creates a named event, lets `holder` flip its flag, and runs the owner's
  // loop against a deadline; a blocked call is freed (by a write to the
  // counter) so that the test fails rather than hangs.
  void run_against(const unix_user* stranger, bool manual) {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    auto before = eventfds();
    handle_guard event(CreateEventA(nullptr, manual, FALSE, name.c_str()));
    ASSERT_NE(event.get(), nullptr) << GetLastError();
    int shared = shared_eventfd(event, before);
    ASSERT_GE(shared, 0) << "no eventfd behind the event";
    auto body = [shared] { return flip_forever(shared); };
    std::unique_ptr<user_process> holder = stranger
                                               ? std::make_unique<user_process>(*stranger, body)
                                               : std::make_unique<user_process>(body);
    auto result = std::async(std::launch::async, [&] { return exercise(event.get(), manual); });
    if (result.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
      holder->kill_hard();
      std::uint64_t one = 1;
      while (result.wait_for(std::chrono::milliseconds(10)) != std::future_status::ready)
        (void)!::write(shared, &one, sizeof(one));
      FAIL() << "an event call blocked while another holder flipped O_NONBLOCK";
    }
    EXPECT_EQ(result.get(), "");
    EXPECT_EQ(holder->wait_exit(std::chrono::milliseconds(0)), -1) << "the holder stopped flipping";
  }
};

TEST_F(EventIsolation, ManualResetEventIgnoresAnotherUsersFlagFlips) {
  if (!can_create_users()) GTEST_SKIP() << "needs root to create a user";
  unix_user stranger;
  run_against(&stranger, true);
}

TEST_F(EventIsolation, AutoResetEventIgnoresAnotherUsersFlagFlips) {
  if (!can_create_users()) GTEST_SKIP() << "needs root to create a user";
  unix_user stranger;
  run_against(&stranger, false);
}

TEST_F(EventIsolation, ManualResetEventIgnoresFlagFlipsOfTheSameUser) {
  run_against(nullptr, true);
}

TEST_F(EventIsolation, AutoResetEventIgnoresFlagFlipsOfTheSameUser) {
  run_against(nullptr, false);
}

TEST_F(EventIsolation, ACounterNearItsMaximumDoesNotBlockSetEvent) {
  // Another holder (of this user; the flag and counter are all it takes)
  // writes the largest count an eventfd takes and clears O_NONBLOCK: a
  // write of 1 would wait until someone reads.
  auto before = eventfds();
  handle_guard event(CreateEventA(nullptr, TRUE, FALSE, "near-maximum"));
  ASSERT_NE(event.get(), nullptr) << GetLastError();
  int shared = shared_eventfd(event, before);
  ASSERT_GE(shared, 0) << "no eventfd behind the event";
  user_process holder([shared] {
    std::uint64_t most = 0xfffffffffffffffe;
    int flags = ::fcntl(shared, F_GETFL);
    bool done = ::write(shared, &most, sizeof(most)) == sizeof(most) &&
                ::fcntl(shared, F_SETFL, flags & ~O_NONBLOCK) == 0;
    return done ? 0 : 1;
  });
  ASSERT_EQ(holder.wait_exit(std::chrono::seconds(30)), 0);
  auto result = std::async(std::launch::async, [&] {
    if (!SetEvent(event)) return std::string("SetEvent failed");
    if (WaitForSingleObject(event, 0) != WAIT_OBJECT_0) return std::string("not signalled");
    if (!ResetEvent(event)) return std::string("ResetEvent failed");
    if (WaitForSingleObject(event, 0) != WAIT_TIMEOUT) return std::string("still signalled");
    if (!SetEvent(event)) return std::string("SetEvent failed");
    return std::string();
  });
  if (result.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
    std::uint64_t count = 0;
    while (result.wait_for(std::chrono::milliseconds(10)) != std::future_status::ready)
      (void)!::read(shared, &count, sizeof(count));
    FAIL() << "SetEvent blocked on a counter near its maximum";
  }
  EXPECT_EQ(result.get(), "");
  EXPECT_TRUE(signalled(event));
}

}  // namespace
}  // namespace conduit::test
