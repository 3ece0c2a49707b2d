// FindFirstFile, FindNextFile and FindClose on `\\.\pipe\`: every pipe of
// the broker, created here and in another process, with its current
// instance count in nFileSizeLow; patterns; the errors Windows gives.
#include <gtest/gtest.h>
#include <windows.h>

#include <map>
#include <string>

#include "support/helper_process.hpp"
#include "support/sandbox.hpp"

namespace conduit::test {
namespace {

class FindPipes : public sandbox {
 protected:
  // The short name (after `\\.\pipe\`) of pipe_name(suffix).
  std::string short_name(const std::string& suffix) {
    return pipe_name(suffix).substr(std::string("\\\\.\\pipe\\").size());
  }
  HANDLE create(const std::string& name, DWORD max = PIPE_UNLIMITED_INSTANCES) {
    HANDLE h =
        CreateNamedPipeA(name.c_str(), PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, max, 0, 0, 0, nullptr);
    EXPECT_NE(h, INVALID_HANDLE_VALUE) << GetLastError();
    handles_.push_back(h);
    return h;
  }
  // Every match of `pattern`, name to instance count.
  std::map<std::string, DWORD> find_all(const std::string& pattern, DWORD& last_error) {
    std::map<std::string, DWORD> found;
    WIN32_FIND_DATAA data;
    HANDLE find = FindFirstFileA(pattern.c_str(), &data);
    if (find == INVALID_HANDLE_VALUE) {
      last_error = GetLastError();
      return found;
    }
    int guard = 0;
    do {
      EXPECT_EQ(data.dwFileAttributes, static_cast<DWORD>(FILE_ATTRIBUTE_NORMAL));
      EXPECT_EQ(data.nFileSizeHigh, 0u);
      EXPECT_EQ(data.ftCreationTime.dwLowDateTime, 0u);
      found[data.cFileName] = data.nFileSizeLow;
    } while (FindNextFileA(find, &data) && ++guard < 10000);
    last_error = GetLastError();
    EXPECT_TRUE(FindClose(find));
    return found;
  }
  void TearDown() override {
    for (HANDLE h : handles_) CloseHandle(h);
    sandbox::TearDown();
  }
  std::vector<HANDLE> handles_;
};

TEST_F(FindPipes, ListsEveryPipeWithItsInstanceCount) {
  create(pipe_name("one"));
  create(pipe_name("three"), 5);
  create(pipe_name("three"), 5);
  create(pipe_name("three"), 5);
  helper_process other;
  ASSERT_EQ(other.call("create s1 " + pipe_name("theirs") + " max=2"), "ok");
  ASSERT_EQ(other.call("create s2 " + pipe_name("theirs") + " max=2"), "ok");
  DWORD error = 0;
  auto found = find_all("\\\\.\\pipe\\*", error);
  EXPECT_EQ(error, static_cast<DWORD>(ERROR_NO_MORE_FILES));
  EXPECT_EQ(found[short_name("one")], 1u);
  EXPECT_EQ(found[short_name("three")], 3u);
  EXPECT_EQ(found[short_name("theirs")], 2u);
  // The pipe goes when its last instance does.
  CloseHandle(handles_[0]);
  handles_.erase(handles_.begin());
  found = find_all("\\\\.\\pipe\\*", error);
  EXPECT_EQ(found.count(short_name("one")), 0u);
}

TEST_F(FindPipes, PatternsMatchWithoutRegardToCase) {
  create(pipe_name("alpha"));
  create(pipe_name("alps"));
  create(pipe_name("beta"));
  DWORD error = 0;
  std::string stem = short_name("");
  auto found = find_all("\\\\.\\PIPE\\" + stem + "AL*", error);
  EXPECT_EQ(found.size(), 2u);
  EXPECT_TRUE(found.count(short_name("alpha")));
  found = find_all("\\\\.\\pipe\\" + stem + "al??", error);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_TRUE(found.count(short_name("alps")));
  // A name without wildcards finds that pipe alone.
  found = find_all("//./pipe/" + short_name("beta"), error);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found.begin()->second, 1u);
}

TEST_F(FindPipes, WideNames) {
  create(pipe_name("wide"));
  std::u16string pattern = u"\\\\.\\pipe\\*";
  WIN32_FIND_DATAW data;
  HANDLE find = FindFirstFileW(reinterpret_cast<LPCWSTR>(pattern.c_str()), &data);
  ASSERT_NE(find, INVALID_HANDLE_VALUE) << GetLastError();
  bool seen = false;
  std::string wanted = short_name("wide");
  do {
    std::u16string name(reinterpret_cast<const char16_t*>(data.cFileName));
    seen |= name == std::u16string(wanted.begin(), wanted.end());
  } while (FindNextFileW(find, &data));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_NO_MORE_FILES));
  EXPECT_TRUE(FindClose(find));
  EXPECT_TRUE(seen);
}

TEST_F(FindPipes, ErrorsAsWindowsGivesThem) {
  WIN32_FIND_DATAA data;
  // Nothing matches.
  EXPECT_EQ(FindFirstFileA(("\\\\.\\pipe\\" + short_name("none") + "*").c_str(), &data),
            INVALID_HANDLE_VALUE);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_FILE_NOT_FOUND));
  EXPECT_EQ(FindFirstFileA("\\\\.\\pipe\\", &data), INVALID_HANDLE_VALUE);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_FILE_NOT_FOUND));
  // Not a pipe folder: conduit lists nothing else.
  EXPECT_EQ(FindFirstFileA("/tmp/*", &data), INVALID_HANDLE_VALUE);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_NOT_SUPPORTED));
  EXPECT_EQ(FindFirstFileA(nullptr, &data), INVALID_HANDLE_VALUE);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_PARAMETER));
  // Handles that are no search.
  EXPECT_FALSE(FindNextFileA(nullptr, &data));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_HANDLE));
  HANDLE pipe = create(pipe_name("h"));
  EXPECT_FALSE(FindNextFileA(pipe, &data));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_HANDLE));
  EXPECT_FALSE(FindClose(pipe));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_HANDLE));
  // A closed search is gone; the pipe handle was left alone.
  HANDLE find = FindFirstFileA(pipe_name("h").c_str(), &data);
  ASSERT_NE(find, INVALID_HANDLE_VALUE);
  EXPECT_FALSE(FindNextFileA(find, &data));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_NO_MORE_FILES));
  EXPECT_TRUE(FindClose(find));
  EXPECT_FALSE(FindClose(find));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_HANDLE));
  DWORD flags = 0;
  EXPECT_TRUE(GetHandleInformation(pipe, &flags));
}

// A hostile pattern costs no more than a listing.
TEST_F(FindPipes, LongStarPatternsStayCheap) {
  create(pipe_name(std::string(150, 'a')));
  WIN32_FIND_DATAA data;
  std::string pattern = "\\\\.\\pipe\\";
  for (int i = 0; i < 100; ++i) pattern += "*a";
  pattern += "b";
  EXPECT_EQ(FindFirstFileA(pattern.c_str(), &data), INVALID_HANDLE_VALUE);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_FILE_NOT_FOUND));
}

}  // namespace
}  // namespace conduit::test
