// Anonymous pipes and child processes through the Win32 API: CreatePipe,
// the ten steps of redirecting a child's stdin and stdout, inherited handles
// used by number, exit codes, TerminateProcess, OpenProcess, command lines.
// Expected values are what Windows (and Wine) give.
#include <gtest/gtest.h>
#include <unistd.h>

#include <windows.h>

#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace {

constexpr const char* child_path = CONDUIT_WIN32_CHILD;
constexpr DWORD bounded = 10000;  // every wait, in ms

class handle_guard {
 public:
  handle_guard() = default;
  explicit handle_guard(HANDLE h) : h_(h) {}
  handle_guard(const handle_guard&) = delete;
  handle_guard& operator=(const handle_guard&) = delete;
  ~handle_guard() { reset(); }
  [[nodiscard]] HANDLE get() const { return h_; }
  operator HANDLE() const { return h_; }
  HANDLE* out() {
    reset();
    return &h_;
  }
  void reset() {
    if (h_ && h_ != INVALID_HANDLE_VALUE) {
      EXPECT_TRUE(CloseHandle(h_)) << GetLastError();
    }
    h_ = nullptr;
  }

 private:
  HANDLE h_ = nullptr;
};

struct child_process {
  handle_guard process;
  handle_guard thread;
  DWORD pid = 0;
};

std::string quoted(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}

// CreateProcessA on the test child; `arguments` follow its quoted path.
bool start(child_process& child, const std::string& arguments, BOOL inherit,
           STARTUPINFOA* startup = nullptr, LPVOID environment = nullptr,
           const char* directory = nullptr) {
  std::string line = quoted(child_path) + " " + arguments;
  STARTUPINFOA plain{};
  plain.cb = sizeof(plain);
  PROCESS_INFORMATION info{};
  if (!CreateProcessA(nullptr, line.data(), nullptr, nullptr, inherit, 0, environment, directory,
                      startup ? startup : &plain, &info))
    return false;
  *child.process.out() = info.hProcess;
  *child.thread.out() = info.hThread;
  child.pid = info.dwProcessId;
  return true;
}

std::string read_to_end(HANDLE h) {
  std::string out;
  char buffer[4096];
  for (;;) {
    DWORD n = 0;
    if (!ReadFile(h, buffer, sizeof(buffer), &n, nullptr)) {
      EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_BROKEN_PIPE));
      return out;
    }
    out.append(buffer, n);
  }
}

DWORD exit_code_of(HANDLE process) {
  EXPECT_EQ(WaitForSingleObject(process, bounded), WAIT_OBJECT_0);
  DWORD code = 12345;
  EXPECT_TRUE(GetExitCodeProcess(process, &code)) << GetLastError();
  return code;
}

// Runs a command line with standard output to a pipe and returns what it
// wrote.
std::string output_of_line(const std::string& line, LPVOID environment = nullptr,
                           const char* directory = nullptr) {
  SECURITY_ATTRIBUTES inheritable{sizeof(inheritable), nullptr, TRUE};
  handle_guard read_end, write_end;
  EXPECT_TRUE(CreatePipe(read_end.out(), write_end.out(), &inheritable, 0));
  EXPECT_TRUE(SetHandleInformation(read_end, HANDLE_FLAG_INHERIT, 0));
  STARTUPINFOA startup{};
  startup.cb = sizeof(startup);
  startup.dwFlags = STARTF_USESTDHANDLES;
  startup.hStdOutput = write_end;
  startup.hStdError = write_end;
  PROCESS_INFORMATION info{};
  std::string copy = line;
  EXPECT_TRUE(CreateProcessA(nullptr, copy.data(), nullptr, nullptr, TRUE, 0, environment,
                             directory, &startup, &info))
      << GetLastError();
  handle_guard process(info.hProcess), thread(info.hThread);
  write_end.reset();
  std::string out = read_to_end(read_end);
  EXPECT_EQ(exit_code_of(process), 0u);
  return out;
}

// The same for the test child with `arguments`.
std::string output_of(const std::string& arguments, LPVOID environment = nullptr,
                      const char* directory = nullptr) {
  return output_of_line(quoted(child_path) + " " + arguments, environment, directory);
}

namespace {
DWORD routine_error = 99, routine_bytes = 99;
void CALLBACK read_done(DWORD error, DWORD bytes, LPOVERLAPPED) {
  routine_error = error;
  routine_bytes = bytes;
}
}  // namespace

// What Wine gives: ReadFileEx on a synchronous pipe end completes at once
// and queues its routine; the handle is signalled; it is no process.
TEST(Win32Process, AnonymousEndsAsOtherCallsSeeThem) {
  handle_guard r, w;
  ASSERT_TRUE(CreatePipe(r.out(), w.out(), nullptr, 0));
  DWORD n = 0;
  ASSERT_TRUE(WriteFile(w, "abc", 3, &n, nullptr));
  char buffer[8];
  OVERLAPPED ov{};
  ASSERT_TRUE(ReadFileEx(r, buffer, sizeof(buffer), &ov, read_done)) << GetLastError();
  EXPECT_EQ(ov.Internal, 0u);
  EXPECT_EQ(SleepEx(0, TRUE), static_cast<DWORD>(WAIT_IO_COMPLETION));
  EXPECT_EQ(routine_error, 0u);
  EXPECT_EQ(routine_bytes, 3u);
  EXPECT_EQ(WaitForSingleObject(r, 0), WAIT_OBJECT_0);
  DWORD code = 0;
  EXPECT_FALSE(GetExitCodeProcess(r, &code));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_HANDLE));
  EXPECT_FALSE(TerminateProcess(w, 1));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_HANDLE));
}

TEST(Win32Process, CreatePipeReportsAsWindows) {
  SECURITY_ATTRIBUTES inheritable{sizeof(inheritable), nullptr, TRUE};
  for (DWORD size : {0u, 5000u}) {
    handle_guard r, w;
    ASSERT_TRUE(CreatePipe(r.out(), w.out(), &inheritable, size)) << GetLastError();
    DWORD flags = 9, out = 9, in = 9, max = 9;
    ASSERT_TRUE(GetNamedPipeInfo(r, &flags, &out, &in, &max)) << GetLastError();
    EXPECT_EQ(flags, static_cast<DWORD>(PIPE_SERVER_END | PIPE_TYPE_BYTE));
    DWORD expected = size ? size : 4096;
    EXPECT_EQ(out, expected);
    EXPECT_EQ(in, expected);
    EXPECT_EQ(max, 1u);
    ASSERT_TRUE(GetNamedPipeInfo(w, &flags, &out, &in, &max)) << GetLastError();
    EXPECT_EQ(flags, static_cast<DWORD>(PIPE_CLIENT_END | PIPE_TYPE_BYTE));
    DWORD handle_flags = 0;
    ASSERT_TRUE(GetHandleInformation(r, &handle_flags));
    EXPECT_EQ(handle_flags, static_cast<DWORD>(HANDLE_FLAG_INHERIT));

    DWORD n = 0;
    ASSERT_TRUE(WriteFile(w, "abc", 3, &n, nullptr)) << GetLastError();
    char buffer[8] = {};
    DWORD got = 9, available = 9, left = 9;
    ASSERT_TRUE(PeekNamedPipe(r, buffer, 2, &got, &available, &left)) << GetLastError();
    EXPECT_EQ(got, 2u);
    EXPECT_EQ(available, 3u);
    EXPECT_EQ(left, static_cast<DWORD>(-2));  // as Windows gives it (documented: 0)
    EXPECT_EQ(std::string(buffer, 2), "ab");
    EXPECT_FALSE(PeekNamedPipe(w, buffer, 2, &got, &available, &left));
    EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_ACCESS_DENIED));
    EXPECT_FALSE(ReadFile(w, buffer, 2, &got, nullptr));
    EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_ACCESS_DENIED));

    // An OVERLAPPED on a synchronous handle: the call completes at once and
    // the OVERLAPPED is told so.
    OVERLAPPED ov{};
    handle_guard event(CreateEventA(nullptr, TRUE, FALSE, nullptr));
    ov.hEvent = event;
    ASSERT_TRUE(ReadFile(r, buffer, sizeof(buffer), &got, &ov)) << GetLastError();
    EXPECT_EQ(got, 3u);
    EXPECT_EQ(WaitForSingleObject(event, 0), WAIT_OBJECT_0);
    EXPECT_EQ(ov.Internal, 0u);
    EXPECT_EQ(ov.InternalHigh, 3u);

    w.reset();
    EXPECT_FALSE(PeekNamedPipe(r, nullptr, 0, nullptr, &available, nullptr));
    EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_BROKEN_PIPE));
    EXPECT_FALSE(ReadFile(r, buffer, sizeof(buffer), &got, nullptr));
    EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_BROKEN_PIPE));
  }
  handle_guard r, w;
  ASSERT_TRUE(CreatePipe(r.out(), w.out(), nullptr, 0));
  DWORD handle_flags = 9;
  ASSERT_TRUE(GetHandleInformation(w, &handle_flags));
  EXPECT_EQ(handle_flags, 0u);
  r.reset();
  DWORD n = 0;
  EXPECT_FALSE(WriteFile(w, "x", 1, &n, nullptr));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_NO_DATA));
}

// Seed 001's ten steps, with the child either the Win32 test child or a
// plain Linux program.
void redirect_child(const std::string& program_line) {
  SECURITY_ATTRIBUTES inheritable{sizeof(inheritable), nullptr, TRUE};
  // 1-2: a pipe for the child's stdout, inheritable; the parent's read end
  // becomes a non-inheritable duplicate and the original is closed.
  handle_guard out_read_inheritable, out_write, out_read;
  ASSERT_TRUE(CreatePipe(out_read_inheritable.out(), out_write.out(), &inheritable, 0));
  ASSERT_TRUE(DuplicateHandle(GetCurrentProcess(), out_read_inheritable, GetCurrentProcess(),
                              out_read.out(), 0, FALSE, DUPLICATE_SAME_ACCESS))
      << GetLastError();
  out_read_inheritable.reset();
  // 3-4: the same for stdin, keeping a non-inheritable write end.
  handle_guard in_read, in_write_inheritable, in_write;
  ASSERT_TRUE(CreatePipe(in_read.out(), in_write_inheritable.out(), &inheritable, 0));
  ASSERT_TRUE(DuplicateHandle(GetCurrentProcess(), in_write_inheritable, GetCurrentProcess(),
                              in_write.out(), 0, FALSE, DUPLICATE_SAME_ACCESS));
  in_write_inheritable.reset();
  DWORD flags = 9;
  ASSERT_TRUE(GetHandleInformation(in_write, &flags));
  EXPECT_EQ(flags, 0u);
  // 5: the child, its stdin and stdout the pipes.
  STARTUPINFOA startup{};
  startup.cb = sizeof(startup);
  startup.dwFlags = STARTF_USESTDHANDLES;
  startup.hStdInput = in_read;
  startup.hStdOutput = out_write;
  startup.hStdError = GetStdHandle(STD_ERROR_HANDLE);
  PROCESS_INFORMATION info{};
  std::string line = program_line;
  ASSERT_TRUE(CreateProcessA(nullptr, line.data(), nullptr, nullptr, TRUE, 0, nullptr, nullptr,
                             &startup, &info))
      << GetLastError();
  handle_guard process(info.hProcess), thread(info.hThread);
  EXPECT_EQ(info.dwProcessId, info.dwThreadId);
  // 6: the parent closes the child's ends, so EOF can come.
  out_write.reset();
  in_read.reset();
  // 7-8: write the child's input, then close it.
  std::string text = "banana\napple\ncherry\n";
  DWORD n = 0;
  ASSERT_TRUE(WriteFile(in_write, text.data(), static_cast<DWORD>(text.size()), &n, nullptr));
  EXPECT_EQ(n, text.size());
  in_write.reset();
  // 9-10: read its output to the end.
  std::string output = read_to_end(out_read);
  if (program_line.find("sort") != std::string::npos)
    EXPECT_EQ(output, "apple\nbanana\ncherry\n");
  else
    EXPECT_EQ(output, text);
  EXPECT_EQ(exit_code_of(process), 0u);
  EXPECT_EQ(WaitForSingleObject(thread, 0), WAIT_OBJECT_0);
}

TEST(Win32Process, TenStepsWithWin32Child) {
  redirect_child(quoted(child_path) + " cat");
}

TEST(Win32Process, TenStepsWithLinuxPrograms) {
  redirect_child("cat");
  redirect_child("sort");
}

// Seed 001's steps exactly as written: the child's handles go through
// SetStdHandle, saved and restored with non-inheritable duplicates.
TEST(Win32Process, TenStepsThroughSetStdHandle) {
  SECURITY_ATTRIBUTES inheritable{sizeof(inheritable), nullptr, TRUE};
  HANDLE self = GetCurrentProcess();
  // 1: the pipes, both ends inheritable.
  handle_guard out_read_inheritable, out_write, in_read, in_write_inheritable;
  ASSERT_TRUE(CreatePipe(out_read_inheritable.out(), out_write.out(), &inheritable, 0));
  ASSERT_TRUE(CreatePipe(in_read.out(), in_write_inheritable.out(), &inheritable, 0));
  // 2-4: save stdout, keep a non-inheritable read end, redirect stdout.
  HANDLE saved_stdout = nullptr;
  ASSERT_TRUE(DuplicateHandle(self, GetStdHandle(STD_OUTPUT_HANDLE), self, &saved_stdout, 0, FALSE,
                              DUPLICATE_SAME_ACCESS));
  handle_guard out_read;
  ASSERT_TRUE(DuplicateHandle(self, out_read_inheritable, self, out_read.out(), 0, FALSE,
                              DUPLICATE_SAME_ACCESS));
  out_read_inheritable.reset();
  ASSERT_TRUE(SetStdHandle(STD_OUTPUT_HANDLE, out_write));
  // 5-7: the same for stdin.
  HANDLE saved_stdin = nullptr;
  ASSERT_TRUE(DuplicateHandle(self, GetStdHandle(STD_INPUT_HANDLE), self, &saved_stdin, 0, FALSE,
                              DUPLICATE_SAME_ACCESS));
  handle_guard in_write;
  ASSERT_TRUE(DuplicateHandle(self, in_write_inheritable, self, in_write.out(), 0, FALSE,
                              DUPLICATE_SAME_ACCESS));
  in_write_inheritable.reset();
  ASSERT_TRUE(SetStdHandle(STD_INPUT_HANDLE, in_read));
  // 9: the child, inheriting open handles.
  child_process child;
  bool started = start(child, "cat", TRUE);
  DWORD error = GetLastError();
  // 10: restore.
  ASSERT_TRUE(SetStdHandle(STD_OUTPUT_HANDLE, saved_stdout));
  ASSERT_TRUE(SetStdHandle(STD_INPUT_HANDLE, saved_stdin));
  ASSERT_TRUE(started) << error;
  // The parent closes the child's ends, writes, and reads to EOF.
  out_write.reset();
  in_read.reset();
  DWORD n = 0;
  ASSERT_TRUE(WriteFile(in_write, "seed one\n", 9, &n, nullptr));
  in_write.reset();
  EXPECT_EQ(read_to_end(out_read), "seed one\n");
  EXPECT_EQ(exit_code_of(child.process), 0u);
}

// Threads starting children at once: no child gets another's pipe ends,
// so each child sees EOF on its input and each reader EOF on its output as
// soon as that child has exited. Every step is bounded: a leaked end shows
// as a wait timing out or a pipe that is not broken.
TEST(Win32Process, ConcurrentLaunchesLeakNothing) {
  auto run = [] {
    for (int i = 0; i < 10; ++i) {
      handle_guard in_read, in_write, out_read, out_write;
      ASSERT_TRUE(CreatePipe(in_read.out(), in_write.out(), nullptr, 0));
      ASSERT_TRUE(CreatePipe(out_read.out(), out_write.out(), nullptr, 0));
      STARTUPINFOA startup{};
      startup.cb = sizeof(startup);
      startup.dwFlags = STARTF_USESTDHANDLES;
      startup.hStdInput = in_read;
      startup.hStdOutput = out_write;
      PROCESS_INFORMATION info{};
      char line[] = "cat";
      ASSERT_TRUE(CreateProcessA(nullptr, line, nullptr, nullptr, FALSE, 0, nullptr, nullptr,
                                 &startup, &info))
          << GetLastError();
      handle_guard process(info.hProcess), thread(info.hThread);
      in_read.reset();
      out_write.reset();
      DWORD n = 0;
      ASSERT_TRUE(WriteFile(in_write, "data", 4, &n, nullptr));
      in_write.reset();
      ASSERT_EQ(WaitForSingleObject(process, bounded), WAIT_OBJECT_0);
      DWORD available = 0;
      ASSERT_TRUE(PeekNamedPipe(out_read, nullptr, 0, nullptr, &available, nullptr));
      EXPECT_EQ(available, 4u);
      char buffer[8];
      ASSERT_TRUE(ReadFile(out_read, buffer, available, &n, nullptr));
      EXPECT_FALSE(PeekNamedPipe(out_read, nullptr, 0, nullptr, &available, nullptr));
      EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_BROKEN_PIPE));
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) threads.emplace_back(run);
  for (auto& t : threads) t.join();
}

// A child that inherited a stray write end keeps the reader from seeing
// EOF until it exits.
TEST(Win32Process, StrayInheritedWriteEndDelaysEof) {
  SECURITY_ATTRIBUTES inheritable{sizeof(inheritable), nullptr, TRUE};
  handle_guard out_read, out_write, in_read, in_write;
  ASSERT_TRUE(CreatePipe(out_read.out(), out_write.out(), &inheritable, 0));
  ASSERT_TRUE(CreatePipe(in_read.out(), in_write.out(), &inheritable, 0));
  ASSERT_TRUE(SetHandleInformation(in_write, HANDLE_FLAG_INHERIT, 0));
  // Nothing is redirected: the child gets out_write only by inheritance.
  STARTUPINFOA startup{};
  startup.cb = sizeof(startup);
  startup.dwFlags = STARTF_USESTDHANDLES;
  startup.hStdInput = in_read;
  startup.hStdOutput = GetStdHandle(STD_OUTPUT_HANDLE);
  startup.hStdError = GetStdHandle(STD_ERROR_HANDLE);
  child_process child;
  ASSERT_TRUE(start(child, "drain", TRUE, &startup)) << GetLastError();
  in_read.reset();
  out_write.reset();
  // The parent's write end is closed, but the child's copy is open: no EOF.
  DWORD available = 9;
  ASSERT_TRUE(PeekNamedPipe(out_read, nullptr, 0, nullptr, &available, nullptr)) << GetLastError();
  EXPECT_EQ(available, 0u);
  EXPECT_EQ(WaitForSingleObject(child.process, 50), static_cast<DWORD>(WAIT_TIMEOUT));
  ASSERT_TRUE(PeekNamedPipe(out_read, nullptr, 0, nullptr, &available, nullptr));
  // Once it exits, its copy is gone and the reader sees the end.
  in_write.reset();
  EXPECT_EQ(exit_code_of(child.process), 0u);
  char buffer[8];
  DWORD n = 0;
  EXPECT_FALSE(ReadFile(out_read, buffer, sizeof(buffer), &n, nullptr));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_BROKEN_PIPE));
}

TEST(Win32Process, InheritedHandleUsedByNumber) {
  SECURITY_ATTRIBUTES inheritable{sizeof(inheritable), nullptr, TRUE};
  handle_guard read_end, write_end;
  ASSERT_TRUE(CreatePipe(read_end.out(), write_end.out(), &inheritable, 0));
  ASSERT_TRUE(SetHandleInformation(read_end, HANDLE_FLAG_INHERIT, 0));
  auto value = std::to_string(reinterpret_cast<std::uintptr_t>(write_end.get()));
  child_process child;
  ASSERT_TRUE(start(child, "write-handle " + value + " hello", TRUE)) << GetLastError();
  write_end.reset();
  EXPECT_EQ(read_to_end(read_end), "hello");
  EXPECT_EQ(exit_code_of(child.process), 0u);

  // bInheritHandles FALSE: the number means nothing in the child.
  handle_guard read2, write2;
  ASSERT_TRUE(CreatePipe(read2.out(), write2.out(), &inheritable, 0));
  value = std::to_string(reinterpret_cast<std::uintptr_t>(write2.get()));
  child_process other;
  ASSERT_TRUE(start(other, "write-handle " + value + " hello", FALSE)) << GetLastError();
  EXPECT_EQ(exit_code_of(other.process), static_cast<DWORD>(ERROR_INVALID_HANDLE));
  write2.reset();
  EXPECT_EQ(read_to_end(read2), "");
}

TEST(Win32Process, InheritedDuplicatesStayOneObject) {
  SECURITY_ATTRIBUTES inheritable{sizeof(inheritable), nullptr, TRUE};
  handle_guard read_end, write_end, copy;
  ASSERT_TRUE(CreatePipe(read_end.out(), write_end.out(), &inheritable, 0));
  ASSERT_TRUE(SetHandleInformation(read_end, HANDLE_FLAG_INHERIT, 0));
  ASSERT_TRUE(DuplicateHandle(GetCurrentProcess(), write_end, GetCurrentProcess(), copy.out(), 0,
                              TRUE, DUPLICATE_SAME_ACCESS));
  auto number = [](HANDLE h) { return std::to_string(reinterpret_cast<std::uintptr_t>(h)); };
  child_process child;
  ASSERT_TRUE(start(child, "two-handles " + number(write_end) + " " + number(copy) + " both", TRUE))
      << GetLastError();
  write_end.reset();
  copy.reset();
  EXPECT_EQ(read_to_end(read_end), "both");
  EXPECT_EQ(exit_code_of(child.process), 0u);
}

TEST(Win32Process, InheritedEventSharedWithChild) {
  SECURITY_ATTRIBUTES inheritable{sizeof(inheritable), nullptr, TRUE};
  handle_guard event(CreateEventA(&inheritable, TRUE, FALSE, nullptr));
  ASSERT_NE(event.get(), nullptr);
  auto value = std::to_string(reinterpret_cast<std::uintptr_t>(event.get()));
  child_process child;
  ASSERT_TRUE(start(child, "set-event " + value, TRUE)) << GetLastError();
  EXPECT_EQ(exit_code_of(child.process), 0u);
  EXPECT_EQ(WaitForSingleObject(event, 0), WAIT_OBJECT_0);  // set by the child
}

TEST(Win32Process, ExitCodes) {
  for (DWORD code : {0u, 1u, 42u, 255u}) {
    child_process child;
    ASSERT_TRUE(start(child, "exit " + std::to_string(code), FALSE)) << GetLastError();
    EXPECT_EQ(exit_code_of(child.process), code);
    EXPECT_EQ(WaitForSingleObject(child.thread, bounded), WAIT_OBJECT_0);
  }
  DWORD code = 0;
  ASSERT_TRUE(GetExitCodeProcess(GetCurrentProcess(), &code));
  EXPECT_EQ(code, static_cast<DWORD>(STILL_ACTIVE));
}

TEST(Win32Process, TerminateProcess) {
  SECURITY_ATTRIBUTES inheritable{sizeof(inheritable), nullptr, TRUE};
  handle_guard in_read, in_write;
  ASSERT_TRUE(CreatePipe(in_read.out(), in_write.out(), &inheritable, 0));
  ASSERT_TRUE(SetHandleInformation(in_write, HANDLE_FLAG_INHERIT, 0));
  STARTUPINFOA startup{};
  startup.cb = sizeof(startup);
  startup.dwFlags = STARTF_USESTDHANDLES;
  startup.hStdInput = in_read;
  child_process child;
  ASSERT_TRUE(start(child, "drain", TRUE, &startup)) << GetLastError();
  in_read.reset();
  DWORD code = 0;
  ASSERT_TRUE(GetExitCodeProcess(child.process, &code));
  EXPECT_EQ(code, static_cast<DWORD>(STILL_ACTIVE));
  EXPECT_EQ(WaitForSingleObject(child.process, 0), static_cast<DWORD>(WAIT_TIMEOUT));
  ASSERT_TRUE(TerminateProcess(child.process, 7)) << GetLastError();
  EXPECT_EQ(exit_code_of(child.process), 7u);
  EXPECT_FALSE(TerminateProcess(child.process, 8));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_ACCESS_DENIED));
  EXPECT_EQ(exit_code_of(child.process), 7u);
}

TEST(Win32Process, OpenProcess) {
  SECURITY_ATTRIBUTES inheritable{sizeof(inheritable), nullptr, TRUE};
  handle_guard in_read, in_write;
  ASSERT_TRUE(CreatePipe(in_read.out(), in_write.out(), &inheritable, 0));
  ASSERT_TRUE(SetHandleInformation(in_write, HANDLE_FLAG_INHERIT, 0));
  STARTUPINFOA startup{};
  startup.cb = sizeof(startup);
  startup.dwFlags = STARTF_USESTDHANDLES;
  startup.hStdInput = in_read;
  child_process child;
  ASSERT_TRUE(start(child, "drain", TRUE, &startup)) << GetLastError();
  in_read.reset();

  handle_guard opened(OpenProcess(SYNCHRONIZE | PROCESS_QUERY_INFORMATION, FALSE, child.pid));
  ASSERT_NE(opened.get(), nullptr) << GetLastError();
  handle_guard sync_only(OpenProcess(SYNCHRONIZE, FALSE, child.pid));
  ASSERT_NE(sync_only.get(), nullptr) << GetLastError();
  EXPECT_EQ(WaitForSingleObject(opened, 0), static_cast<DWORD>(WAIT_TIMEOUT));
  DWORD code = 0;
  EXPECT_FALSE(GetExitCodeProcess(sync_only, &code));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_ACCESS_DENIED));
  EXPECT_FALSE(TerminateProcess(opened, 1));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_ACCESS_DENIED));
  in_write.reset();  // the child reads EOF and exits
  EXPECT_EQ(WaitForSingleObject(sync_only, bounded), WAIT_OBJECT_0);
  EXPECT_EQ(exit_code_of(opened), 0u);

  // Processes that do not exist: invalid parameters, as on Windows.
  SetLastError(0);
  EXPECT_EQ(OpenProcess(PROCESS_QUERY_INFORMATION, FALSE, 0), nullptr);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_PARAMETER));
  EXPECT_EQ(OpenProcess(PROCESS_QUERY_INFORMATION, FALSE, 0x3ffffff0), nullptr);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_PARAMETER));

  // Another process that is not our child: waitable, running.
  handle_guard self(
      OpenProcess(PROCESS_QUERY_INFORMATION | SYNCHRONIZE, FALSE, GetCurrentProcessId()));
  ASSERT_NE(self.get(), nullptr) << GetLastError();
  EXPECT_EQ(WaitForSingleObject(self, 0), static_cast<DWORD>(WAIT_TIMEOUT));
  ASSERT_TRUE(GetExitCodeProcess(self, &code));
  EXPECT_EQ(code, static_cast<DWORD>(STILL_ACTIVE));
}

TEST(Win32Process, ProcessIdsAndSessions) {
  child_process child;
  ASSERT_TRUE(start(child, "exit 0", FALSE)) << GetLastError();
  EXPECT_EQ(GetProcessId(child.process), child.pid);
  EXPECT_EQ(GetProcessId(GetCurrentProcess()), GetCurrentProcessId());
  handle_guard sync_only(OpenProcess(SYNCHRONIZE, FALSE, child.pid));
  ASSERT_NE(sync_only.get(), nullptr) << GetLastError();
  SetLastError(0);
  EXPECT_EQ(GetProcessId(sync_only), 0u);  // the query right is needed
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_ACCESS_DENIED));
  SetLastError(0);
  EXPECT_EQ(GetProcessId(nullptr), 0u);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_HANDLE));
  EXPECT_EQ(exit_code_of(child.process), 0u);
  EXPECT_EQ(GetProcessId(child.process), child.pid);  // still known after its exit

  // The session a pipe server reports for its client is this one.
  DWORD session = 0xdeadbeef;
  ASSERT_TRUE(ProcessIdToSessionId(GetCurrentProcessId(), &session)) << GetLastError();
  EXPECT_EQ(session, static_cast<DWORD>(::getsid(0)));
  SetLastError(0);
  EXPECT_FALSE(ProcessIdToSessionId(0x3ffffff0, &session));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_PARAMETER));
  EXPECT_FALSE(ProcessIdToSessionId(GetCurrentProcessId(), nullptr));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_PARAMETER));
}

TEST(Win32Process, CreateProcessFailures) {
  STARTUPINFOA startup{};
  startup.cb = sizeof(startup);
  PROCESS_INFORMATION info{};
  char missing[] = "no_such_program_conduit_xyz a b";
  EXPECT_FALSE(CreateProcessA(nullptr, missing, nullptr, nullptr, FALSE, 0, nullptr, nullptr,
                              &startup, &info));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_FILE_NOT_FOUND));
  char line[] = "x";
  EXPECT_FALSE(CreateProcessA("/no/such/dir/program", line, nullptr, nullptr, FALSE, 0, nullptr,
                              nullptr, &startup, &info));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_FILE_NOT_FOUND));
  // A handle of another kind as a standard handle is refused.
  handle_guard event(CreateEventA(nullptr, TRUE, FALSE, nullptr));
  startup.dwFlags = STARTF_USESTDHANDLES;
  startup.hStdOutput = event;
  char cat[] = "cat";
  EXPECT_FALSE(
      CreateProcessA(nullptr, cat, nullptr, nullptr, TRUE, 0, nullptr, nullptr, &startup, &info));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_NOT_SUPPORTED));
}

TEST(Win32Process, CommandLinePassedExactly) {
  SECURITY_ATTRIBUTES inheritable{sizeof(inheritable), nullptr, TRUE};
  for (std::string arguments :
       {std::string("cmdline"), std::string("cmdline  a\\\\b \"c d\" e\\\"f"),
        std::string("cmdline \"\" trailing   ")}) {
    EXPECT_EQ(output_of(arguments), quoted(child_path) + " " + arguments);
  }
  // lpApplicationName names the program; the line is passed as given.
  handle_guard read_end, write_end;
  ASSERT_TRUE(CreatePipe(read_end.out(), write_end.out(), &inheritable, 0));
  ASSERT_TRUE(SetHandleInformation(read_end, HANDLE_FLAG_INHERIT, 0));
  STARTUPINFOA startup{};
  startup.cb = sizeof(startup);
  startup.dwFlags = STARTF_USESTDHANDLES;
  startup.hStdOutput = write_end;
  PROCESS_INFORMATION info{};
  char line[] = "anything.exe cmdline x";
  ASSERT_TRUE(CreateProcessA(child_path, line, nullptr, nullptr, TRUE, 0, nullptr, nullptr,
                             &startup, &info))
      << GetLastError();
  handle_guard process(info.hProcess), thread(info.hThread);
  write_end.reset();
  EXPECT_EQ(read_to_end(read_end), "anything.exe cmdline x");
  EXPECT_EQ(exit_code_of(process), 0u);
  // A program the child runs some other way does not take its line.
  EXPECT_EQ(output_of_line("sh -c \"exec '" + std::string(child_path) + "' cmdline   x\""),
            std::string(child_path) + " cmdline x");
  // This process was not started by CreateProcess: its arguments, joined.
  std::string own = GetCommandLineA();
  EXPECT_FALSE(own.empty());
  EXPECT_NE(own.find("process_test"), std::string::npos);
}

TEST(Win32Process, CommandLineWide) {
  SECURITY_ATTRIBUTES inheritable{sizeof(inheritable), nullptr, TRUE};
  handle_guard read_end, write_end;
  ASSERT_TRUE(CreatePipe(read_end.out(), write_end.out(), &inheritable, 0));
  ASSERT_TRUE(SetHandleInformation(read_end, HANDLE_FLAG_INHERIT, 0));
  STARTUPINFOW startup{};
  startup.cb = sizeof(startup);
  startup.dwFlags = STARTF_USESTDHANDLES;
  startup.hStdOutput = write_end;
  std::string narrow = quoted(child_path) + " cmdline \xc3\xa9t\xc3\xa9";
  std::u16string wide;
  for (char c : quoted(child_path) + " cmdline ") wide.push_back(static_cast<char16_t>(c));
  wide += u"\u00e9t\u00e9";
  PROCESS_INFORMATION info{};
  ASSERT_TRUE(CreateProcessW(nullptr, reinterpret_cast<LPWSTR>(wide.data()), nullptr, nullptr, TRUE,
                             0, nullptr, nullptr, &startup, &info))
      << GetLastError();
  handle_guard process(info.hProcess), thread(info.hThread);
  write_end.reset();
  EXPECT_EQ(read_to_end(read_end), narrow);
  EXPECT_EQ(exit_code_of(process), 0u);
}

TEST(Win32Process, UnicodeEnvironmentBlock) {
  SECURITY_ATTRIBUTES inheritable{sizeof(inheritable), nullptr, TRUE};
  handle_guard read_end, write_end;
  ASSERT_TRUE(CreatePipe(read_end.out(), write_end.out(), &inheritable, 0));
  ASSERT_TRUE(SetHandleInformation(read_end, HANDLE_FLAG_INHERIT, 0));
  STARTUPINFOW startup{};
  startup.cb = sizeof(startup);
  startup.dwFlags = STARTF_USESTDHANDLES;
  startup.hStdOutput = write_end;
  std::u16string line;
  for (char c : quoted(child_path) + " env WIDE") line.push_back(static_cast<char16_t>(c));
  std::u16string block = u"WIDE=caf\u00e9";
  block.push_back(u'\0');
  block += u"X=1";
  block.push_back(u'\0');
  block.push_back(u'\0');
  std::u16string directory = u"/";
  PROCESS_INFORMATION info{};
  ASSERT_TRUE(CreateProcessW(nullptr, reinterpret_cast<LPWSTR>(line.data()), nullptr, nullptr, TRUE,
                             CREATE_UNICODE_ENVIRONMENT, block.data(),
                             reinterpret_cast<LPCWSTR>(directory.c_str()), &startup, &info))
      << GetLastError();
  handle_guard process(info.hProcess), thread(info.hThread);
  write_end.reset();
  EXPECT_EQ(read_to_end(read_end), "caf\xc3\xa9");
  EXPECT_EQ(exit_code_of(process), 0u);
}

TEST(Win32Process, EnvironmentAndDirectory) {
  char block[] = "CONDUIT_TEST_VALUE=forty two\0OTHER=1\0";
  EXPECT_EQ(output_of("env CONDUIT_TEST_VALUE", block), "forty two");
  EXPECT_EQ(output_of("env PATH", block), "(unset)");
  EXPECT_EQ(output_of("env CONDUIT_INHERITED_HANDLES"), "(unset)");  // read, then removed
  EXPECT_EQ(output_of("cwd", nullptr, "/"), "/");
}

TEST(Win32Process, StandardHandles) {
  HANDLE out = GetStdHandle(STD_OUTPUT_HANDLE);
  ASSERT_NE(out, nullptr);
  ASSERT_NE(out, INVALID_HANDLE_VALUE);
  EXPECT_EQ(GetStdHandle(STD_OUTPUT_HANDLE), out);
  EXPECT_EQ(GetStdHandle(12345), INVALID_HANDLE_VALUE);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_HANDLE));

  // The classic older pattern: SetStdHandle to a pipe, start a child that
  // shares this process's standard handles, restore.
  SECURITY_ATTRIBUTES inheritable{sizeof(inheritable), nullptr, TRUE};
  handle_guard read_end, write_end;
  ASSERT_TRUE(CreatePipe(read_end.out(), write_end.out(), &inheritable, 0));
  ASSERT_TRUE(SetHandleInformation(read_end, HANDLE_FLAG_INHERIT, 0));
  ASSERT_TRUE(SetStdHandle(STD_OUTPUT_HANDLE, write_end));
  EXPECT_EQ(GetStdHandle(STD_OUTPUT_HANDLE), write_end.get());
  child_process child;
  bool started = start(child, "env CONDUIT_TEST_UNSET_VARIABLE", TRUE);
  ASSERT_TRUE(SetStdHandle(STD_OUTPUT_HANDLE, out));
  ASSERT_TRUE(started) << GetLastError();
  write_end.reset();
  EXPECT_EQ(read_to_end(read_end), "(unset)");
  EXPECT_EQ(exit_code_of(child.process), 0u);
}

}  // namespace
