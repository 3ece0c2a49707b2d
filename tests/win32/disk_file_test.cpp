// CreateFile on paths, ReadFile/WriteFile (synchronous, overlapped with
// offsets, completion ports), the file pointer and size, share modes,
// DeleteFile, GetFileType, and a child whose standard handles are files.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <windows.h>

#include <fstream>
#include <sstream>
#include <string>

#include "win32/win32_test_support.hpp"

namespace conduit::test {
namespace {

// A fresh folder for each test, removed after.
class DiskFile : public temp_folder_test {
 protected:
  // The same path written the Windows way: C:\tmp\conduit-files-x\leaf.
  [[nodiscard]] std::string windows_path(const std::string& leaf) const {
    std::string p = "C:" + path(leaf);
    for (char& c : p)
      if (c == '/') c = '\\';
    return p;
  }
};

TEST_F(DiskFile, DispositionsAndTheirErrors) {
  std::string name = windows_path("a.txt");
  EXPECT_EQ(CreateFileA(name.c_str(), GENERIC_READ, 0, nullptr, OPEN_EXISTING, 0, nullptr),
            INVALID_HANDLE_VALUE);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_FILE_NOT_FOUND));
  std::string missing_folder = windows_path("none\\a.txt");
  EXPECT_EQ(CreateFileA(missing_folder.c_str(), GENERIC_WRITE, 0, nullptr, CREATE_NEW, 0, nullptr),
            INVALID_HANDLE_VALUE);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_PATH_NOT_FOUND));
  EXPECT_EQ(CreateFileA(name.c_str(), GENERIC_WRITE, 0, nullptr, TRUNCATE_EXISTING, 0, nullptr),
            INVALID_HANDLE_VALUE);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_FILE_NOT_FOUND));
  {
    SetLastError(77);
    handle_guard f(CreateFileA(name.c_str(), GENERIC_WRITE, 0, nullptr, CREATE_NEW,
                               FILE_ATTRIBUTE_NORMAL, nullptr));
    ASSERT_NE(f.get(), INVALID_HANDLE_VALUE) << GetLastError();
    EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_SUCCESS));
    DWORD n = 0;
    ASSERT_TRUE(WriteFile(f, "hello world", 11, &n, nullptr));
    EXPECT_EQ(n, 11u);
  }
  EXPECT_EQ(contents(path("a.txt")), "hello world");
  EXPECT_EQ(CreateFileA(name.c_str(), GENERIC_WRITE, 0, nullptr, CREATE_NEW, 0, nullptr),
            INVALID_HANDLE_VALUE);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_FILE_EXISTS));
  {
    handle_guard f(
        CreateFileA(name.c_str(), GENERIC_READ, FILE_SHARE_READ, nullptr, OPEN_ALWAYS, 0, nullptr));
    ASSERT_NE(f.get(), INVALID_HANDLE_VALUE);
    EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_ALREADY_EXISTS));
    EXPECT_EQ(GetFileSize(f, nullptr), 11u);
  }
  {
    handle_guard f(CreateFileA(name.c_str(), GENERIC_WRITE, 0, nullptr, CREATE_ALWAYS, 0, nullptr));
    ASSERT_NE(f.get(), INVALID_HANDLE_VALUE);
    EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_ALREADY_EXISTS));
    EXPECT_EQ(GetFileSize(f, nullptr), 0u);  // emptied
  }
  {
    std::string fresh = windows_path("b.txt");
    handle_guard f(CreateFileA(fresh.c_str(), GENERIC_WRITE, 0, nullptr, OPEN_ALWAYS, 0, nullptr));
    ASSERT_NE(f.get(), INVALID_HANDLE_VALUE);
    EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_SUCCESS));
  }
  // A folder is not a file.
  EXPECT_EQ(
      CreateFileA(dir_.c_str(), GENERIC_READ, FILE_SHARE_READ, nullptr, OPEN_EXISTING, 0, nullptr),
      INVALID_HANDLE_VALUE);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_ACCESS_DENIED));
}

TEST_F(DiskFile, PointerSizeEndOfFileAndAccess) {
  std::string name = path("p.bin");
  handle_guard f(
      CreateFileA(name.c_str(), GENERIC_READ | GENERIC_WRITE, 0, nullptr, CREATE_NEW, 0, nullptr));
  ASSERT_NE(f.get(), INVALID_HANDLE_VALUE);
  DWORD n = 0;
  ASSERT_TRUE(WriteFile(f, "0123456789", 10, &n, nullptr));
  EXPECT_EQ(SetFilePointer(f, 2, nullptr, FILE_BEGIN), 2u);
  char buf[16] = {};
  ASSERT_TRUE(ReadFile(f, buf, 3, &n, nullptr));
  EXPECT_EQ(std::string(buf, n), "234");
  EXPECT_EQ(SetFilePointer(f, -1, nullptr, FILE_CURRENT), 4u);
  EXPECT_EQ(SetFilePointer(f, -100, nullptr, FILE_BEGIN), INVALID_SET_FILE_POINTER);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_NEGATIVE_SEEK));
  EXPECT_EQ(SetFilePointer(f, 0, nullptr, 7), INVALID_SET_FILE_POINTER);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_PARAMETER));
  LARGE_INTEGER far, now;
  far.QuadPart = 5LL << 32;  // past 4 GiB: a sparse file
  ASSERT_TRUE(SetFilePointerEx(f, far, &now, FILE_BEGIN));
  EXPECT_EQ(now.QuadPart, 5LL << 32);
  ASSERT_TRUE(SetEndOfFile(f));
  DWORD high = 0;
  EXPECT_EQ(GetFileSize(f, &high), 0u);
  EXPECT_EQ(high, 5u);
  LARGE_INTEGER size;
  ASSERT_TRUE(GetFileSizeEx(f, &size));
  EXPECT_EQ(size.QuadPart, 5LL << 32);
  LONG high_move = 0;
  EXPECT_EQ(SetFilePointer(f, 100, &high_move, FILE_BEGIN), 100u);
  ASSERT_TRUE(SetEndOfFile(f));
  ASSERT_TRUE(GetFileSizeEx(f, &size));
  EXPECT_EQ(size.QuadPart, 100);
  // Reading at the end: TRUE, 0 bytes, on a synchronous handle.
  ASSERT_TRUE(ReadFile(f, buf, sizeof buf, &n, nullptr));
  EXPECT_EQ(n, 0u);
  EXPECT_TRUE(FlushFileBuffers(f));
  EXPECT_EQ(GetFileType(f), static_cast<DWORD>(FILE_TYPE_DISK));
  // A read-only handle may not write, and the other way round.
  handle_guard reader(CreateFileA(name.c_str(), GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE,
                                  nullptr, OPEN_EXISTING, 0, nullptr));
  EXPECT_EQ(reader.get(), INVALID_HANDLE_VALUE);  // f shares nothing
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_SHARING_VIOLATION));
}

TEST_F(DiskFile, ShareModesAndDelete) {
  std::string name = path("s.txt");
  handle_guard writer(CreateFileA(name.c_str(), GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ,
                                  nullptr, CREATE_NEW, 0, nullptr));
  ASSERT_NE(writer.get(), INVALID_HANDLE_VALUE);
  // A second writer is refused; a reader that lets the writer write is not.
  EXPECT_EQ(CreateFileA(name.c_str(), GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, nullptr,
                        OPEN_EXISTING, 0, nullptr),
            INVALID_HANDLE_VALUE);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_SHARING_VIOLATION));
  EXPECT_EQ(
      CreateFileA(name.c_str(), GENERIC_READ, FILE_SHARE_READ, nullptr, OPEN_EXISTING, 0, nullptr),
      INVALID_HANDLE_VALUE);  // it would not let the writer write
  handle_guard reader(CreateFileA(name.c_str(), GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE,
                                  nullptr, OPEN_EXISTING, 0, nullptr));
  ASSERT_NE(reader.get(), INVALID_HANDLE_VALUE);
  DWORD n = 0;
  EXPECT_FALSE(WriteFile(reader, "x", 1, &n, nullptr));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_ACCESS_DENIED));
  // Open without FILE_SHARE_DELETE: not deleted.
  EXPECT_FALSE(DeleteFileA(name.c_str()));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_SHARING_VIOLATION));
  reader.reset();
  writer.reset();
  EXPECT_TRUE(DeleteFileA(name.c_str()));
  EXPECT_FALSE(DeleteFileA(name.c_str()));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_FILE_NOT_FOUND));
  EXPECT_FALSE(DeleteFileA(path("none/x").c_str()));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_PATH_NOT_FOUND));
  EXPECT_FALSE(DeleteFileA(dir_.c_str()));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_ACCESS_DENIED));
  // Delete on close, shared for deletion.
  std::string temp = path("t.tmp");
  HANDLE t = CreateFileA(temp.c_str(), GENERIC_WRITE, FILE_SHARE_DELETE, nullptr, CREATE_NEW,
                         FILE_ATTRIBUTE_TEMPORARY | FILE_FLAG_DELETE_ON_CLOSE, nullptr);
  ASSERT_NE(t, INVALID_HANDLE_VALUE);
  struct stat st {};
  EXPECT_EQ(::stat(temp.c_str(), &st), 0);
  ASSERT_TRUE(CloseHandle(t));
  EXPECT_NE(::stat(temp.c_str(), &st), 0);
}

TEST_F(DiskFile, OverlappedOffsetsEventsAndPorts) {
  std::string name = path("o.bin");
  handle_guard f(CreateFileA(name.c_str(), GENERIC_READ | GENERIC_WRITE, 0, nullptr, CREATE_NEW,
                             FILE_FLAG_OVERLAPPED, nullptr));
  ASSERT_NE(f.get(), INVALID_HANDLE_VALUE);
  overlapped_block w;
  w.ov.Offset = 5;
  DWORD n = 0;
  BOOL done = WriteFile(f, "abc", 3, &n, &w.ov);
  if (!done) {
    ASSERT_EQ(GetLastError(), static_cast<DWORD>(ERROR_IO_PENDING));
  }
  ASSERT_TRUE(GetOverlappedResult(f, &w.ov, &n, TRUE));
  EXPECT_EQ(n, 3u);
  EXPECT_EQ(WaitForSingleObject(w.event, 0), WAIT_OBJECT_0);
  EXPECT_EQ(GetFileSize(f, nullptr), 8u);  // 5 zero bytes, then abc
  overlapped_block r;
  r.ov.Offset = 4;
  char buf[16] = {};
  done = ReadFile(f, buf, sizeof buf, &n, &r.ov);
  if (!done) {
    ASSERT_EQ(GetLastError(), static_cast<DWORD>(ERROR_IO_PENDING));
  }
  ASSERT_TRUE(GetOverlappedResult(f, &r.ov, &n, TRUE));
  EXPECT_EQ(std::string(buf, n), std::string("\0abc", 4));
  // Past the end.
  overlapped_block past;
  past.ov.Offset = 100;
  EXPECT_FALSE(ReadFile(f, buf, 3, &n, &past.ov));
  DWORD error = GetLastError();
  if (error == ERROR_IO_PENDING) {
    EXPECT_FALSE(GetOverlappedResult(f, &past.ov, &n, TRUE));
    error = GetLastError();
  }
  EXPECT_EQ(error, static_cast<DWORD>(ERROR_HANDLE_EOF));
  EXPECT_FALSE(GetOverlappedResult(f, &past.ov, &n, FALSE));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_HANDLE_EOF));
  // A completion port hears of each operation.
  handle_guard port(CreateIoCompletionPort(f, nullptr, 42, 0));
  ASSERT_NE(port.get(), nullptr);
  OVERLAPPED plain{};
  plain.Offset = 1u << 20;
  done = WriteFile(f, "zz", 2, nullptr, &plain);
  if (!done) {
    ASSERT_EQ(GetLastError(), static_cast<DWORD>(ERROR_IO_PENDING));
  }
  ULONG_PTR key = 0;
  LPOVERLAPPED which = nullptr;
  ASSERT_TRUE(GetQueuedCompletionStatus(port, &n, &key, &which, 10'000));
  EXPECT_EQ(key, 42u);
  EXPECT_EQ(which, &plain);
  EXPECT_EQ(n, 2u);
  LARGE_INTEGER size;
  ASSERT_TRUE(GetFileSizeEx(f, &size));
  EXPECT_EQ(size.QuadPart, (1 << 20) + 2);
}

TEST_F(DiskFile, PathRule) {
  // Relative paths from the working folder, with either separator.
  char here[4096];
  ASSERT_NE(::getcwd(here, sizeof here), nullptr);
  ASSERT_EQ(::chdir(dir_.c_str()), 0);
  ::mkdir("sub", 0700);
  handle_guard f(CreateFileA("sub\\r.txt", GENERIC_WRITE, 0, nullptr, CREATE_NEW, 0, nullptr));
  EXPECT_NE(f.get(), INVALID_HANDLE_VALUE);
  f.reset();
  handle_guard g(CreateFileA("sub/r.txt", GENERIC_READ, 0, nullptr, OPEN_EXISTING, 0, nullptr));
  EXPECT_NE(g.get(), INVALID_HANDLE_VALUE);
  g.reset();
  ASSERT_EQ(::chdir(here), 0);
  // A drive letter: its own root if one is set, else CONDUIT_DRIVE_ROOT.
  ::setenv("CONDUIT_DRIVE_Q", dir_.c_str(), 1);
  handle_guard q(
      CreateFileA("q:\\sub\\r.txt", GENERIC_READ, 0, nullptr, OPEN_EXISTING, 0, nullptr));
  EXPECT_NE(q.get(), INVALID_HANDLE_VALUE);
  ::unsetenv("CONDUIT_DRIVE_Q");
  q.reset();
  ::setenv("CONDUIT_DRIVE_ROOT", dir_.c_str(), 1);
  handle_guard c(
      CreateFileA("\\\\?\\C:\\sub\\r.txt", GENERIC_READ, 0, nullptr, OPEN_EXISTING, 0, nullptr));
  EXPECT_NE(c.get(), INVALID_HANDLE_VALUE);
  ::unsetenv("CONDUIT_DRIVE_ROOT");
  c.reset();
  // NUL is /dev/null: a character device.
  handle_guard nul(
      CreateFileA("NUL", GENERIC_WRITE, FILE_SHARE_WRITE, nullptr, OPEN_EXISTING, 0, nullptr));
  ASSERT_NE(nul.get(), INVALID_HANDLE_VALUE);
  EXPECT_EQ(GetFileType(nul), static_cast<DWORD>(FILE_TYPE_CHAR));
  DWORD n = 0;
  EXPECT_TRUE(WriteFile(nul, "gone", 4, &n, nullptr));
  EXPECT_EQ(n, 4u);
}

TEST_F(DiskFile, InheritedByAChild) {
  std::string name = path("inherited.txt");
  SECURITY_ATTRIBUTES inherit{sizeof(inherit), nullptr, TRUE};
  handle_guard f(
      CreateFileA(name.c_str(), GENERIC_WRITE, FILE_SHARE_READ, &inherit, CREATE_NEW, 0, nullptr));
  ASSERT_NE(f.get(), INVALID_HANDLE_VALUE);
  DWORD n = 0;
  ASSERT_TRUE(WriteFile(f, "parent,", 7, &n, nullptr));
  std::string command = std::string(CONDUIT_WIN32_CHILD) + " write-handle " +
                        std::to_string(reinterpret_cast<std::uintptr_t>(f.get())) + " child";
  STARTUPINFOA si{};
  si.cb = sizeof(si);
  PROCESS_INFORMATION pi{};
  ASSERT_TRUE(CreateProcessA(nullptr, command.data(), nullptr, nullptr, TRUE, 0, nullptr, nullptr,
                             &si, &pi))
      << GetLastError();
  ASSERT_EQ(WaitForSingleObject(pi.hProcess, 30'000), WAIT_OBJECT_0);
  DWORD code = 99;
  ASSERT_TRUE(GetExitCodeProcess(pi.hProcess, &code));
  EXPECT_EQ(code, 0u);
  CloseHandle(pi.hProcess);
  CloseHandle(pi.hThread);
  // One file pointer: the child wrote after the parent, and the parent after it.
  ASSERT_TRUE(WriteFile(f, ",parent", 7, &n, nullptr));
  f.reset();
  EXPECT_EQ(contents(name), "parent,child,parent");
}

// Runs the test child with `args` and inherited handles; its exit code.
DWORD run_child(const std::string& args) {
  std::string command = std::string(CONDUIT_WIN32_CHILD) + " " + args;
  STARTUPINFOA si{};
  si.cb = sizeof(si);
  PROCESS_INFORMATION pi{};
  if (!CreateProcessA(nullptr, command.data(), nullptr, nullptr, TRUE, 0, nullptr, nullptr, &si,
                      &pi))
    return 0xFFFFFFFF;
  DWORD code = 0xFFFFFFFE;
  if (WaitForSingleObject(pi.hProcess, 30'000) == WAIT_OBJECT_0)
    GetExitCodeProcess(pi.hProcess, &code);
  CloseHandle(pi.hProcess);
  CloseHandle(pi.hThread);
  return code;
}

std::string number(HANDLE h) {
  return std::to_string(reinterpret_cast<std::uintptr_t>(h));
}

TEST(InheritedSync, MutexesAndSemaphores) {
  SECURITY_ATTRIBUTES inherit{sizeof(inherit), nullptr, TRUE};
  handle_guard s(CreateSemaphoreA(&inherit, 2, 3, nullptr));
  ASSERT_NE(s.get(), nullptr);
  EXPECT_EQ(run_child("release-semaphore " + number(s)), 2u);  // one semaphore, its maximum too
  EXPECT_EQ(run_child("release-semaphore " + number(s)), 200u + ERROR_TOO_MANY_POSTS % 50);
  handle_guard m(CreateMutexA(&inherit, FALSE, nullptr));
  ASSERT_NE(m.get(), nullptr);
  EXPECT_EQ(run_child("take-and-exit " + number(m)), 0u);
  EXPECT_EQ(WaitForSingleObject(m, 10'000), WAIT_ABANDONED);  // the child exited owning it
  EXPECT_TRUE(ReleaseMutex(m));
}

TEST_F(DiskFile, FileTypesOfOtherHandles) {
  HANDLE r = nullptr, w = nullptr;
  ASSERT_TRUE(CreatePipe(&r, &w, nullptr, 0));
  EXPECT_EQ(GetFileType(r), static_cast<DWORD>(FILE_TYPE_PIPE));
  CloseHandle(r);
  CloseHandle(w);
  handle_guard e(CreateEventA(nullptr, TRUE, FALSE, nullptr));
  EXPECT_EQ(GetFileType(e), static_cast<DWORD>(FILE_TYPE_UNKNOWN));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_HANDLE));
  EXPECT_EQ(GetFileSize(e, nullptr), INVALID_FILE_SIZE);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_HANDLE));
}

}  // namespace
}  // namespace conduit::test
