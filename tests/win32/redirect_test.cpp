// A child process redirected from and to files and pipes: Microsoft's
// "Creating a Child Process with Redirected Input and Output" parent and
// child (examples/win32/Redirect*.c, built as C), and a child whose
// standard handles are files the parent opened with CreateFile. Both
// programs run as processes of their own; every wait is bounded.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <windows.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "win32/win32_test_support.hpp"

namespace conduit::test {
namespace {

class Redirect : public temp_folder_test {
 protected:
  void SetUp() override {
    temp_folder_test::SetUp();
    // The parent starts "child" by name, found on PATH as on Windows.
    std::string path =
        std::string(CONDUIT_CHILD_DIR) + ":" + (getenv("PATH") ? getenv("PATH") : "");
    ::setenv("PATH", path.c_str(), 1);
    input_ = dir_ + "/input.txt";
    std::ofstream(input_) << text_;
  }
  std::string input_;
  const std::string text_ = "line one of the input\nline two, the last\n";
};

TEST_F(Redirect, MicrosoftSampleParentAndChild) {
  std::string command =
      "timeout 30 " + std::string(CONDUIT_REDIRECT_PARENT) + " " + input_ + " 2>&1";
  FILE* out = ::popen(command.c_str(), "r");
  ASSERT_NE(out, nullptr);
  std::string output;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, out)) output.append(buf, n);
  int status = ::pclose(out);
  EXPECT_EQ(status, 0) << output;
  EXPECT_NE(output.find("->Start of parent execution."), std::string::npos) << output;
  EXPECT_NE(output.find(text_), std::string::npos) << output;  // through the child and back
  EXPECT_NE(output.find("** This is a message from the child process. **"), std::string::npos)
      << output;
  EXPECT_NE(output.find("->End of parent execution."), std::string::npos) << output;
}

TEST_F(Redirect, ChildStandardHandlesAreFiles) {
  SECURITY_ATTRIBUTES inherit{sizeof(inherit), nullptr, TRUE};
  handle_guard in(CreateFileA(input_.c_str(), GENERIC_READ, FILE_SHARE_READ, &inherit,
                              OPEN_EXISTING, FILE_ATTRIBUTE_READONLY, nullptr));
  ASSERT_NE(in.get(), INVALID_HANDLE_VALUE) << GetLastError();
  std::string output_path = dir_ + "\\output.txt";  // either separator
  handle_guard out(CreateFileA(output_path.c_str(), GENERIC_WRITE, 0, &inherit, CREATE_ALWAYS,
                               FILE_ATTRIBUTE_NORMAL, nullptr));
  ASSERT_NE(out.get(), INVALID_HANDLE_VALUE) << GetLastError();
  STARTUPINFOA si{};
  si.cb = sizeof(si);
  si.dwFlags = STARTF_USESTDHANDLES;
  si.hStdInput = in;
  si.hStdOutput = out;
  si.hStdError = out;
  PROCESS_INFORMATION pi{};
  char command[] = "child";
  ASSERT_TRUE(
      CreateProcessA(nullptr, command, nullptr, nullptr, TRUE, 0, nullptr, nullptr, &si, &pi))
      << GetLastError();
  ASSERT_EQ(WaitForSingleObject(pi.hProcess, 30'000), WAIT_OBJECT_0);
  DWORD code = 99;
  ASSERT_TRUE(GetExitCodeProcess(pi.hProcess, &code));
  EXPECT_EQ(code, 0u);
  CloseHandle(pi.hProcess);
  CloseHandle(pi.hThread);
  out.reset();
  std::string written = contents(dir_ + "/output.txt");
  EXPECT_NE(written.find(text_), std::string::npos) << written;
  EXPECT_NE(written.find("** This is a message from the child process. **"), std::string::npos)
      << written;
}

}  // namespace
}  // namespace conduit::test
