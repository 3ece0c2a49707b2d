// Mutexes and semaphores: ownership, recursion, abandonment, counts and
// maximums, waits on several objects, and named ones shared with other
// processes (conduit_test_helper's "mutex-" and "sem-" commands) through
// the real broker. Every wait is bounded.
#include <gtest/gtest.h>

#include <windows.h>

#include <sys/syscall.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "support/helper_process.hpp"
#include "support/sandbox.hpp"
#include "win32/win32_test_support.hpp"

namespace conduit::test {
namespace {

constexpr DWORD bound_ms = 10'000;

TEST(Mutex, RecursiveOwnershipAndNotOwner) {
  handle_guard m(CreateMutexA(nullptr, TRUE, nullptr));
  ASSERT_NE(m.get(), nullptr);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_SUCCESS));
  EXPECT_EQ(WaitForSingleObject(m, 0), WAIT_OBJECT_0);  // the owner again: 2
  DWORD other = 0, other_error = 0;
  BOOL other_released = TRUE;
  std::thread([&] {
    other = WaitForSingleObject(m, 20);
    other_released = ReleaseMutex(m);
    other_error = GetLastError();
  }).join();
  // Another thread neither takes it nor releases it.
  EXPECT_EQ(other, static_cast<DWORD>(WAIT_TIMEOUT));
  EXPECT_FALSE(other_released);
  EXPECT_EQ(other_error, static_cast<DWORD>(ERROR_NOT_OWNER));
  EXPECT_TRUE(ReleaseMutex(m));
  EXPECT_TRUE(ReleaseMutex(m));
  EXPECT_FALSE(ReleaseMutex(m));  // released as often as taken
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_NOT_OWNER));
  std::thread([&] {
    other = WaitForSingleObject(m, bound_ms);
    ReleaseMutex(m);
  }).join();
  EXPECT_EQ(other, WAIT_OBJECT_0);
}

TEST(Mutex, ThreadExitAbandonsIt) {
  handle_guard m(CreateMutexA(nullptr, FALSE, nullptr));
  ASSERT_NE(m.get(), nullptr);
  std::thread([&] { ASSERT_EQ(WaitForSingleObject(m, 0), WAIT_OBJECT_0); }).join();
  EXPECT_EQ(WaitForSingleObject(m, bound_ms), WAIT_ABANDONED);
  EXPECT_EQ(WaitForSingleObject(m, 0), WAIT_OBJECT_0);  // ours now, no longer abandoned
  EXPECT_TRUE(ReleaseMutex(m));
  EXPECT_TRUE(ReleaseMutex(m));
  // ExitThread abandons too, through a CreateThread thread.
  HANDLE t = CreateThread(
      nullptr, 0,
      [](LPVOID p) -> DWORD {
        WaitForSingleObject(static_cast<HANDLE>(p), 0);
        ExitThread(7);
        return 0;
      },
      m.get(), 0, nullptr);
  ASSERT_NE(t, nullptr);
  ASSERT_EQ(WaitForSingleObject(t, bound_ms), WAIT_OBJECT_0);
  CloseHandle(t);
  HANDLE both[] = {m.get()};
  EXPECT_EQ(WaitForMultipleObjects(1, both, FALSE, bound_ms), WAIT_ABANDONED_0);
  EXPECT_TRUE(ReleaseMutex(m));
}

TEST(Mutex, WrongHandleTypes) {
  handle_guard m(CreateMutexA(nullptr, FALSE, nullptr));
  handle_guard e(CreateEventA(nullptr, TRUE, FALSE, nullptr));
  EXPECT_FALSE(ReleaseMutex(e));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_HANDLE));
  EXPECT_FALSE(SetEvent(m));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_HANDLE));
  EXPECT_FALSE(ReleaseSemaphore(m, 1, nullptr));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_HANDLE));
  EXPECT_EQ(OpenMutexA(SYNCHRONIZE, FALSE, nullptr), nullptr);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_PARAMETER));
  EXPECT_EQ(OpenMutexA(SYNCHRONIZE, FALSE, ""), nullptr);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_HANDLE));
  EXPECT_EQ(CreateMutexExA(nullptr, nullptr, 2, MUTEX_ALL_ACCESS), nullptr);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_PARAMETER));
}

TEST(Semaphore, CountsMaximumAndPreviousCount) {
  EXPECT_EQ(CreateSemaphoreA(nullptr, 3, 2, nullptr), nullptr);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_PARAMETER));
  EXPECT_EQ(CreateSemaphoreA(nullptr, 0, 0, nullptr), nullptr);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_PARAMETER));
  EXPECT_EQ(CreateSemaphoreA(nullptr, -1, 2, nullptr), nullptr);
  handle_guard s(CreateSemaphoreA(nullptr, 1, 2, nullptr));
  ASSERT_NE(s.get(), nullptr);
  LONG previous = -5;
  EXPECT_FALSE(ReleaseSemaphore(s, 2, &previous));  // 1 + 2 > 2
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_TOO_MANY_POSTS));
  EXPECT_EQ(previous, -5);  // untouched on failure
  EXPECT_TRUE(ReleaseSemaphore(s, 1, &previous));
  EXPECT_EQ(previous, 1);
  EXPECT_TRUE(ReleaseSemaphore(s, 0, &previous));  // as Windows: allowed
  EXPECT_EQ(previous, 2);
  EXPECT_FALSE(ReleaseSemaphore(s, -1, &previous));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_TOO_MANY_POSTS));
  EXPECT_EQ(WaitForSingleObject(s, 0), WAIT_OBJECT_0);
  EXPECT_EQ(WaitForSingleObject(s, 0), WAIT_OBJECT_0);
  EXPECT_EQ(WaitForSingleObject(s, 20), static_cast<DWORD>(WAIT_TIMEOUT));
  std::thread([&] {
    Sleep(10);
    ReleaseSemaphore(s, 1, nullptr);
  }).detach();
  EXPECT_EQ(WaitForSingleObject(s, bound_ms), WAIT_OBJECT_0);
  EXPECT_TRUE(ReleaseSemaphore(s, 2, &previous));
  EXPECT_EQ(previous, 0);
}

TEST(Semaphore, ConcurrentReleasesNeverPassTheMaximum) {
  handle_guard s(CreateSemaphoreA(nullptr, 0, 1000, nullptr));
  std::atomic<int> accepted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i)
        if (ReleaseSemaphore(s, 1, nullptr)) accepted.fetch_add(1);
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(accepted.load(), 1000);
  LONG previous = 0;
  ASSERT_TRUE(ReleaseSemaphore(s, 0, &previous));
  EXPECT_EQ(previous, 1000);
}

TEST(WaitAll, MutexAndSemaphoreTogetherOrNeither) {
  handle_guard m(CreateMutexA(nullptr, FALSE, nullptr));
  handle_guard s(CreateSemaphoreA(nullptr, 1, 5, nullptr));
  handle_guard e(CreateEventA(nullptr, FALSE, FALSE, nullptr));
  HANDLE three[] = {m, s, e};
  // The event is not set: nothing may be taken, the semaphore keeps its count.
  EXPECT_EQ(WaitForMultipleObjects(3, three, TRUE, 30), static_cast<DWORD>(WAIT_TIMEOUT));
  LONG previous = -1;
  ASSERT_TRUE(ReleaseSemaphore(s, 0, &previous));
  EXPECT_EQ(previous, 1);
  DWORD other = 0;
  std::thread([&] {
    other = WaitForSingleObject(m, 0);
    ReleaseMutex(m);
  }).join();
  EXPECT_EQ(other, WAIT_OBJECT_0);  // the mutex was not kept either
  ASSERT_TRUE(SetEvent(e));
  EXPECT_EQ(WaitForMultipleObjects(3, three, TRUE, bound_ms), WAIT_OBJECT_0);
  ASSERT_TRUE(ReleaseSemaphore(s, 0, &previous));
  EXPECT_EQ(previous, 0);
  EXPECT_TRUE(ReleaseMutex(m));
  // Wait-all that takes an abandoned mutex says so.
  std::thread([&] { WaitForSingleObject(m, 0); }).join();
  ASSERT_TRUE(ReleaseSemaphore(s, 1, nullptr));
  HANDLE two[] = {s, m};
  EXPECT_EQ(WaitForMultipleObjects(2, two, TRUE, bound_ms), WAIT_ABANDONED_0 + 1);
  EXPECT_TRUE(ReleaseMutex(m));
}

class NamedSync : public sandbox {
 protected:
  [[nodiscard]] std::string object_name(const std::string& suffix = "m") const {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    return std::string(info->name()) + "." + suffix;
  }
};

TEST_F(NamedSync, OneNamespaceWithEvents) {
  std::string name = object_name();
  handle_guard event(CreateEventA(nullptr, TRUE, FALSE, name.c_str()));
  ASSERT_NE(event.get(), nullptr) << GetLastError();
  EXPECT_EQ(CreateMutexA(nullptr, FALSE, name.c_str()), nullptr);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_HANDLE));
  EXPECT_EQ(OpenMutexA(SYNCHRONIZE, FALSE, name.c_str()), nullptr);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_HANDLE));
  EXPECT_EQ(CreateSemaphoreA(nullptr, 0, 1, name.c_str()), nullptr);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_HANDLE));
  std::string mutex_name = object_name("mutex");
  handle_guard m(CreateMutexA(nullptr, TRUE, mutex_name.c_str()));
  ASSERT_NE(m.get(), nullptr) << GetLastError();
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_SUCCESS));
  EXPECT_EQ(CreateEventA(nullptr, TRUE, FALSE, mutex_name.c_str()), nullptr);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_HANDLE));
  EXPECT_EQ(OpenSemaphoreA(SYNCHRONIZE, FALSE, mutex_name.c_str()), nullptr);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_HANDLE));
  EXPECT_EQ(OpenMutexA(SYNCHRONIZE, FALSE, object_name("none").c_str()), nullptr);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_FILE_NOT_FOUND));
  // Created again: the same mutex, ownership not given twice.
  handle_guard again(CreateMutexA(nullptr, TRUE, mutex_name.c_str()));
  ASSERT_NE(again.get(), nullptr);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_ALREADY_EXISTS));
  EXPECT_TRUE(ReleaseMutex(again));
  EXPECT_FALSE(ReleaseMutex(m));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_NOT_OWNER));
}

TEST_F(NamedSync, MutexPassesBetweenProcesses) {
  std::string name = object_name();
  helper_process helper;
  ASSERT_EQ(helper.call("mutex-create m " + name + " owned"), "ok created");
  handle_guard m(OpenMutexA(SYNCHRONIZE, FALSE, name.c_str()));
  ASSERT_NE(m.get(), nullptr) << GetLastError();
  EXPECT_EQ(WaitForSingleObject(m, 30), static_cast<DWORD>(WAIT_TIMEOUT));
  EXPECT_EQ(helper.call("mutex-wait m 0"), "ok signalled");  // recursive in its owner
  EXPECT_EQ(helper.call("mutex-release m"), "ok");
  EXPECT_EQ(WaitForSingleObject(m, 30), static_cast<DWORD>(WAIT_TIMEOUT));  // still held once
  EXPECT_EQ(helper.call("mutex-release m"), "ok");
  ASSERT_EQ(WaitForSingleObject(m, bound_ms), WAIT_OBJECT_0);
  EXPECT_EQ(helper.call("mutex-wait m 30"), "ok timeout");
  EXPECT_EQ(helper.call("mutex-release m"), "err 288");  // ERROR_NOT_OWNER
  helper.send("& mutex-wait m " + std::to_string(bound_ms));
  EXPECT_TRUE(ReleaseMutex(m));
  EXPECT_EQ(helper.background_answer(), "ok signalled");
}

TEST_F(NamedSync, ProcessExitAbandonsIt) {
  std::string name = object_name();
  handle_guard m(CreateMutexA(nullptr, FALSE, name.c_str()));
  ASSERT_NE(m.get(), nullptr) << GetLastError();
  {
    helper_process helper;
    ASSERT_EQ(helper.call("mutex-open m " + name), "ok");
    ASSERT_EQ(helper.call("mutex-wait m 0"), "ok signalled");
    helper.send("sync-exit 0");  // exit(), as a return from main, owning it
    EXPECT_EQ(helper.wait_exit(), 0);
  }
  EXPECT_EQ(WaitForSingleObject(m, bound_ms), WAIT_ABANDONED);
  EXPECT_TRUE(ReleaseMutex(m));
  {
    helper_process helper;
    ASSERT_EQ(helper.call("mutex-open m " + name), "ok");
    ASSERT_EQ(helper.call("mutex-wait m 0"), "ok signalled");
    helper.send("sync-exit-process 3");  // ExitProcess
    EXPECT_EQ(WEXITSTATUS(helper.wait_exit()), 3);
  }
  EXPECT_EQ(WaitForSingleObject(m, bound_ms), WAIT_ABANDONED);
  EXPECT_EQ(WaitForSingleObject(m, 0), WAIT_OBJECT_0);
  EXPECT_TRUE(ReleaseMutex(m));
  EXPECT_TRUE(ReleaseMutex(m));
}

// A process killed outright (SIGKILL) runs no exit handler: the broker,
// which hears from the process each time one of its threads takes the mutex
// or lets it go, abandons it when the process's connection ends. A thread
// already waiting gets WAIT_ABANDONED, as on Windows; a mutex taken and let
// go before the kill is not abandoned again.
TEST_F(NamedSync, AnOwnerKilledOutrightAbandonsIt) {
  std::string name = object_name();
  handle_guard m(CreateMutexA(nullptr, FALSE, name.c_str()));
  ASSERT_NE(m.get(), nullptr) << GetLastError();
  helper_process owner;
  ASSERT_EQ(owner.call("mutex-open m " + name), "ok");
  ASSERT_EQ(owner.call("mutex-wait m 0"), "ok signalled");
  ASSERT_EQ(owner.call("mutex-release m"), "ok");
  ASSERT_EQ(owner.call("mutex-wait m 0"), "ok signalled");
  EXPECT_EQ(WaitForSingleObject(m, 0), static_cast<DWORD>(WAIT_TIMEOUT));
  std::atomic<DWORD> waiter_tid{0};
  DWORD waited = 0;
  std::thread waiter([&] {
    waiter_tid = GetCurrentThreadId();
    waited = WaitForSingleObject(m, bound_ms);
    if (waited == WAIT_ABANDONED) ReleaseMutex(m);
  });
  while (waiter_tid == 0) std::this_thread::yield();
  ASSERT_TRUE(wait_until_blocked(waiter_tid, SYS_poll));
  owner.kill_hard();
  waiter.join();
  EXPECT_EQ(waited, static_cast<DWORD>(WAIT_ABANDONED));
  // Abandoned once: taken again, it is an ordinary mutex.
  EXPECT_EQ(WaitForSingleObject(m, bound_ms), WAIT_OBJECT_0);
  EXPECT_TRUE(ReleaseMutex(m));
  // Killed owning nothing (it took the mutex and let go): nothing is
  // abandoned. A name only it holds tells when the broker has seen it go.
  std::string own_name = object_name("own");
  helper_process idle;
  ASSERT_EQ(idle.call("mutex-open m " + name), "ok");
  ASSERT_EQ(idle.call("mutex-create own " + own_name), "ok created");
  ASSERT_EQ(idle.call("mutex-wait m 0"), "ok signalled");
  ASSERT_EQ(idle.call("mutex-release m"), "ok");
  idle.kill_hard();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(bound_ms);
  bool gone = false;
  while (!gone && std::chrono::steady_clock::now() < deadline) {
    HANDLE h = OpenMutexA(SYNCHRONIZE, FALSE, own_name.c_str());
    gone = !h && GetLastError() == ERROR_FILE_NOT_FOUND;
    if (h) CloseHandle(h);
  }
  ASSERT_TRUE(gone);
  EXPECT_EQ(WaitForSingleObject(m, 0), WAIT_OBJECT_0);  // not WAIT_ABANDONED
  EXPECT_TRUE(ReleaseMutex(m));
}

TEST_F(NamedSync, SemaphoreCountsAcrossProcesses) {
  std::string name = object_name("s");
  helper_process helper;
  ASSERT_EQ(helper.call("sem-create s " + name + " 0 3"), "ok created");
  SetLastError(77);
  // Counts asked here are ignored: the semaphore is the helper's.
  handle_guard s(CreateSemaphoreA(nullptr, 1, 10, name.c_str()));
  ASSERT_NE(s.get(), nullptr) << GetLastError();
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_ALREADY_EXISTS));
  EXPECT_EQ(WaitForSingleObject(s, 0), static_cast<DWORD>(WAIT_TIMEOUT));
  EXPECT_EQ(helper.call("sem-release s 2"), "ok 0");
  EXPECT_EQ(WaitForSingleObject(s, bound_ms), WAIT_OBJECT_0);
  LONG previous = -1;
  ASSERT_TRUE(ReleaseSemaphore(s, 2, &previous));  // the helper's maximum, 3, holds here
  EXPECT_EQ(previous, 1);
  EXPECT_FALSE(ReleaseSemaphore(s, 1, &previous));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_TOO_MANY_POSTS));
  EXPECT_EQ(helper.call("sem-release s 1"), "err 298");
  EXPECT_EQ(helper.call("sem-wait s 0"), "ok signalled");
  EXPECT_EQ(helper.call("sem-wait s 0"), "ok signalled");
  EXPECT_EQ(WaitForSingleObject(s, 0), WAIT_OBJECT_0);
  EXPECT_EQ(helper.call("sem-wait s 0"), "ok timeout");
  // A handle opened for waiting only may not release.
  ASSERT_EQ(helper.call("sem-open w " + name + " access=100000"), "ok");
  EXPECT_EQ(helper.call("sem-release w 1"), "err 5");
}

TEST_F(NamedSync, NameGoesWithTheLastHandle) {
  std::string name = object_name();
  {
    helper_process helper;
    ASSERT_EQ(helper.call("mutex-create m " + name), "ok created");
    ASSERT_EQ(helper.call("mutex-close m"), "ok");
  }
  broker_round_trip();
  EXPECT_EQ(OpenMutexA(SYNCHRONIZE, FALSE, name.c_str()), nullptr);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_FILE_NOT_FOUND));
}

TEST_F(NamedSync, NamesSurviveABrokerRestart) {
  std::string name = object_name("s");
  handle_guard s(CreateSemaphoreA(nullptr, 0, 7, name.c_str()));
  ASSERT_NE(s.get(), nullptr) << GetLastError();
  int old_broker = broker_pid();
  ASSERT_GT(old_broker, 0);
  kill_broker();
  // A new broker comes up and this process names the semaphore again, with
  // its maximum.
  helper_process late;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(bound_ms);
  std::string opened;
  do {
    opened = late.call("sem-open s " + name);
  } while (opened == "err 2" && std::chrono::steady_clock::now() < deadline);
  ASSERT_EQ(opened, "ok");
  EXPECT_NE(broker_pid(), old_broker);
  EXPECT_EQ(late.call("sem-release s 7"), "ok 0");
  EXPECT_EQ(late.call("sem-release s 1"), "err 298");          // the maximum came along
  EXPECT_EQ(WaitForSingleObject(s, bound_ms), WAIT_OBJECT_0);  // one semaphore still
}

}  // namespace
}  // namespace conduit::test
