// The handle service against another user: a process of a user made for the
// test takes the service names future processes would have had, or keeps
// connections to a process's service open without a word, while this
// process duplicates handles into and out of a child (running, or held by
// CREATE_SUSPENDED). DuplicateHandle must keep working, in normal time, and
// ResumeThread must start the child.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <windows.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <span>
#include <string>
#include <vector>

#include "support/sandbox.hpp"
#include "support/unix_user.hpp"
#include "win32/handle_message.hpp"
#include "win32/win32_test_support.hpp"

namespace conduit::test {
namespace {

constexpr const char* child_path = CONDUIT_WIN32_CHILD;
// What one DuplicateHandle may take while the attack goes on: generous for
// a loaded machine, far below the seconds a stalled service costs.
constexpr auto duplicate_bound = std::chrono::seconds(2);
// How many silent connections the other user keeps open, and how many
// connects must have succeeded before the test goes on (a listener's
// queue of 16 was enough to stall a service that read before it checked).
constexpr std::size_t silent_connections = 48;
constexpr int connects_before_ready = 16;

// ---- The other user's side (runs in a forked child as that user) ----

sockaddr_un abstract(const std::string& name, socklen_t& length) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  name.copy(address.sun_path + 1, sizeof(address.sun_path) - 2);
  length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  return address;
}

void say_ready(int fd) {
  char byte = 1;
  (void)!::write(fd, &byte, 1);
}

// Binds, as a listening socket each, the names a process of each pid in
// [first, first + count) would be reached at if they were known in advance:
// the pid alone, and the service's form with a guessed token.
int squat(int first, int count, int ready) {
  rlimit limit{};
  ::getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &limit);
  int pid_max = 32768;
  std::ifstream("/proc/sys/kernel/pid_max") >> pid_max;
  for (int i = 0; i < count; ++i) {
    int pid = (first + i) % pid_max;
    for (std::string name :
         {"conduit/handles/" + std::to_string(pid),
          "conduit/handles/" + std::to_string(pid) + "/" + std::string(32, '0')}) {
      int s = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
      socklen_t length = 0;
      sockaddr_un address = abstract(name, length);
      if (s < 0 || ::bind(s, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
          ::listen(s, 16) != 0)
        return 1;
    }
  }
  say_ready(ready);
  ::pause();
  return 0;
}

// The names of process `pid`'s service, as anybody can read them: the pid
// alone or followed by a token.
std::vector<std::string> service_names(int pid) {
  std::vector<std::string> names;
  std::string prefix = "@conduit/handles/" + std::to_string(pid);
  std::ifstream table("/proc/net/unix");
  std::string line;
  while (std::getline(table, line)) {
    auto at = line.find(prefix);
    if (at == std::string::npos) continue;
    std::string name = line.substr(at + 1);
    if (name.size() == prefix.size() - 1 || name[prefix.size() - 1] == '/') names.push_back(name);
  }
  return names;
}

// Keeps `silent_connections` connections to process `pid`'s service open,
// never sending a byte; one that is closed is made again at once. Says
// ready once connects_before_ready connects succeeded.
int hold_silent_connections(int pid, int ready) {
  std::vector<pollfd> held;
  int connects = 0;
  for (;;) {
    for (const auto& name : service_names(pid)) {
      while (held.size() < silent_connections) {
        int s = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        socklen_t length = 0;
        sockaddr_un address = abstract(name, length);
        if (::connect(s, reinterpret_cast<sockaddr*>(&address), length) != 0) {
          ::close(s);
          break;
        }
        held.push_back(pollfd{s, POLLIN, 0});
        if (++connects == connects_before_ready) say_ready(ready);
      }
    }
    // Whatever the service closed (or answered) is dropped and made again.
    if (::poll(held.data(), held.size(), held.size() < silent_connections ? 1 : -1) < 0) return 1;
    std::erase_if(held, [](const pollfd& p) {
      if (p.revents == 0) return false;
      ::close(p.fd);
      return true;
    });
  }
}

// The inode of the socket process `pid`'s service listens on, as anybody
// can read it in /proc/net/unix; 0 if none.
unsigned long service_inode(int pid) {
  std::string prefix = "@conduit/handles/" + std::to_string(pid) + "/";
  std::ifstream table("/proc/net/unix");
  std::string line;
  while (std::getline(table, line)) {
    unsigned long inode = 0;
    if (line.find(prefix) != std::string::npos &&
        std::sscanf(line.c_str(), "%*s %*s %*s %*s %*s %*s %lu", &inode) == 1)
      return inode;
  }
  return 0;
}

// Binds a listener of its own at a name of the service's form for process
// `pid`, and names with a newline that print, in /proc/net/unix, forged
// lines saying the process's own listening socket is bound to that name.
int forge_lines(int pid, int ready) {
  unsigned long inode = service_inode(pid);
  if (inode == 0) return 1;
  std::string decoy = "conduit/handles/" + std::to_string(pid) + "/f";
  std::vector<std::string> names = {decoy};
  for (int i = 0; i < 64; ++i)
    names.push_back(std::to_string(i) + "\n0: 2 0 10000 5 01 " + std::to_string(inode) + " @" +
                    decoy);
  for (const auto& name : names) {
    int s = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    socklen_t length = 0;
    sockaddr_un address = abstract(name, length);
    if (s < 0 || ::bind(s, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        ::listen(s, 16) != 0)
      return 2;
  }
  say_ready(ready);
  ::pause();
  return 0;
}

// What ask_as_stranger() exits with besides a reply's error.
constexpr int no_service = 200;
constexpr int no_reply_in_time = 201;
constexpr int closed_without_reply = 202;

// Connects to process `pid`'s service, sends a valid insert request (an
// event's eventfd), and exits with the error of the reply, or one of the
// codes above.
int ask_as_stranger(int pid) {
  auto names = service_names(pid);
  if (names.empty()) return no_service;
  int s = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  socklen_t length = 0;
  sockaddr_un address = abstract(names.front(), length);
  timeval timeout{10, 0};
  ::setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  if (::connect(s, reinterpret_cast<sockaddr*>(&address), length) != 0) return no_service;
  win32::handle_message insert;
  insert.operation = win32::handle_message::op::insert;
  insert.kind = 'm';
  insert.access = EVENT_ALL_ACCESS;
  auto packet = win32::encode_handle_message(insert);
  int event = ::eventfd(0, EFD_CLOEXEC);
  iovec io{packet.data(), packet.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr message{};
  message.msg_iov = &io;
  message.msg_iovlen = 1;
  message.msg_control = control;
  message.msg_controllen = sizeof(control);
  cmsghdr* c = CMSG_FIRSTHDR(&message);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &event, sizeof(int));
  (void)!::sendmsg(s, &message, MSG_NOSIGNAL);
  std::vector<std::byte> reply(win32::handle_message_max);
  ssize_t got = ::recv(s, reply.data(), reply.size(), 0);
  if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return no_reply_in_time;
  win32::handle_message decoded;
  if (got <= 0 ||
      !win32::decode_handle_message(std::span(reply).first(static_cast<std::size_t>(got)), decoded))
    return closed_without_reply;
  return static_cast<int>(decoded.error);
}

// ---- This side ----

// A pipe the attacker says "ready" on.
struct ready_pipe {
  int read_end = -1;
  int write_end = -1;
  ready_pipe() {
    int ends[2];
    if (::pipe2(ends, O_CLOEXEC) == 0) {
      read_end = ends[0];
      write_end = ends[1];
    }
  }
  ~ready_pipe() {
    ::close(read_end);
    ::close(write_end);
  }
  // Waits (bounded) for the attacker to say it is ready.
  bool wait() const {
    pollfd p{read_end, POLLIN, 0};
    char byte = 0;
    return ::poll(&p, 1, 30'000) == 1 && ::read(read_end, &byte, 1) == 1;
  }
};

struct child_process : stdio_child {};

std::string read_line(HANDLE h) {
  std::string line;
  char c = 0;
  DWORD n = 0;
  while (ReadFile(h, &c, 1, &n, nullptr) && n == 1 && c != '\n') line += c;
  return line;
}

HANDLE handle_from(const std::string& text) {
  return reinterpret_cast<HANDLE>(static_cast<std::uintptr_t>(std::stoull(text)));
}

// Duplicates an event into `child` and `theirs` (its event) out of it, each
// call timed; fails the test if one fails or takes longer than the bound.
void duplicate_both_ways(HANDLE child, HANDLE theirs, int rounds) {
  handle_guard ours(CreateEventA(nullptr, TRUE, FALSE, nullptr));
  for (int i = 0; i < rounds; ++i) {
    auto start = std::chrono::steady_clock::now();
    HANDLE remote = nullptr;
    ASSERT_TRUE(
        DuplicateHandle(GetCurrentProcess(), ours, child, &remote, 0, FALSE, DUPLICATE_SAME_ACCESS))
        << GetLastError();
    EXPECT_LT(std::chrono::steady_clock::now() - start, duplicate_bound) << "into the child";
    start = std::chrono::steady_clock::now();
    HANDLE copy = nullptr;
    ASSERT_TRUE(
        DuplicateHandle(child, theirs, GetCurrentProcess(), &copy, 0, FALSE, DUPLICATE_SAME_ACCESS))
        << GetLastError();
    EXPECT_LT(std::chrono::steady_clock::now() - start, duplicate_bound) << "out of the child";
    EXPECT_TRUE(CloseHandle(copy));
  }
}

// Starts an "offer-event" child and reads the handle of its event.
void start_offering(child_process& child, HANDLE& theirs) {
  ASSERT_TRUE(start_stdio_child(child, "\"" + std::string(child_path) + "\" offer-event"))
      << GetLastError();
  theirs = handle_from(read_line(child.output));
}

// Sets the child's event through a copy fetched out of it, lets it end, and
// checks that it saw its event set (exit code 2).
void finish_offering(child_process& child, HANDLE theirs) {
  HANDLE copy = nullptr;
  ASSERT_TRUE(DuplicateHandle(child.process, theirs, GetCurrentProcess(), &copy, 0, FALSE,
                              DUPLICATE_SAME_ACCESS))
      << GetLastError();
  EXPECT_TRUE(SetEvent(copy));
  EXPECT_TRUE(CloseHandle(copy));
  child.input.reset();
  EXPECT_TRUE(wait_for(child.process));
  DWORD code = 0;
  EXPECT_TRUE(GetExitCodeProcess(child.process, &code));
  EXPECT_EQ(code, 2u);
}

class ServiceIsolation : public sandbox {
 protected:
  void SetUp() override {
    sandbox::SetUp();
    if (!can_create_users()) GTEST_SKIP() << "needs root to create a user";
  }
};

TEST_F(ServiceIsolation, NamesTakenForFutureProcessesDoNotStopDuplicateHandle) {
  unix_user stranger;
  int last = 0;
  std::ifstream("/proc/sys/kernel/ns_last_pid") >> last;
  constexpr int ahead = 3000;  // pids other processes may take meanwhile included
  ready_pipe ready;
  user_process attacker(stranger, [&] { return squat(last + 1, ahead, ready.write_end); });
  ASSERT_TRUE(ready.wait()) << "the other user could not take the names";
  child_process child;
  HANDLE theirs = nullptr;
  ASSERT_NO_FATAL_FAILURE(start_offering(child, theirs));
  // The names this child would have had were the other user's already.
  int distance = static_cast<int>(child.pid) - last - 1;
  ASSERT_TRUE(distance >= 0 && distance < ahead) << "too many processes started meanwhile";
  ASSERT_NO_FATAL_FAILURE(duplicate_both_ways(child.process, theirs, 3));
  finish_offering(child, theirs);
  EXPECT_EQ(attacker.wait_exit(std::chrono::milliseconds(0)), -1);
}

TEST_F(ServiceIsolation, SilentConnectionsOfAnotherUserDoNotDelayDuplicateHandle) {
  unix_user stranger;
  child_process child;
  HANDLE theirs = nullptr;
  ASSERT_NO_FATAL_FAILURE(start_offering(child, theirs));
  ready_pipe ready;
  int pid = static_cast<int>(child.pid);
  user_process attacker(stranger, [&] { return hold_silent_connections(pid, ready.write_end); });
  ASSERT_TRUE(ready.wait()) << "the other user could not connect";
  ASSERT_NO_FATAL_FAILURE(duplicate_both_ways(child.process, theirs, 10));
  EXPECT_EQ(attacker.wait_exit(std::chrono::milliseconds(0)), -1) << "the attack stopped";
  attacker.kill_hard();  // it holds a copy of the child's input from the fork
  finish_offering(child, theirs);
}

TEST_F(ServiceIsolation, ForgedLinesInTheSocketTableDoNotMisleadDuplicateHandle) {
  unix_user stranger;
  child_process child;
  HANDLE theirs = nullptr;
  ASSERT_NO_FATAL_FAILURE(start_offering(child, theirs));
  // The child's service is listening once it has written its event's handle.
  ready_pipe ready;
  int pid = static_cast<int>(child.pid);
  user_process attacker(stranger, [&] { return forge_lines(pid, ready.write_end); });
  ASSERT_TRUE(ready.wait()) << "the other user could not forge lines";
  ASSERT_NO_FATAL_FAILURE(duplicate_both_ways(child.process, theirs, 3));
  attacker.kill_hard();  // it holds a copy of the child's input from the fork
  finish_offering(child, theirs);
}

TEST_F(ServiceIsolation, AnotherUsersRequestIsRefusedAtOnce) {
  unix_user stranger;
  child_process child;
  HANDLE theirs = nullptr;
  ASSERT_NO_FATAL_FAILURE(start_offering(child, theirs));
  int pid = static_cast<int>(child.pid);
  auto start = std::chrono::steady_clock::now();
  user_process asker(stranger, [&] { return ask_as_stranger(pid); });
  // Refused, at once: told so, or (when the request came after the
  // service had looked) cut off. A request served would say 0.
  int answer = asker.wait_exit(std::chrono::seconds(30));
  EXPECT_TRUE(answer == ERROR_ACCESS_DENIED || answer == closed_without_reply) << answer;
  EXPECT_LT(std::chrono::steady_clock::now() - start, duplicate_bound);
  finish_offering(child, theirs);
}

TEST_F(ServiceIsolation, SilentConnectionsToTheGateDoNotHoldASuspendedChild) {
  unix_user stranger;
  handle_guard event(CreateEventA(nullptr, TRUE, FALSE, nullptr));
  child_process child;
  ASSERT_TRUE(start_stdio_child(child, "\"" + std::string(child_path) + "\" from-stdin set-event",
                                FALSE, CREATE_SUSPENDED))
      << GetLastError();
  ready_pipe ready;
  int pid = static_cast<int>(child.pid);
  user_process attacker(stranger, [&] { return hold_silent_connections(pid, ready.write_end); });
  ASSERT_TRUE(ready.wait()) << "the other user could not connect";
  auto start = std::chrono::steady_clock::now();
  HANDLE remote = nullptr;
  ASSERT_TRUE(DuplicateHandle(GetCurrentProcess(), event, child.process, &remote, 0, FALSE,
                              DUPLICATE_SAME_ACCESS))
      << GetLastError();
  EXPECT_LT(std::chrono::steady_clock::now() - start, duplicate_bound);
  write_text(child.input, std::to_string(reinterpret_cast<std::uintptr_t>(remote)) + "\n");
  EXPECT_EQ(ResumeThread(child.thread), 1u);
  // The program ran: it set the event it was given.
  EXPECT_TRUE(wait_for(event));
  EXPECT_TRUE(wait_for(child.process));
  DWORD code = STILL_ACTIVE;
  EXPECT_TRUE(GetExitCodeProcess(child.process, &code));
  EXPECT_EQ(code, 0u);
  EXPECT_EQ(attacker.wait_exit(std::chrono::milliseconds(0)), -1) << "the attack stopped";
}

}  // namespace
}  // namespace conduit::test
