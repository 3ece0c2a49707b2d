// I/O completion ports: creating and associating, posting and taking
// packets one at a time or in batches, timeouts, alertable waits, waiting on
// a port, closing it under a waiter, and the packets pipe operations send.
#include <gtest/gtest.h>

#include <windows.h>

#include <sys/syscall.h>

#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/sandbox.hpp"
#include "win32/win32_test_support.hpp"

namespace conduit::test {
namespace {

constexpr DWORD overlapped_duplex = PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED;

class CompletionPort : public sandbox {};

TEST_F(CompletionPort, CreateAndAssociate) {
  handle_guard port(CreateIoCompletionPort(INVALID_HANDLE_VALUE, nullptr, 0, 0));
  ASSERT_NE(port.get(), nullptr) << GetLastError();
  handle_guard server(make_server(pipe_name(), overlapped_duplex, PIPE_TYPE_BYTE));
  // Associating returns the port itself.
  EXPECT_EQ(CreateIoCompletionPort(server, port, 1, 0), port.get());
  // A file belongs to one port only.
  EXPECT_EQ(CreateIoCompletionPort(server, port, 2, 0), nullptr);
  EXPECT_EQ(GetLastError(), ERROR_INVALID_PARAMETER);
  handle_guard other(make_server(pipe_name("other"), overlapped_duplex, PIPE_TYPE_BYTE));
  handle_guard own(CreateIoCompletionPort(other, nullptr, 3, 0));  // a new port, associated
  ASSERT_NE(own.get(), nullptr);
  EXPECT_NE(own.get(), port.get());
  // What is not a file, or not a port.
  handle_guard event(CreateEventA(nullptr, TRUE, FALSE, nullptr));
  EXPECT_EQ(CreateIoCompletionPort(event, port, 1, 0), nullptr);
  EXPECT_EQ(GetLastError(), ERROR_INVALID_HANDLE);
  handle_guard third(make_server(pipe_name("third"), overlapped_duplex, PIPE_TYPE_BYTE));
  EXPECT_EQ(CreateIoCompletionPort(third, event, 1, 0), nullptr);
  EXPECT_EQ(GetLastError(), ERROR_INVALID_PARAMETER);
  EXPECT_EQ(CreateIoCompletionPort(INVALID_HANDLE_VALUE, port, 1, 0), nullptr);
  EXPECT_EQ(GetLastError(), ERROR_INVALID_PARAMETER);
  EXPECT_EQ(CreateIoCompletionPort(reinterpret_cast<HANDLE>(0x7ff0), nullptr, 1, 0), nullptr);
  EXPECT_EQ(GetLastError(), ERROR_INVALID_HANDLE);
}

TEST_F(CompletionPort, PostAndTake) {
  handle_guard port(CreateIoCompletionPort(INVALID_HANDLE_VALUE, nullptr, 0, 0));
  DWORD n = 7;
  ULONG_PTR key = 7;
  OVERLAPPED* ov = reinterpret_cast<OVERLAPPED*>(1);
  EXPECT_FALSE(GetQueuedCompletionStatus(port, &n, &key, &ov, 0));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(WAIT_TIMEOUT));
  EXPECT_EQ(ov, nullptr);
  EXPECT_FALSE(GetQueuedCompletionStatus(port, &n, &key, &ov, 20));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(WAIT_TIMEOUT));

  OVERLAPPED mine{};
  EXPECT_TRUE(PostQueuedCompletionStatus(port, 3, 4, &mine));
  EXPECT_TRUE(PostQueuedCompletionStatus(port, 5, 6, nullptr));
  EXPECT_TRUE(GetQueuedCompletionStatus(port, &n, &key, &ov, 0));
  EXPECT_EQ(n, 3u);
  EXPECT_EQ(key, 4u);
  EXPECT_EQ(ov, &mine);
  EXPECT_TRUE(GetQueuedCompletionStatus(port, &n, &key, &ov, 0));  // FIFO
  EXPECT_EQ(n, 5u);
  EXPECT_EQ(key, 6u);
  EXPECT_EQ(ov, nullptr);

  handle_guard event(CreateEventA(nullptr, TRUE, FALSE, nullptr));
  EXPECT_FALSE(PostQueuedCompletionStatus(event, 1, 1, nullptr));
  EXPECT_EQ(GetLastError(), ERROR_INVALID_HANDLE);
  EXPECT_FALSE(GetQueuedCompletionStatus(event, &n, &key, &ov, 0));
  EXPECT_EQ(GetLastError(), ERROR_INVALID_HANDLE);
}

TEST_F(CompletionPort, TakeInBatches) {
  handle_guard port(CreateIoCompletionPort(INVALID_HANDLE_VALUE, nullptr, 0, 0));
  for (ULONG_PTR k = 1; k <= 3; ++k)
    ASSERT_TRUE(PostQueuedCompletionStatus(port, 10 * k, k, nullptr));
  OVERLAPPED_ENTRY entries[2];
  ULONG removed = 99;
  ASSERT_TRUE(GetQueuedCompletionStatusEx(port, entries, 2, &removed, 0, FALSE));
  ASSERT_EQ(removed, 2u);
  EXPECT_EQ(entries[0].lpCompletionKey, 1u);
  EXPECT_EQ(entries[0].dwNumberOfBytesTransferred, 10u);
  EXPECT_EQ(entries[0].Internal, static_cast<ULONG_PTR>(STATUS_SUCCESS));
  EXPECT_EQ(entries[1].lpCompletionKey, 2u);
  ASSERT_TRUE(GetQueuedCompletionStatusEx(port, entries, 2, &removed, 0, FALSE));
  ASSERT_EQ(removed, 1u);
  EXPECT_EQ(entries[0].lpCompletionKey, 3u);
  EXPECT_FALSE(GetQueuedCompletionStatusEx(port, entries, 2, &removed, 0, FALSE));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(WAIT_TIMEOUT));
  EXPECT_EQ(removed, 0u);
  EXPECT_FALSE(GetQueuedCompletionStatusEx(port, entries, 0, &removed, 0, FALSE));
  EXPECT_EQ(GetLastError(), ERROR_INVALID_PARAMETER);
}

TEST_F(CompletionPort, AlertableTakeRunsApcsOnlyWhenEmpty) {
  handle_guard port(CreateIoCompletionPort(INVALID_HANDLE_VALUE, nullptr, 0, 0));
  static std::atomic<int> apc_runs;
  apc_runs = 0;
  auto apc = [](ULONG_PTR) { ++apc_runs; };
  OVERLAPPED_ENTRY entry;
  ULONG removed;
  // A packet waiting comes first; the APC stays queued.
  ASSERT_NE(QueueUserAPC(apc, GetCurrentThread(), 0), 0u);
  ASSERT_TRUE(PostQueuedCompletionStatus(port, 1, 1, nullptr));
  EXPECT_TRUE(GetQueuedCompletionStatusEx(port, &entry, 1, &removed, 1000, TRUE));
  EXPECT_EQ(apc_runs, 0);
  // Nothing waiting: the APC runs and ends the wait.
  EXPECT_FALSE(GetQueuedCompletionStatusEx(port, &entry, 1, &removed, 1000, TRUE));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(WAIT_IO_COMPLETION));
  EXPECT_EQ(apc_runs, 1);
  EXPECT_EQ(removed, 0u);
  // Not alertable: the APC waits for later.
  ASSERT_NE(QueueUserAPC(apc, GetCurrentThread(), 0), 0u);
  EXPECT_FALSE(GetQueuedCompletionStatusEx(port, &entry, 1, &removed, 10, FALSE));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(WAIT_TIMEOUT));
  EXPECT_EQ(apc_runs, 1);
  EXPECT_EQ(SleepEx(0, TRUE), static_cast<DWORD>(WAIT_IO_COMPLETION));
  EXPECT_EQ(apc_runs, 2);
}

TEST_F(CompletionPort, APortIsWaitable) {
  handle_guard port(CreateIoCompletionPort(INVALID_HANDLE_VALUE, nullptr, 0, 0));
  EXPECT_EQ(WaitForSingleObject(port, 0), static_cast<DWORD>(WAIT_TIMEOUT));
  ASSERT_TRUE(PostQueuedCompletionStatus(port, 1, 1, nullptr));
  EXPECT_EQ(WaitForSingleObject(port, 0), WAIT_OBJECT_0);
  EXPECT_EQ(WaitForSingleObject(port, 0), WAIT_OBJECT_0);  // waiting takes nothing
  DWORD n;
  ULONG_PTR key;
  OVERLAPPED* ov;
  EXPECT_TRUE(GetQueuedCompletionStatus(port, &n, &key, &ov, 0));
  EXPECT_EQ(WaitForSingleObject(port, 0), static_cast<DWORD>(WAIT_TIMEOUT));
}

TEST_F(CompletionPort, ClosingThePortWakesItsWaiters) {
  HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, nullptr, 0, 0);
  std::atomic<DWORD> waiter_tid{0};
  DWORD error = 0;
  BOOL result = TRUE;
  std::thread waiter([&] {
    waiter_tid = GetCurrentThreadId();
    DWORD n;
    ULONG_PTR key;
    OVERLAPPED* ov;
    result = GetQueuedCompletionStatus(port, &n, &key, &ov, 20000);
    error = GetLastError();
  });
  // Close only once the waiter is inside its wait.
  while (waiter_tid == 0) std::this_thread::yield();
  ASSERT_TRUE(wait_until_blocked(waiter_tid, SYS_poll));
  EXPECT_TRUE(CloseHandle(port));
  waiter.join();
  EXPECT_FALSE(result);
  EXPECT_EQ(error, ERROR_ABANDONED_WAIT_0);
}

TEST_F(CompletionPort, ManyThreadsTakeEachPacketOnce) {
  handle_guard port(CreateIoCompletionPort(INVALID_HANDLE_VALUE, nullptr, 0, 4));
  constexpr int threads = 4, packets = 2000;
  std::vector<std::vector<ULONG_PTR>> seen(threads);
  std::vector<std::thread> takers;
  for (int t = 0; t < threads; ++t) {
    takers.emplace_back([&, t] {
      for (;;) {
        DWORD n;
        ULONG_PTR key;
        OVERLAPPED* ov;
        if (!GetQueuedCompletionStatus(port, &n, &key, &ov, 10000)) return;
        if (key == 0) return;  // the end
        seen[t].push_back(key);
      }
    });
  }
  for (ULONG_PTR k = 1; k <= packets; ++k)
    ASSERT_TRUE(PostQueuedCompletionStatus(port, 0, k, nullptr));
  for (int t = 0; t < threads; ++t) ASSERT_TRUE(PostQueuedCompletionStatus(port, 0, 0, nullptr));
  for (auto& t : takers) t.join();
  std::set<ULONG_PTR> all;
  std::size_t total = 0;
  for (const auto& s : seen) {
    total += s.size();
    all.insert(s.begin(), s.end());
  }
  EXPECT_EQ(total, static_cast<std::size_t>(packets));
  EXPECT_EQ(all.size(), static_cast<std::size_t>(packets));
}

TEST_F(CompletionPort, TheConcurrencyLimitHoldsPacketsBack) {
  // Limit 1: while one thread runs on a packet, the next packet waits,
  // until that thread blocks in a wait (or asks the port again).
  handle_guard port(CreateIoCompletionPort(INVALID_HANDLE_VALUE, nullptr, 0, 1));
  handle_guard finish(CreateEventA(nullptr, TRUE, FALSE, nullptr));
  ASSERT_TRUE(PostQueuedCompletionStatus(port, 0, 1, nullptr));
  ASSERT_TRUE(PostQueuedCompletionStatus(port, 0, 2, nullptr));
  std::atomic<ULONG_PTR> runner_key{0};
  std::atomic<bool> may_block{false};
  std::thread runner([&] {
    DWORD n;
    ULONG_PTR key;
    OVERLAPPED* ov;
    // A failed take (after its bounded wait) still ends the main thread's wait.
    runner_key = GetQueuedCompletionStatus(port, &n, &key, &ov, 10000) ? key : ~ULONG_PTR{0};
    while (!may_block) std::this_thread::yield();  // running, in no Win32 wait
    WaitForSingleObject(finish, 10000);
  });
  while (runner_key == 0) std::this_thread::yield();
  EXPECT_EQ(runner_key, 1u);
  DWORD n;
  ULONG_PTR key = 0;
  OVERLAPPED* ov;
  // Packet 2 is there, but the one thread the port allows is running.
  EXPECT_FALSE(GetQueuedCompletionStatus(port, &n, &key, &ov, 0));
  EXPECT_EQ(GetLastError(), WAIT_TIMEOUT);
  may_block = true;
  EXPECT_TRUE(GetQueuedCompletionStatus(port, &n, &key, &ov, 10000));
  EXPECT_EQ(key, 2u);
  SetEvent(finish);
  runner.join();
}

TEST_F(CompletionPort, AThreadThatEndsNoLongerRunsOnThePort) {
  handle_guard port(CreateIoCompletionPort(INVALID_HANDLE_VALUE, nullptr, 0, 1));
  ASSERT_TRUE(PostQueuedCompletionStatus(port, 0, 1, nullptr));
  std::thread([&] {
    DWORD n;
    ULONG_PTR key;
    OVERLAPPED* ov;
    EXPECT_TRUE(GetQueuedCompletionStatus(port, &n, &key, &ov, 10000));
  }).join();
  ASSERT_TRUE(PostQueuedCompletionStatus(port, 0, 2, nullptr));
  DWORD n;
  ULONG_PTR key = 0;
  OVERLAPPED* ov;
  EXPECT_TRUE(GetQueuedCompletionStatus(port, &n, &key, &ov, 10000));
  EXPECT_EQ(key, 2u);
}

TEST_F(CompletionPort, PipeOperationsSendTheirPackets) {
  handle_guard server(
      make_server(pipe_name(), overlapped_duplex, PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE));
  handle_guard port(CreateIoCompletionPort(server, nullptr, 77, 0));
  OVERLAPPED connect{};
  ASSERT_FALSE(ConnectNamedPipe(server, &connect));
  ASSERT_EQ(GetLastError(), ERROR_IO_PENDING);
  handle_guard client(open_client(pipe_name()));
  ASSERT_NE(client.get(), INVALID_HANDLE_VALUE);
  DWORD n;
  ULONG_PTR key;
  OVERLAPPED* ov;
  ASSERT_TRUE(GetQueuedCompletionStatus(port, &n, &key, &ov, 10000)) << GetLastError();
  EXPECT_EQ(ov, &connect);
  EXPECT_EQ(key, 77u);
  EXPECT_EQ(n, 0u);

  // A failed operation's packet: FALSE with its error, and everything filled in.
  write_text(client, "too long");
  OVERLAPPED read{};
  char buffer[4];
  EXPECT_FALSE(ReadFile(server, buffer, sizeof(buffer), nullptr, &read));
  EXPECT_EQ(GetLastError(), ERROR_MORE_DATA);
  ov = nullptr;
  EXPECT_FALSE(GetQueuedCompletionStatus(port, &n, &key, &ov, 0));
  EXPECT_EQ(GetLastError(), ERROR_MORE_DATA);
  EXPECT_EQ(ov, &read);
  EXPECT_EQ(n, 4u);
  EXPECT_TRUE(ReadFile(server, buffer, sizeof(buffer), nullptr, &read));
  EXPECT_TRUE(GetQueuedCompletionStatus(port, &n, &key, &ov, 0));
  EXPECT_EQ(n, 4u);

  // hEvent's low bit: the event is set, no packet is sent.
  handle_guard event(CreateEventA(nullptr, TRUE, FALSE, nullptr));
  OVERLAPPED quiet{};
  quiet.hEvent = reinterpret_cast<HANDLE>(reinterpret_cast<std::uintptr_t>(event.get()) | 1);
  write_text(client, "q");
  EXPECT_TRUE(ReadFile(server, buffer, sizeof(buffer), nullptr, &quiet));
  EXPECT_TRUE(signalled(event));
  DWORD got;
  EXPECT_TRUE(GetOverlappedResult(server, &quiet, &got, TRUE));  // the tagged event works too
  EXPECT_EQ(got, 1u);
  EXPECT_FALSE(GetQueuedCompletionStatus(port, &n, &key, &ov, 0));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(WAIT_TIMEOUT));

  // An error at once sends nothing.
  handle_guard lone(make_server(pipe_name("lone"), overlapped_duplex, PIPE_TYPE_BYTE));
  ASSERT_EQ(CreateIoCompletionPort(lone, port, 78, 0), port.get());
  EXPECT_FALSE(ReadFile(lone, buffer, sizeof(buffer), nullptr, &read));
  EXPECT_EQ(GetLastError(), ERROR_PIPE_LISTENING);
  EXPECT_FALSE(GetQueuedCompletionStatus(port, &n, &key, &ov, 0));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(WAIT_TIMEOUT));

  // A cancelled one sends ERROR_OPERATION_ABORTED.
  OVERLAPPED pending{};
  EXPECT_FALSE(ReadFile(server, buffer, sizeof(buffer), nullptr, &pending));
  EXPECT_EQ(GetLastError(), ERROR_IO_PENDING);
  EXPECT_TRUE(CancelIoEx(server, &pending));
  EXPECT_FALSE(GetQueuedCompletionStatus(port, &n, &key, &ov, 10000));
  EXPECT_EQ(GetLastError(), ERROR_OPERATION_ABORTED);
  EXPECT_EQ(ov, &pending);
  EXPECT_EQ(key, 77u);
}

TEST_F(CompletionPort, PacketsAfterThePortClosedAreDropped) {
  handle_guard server(make_server(pipe_name(), overlapped_duplex, PIPE_TYPE_BYTE));
  HANDLE port = CreateIoCompletionPort(server, nullptr, 1, 0);
  handle_guard client(open_client(pipe_name()));
  ASSERT_TRUE(CloseHandle(port));
  // The file's operations still complete; only the packet has nowhere to go.
  overlapped_block read;
  char c;
  write_text(client, "z");
  DWORD n;
  EXPECT_TRUE(ReadFile(server, &c, 1, &n, &read.ov)) << GetLastError();
  EXPECT_EQ(read.status(), STATUS_SUCCESS);
  EXPECT_TRUE(signalled(read.event));
}

}  // namespace
}  // namespace conduit::test
