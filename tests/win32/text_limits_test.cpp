// The text functions against what a hostile or careless caller passes, and
// what only conduit can check: FormatMessage's texts are the error
// category's, GetProcAddress finds nothing outside conduit, and what glibc's
// printf does with a 16-bit string.
#include <gtest/gtest.h>
#include <unistd.h>
#include <windows.h>

#include <cerrno>
#include <cstdio>
#include <string>

#include "conduit/error.hpp"

namespace {

TEST(TextLimits, GetProcAddressFindsOnlyConduitsOwnFunctions) {
  HMODULE kernel32 = GetModuleHandleA("kernel32.dll");
  ASSERT_NE(kernel32, nullptr);
  // libc and libstdc++ are loaded beside the library: not its exports.
  for (const char* name : {"printf", "malloc", "dlopen", "_ZSt9terminatev"}) {
    SetLastError(0);
    EXPECT_EQ(GetProcAddress(kernel32, name), nullptr) << name;
    EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_PROC_NOT_FOUND)) << name;
  }
  SetLastError(0);
  EXPECT_EQ(GetProcAddress(kernel32, reinterpret_cast<LPCSTR>(1)), nullptr);  // an ordinal
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_PROC_NOT_FOUND));
  int not_a_module = 0;
  SetLastError(0);
  EXPECT_EQ(GetProcAddress(reinterpret_cast<HMODULE>(&not_a_module), "CloseHandle"), nullptr);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_MOD_NOT_FOUND));
  EXPECT_EQ(GetModuleHandleW(u"ADVAPI32.DLL"), kernel32);
  SetLastError(0);
  EXPECT_EQ(GetModuleHandleA("kernel32.dll.evil"), nullptr);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_MOD_NOT_FOUND));
}

TEST(TextLimits, FormatMessageSystemTextsAreTheErrorCategorys) {
  char buffer[512];
  int known = 0;
  for (int code = 0; code < 20000; ++code) {
    std::string expected = conduit::win32_category().message(code);
    SetLastError(0);
    DWORD n = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, nullptr,
                             static_cast<DWORD>(code), 0, buffer, sizeof buffer, nullptr);
    if (expected == "Win32 error " + std::to_string(code)) {
      EXPECT_EQ(n, 0u) << code;
      EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_MR_MID_NOT_FOUND)) << code;
    } else {
      ++known;
      EXPECT_EQ(std::string(buffer, n), expected + "\r\n") << code;
    }
  }
  EXPECT_GT(known, 40);
}

TEST(TextLimits, FormatMessageRefusesWhatItCannotFormat) {
  char buffer[64];
  auto expect_failure = [&](DWORD flags, const char* text, DWORD language, va_list* args,
                            DWORD error) {
    SetLastError(0);
    EXPECT_EQ(FormatMessageA(flags, text, ERROR_PIPE_BUSY, language, buffer, sizeof buffer, args),
              0u)
        << (text ? text : "(system)");
    EXPECT_EQ(GetLastError(), error) << (text ? text : "(system)");
  };
  DWORD_PTR args[] = {1, 2};
  auto* array = reinterpret_cast<va_list*>(args);
  constexpr DWORD string_array = FORMAT_MESSAGE_FROM_STRING | FORMAT_MESSAGE_ARGUMENT_ARRAY;
  expect_failure(string_array, "%1!d", 0, array, ERROR_INVALID_PARAMETER);  // no closing !
  expect_failure(string_array, "%1!n!", 0, array, ERROR_INVALID_PARAMETER);
  SetLastError(0);
  EXPECT_EQ(FormatMessageA(string_array, "%1!*d!|", 0, 0, buffer, sizeof buffer, array), 2u);
  EXPECT_STREQ(buffer, "2|");  // `*` took %1 as the width, %2 as the value
  expect_failure(FORMAT_MESSAGE_FROM_STRING, "%1", 0, nullptr, ERROR_INVALID_PARAMETER);
  expect_failure(FORMAT_MESSAGE_FROM_STRING | 0x10000, "x", 0, nullptr, ERROR_INVALID_PARAMETER);
  expect_failure(FORMAT_MESSAGE_FROM_HMODULE, nullptr, 0, nullptr, ERROR_RESOURCE_TYPE_NOT_FOUND);
  expect_failure(FORMAT_MESSAGE_FROM_SYSTEM, nullptr, MAKELANGID(0x07, 0x01), nullptr,
                 ERROR_RESOURCE_LANG_NOT_FOUND);
  DWORD_PTR huge[] = {1u << 30, 7};
  expect_failure(string_array, "%1!*d!", 0, reinterpret_cast<va_list*>(huge),
                 ERROR_INVALID_PARAMETER);
}

TEST(TextLimits, WsprintfBoundsAndRefusals) {
  char out[1100];
  std::string long_text(2000, 'x');
  EXPECT_EQ(wsprintfA(out, "%s", long_text.c_str()), 1023);  // Windows' 1024 with the NUL
  EXPECT_EQ(std::string(out), long_text.substr(0, 1023));
  int count = 0;
  SetLastError(0);
  EXPECT_EQ(wsprintfA(out, "a%nb", &count), -1);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_PARAMETER));
  EXPECT_EQ(count, 0);
  EXPECT_EQ(wsprintfA(out, "%*d", 1 << 30, 5), -1);  // no gigabyte of padding
  EXPECT_EQ(wsprintfA(out, "%.*s", 1 << 21, "abc"), -1);
  EXPECT_EQ(wsprintfA(out, "%s|%p", static_cast<const char*>(nullptr), nullptr), 23);
  EXPECT_STREQ(out, "(null)|0000000000000000");
}

TEST(TextLimits, InvalidUtf8IsRefusedUnderMbErrInvalidChars) {
  WCHAR wide[8];
  // Overlong, encoded surrogate, beyond U+10FFFF, cut short, stray continuation.
  for (const char* bad : {"\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xE2\x82", "\x80"}) {
    SetLastError(0);
    EXPECT_EQ(MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, bad, -1, wide, 8), 0);
    EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_NO_UNICODE_TRANSLATION));
    int n = MultiByteToWideChar(CP_UTF8, 0, bad, -1, wide, 8);
    ASSERT_GT(n, 1);
    EXPECT_EQ(wide[0], 0xFFFD);
    EXPECT_EQ(wide[n - 1], 0);
  }
  SetLastError(0);
  EXPECT_EQ(MultiByteToWideChar(1252, 0, "x", -1, wide, 8), 0);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_PARAMETER));
  SetLastError(0);
  EXPECT_EQ(MultiByteToWideChar(CP_UTF8, 0, "x", -1, nullptr, 8), 0);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_PARAMETER));
  // A default character is the worse fault: it wins over a bad flag.
  BOOL used = FALSE;
  char narrow[8];
  SetLastError(0);
  EXPECT_EQ(WideCharToMultiByte(CP_UTF8, 0x100, u"x", -1, narrow, 8, nullptr, &used), 0);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_PARAMETER));
}

// glibc's printf reads a %ls (or %S) argument as 32-bit wchar_t: a 16-bit
// string's units are taken two at a time, and what results is not a
// character, so the call fails with EILSEQ and prints nothing.
TEST(TextLimits, GlibcPrintfMisreadsSixteenBitStrings) {
  char16_t text[8] = u"ab";
  char out[32] = "unchanged";
  errno = 0;
  EXPECT_EQ(std::snprintf(out, sizeof out, "%ls", reinterpret_cast<const wchar_t*>(text)), -1);
  EXPECT_EQ(errno, EILSEQ);
  // conduit's printf family reads it as Windows does.
  EXPECT_EQ(wsprintfA(out, "%S", text), 2);
  EXPECT_STREQ(out, "ab");
}

TEST(TextLimits, MessageBoxWritesToStandardError) {
  std::fflush(stderr);
  FILE* capture = std::tmpfile();
  ASSERT_NE(capture, nullptr);
  int saved = dup(2);
  ASSERT_GE(saved, 0);
  ASSERT_EQ(dup2(fileno(capture), 2), 2);
  int answer = MessageBoxW(nullptr, u"caf\u00e9 closed", u"Pipe", MB_OKCANCEL | MB_ICONERROR);
  int second = MessageBoxA(nullptr, "text", nullptr, MB_ABORTRETRYIGNORE | MB_DEFBUTTON3);
  std::fflush(stderr);
  dup2(saved, 2);
  close(saved);
  EXPECT_EQ(answer, IDOK);
  EXPECT_EQ(second, IDIGNORE);
  char written[128] = {};
  std::rewind(capture);
  std::size_t n = std::fread(written, 1, sizeof written - 1, capture);
  std::fclose(capture);
  EXPECT_EQ(std::string(written, n), "Pipe: caf\xC3\xA9 closed\nError: text\n");
}

TEST(TextLimits, EnvironmentNamesAreChecked) {
  SetLastError(0);
  EXPECT_FALSE(SetEnvironmentVariableA("A=B", "x"));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_PARAMETER));
  SetLastError(0);
  EXPECT_FALSE(SetEnvironmentVariableA("", "x"));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_PARAMETER));
  ASSERT_TRUE(SetEnvironmentVariableW(u"CONDUIT_WIDE_VALUE", u"\u00e9t\u00e9"));
  char narrow[16];
  EXPECT_EQ(GetEnvironmentVariableA("CONDUIT_WIDE_VALUE", narrow, sizeof narrow), 5u);
  EXPECT_STREQ(narrow, "\xC3\xA9t\xC3\xA9");
  WCHAR wide[4];
  EXPECT_EQ(GetEnvironmentVariableW(u"CONDUIT_WIDE_VALUE", wide, 4), 3u);
  EXPECT_EQ(GetEnvironmentVariableW(u"CONDUIT_WIDE_VALUE", wide, 3), 4u);  // with the NUL
  ASSERT_TRUE(SetEnvironmentVariableA("CONDUIT_WIDE_VALUE", ""));
  SetLastError(123);
  EXPECT_EQ(GetEnvironmentVariableA("CONDUIT_WIDE_VALUE", narrow, sizeof narrow), 0u);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_SUCCESS));
}

}  // namespace
