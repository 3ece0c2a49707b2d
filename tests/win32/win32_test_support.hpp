// What the Win32 API tests share: handles closed at scope exit, OVERLAPPED
// blocks with their events, and small checks.
#pragma once

#include <gtest/gtest.h>

#include <unistd.h>
#include <windows.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

namespace conduit::test {

/// Closes a handle when it goes out of scope.
class handle_guard {
 public:
  handle_guard() = default;
  explicit handle_guard(HANDLE h) : h_(h) {}
  handle_guard(handle_guard&& other) noexcept : h_(std::exchange(other.h_, nullptr)) {}
  handle_guard& operator=(handle_guard&& other) noexcept {
    if (this != &other) {
      reset();
      h_ = std::exchange(other.h_, nullptr);
    }
    return *this;
  }
  ~handle_guard() { reset(); }
  [[nodiscard]] HANDLE get() const { return h_; }
  operator HANDLE() const { return h_; }
  /// Closes now (CloseHandle's result checked).
  void reset() {
    if (h_ && h_ != INVALID_HANDLE_VALUE) {
      EXPECT_TRUE(CloseHandle(h_)) << GetLastError();
    }
    h_ = nullptr;
  }
  HANDLE release() { return std::exchange(h_, nullptr); }

 private:
  HANDLE h_ = nullptr;
};

/// An OVERLAPPED with a manual-reset event of its own.
struct overlapped_block {
  OVERLAPPED ov{};
  handle_guard event;
  explicit overlapped_block(bool with_event = true) {
    if (with_event) {
      event = handle_guard(CreateEventA(nullptr, TRUE, FALSE, nullptr));
      ov.hEvent = event.get();
    }
  }
  [[nodiscard]] NTSTATUS status() const {
    return static_cast<NTSTATUS>(static_cast<DWORD>(ov.Internal));
  }
};

/// Whether a handle is signalled now.
inline bool signalled(HANDLE h) {
  return WaitForSingleObject(h, 0) == WAIT_OBJECT_0;
}

/// Waits (bounded) for a handle; true if it was signalled.
inline bool wait_for(HANDLE h, DWORD ms = 10000) {
  return WaitForSingleObject(h, ms) == WAIT_OBJECT_0;
}

/// Whether thread `tid` of this process is inside system call `number`
/// now (SYS_poll, SYS_recvfrom, ...): how a test knows, without sleeping,
/// that another thread has got to where it blocks.
inline bool blocked_in(DWORD tid, long number) {
  std::ifstream in("/proc/self/task/" + std::to_string(tid) + "/syscall");
  long current = -1;
  in >> current;
  return current == number;
}

/// Waits (bounded) until thread `tid` blocks in system call `number`.
inline bool wait_until_blocked(DWORD tid, long number) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!blocked_in(tid, number)) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

/// A synchronous call made on a thread of its own (CreateThread, so that it
/// has a handle for CancelSynchronousIo): its result and last error.
class call_on_thread {
 public:
  explicit call_on_thread(std::function<BOOL()> call) : call_(std::move(call)) {
    thread_ = handle_guard(CreateThread(nullptr, 0, &call_on_thread::run, this, 0, nullptr));
  }
  ~call_on_thread() { WaitForSingleObject(thread_, 10000); }
  call_on_thread(const call_on_thread&) = delete;
  call_on_thread& operator=(const call_on_thread&) = delete;

  [[nodiscard]] HANDLE thread() const { return thread_.get(); }
  /// The thread's Linux id, once it runs (0 before).
  [[nodiscard]] DWORD tid() const { return tid_.load(); }
  /// Waits (bounded) until the call blocks in system call `number`.
  bool blocked_in(long number) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (tid_ == 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
    return tid_ != 0 && wait_until_blocked(tid_, number);
  }
  /// Waits (bounded) for the call to return: its last error, 0 if it
  /// succeeded, or a sentinel if it did not return.
  DWORD error() {
    if (WaitForSingleObject(thread_, 10000) != WAIT_OBJECT_0) return 0xDEADBEEF;
    return result_ ? 0 : error_;
  }

 private:
  static DWORD WINAPI run(LPVOID self) {
    auto* me = static_cast<call_on_thread*>(self);
    me->tid_ = GetCurrentThreadId();
    me->result_ = me->call_();
    me->error_ = GetLastError();
    return 0;
  }
  std::function<BOOL()> call_;
  handle_guard thread_;
  std::atomic<DWORD> tid_{0};
  BOOL result_ = FALSE;
  DWORD error_ = 0;
};

/// The program process `pid` runs ("" once it is gone). Right after
/// CreateProcess the child may still be inside its exec: the kernel lets
/// posix_spawn's caller go on before it switches the child to the new
/// program, so for a moment the child shows the caller's own image. That
/// moment is waited out (bounded).
inline std::string process_image(DWORD pid) {
  auto read_image = [](const std::string& link) {
    char target[4096] = {};
    ssize_t n = ::readlink(link.c_str(), target, sizeof(target) - 1);
    return n > 0 ? std::string(target, static_cast<std::size_t>(n)) : std::string();
  };
  std::string own = read_image("/proc/self/exe");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    std::string image = read_image("/proc/" + std::to_string(pid) + "/exe");
    if (image != own || std::chrono::steady_clock::now() > deadline) return image;
    std::this_thread::yield();
  }
}

/// Waits (bounded) for `process` to end; its exit code (STILL_ACTIVE if
/// it did not).
inline DWORD exit_code_of(HANDLE process) {
  EXPECT_TRUE(wait_for(process));
  DWORD code = STILL_ACTIVE;
  EXPECT_TRUE(GetExitCodeProcess(process, &code)) << GetLastError();
  return code;
}

/// Pipes for a child's standard input and output: `input` and `output` are
/// this process's ends (not inheritable, so the child sees its input end
/// once `input` is closed), `child_in` and `child_out` the child's, to close
/// once it has started.
inline bool child_stdio_pipes(handle_guard& input, handle_guard& output, handle_guard& child_in,
                              handle_guard& child_out) {
  SECURITY_ATTRIBUTES inherit{sizeof(inherit), nullptr, TRUE};
  HANDLE read = nullptr;
  HANDLE write = nullptr;
  if (!CreatePipe(&read, &write, &inherit, 0)) return false;
  child_in = handle_guard(read);
  input = handle_guard(write);
  if (!CreatePipe(&read, &write, &inherit, 0)) return false;
  output = handle_guard(read);
  child_out = handle_guard(write);
  return SetHandleInformation(input, HANDLE_FLAG_INHERIT, 0) &&
         SetHandleInformation(output, HANDLE_FLAG_INHERIT, 0);
}

/// A child process whose standard input and output are pipes the test
/// holds (`input` writes to its stdin, `output` reads its stdout).
struct stdio_child {
  handle_guard process;
  handle_guard thread;
  handle_guard input;
  handle_guard output;
  DWORD pid = 0;
};

/// Starts `command_line` as `child` (CreateProcessA with its standard error
/// ours); false with the last error set if it cannot.
inline bool start_stdio_child(stdio_child& child, const std::string& command_line,
                              BOOL inherit_handles = FALSE, DWORD creation_flags = 0) {
  handle_guard child_in;
  handle_guard child_out;
  if (!child_stdio_pipes(child.input, child.output, child_in, child_out)) return false;
  std::string line = command_line;
  STARTUPINFOA startup{};
  startup.cb = sizeof(startup);
  startup.dwFlags = STARTF_USESTDHANDLES;
  startup.hStdInput = child_in;
  startup.hStdOutput = child_out;
  startup.hStdError = GetStdHandle(STD_ERROR_HANDLE);
  PROCESS_INFORMATION info{};
  if (!CreateProcessA(nullptr, line.data(), nullptr, nullptr, inherit_handles, creation_flags,
                      nullptr, nullptr, &startup, &info))
    return false;
  child.process = handle_guard(info.hProcess);
  child.thread = handle_guard(info.hThread);
  child.pid = info.dwProcessId;
  return true;
}

/// A server instance made with CreateNamedPipeA.
inline HANDLE make_server(const std::string& name, DWORD open_mode, DWORD pipe_mode,
                          DWORD max_instances = PIPE_UNLIMITED_INSTANCES, DWORD buffer = 0) {
  return CreateNamedPipeA(name.c_str(), open_mode, pipe_mode, max_instances, buffer, buffer, 0,
                          nullptr);
}

/// A client end opened with CreateFileA.
inline HANDLE open_client(const std::string& name, DWORD flags = 0,
                          DWORD access = GENERIC_READ | GENERIC_WRITE) {
  return CreateFileA(name.c_str(), access, 0, nullptr, OPEN_EXISTING, flags, nullptr);
}

/// A duplex server instance of pipe `name` (`pipe_mode`) and a client end
/// connected to it; fails the test if either cannot be had.
inline void connect_pipe(const std::string& name, DWORD pipe_mode, handle_guard& server,
                         HANDLE& client) {
  server = handle_guard(make_server(name, PIPE_ACCESS_DUPLEX, pipe_mode));
  ASSERT_NE(server.get(), INVALID_HANDLE_VALUE) << GetLastError();
  client = open_client(name);
  ASSERT_NE(client, INVALID_HANDLE_VALUE) << GetLastError();
}

/// Writes `text` whole (synchronous handles, or overlapped ones given no OVERLAPPED).
inline DWORD write_text(HANDLE h, std::string_view text) {
  DWORD n = 0;
  EXPECT_TRUE(WriteFile(h, text.data(), static_cast<DWORD>(text.size()), &n, nullptr))
      << GetLastError();
  return n;
}

/// Reads once into a 4 KiB buffer and returns the text.
inline std::string read_text(HANDLE h) {
  char buffer[4096];
  DWORD n = 0;
  EXPECT_TRUE(ReadFile(h, buffer, sizeof(buffer), &n, nullptr)) << GetLastError();
  return std::string(buffer, n);
}

/// A test with a fresh folder under /tmp (dir_), removed with what is in it.
class temp_folder_test : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/conduit-files-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { (void)!std::system(("rm -rf " + dir_).c_str()); }
  [[nodiscard]] std::string path(const std::string& leaf) const { return dir_ + "/" + leaf; }
  /// A whole file's contents.
  static std::string contents(const std::string& p) {
    std::ifstream in(p);
    std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return all;
  }
  std::string dir_;
};

}  // namespace conduit::test
