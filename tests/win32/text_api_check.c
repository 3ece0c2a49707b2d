/* The text functions of windows.h, tchar.h and strsafe.h, as a program
 * written for Windows calls them. One source, built four ways (C and C++,
 * ANSI and UNICODE) and, with mingw, run under Wine: every check here holds
 * on Windows too. Prints each failure and exits 1 if any. */
#include <stdio.h>
#include <string.h>
#include <tchar.h>
#include <windows.h>
/* The SDK's strsafe.h would otherwise hide the unsafe _t functions. */
#define STRSAFE_NO_DEPRECATE
#include <strsafe.h>

static int failures = 0;
static int checks = 0;
#define CHECK(cond)                                                      \
  do {                                                                   \
    ++checks;                                                            \
    if (!(cond)) {                                                       \
      ++failures;                                                        \
      printf("FAILED line %d: %s (GetLastError %lu)\n", __LINE__, #cond, \
             (unsigned long)GetLastError());                             \
    }                                                                    \
  } while (0)
#define CHECK_ERROR(call, value, error)      \
  do {                                       \
    SetLastError(0xdeadbeef);                \
    CHECK((call) == (value));                \
    CHECK(GetLastError() == (DWORD)(error)); \
  } while (0)

/* Wide literals in either kind of build: WCHAR is 16-bit everywhere. */
#if defined(UNICODE) || defined(_WIN32)
#define WSTR(s) L##s
#elif defined(__cplusplus) || !defined(__SIZEOF_WCHAR_T__) || __SIZEOF_WCHAR_T__ == 2
#define WSTR(s) u##s
#else
#define WSTR(s) ((const WCHAR*)u##s)
#endif

/* Where Wine 8 departs from Windows' documented answer, the check runs
 * on conduit and on Windows only. */
static int on_wine(void) {
#ifdef _WIN32
  return GetProcAddress(GetModuleHandleA("ntdll.dll"), "wine_get_version") != NULL;
#else
  return 0;
#endif
}

/* CP_ACP is UTF-8 here; on Windows it is the system's code page. */
#ifdef _WIN32
#define ACP_IS_UTF8 0
#else
#define ACP_IS_UTF8 1
#endif

static int wide_equal(const WCHAR* a, const WCHAR* b) {
  while (*a && *a == *b) ++a, ++b;
  return *a == *b;
}
static int text_equal(const TCHAR* a, const TCHAR* b) {
  return lstrcmp(a, b) == 0 && lstrlen(a) == lstrlen(b);
}

static void test_tchar(void) {
  TCHAR buffer[32];
  CHECK(sizeof(TCHAR) == (sizeof(_T("x")) / 2));
#ifdef UNICODE
  CHECK(sizeof(TCHAR) == 2);
  CHECK(sizeof(L"ab") == 6);
#else
  CHECK(sizeof(TCHAR) == 1);
#endif
  CHECK(_tcslen(_T("hello")) == 5);
  _tcscpy(buffer, _T("pipe"));
  _tcscat(buffer, _T("name"));
  CHECK(_tcscmp(buffer, _T("pipename")) == 0);
  CHECK(_tcsicmp(_T("PIPE"), _T("pipe")) == 0);
  CHECK(_tcsncmp(_T("pipe1"), _T("pipe2"), 4) == 0);
  CHECK(_tcschr(buffer, _T('n')) == buffer + 4);
  CHECK(_tcsrchr(buffer, _T('e')) == buffer + 7);
  CHECK(_tcsstr(buffer, _T("ena")) == buffer + 3);
  CHECK(_ttoi(_T("-42")) == -42);
  CHECK(_tcstol(_T("0x1f"), NULL, 16) == 31);
  CHECK(_sntprintf(buffer, 32, _T("%s=%d"), _T("n"), 7) == 3);
  CHECK(text_equal(buffer, _T("n=7")));
  /* -1 when longer than the count, and no NUL when it just fits. */
  buffer[5] = _T('#');
  CHECK(_sntprintf(buffer, 5, _T("%s"), _T("12345")) == 5);
  CHECK(buffer[5] == _T('#'));
  CHECK(_sntprintf(buffer, 4, _T("%s"), _T("12345")) == -1);
}

static void test_lstr(void) {
  TCHAR buffer[16];
  WCHAR wide[16];
  char narrow[16];
  CHECK(lstrlen(TEXT("hello")) == 5);
  CHECK(lstrlenA(NULL) == 0);
  CHECK(lstrlenW(NULL) == 0);
  CHECK(lstrcpy(buffer, TEXT("abc")) == buffer);
  CHECK(lstrcat(buffer, TEXT("def")) == buffer);
  CHECK(text_equal(buffer, TEXT("abcdef")));
  CHECK(lstrcpyn(buffer, TEXT("abcdef"), 4) == buffer);
  CHECK(text_equal(buffer, TEXT("abc")));
  CHECK(lstrcpynA(narrow, "xyz", 1) == narrow && narrow[0] == 0);
  CHECK(lstrcpyW(wide, WSTR("wide")) == wide && lstrlenW(wide) == 4);
  CHECK(lstrcmpW(wide, WSTR("wide")) == 0);
  /* Word sort: case-blind first, then lower before upper. */
  CHECK(lstrcmp(TEXT("apple"), TEXT("Banana")) < 0);
  CHECK(lstrcmp(TEXT("a"), TEXT("A")) < 0);
  CHECK(lstrcmp(TEXT("A"), TEXT("a")) > 0);
  CHECK(lstrcmp(TEXT("abc"), TEXT("abd")) < 0);
  CHECK(lstrcmp(TEXT("abc"), TEXT("ab")) > 0);
  CHECK(lstrcmpi(TEXT("PIPE"), TEXT("pipe")) == 0);
  CHECK(lstrcmpi(TEXT("a"), TEXT("B")) < 0);
  CHECK(lstrcmpA("same", "same") == 0);
}

static void test_wsprintf(void) {
  TCHAR buffer[1100];
  char narrow[64];
  WCHAR wide[64];
  CHECK(wsprintf(buffer, TEXT("%d-%s-%05u|%x|%c"), -3, TEXT("pipe"), 42u, 255u, TEXT('z')) == 18);
  CHECK(text_equal(buffer, TEXT("-3-pipe-00042|ff|z")));
  /* %S is the other width, %hs narrow, %ls wide, in both functions. */
  CHECK(wsprintfA(narrow, "%s|%S|%hs|%ls", "a", WSTR("b"), "c", WSTR("d")) == 7);
  CHECK(strcmp(narrow, "a|b|c|d") == 0);
  CHECK(wsprintfW(wide, WSTR("%s|%S|%hs|%ls"), WSTR("a"), "b", "c", WSTR("d")) == 7);
  CHECK(wide_equal(wide, WSTR("a|b|c|d")));
  /* l is 32 bits; I64 64 bits. */
  CHECK(wsprintfA(narrow, "%ld %lu %lX %I64d", -1L, 4000000000UL, 0xABCDUL, (LONGLONG)-5) > 0);
  CHECK(strcmp(narrow, "-1 4000000000 ABCD -5") == 0);
  CHECK(wsprintfA(narrow, "%-4s|%4s|%.2s", "ab", "cd", "efgh") == 12);
  CHECK(strcmp(narrow, "ab  |  cd|ef") == 0);
  /* UTF-8 (CP_ACP) in, UTF-16 out and back. */
  if (ACP_IS_UTF8) {
    CHECK(wsprintfW(wide, WSTR("%S"), "caf\xc3\xa9") == 4);
    CHECK(wide[3] == 0xE9);
    CHECK(wsprintfA(narrow, "%S", WSTR("caf\u00e9")) == 5);
    CHECK(strcmp(narrow, "caf\xc3\xa9") == 0);
  }
}

static void test_strsafe(void) {
  TCHAR buffer[8];
  TCHAR big[64];
  size_t length = 99;
  CHECK(StringCchCopy(buffer, 8, TEXT("1234567")) == S_OK);
  CHECK(text_equal(buffer, TEXT("1234567")));
  CHECK(StringCchCopy(buffer, 8, TEXT("12345678")) == STRSAFE_E_INSUFFICIENT_BUFFER);
  CHECK(text_equal(buffer, TEXT("1234567")));
  CHECK(StringCchCopy(buffer, 0, TEXT("x")) == STRSAFE_E_INVALID_PARAMETER);
  CHECK(StringCchCopy(buffer, (size_t)STRSAFE_MAX_CCH + 1, TEXT("x")) ==
        STRSAFE_E_INVALID_PARAMETER);
  CHECK(FAILED(STRSAFE_E_INSUFFICIENT_BUFFER) && SUCCEEDED(S_OK));
  CHECK(StringCchCopyN(buffer, 8, TEXT("abcdef"), 3) == S_OK);
  CHECK(text_equal(buffer, TEXT("abc")));
  CHECK(StringCchCat(buffer, 8, TEXT("defg")) == S_OK);
  CHECK(text_equal(buffer, TEXT("abcdefg")));
  CHECK(StringCchCat(buffer, 8, TEXT("h")) == STRSAFE_E_INSUFFICIENT_BUFFER);
  CHECK(text_equal(buffer, TEXT("abcdefg")));
  CHECK(StringCchCopy(buffer, 8, TEXT("ab")) == S_OK);
  CHECK(StringCchCat(buffer, 5, TEXT("cdef")) == STRSAFE_E_INSUFFICIENT_BUFFER);
  CHECK(text_equal(buffer, TEXT("abcd")));
  /* A destination with no NUL within its size is refused. */
  CHECK(StringCchCat(buffer, 3, TEXT("x")) == STRSAFE_E_INVALID_PARAMETER);
  CHECK(StringCchCatN(buffer, 8, TEXT("xyz"), 1) == S_OK);
  CHECK(text_equal(buffer, TEXT("abcdx")));
  CHECK(StringCchLength(TEXT("abc"), 8, &length) == S_OK && length == 3);
  CHECK(StringCchLength(TEXT("abc"), 3, &length) == STRSAFE_E_INVALID_PARAMETER && length == 0);
  CHECK(StringCchLength(NULL, 3, &length) == STRSAFE_E_INVALID_PARAMETER);
  CHECK(StringCbLength(TEXT("abc"), sizeof(big), &length) == S_OK && length == 3 * sizeof(TCHAR));
  /* Printf: fits exactly with its NUL; one more is cut. */
  CHECK(StringCchPrintf(buffer, 8, TEXT("%d%s"), 123, TEXT("4567")) == S_OK);
  CHECK(text_equal(buffer, TEXT("1234567")));
  CHECK(StringCchPrintf(buffer, 8, TEXT("%d%s"), 1234, TEXT("5678")) ==
        STRSAFE_E_INSUFFICIENT_BUFFER);
  CHECK(text_equal(buffer, TEXT("1234567")));
  CHECK(StringCchPrintf(buffer, 0, TEXT("x")) == STRSAFE_E_INVALID_PARAMETER);
  CHECK(StringCbPrintf(big, sizeof(big), TEXT("%s:%u"), TEXT("pipe"), 5u) == S_OK);
  CHECK(text_equal(big, TEXT("pipe:5")));
  CHECK(StringCbCopy(buffer, 4 * sizeof(TCHAR), TEXT("abcdef")) == STRSAFE_E_INSUFFICIENT_BUFFER);
  CHECK(text_equal(buffer, TEXT("abc")));
  CHECK(StringCbCat(buffer, sizeof(buffer), TEXT("de")) == S_OK);
  CHECK(text_equal(buffer, TEXT("abcde")));
}

static void test_code_pages(void) {
  WCHAR wide[16];
  char narrow[16];
  const char* cafe = "caf\xc3\xa9";
  /* Sizes: -1 counts the NUL; a length does not add one. */
  CHECK(MultiByteToWideChar(CP_UTF8, 0, cafe, -1, NULL, 0) == 5);
  CHECK(MultiByteToWideChar(CP_UTF8, 0, cafe, 5, NULL, 0) == 4);
  CHECK(MultiByteToWideChar(CP_UTF8, 0, cafe, -1, wide, 16) == 5);
  CHECK(wide[3] == 0xE9 && wide[4] == 0);
  if (ACP_IS_UTF8) CHECK(MultiByteToWideChar(CP_ACP, 0, cafe, -1, wide, 16) == 5);
  CHECK_ERROR(MultiByteToWideChar(CP_UTF8, 0, cafe, -1, wide, 4), 0, ERROR_INSUFFICIENT_BUFFER);
  CHECK_ERROR(MultiByteToWideChar(CP_UTF8, 0, cafe, 0, wide, 16), 0, ERROR_INVALID_PARAMETER);
  CHECK_ERROR(MultiByteToWideChar(CP_UTF8, 0, NULL, -1, wide, 16), 0, ERROR_INVALID_PARAMETER);
  if (!on_wine())
    CHECK_ERROR(MultiByteToWideChar(CP_UTF8, MB_PRECOMPOSED, cafe, -1, wide, 16), 0,
                ERROR_INVALID_FLAGS);
  /* Invalid UTF-8: U+FFFD, or an error when asked. */
  CHECK_ERROR(MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS,
                                  "a\xff"
                                  "b",
                                  -1, wide, 16),
              0, ERROR_NO_UNICODE_TRANSLATION);
  CHECK(MultiByteToWideChar(CP_UTF8, 0,
                            "a\xff"
                            "b",
                            -1, wide, 16) == 4);
  CHECK(wide[0] == 'a' && wide[1] == 0xFFFD && wide[2] == 'b');
  /* Beyond the BMP: a surrogate pair. */
  CHECK(MultiByteToWideChar(CP_UTF8, 0, "\xf0\x9f\x98\x80", -1, wide, 16) == 3);
  CHECK(wide[0] == 0xD83D && wide[1] == 0xDE00);
  CHECK(WideCharToMultiByte(CP_UTF8, 0, wide, -1, NULL, 0, NULL, NULL) == 5);
  CHECK(WideCharToMultiByte(CP_UTF8, 0, WSTR("caf\u00e9"), -1, narrow, 16, NULL, NULL) == 6);
  CHECK(strcmp(narrow, cafe) == 0);
  CHECK(WideCharToMultiByte(CP_UTF8, 0, WSTR("caf\u00e9"), 4, NULL, 0, NULL, NULL) == 5);
  CHECK_ERROR(WideCharToMultiByte(CP_UTF8, 0, WSTR("caf\u00e9"), -1, narrow, 5, NULL, NULL), 0,
              ERROR_INSUFFICIENT_BUFFER);
  {
    WCHAR lone[3] = {'x', 0xD800, 0};
    BOOL used = FALSE;
    CHECK_ERROR(
        WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, lone, -1, narrow, 16, NULL, NULL), 0,
        ERROR_NO_UNICODE_TRANSLATION);
    CHECK(WideCharToMultiByte(CP_UTF8, 0, lone, -1, narrow, 16, NULL, NULL) == 5);
    CHECK(strcmp(narrow, "x\xef\xbf\xbd") == 0);
    if (!on_wine()) {
      CHECK_ERROR(WideCharToMultiByte(CP_UTF8, 0, lone, -1, narrow, 16, "?", NULL), 0,
                  ERROR_INVALID_PARAMETER);
      CHECK_ERROR(WideCharToMultiByte(CP_UTF8, 0, lone, -1, narrow, 16, NULL, &used), 0,
                  ERROR_INVALID_PARAMETER);
    }
  }
}

static DWORD format_va(DWORD flags, LPCTSTR text, LPTSTR out, DWORD size, ...) {
  va_list list;
  DWORD n;
  va_start(list, size);
  n = FormatMessage(flags | FORMAT_MESSAGE_FROM_STRING, text, 0, 0, out, size, &list);
  va_end(list);
  return n;
}

static void test_format_message(void) {
  TCHAR buffer[128];
  LPTSTR allocated = NULL;
  DWORD_PTR inserts[4];
  DWORD n;
  /* System messages end with CR LF; the text and its NUL must fit. */
  n = FormatMessage(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL,
                    ERROR_PIPE_BUSY, MAKELANGID(LANG_NEUTRAL, SUBLANG_DEFAULT), buffer, 128, NULL);
  CHECK(n > 2 && (DWORD)lstrlen(buffer) == n && buffer[n - 2] == '\r' && buffer[n - 1] == '\n');
  if (!on_wine()) {
    CHECK(text_equal(buffer, TEXT("All pipe instances are busy.\r\n")));
  }
  CHECK_ERROR(FormatMessage(FORMAT_MESSAGE_FROM_SYSTEM, NULL, ERROR_PIPE_BUSY, 0, buffer, n, NULL),
              0, ERROR_INSUFFICIENT_BUFFER);
  CHECK(FormatMessage(FORMAT_MESSAGE_FROM_SYSTEM, NULL, ERROR_PIPE_BUSY, 0, buffer, n + 1, NULL) ==
        n);
  CHECK(FormatMessage(FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM |
                          FORMAT_MESSAGE_IGNORE_INSERTS,
                      NULL, ERROR_FILE_NOT_FOUND, 0, (LPTSTR)&allocated, 0, NULL) > 2);
  CHECK(allocated != NULL);
  if (!on_wine()) {
    CHECK(text_equal(allocated, TEXT("The system cannot find the file specified.\r\n")));
  }
  CHECK(LocalFree(allocated) == NULL);
  CHECK_ERROR(FormatMessage(FORMAT_MESSAGE_FROM_SYSTEM, NULL, 0x2345678, 0, buffer, 128, NULL), 0,
              ERROR_MR_MID_NOT_FOUND);
  /* Inserts from an array, with printf specs. */
  inserts[0] = (DWORD_PTR)TEXT("pipe");
  inserts[1] = 42;
  inserts[2] = 0xbeef;
  CHECK(FormatMessage(FORMAT_MESSAGE_FROM_STRING | FORMAT_MESSAGE_ARGUMENT_ARRAY,
                      TEXT("%1 has %2!d! (%3!04X!) %1%%%n"), 0, 0, buffer, 128,
                      (va_list*)inserts) == 26);
  CHECK(text_equal(buffer, TEXT("pipe has 42 (BEEF) pipe%\r\n")));
  /* From a va_list, in insert order. */
  CHECK(format_va(0, TEXT("%2-%1!u!"), buffer, 128, 7u, TEXT("x")) == 3);
  CHECK(text_equal(buffer, TEXT("x-7")));
  /* %0 ends without a newline; IGNORE_INSERTS copies inserts. */
  CHECK(format_va(0, TEXT("a%0b"), buffer, 128) == 1);
  CHECK(text_equal(buffer, TEXT("a")));
  CHECK(format_va(FORMAT_MESSAGE_IGNORE_INSERTS, TEXT("%1 %2!d! stay"), buffer, 128) == 13);
  CHECK(text_equal(buffer, TEXT("%1 %2!d! stay")));
  CHECK(format_va(FORMAT_MESSAGE_IGNORE_INSERTS, TEXT("x%%y%nz%0w"), buffer, 128) == 7);
  CHECK(text_equal(buffer, TEXT("x%%y\r\nz")));
  CHECK_ERROR(format_va(0, TEXT("ends in %"), buffer, 128), 0, ERROR_INVALID_PARAMETER);
  /* Line breaks in the text become CR LF; with a width, spaces. */
  CHECK(format_va(0, TEXT("a\nb\rc"), buffer, 128) == 7);
  CHECK(text_equal(buffer, TEXT("a\r\nb\r\nc")));
  CHECK(format_va(FORMAT_MESSAGE_MAX_WIDTH_MASK, TEXT("a\r\nb%nc"), buffer, 128) == 6);
  CHECK(text_equal(buffer, TEXT("a b\r\nc")));
  CHECK(format_va(0, TEXT("tab%tx%.%!"), buffer, 128) == 7);
  CHECK(text_equal(buffer, TEXT("tab\tx.!")));
  /* Sizing: the text and its NUL must fit. */
  CHECK(format_va(0, TEXT("12345"), buffer, 6) == 5);
  CHECK_ERROR(format_va(0, TEXT("123456"), buffer, 6), 0, ERROR_INSUFFICIENT_BUFFER);
  /* ALLOCATE_BUFFER: nSize is a minimum. */
  allocated = NULL;
  CHECK(FormatMessage(FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_STRING, TEXT("%1"), 0, 0,
                      (LPTSTR)&allocated, 0, (va_list*)0) == 0);
  CHECK(FormatMessage(FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_STRING, TEXT("hello"), 0,
                      0, (LPTSTR)&allocated, 0, NULL) == 5);
  CHECK(allocated && text_equal(allocated, TEXT("hello")));
  LocalFree(allocated);
}

static void test_environment(void) {
  TCHAR value[16];
  CHECK(SetEnvironmentVariable(TEXT("CONDUIT_TEXT_CHECK"), TEXT("value1")));
  CHECK(GetEnvironmentVariable(TEXT("CONDUIT_TEXT_CHECK"), value, 16) == 6);
  CHECK(text_equal(value, TEXT("value1")));
  /* Too small: the size needed with the NUL. */
  CHECK(GetEnvironmentVariable(TEXT("CONDUIT_TEXT_CHECK"), value, 6) == 7);
  CHECK(SetEnvironmentVariable(TEXT("CONDUIT_TEXT_CHECK"), NULL));
  CHECK_ERROR(GetEnvironmentVariable(TEXT("CONDUIT_TEXT_CHECK"), value, 16), 0,
              ERROR_ENVVAR_NOT_FOUND);
}

static void test_computer_name(void) {
  TCHAR name[MAX_COMPUTERNAME_LENGTH + 1];
  DWORD size = 1;
  DWORD needed;
  CHECK_ERROR(GetComputerName(name, &size), FALSE, ERROR_BUFFER_OVERFLOW);
  needed = size;
  CHECK(needed >= 2 && needed <= MAX_COMPUTERNAME_LENGTH + 1);
  size = MAX_COMPUTERNAME_LENGTH + 1;
  CHECK(GetComputerName(name, &size));
  CHECK(size == needed - 1 && (DWORD)lstrlen(name) == size);
}

static void test_modules(void) {
  HMODULE kernel32 = GetModuleHandle(TEXT("kernel32.dll"));
  CHECK(kernel32 != NULL);
  CHECK(GetModuleHandle(TEXT("KERNEL32")) == kernel32);
  CHECK(GetModuleHandle(NULL) != NULL);
  /* (through void (*)(void): the usual way to cast between function types) */
  CHECK(GetProcAddress(kernel32, "CreateNamedPipeA") == (FARPROC)(void (*)(void))CreateNamedPipeA);
  CHECK(GetProcAddress(kernel32, "FormatMessageW") == (FARPROC)(void (*)(void))FormatMessageW);
  CHECK_ERROR(GetProcAddress(kernel32, "NoSuchFunctionAnywhere"), (FARPROC)NULL,
              ERROR_PROC_NOT_FOUND);
  CHECK_ERROR(GetModuleHandle(TEXT("no-such-module.dll")), (HMODULE)NULL, ERROR_MOD_NOT_FOUND);
}

int _tmain(int argc, TCHAR* argv[]) {
  (void)argc;
  CHECK(argv[0] != NULL && lstrlen(argv[0]) > 0);
  test_tchar();
  test_lstr();
  test_wsprintf();
  test_strsafe();
  test_code_pages();
  test_format_message();
  test_environment();
  test_computer_name();
  test_modules();
#ifndef _WIN32 /* on Windows a window would wait for a click */
  CHECK(MessageBox(NULL, TEXT("a message box"), TEXT("text_api_check"), MB_OK) == IDOK);
  CHECK(MessageBox(NULL, TEXT("a question"), NULL, MB_YESNO | MB_DEFBUTTON2) == IDNO);
#endif
  printf("%d checks, %d failed\n", checks, failures);
  return failures ? 1 : 0;
}
