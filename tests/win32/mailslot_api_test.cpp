// The mailslot API of the Win32 layer: CreateMailslot, CreateFile on a
// mailslot name, ReadFile and WriteFile (blocking and overlapped),
// GetMailslotInfo, SetMailslotInfo, waiting on a slot and closing it, with
// the errors Windows gives. Writers in other processes are
// conduit_test_mailslot_writer, a Win32 program as another one would be.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <windows.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "conduit/mailslot.hpp"
#include "runtime/mailslot_writer.hpp"
#include "support/sandbox.hpp"

extern char** environ;

namespace conduit::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

// Closes a handle at the end of a scope.
class handle_guard {
 public:
  explicit handle_guard(HANDLE h = INVALID_HANDLE_VALUE) : h_(h) {}
  ~handle_guard() { reset(); }
  handle_guard(const handle_guard&) = delete;
  handle_guard& operator=(const handle_guard&) = delete;
  [[nodiscard]] HANDLE get() const { return h_; }
  HANDLE release() { return std::exchange(h_, INVALID_HANDLE_VALUE); }
  void reset(HANDLE h = INVALID_HANDLE_VALUE) {
    if (h_ != INVALID_HANDLE_VALUE && h_ != nullptr) CloseHandle(h_);
    h_ = h;
  }

 private:
  HANDLE h_;
};

// The writer program, running: its stdin to tell it to go on, its stdout
// to hear what it did.
class writer_process {
 public:
  writer_process(const std::string& slot, std::vector<std::string> messages) {
    int in[2], out[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0)
      throw std::runtime_error("pipe");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    std::vector<std::string> args{CONDUIT_MAILSLOT_WRITER, slot};
    args.insert(args.end(), messages.begin(), messages.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (::posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ) != 0)
      throw std::runtime_error("spawn");
    posix_spawn_file_actions_destroy(&actions);
    ::close(in[0]);
    ::close(out[1]);
    to_ = in[1];
    from_ = ::fdopen(out[0], "r");
  }
  ~writer_process() {
    if (to_ >= 0) ::close(to_);
    if (pid_ > 0) ::kill(pid_, SIGKILL), ::waitpid(pid_, nullptr, 0);
    if (from_) std::fclose(from_);
  }

  /// The next line it printed ("" at its end).
  std::string line() {
    char buffer[64];
    if (!std::fgets(buffer, sizeof buffer, from_)) return "";
    std::string s = buffer;
    if (!s.empty() && s.back() == '\n') s.pop_back();
    return s;
  }
  void go() { ASSERT_EQ(::write(to_, "\n", 1), 1); }
  /// Its exit status: the Win32 error it ended with.
  int wait() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  pid_t pid_ = -1;
  int to_ = -1;
  FILE* from_ = nullptr;
};

class MailslotApi : public sandbox {
 protected:
  std::string slot_name(const std::string& suffix = "s") const {
    return R"(\\.\mailslot\)" + pipe_name(suffix).substr(9);
  }
  static HANDLE open_writer(const std::string& name, DWORD share = FILE_SHARE_READ,
                            DWORD access = GENERIC_WRITE, DWORD disposition = OPEN_EXISTING) {
    return CreateFileA(name.c_str(), access, share, nullptr, disposition, 0, nullptr);
  }
  static BOOL write(HANDLE h, const std::string& s) {
    DWORD n = 0;
    return WriteFile(h, s.data(), static_cast<DWORD>(s.size()), &n, nullptr);
  }
  static DWORD count(HANDLE slot) {
    DWORD c = 12345;
    EXPECT_TRUE(GetMailslotInfo(slot, nullptr, nullptr, &c, nullptr));
    return c;
  }
  // Nothing of a cancel is left over for the next blocking read: a message
  // written now is what it gets.
  static void expect_next_read_untouched(HANDLE slot, const std::string& name) {
    handle_guard out(open_writer(name));
    ASSERT_TRUE(write(out.get(), "after"));
    char buffer[8];
    DWORD n = 0;
    ASSERT_TRUE(ReadFile(slot, buffer, sizeof buffer, &n, nullptr)) << GetLastError();
    EXPECT_EQ(std::string(buffer, n), "after");
  }
};

TEST_F(MailslotApi, CreateMailslotNamesAndErrors) {
  std::string name = slot_name();
  EXPECT_EQ(CreateMailslotA(nullptr, 0, 0, nullptr), INVALID_HANDLE_VALUE);
  EXPECT_EQ(GetLastError(), ERROR_PATH_NOT_FOUND);
  EXPECT_EQ(CreateMailslotA("not a slot", 0, 0, nullptr), INVALID_HANDLE_VALUE);
  EXPECT_EQ(GetLastError(), ERROR_INVALID_NAME);
  EXPECT_EQ(CreateMailslotA(R"(\\.\pipe\x)", 0, 0, nullptr), INVALID_HANDLE_VALUE);
  EXPECT_EQ(GetLastError(), ERROR_INVALID_NAME);
  EXPECT_EQ(CreateMailslotA(R"(\\host\mailslot\x)", 0, 0, nullptr), INVALID_HANDLE_VALUE);
  EXPECT_EQ(GetLastError(), ERROR_PATH_NOT_FOUND);

  SetLastError(1234);
  SECURITY_ATTRIBUTES sa{sizeof sa, nullptr, TRUE};
  handle_guard slot(CreateMailslotA(name.c_str(), 0, 0, &sa));
  ASSERT_NE(slot.get(), INVALID_HANDLE_VALUE);
  EXPECT_EQ(GetLastError(), ERROR_SUCCESS);
  DWORD flags = 0;
  EXPECT_TRUE(GetHandleInformation(slot.get(), &flags));
  EXPECT_EQ(flags, DWORD{HANDLE_FLAG_INHERIT});
  // Names compare without regard to case, in W names too.
  std::u16string upper;
  for (char c : name) upper.push_back(static_cast<char16_t>(c >= 'a' && c <= 'z' ? c - 32 : c));
  EXPECT_EQ(CreateMailslotW(upper.c_str(), 0, 0, nullptr), INVALID_HANDLE_VALUE);
  EXPECT_EQ(GetLastError(), ERROR_ALREADY_EXISTS);
  handle_guard plain(CreateMailslotW(u"\\\\.\\mailslot\\w\\sub", 0, 0, nullptr));
  ASSERT_NE(plain.get(), INVALID_HANDLE_VALUE);
  flags = 1;
  EXPECT_TRUE(GetHandleInformation(plain.get(), &flags));
  EXPECT_EQ(flags, 0u);
}

TEST_F(MailslotApi, CreateFileShareAndAccessRules) {
  std::string name = slot_name();
  EXPECT_EQ(open_writer(name), INVALID_HANDLE_VALUE);
  EXPECT_EQ(GetLastError(), ERROR_FILE_NOT_FOUND);
  EXPECT_EQ(open_writer(name, 0), INVALID_HANDLE_VALUE);
  EXPECT_EQ(GetLastError(), ERROR_FILE_NOT_FOUND);
  handle_guard slot(CreateMailslotA(name.c_str(), 0, MAILSLOT_WAIT_FOREVER, nullptr));
  ASSERT_NE(slot.get(), INVALID_HANDLE_VALUE);
  // Since Vista any share mode opens a writer (no sharing violation).
  handle_guard unshared(open_writer(name, 0));
  EXPECT_NE(unshared.get(), INVALID_HANDLE_VALUE);
  handle_guard write_shared(open_writer(name, FILE_SHARE_WRITE));
  EXPECT_NE(write_shared.get(), INVALID_HANDLE_VALUE);
  // Any access opens; only write access writes, and nothing reads.
  handle_guard reader_only(open_writer(name, FILE_SHARE_READ, GENERIC_READ));
  ASSERT_NE(reader_only.get(), INVALID_HANDLE_VALUE);
  EXPECT_FALSE(write(reader_only.get(), "x"));
  EXPECT_EQ(GetLastError(), ERROR_ACCESS_DENIED);
  reader_only.reset();
  SetLastError(1234);
  handle_guard always(open_writer(name, FILE_SHARE_READ, GENERIC_WRITE, OPEN_ALWAYS));
  ASSERT_NE(always.get(), INVALID_HANDLE_VALUE);
  EXPECT_EQ(GetLastError(), ERROR_ALREADY_EXISTS);
  char byte;
  DWORD n = 7;
  EXPECT_FALSE(ReadFile(always.get(), &byte, 1, &n, nullptr));
  EXPECT_EQ(GetLastError(), ERROR_ACCESS_DENIED);
  EXPECT_EQ(n, 0u);
  EXPECT_FALSE(write(slot.get(), "x"));
  EXPECT_EQ(GetLastError(), ERROR_ACCESS_DENIED);
  EXPECT_EQ(count(slot.get()), 0u);
  // Info is the slot's: a writer's handle is not a slot.
  EXPECT_FALSE(GetMailslotInfo(always.get(), nullptr, nullptr, nullptr, nullptr));
  EXPECT_EQ(GetLastError(), ERROR_INVALID_HANDLE);
  EXPECT_FALSE(SetMailslotInfo(always.get(), 5));
  EXPECT_EQ(GetLastError(), ERROR_INVALID_HANDLE);
  EXPECT_TRUE(FlushFileBuffers(always.get()));
  always.reset();
  handle_guard first(open_writer(name, FILE_SHARE_READ | FILE_SHARE_WRITE));
  ASSERT_NE(first.get(), INVALID_HANDLE_VALUE);
  // Any number of writers, whatever they share.
  handle_guard second(open_writer(name, FILE_SHARE_READ));
  ASSERT_NE(second.get(), INVALID_HANDLE_VALUE);
  ASSERT_TRUE(write(first.get(), "1"));
  ASSERT_TRUE(write(second.get(), "2"));
  EXPECT_EQ(count(slot.get()), 2u);
  EXPECT_FALSE(FlushFileBuffers(slot.get()));
  EXPECT_EQ(GetLastError(), ERROR_ACCESS_DENIED);
}

TEST_F(MailslotApi, MessagesFromAnotherProcess) {
  std::string name = slot_name();
  handle_guard slot(CreateMailslotA(name.c_str(), 0, MAILSLOT_WAIT_FOREVER, nullptr));
  ASSERT_NE(slot.get(), INVALID_HANDLE_VALUE);
  DWORD max = 1, next = 1, cnt = 1, timeout = 1;
  ASSERT_TRUE(GetMailslotInfo(slot.get(), &max, &next, &cnt, &timeout));
  EXPECT_EQ(max, 0u);
  EXPECT_EQ(next, MAILSLOT_NO_MESSAGE);
  EXPECT_EQ(cnt, 0u);
  EXPECT_EQ(timeout, MAILSLOT_WAIT_FOREVER);
  // Empty or not, the slot's handle is signalled.
  EXPECT_EQ(WaitForSingleObject(slot.get(), 0), WAIT_OBJECT_0);

  writer_process writer(name, {"hello", "@empty", "world!"});
  EXPECT_EQ(writer.wait(), 0);
  ASSERT_TRUE(GetMailslotInfo(slot.get(), &max, &next, &cnt, &timeout));
  EXPECT_EQ(next, 5u);
  EXPECT_EQ(cnt, 3u);
  EXPECT_EQ(WaitForSingleObject(slot.get(), 0), WAIT_OBJECT_0);

  char buffer[16] = {};
  DWORD n = 7;
  EXPECT_FALSE(ReadFile(slot.get(), buffer, 4, &n, nullptr));
  EXPECT_EQ(GetLastError(), ERROR_INSUFFICIENT_BUFFER);
  EXPECT_EQ(n, 0u);
  EXPECT_EQ(count(slot.get()), 3u);  // the message stays
  ASSERT_TRUE(ReadFile(slot.get(), buffer, sizeof buffer, &n, nullptr));
  EXPECT_EQ(std::string(buffer, n), "hello");
  n = 7;
  ASSERT_TRUE(ReadFile(slot.get(), buffer, 0, &n, nullptr));  // zero-length: a message
  EXPECT_EQ(n, 0u);
  ASSERT_TRUE(GetMailslotInfo(slot.get(), nullptr, &next, &cnt, nullptr));
  EXPECT_EQ(next, 6u);
  EXPECT_EQ(cnt, 1u);
  ASSERT_TRUE(ReadFile(slot.get(), buffer, sizeof buffer, &n, nullptr));
  EXPECT_EQ(std::string(buffer, n), "world!");
  ASSERT_TRUE(GetMailslotInfo(slot.get(), nullptr, &next, &cnt, nullptr));
  EXPECT_EQ(next, MAILSLOT_NO_MESSAGE);
  EXPECT_EQ(cnt, 0u);
}

TEST_F(MailslotApi, MaxMessageSize) {
  std::string name = slot_name();
  handle_guard slot(CreateMailslotA(name.c_str(), 8, 0, nullptr));
  ASSERT_NE(slot.get(), INVALID_HANDLE_VALUE);
  writer_process big(name, {"123456789"});
  EXPECT_EQ(big.wait(), ERROR_INVALID_PARAMETER);
  EXPECT_EQ(count(slot.get()), 0u);  // nothing delivered
  writer_process fits(name, {"12345678"});
  EXPECT_EQ(fits.wait(), 0);
  DWORD max = 0, next = 0;
  ASSERT_TRUE(GetMailslotInfo(slot.get(), &max, &next, nullptr, nullptr));
  EXPECT_EQ(max, 8u);
  EXPECT_EQ(next, 8u);
}

TEST_F(MailslotApi, ReadTimeout) {
  std::string name = slot_name();
  handle_guard slot(CreateMailslotA(name.c_str(), 0, 0, nullptr));
  ASSERT_NE(slot.get(), INVALID_HANDLE_VALUE);
  char buffer[8];
  DWORD n = 7;
  EXPECT_FALSE(ReadFile(slot.get(), buffer, sizeof buffer, &n, nullptr));
  EXPECT_EQ(GetLastError(), ERROR_SEM_TIMEOUT);
  EXPECT_EQ(n, 0u);

  ASSERT_TRUE(SetMailslotInfo(slot.get(), 100));
  DWORD timeout = 0;
  ASSERT_TRUE(GetMailslotInfo(slot.get(), nullptr, nullptr, nullptr, &timeout));
  EXPECT_EQ(timeout, 100u);
  auto start = steady_clock::now();
  EXPECT_FALSE(ReadFile(slot.get(), buffer, sizeof buffer, &n, nullptr));
  EXPECT_EQ(GetLastError(), ERROR_SEM_TIMEOUT);
  auto waited = steady_clock::now() - start;
  EXPECT_GE(waited, milliseconds(90));
  EXPECT_LT(waited, milliseconds(10000));

  ASSERT_TRUE(SetMailslotInfo(slot.get(), 0xFFFFFFFE));
  ASSERT_TRUE(GetMailslotInfo(slot.get(), nullptr, nullptr, nullptr, &timeout));
  EXPECT_EQ(timeout, 0xFFFFFFFEu);

  // A read waiting for ever ends when a message comes.
  ASSERT_TRUE(SetMailslotInfo(slot.get(), MAILSLOT_WAIT_FOREVER));
  writer_process writer(name, {"@wait", "late"});
  EXPECT_EQ(writer.line(), "open");
  writer.go();
  ASSERT_TRUE(ReadFile(slot.get(), buffer, sizeof buffer, &n, nullptr));
  EXPECT_EQ(std::string(buffer, n), "late");
  EXPECT_EQ(writer.wait(), 0);
}

TEST_F(MailslotApi, OverlappedRead) {
  std::string name = slot_name();
  handle_guard slot(CreateMailslotA(name.c_str(), 0, MAILSLOT_WAIT_FOREVER, nullptr));
  ASSERT_NE(slot.get(), INVALID_HANDLE_VALUE);
  handle_guard event(CreateEventA(nullptr, TRUE, FALSE, nullptr));
  OVERLAPPED ov{};
  ov.hEvent = event.get();
  char buffer[16];
  DWORD n = 7;
  EXPECT_FALSE(ReadFile(slot.get(), buffer, sizeof buffer, &n, &ov));
  ASSERT_EQ(GetLastError(), ERROR_IO_PENDING);
  EXPECT_FALSE(GetOverlappedResult(slot.get(), &ov, &n, FALSE));
  EXPECT_EQ(GetLastError(), ERROR_IO_INCOMPLETE);
  EXPECT_EQ(WaitForSingleObject(event.get(), 0), WAIT_TIMEOUT);

  writer_process writer(name, {"@wait", "abc"});
  EXPECT_EQ(writer.line(), "open");
  writer.go();
  ASSERT_EQ(WaitForSingleObject(event.get(), 10000), WAIT_OBJECT_0);
  ASSERT_TRUE(GetOverlappedResult(slot.get(), &ov, &n, FALSE));
  EXPECT_EQ(std::string(buffer, n), "abc");
  EXPECT_EQ(writer.wait(), 0);

  // A message there already: done at once.
  handle_guard out(open_writer(name));
  ASSERT_TRUE(write(out.get(), "now"));
  ASSERT_TRUE(ReadFile(slot.get(), buffer, sizeof buffer, &n, &ov));
  EXPECT_EQ(std::string(buffer, n), "now");
  // Too small a buffer fails at once; the message stays.
  ASSERT_TRUE(write(out.get(), "longer message"));
  EXPECT_FALSE(ReadFile(slot.get(), buffer, 4, &n, &ov));
  EXPECT_EQ(GetLastError(), ERROR_INSUFFICIENT_BUFFER);
  EXPECT_EQ(count(slot.get()), 1u);
  ASSERT_TRUE(ReadFile(slot.get(), buffer, sizeof buffer, &n, &ov));
  EXPECT_EQ(std::string(buffer, n), "longer message");
}

TEST_F(MailslotApi, OverlappedReadWaitsUpToTheTimeout) {
  std::string name = slot_name();
  handle_guard slot(CreateMailslotA(name.c_str(), 0, 100, nullptr));
  ASSERT_NE(slot.get(), INVALID_HANDLE_VALUE);
  OVERLAPPED ov{};
  char buffer[8];
  DWORD n = 7;
  auto start = steady_clock::now();
  EXPECT_FALSE(ReadFile(slot.get(), buffer, sizeof buffer, &n, &ov));
  ASSERT_EQ(GetLastError(), ERROR_IO_PENDING);
  // No event: the slot's handle is what signals.
  EXPECT_EQ(WaitForSingleObject(slot.get(), 0), WAIT_TIMEOUT);
  EXPECT_FALSE(GetOverlappedResult(slot.get(), &ov, &n, TRUE));
  EXPECT_EQ(GetLastError(), ERROR_SEM_TIMEOUT);
  EXPECT_GE(steady_clock::now() - start, milliseconds(90));
  EXPECT_EQ(WaitForSingleObject(slot.get(), 0), WAIT_OBJECT_0);
}

TEST_F(MailslotApi, OverlappedReadSeesMessagesGetMailslotInfoCounted) {
  std::string name = slot_name();
  handle_guard slot(CreateMailslotA(name.c_str(), 0, MAILSLOT_WAIT_FOREVER, nullptr));
  ASSERT_NE(slot.get(), INVALID_HANDLE_VALUE);
  handle_guard out(open_writer(name));
  ASSERT_NE(out.get(), INVALID_HANDLE_VALUE);
  handle_guard event(CreateEventA(nullptr, TRUE, FALSE, nullptr));
  for (int i = 0; i < 50; ++i) {
    OVERLAPPED ov{};
    ov.hEvent = event.get();
    char buffer[16];
    DWORD n = 0;
    ASSERT_FALSE(ReadFile(slot.get(), buffer, sizeof buffer, &n, &ov));
    ASSERT_EQ(GetLastError(), ERROR_IO_PENDING);
    std::string m = "m" + std::to_string(i);
    ASSERT_TRUE(write(out.get(), m));
    // Counting may take the message off the socket before the engine sees
    // it: the read must still get it.
    DWORD c = 0;
    ASSERT_TRUE(GetMailslotInfo(slot.get(), nullptr, nullptr, &c, nullptr));
    ASSERT_EQ(WaitForSingleObject(event.get(), 10000), WAIT_OBJECT_0) << i;
    ASSERT_TRUE(GetOverlappedResult(slot.get(), &ov, &n, FALSE));
    EXPECT_EQ(std::string(buffer, n), m);
  }
}

TEST_F(MailslotApi, CancelAPendingRead) {
  std::string name = slot_name();
  handle_guard slot(CreateMailslotA(name.c_str(), 0, MAILSLOT_WAIT_FOREVER, nullptr));
  ASSERT_NE(slot.get(), INVALID_HANDLE_VALUE);
  handle_guard event(CreateEventA(nullptr, TRUE, FALSE, nullptr));
  OVERLAPPED ov{};
  ov.hEvent = event.get();
  char buffer[8];
  DWORD n = 7;
  ASSERT_FALSE(ReadFile(slot.get(), buffer, sizeof buffer, &n, &ov));
  ASSERT_EQ(GetLastError(), ERROR_IO_PENDING);
  ASSERT_TRUE(CancelIoEx(slot.get(), &ov));
  EXPECT_FALSE(GetOverlappedResult(slot.get(), &ov, &n, TRUE));
  EXPECT_EQ(GetLastError(), ERROR_OPERATION_ABORTED);
  // The slot goes on: a message written now is read next.
  handle_guard out(open_writer(name));
  ASSERT_TRUE(write(out.get(), "next"));
  ASSERT_TRUE(ReadFile(slot.get(), buffer, sizeof buffer, &n, &ov));
  EXPECT_EQ(std::string(buffer, n), "next");
}

// A blocking ReadFile (no OVERLAPPED) waits in its own thread, as the C++
// read does; CancelIoEx(handle, NULL) from another thread still ends it,
// and the slot's next read is not touched by that cancel.
TEST_F(MailslotApi, CancelIoExEndsABlockingReadInAnotherThread) {
  std::string name = slot_name();
  handle_guard slot(CreateMailslotA(name.c_str(), 0, MAILSLOT_WAIT_FOREVER, nullptr));
  ASSERT_NE(slot.get(), INVALID_HANDLE_VALUE);
  auto reader = std::async(std::launch::async, [&] {
    char buffer[8];
    DWORD n = 7;
    BOOL ok = ReadFile(slot.get(), buffer, sizeof buffer, &n, nullptr);
    return std::pair<BOOL, DWORD>(ok, ok ? n : GetLastError());
  });
  // Until the read waits there is nothing to cancel (ERROR_NOT_FOUND).
  auto deadline = steady_clock::now() + std::chrono::seconds(10);
  bool found = false;
  while (!found && steady_clock::now() < deadline) {
    found = CancelIoEx(slot.get(), nullptr);
    if (!found) {
      ASSERT_EQ(GetLastError(), ERROR_NOT_FOUND);
      std::this_thread::yield();
    }
  }
  ASSERT_TRUE(found) << "the blocking read never began";
  ASSERT_EQ(reader.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  auto [ok, error] = reader.get();
  EXPECT_FALSE(ok);
  EXPECT_EQ(error, DWORD{ERROR_OPERATION_ABORTED});
  expect_next_read_untouched(slot.get(), name);
}

// CancelSynchronousIo reaches the same read through its thread: the read
// ends with ERROR_OPERATION_ABORTED, and the slot goes on.
struct slot_read {
  HANDLE slot = nullptr;
  BOOL ok = FALSE;
  DWORD error = 0;
};

DWORD WINAPI read_slot(LPVOID argument) {
  auto* read = static_cast<slot_read*>(argument);
  char buffer[8];
  DWORD n = 7;
  read->ok = ReadFile(read->slot, buffer, sizeof buffer, &n, nullptr);
  read->error = read->ok ? 0 : GetLastError();
  return 0;
}

TEST_F(MailslotApi, CancelSynchronousIoEndsABlockingRead) {
  std::string name = slot_name();
  handle_guard slot(CreateMailslotA(name.c_str(), 0, MAILSLOT_WAIT_FOREVER, nullptr));
  ASSERT_NE(slot.get(), INVALID_HANDLE_VALUE);
  slot_read read{slot.get()};
  handle_guard thread(CreateThread(nullptr, 0, &read_slot, &read, 0, nullptr));
  ASSERT_NE(thread.get(), nullptr);
  // Until the read waits there is nothing to cancel (ERROR_NOT_FOUND).
  auto deadline = steady_clock::now() + std::chrono::seconds(10);
  bool found = false;
  while (!found && steady_clock::now() < deadline) {
    found = CancelSynchronousIo(thread.get());
    if (!found) {
      ASSERT_EQ(GetLastError(), ERROR_NOT_FOUND);
      std::this_thread::yield();
    }
  }
  ASSERT_TRUE(found) << "the blocking read never began";
  ASSERT_EQ(WaitForSingleObject(thread.get(), 10000), WAIT_OBJECT_0);
  EXPECT_FALSE(read.ok);
  EXPECT_EQ(read.error, DWORD{ERROR_OPERATION_ABORTED});
  expect_next_read_untouched(slot.get(), name);
}

// A signal the program sends for its own purposes (a handler without
// SA_RESTART) interrupts the read's wait, which goes on for what is left of
// the slot's read timeout: the read times out when it would have, neither
// ended early nor waiting anew.
TEST_F(MailslotApi, AnotherSignalLeavesAReadsTimeoutAlone) {
  struct sigaction action {};
  struct sigaction old {};
  action.sa_handler = [](int) {};
  sigemptyset(&action.sa_mask);
  ASSERT_EQ(::sigaction(SIGUSR2, &action, &old), 0);
  std::string name = slot_name();
  constexpr DWORD timeout_ms = 1000;
  handle_guard slot(CreateMailslotA(name.c_str(), 0, timeout_ms, nullptr));
  ASSERT_NE(slot.get(), INVALID_HANDLE_VALUE);
  slot_read read{slot.get()};
  std::atomic<pid_t> tid{0};
  auto start = steady_clock::now();
  std::thread reader([&] {
    tid = ::gettid();
    read_slot(&read);
  });
  while (tid == 0) std::this_thread::yield();
  // Signals spread over most of the timeout: a wait that began anew after
  // each would last until 1,800 ms at least.
  for (int i = 0; i < 8; ++i) {
    std::this_thread::sleep_for(milliseconds(100));
    ::syscall(SYS_tgkill, ::getpid(), tid.load(), SIGUSR2);
  }
  reader.join();
  auto waited = steady_clock::now() - start;
  EXPECT_FALSE(read.ok);
  EXPECT_EQ(read.error, DWORD{ERROR_SEM_TIMEOUT});
  EXPECT_GE(waited, milliseconds(timeout_ms));
  EXPECT_LT(waited, milliseconds(1700));
  ::sigaction(SIGUSR2, &old, nullptr);
}

// Waits (bounded) until Linux thread `tid` of this process is in system
// call `number`: how a test knows a read waits before it acts.
bool wait_until_in_call(pid_t tid, long number) {
  auto deadline = steady_clock::now() + std::chrono::seconds(10);
  std::string path = "/proc/self/task/" + std::to_string(tid) + "/syscall";
  while (steady_clock::now() < deadline) {
    std::ifstream in(path);
    long current = -1;
    if (in >> current && current == number) return true;
    std::this_thread::yield();
  }
  return false;
}

// A ReadFile on a slot with a finite read timeout (the usual CreateMailslot)
// waits in the socket's recvmsg: a message from another process ends it at
// once, and CancelSynchronousIo, CancelIoEx and the slot's close still end
// such a wait, each with ERROR_OPERATION_ABORTED.
TEST_F(MailslotApi, BlockingReadWithAFiniteTimeoutWakesAndEnds) {
  std::string name = slot_name();
  handle_guard slot(CreateMailslotA(name.c_str(), 0, 60000, nullptr));
  ASSERT_NE(slot.get(), INVALID_HANDLE_VALUE);
  std::atomic<pid_t> tid{0};
  slot_read read{slot.get()};
  struct noted_read {
    std::atomic<pid_t>* tid;
    slot_read* read;
  } args{&tid, &read};
  auto start_read = [&] {
    tid = 0;
    read = slot_read{slot.get()};
    return CreateThread(
        nullptr, 0,
        [](LPVOID argument) -> DWORD {
          auto* self = static_cast<noted_read*>(argument);
          self->tid->store(static_cast<pid_t>(::gettid()));
          return read_slot(self->read);
        },
        &args, 0, nullptr);
  };
  // A message from another process.
  {
    writer_process writer(name, {"@wait", "wake"});
    EXPECT_EQ(writer.line(), "open");
    handle_guard thread(start_read());
    while (tid == 0) std::this_thread::yield();
    ASSERT_TRUE(wait_until_in_call(tid, SYS_recvmsg));
    writer.go();
    ASSERT_EQ(WaitForSingleObject(thread.get(), 10000), WAIT_OBJECT_0);
    EXPECT_TRUE(read.ok) << read.error;
    EXPECT_EQ(writer.wait(), 0);
  }
  // CancelSynchronousIo.
  {
    handle_guard thread(start_read());
    while (tid == 0) std::this_thread::yield();
    ASSERT_TRUE(wait_until_in_call(tid, SYS_recvmsg));
    ASSERT_TRUE(CancelSynchronousIo(thread.get())) << GetLastError();
    ASSERT_EQ(WaitForSingleObject(thread.get(), 10000), WAIT_OBJECT_0);
    EXPECT_FALSE(read.ok);
    EXPECT_EQ(read.error, DWORD{ERROR_OPERATION_ABORTED});
    expect_next_read_untouched(slot.get(), name);
  }
  // CancelIoEx(handle, NULL) from another thread.
  {
    handle_guard thread(start_read());
    while (tid == 0) std::this_thread::yield();
    ASSERT_TRUE(wait_until_in_call(tid, SYS_recvmsg));
    ASSERT_TRUE(CancelIoEx(slot.get(), nullptr)) << GetLastError();
    ASSERT_EQ(WaitForSingleObject(thread.get(), 10000), WAIT_OBJECT_0);
    EXPECT_FALSE(read.ok);
    EXPECT_EQ(read.error, DWORD{ERROR_OPERATION_ABORTED});
    expect_next_read_untouched(slot.get(), name);
  }
  // The slot's last handle closing.
  {
    handle_guard thread(start_read());
    while (tid == 0) std::this_thread::yield();
    ASSERT_TRUE(wait_until_in_call(tid, SYS_recvmsg));
    ASSERT_TRUE(CloseHandle(slot.release()));
    ASSERT_EQ(WaitForSingleObject(thread.get(), 10000), WAIT_OBJECT_0);
    EXPECT_FALSE(read.ok);
    EXPECT_EQ(read.error, DWORD{ERROR_OPERATION_ABORTED});
  }
}

// SetMailslotInfo applies to reads that start after it: a ReadFile already
// waiting keeps its timeout (here: waits on past the new, shorter one, and
// gets the next message), and the next ReadFile takes the new one.
TEST_F(MailslotApi, SetMailslotInfoWhileAReadWaits) {
  std::string name = slot_name();
  handle_guard slot(CreateMailslotA(name.c_str(), 0, 60000, nullptr));
  ASSERT_NE(slot.get(), INVALID_HANDLE_VALUE);
  std::atomic<pid_t> tid{0};
  slot_read read{slot.get()};
  std::thread reader([&] {
    tid = ::gettid();
    read_slot(&read);
  });
  while (tid == 0) std::this_thread::yield();
  ASSERT_TRUE(wait_until_in_call(tid, SYS_recvmsg));
  ASSERT_TRUE(SetMailslotInfo(slot.get(), 20));
  // Well past the new timeout, the read still waits: a read of this thread
  // with the new one times out meanwhile.
  char buffer[8];
  DWORD n = 7;
  auto start = steady_clock::now();
  EXPECT_FALSE(ReadFile(slot.get(), buffer, sizeof buffer, &n, nullptr));
  EXPECT_EQ(GetLastError(), ERROR_SEM_TIMEOUT);
  EXPECT_GE(steady_clock::now() - start, milliseconds(20));
  EXPECT_TRUE(wait_until_in_call(tid, SYS_recvmsg));
  handle_guard out(open_writer(name));
  ASSERT_TRUE(write(out.get(), "kept"));
  reader.join();
  EXPECT_TRUE(read.ok) << read.error;
  ASSERT_TRUE(SetMailslotInfo(slot.get(), 0));
  start = steady_clock::now();
  EXPECT_FALSE(ReadFile(slot.get(), buffer, sizeof buffer, &n, nullptr));
  EXPECT_EQ(GetLastError(), ERROR_SEM_TIMEOUT);
  EXPECT_LT(steady_clock::now() - start, std::chrono::seconds(5));
}

DWORD routine_error = 12345;
DWORD routine_bytes = 12345;
void WINAPI read_done(DWORD error, DWORD bytes, LPOVERLAPPED) {
  routine_error = error;
  routine_bytes = bytes;
}

TEST_F(MailslotApi, ReadFileExAndCompletionPort) {
  std::string name = slot_name();
  handle_guard slot(CreateMailslotA(name.c_str(), 0, MAILSLOT_WAIT_FOREVER, nullptr));
  ASSERT_NE(slot.get(), INVALID_HANDLE_VALUE);
  handle_guard out(open_writer(name));
  ASSERT_NE(out.get(), INVALID_HANDLE_VALUE);
  char buffer[16];
  OVERLAPPED ov{};
  ASSERT_TRUE(ReadFileEx(slot.get(), buffer, sizeof buffer, &ov, &read_done));
  ASSERT_TRUE(write(out.get(), "routine"));
  ASSERT_EQ(SleepEx(10000, TRUE), DWORD{WAIT_IO_COMPLETION});
  EXPECT_EQ(routine_error, 0u);
  ASSERT_EQ(routine_bytes, 7u);
  EXPECT_EQ(std::string(buffer, 7), "routine");

  handle_guard port(CreateIoCompletionPort(slot.get(), nullptr, 42, 0));
  ASSERT_NE(port.get(), nullptr);
  DWORD n = 0;
  ASSERT_FALSE(ReadFile(slot.get(), buffer, sizeof buffer, &n, &ov));
  ASSERT_EQ(GetLastError(), ERROR_IO_PENDING);
  ASSERT_TRUE(write(out.get(), "port"));
  ULONG_PTR key = 0;
  LPOVERLAPPED done = nullptr;
  ASSERT_TRUE(GetQueuedCompletionStatus(port.get(), &n, &key, &done, 10000));
  EXPECT_EQ(key, 42u);
  EXPECT_EQ(done, &ov);
  ASSERT_EQ(n, 4u);
  EXPECT_EQ(std::string(buffer, n), "port");
}

double cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// A writer that shuts its own socket down (no conduit writer does; another
// program might) ends its own sends and nothing else: a pending read still
// waits for its timeout, without spinning.
TEST_F(MailslotApi, PendingReadAfterAWriterShutsItsSocketDown) {
  std::string name = slot_name();
  handle_guard slot(CreateMailslotA(name.c_str(), 0, 300, nullptr));
  ASSERT_NE(slot.get(), INVALID_HANDLE_VALUE);
  auto rogue = conduit::mailslot_client::open(name);
  OVERLAPPED ov{};
  char buffer[8];
  DWORD n = 0;
  ASSERT_FALSE(ReadFile(slot.get(), buffer, sizeof buffer, &n, &ov));
  ASSERT_EQ(GetLastError(), ERROR_IO_PENDING);
  double cpu_before = cpu_seconds();
  ASSERT_EQ(::shutdown(rogue.impl()->socket(), SHUT_WR), 0);
  EXPECT_FALSE(GetOverlappedResult(slot.get(), &ov, &n, TRUE));
  EXPECT_EQ(GetLastError(), ERROR_SEM_TIMEOUT);
  EXPECT_LT(cpu_seconds() - cpu_before, 0.15);
}

// CloseHandle on the slot while another thread's ReadFile (no OVERLAPPED,
// waiting forever) is starting or waiting: the read ends with
// ERROR_OPERATION_ABORTED, however the two interleave, and never hangs. The
// close comes 0-150 µs after the reading thread is about to call ReadFile,
// so it lands before, during and after the read's start. Only a close that
// wins the race to the handle table outright leaves ReadFile an invalid
// handle (ERROR_INVALID_HANDLE), as on Windows.
TEST_F(MailslotApi, CloseHandleRacingABlockingReadAbortsIt) {
  constexpr int tries = 5000;
  std::string name = slot_name();
  int aborted = 0, invalid = 0;
  for (int i = 0; i < tries; ++i) {
    HANDLE slot = CreateMailslotA(name.c_str(), 0, MAILSLOT_WAIT_FOREVER, nullptr);
    ASSERT_NE(slot, INVALID_HANDLE_VALUE) << "try " << i;
    struct outcome {
      std::atomic<bool> starting{false};
      BOOL ok = TRUE;
      DWORD error = 0;
      char buffer[16];
    };
    auto result = std::make_shared<outcome>();
    std::promise<void> done;
    auto finished = done.get_future();
    std::thread reader([slot, result, done = std::move(done)]() mutable {
      DWORD n = 0;
      result->starting.store(true);
      result->ok = ReadFile(slot, result->buffer, sizeof result->buffer, &n, nullptr);
      result->error = GetLastError();
      done.set_value();
    });
    while (!result->starting.load()) std::this_thread::yield();
    auto delay = std::chrono::microseconds(i % 151);
    for (auto until = steady_clock::now() + delay; steady_clock::now() < until;) {
    }
    ASSERT_TRUE(CloseHandle(slot));
    if (finished.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
      reader.detach();  // it holds only what it shares with `result`
      FAIL() << "ReadFile still blocked 10 s after CloseHandle, try " << i << ", delay "
             << delay.count() << " us";
    }
    reader.join();
    ASSERT_FALSE(result->ok) << "try " << i;
    if (result->error == ERROR_INVALID_HANDLE) {
      ++invalid;
      continue;
    }
    ASSERT_EQ(result->error, static_cast<DWORD>(ERROR_OPERATION_ABORTED))
        << "try " << i << ", delay " << delay.count() << " us";
    ++aborted;
  }
  // The handle table is reached well within the first microseconds: nearly
  // every try is a real race with a started read.
  EXPECT_GT(aborted, tries * 9 / 10) << invalid << " found the handle closed";
}

TEST_F(MailslotApi, ClosingTheSlot) {
  std::string name = slot_name();
  handle_guard slot(CreateMailslotA(name.c_str(), 0, MAILSLOT_WAIT_FOREVER, nullptr));
  ASSERT_NE(slot.get(), INVALID_HANDLE_VALUE);
  handle_guard event(CreateEventA(nullptr, TRUE, FALSE, nullptr));
  OVERLAPPED ov{};
  ov.hEvent = event.get();
  char buffer[8];
  DWORD n = 0;
  ASSERT_FALSE(ReadFile(slot.get(), buffer, sizeof buffer, &n, &ov));
  ASSERT_EQ(GetLastError(), ERROR_IO_PENDING);

  writer_process writer(name, {"before", "@wait", "after"});
  EXPECT_EQ(writer.line(), "open");
  EXPECT_EQ(writer.line(), "ok");
  ASSERT_EQ(WaitForSingleObject(event.get(), 10000), WAIT_OBJECT_0);
  ASSERT_TRUE(GetOverlappedResult(slot.get(), &ov, &n, FALSE));
  EXPECT_EQ(std::string(buffer, n), "before");
  // The last handle to the slot closes: its pending read ends, the name is
  // free, writers that had it open get ERROR_HANDLE_EOF.
  ASSERT_FALSE(ReadFile(slot.get(), buffer, sizeof buffer, &n, &ov));
  ASSERT_EQ(GetLastError(), ERROR_IO_PENDING);
  slot.reset();
  ASSERT_EQ(WaitForSingleObject(event.get(), 10000), WAIT_OBJECT_0);
  EXPECT_EQ(static_cast<DWORD>(ov.Internal), static_cast<DWORD>(STATUS_CANCELLED));
  writer.go();
  EXPECT_EQ(writer.wait(), ERROR_HANDLE_EOF);
  EXPECT_EQ(open_writer(name), INVALID_HANDLE_VALUE);
  EXPECT_EQ(GetLastError(), ERROR_FILE_NOT_FOUND);
  handle_guard again(CreateMailslotA(name.c_str(), 0, 0, nullptr));
  EXPECT_NE(again.get(), INVALID_HANDLE_VALUE);
}

}  // namespace
}  // namespace conduit::test
