// DuplicateHandle into a child created with CREATE_SUSPENDED and not
// resumed yet: conduit-gate keeps what is pushed and hands it to the
// program at ResumeThread, at the handle values DuplicateHandle reported.
// The values reach the child through its standard input, which it reads
// only once resumed ("from-stdin" steps of conduit_win32_test_child).
#include <gtest/gtest.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <windows.h>

#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "support/sandbox.hpp"
#include "win32/handle_message.hpp"
#include "win32/handle_service_socket.hpp"
#include "win32/win32_test_support.hpp"

namespace conduit::test {
namespace {

constexpr const char* child_path = CONDUIT_WIN32_CHILD;
constexpr DWORD bounded = 10000;  // every wait, in ms

class SuspendedDuplicate : public sandbox {
 protected:
  // A byte pipe's server end and a client end connected to it.
  void connect(handle_guard& server, HANDLE& client) {
    connect_pipe(pipe_name(), PIPE_TYPE_BYTE | PIPE_WAIT, server, client);
  }
};

// The server sees that every handle to its client end was closed.
void expect_client_gone(HANDLE server) {
  char byte = 0;
  DWORD n = 0;
  EXPECT_FALSE(ReadFile(server, &byte, 1, &n, nullptr));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_BROKEN_PIPE));
}

// A suspended child whose standard input and output are pipes this test
// holds.
struct suspended_child : stdio_child {
  bool start(const std::string& arguments, bool inherit_handles = false) {
    return start_stdio_child(*this, "\"" + std::string(child_path) + "\" " + arguments,
                             inherit_handles, CREATE_SUSPENDED);
  }
  // Whether it still runs the gate rather than its program.
  [[nodiscard]] bool held_at_gate() const { return process_image(pid).ends_with("/conduit-gate"); }
  // Pushes `h` in; its value there.
  HANDLE push(HANDLE h, DWORD options = 0) {
    HANDLE remote = nullptr;
    EXPECT_TRUE(DuplicateHandle(GetCurrentProcess(), h, process, &remote, 0, FALSE,
                                DUPLICATE_SAME_ACCESS | options))
        << GetLastError();
    return remote;
  }
  // Tells the child (once it runs) the value it was given.
  void tell(HANDLE remote) {
    write_text(input, std::to_string(reinterpret_cast<std::uintptr_t>(remote)) + "\n");
  }
  DWORD resume_and_wait() {
    EXPECT_EQ(ResumeThread(thread), 1u);
    return exit_code_of(process);
  }
};

// Pushes an event into a suspended child that sets it once resumed.
void event_round() {
  handle_guard event(CreateEventA(nullptr, TRUE, FALSE, nullptr));
  suspended_child child;
  ASSERT_TRUE(child.start("from-stdin set-event")) << GetLastError();
  ASSERT_TRUE(child.held_at_gate());
  HANDLE remote = child.push(event);
  ASSERT_NE(remote, nullptr);
  EXPECT_TRUE(child.held_at_gate());  // still not running its program
  child.tell(remote);
  EXPECT_EQ(child.resume_and_wait(), 0u);
  EXPECT_TRUE(signalled(event));
}

TEST_F(SuspendedDuplicate, PushedEventIsTheChildsAfterResume) {
  event_round();
}

TEST_F(SuspendedDuplicate, NoDescriptorLeftBehind) {
  event_round();  // what the first child starts for good (the reaper) is open now
  int before = open_fd_count();
  for (int i = 0; i < 5; ++i) event_round();
  EXPECT_EQ(open_fd_count(), before);
}

TEST_F(SuspendedDuplicate, PushedNamedEventKeepsItsName) {
  // Its name crosses as the object's state, through the gate's list.
  std::string name = "conduit-suspended-dup-" + std::to_string(GetCurrentProcessId());
  suspended_child child;
  ASSERT_TRUE(child.start("from-stdin hold-handle")) << GetLastError();
  HANDLE event = CreateEventA(nullptr, TRUE, FALSE, name.c_str());
  ASSERT_NE(event, nullptr) << GetLastError();
  child.tell(child.push(event));
  EXPECT_EQ(ResumeThread(child.thread), 1u);
  EXPECT_EQ(read_text(child.output), "held\n");
  EXPECT_TRUE(CloseHandle(event));
  // The child's handle holds the name now.
  handle_guard reopened(OpenEventA(EVENT_ALL_ACCESS, FALSE, name.c_str()));
  EXPECT_NE(reopened.get(), nullptr) << GetLastError();
  child.input = handle_guard();  // its input ends: it exits
  EXPECT_TRUE(wait_for(child.process, bounded));
}

TEST_F(SuspendedDuplicate, PushedPipeClientTalksToTheServer) {
  handle_guard server;
  HANDLE client = nullptr;
  ASSERT_NO_FATAL_FAILURE(connect(server, client));
  suspended_child child;
  ASSERT_TRUE(child.start("from-stdin write-handle hello")) << GetLastError();
  // Moved: the child's handle is then the only one to that end.
  HANDLE remote = child.push(client, DUPLICATE_CLOSE_SOURCE);
  ASSERT_NE(remote, nullptr);
  child.tell(remote);
  EXPECT_EQ(child.resume_and_wait(), 0u);
  EXPECT_EQ(read_text(server), "hello");
  expect_client_gone(server);
}

TEST_F(SuspendedDuplicate, ValuesMissTheInheritedHandles) {
  SECURITY_ATTRIBUTES inherit{sizeof(inherit), nullptr, TRUE};
  handle_guard inherited(CreateEventA(&inherit, TRUE, FALSE, nullptr));
  handle_guard pushed(CreateEventA(nullptr, TRUE, FALSE, nullptr));
  handle_guard other(CreateEventA(nullptr, TRUE, FALSE, nullptr));
  suspended_child child;
  ASSERT_TRUE(child.start("from-stdin set-event", true)) << GetLastError();
  HANDLE remote = child.push(pushed);
  HANDLE second = child.push(other);
  ASSERT_NE(remote, nullptr);
  EXPECT_NE(remote, inherited.get());
  EXPECT_NE(second, remote);
  EXPECT_NE(second, inherited.get());
  child.tell(remote);
  EXPECT_EQ(child.resume_and_wait(), 0u);
  EXPECT_TRUE(signalled(pushed));
  EXPECT_FALSE(signalled(inherited));
  EXPECT_FALSE(signalled(other));
}

TEST_F(SuspendedDuplicate, NothingToFetchBeforeResume) {
  suspended_child child;
  ASSERT_TRUE(child.start("exit 0")) << GetLastError();
  handle_guard event(CreateEventA(nullptr, TRUE, FALSE, nullptr));
  HANDLE remote = child.push(event);
  ASSERT_NE(remote, nullptr);
  HANDLE out = nullptr;
  SetLastError(0);
  // Windows would find it; here the program has no table yet.
  EXPECT_FALSE(DuplicateHandle(child.process, remote, GetCurrentProcess(), &out, 0, FALSE,
                               DUPLICATE_SAME_ACCESS));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_HANDLE));
  EXPECT_EQ(child.resume_and_wait(), 0u);
}

TEST_F(SuspendedDuplicate, NeverResumedClosesWhatItGot) {
  handle_guard server;
  HANDLE client = nullptr;
  ASSERT_NO_FATAL_FAILURE(connect(server, client));
  suspended_child child;
  ASSERT_TRUE(child.start("from-stdin write-handle never")) << GetLastError();
  ASSERT_NE(child.push(client, DUPLICATE_CLOSE_SOURCE), nullptr);
  EXPECT_TRUE(TerminateProcess(child.process, 9));
  EXPECT_TRUE(wait_for(child.process, bounded));
  // The gate held the only handle to the client end, and it is gone.
  expect_client_gone(server);
}

// Sends `packet` (with `fd` attached, if any) to the handle service of
// process `pid` as a caller that does not follow the rules; the error its
// reply gives, or -1 if none came.
long answer_to(DWORD pid, const std::vector<std::byte>& packet, int fd = -1) {
  int s = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (s < 0) return -1;
  std::vector<win32::service_address> found;
  if (win32::find_handle_service(static_cast<int>(pid), found) != win32::service_lookup::found) {
    ::close(s);
    return -1;
  }
  const sockaddr_un& address = found.front().where;
  socklen_t length = found.front().length;
  timeval timeout{10, 0};
  ::setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  long error = -1;
  if (::connect(s, reinterpret_cast<const sockaddr*>(&address), length) == 0) {
    iovec io{const_cast<std::byte*>(packet.data()), packet.size()};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr message{};
    message.msg_iov = &io;
    message.msg_iovlen = 1;
    if (fd >= 0) {
      message.msg_control = control;
      message.msg_controllen = sizeof(control);
      cmsghdr* c = CMSG_FIRSTHDR(&message);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN(sizeof(int));
      std::memcpy(CMSG_DATA(c), &fd, sizeof(int));
    }
    std::vector<std::byte> reply(win32::handle_message_max);
    win32::handle_message decoded;
    if (::sendmsg(s, &message, MSG_NOSIGNAL) >= 0) {
      ssize_t got = ::recv(s, reply.data(), reply.size(), 0);
      if (got > 0 && win32::decode_handle_message(
                         std::span(reply).first(static_cast<std::size_t>(got)), decoded))
        error = decoded.error;
    }
  }
  ::close(s);
  return error;
}

TEST_F(SuspendedDuplicate, TheGateRefusesWhatIsNoObject) {
  suspended_child child;
  ASSERT_TRUE(child.start("from-stdin set-event")) << GetLastError();
  // DuplicateHandle waits for the gate to listen; after it, so may we.
  handle_guard pushed(CreateEventA(nullptr, TRUE, FALSE, nullptr));
  HANDLE remote = child.push(pushed);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(remote), 4u);  // nothing taken before it
  std::vector<std::byte> garbage(8, std::byte{0x41});
  EXPECT_EQ(answer_to(child.pid, garbage), ERROR_INVALID_PARAMETER);
  win32::handle_message insert;
  insert.operation = win32::handle_message::op::insert;
  insert.kind = 'm';
  // No descriptor, then an unknown kind.
  EXPECT_EQ(answer_to(child.pid, win32::encode_handle_message(insert)), ERROR_INVALID_PARAMETER);
  int event = ::eventfd(0, EFD_CLOEXEC);
  ASSERT_GE(event, 0);
  insert.kind = 'z';
  EXPECT_EQ(answer_to(child.pid, win32::encode_handle_message(insert), event),
            ERROR_INVALID_PARAMETER);
  ::close(event);
  // The gate still serves, and the child still starts with what it kept.
  handle_guard other(CreateEventA(nullptr, TRUE, FALSE, nullptr));
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(child.push(other)), 8u);
  child.tell(remote);
  EXPECT_EQ(child.resume_and_wait(), 0u);
  EXPECT_TRUE(signalled(pushed));
  EXPECT_FALSE(signalled(other));
}

}  // namespace
}  // namespace conduit::test
