// MessageBox for console programs: the message goes to standard error and
// the default button answers.
#include <cstdio>
#include <string>

#include "conduit/win32/windows.h"
#include "win32/api_guard.hpp"
#include "win32/text.hpp"

namespace {

// The buttons of each MB_ type, in order.
int default_button(UINT type) {
  static constexpr int buttons[][3] = {
      {IDOK, IDOK, IDOK},                 // MB_OK
      {IDOK, IDCANCEL, IDCANCEL},         // MB_OKCANCEL
      {IDABORT, IDRETRY, IDIGNORE},       // MB_ABORTRETRYIGNORE
      {IDYES, IDNO, IDCANCEL},            // MB_YESNOCANCEL
      {IDYES, IDNO, IDNO},                // MB_YESNO
      {IDRETRY, IDCANCEL, IDCANCEL},      // MB_RETRYCANCEL
      {IDCANCEL, IDTRYAGAIN, IDCONTINUE}  // MB_CANCELTRYCONTINUE
  };
  UINT kind = type & 0xF;
  UINT which = (type >> 8) & 0x3;
  if (kind > 6 || which > 2) return IDOK;
  return buttons[kind][which];
}

int show(const std::string& text, const std::string& caption, UINT type) {
  std::fprintf(stderr, "%s: %s\n", caption.c_str(), text.c_str());
  std::fflush(stderr);
  return default_button(type);
}

std::string narrow(LPCWSTR text) {
  auto* units = reinterpret_cast<const char16_t*>(text);
  return *conduit::win32::utf16_to_utf8({units, conduit::win32::wide_length(units)}, false);
}

}  // namespace

extern "C" {

int WINAPI MessageBoxA(HWND, LPCSTR text, LPCSTR caption, UINT type) {
  return conduit::win32::guarded(
      0, [&] { return show(text ? text : "", caption ? caption : "Error", type); });
}

int WINAPI MessageBoxW(HWND, LPCWSTR text, LPCWSTR caption, UINT type) {
  return conduit::win32::guarded(
      0, [&] { return show(narrow(text), caption ? narrow(caption) : "Error", type); });
}

}  // extern "C"
