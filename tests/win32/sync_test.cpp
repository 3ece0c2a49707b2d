// Events, waits, threads, APCs and handles (the Win32 foundation the pipe
// functions build on): their results and errors as Windows gives them.
#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <windows.h>

#include <atomic>
#include <thread>
#include <vector>

#include "win32/win32_test_support.hpp"

namespace conduit::test {
namespace {

TEST(Sync, ManualAndAutoResetEvents) {
  handle_guard manual(CreateEventA(nullptr, TRUE, FALSE, nullptr));
  handle_guard automatic(CreateEventA(nullptr, FALSE, TRUE, nullptr));
  ASSERT_NE(manual.get(), nullptr);
  EXPECT_EQ(WaitForSingleObject(manual, 0), static_cast<DWORD>(WAIT_TIMEOUT));
  EXPECT_TRUE(SetEvent(manual));
  EXPECT_EQ(WaitForSingleObject(manual, 0), WAIT_OBJECT_0);
  EXPECT_EQ(WaitForSingleObject(manual, 0), WAIT_OBJECT_0);  // stays set
  EXPECT_TRUE(ResetEvent(manual));
  EXPECT_EQ(WaitForSingleObject(manual, 0), static_cast<DWORD>(WAIT_TIMEOUT));
  EXPECT_EQ(WaitForSingleObject(automatic, 0), WAIT_OBJECT_0);
  EXPECT_EQ(WaitForSingleObject(automatic, 0), static_cast<DWORD>(WAIT_TIMEOUT));  // taken
  EXPECT_EQ(WaitForSingleObject(automatic, 20), static_cast<DWORD>(WAIT_TIMEOUT));
  EXPECT_FALSE(SetEvent(reinterpret_cast<HANDLE>(0x7ff4)));
  EXPECT_EQ(GetLastError(), ERROR_INVALID_HANDLE);
}

TEST(Sync, WaitForMultipleObjects) {
  handle_guard a(CreateEventA(nullptr, TRUE, FALSE, nullptr));
  handle_guard b(CreateEventA(nullptr, TRUE, FALSE, nullptr));
  HANDLE both[] = {a, b};
  EXPECT_EQ(WaitForMultipleObjects(2, both, FALSE, 0), static_cast<DWORD>(WAIT_TIMEOUT));
  ASSERT_TRUE(SetEvent(b));
  EXPECT_EQ(WaitForMultipleObjects(2, both, FALSE, 0), WAIT_OBJECT_0 + 1);
  EXPECT_EQ(WaitForMultipleObjects(2, both, TRUE, 0), static_cast<DWORD>(WAIT_TIMEOUT));
  ASSERT_TRUE(SetEvent(a));
  EXPECT_EQ(WaitForMultipleObjects(2, both, FALSE, 0), WAIT_OBJECT_0);  // the lowest index
  EXPECT_EQ(WaitForMultipleObjects(2, both, TRUE, 0), WAIT_OBJECT_0);
  EXPECT_EQ(WaitForMultipleObjects(0, both, FALSE, 0), WAIT_FAILED);
  EXPECT_EQ(GetLastError(), ERROR_INVALID_PARAMETER);
  std::vector<HANDLE> too_many(MAXIMUM_WAIT_OBJECTS + 1, a.get());
  EXPECT_EQ(WaitForMultipleObjects(static_cast<DWORD>(too_many.size()), too_many.data(), FALSE, 0),
            WAIT_FAILED);
  EXPECT_EQ(GetLastError(), ERROR_INVALID_PARAMETER);
  HANDLE bad[] = {a, reinterpret_cast<HANDLE>(0x7ff8)};
  EXPECT_EQ(WaitForMultipleObjects(2, bad, FALSE, 0), WAIT_FAILED);
  EXPECT_EQ(GetLastError(), ERROR_INVALID_HANDLE);
}

DWORD WINAPI add_one(LPVOID p) {
  auto* value = static_cast<std::atomic<int>*>(p);
  return static_cast<DWORD>(++*value);
}

TEST(Sync, ThreadsAndExitCodes) {
  std::atomic<int> value{41};
  DWORD id = 0;
  handle_guard thread(CreateThread(nullptr, 0, &add_one, &value, 0, &id));
  ASSERT_NE(thread.get(), nullptr);
  EXPECT_NE(id, 0u);
  ASSERT_TRUE(wait_for(thread));
  DWORD code = 0;
  EXPECT_TRUE(GetExitCodeThread(thread, &code));
  EXPECT_EQ(code, 42u);
  EXPECT_EQ(CreateThread(nullptr, 0, nullptr, nullptr, 0, nullptr), nullptr);
  EXPECT_EQ(GetLastError(), ERROR_INVALID_PARAMETER);
  EXPECT_FALSE(GetExitCodeThread(thread, nullptr));
  EXPECT_EQ(GetLastError(), ERROR_INVALID_PARAMETER);

  // Still running: STILL_ACTIVE, and ExitThread's code once it ends.
  handle_guard go(CreateEventA(nullptr, TRUE, FALSE, nullptr));
  static HANDLE go_event;
  go_event = go.get();
  handle_guard waiting(CreateThread(
      nullptr, 0,
      [](LPVOID) -> DWORD {
        WaitForSingleObject(go_event, 10000);
        ExitThread(7);
        return 0;  // not reached
      },
      nullptr, 0, nullptr));
  EXPECT_TRUE(GetExitCodeThread(waiting, &code));
  EXPECT_EQ(code, static_cast<DWORD>(STILL_ACTIVE));
  ASSERT_TRUE(SetEvent(go));
  ASSERT_TRUE(wait_for(waiting));
  EXPECT_TRUE(GetExitCodeThread(waiting, &code));
  EXPECT_EQ(code, 7u);
}

TEST(Sync, ApcsRunOnlyInAlertableWaits) {
  static std::atomic<int> runs;
  static std::atomic<ULONG_PTR> last;
  runs = 0;
  auto apc = [](ULONG_PTR data) {
    last = data;
    ++runs;
  };
  ASSERT_NE(QueueUserAPC(apc, GetCurrentThread(), 5), 0u);
  Sleep(0);
  EXPECT_EQ(runs, 0);
  handle_guard event(CreateEventA(nullptr, TRUE, FALSE, nullptr));
  EXPECT_EQ(WaitForSingleObject(event, 0), static_cast<DWORD>(WAIT_TIMEOUT));
  EXPECT_EQ(runs, 0);
  EXPECT_EQ(WaitForSingleObjectEx(event, 10000, TRUE), static_cast<DWORD>(WAIT_IO_COMPLETION));
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(last, 5u);
  EXPECT_EQ(SleepEx(0, TRUE), 0u);  // nothing queued any more
  EXPECT_EQ(QueueUserAPC(nullptr, GetCurrentThread(), 0), 0u);
  EXPECT_EQ(GetLastError(), ERROR_INVALID_PARAMETER);
  EXPECT_EQ(QueueUserAPC(apc, event, 0), 0u);
  EXPECT_EQ(GetLastError(), ERROR_INVALID_HANDLE);

  // Queued to another thread, it runs there, in that thread's alertable wait.
  static std::atomic<DWORD> ran_on;
  static DWORD target_id;
  handle_guard ready(CreateEventA(nullptr, TRUE, FALSE, nullptr));
  static HANDLE ready_event;
  ready_event = ready.get();
  handle_guard target(CreateThread(
      nullptr, 0,
      [](LPVOID) -> DWORD {
        target_id = GetCurrentThreadId();
        SetEvent(ready_event);
        return SleepEx(10000, TRUE);
      },
      nullptr, 0, nullptr));
  ASSERT_TRUE(wait_for(ready));
  ASSERT_NE(QueueUserAPC([](ULONG_PTR) { ran_on = GetCurrentThreadId(); }, target, 0), 0u);
  ASSERT_TRUE(wait_for(target));
  DWORD code;
  EXPECT_TRUE(GetExitCodeThread(target, &code));
  EXPECT_EQ(code, static_cast<DWORD>(WAIT_IO_COMPLETION));
  EXPECT_EQ(ran_on, target_id);
}

TEST(Sync, HandlesDuplicatesAndFlags) {
  HANDLE event = CreateEventA(nullptr, TRUE, FALSE, nullptr);
  HANDLE copy = nullptr;
  ASSERT_TRUE(DuplicateHandle(GetCurrentProcess(), event, GetCurrentProcess(), &copy, 0, TRUE,
                              DUPLICATE_SAME_ACCESS));
  EXPECT_NE(copy, event);
  EXPECT_TRUE(SetEvent(copy));
  EXPECT_EQ(WaitForSingleObject(event, 0), WAIT_OBJECT_0);  // one object
  DWORD flags = 9;
  EXPECT_TRUE(GetHandleInformation(copy, &flags));
  EXPECT_EQ(flags, static_cast<DWORD>(HANDLE_FLAG_INHERIT));
  EXPECT_TRUE(
      SetHandleInformation(copy, HANDLE_FLAG_PROTECT_FROM_CLOSE, HANDLE_FLAG_PROTECT_FROM_CLOSE));
  EXPECT_FALSE(CloseHandle(copy));
  EXPECT_EQ(GetLastError(), ERROR_INVALID_HANDLE);
  EXPECT_TRUE(SetHandleInformation(copy, HANDLE_FLAG_PROTECT_FROM_CLOSE, 0));
  EXPECT_FALSE(SetHandleInformation(copy, 0x100, 0));
  EXPECT_EQ(GetLastError(), ERROR_INVALID_PARAMETER);
  EXPECT_TRUE(CloseHandle(copy));
  EXPECT_FALSE(CloseHandle(copy));
  EXPECT_EQ(GetLastError(), ERROR_INVALID_HANDLE);
  EXPECT_EQ(WaitForSingleObject(event, 0), WAIT_OBJECT_0);  // the original lives on
  // DUPLICATE_CLOSE_SOURCE.
  ASSERT_TRUE(DuplicateHandle(GetCurrentProcess(), event, GetCurrentProcess(), &copy, 0, FALSE,
                              DUPLICATE_SAME_ACCESS | DUPLICATE_CLOSE_SOURCE));
  EXPECT_FALSE(CloseHandle(event));
  EXPECT_EQ(GetLastError(), ERROR_INVALID_HANDLE);
  EXPECT_TRUE(CloseHandle(copy));
  EXPECT_FALSE(GetHandleInformation(copy, &flags));
  EXPECT_EQ(GetLastError(), ERROR_INVALID_HANDLE);
  // Pseudo-handles.
  EXPECT_TRUE(CloseHandle(GetCurrentProcess()));
  EXPECT_TRUE(CloseHandle(GetCurrentThread()));
  EXPECT_EQ(GetCurrentThreadId(), static_cast<DWORD>(::syscall(SYS_gettid)));
  EXPECT_EQ(GetCurrentProcessId(), static_cast<DWORD>(::getpid()));
}

TEST(Sync, TicksMoveForward) {
  ULONGLONG before = GetTickCount64();
  handle_guard event(CreateEventA(nullptr, TRUE, FALSE, nullptr));
  EXPECT_EQ(WaitForSingleObject(event, 30), static_cast<DWORD>(WAIT_TIMEOUT));
  ULONGLONG after = GetTickCount64();
  EXPECT_GE(after - before, 29u);  // a timed wait lasts its time
  EXPECT_LE(after - before, 5000u);
}

}  // namespace
}  // namespace conduit::test
