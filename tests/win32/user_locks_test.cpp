// CRITICAL_SECTION, SRWLOCK, CONDITION_VARIABLE, InitOnce, Interlocked,
// TLS and the performance counter: what threads see, as on Windows.
#include <gtest/gtest.h>

#include <windows.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace conduit::test {
namespace {

TEST(CriticalSection, RecursiveAndExclusive) {
  CRITICAL_SECTION cs;
  ASSERT_TRUE(InitializeCriticalSectionAndSpinCount(&cs, 4000));
  EnterCriticalSection(&cs);
  EnterCriticalSection(&cs);  // the owner enters again
  EXPECT_TRUE(TryEnterCriticalSection(&cs));
  EXPECT_EQ(cs.RecursionCount, 3);
  bool other_entered = true;
  std::thread([&] { other_entered = TryEnterCriticalSection(&cs); }).join();
  EXPECT_FALSE(other_entered);
  LeaveCriticalSection(&cs);
  LeaveCriticalSection(&cs);
  LeaveCriticalSection(&cs);
  std::thread([&] {
    other_entered = TryEnterCriticalSection(&cs);
    if (other_entered) LeaveCriticalSection(&cs);
  }).join();
  EXPECT_TRUE(other_entered);
  EXPECT_EQ(SetCriticalSectionSpinCount(&cs, 10), 4000u);
  DeleteCriticalSection(&cs);
}

TEST(CriticalSection, CountsUnderContention) {
  CRITICAL_SECTION cs;
  InitializeCriticalSection(&cs);
  long counter = 0;  // guarded by cs only
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 50000; ++i) {
        EnterCriticalSection(&cs);
        ++counter;
        LeaveCriticalSection(&cs);
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(counter, 200000);
  DeleteCriticalSection(&cs);
}

TEST(SrwLock, SharedExclusiveAndTry) {
  SRWLOCK lock = SRWLOCK_INIT;
  AcquireSRWLockShared(&lock);
  EXPECT_TRUE(TryAcquireSRWLockShared(&lock));  // readers share
  EXPECT_FALSE(TryAcquireSRWLockExclusive(&lock));
  ReleaseSRWLockShared(&lock);
  ReleaseSRWLockShared(&lock);
  EXPECT_TRUE(TryAcquireSRWLockExclusive(&lock));
  EXPECT_FALSE(TryAcquireSRWLockShared(&lock));
  EXPECT_FALSE(TryAcquireSRWLockExclusive(&lock));  // not recursive
  ReleaseSRWLockExclusive(&lock);
  long counter = 0;
  std::atomic<int> readers_inside{0};
  std::atomic<bool> overlap{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20000; ++i) {
        if ((i + t) % 4 == 0) {
          AcquireSRWLockExclusive(&lock);
          if (readers_inside.load() != 0) overlap = true;
          ++counter;
          ReleaseSRWLockExclusive(&lock);
        } else {
          AcquireSRWLockShared(&lock);
          readers_inside.fetch_add(1);
          readers_inside.fetch_sub(1);
          ReleaseSRWLockShared(&lock);
        }
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(counter, 20000);
  EXPECT_FALSE(overlap.load());
  EXPECT_EQ(lock.Ptr, nullptr);  // nothing left held or marked
}

TEST(ConditionVariable, TimeoutIsErrorTimeout) {
  CRITICAL_SECTION cs;
  InitializeCriticalSection(&cs);
  CONDITION_VARIABLE cv = CONDITION_VARIABLE_INIT;
  EnterCriticalSection(&cs);
  EnterCriticalSection(&cs);
  auto start = std::chrono::steady_clock::now();
  SetLastError(0);
  EXPECT_FALSE(SleepConditionVariableCS(&cv, &cs, 50));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_TIMEOUT));
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(45));
  EXPECT_EQ(cs.RecursionCount, 2);  // both entries back
  LeaveCriticalSection(&cs);
  LeaveCriticalSection(&cs);
  SRWLOCK lock = SRWLOCK_INIT;
  AcquireSRWLockShared(&lock);
  EXPECT_FALSE(SleepConditionVariableSRW(&cv, &lock, 0, CONDITION_VARIABLE_LOCKMODE_SHARED));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_TIMEOUT));
  EXPECT_FALSE(SleepConditionVariableSRW(&cv, &lock, 0, 2));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_PARAMETER));
  ReleaseSRWLockShared(&lock);
  DeleteCriticalSection(&cs);
}

TEST(ConditionVariable, ProducerConsumer) {
  SRWLOCK lock = SRWLOCK_INIT;
  CONDITION_VARIABLE not_empty = CONDITION_VARIABLE_INIT;
  std::vector<int> queue;
  long sum = 0;
  std::vector<std::thread> consumers;
  for (int c = 0; c < 3; ++c)
    consumers.emplace_back([&] {
      for (;;) {
        AcquireSRWLockExclusive(&lock);
        while (queue.empty()) {
          // Bounded: a lost wake fails the test instead of hanging it.
          if (!SleepConditionVariableSRW(&not_empty, &lock, 10000, 0)) {
            ADD_FAILURE() << "no wake within 10 s";
            ReleaseSRWLockExclusive(&lock);
            return;
          }
        }
        int v = queue.back();
        queue.pop_back();
        if (v > 0) sum += v;  // under the lock: three consumers add to it
        ReleaseSRWLockExclusive(&lock);
        if (v < 0) return;
      }
    });
  for (int i = 1; i <= 3000; ++i) {
    AcquireSRWLockExclusive(&lock);
    queue.insert(queue.begin(), i);
    ReleaseSRWLockExclusive(&lock);
    WakeConditionVariable(&not_empty);
  }
  AcquireSRWLockExclusive(&lock);
  for (int c = 0; c < 3; ++c) queue.insert(queue.begin(), -1);
  ReleaseSRWLockExclusive(&lock);
  WakeAllConditionVariable(&not_empty);
  for (auto& t : consumers) t.join();
  EXPECT_EQ(sum, 3000L * 3001 / 2);
}

std::atomic<int> init_runs{0};

BOOL CALLBACK init_once_fn(PINIT_ONCE, PVOID parameter, PVOID* context) {
  init_runs.fetch_add(1);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // others must wait, not run
  *context = parameter;
  return TRUE;
}

BOOL CALLBACK failing_init(PINIT_ONCE, PVOID, PVOID*) {
  init_runs.fetch_add(1);
  return FALSE;
}

TEST(InitOnce, RunsOnceOthersWait) {
  static INIT_ONCE once = INIT_ONCE_STATIC_INIT;
  static int target;
  std::vector<std::thread> threads;
  std::atomic<int> saw_target{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      PVOID context = nullptr;
      if (InitOnceExecuteOnce(&once, init_once_fn, &target, &context) && context == &target)
        saw_target.fetch_add(1);
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(init_runs.load(), 1);
  EXPECT_EQ(saw_target.load(), 4);

  INIT_ONCE retry = INIT_ONCE_STATIC_INIT;
  init_runs = 0;
  EXPECT_FALSE(InitOnceExecuteOnce(&retry, failing_init, nullptr, nullptr));
  EXPECT_FALSE(InitOnceExecuteOnce(&retry, failing_init, nullptr, nullptr));
  EXPECT_EQ(init_runs.load(), 2);  // a failure lets the next caller try again
}

TEST(InitOnce, BeginAndComplete) {
  INIT_ONCE once;
  InitOnceInitialize(&once);
  BOOL pending = FALSE;
  PVOID context = nullptr;
  EXPECT_FALSE(InitOnceBeginInitialize(&once, INIT_ONCE_CHECK_ONLY, &pending, &context));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_GEN_FAILURE));
  ASSERT_TRUE(InitOnceBeginInitialize(&once, 0, &pending, &context));
  EXPECT_TRUE(pending);
  static int value;
  EXPECT_FALSE(InitOnceComplete(&once, 0, reinterpret_cast<char*>(&value) + 1));  // low bits
  EXPECT_TRUE(InitOnceComplete(&once, 0, &value));
  EXPECT_TRUE(InitOnceBeginInitialize(&once, 0, &pending, &context));
  EXPECT_FALSE(pending);
  EXPECT_EQ(context, &value);
  EXPECT_TRUE(InitOnceBeginInitialize(&once, INIT_ONCE_CHECK_ONLY, &pending, &context));
  EXPECT_FALSE(InitOnceBeginInitialize(&once, INIT_ONCE_ASYNC, &pending, &context));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_PARAMETER));
}

TEST(Interlocked, ReturnValuesAsWindows) {
  volatile LONG v = 5;
  EXPECT_EQ(InterlockedIncrement(&v), 6);
  EXPECT_EQ(InterlockedDecrement(&v), 5);
  EXPECT_EQ(InterlockedExchangeAdd(&v, 10), 5);
  EXPECT_EQ(InterlockedAdd(&v, 1), 16);
  EXPECT_EQ(InterlockedExchange(&v, 1), 16);
  EXPECT_EQ(InterlockedCompareExchange(&v, 9, 0), 1);  // no match: unchanged
  EXPECT_EQ(v, 1);
  EXPECT_EQ(InterlockedCompareExchange(&v, 9, 1), 1);
  EXPECT_EQ(v, 9);
  EXPECT_EQ(InterlockedOr(&v, 6), 9);
  EXPECT_EQ(InterlockedAnd(&v, 3), 15);
  EXPECT_EQ(InterlockedXor(&v, 1), 3);
  volatile LONGLONG w = 1LL << 40;
  EXPECT_EQ(InterlockedIncrement64(&w), (1LL << 40) + 1);
  EXPECT_EQ(InterlockedCompareExchange64(&w, 7, (1LL << 40) + 1), (1LL << 40) + 1);
  EXPECT_EQ(InterlockedExchangeAdd64(&w, 3), 7);
  EXPECT_EQ(InterlockedDecrement64(&w), 9);
  volatile SHORT s = 32767;
  EXPECT_EQ(InterlockedIncrement16(&s), -32768);
  int a = 0, b = 0;
  PVOID volatile p = &a;
  EXPECT_EQ(InterlockedCompareExchangePointer(&p, &b, &a), &a);
  EXPECT_EQ(InterlockedExchangePointer(&p, nullptr), &b);
  MemoryBarrier();
  volatile LONG shared = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 100000; ++i) InterlockedIncrement(&shared);
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(shared, 400000);
}

TEST(ThreadLocalStorage, PerThreadValuesAndErrors) {
  DWORD slot = TlsAlloc();
  ASSERT_NE(slot, TLS_OUT_OF_INDEXES);
  SetLastError(1234);
  EXPECT_EQ(TlsGetValue(slot), nullptr);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_SUCCESS));
  int mine = 0, theirs = 0;
  EXPECT_TRUE(TlsSetValue(slot, &mine));
  std::thread([&] {
    EXPECT_EQ(TlsGetValue(slot), nullptr);  // each thread starts with NULL
    EXPECT_TRUE(TlsSetValue(slot, &theirs));
    EXPECT_EQ(TlsGetValue(slot), &theirs);
  }).join();
  EXPECT_EQ(TlsGetValue(slot), &mine);
  EXPECT_TRUE(TlsFree(slot));
  EXPECT_FALSE(TlsFree(slot));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_PARAMETER));
  EXPECT_EQ(TlsGetValue(slot), nullptr);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_PARAMETER));
  EXPECT_FALSE(TlsSetValue(5000, nullptr));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_PARAMETER));
}

TEST(Time, PerformanceCounterAndTicks) {
  LARGE_INTEGER f, t0, t1;
  ASSERT_TRUE(QueryPerformanceFrequency(&f));
  EXPECT_EQ(f.QuadPart, 1000000000LL);
  ASSERT_TRUE(QueryPerformanceCounter(&t0));
  ULONGLONG ticks = GetTickCount64();
  Sleep(20);
  ASSERT_TRUE(QueryPerformanceCounter(&t1));
  double ms = static_cast<double>(t1.QuadPart - t0.QuadPart) * 1000.0 / f.QuadPart;
  EXPECT_GE(ms, 19.0);
  EXPECT_GE(GetTickCount64() - ticks, 19u);
  EXPECT_FALSE(QueryPerformanceCounter(nullptr));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_NOACCESS));
}

}  // namespace
}  // namespace conduit::test
