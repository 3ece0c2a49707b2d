// lstrlen, lstrcpy, lstrcpyn, lstrcat, lstrcmp, lstrcmpi (A and W).
#include <cstring>
#include <type_traits>

#include "conduit/win32/windows.h"
#include "win32/text.hpp"

namespace {

template <typename C>
std::size_t length(const C* s) {
  std::size_t n = 0;
  while (s[n]) ++n;
  return n;
}

// The letter's lower-case form for ASCII letters and, in UTF-16, Latin-1's
// (UTF-8 bytes above 0x7F are not letters by themselves); everything else
// is itself.
char32_t fold(char32_t c, bool wide) {
  if (c >= 'A' && c <= 'Z') return c + 32;
  if (wide && c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 32;
  return c;
}

// Windows' word sort for letters: case-blind first; then, if `case_matters`,
// lower case before upper case at the first difference.
template <typename C>
int compare(const C* a, const C* b, bool case_matters) {
  if (!a) a = reinterpret_cast<const C*>(u"");
  if (!b) b = reinterpret_cast<const C*>(u"");
  using U = std::make_unsigned_t<C>;
  int tie = 0;
  for (std::size_t i = 0;; ++i) {
    char32_t x = static_cast<U>(a[i]), y = static_cast<U>(b[i]);
    if (!x || !y) {
      if (x != y) return x ? 1 : -1;
      return case_matters ? tie : 0;
    }
    constexpr bool wide = sizeof(C) == 2;
    char32_t fx = fold(x, wide), fy = fold(y, wide);
    if (fx != fy) return fx < fy ? -1 : 1;
    if (!tie && x != y) tie = fold(x, wide) != x ? 1 : -1;  // upper after lower
  }
}

template <typename C>
C* copy_n(C* to, const C* from, int max) {
  if (!to || !from) return nullptr;
  if (max <= 0) return to;
  std::size_t n = 0;
  while (n + 1 < static_cast<std::size_t>(max) && from[n]) {
    to[n] = from[n];
    ++n;
  }
  to[n] = 0;
  return to;
}

template <typename C>
C* copy(C* to, const C* from) {
  if (!to || !from) return nullptr;
  std::memmove(to, from, (length(from) + 1) * sizeof(C));
  return to;
}

template <typename C>
C* append(C* to, const C* from) {
  if (!to || !from) return nullptr;
  copy(to + length(to), from);
  return to;
}

}  // namespace

extern "C" {

int WINAPI lstrlenA(LPCSTR s) {
  return s ? static_cast<int>(length(s)) : 0;
}
int WINAPI lstrlenW(LPCWSTR s) {
  return s ? static_cast<int>(length(s)) : 0;
}
LPSTR WINAPI lstrcpyA(LPSTR to, LPCSTR from) {
  return copy(to, from);
}
LPWSTR WINAPI lstrcpyW(LPWSTR to, LPCWSTR from) {
  return copy(to, from);
}
LPSTR WINAPI lstrcpynA(LPSTR to, LPCSTR from, int max) {
  return copy_n(to, from, max);
}
LPWSTR WINAPI lstrcpynW(LPWSTR to, LPCWSTR from, int max) {
  return copy_n(to, from, max);
}
LPSTR WINAPI lstrcatA(LPSTR to, LPCSTR from) {
  return append(to, from);
}
LPWSTR WINAPI lstrcatW(LPWSTR to, LPCWSTR from) {
  return append(to, from);
}
int WINAPI lstrcmpA(LPCSTR a, LPCSTR b) {
  return compare(a, b, true);
}
int WINAPI lstrcmpW(LPCWSTR a, LPCWSTR b) {
  return compare(a, b, true);
}
int WINAPI lstrcmpiA(LPCSTR a, LPCSTR b) {
  return compare(a, b, false);
}
int WINAPI lstrcmpiW(LPCWSTR a, LPCWSTR b) {
  return compare(a, b, false);
}

}  // extern "C"
