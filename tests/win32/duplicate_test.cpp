// DuplicateHandle between processes: pushing an event, a pipe client end
// and a mailslot writer into a child, pulling a handle out of one (with and
// without DUPLICATE_CLOSE_SOURCE), and the errors: bad handles, a process
// that has ended, missing PROCESS_DUP_HANDLE, kinds that cannot cross, a
// caller of another user. The child is conduit_win32_test_child.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <windows.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "support/sandbox.hpp"
#include "win32/win32_test_support.hpp"

namespace conduit::test {
namespace {

constexpr const char* child_path = CONDUIT_WIN32_CHILD;
constexpr DWORD bounded = 10000;  // every wait, in ms

class Duplicate : public sandbox {
 protected:
  // A message pipe's server end and a client end connected to it, both in
  // message read mode.
  void connect_message_pipe(handle_guard& server, HANDLE& client) {
    ASSERT_NO_FATAL_FAILURE(
        connect_pipe(pipe_name(), PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE, server, client));
    DWORD mode = PIPE_READMODE_MESSAGE;
    ASSERT_TRUE(SetNamedPipeHandleState(client, &mode, nullptr, nullptr)) << GetLastError();
  }
};

// A child whose standard input and output are pipes this test holds.
struct child_process : stdio_child {
  // Waits (bounded) for it to end; its exit code.
  DWORD exit_code() { return exit_code_of(process); }
};

bool start(child_process& child, const std::string& arguments,
           const std::string& program = child_path, BOOL inherit_handles = FALSE) {
  return start_stdio_child(child, "\"" + program + "\" " + arguments, inherit_handles);
}

std::string value_of(HANDLE h) {
  return std::to_string(reinterpret_cast<std::uintptr_t>(h));
}

HANDLE handle_from(const std::string& text) {
  return reinterpret_cast<HANDLE>(static_cast<std::uintptr_t>(std::stoull(text)));
}

// Tells a "from-stdin" child the handle it was given.
void tell(child_process& child, HANDLE remote) {
  write_text(child.input, value_of(remote) + "\n");
}

// Puts `h` into a "from-stdin" child and tells it the number it got there.
void hand_over(child_process& child, HANDLE h, DWORD options = 0) {
  HANDLE remote = nullptr;
  ASSERT_TRUE(DuplicateHandle(GetCurrentProcess(), h, child.process, &remote, 0, FALSE,
                              DUPLICATE_SAME_ACCESS | options))
      << GetLastError();
  EXPECT_NE(remote, nullptr);
  tell(child, remote);
}

// Moves one end of a connection, `moved`, into a child that writes `text`
// to it and exits; `peer`, the other end, reads it and then sees the end.
void writes_from_child(HANDLE moved, HANDLE peer, const std::string& text) {
  child_process child;
  ASSERT_TRUE(start(child, "from-stdin write-handle " + text)) << GetLastError();
  hand_over(child, moved, DUPLICATE_CLOSE_SOURCE);
  // Ours is closed; the child's is the only handle to that end now.
  DWORD flags = 0;
  EXPECT_FALSE(GetHandleInformation(moved, &flags));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_HANDLE));
  EXPECT_EQ(read_text(peer), text);
  EXPECT_EQ(child.exit_code(), 0u);
  // The child closed the end's last handle anywhere: the peer sees the end.
  char buffer[16];
  DWORD n = 0;
  EXPECT_FALSE(ReadFile(peer, buffer, sizeof(buffer), &n, nullptr));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_BROKEN_PIPE));
}

// Whether event `name` is gone within the bound: a child's exit reaches the
// broker on the broker's own time, after the exit code is known here.
// Handles still opened meanwhile are closed at once.
bool name_goes_within_bound(const std::string& name) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(bounded);
  while (std::chrono::steady_clock::now() < deadline) {
    HANDLE h = OpenEventA(EVENT_ALL_ACCESS, FALSE, name.c_str());
    if (!h) return GetLastError() == ERROR_FILE_NOT_FOUND;
    CloseHandle(h);
  }
  return false;
}

// The line an "offer-event" child writes.
std::string read_line(HANDLE h) {
  std::string line;
  char c = 0;
  DWORD n = 0;
  while (ReadFile(h, &c, 1, &n, nullptr) && n == 1 && c != '\n') line += c;
  return line;
}

TEST_F(Duplicate, EventIntoChild) {
  child_process child;
  ASSERT_TRUE(start(child, "from-stdin set-event")) << GetLastError();
  handle_guard event(CreateEventA(nullptr, TRUE, FALSE, nullptr));
  hand_over(child, event);
  EXPECT_TRUE(wait_for(event, bounded));
  EXPECT_EQ(child.exit_code(), 0u);
}

TEST_F(Duplicate, ANamedEventInAChildKeepsItsName) {
  // The name lives while any process holds a handle to the event, the copy
  // DuplicateHandle made in a child included.
  std::string name = "conduit-dup-" + std::to_string(GetCurrentProcessId());
  child_process child;
  ASSERT_TRUE(start(child, "from-stdin hold-handle")) << GetLastError();
  HANDLE event = CreateEventA(nullptr, TRUE, FALSE, name.c_str());
  ASSERT_NE(event, nullptr) << GetLastError();
  hand_over(child, event);
  EXPECT_EQ(read_line(child.output), "held");
  EXPECT_TRUE(CloseHandle(event));
  handle_guard reopened(OpenEventA(EVENT_ALL_ACCESS, FALSE, name.c_str()));
  ASSERT_NE(reopened.get(), nullptr) << GetLastError();
  reopened = handle_guard();
  child.input = handle_guard();  // the child's input ends: it exits
  EXPECT_EQ(child.exit_code(), 0u);
  EXPECT_TRUE(name_goes_within_bound(name));
}

TEST_F(Duplicate, AnInheritedNamedEventKeepsItsName) {
  std::string name = "conduit-inherit-" + std::to_string(GetCurrentProcessId());
  SECURITY_ATTRIBUTES inheritable{sizeof(inheritable), nullptr, TRUE};
  HANDLE event = CreateEventA(&inheritable, TRUE, FALSE, name.c_str());
  ASSERT_NE(event, nullptr) << GetLastError();
  child_process child;
  ASSERT_TRUE(start(child, "hold-handle " + value_of(event), child_path, TRUE)) << GetLastError();
  EXPECT_EQ(read_line(child.output), "held");
  EXPECT_TRUE(CloseHandle(event));
  handle_guard reopened(OpenEventA(EVENT_ALL_ACCESS, FALSE, name.c_str()));
  ASSERT_NE(reopened.get(), nullptr) << GetLastError();
  reopened = handle_guard();
  child.input = handle_guard();
  EXPECT_EQ(child.exit_code(), 0u);
  EXPECT_TRUE(name_goes_within_bound(name));
}

// A named mutex or semaphore inherited by a child is still the named
// object there: the child holds its name, so the name outlives the parent's
// handles, and opening the name in the child gives the inherited object.
TEST_F(Duplicate, AnInheritedNamedMutexOrSemaphoreKeepsItsName) {
  SECURITY_ATTRIBUTES inheritable{sizeof(inheritable), nullptr, TRUE};
  for (std::string kind : {"mutex", "semaphore"}) {
    SCOPED_TRACE(kind);
    std::string name = "conduit-inherit-" + kind + "-" + std::to_string(GetCurrentProcessId());
    bool mutex = kind == "mutex";
    HANDLE object = mutex ? CreateMutexA(&inheritable, FALSE, name.c_str())
                          : CreateSemaphoreA(&inheritable, 0, 5, name.c_str());
    ASSERT_NE(object, nullptr) << GetLastError();
    {
      child_process same;
      ASSERT_TRUE(start(same, "same-by-name " + kind + " " + value_of(object) + " " + name,
                        child_path, TRUE))
          << GetLastError();
      EXPECT_EQ(same.exit_code(), 0u);
    }
    child_process holder;
    ASSERT_TRUE(start(holder, "hold-handle " + value_of(object), child_path, TRUE))
        << GetLastError();
    EXPECT_EQ(read_line(holder.output), "held");
    EXPECT_TRUE(CloseHandle(object));
    handle_guard reopened(mutex ? OpenMutexA(MUTEX_ALL_ACCESS, FALSE, name.c_str())
                                : OpenSemaphoreA(SEMAPHORE_ALL_ACCESS, FALSE, name.c_str()));
    ASSERT_NE(reopened.get(), nullptr) << GetLastError();
    reopened = handle_guard();
    holder.input = handle_guard();
    EXPECT_EQ(holder.exit_code(), 0u);
  }
}

TEST_F(Duplicate, PipeClientIntoChildTalksToServer) {
  std::string name = pipe_name();
  handle_guard server(
      make_server(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE));
  ASSERT_NE(server.get(), INVALID_HANDLE_VALUE) << GetLastError();
  HANDLE client = open_client(name);
  ASSERT_NE(client, INVALID_HANDLE_VALUE) << GetLastError();
  writes_from_child(client, server, "hello");
}

TEST_F(Duplicate, ConnectedServerEndIntoChild) {
  std::string name = pipe_name();
  HANDLE server = make_server(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE);
  ASSERT_NE(server, INVALID_HANDLE_VALUE) << GetLastError();
  handle_guard client(open_client(name));
  ASSERT_NE(client.get(), INVALID_HANDLE_VALUE) << GetLastError();
  EXPECT_FALSE(ConnectNamedPipe(server, nullptr));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_PIPE_CONNECTED));
  writes_from_child(server, client, "served");
}

TEST_F(Duplicate, MessageReadInPartMovesWithTheHandle) {
  handle_guard server;
  HANDLE client = nullptr;
  ASSERT_NO_FATAL_FAILURE(connect_message_pipe(server, client));
  EXPECT_EQ(write_text(server, "0123456789"), 10u);
  EXPECT_EQ(write_text(server, "next"), 4u);
  char part[4];
  DWORD n = 0;
  EXPECT_FALSE(ReadFile(client, part, sizeof(part), &n, nullptr));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_MORE_DATA));
  EXPECT_EQ(std::string(part, n), "0123");

  // The child's handle goes on where ours stopped: the rest of the message,
  // in message read mode, and then the next one is whole.
  child_process child;
  ASSERT_TRUE(start(child, "from-stdin read-handle")) << GetLastError();
  hand_over(child, client, DUPLICATE_CLOSE_SOURCE);
  EXPECT_EQ(child.exit_code(), 0u);
  EXPECT_EQ(read_text(child.output), "456789");
}

TEST_F(Duplicate, LargeMessageReadInPartMovesWithTheHandle) {
  handle_guard server;
  HANDLE client = nullptr;
  ASSERT_NO_FATAL_FAILURE(connect_message_pipe(server, client));
  // A read of a few bytes takes a whole record off the socket: after the
  // message's short first record, a continuation record of up to 252 KiB,
  // more than a default socket buffer holds. All of it goes with the handle.
  std::string message(300000, 'x');
  for (std::size_t i = 0; i < message.size(); ++i) message[i] = static_cast<char>('a' + i % 26);
  EXPECT_EQ(write_text(server, message), message.size());  // fits the pipe's buffer
  std::string got;
  for (DWORD want : {10u, 4086u, 10u}) {
    std::string part(want, '\0');
    DWORD n = 0;
    EXPECT_FALSE(ReadFile(client, part.data(), want, &n, nullptr));
    EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_MORE_DATA));
    got += part.substr(0, n);
  }
  EXPECT_EQ(got, message.substr(0, 4106));
  child_process child;
  ASSERT_TRUE(start(child, "from-stdin read-handle")) << GetLastError();
  hand_over(child, client, DUPLICATE_CLOSE_SOURCE);
  EXPECT_EQ(child.exit_code(), static_cast<DWORD>(ERROR_MORE_DATA));  // it reads 4096
  EXPECT_EQ(read_text(child.output), message.substr(4106, 4096));
}

TEST_F(Duplicate, MailslotWriterIntoChild) {
  std::string name = R"(\\.\mailslot\)" + pipe_name().substr(9);
  handle_guard slot(CreateMailslotA(name.c_str(), 0, 0, nullptr));
  ASSERT_NE(slot.get(), INVALID_HANDLE_VALUE) << GetLastError();
  HANDLE writer =
      CreateFileA(name.c_str(), GENERIC_WRITE, FILE_SHARE_READ, nullptr, OPEN_EXISTING, 0, nullptr);
  ASSERT_NE(writer, INVALID_HANDLE_VALUE) << GetLastError();
  child_process child;
  ASSERT_TRUE(start(child, "from-stdin write-handle letter")) << GetLastError();
  hand_over(child, writer, DUPLICATE_CLOSE_SOURCE);
  EXPECT_EQ(child.exit_code(), 0u);
  EXPECT_EQ(read_text(slot), "letter");
}

// Inheritance (CreateProcess with bInheritHandles): the child gets named
// pipe ends and mailslot writers at the same numbers, as DuplicateHandle
// would give them, and the parent keeps its own handles.

// An inheritable handle `h` reaches a "write-handle" child, which writes
// `text` and exits; the parent closes its copy, and `peer` reads the text
// and then sees the end.
void inherited_writes(HANDLE h, HANDLE peer, const std::string& text) {
  child_process child;
  ASSERT_TRUE(start(child, "write-handle " + value_of(h) + " " + text, child_path, TRUE))
      << GetLastError();
  EXPECT_TRUE(CloseHandle(h));  // the child's handle is the last one now
  EXPECT_EQ(read_text(peer), text);
  EXPECT_EQ(child.exit_code(), 0u);
}

// Makes pipe `name` with an overlapped client associated with `port` (made
// if null) under key 123; writes `first` to the client, if anything; moves
// the client's only handle into a child running `step` on it; returns the
// child's exit code. `server` keeps the server end.
DWORD child_with_client_on_port(const std::string& name, const std::string& step,
                                handle_guard& server, HANDLE& port, std::string_view first = {}) {
  server = handle_guard(make_server(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE));
  EXPECT_NE(server.get(), INVALID_HANDLE_VALUE) << GetLastError();
  HANDLE client = CreateFileA(name.c_str(), GENERIC_READ | GENERIC_WRITE, 0, nullptr, OPEN_EXISTING,
                              FILE_FLAG_OVERLAPPED, nullptr);
  EXPECT_NE(client, INVALID_HANDLE_VALUE) << GetLastError();
  port = CreateIoCompletionPort(client, port, 123, 0);
  EXPECT_NE(port, nullptr) << GetLastError();
  DWORD written = 0;
  if (!first.empty()) {
    EXPECT_TRUE(
        WriteFile(server, first.data(), static_cast<DWORD>(first.size()), &written, nullptr))
        << GetLastError();
  }
  child_process child;
  if (!start(child, "from-stdin " + step)) {
    ADD_FAILURE() << "child: " << GetLastError();
    return ~DWORD{0};
  }
  hand_over(child, client, DUPLICATE_CLOSE_SOURCE);
  return child.exit_code();
}

// The next packet of `port` within the bound: whether it was a success,
// with its error, count, key and OVERLAPPED.
struct port_packet {
  BOOL ok = FALSE;
  DWORD error = 0, bytes = 0;
  ULONG_PTR key = 0;
  OVERLAPPED* overlapped = nullptr;
};
port_packet next_packet(HANDLE port, DWORD ms = bounded) {
  port_packet p;
  p.ok = GetQueuedCompletionStatus(port, &p.bytes, &p.key, &p.overlapped, ms);
  p.error = p.ok ? 0 : GetLastError();
  return p;
}

TEST_F(Duplicate, AChildsExitCancelsItsReadIntoThePortOfTheFile) {
  // The file is associated with our port; its only handle goes to a child,
  // which starts a read and ends. On Windows the file object, and so its
  // port, is shared: the port hears of the read the exit cancelled.
  HANDLE port = nullptr;
  for (std::string ending : {"exit-process", "return"}) {
    SCOPED_TRACE(ending);
    handle_guard server;
    EXPECT_EQ(child_with_client_on_port(pipe_name(ending), "pending-read " + ending, server, port),
              0u);
    port_packet p = next_packet(port);
    EXPECT_FALSE(p.ok);
    EXPECT_EQ(p.error, static_cast<DWORD>(ERROR_OPERATION_ABORTED));
    EXPECT_EQ(p.bytes, 0u);
    EXPECT_EQ(p.key, 123u);
    EXPECT_NE(p.overlapped, nullptr);  // the child's, as on Windows: not ours to use
  }
  ASSERT_TRUE(CloseHandle(port));
}

TEST_F(Duplicate, AChildsCompletedReadComesToThePortOfTheFile) {
  handle_guard server;
  HANDLE port = nullptr;
  // The child exits with what it read.
  EXPECT_EQ(child_with_client_on_port(pipe_name(), "overlapped-read", server, port, "hello"), 5u);
  port_packet p = next_packet(port);
  EXPECT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.bytes, 5u);
  EXPECT_EQ(p.key, 123u);
  // Nothing else: the child's exit found nothing pending.
  EXPECT_EQ(next_packet(port, 0).error, static_cast<DWORD>(WAIT_TIMEOUT));
  ASSERT_TRUE(CloseHandle(port));
}

TEST_F(Duplicate, AChildCannotPostUnderAKeyOfItsChoosing) {
  // What the child can send through the association's socket reaches our
  // port with the association's key alone; what is not a packet is dropped.
  handle_guard server;
  HANDLE port = nullptr;
  // It found the socket (and wrote to others like it).
  EXPECT_GE(child_with_client_on_port(pipe_name(), "forge-packets", server, port), 1u);
  port_packet p = next_packet(port);
  EXPECT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.key, 123u);
  EXPECT_EQ(p.bytes, 7u);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p.overlapped), 0x1234u);
  EXPECT_EQ(next_packet(port, 0).error, static_cast<DWORD>(WAIT_TIMEOUT));
  ASSERT_TRUE(CloseHandle(port));
}

TEST_F(Duplicate, InheritedPipeClientTalksToServer) {
  std::string name = pipe_name();
  handle_guard server(make_server(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE));
  ASSERT_NE(server.get(), INVALID_HANDLE_VALUE) << GetLastError();
  SECURITY_ATTRIBUTES inheritable{sizeof(inheritable), nullptr, TRUE};
  HANDLE client = CreateFileA(name.c_str(), GENERIC_READ | GENERIC_WRITE, 0, &inheritable,
                              OPEN_EXISTING, 0, nullptr);
  ASSERT_NE(client, INVALID_HANDLE_VALUE) << GetLastError();
  inherited_writes(client, server, "inherited");
  // Every handle of the client end is closed: the server sees the end.
  char buffer[16];
  DWORD n = 0;
  EXPECT_FALSE(ReadFile(server, buffer, sizeof(buffer), &n, nullptr));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_BROKEN_PIPE));
}

TEST_F(Duplicate, InheritedConnectedServerEndServesTheClient) {
  std::string name = pipe_name();
  SECURITY_ATTRIBUTES inheritable{sizeof(inheritable), nullptr, TRUE};
  HANDLE server =
      CreateNamedPipeA(name.c_str(), PIPE_ACCESS_DUPLEX, PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE,
                       1, 4096, 4096, 0, &inheritable);
  ASSERT_NE(server, INVALID_HANDLE_VALUE) << GetLastError();
  handle_guard client(open_client(name));
  ASSERT_NE(client.get(), INVALID_HANDLE_VALUE) << GetLastError();
  EXPECT_FALSE(ConnectNamedPipe(server, nullptr));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_PIPE_CONNECTED));
  inherited_writes(server, client, "served");
}

TEST_F(Duplicate, InheritedMessageClientReadsWholeMessages) {
  std::string name = pipe_name();
  handle_guard server(
      make_server(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE));
  ASSERT_NE(server.get(), INVALID_HANDLE_VALUE) << GetLastError();
  SECURITY_ATTRIBUTES inheritable{sizeof(inheritable), nullptr, TRUE};
  handle_guard client(CreateFileA(name.c_str(), GENERIC_READ | GENERIC_WRITE, 0, &inheritable,
                                  OPEN_EXISTING, 0, nullptr));
  ASSERT_NE(client.get(), INVALID_HANDLE_VALUE) << GetLastError();
  DWORD mode = PIPE_READMODE_MESSAGE;
  ASSERT_TRUE(SetNamedPipeHandleState(client, &mode, nullptr, nullptr)) << GetLastError();
  EXPECT_EQ(write_text(server, "one message"), 11u);
  // The child reads with the parent's handle state: one read, one message.
  child_process child;
  ASSERT_TRUE(start(child, "read-handle " + value_of(client), child_path, TRUE)) << GetLastError();
  EXPECT_EQ(child.exit_code(), 0u);
  EXPECT_EQ(read_text(child.output), "one message");
  // The parent's handle is still its own, and still connected.
  EXPECT_EQ(write_text(server, "two"), 3u);
  EXPECT_EQ(read_text(client), "two");
}

TEST_F(Duplicate, InheritedMailslotWriter) {
  std::string name = R"(\\.\mailslot\)" + pipe_name().substr(9);
  handle_guard slot(CreateMailslotA(name.c_str(), 0, 0, nullptr));
  ASSERT_NE(slot.get(), INVALID_HANDLE_VALUE) << GetLastError();
  SECURITY_ATTRIBUTES inheritable{sizeof(inheritable), nullptr, TRUE};
  HANDLE writer = CreateFileA(name.c_str(), GENERIC_WRITE, FILE_SHARE_READ, &inheritable,
                              OPEN_EXISTING, 0, nullptr);
  ASSERT_NE(writer, INVALID_HANDLE_VALUE) << GetLastError();
  child_process child;
  ASSERT_TRUE(start(child, "write-handle " + value_of(writer) + " letter", child_path, TRUE))
      << GetLastError();
  EXPECT_EQ(child.exit_code(), 0u);
  EXPECT_TRUE(CloseHandle(writer));
  EXPECT_EQ(read_text(slot), "letter");
}

// A handle not marked inheritable, or bInheritHandles FALSE: the number
// means nothing in the child.
TEST_F(Duplicate, PipeEndsNotInheritedStayHome) {
  std::string name = pipe_name();
  handle_guard server(make_server(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE));
  ASSERT_NE(server.get(), INVALID_HANDLE_VALUE) << GetLastError();
  handle_guard client(open_client(name));  // not inheritable
  ASSERT_NE(client.get(), INVALID_HANDLE_VALUE) << GetLastError();
  child_process child;
  ASSERT_TRUE(start(child, "write-handle " + value_of(client) + " x", child_path, TRUE))
      << GetLastError();
  EXPECT_EQ(child.exit_code(), static_cast<DWORD>(ERROR_INVALID_HANDLE));
  handle_guard server2(make_server(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE));
  ASSERT_NE(server2.get(), INVALID_HANDLE_VALUE) << GetLastError();
  SECURITY_ATTRIBUTES inheritable{sizeof(inheritable), nullptr, TRUE};
  handle_guard second(CreateFileA(name.c_str(), GENERIC_READ | GENERIC_WRITE, 0, &inheritable,
                                  OPEN_EXISTING, 0, nullptr));
  ASSERT_NE(second.get(), INVALID_HANDLE_VALUE) << GetLastError();
  child_process other;
  ASSERT_TRUE(start(other, "write-handle " + value_of(second) + " x", child_path, FALSE))
      << GetLastError();
  EXPECT_EQ(other.exit_code(), static_cast<DWORD>(ERROR_INVALID_HANDLE));
}

// Pulls an "offer-event" child's event with `options`, sets it, and lets
// the child look at its own handle: the child's exit code.
DWORD pull_and_set(DWORD options) {
  child_process child;
  EXPECT_TRUE(start(child, "offer-event")) << GetLastError();
  HANDLE theirs = handle_from(read_line(child.output));
  HANDLE mine = nullptr;
  EXPECT_TRUE(DuplicateHandle(child.process, theirs, GetCurrentProcess(), &mine, 0, FALSE,
                              DUPLICATE_SAME_ACCESS | options))
      << GetLastError();
  handle_guard pulled(mine);
  EXPECT_TRUE(SetEvent(pulled)) << GetLastError();
  child.input.reset();
  return child.exit_code();
}

TEST_F(Duplicate, PullFromChildClosesSource) {
  EXPECT_EQ(pull_and_set(DUPLICATE_CLOSE_SOURCE), 0u);  // its handle is gone
}

TEST_F(Duplicate, PullFromChildSharesTheEvent) {
  EXPECT_EQ(pull_and_set(0), 2u);  // still open there, and set
}

TEST_F(Duplicate, BetweenTwoOtherProcesses) {
  child_process from;
  child_process to;
  ASSERT_TRUE(start(from, "offer-event")) << GetLastError();
  ASSERT_TRUE(start(to, "from-stdin set-event")) << GetLastError();
  HANDLE theirs = handle_from(read_line(from.output));
  HANDLE remote = nullptr;
  ASSERT_TRUE(
      DuplicateHandle(from.process, theirs, to.process, &remote, 0, FALSE, DUPLICATE_SAME_ACCESS))
      << GetLastError();
  tell(to, remote);
  EXPECT_EQ(to.exit_code(), 0u);
  from.input.reset();
  EXPECT_EQ(from.exit_code(), 2u);  // `to` set the event `from` made
}

TEST_F(Duplicate, Errors) {
  child_process child;
  ASSERT_TRUE(start(child, "offer-event")) << GetLastError();
  HANDLE theirs = handle_from(read_line(child.output));
  handle_guard event(CreateEventA(nullptr, TRUE, FALSE, nullptr));
  HANDLE out = nullptr;
  auto fails_with = [&](HANDLE source_process, HANDLE source, HANDLE target_process,
                        DWORD options = DUPLICATE_SAME_ACCESS) {
    SetLastError(0);
    EXPECT_FALSE(DuplicateHandle(source_process, source, target_process, &out, 0, FALSE, options));
    return GetLastError();
  };
  HANDLE self = GetCurrentProcess();
  auto bogus = reinterpret_cast<HANDLE>(std::uintptr_t{0x1234});
  EXPECT_EQ(fails_with(self, bogus, child.process), static_cast<DWORD>(ERROR_INVALID_HANDLE));
  EXPECT_EQ(fails_with(child.process, bogus, self), static_cast<DWORD>(ERROR_INVALID_HANDLE));
  EXPECT_EQ(fails_with(self, event, bogus), static_cast<DWORD>(ERROR_INVALID_HANDLE));
  EXPECT_EQ(fails_with(self, event, event), static_cast<DWORD>(ERROR_INVALID_HANDLE));
  EXPECT_EQ(fails_with(self, event, child.process, 0x100),
            static_cast<DWORD>(ERROR_INVALID_PARAMETER));
  // A process handle without PROCESS_DUP_HANDLE.
  handle_guard limited(OpenProcess(SYNCHRONIZE, FALSE, child.pid));
  ASSERT_NE(limited.get(), nullptr) << GetLastError();
  EXPECT_EQ(fails_with(self, event, limited), static_cast<DWORD>(ERROR_ACCESS_DENIED));
  // Kinds that stay in their process.
  handle_guard listening(make_server(pipe_name(), PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE));
  EXPECT_EQ(fails_with(self, listening, child.process), static_cast<DWORD>(ERROR_NOT_SUPPORTED));
  EXPECT_EQ(fails_with(self, GetCurrentThread(), child.process),
            static_cast<DWORD>(ERROR_NOT_SUPPORTED));
  // Nothing was lost on the way: the child's event is still there.
  HANDLE pulled = nullptr;
  EXPECT_TRUE(
      DuplicateHandle(child.process, theirs, self, &pulled, 0, FALSE, DUPLICATE_SAME_ACCESS));
  handle_guard pulled_guard(pulled);
  // A process that has ended, either way.
  child.input.reset();
  EXPECT_EQ(child.exit_code(), 3u);
  EXPECT_EQ(fails_with(self, event, child.process), static_cast<DWORD>(ERROR_ACCESS_DENIED));
  EXPECT_EQ(fails_with(child.process, theirs, self), static_cast<DWORD>(ERROR_ACCESS_DENIED));
}

TEST_F(Duplicate, ProcessHandleIntoChildIsUsable) {
  child_process waiter;
  child_process target;
  ASSERT_TRUE(start(target, "drain")) << GetLastError();
  ASSERT_TRUE(start(waiter, "offer-event")) << GetLastError();
  (void)read_line(waiter.output);
  HANDLE remote = nullptr;
  // Push the target's process handle into the waiter, then pull it back:
  // the copy refers to the same process.
  ASSERT_TRUE(DuplicateHandle(GetCurrentProcess(), target.process, waiter.process, &remote, 0,
                              FALSE, DUPLICATE_SAME_ACCESS))
      << GetLastError();
  HANDLE back = nullptr;
  ASSERT_TRUE(DuplicateHandle(waiter.process, remote, GetCurrentProcess(), &back, 0, FALSE,
                              DUPLICATE_SAME_ACCESS | DUPLICATE_CLOSE_SOURCE))
      << GetLastError();
  handle_guard copy(back);
  EXPECT_FALSE(signalled(copy));
  target.input.reset();
  EXPECT_TRUE(wait_for(copy, bounded));
  waiter.input.reset();
  EXPECT_EQ(waiter.exit_code(), 3u);
}

TEST_F(Duplicate, ImpostorOnTheNameIsRefused) {
  // cat never loads conduit_win32: this process takes names of the form its
  // service would have (by pid alone, and with a token), and must not be
  // taken for it: the service's name is found among cat's own sockets.
  child_process cat;
  ASSERT_TRUE(start(cat, "", "/bin/cat")) << GetLastError();
  std::vector<int> impostors;
  for (std::string name : {"conduit/handles/" + std::to_string(cat.pid),
                           "conduit/handles/" + std::to_string(cat.pid) + "/0123456789abcdef"}) {
    int impostor = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    ASSERT_GE(impostor, 0);
    impostors.push_back(impostor);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    name.copy(address.sun_path + 1, sizeof(address.sun_path) - 2);
    auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
    ASSERT_EQ(::bind(impostor, reinterpret_cast<sockaddr*>(&address), length), 0) << errno;
    ASSERT_EQ(::listen(impostor, 4), 0);
  }
  handle_guard event(CreateEventA(nullptr, TRUE, FALSE, nullptr));
  HANDLE out = nullptr;
  // No service of cat's own: given up after a bounded wait.
  EXPECT_FALSE(DuplicateHandle(GetCurrentProcess(), event, cat.process, &out, 0, FALSE,
                               DUPLICATE_SAME_ACCESS));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_NOT_SUPPORTED));
  for (int impostor : impostors) ::close(impostor);
  cat.input.reset();
  EXPECT_EQ(cat.exit_code(), 0u);
}

TEST_F(Duplicate, ForeignUserIsRefused) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to run a child as another user";
  // The child runs as nobody and tries to push a handle into this process.
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(90);
    std::string me = std::to_string(::getppid());
    ::execl(child_path, child_path, "dup-into", me.c_str(), static_cast<char*>(nullptr));
    ::_exit(91);
  }
  int status = 0;
  // Bounded: the child's own waits are (a refused service answers at once).
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 91) GTEST_SKIP() << "nobody cannot run the test child here";
  EXPECT_EQ(WEXITSTATUS(status), ERROR_ACCESS_DENIED);
}

TEST_F(Duplicate, LeaksNoDescriptors) {
  child_process child;
  ASSERT_TRUE(start(child, "offer-event")) << GetLastError();
  HANDLE theirs = handle_from(read_line(child.output));
  handle_guard event(CreateEventA(nullptr, TRUE, FALSE, nullptr));
  std::string name = pipe_name();
  handle_guard server(make_server(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE));
  handle_guard client(open_client(name));
  ASSERT_NE(client.get(), INVALID_HANDLE_VALUE) << GetLastError();
  auto bogus = reinterpret_cast<HANDLE>(std::uintptr_t{0x1234});
  int before = open_fd_count();
  for (int i = 0; i < 20; ++i) {
    HANDLE out = nullptr;
    EXPECT_TRUE(DuplicateHandle(GetCurrentProcess(), event, child.process, &out, 0, FALSE,
                                DUPLICATE_SAME_ACCESS));
    EXPECT_TRUE(DuplicateHandle(GetCurrentProcess(), client, child.process, &out, 0, FALSE,
                                DUPLICATE_SAME_ACCESS));
    EXPECT_FALSE(DuplicateHandle(GetCurrentProcess(), bogus, child.process, &out, 0, FALSE,
                                 DUPLICATE_SAME_ACCESS));
    EXPECT_FALSE(DuplicateHandle(child.process, bogus, GetCurrentProcess(), &out, 0, FALSE,
                                 DUPLICATE_SAME_ACCESS));
    ASSERT_TRUE(DuplicateHandle(child.process, theirs, GetCurrentProcess(), &out, 0, FALSE,
                                DUPLICATE_SAME_ACCESS));
    EXPECT_TRUE(CloseHandle(out));
  }
  EXPECT_EQ(open_fd_count(), before);
  child.input.reset();
  EXPECT_EQ(child.exit_code(), 3u);
}

}  // namespace
}  // namespace conduit::test
