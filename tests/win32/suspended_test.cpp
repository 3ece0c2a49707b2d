// CREATE_SUSPENDED: a thread (CreateThread) or a child (CreateProcess) does
// not run until ResumeThread, and ResumeThread and SuspendThread return the
// suspend count as Windows (Wine 8) does. Each check that something has not
// run looks at where it stands (the thread blocked at its gate, the child
// still the gate program), never at the clock.
#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <windows.h>

#include <atomic>
#include <climits>
#include <cstdint>
#include <string>

#include "win32/win32_test_support.hpp"

namespace conduit::test {
namespace {

constexpr const char* child_path = CONDUIT_WIN32_CHILD;
constexpr DWORD bounded = 10000;  // every wait, in ms
constexpr DWORD failed = static_cast<DWORD>(-1);

std::atomic<bool> routine_ran{false};

DWORD WINAPI note_run(LPVOID) {
  routine_ran = true;
  return 7;
}

TEST(Suspended, ThreadRunsOnlyAfterResume) {
  routine_ran = false;
  DWORD id = 0;
  handle_guard thread(CreateThread(nullptr, 0, note_run, nullptr, CREATE_SUSPENDED, &id));
  ASSERT_NE(thread.get(), nullptr) << GetLastError();
  EXPECT_NE(id, 0u);
  // Blocked at its gate, before the routine.
  ASSERT_TRUE(wait_until_blocked(id, SYS_futex));
  EXPECT_FALSE(routine_ran);
  EXPECT_FALSE(signalled(thread));
  EXPECT_EQ(SuspendThread(thread), 1u);
  EXPECT_EQ(ResumeThread(thread), 2u);
  EXPECT_FALSE(routine_ran);
  EXPECT_EQ(ResumeThread(thread), 1u);
  EXPECT_TRUE(wait_for(thread, bounded));
  EXPECT_TRUE(routine_ran);
  DWORD code = 0;
  EXPECT_TRUE(GetExitCodeThread(thread, &code));
  EXPECT_EQ(code, 7u);
  EXPECT_EQ(ResumeThread(thread), 0u);  // nothing left to resume
}

TEST(Suspended, ResumeAndSuspendErrors) {
  handle_guard event(CreateEventA(nullptr, TRUE, FALSE, nullptr));
  auto bogus = reinterpret_cast<HANDLE>(std::uintptr_t{0x1234});
  SetLastError(0);
  EXPECT_EQ(ResumeThread(bogus), failed);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_HANDLE));
  SetLastError(0);
  EXPECT_EQ(ResumeThread(event), failed);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_HANDLE));
  SetLastError(0);
  EXPECT_EQ(SuspendThread(event), failed);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_HANDLE));
  // A running thread cannot be stopped where it stands on Linux.
  EXPECT_EQ(ResumeThread(GetCurrentThread()), 0u);
  SetLastError(0);
  EXPECT_EQ(SuspendThread(GetCurrentThread()), failed);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_NOT_SUPPORTED));
}

// A suspended child of the test program, its standard output a pipe here.
struct suspended_child {
  PROCESS_INFORMATION info{};
  handle_guard output;

  bool start(const std::string& arguments, const char* program = child_path) {
    SECURITY_ATTRIBUTES inherit{sizeof(inherit), nullptr, TRUE};
    HANDLE read = nullptr;
    HANDLE write = nullptr;
    if (!CreatePipe(&read, &write, &inherit, 0)) return false;
    output = handle_guard(read);
    handle_guard child_out(write);
    std::string line = "\"" + std::string(program) + "\" " + arguments;
    STARTUPINFOA startup{};
    startup.cb = sizeof(startup);
    startup.dwFlags = STARTF_USESTDHANDLES;
    startup.hStdInput = GetStdHandle(STD_INPUT_HANDLE);
    startup.hStdOutput = write;
    startup.hStdError = GetStdHandle(STD_ERROR_HANDLE);
    return CreateProcessA(nullptr, line.data(), nullptr, nullptr, FALSE, CREATE_SUSPENDED, nullptr,
                          nullptr, &startup, &info);
  }
  // The program the child's pid runs now.
  [[nodiscard]] std::string image() const { return process_image(info.dwProcessId); }
  DWORD exit_code() const { return exit_code_of(info.hProcess); }
  void close() {
    CloseHandle(info.hThread);
    CloseHandle(info.hProcess);
  }
};

std::string read_all(HANDLE h) {
  std::string out;
  char buffer[4096];
  DWORD n = 0;
  while (ReadFile(h, buffer, sizeof(buffer), &n, nullptr) && n > 0) out.append(buffer, n);
  return out;
}

bool ends_with(const std::string& text, const std::string& tail) {
  return text.size() >= tail.size() &&
         text.compare(text.size() - tail.size(), tail.size(), tail) == 0;
}

void CALLBACK no_apc(ULONG_PTR) {}

TEST(Suspended, AThreadHandleDoesOnlyWhatItsRightsAllow) {
  // A duplicate with SYNCHRONIZE alone may wait, and nothing more: not
  // resume, suspend, cancel the thread's I/O or queue it an APC.
  routine_ran = false;
  handle_guard thread(CreateThread(nullptr, 0, note_run, nullptr, CREATE_SUSPENDED, nullptr));
  ASSERT_NE(thread.get(), nullptr) << GetLastError();
  HANDLE weak_handle = nullptr;
  ASSERT_TRUE(DuplicateHandle(GetCurrentProcess(), thread, GetCurrentProcess(), &weak_handle,
                              SYNCHRONIZE, FALSE, 0))
      << GetLastError();
  handle_guard weak(weak_handle);
  EXPECT_EQ(ResumeThread(weak), failed);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_ACCESS_DENIED));
  EXPECT_EQ(SuspendThread(weak), failed);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_ACCESS_DENIED));
  EXPECT_FALSE(CancelSynchronousIo(weak));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_ACCESS_DENIED));
  EXPECT_EQ(QueueUserAPC(no_apc, weak, 0), 0u);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_ACCESS_DENIED));
  EXPECT_FALSE(routine_ran.load());  // still held back
  // The handle CreateThread gave has every right; so has GetCurrentThread().
  EXPECT_FALSE(CancelSynchronousIo(thread));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_NOT_FOUND));  // nothing to cancel
  EXPECT_FALSE(CancelSynchronousIo(GetCurrentThread()));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_NOT_FOUND));
  EXPECT_EQ(ResumeThread(thread), 1u);
  EXPECT_EQ(WaitForSingleObject(weak, bounded), WAIT_OBJECT_0);
  EXPECT_TRUE(routine_ran.load());
}

TEST(Suspended, ChildRunsOnlyAfterResume) {
  suspended_child child;
  ASSERT_TRUE(child.start("cmdline")) << GetLastError();
  // Still the gate, not the program, and the pid is already the child's.
  EXPECT_TRUE(ends_with(child.image(), "/conduit-gate")) << child.image();
  EXPECT_FALSE(signalled(child.info.hProcess));
  EXPECT_EQ(SuspendThread(child.info.hThread), 1u);
  EXPECT_EQ(ResumeThread(child.info.hThread), 2u);
  EXPECT_TRUE(ends_with(child.image(), "/conduit-gate")) << child.image();
  EXPECT_EQ(ResumeThread(child.info.hThread), 1u);
  std::string line = read_all(child.output);
  EXPECT_EQ(line, "\"" + std::string(child_path) + "\" cmdline");
  EXPECT_EQ(child.exit_code(), 0u);
  EXPECT_EQ(ResumeThread(child.info.hThread), 0u);
  child.close();
}

TEST(Suspended, TerminatedWhileSuspended) {
  suspended_child child;
  ASSERT_TRUE(child.start("cmdline")) << GetLastError();
  EXPECT_TRUE(TerminateProcess(child.info.hProcess, 9)) << GetLastError();
  EXPECT_EQ(child.exit_code(), 9u);
  EXPECT_EQ(read_all(child.output), "");
  child.close();
}

TEST(Suspended, NeverResumedNeverRuns) {
  suspended_child child;
  ASSERT_TRUE(child.start("cmdline")) << GetLastError();
  handle_guard watcher(
      OpenProcess(SYNCHRONIZE | PROCESS_QUERY_INFORMATION, FALSE, child.info.dwProcessId));
  ASSERT_NE(watcher.get(), nullptr) << GetLastError();
  child.close();  // every handle that could resume it
  EXPECT_TRUE(wait_for(watcher, bounded));
  DWORD code = 0;
  EXPECT_TRUE(GetExitCodeProcess(watcher, &code));
  EXPECT_EQ(code, 1u);
  EXPECT_EQ(read_all(child.output), "");
}

TEST(Suspended, MissingProgramFailsAtOnce) {
  suspended_child child;
  EXPECT_FALSE(child.start("", "/nonexistent/conduit-no-such-program"));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_FILE_NOT_FOUND));
  EXPECT_FALSE(child.start("", "conduit-no-such-program-in-path"));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_FILE_NOT_FOUND));
}

}  // namespace
}  // namespace conduit::test
