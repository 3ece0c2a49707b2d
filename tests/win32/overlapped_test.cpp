// Overlapped I/O on named pipes: connect, read, write and transact that
// complete at once or later, their events, the handle's own signal,
// GetOverlappedResult(Ex), ReadFileEx/WriteFileEx completion routines,
// cancelling, closing with I/O pending, and many instances on one thread.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <windows.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "conduit/pipe_client.hpp"
#include "runtime/client_end.hpp"
#include "support/helper_process.hpp"
#include "support/sandbox.hpp"
#include "win32/win32_test_support.hpp"

namespace conduit::test {
namespace {

constexpr DWORD overlapped_duplex = PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED;
constexpr DWORD message_pipe = PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE;

class Overlapped : public sandbox {
 protected:
  // An overlapped server with a connected overlapped client, both in this process.
  void connect_pair(DWORD pipe_mode, handle_guard& server, handle_guard& client, DWORD buffer = 0) {
    server = handle_guard(make_server(pipe_name(), overlapped_duplex, pipe_mode, 1, buffer));
    ASSERT_NE(server.get(), INVALID_HANDLE_VALUE) << GetLastError();
    overlapped_block connect;
    ASSERT_FALSE(ConnectNamedPipe(server, &connect.ov));
    ASSERT_EQ(GetLastError(), ERROR_IO_PENDING);
    client = handle_guard(open_client(pipe_name(), FILE_FLAG_OVERLAPPED));
    ASSERT_NE(client.get(), INVALID_HANDLE_VALUE) << GetLastError();
    if (pipe_mode & PIPE_READMODE_MESSAGE) {
      DWORD mode = PIPE_READMODE_MESSAGE;
      ASSERT_TRUE(SetNamedPipeHandleState(client, &mode, nullptr, nullptr)) << GetLastError();
    }
    ASSERT_TRUE(wait_for(connect.event));
    DWORD n = 7;
    ASSERT_TRUE(GetOverlappedResult(server, &connect.ov, &n, FALSE)) << GetLastError();
    EXPECT_EQ(n, 0u);
  }
};

TEST_F(Overlapped, ConnectPendsUntilAClientOpens) {
  handle_guard server(make_server(pipe_name(), overlapped_duplex, PIPE_TYPE_BYTE));
  ASSERT_NE(server.get(), INVALID_HANDLE_VALUE);
  EXPECT_TRUE(signalled(server));  // a new handle is signalled
  overlapped_block connect;
  EXPECT_FALSE(ConnectNamedPipe(server, &connect.ov));
  EXPECT_EQ(GetLastError(), ERROR_IO_PENDING);
  EXPECT_EQ(connect.status(), static_cast<NTSTATUS>(STATUS_PENDING));
  EXPECT_FALSE(HasOverlappedIoCompleted(&connect.ov));
  EXPECT_FALSE(signalled(connect.event));
  EXPECT_FALSE(signalled(server));
  DWORD n = 0;
  EXPECT_FALSE(GetOverlappedResult(server, &connect.ov, &n, FALSE));
  EXPECT_EQ(GetLastError(), ERROR_IO_INCOMPLETE);

  helper_process client;  // another process, as a Windows client would be
  ASSERT_EQ(client.call("open c1 " + pipe_name()), "ok");
  ASSERT_TRUE(wait_for(connect.event));
  EXPECT_TRUE(HasOverlappedIoCompleted(&connect.ov));
  EXPECT_EQ(connect.status(), STATUS_SUCCESS);
  EXPECT_TRUE(GetOverlappedResult(server, &connect.ov, &n, TRUE));
  EXPECT_EQ(n, 0u);
  EXPECT_FALSE(signalled(server));  // an event was given: the handle stays as it was
  ULONG pid = 0;
  EXPECT_TRUE(GetNamedPipeClientProcessId(server, &pid));
  EXPECT_EQ(pid, static_cast<ULONG>(client.pid()));
}

// An operation whose condition is met when the program looks is complete
// when it looks, as on Windows (Wine's pipe.c relies on it throughout): the
// server's overlapped connect once the client's open has returned, and a
// pending read once the write that satisfies it has returned, whichever way
// the program looks. The client is another process; many rounds, since a
// completion left to the engine thread would be late in most of them.
TEST_F(Overlapped, AnOperationWhoseConditionIsMetIsCompleteWhenTheProgramLooks) {
  helper_process client;
  // Whether the operation is complete when looked at in the round's way.
  auto complete_now = [](int way, HANDLE server, overlapped_block& op) {
    DWORD n = 0;
    switch (way % 3) {
      case 0:
        return HasOverlappedIoCompleted(&op.ov) != FALSE;
      case 1:
        return WaitForSingleObject(op.event, 0) == WAIT_OBJECT_0;
      default:
        return GetOverlappedResult(server, &op.ov, &n, FALSE) != FALSE;
    }
  };
  int rounds = 30, late = 0;
  for (int round = 0; round < rounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    std::string name = pipe_name(std::to_string(round));
    handle_guard server(make_server(name, overlapped_duplex, PIPE_TYPE_BYTE, 1));
    ASSERT_NE(server.get(), INVALID_HANDLE_VALUE) << GetLastError();
    overlapped_block connect;
    ASSERT_FALSE(ConnectNamedPipe(server, &connect.ov));
    ASSERT_EQ(GetLastError(), ERROR_IO_PENDING);
    std::string id = "c" + std::to_string(round);
    ASSERT_EQ(client.call("open " + id + " " + name), "ok");
    if (!complete_now(round, server, connect)) ++late;
    DWORD n = 7;
    ASSERT_TRUE(GetOverlappedResult(server, &connect.ov, &n, TRUE)) << GetLastError();

    overlapped_block read;
    char buffer[8];
    ASSERT_FALSE(ReadFile(server, buffer, sizeof(buffer), &n, &read.ov));
    ASSERT_EQ(GetLastError(), ERROR_IO_PENDING);
    ASSERT_EQ(client.call("write " + id + " data"), "ok 4");
    if (!complete_now(round + 1, server, read)) ++late;
    ASSERT_TRUE(GetOverlappedResult(server, &read.ov, &n, TRUE)) << GetLastError();
    EXPECT_EQ(std::string(buffer, n), "data");
    ASSERT_EQ(client.call("close " + id), "ok");
  }
  // Left to the engine thread, about two thirds of the 60 looks found the
  // operation still pending (measured: 20 and more). A look while that
  // thread had begun to run the operation, or was between ending and
  // reporting it, found it pending too, in a few runs of twenty on a busy
  // machine; the look now waits for that thread.
  EXPECT_EQ(late, 0) << late << " of " << 2 * rounds << " operations were late";
}

TEST_F(Overlapped, ConnectWithoutEventSignalsTheHandle) {
  handle_guard server(make_server(pipe_name(), overlapped_duplex, PIPE_TYPE_BYTE));
  overlapped_block connect(false);
  EXPECT_FALSE(ConnectNamedPipe(server, &connect.ov));
  EXPECT_EQ(GetLastError(), ERROR_IO_PENDING);
  EXPECT_FALSE(signalled(server));
  handle_guard client(open_client(pipe_name()));
  ASSERT_NE(client.get(), INVALID_HANDLE_VALUE);
  DWORD n = 5;
  EXPECT_TRUE(GetOverlappedResult(server, &connect.ov, &n, TRUE));  // waits on the handle
  EXPECT_EQ(n, 0u);
  EXPECT_TRUE(signalled(server));
}

TEST_F(Overlapped, ConnectWhenTheClientCameFirst) {
  handle_guard server(make_server(pipe_name(), overlapped_duplex, PIPE_TYPE_BYTE));
  handle_guard port(CreateIoCompletionPort(server, nullptr, 9, 0));
  handle_guard client(open_client(pipe_name()));
  ASSERT_NE(client.get(), INVALID_HANDLE_VALUE);
  overlapped_block connect;
  ASSERT_TRUE(SetEvent(connect.event));
  EXPECT_FALSE(ConnectNamedPipe(server, &connect.ov));
  EXPECT_EQ(GetLastError(), ERROR_PIPE_CONNECTED);
  // As Windows: nothing is delivered for it, and the event was reset.
  EXPECT_EQ(connect.status(), static_cast<NTSTATUS>(STATUS_PENDING));
  EXPECT_FALSE(signalled(connect.event));
  EXPECT_TRUE(signalled(server));
  DWORD n;
  ULONG_PTR key;
  OVERLAPPED* ov = &connect.ov;
  EXPECT_FALSE(GetQueuedCompletionStatus(port, &n, &key, &ov, 0));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(WAIT_TIMEOUT));
  EXPECT_EQ(ov, nullptr);
}

TEST_F(Overlapped, ConnectWhenTheClientCameAndWent) {
  handle_guard server(make_server(pipe_name(), overlapped_duplex, PIPE_TYPE_BYTE));
  handle_guard(open_client(pipe_name())).reset();
  overlapped_block connect;
  EXPECT_FALSE(ConnectNamedPipe(server, &connect.ov));
  EXPECT_EQ(GetLastError(), ERROR_NO_DATA);
}

TEST_F(Overlapped, ConnectAgainAfterDisconnectPends) {
  handle_guard server, client;
  connect_pair(PIPE_TYPE_BYTE, server, client);
  ASSERT_TRUE(DisconnectNamedPipe(server));
  overlapped_block connect;
  EXPECT_FALSE(ConnectNamedPipe(server, &connect.ov));
  EXPECT_EQ(GetLastError(), ERROR_IO_PENDING);
  handle_guard second(open_client(pipe_name()));
  ASSERT_NE(second.get(), INVALID_HANDLE_VALUE) << GetLastError();
  EXPECT_TRUE(wait_for(connect.event));
  EXPECT_EQ(connect.status(), STATUS_SUCCESS);
}

TEST_F(Overlapped, ConnectErrorsAtOnce) {
  handle_guard nowait(
      make_server(pipe_name("nowait"), overlapped_duplex, PIPE_TYPE_BYTE | PIPE_NOWAIT));
  overlapped_block connect;
  EXPECT_FALSE(ConnectNamedPipe(nowait, &connect.ov));
  EXPECT_EQ(GetLastError(), ERROR_PIPE_LISTENING);
  handle_guard server(make_server(pipe_name(), overlapped_duplex, PIPE_TYPE_BYTE));
  handle_guard client(open_client(pipe_name(), FILE_FLAG_OVERLAPPED));
  EXPECT_FALSE(ConnectNamedPipe(client, &connect.ov));
  EXPECT_EQ(GetLastError(), ERROR_INVALID_FUNCTION);
  EXPECT_FALSE(ConnectNamedPipe(reinterpret_cast<HANDLE>(0x7ffc), &connect.ov));
  EXPECT_EQ(GetLastError(), ERROR_INVALID_HANDLE);
}

TEST_F(Overlapped, ReadCompletesAtOnceWhenDataWaits) {
  handle_guard server, client;
  connect_pair(PIPE_TYPE_BYTE, server, client);
  handle_guard port(CreateIoCompletionPort(server, nullptr, 5, 0));
  write_text(client, "hello");
  overlapped_block read;
  char buffer[64];
  DWORD got = 99;
  EXPECT_TRUE(ReadFile(server, buffer, sizeof(buffer), &got, &read.ov)) << GetLastError();
  EXPECT_EQ(got, 5u);
  EXPECT_EQ(std::string(buffer, got), "hello");
  EXPECT_EQ(read.status(), STATUS_SUCCESS);
  EXPECT_EQ(read.ov.InternalHigh, 5u);
  EXPECT_TRUE(signalled(read.event));
  EXPECT_FALSE(signalled(server));  // reset by the read, which had an event
  // A read done at once still sends its packet.
  DWORD n;
  ULONG_PTR key;
  OVERLAPPED* ov = nullptr;
  EXPECT_TRUE(GetQueuedCompletionStatus(port, &n, &key, &ov, 0)) << GetLastError();
  EXPECT_EQ(n, 5u);
  EXPECT_EQ(key, 5u);
  EXPECT_EQ(ov, &read.ov);
}

TEST_F(Overlapped, TheEventIsTheOneNamedWhenTheCallWasMade) {
  handle_guard server, client;
  connect_pair(PIPE_TYPE_BYTE, server, client);
  handle_guard event(CreateEventA(nullptr, TRUE, FALSE, nullptr));
  HANDLE copy = nullptr;
  ASSERT_TRUE(DuplicateHandle(GetCurrentProcess(), event, GetCurrentProcess(), &copy, 0, FALSE,
                              DUPLICATE_SAME_ACCESS));
  OVERLAPPED ov{};
  ov.hEvent = copy;
  char buffer[8];
  DWORD n;
  EXPECT_FALSE(ReadFile(server, buffer, sizeof(buffer), &n, &ov));
  EXPECT_EQ(GetLastError(), ERROR_IO_PENDING);
  // The handle goes (and its value may be reused); the event it named stays.
  ASSERT_TRUE(CloseHandle(copy));
  write_text(client, "e");
  EXPECT_TRUE(wait_for(event));

  // hEvent must name an event.
  ov.hEvent = reinterpret_cast<HANDLE>(0x7ffc);
  ov.Internal = 77;
  EXPECT_FALSE(ReadFile(server, buffer, sizeof(buffer), &n, &ov));
  EXPECT_EQ(GetLastError(), ERROR_INVALID_HANDLE);
  EXPECT_EQ(ov.Internal, 77u);
}

TEST_F(Overlapped, ReadWaitsForAnotherProcess) {
  handle_guard server(make_server(pipe_name(), overlapped_duplex, PIPE_TYPE_BYTE));
  helper_process client;
  ASSERT_EQ(client.call("open c1 " + pipe_name()), "ok");
  overlapped_block connect;
  EXPECT_FALSE(ConnectNamedPipe(server, &connect.ov));
  EXPECT_EQ(GetLastError(), ERROR_PIPE_CONNECTED);
  overlapped_block read;
  char buffer[64];
  DWORD got = 99;
  EXPECT_FALSE(ReadFile(server, buffer, sizeof(buffer), &got, &read.ov));
  EXPECT_EQ(GetLastError(), ERROR_IO_PENDING);
  EXPECT_EQ(got, 0u);
  ASSERT_EQ(client.call("write c1 ping"), "ok 4");
  ASSERT_TRUE(wait_for(read.event));
  EXPECT_TRUE(GetOverlappedResult(server, &read.ov, &got, FALSE));
  EXPECT_EQ(std::string(buffer, got), "ping");
  // And the other way, a write that completes.
  overlapped_block write;
  EXPECT_TRUE(WriteFile(server, "pong", 4, &got, &write.ov)) << GetLastError();
  EXPECT_EQ(got, 4u);
  EXPECT_EQ(client.call("read c1 16"), "ok pong");
}

TEST_F(Overlapped, MoreDataAtOnceAndLater) {
  handle_guard server, client;
  connect_pair(message_pipe, server, client);
  write_text(client, "hello world");
  overlapped_block read;
  char buffer[64];
  DWORD got = 99;
  EXPECT_FALSE(ReadFile(server, buffer, 4, &got, &read.ov));
  EXPECT_EQ(GetLastError(), ERROR_MORE_DATA);
  EXPECT_EQ(got, 0u);  // with an OVERLAPPED, the count is in InternalHigh
  EXPECT_EQ(read.status(), STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(read.ov.InternalHigh, 4u);
  EXPECT_TRUE(signalled(read.event));
  EXPECT_FALSE(GetOverlappedResult(server, &read.ov, &got, FALSE));
  EXPECT_EQ(GetLastError(), ERROR_MORE_DATA);
  EXPECT_EQ(got, 4u);
  EXPECT_TRUE(ReadFile(server, buffer + 4, sizeof(buffer) - 4, &got, &read.ov));
  EXPECT_EQ(std::string(buffer, 4 + got), "hello world");

  // A read that waits, then gets a message too long for it.
  EXPECT_FALSE(ReadFile(server, buffer, 3, &got, &read.ov));
  EXPECT_EQ(GetLastError(), ERROR_IO_PENDING);
  write_text(client, "abcdef");
  ASSERT_TRUE(wait_for(read.event));
  EXPECT_FALSE(GetOverlappedResult(server, &read.ov, &got, FALSE));
  EXPECT_EQ(GetLastError(), ERROR_MORE_DATA);
  EXPECT_EQ(got, 3u);
  EXPECT_EQ(std::string(buffer, 3), "abc");
  EXPECT_TRUE(ReadFile(server, buffer, sizeof(buffer), &got, &read.ov));
  EXPECT_EQ(std::string(buffer, got), "def");
}

TEST_F(Overlapped, ZeroLengthReadsAndMessages) {
  handle_guard server, client;
  connect_pair(message_pipe, server, client);
  overlapped_block empty_read, read;
  char buffer[16];
  DWORD got;
  EXPECT_FALSE(ReadFile(server, buffer, 0, &got, &empty_read.ov));
  EXPECT_EQ(GetLastError(), ERROR_IO_PENDING);
  EXPECT_FALSE(ReadFile(server, buffer, sizeof(buffer), &got, &read.ov));
  EXPECT_EQ(GetLastError(), ERROR_IO_PENDING);
  // A zero-length message ends the first read, successfully, and only it.
  EXPECT_TRUE(WriteFile(client, buffer, 0, &got, nullptr));
  ASSERT_TRUE(wait_for(empty_read.event));
  EXPECT_TRUE(GetOverlappedResult(server, &empty_read.ov, &got, FALSE)) << GetLastError();
  EXPECT_EQ(got, 0u);
  EXPECT_FALSE(signalled(read.event));
  write_text(client, "x");
  ASSERT_TRUE(wait_for(read.event));
  EXPECT_TRUE(GetOverlappedResult(server, &read.ov, &got, FALSE));
  EXPECT_EQ(got, 1u);
}

// An empty write takes no room: it is done the moment it is issued, even
// behind a write still waiting for the reader (Wine's pipe.c, "empty write
// will not block"), and on a message pipe its empty message still comes in
// its place, after the messages written before it. The reader is another
// process.
TEST_F(Overlapped, AnEmptyWriteIsDoneAtOnceBehindAPendingWrite) {
  for (DWORD mode : {message_pipe, DWORD{PIPE_TYPE_BYTE}}) {
    bool message = mode == message_pipe;
    SCOPED_TRACE(message ? "message pipe" : "byte pipe");
    std::string name = pipe_name(message ? "message" : "byte");
    handle_guard server(make_server(name, overlapped_duplex, mode, 1, 4096));
    ASSERT_NE(server.get(), INVALID_HANDLE_VALUE) << GetLastError();
    overlapped_block connect;
    ASSERT_FALSE(ConnectNamedPipe(server, &connect.ov));
    ASSERT_EQ(GetLastError(), ERROR_IO_PENDING);
    helper_process reader;
    ASSERT_EQ(reader.call("open c1 " + name), "ok");
    ASSERT_TRUE(wait_for(connect.event));
    if (message) {
      ASSERT_EQ(reader.call("read-mode c1 message"), "ok");
    }

    std::vector<char> big(3 << 20, 'b');
    overlapped_block first, empty, tail;
    DWORD n = 7;
    ASSERT_FALSE(WriteFile(server, big.data(), static_cast<DWORD>(big.size()), &n, &first.ov));
    ASSERT_EQ(GetLastError(), ERROR_IO_PENDING);
    n = 7;
    EXPECT_TRUE(WriteFile(server, big.data(), 0, &n, &empty.ov)) << GetLastError();
    EXPECT_EQ(n, 0u);
    EXPECT_TRUE(signalled(empty.event));
    EXPECT_EQ(empty.status(), STATUS_SUCCESS);
    n = 7;
    EXPECT_TRUE(GetOverlappedResult(server, &empty.ov, &n, FALSE)) << GetLastError();
    EXPECT_EQ(n, 0u);
    EXPECT_FALSE(signalled(first.event));
    // A write with data still waits its turn.
    EXPECT_FALSE(WriteFile(server, "tail", 4, &n, &tail.ov));
    EXPECT_EQ(GetLastError(), ERROR_IO_PENDING);

    if (message) {
      EXPECT_EQ(reader.call("readall-bytes c1 " + std::to_string(big.size())),
                "ok " + std::to_string(big.size()));
      EXPECT_EQ(reader.call("read c1 16"), "ok");  // the empty message, in its place
      EXPECT_EQ(reader.call("read c1 16"), "ok tail");
    } else {
      EXPECT_EQ(reader.call("readall-bytes c1 " + std::to_string(big.size() + 4)),
                "ok " + std::to_string(big.size() + 4));
    }
    ASSERT_TRUE(GetOverlappedResult(server, &first.ov, &n, TRUE)) << GetLastError();
    EXPECT_EQ(n, big.size());
    ASSERT_TRUE(GetOverlappedResult(server, &tail.ov, &n, TRUE)) << GetLastError();
    EXPECT_EQ(n, 4u);
  }
}

TEST_F(Overlapped, ReadsCompleteInTheOrderIssued) {
  handle_guard server, client;
  connect_pair(message_pipe, server, client);
  constexpr int count = 8;
  std::array<overlapped_block, count> reads;
  std::array<std::array<char, 16>, count> buffers;
  DWORD got;
  for (int i = 0; i < count; ++i) {
    EXPECT_FALSE(ReadFile(server, buffers[i].data(), 16, &got, &reads[i].ov));
    EXPECT_EQ(GetLastError(), ERROR_IO_PENDING);
  }
  for (int i = 0; i < count; ++i) write_text(client, "m" + std::to_string(i));
  for (int i = 0; i < count; ++i) {
    ASSERT_TRUE(GetOverlappedResult(server, &reads[i].ov, &got, TRUE));
    EXPECT_EQ(std::string(buffers[i].data(), got), "m" + std::to_string(i));
  }
}

TEST_F(Overlapped, LargeMessagesGoWholeAndInOrder) {
  handle_guard server, client;
  connect_pair(message_pipe, server, client, 4096);
  // Two writes on one handle, the first far larger than the socket holds:
  // it goes out piece by piece and the second never cuts into it.
  std::vector<char> big(3 << 20);
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7 + i / 4093);
  overlapped_block first, second;
  DWORD n;
  EXPECT_FALSE(WriteFile(client, big.data(), static_cast<DWORD>(big.size()), &n, &first.ov));
  EXPECT_EQ(GetLastError(), ERROR_IO_PENDING);
  if (!WriteFile(client, "tail", 4, &n, &second.ov)) {
    EXPECT_EQ(GetLastError(), ERROR_IO_PENDING);
  }
  std::vector<char> in(big.size() + 16);
  overlapped_block read;
  if (!ReadFile(server, in.data(), static_cast<DWORD>(in.size()), &n, &read.ov)) {
    EXPECT_EQ(GetLastError(), ERROR_IO_PENDING);
  }
  ASSERT_TRUE(GetOverlappedResult(server, &read.ov, &n, TRUE)) << GetLastError();
  ASSERT_EQ(n, big.size());
  EXPECT_EQ(std::memcmp(in.data(), big.data(), big.size()), 0);
  ASSERT_TRUE(GetOverlappedResult(client, &first.ov, &n, TRUE));
  EXPECT_EQ(n, big.size());
  EXPECT_EQ(read_text(server), "tail");
  ASSERT_TRUE(GetOverlappedResult(client, &second.ov, &n, TRUE));
  EXPECT_EQ(n, 4u);
}

TEST_F(Overlapped, APartMessageNeverStopsTheEngine) {
  // A message whose first record has arrived, its continuation not yet: the
  // read waits for the rest while the engine serves other pipes.
  handle_guard server(make_server(pipe_name(), overlapped_duplex, message_pipe));
  auto raw = pipe_client::open(pipe_name());
  int fd = raw.impl()->socket();
  handle_guard other, other_client;
  {
    other = handle_guard(make_server(pipe_name("other"), overlapped_duplex, PIPE_TYPE_BYTE));
    other_client = handle_guard(open_client(pipe_name("other")));
  }
  overlapped_block read;
  std::vector<char> buffer(8192);
  DWORD got;
  // The read itself takes the client waiting on the instance.
  EXPECT_FALSE(ReadFile(server, buffer.data(), buffer.size(), &got, &read.ov));
  EXPECT_EQ(GetLastError(), ERROR_IO_PENDING);
  std::string body(5000, 'b');
  auto engine_alive = [&] {
    overlapped_block other_read;
    char c;
    DWORD n;
    EXPECT_FALSE(ReadFile(other, &c, 1, &n, &other_read.ov));
    EXPECT_EQ(GetLastError(), ERROR_IO_PENDING);
    write_text(other_client, "!");
    EXPECT_TRUE(wait_for(other_read.event, 5000));
  };
  engine_alive();
  // The message's first record: its length (5000), then 4096 of its bytes.
  std::string first = std::string("\x88\x13\0\0", 4) + body.substr(0, 4096);
  ASSERT_EQ(::send(fd, first.data(), first.size(), 0), static_cast<ssize_t>(first.size()));
  engine_alive();
  EXPECT_FALSE(signalled(read.event));
  ASSERT_EQ(::send(fd, body.data() + 4096, 904, 0), 904);
  ASSERT_TRUE(wait_for(read.event));
  EXPECT_TRUE(GetOverlappedResult(server, &read.ov, &got, FALSE));
  EXPECT_EQ(std::string(buffer.data(), got), body);
}

TEST_F(Overlapped, NoOverlappedOnAnOverlappedHandleWaits) {
  handle_guard server, client;
  connect_pair(PIPE_TYPE_BYTE, server, client);
  std::thread writer([&] { write_text(client, "late"); });
  char buffer[16];
  DWORD got = 0;
  EXPECT_TRUE(ReadFile(server, buffer, sizeof(buffer), &got, nullptr)) << GetLastError();
  writer.join();
  EXPECT_EQ(std::string(buffer, got), "late");
}

TEST_F(Overlapped, GetOverlappedResultExTimesOutAndRunsApcs) {
  handle_guard server, client;
  connect_pair(PIPE_TYPE_BYTE, server, client);
  overlapped_block read;
  char buffer[16];
  DWORD got;
  EXPECT_FALSE(ReadFile(server, buffer, sizeof(buffer), &got, &read.ov));
  static std::atomic<int> apc_runs;
  apc_runs = 0;
  ASSERT_NE(QueueUserAPC([](ULONG_PTR) { ++apc_runs; }, GetCurrentThread(), 0), 0u);
  EXPECT_FALSE(GetOverlappedResultEx(server, &read.ov, &got, 0, TRUE));
  EXPECT_EQ(GetLastError(), ERROR_IO_INCOMPLETE);
  EXPECT_EQ(apc_runs, 0);
  EXPECT_FALSE(GetOverlappedResultEx(server, &read.ov, &got, 10, FALSE));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(WAIT_TIMEOUT));
  EXPECT_EQ(apc_runs, 0);
  EXPECT_FALSE(GetOverlappedResultEx(server, &read.ov, &got, 1000, TRUE));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(WAIT_IO_COMPLETION));
  EXPECT_EQ(apc_runs, 1);
  write_text(client, "ok");
  EXPECT_TRUE(GetOverlappedResultEx(server, &read.ov, &got, 10000, FALSE));
  EXPECT_EQ(got, 2u);
}

// Completion routines record what they were given.
struct routine_log {
  static inline std::atomic<int> calls{0};
  static inline DWORD error = 0, bytes = 0;
  static inline OVERLAPPED* overlapped = nullptr;
  static inline DWORD thread = 0;
  static void WINAPI record(DWORD e, DWORD n, LPOVERLAPPED ov) {
    error = e;
    bytes = n;
    overlapped = ov;
    thread = GetCurrentThreadId();
    ++calls;
  }
  static void clear() {
    calls = 0;
    error = bytes = thread = 0;
    overlapped = nullptr;
  }
};

TEST_F(Overlapped, CompletionRoutinesRunInAlertableWaits) {
  handle_guard server, client;
  connect_pair(message_pipe, server, client);
  routine_log::clear();
  OVERLAPPED ov{};
  char buffer[16];
  EXPECT_TRUE(ReadFileEx(server, buffer, sizeof(buffer), &ov, &routine_log::record))
      << GetLastError();
  EXPECT_EQ(ov.Internal, STATUS_PENDING);
  write_text(client, "routine");
  Sleep(0);  // not alertable: nothing runs
  EXPECT_EQ(routine_log::calls, 0);
  EXPECT_EQ(SleepEx(10000, TRUE), static_cast<DWORD>(WAIT_IO_COMPLETION));
  EXPECT_EQ(routine_log::calls, 1);
  EXPECT_EQ(routine_log::error, 0u);
  EXPECT_EQ(routine_log::bytes, 7u);
  EXPECT_EQ(routine_log::overlapped, &ov);
  EXPECT_EQ(routine_log::thread, GetCurrentThreadId());
  EXPECT_EQ(std::string(buffer, 7), "routine");

  // Done at once: still reported by the routine, never before the call returns.
  routine_log::clear();
  EXPECT_TRUE(WriteFileEx(server, "back", 4, &ov, &routine_log::record)) << GetLastError();
  EXPECT_EQ(routine_log::calls, 0);
  EXPECT_EQ(SleepEx(0, TRUE), static_cast<DWORD>(WAIT_IO_COMPLETION));
  EXPECT_EQ(routine_log::calls, 1);
  EXPECT_EQ(routine_log::bytes, 4u);
  EXPECT_EQ(read_text(client), "back");

  // A message cut short: FALSE with ERROR_MORE_DATA, and the routine says so too.
  routine_log::clear();
  write_text(client, "toolong");
  EXPECT_FALSE(ReadFileEx(server, buffer, 3, &ov, &routine_log::record));
  EXPECT_EQ(GetLastError(), ERROR_MORE_DATA);
  EXPECT_EQ(SleepEx(0, TRUE), static_cast<DWORD>(WAIT_IO_COMPLETION));
  EXPECT_EQ(routine_log::error, ERROR_MORE_DATA);
  EXPECT_EQ(routine_log::bytes, 3u);
}

// The shape of Microsoft's "server using completion routines" sample: each
// routine issues the next ReadFileEx or WriteFileEx from inside the APC.
struct echo_instance {
  OVERLAPPED ov{};  // first, so the routine finds the instance from it
  HANDLE pipe = nullptr;
  char buffer[64];
  DWORD size = 0;
  static inline int finished = 0;  // touched only by the serving thread's routines
  static inline HANDLE all_finished = nullptr;
  static constexpr int expected = 3;

  static void end() {
    if (++finished == expected && all_finished) SetEvent(all_finished);
  }
  static void WINAPI wrote(DWORD error, DWORD, LPOVERLAPPED ov) {
    auto* self = reinterpret_cast<echo_instance*>(ov);
    if (error || !ReadFileEx(self->pipe, self->buffer, sizeof(self->buffer), ov, &read)) end();
  }
  static void WINAPI read(DWORD error, DWORD n, LPOVERLAPPED ov) {
    auto* self = reinterpret_cast<echo_instance*>(ov);
    if (error || !WriteFileEx(self->pipe, self->buffer, n, ov, &wrote)) end();
  }
};

TEST_F(Overlapped, CompletionRoutineChainsServeClients) {
  constexpr int clients = echo_instance::expected;
  echo_instance::finished = 0;
  echo_instance::all_finished = nullptr;
  std::vector<std::unique_ptr<echo_instance>> instances;
  helper_process others;
  handle_guard connected(CreateEventA(nullptr, TRUE, FALSE, nullptr));
  for (int i = 0; i < clients; ++i) {
    auto instance = std::make_unique<echo_instance>();
    instance->pipe = make_server(pipe_name(), overlapped_duplex, PIPE_TYPE_BYTE, clients);
    ASSERT_NE(instance->pipe, INVALID_HANDLE_VALUE);
    OVERLAPPED connect{};
    connect.hEvent = connected;
    ASSERT_TRUE(ResetEvent(connected));
    EXPECT_FALSE(ConnectNamedPipe(instance->pipe, &connect));
    EXPECT_EQ(GetLastError(), ERROR_IO_PENDING);
    ASSERT_EQ(others.call("open c" + std::to_string(i) + " " + pipe_name()), "ok");
    DWORD waited;
    do {
      waited = WaitForSingleObjectEx(connected, 10000, TRUE);  // routines run meanwhile
    } while (waited == WAIT_IO_COMPLETION);
    ASSERT_EQ(waited, WAIT_OBJECT_0);
    ASSERT_TRUE(ReadFileEx(instance->pipe, instance->buffer, sizeof(instance->buffer),
                           &instance->ov, &echo_instance::read));
    instances.push_back(std::move(instance));
  }
  for (int i = 0; i < clients; ++i) {
    std::string id = "c" + std::to_string(i);
    others.send("write " + id + " hello-" + id);
    others.send("read " + id + " 64");
  }
  // This thread moves every echo on in its alertable waits, while another
  // takes the helper's answers.
  auto pump_until = [](HANDLE done) {
    DWORD waited;
    do {
      waited = WaitForSingleObjectEx(done, 10000, TRUE);
    } while (waited == WAIT_IO_COMPLETION);
    return waited == WAIT_OBJECT_0;
  };
  std::vector<std::string> answers;
  handle_guard answered(CreateEventA(nullptr, TRUE, FALSE, nullptr));
  std::thread reader([&] {
    for (int i = 0; i < 2 * clients; ++i) answers.push_back(others.answer());
    SetEvent(answered);
  });
  ASSERT_TRUE(pump_until(answered));
  reader.join();
  for (int i = 0; i < clients; ++i) {
    std::string id = "c" + std::to_string(i);
    EXPECT_EQ(answers[2 * i], "ok " + std::to_string(6 + id.size()));
    EXPECT_EQ(answers[2 * i + 1], "ok hello-" + id);
  }
  // Each chain ends when its client closes.
  echo_instance::all_finished = CreateEventA(nullptr, TRUE, FALSE, nullptr);
  for (int i = 0; i < clients; ++i) ASSERT_EQ(others.call("close c" + std::to_string(i)), "ok");
  EXPECT_TRUE(pump_until(echo_instance::all_finished));
  EXPECT_EQ(echo_instance::finished, clients);
  EXPECT_TRUE(CloseHandle(echo_instance::all_finished));
  for (auto& instance : instances) EXPECT_TRUE(CloseHandle(instance->pipe));
}

TEST_F(Overlapped, CompletionRoutineErrors) {
  handle_guard server, client;
  connect_pair(PIPE_TYPE_BYTE, server, client);
  char buffer[4];
  EXPECT_FALSE(ReadFileEx(server, buffer, sizeof(buffer), nullptr, &routine_log::record));
  EXPECT_EQ(GetLastError(), ERROR_INVALID_PARAMETER);
  handle_guard port(CreateIoCompletionPort(server, nullptr, 1, 0));
  OVERLAPPED ov{};
  EXPECT_FALSE(ReadFileEx(server, buffer, sizeof(buffer), &ov, &routine_log::record));
  EXPECT_EQ(GetLastError(), ERROR_INVALID_PARAMETER);
  handle_guard gone(make_server(pipe_name("gone"), overlapped_duplex, PIPE_TYPE_BYTE));
  EXPECT_FALSE(WriteFileEx(gone, "x", 1, &ov, &routine_log::record));
  EXPECT_EQ(GetLastError(), ERROR_PIPE_LISTENING);
}

TEST_F(Overlapped, CancelOneOrAll) {
  handle_guard server, client;
  connect_pair(PIPE_TYPE_BYTE, server, client);
  overlapped_block first, second;
  char buffer[2][8];
  DWORD got;
  EXPECT_FALSE(ReadFile(server, buffer[0], 8, &got, &first.ov));
  EXPECT_FALSE(ReadFile(server, buffer[1], 8, &got, &second.ov));
  EXPECT_TRUE(CancelIoEx(server, &second.ov)) << GetLastError();
  ASSERT_TRUE(wait_for(second.event));
  EXPECT_EQ(second.status(), STATUS_CANCELLED);
  EXPECT_FALSE(GetOverlappedResult(server, &second.ov, &got, FALSE));
  EXPECT_EQ(GetLastError(), ERROR_OPERATION_ABORTED);
  EXPECT_EQ(got, 0u);
  EXPECT_FALSE(CancelIoEx(server, &second.ov));
  EXPECT_EQ(GetLastError(), ERROR_NOT_FOUND);
  EXPECT_FALSE(signalled(first.event));
  write_text(client, "x");
  ASSERT_TRUE(GetOverlappedResult(server, &first.ov, &got, TRUE));
  EXPECT_EQ(got, 1u);

  EXPECT_FALSE(CancelIoEx(server, nullptr));  // nothing left
  EXPECT_EQ(GetLastError(), ERROR_NOT_FOUND);
  EXPECT_TRUE(CancelIo(server));  // nothing to cancel is no failure for CancelIo
  EXPECT_FALSE(ReadFile(server, buffer[0], 8, &got, &first.ov));
  EXPECT_FALSE(ReadFile(server, buffer[1], 8, &got, &second.ov));
  EXPECT_TRUE(CancelIoEx(server, nullptr));
  EXPECT_TRUE(wait_for(first.event));
  EXPECT_TRUE(wait_for(second.event));
  EXPECT_EQ(first.status(), STATUS_CANCELLED);
  EXPECT_EQ(second.status(), STATUS_CANCELLED);
}

TEST_F(Overlapped, CancelIoTakesOnlyThisThreadsOperations) {
  handle_guard server, client;
  connect_pair(PIPE_TYPE_BYTE, server, client);
  overlapped_block mine, theirs;
  char buffer[2][8];
  DWORD got;
  std::thread([&] {
    EXPECT_FALSE(ReadFile(server, buffer[1], 8, &got, &theirs.ov));
    EXPECT_EQ(GetLastError(), ERROR_IO_PENDING);
  }).join();
  EXPECT_FALSE(ReadFile(server, buffer[0], 8, &got, &mine.ov));
  EXPECT_TRUE(CancelIo(server));
  ASSERT_TRUE(wait_for(mine.event));
  EXPECT_EQ(mine.status(), STATUS_CANCELLED);
  EXPECT_FALSE(signalled(theirs.event));  // issued by another thread, and still pending
  write_text(client, "t");
  ASSERT_TRUE(wait_for(theirs.event));
  EXPECT_EQ(theirs.status(), STATUS_SUCCESS);
}

TEST_F(Overlapped, ConnectCancelled) {
  handle_guard server(make_server(pipe_name(), overlapped_duplex, PIPE_TYPE_BYTE));
  overlapped_block connect;
  EXPECT_FALSE(ConnectNamedPipe(server, &connect.ov));
  EXPECT_TRUE(CancelIo(server));
  ASSERT_TRUE(wait_for(connect.event));
  DWORD n;
  EXPECT_FALSE(GetOverlappedResult(server, &connect.ov, &n, TRUE));
  EXPECT_EQ(GetLastError(), ERROR_OPERATION_ABORTED);
  // The instance still listens: a new connect is taken by a client.
  EXPECT_FALSE(ConnectNamedPipe(server, &connect.ov));
  EXPECT_EQ(GetLastError(), ERROR_IO_PENDING);
  handle_guard client(open_client(pipe_name()));
  ASSERT_NE(client.get(), INVALID_HANDLE_VALUE);
  EXPECT_TRUE(GetOverlappedResult(server, &connect.ov, &n, TRUE)) << GetLastError();
}

TEST_F(Overlapped, ClosingAHandleEndsItsPendingOperations) {
  handle_guard server, client;
  connect_pair(PIPE_TYPE_BYTE, server, client);
  HANDLE port = CreateIoCompletionPort(server, nullptr, 3, 0);
  ASSERT_NE(port, nullptr);
  overlapped_block read;
  char buffer[8];
  DWORD got;
  EXPECT_FALSE(ReadFile(server, buffer, 8, &got, &read.ov));
  server.reset();
  // As Windows: the pipe is broken for them, and they are reported as usual.
  ASSERT_TRUE(wait_for(read.event));
  EXPECT_EQ(read.status(), STATUS_PIPE_BROKEN);
  ULONG_PTR key;
  OVERLAPPED* ov;
  EXPECT_FALSE(GetQueuedCompletionStatus(port, &got, &key, &ov, 5000));
  EXPECT_EQ(GetLastError(), ERROR_BROKEN_PIPE);
  EXPECT_EQ(ov, &read.ov);
  EXPECT_EQ(key, 3u);
  // The other end sees the close.
  EXPECT_FALSE(ReadFile(client, buffer, 8, &got, nullptr));
  EXPECT_EQ(GetLastError(), ERROR_BROKEN_PIPE);
  EXPECT_TRUE(CloseHandle(port));
}

TEST_F(Overlapped, ClosingAListeningHandleEndsItsConnect) {
  handle_guard server(make_server(pipe_name(), overlapped_duplex, PIPE_TYPE_BYTE));
  overlapped_block connect;
  EXPECT_FALSE(ConnectNamedPipe(server, &connect.ov));
  server.reset();
  ASSERT_TRUE(wait_for(connect.event));
  EXPECT_EQ(connect.status(), STATUS_PIPE_BROKEN);
  EXPECT_EQ(open_client(pipe_name()), INVALID_HANDLE_VALUE);
  EXPECT_EQ(GetLastError(), ERROR_FILE_NOT_FOUND);
}

TEST_F(Overlapped, PendingWriteWhenTheReaderGoes) {
  handle_guard server, client;
  connect_pair(PIPE_TYPE_BYTE, server, client, 4096);
  std::vector<char> data(1 << 20, 'w');
  overlapped_block write;
  DWORD n;
  EXPECT_FALSE(WriteFile(server, data.data(), static_cast<DWORD>(data.size()), &n, &write.ov));
  EXPECT_EQ(GetLastError(), ERROR_IO_PENDING);
  client.reset();
  ASSERT_TRUE(wait_for(write.event));
  EXPECT_FALSE(GetOverlappedResult(server, &write.ov, &n, FALSE));
  EXPECT_EQ(GetLastError(), ERROR_BROKEN_PIPE);  // it was waiting
  EXPECT_FALSE(WriteFile(server, "x", 1, &n, &write.ov));
  EXPECT_EQ(GetLastError(), ERROR_NO_DATA);  // refused at once
}

// A write that does not fit the quota (the buffer size) is in the pipe
// whole and stays pending until the reader, another process, has left at
// most the quota unread.
TEST_F(Overlapped, AWriteOverTheQuotaPendsUntilTheReaderTakesEnough) {
  std::string name = pipe_name();
  handle_guard server(make_server(name, overlapped_duplex, PIPE_TYPE_BYTE, 1, 1024));
  ASSERT_NE(server.get(), INVALID_HANDLE_VALUE) << GetLastError();
  overlapped_block connect;
  ASSERT_FALSE(ConnectNamedPipe(server, &connect.ov));
  ASSERT_EQ(GetLastError(), ERROR_IO_PENDING);
  helper_process reader;
  ASSERT_EQ(reader.call("open c1 " + name), "ok");
  ASSERT_TRUE(wait_for(connect.event));

  std::vector<char> data(8000, 'q');
  overlapped_block write;
  DWORD n = 7;
  ASSERT_FALSE(WriteFile(server, data.data(), static_cast<DWORD>(data.size()), &n, &write.ov));
  ASSERT_EQ(GetLastError(), ERROR_IO_PENDING);
  EXPECT_FALSE(HasOverlappedIoCompleted(&write.ov));
  EXPECT_EQ(reader.call("peek c1"), "ok 8000");  // all of it, for the reader
  ASSERT_EQ(reader.call("readall-bytes c1 6000"), "ok 6000");
  // 2000 unread, over the quota: still pending when the program looks.
  EXPECT_FALSE(HasOverlappedIoCompleted(&write.ov));
  EXPECT_FALSE(GetOverlappedResult(server, &write.ov, &n, FALSE));
  EXPECT_EQ(GetLastError(), ERROR_IO_INCOMPLETE);
  ASSERT_EQ(reader.call("readall-bytes c1 1000"), "ok 1000");
  // 1000 unread: within the quota, complete when the program looks.
  EXPECT_TRUE(HasOverlappedIoCompleted(&write.ov));
  ASSERT_TRUE(wait_for(write.event));
  ASSERT_TRUE(GetOverlappedResult(server, &write.ov, &n, FALSE)) << GetLastError();
  EXPECT_EQ(n, 8000u);

  // One that is cancelled ends so; what it wrote stays in the pipe.
  ASSERT_FALSE(WriteFile(server, data.data(), static_cast<DWORD>(data.size()), &n, &write.ov));
  ASSERT_EQ(GetLastError(), ERROR_IO_PENDING);
  EXPECT_TRUE(CancelIoEx(server, &write.ov)) << GetLastError();
  EXPECT_FALSE(GetOverlappedResult(server, &write.ov, &n, TRUE));
  EXPECT_EQ(GetLastError(), ERROR_OPERATION_ABORTED);

  // One whose reader goes while it waits fails as a waiting write does.
  ASSERT_FALSE(WriteFile(server, data.data(), static_cast<DWORD>(data.size()), &n, &write.ov));
  ASSERT_EQ(GetLastError(), ERROR_IO_PENDING);
  reader.kill_hard();
  ASSERT_TRUE(wait_for(write.event));
  EXPECT_FALSE(GetOverlappedResult(server, &write.ov, &n, FALSE));
  EXPECT_EQ(GetLastError(), ERROR_BROKEN_PIPE);
}

TEST_F(Overlapped, DisconnectEndsBothSidesPendingWrites) {
  handle_guard server, client;
  connect_pair(PIPE_TYPE_BYTE, server, client, 4096);
  std::vector<char> data(1 << 20, 'd');
  overlapped_block from_client, from_server;
  DWORD n;
  EXPECT_FALSE(
      WriteFile(client, data.data(), static_cast<DWORD>(data.size()), &n, &from_client.ov));
  EXPECT_FALSE(
      WriteFile(server, data.data(), static_cast<DWORD>(data.size()), &n, &from_server.ov));
  ASSERT_TRUE(DisconnectNamedPipe(server));
  ASSERT_TRUE(wait_for(from_client.event));
  ASSERT_TRUE(wait_for(from_server.event));
  EXPECT_FALSE(GetOverlappedResult(client, &from_client.ov, &n, FALSE));
  EXPECT_EQ(GetLastError(), ERROR_PIPE_NOT_CONNECTED);
  EXPECT_FALSE(GetOverlappedResult(server, &from_server.ov, &n, FALSE));
  EXPECT_EQ(GetLastError(), ERROR_PIPE_NOT_CONNECTED);
}

TEST_F(Overlapped, TransactWaitsForTheReply) {
  handle_guard server, client;
  connect_pair(message_pipe, server, client);
  overlapped_block transact;
  char reply[16];
  DWORD n = 9;
  EXPECT_FALSE(TransactNamedPipe(client, const_cast<char*>("ask"), 3, reply, sizeof(reply), &n,
                                 &transact.ov));
  EXPECT_EQ(GetLastError(), ERROR_IO_PENDING);
  EXPECT_EQ(n, 0u);
  EXPECT_EQ(read_text(server), "ask");
  EXPECT_FALSE(signalled(transact.event));
  write_text(server, "answer");
  ASSERT_TRUE(GetOverlappedResult(client, &transact.ov, &n, TRUE));
  EXPECT_EQ(std::string(reply, n), "answer");

  // A cancel leaves the request going out.
  EXPECT_FALSE(TransactNamedPipe(client, const_cast<char*>("again"), 5, reply, sizeof(reply), &n,
                                 &transact.ov));
  EXPECT_TRUE(CancelIoEx(client, &transact.ov));
  EXPECT_FALSE(GetOverlappedResult(client, &transact.ov, &n, TRUE));
  EXPECT_EQ(GetLastError(), ERROR_OPERATION_ABORTED);
  EXPECT_EQ(read_text(server), "again");

  // Unread data makes the pipe busy; a byte read mode pipe is the wrong kind.
  write_text(server, "unread");
  EXPECT_FALSE(
      TransactNamedPipe(client, const_cast<char*>("x"), 1, reply, sizeof(reply), &n, &transact.ov));
  EXPECT_EQ(GetLastError(), ERROR_PIPE_BUSY);
  DWORD mode = PIPE_READMODE_BYTE;
  ASSERT_TRUE(SetNamedPipeHandleState(client, &mode, nullptr, nullptr));
  EXPECT_FALSE(
      TransactNamedPipe(client, const_cast<char*>("x"), 1, reply, sizeof(reply), &n, &transact.ov));
  EXPECT_EQ(GetLastError(), ERROR_BAD_PIPE);
}

TEST_F(Overlapped, NowaitHandlesNeverPend) {
  handle_guard server(make_server(pipe_name(), overlapped_duplex, PIPE_TYPE_BYTE | PIPE_NOWAIT));
  handle_guard client(open_client(pipe_name()));
  overlapped_block read;
  char buffer[8];
  DWORD got;
  EXPECT_FALSE(ReadFile(server, buffer, sizeof(buffer), &got, &read.ov));
  EXPECT_EQ(GetLastError(), ERROR_NO_DATA);
  write_text(client, "now");
  EXPECT_TRUE(ReadFile(server, buffer, sizeof(buffer), &got, &read.ov)) << GetLastError();
  EXPECT_EQ(got, 3u);
}

int thread_count() {
  int n = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/task")) {
    (void)entry;
    ++n;
  }
  return n;
}

TEST_F(Overlapped, AThousandInstancesOnOneThread) {
  // Four pipes of 250 instances, every connect pending on one port, served
  // by this thread alone; clients in another process.
  constexpr int pipes = 4, per_pipe = 250;
  int threads_before = thread_count();
  handle_guard port(CreateIoCompletionPort(INVALID_HANDLE_VALUE, nullptr, 0, 1));
  std::vector<handle_guard> servers;
  std::vector<overlapped_block> connects(pipes * per_pipe);
  for (int p = 0; p < pipes; ++p) {
    for (int i = 0; i < per_pipe; ++i) {
      int index = p * per_pipe + i;
      servers.emplace_back(
          make_server(pipe_name(std::to_string(p)), overlapped_duplex, PIPE_TYPE_BYTE, per_pipe));
      ASSERT_NE(servers.back().get(), INVALID_HANDLE_VALUE) << index << ": " << GetLastError();
      ASSERT_EQ(CreateIoCompletionPort(servers.back(), port, index, 0), port.get());
      ASSERT_FALSE(ConnectNamedPipe(servers.back(), &connects[index].ov));
      ASSERT_EQ(GetLastError(), ERROR_IO_PENDING);
    }
  }
  helper_process clients;
  for (int p = 0; p < pipes; ++p)
    for (int i = 0; i < per_pipe; ++i)
      ASSERT_EQ(clients.call("open c" + std::to_string(p * per_pipe + i) + " " +
                             pipe_name(std::to_string(p))),
                "ok");
  for (int i = 0; i < pipes * per_pipe; ++i) {
    std::string id = "c" + std::to_string(i);
    clients.send("write " + id + " " + id);  // answered later, in order
  }
  // Each instance: its connect, then a read of what its client wrote.
  std::vector<std::array<char, 16>> buffers(connects.size());
  std::vector<bool> connected(connects.size()), read(connects.size());
  int reads_left = pipes * per_pipe;
  while (reads_left > 0) {
    DWORD n;
    ULONG_PTR key;
    OVERLAPPED* ov;
    ASSERT_TRUE(GetQueuedCompletionStatus(port, &n, &key, &ov, 10000)) << GetLastError();
    ASSERT_LT(key, connects.size());
    if (!connected[key]) {
      connected[key] = true;
      EXPECT_EQ(ov, &connects[key].ov);
      if (!ReadFile(servers[key], buffers[key].data(), 16, &n, &connects[key].ov)) {
        ASSERT_EQ(GetLastError(), ERROR_IO_PENDING);
      }
      continue;
    }
    ASSERT_FALSE(read[key]);
    read[key] = true;
    EXPECT_EQ(std::string(buffers[key].data(), n), "c" + std::to_string(key));
    --reads_left;
  }
  for (int i = 0; i < pipes * per_pipe; ++i)
    EXPECT_EQ(clients.answer(), "ok " + std::to_string(("c" + std::to_string(i)).size()));
  // One engine thread served them all (the other is the broker link's).
  EXPECT_LE(thread_count(), threads_before + 2);
}

TEST_F(Overlapped, ReadsIssuedFromManyThreadsAtOnceAllComplete) {
  // Reads that end at once and reads queued behind them on one handle,
  // issued from several threads while the data comes in small pieces: a
  // read queued behind one that ended at once is served all the same.
  handle_guard server, client;
  connect_pair(PIPE_TYPE_BYTE, server, client);
  constexpr int threads = 4, reads = 300, total = threads * reads;
  std::atomic<int> done{0}, failed{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < threads; ++t) {
    readers.emplace_back([&] {
      for (int i = 0; i < reads; ++i) {
        overlapped_block read;
        char c;
        DWORD n = 0;
        if ((!ReadFile(server, &c, 1, nullptr, &read.ov) && GetLastError() != ERROR_IO_PENDING) ||
            !GetOverlappedResultEx(server, &read.ov, &n, 10000, FALSE) || n != 1) {
          ++failed;
          return;
        }
        ++done;
      }
    });
  }
  for (int sent = 0; sent < total; sent += 7)
    write_text(client, std::string(static_cast<std::size_t>(std::min(7, total - sent)), 'x'));
  for (auto& r : readers) r.join();
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(done, total);
}

TEST_F(Overlapped, AReadQueuedBehindOneThatEndsAtOnceIsServedLater) {
  // Rounds of two reads issued at the same instant from two threads with
  // 32 KiB there: one takes it all at once; the other, often queued behind
  // it while it copies, must be served when the next byte comes, with no
  // other call on the handle to help it along.
  handle_guard server, client;
  connect_pair(PIPE_TYPE_BYTE, server, client);
  constexpr int rounds = 1000;
  const std::string chunk(32768, 'a');
  std::atomic<int> go{-1}, issued{0}, completed{0}, failed{0};
  std::atomic<long> got{0};
  auto bounded_until = [](auto done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!done() && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
    return done();
  };
  auto reader = [&] {
    std::vector<char> buffer(65536);
    for (int r = 0; r < rounds; ++r) {
      if (!bounded_until([&] { return go.load() >= r; })) return;
      overlapped_block read;
      DWORD n = 0;
      BOOL at_once =
          ReadFile(server, buffer.data(), static_cast<DWORD>(buffer.size()), nullptr, &read.ov);
      bool pending = !at_once && GetLastError() == ERROR_IO_PENDING;
      ++issued;
      if ((!at_once && !pending) || !GetOverlappedResultEx(server, &read.ov, &n, 10000, FALSE))
        ++failed;
      got += n;
      ++completed;
    }
  };
  std::thread first(reader), second(reader);
  for (int r = 0; r < rounds && failed == 0; ++r) {
    write_text(client, chunk);
    go = r;
    ASSERT_TRUE(bounded_until([&] { return issued.load() >= 2 * (r + 1); }));
    write_text(client, "b");
    ASSERT_TRUE(bounded_until([&] { return completed.load() >= 2 * (r + 1); }));
  }
  first.join();
  second.join();
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(completed, 2 * rounds);
  EXPECT_EQ(got, static_cast<long>(rounds) * (static_cast<long>(chunk.size()) + 1));
}

}  // namespace
}  // namespace conduit::test
