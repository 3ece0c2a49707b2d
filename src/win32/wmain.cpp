// main() for UNICODE programs (libconduit-win32-main.a): converts the UTF-8
// arguments and environment to UTF-16 and calls the program's wmain. A
// static library, so a program with its own main never takes it.
//
// The program's wmain may be C (the unmangled name, whatever its
// parameters) or C++ (mangled by its parameters: (), (int, wchar_t**) or
// (int, wchar_t**, wchar_t**); the return type is not part of the name).
// Each is a weak reference: the one the program defines is called.
#include <cstdio>
#include <cstdlib>

#include "conduit/win32/windows.h"

extern "C" {
extern char** environ;
int c_wmain(int, char16_t**, char16_t**) __asm__("wmain") __attribute__((weak));
}
int cxx_wmain_void() __asm__("_Z5wmainv") __attribute__((weak));
int cxx_wmain_args(int, char16_t**) __asm__("_Z5wmainiPPw") __attribute__((weak));
int cxx_wmain_env(int, char16_t**, char16_t**) __asm__("_Z5wmainiPPwS0_") __attribute__((weak));

namespace {

// UTF-16 copies of `strings` (NULL-terminated), themselves NULL-terminated.
// Plain C memory: a C program links this without the C++ library.
char16_t** widen_all(char** strings) {
  std::size_t count = 0;
  while (strings && strings[count]) ++count;
  auto** out = static_cast<char16_t**>(std::calloc(count + 1, sizeof(char16_t*)));
  for (std::size_t i = 0; out && i < count; ++i) {
    int n = MultiByteToWideChar(CP_UTF8, 0, strings[i], -1, nullptr, 0);
    out[i] = static_cast<char16_t*>(std::calloc(n > 0 ? static_cast<std::size_t>(n) : 1, 2));
    if (!out[i]) {
      out = nullptr;
      break;
    }
    if (n > 0) MultiByteToWideChar(CP_UTF8, 0, strings[i], -1, reinterpret_cast<LPWSTR>(out[i]), n);
  }
  if (!out) {
    std::fputs("out of memory converting the arguments\n", stderr);
    std::exit(EXIT_FAILURE);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  // Kept for the life of the program, as the C runtime keeps argv.
  char16_t** wide_argv = widen_all(argv);
  char16_t** wide_environ = widen_all(environ);
  if (c_wmain) return c_wmain(argc, wide_argv, wide_environ);
  if (cxx_wmain_args) return cxx_wmain_args(argc, wide_argv);
  if (cxx_wmain_env) return cxx_wmain_env(argc, wide_argv, wide_environ);
  if (cxx_wmain_void) return cxx_wmain_void();
  std::fputs("this program has neither main nor wmain\n", stderr);
  return EXIT_FAILURE;
}
