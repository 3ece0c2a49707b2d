// GetEnvironmentVariable and SetEnvironmentVariable (A and W) on the C
// environment, and GetComputerName.
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <cstring>
#include <string>

#include "conduit/win32/windows.h"
#include "win32/api_guard.hpp"
#include "win32/text.hpp"

namespace {

bool valid_name(const std::string& name) {
  return !name.empty() && name.find('=') == std::string::npos;
}

std::optional<std::string> narrow(LPCWSTR text) {
  return conduit::win32::to_utf8(text);
}

// Delivers `value` into `buffer` of `size` characters as
// GetEnvironmentVariable and GetComputerName's callers expect.
template <typename C>
DWORD deliver(const std::basic_string<C>& value, C* buffer, DWORD size) {
  if (!buffer || value.size() + 1 > size) return static_cast<DWORD>(value.size() + 1);
  std::memcpy(buffer, value.c_str(), (value.size() + 1) * sizeof(C));
  return static_cast<DWORD>(value.size());
}

const char* lookup(const std::string& name) {
  if (!valid_name(name)) return nullptr;
  return std::getenv(name.c_str());
}

BOOL set(const std::string& name, const std::optional<std::string>& value) {
  if (!valid_name(name)) {
    SetLastError(ERROR_INVALID_PARAMETER);
    return FALSE;
  }
  int result = value ? setenv(name.c_str(), value->c_str(), 1) : unsetenv(name.c_str());
  if (result != 0) {
    SetLastError(ERROR_NOT_ENOUGH_MEMORY);
    return FALSE;
  }
  return TRUE;
}

// The NetBIOS name: the host name to its first '.', upper case, 15 at most.
std::string computer_name() {
  char host[HOST_NAME_MAX + 1] = {};
  if (gethostname(host, sizeof host - 1) != 0) return "LOCALHOST";
  std::string name(host);
  name = name.substr(0, name.find('.'));
  if (name.size() > MAX_COMPUTERNAME_LENGTH) name.resize(MAX_COMPUTERNAME_LENGTH);
  for (char& c : name)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
  return name;
}

template <typename C>
BOOL get_computer_name(const std::basic_string<C>& name, C* buffer, LPDWORD size) {
  if (!size) {
    SetLastError(ERROR_INVALID_PARAMETER);
    return FALSE;
  }
  if (!buffer || name.size() + 1 > *size) {
    *size = static_cast<DWORD>(name.size() + 1);
    SetLastError(ERROR_BUFFER_OVERFLOW);
    return FALSE;
  }
  std::memcpy(buffer, name.c_str(), (name.size() + 1) * sizeof(C));
  *size = static_cast<DWORD>(name.size());
  return TRUE;
}

DWORD do_get_environment_variable_a(LPCSTR name, LPSTR buffer, DWORD size) {
  const char* value = name ? lookup(name) : nullptr;
  if (!value) {
    SetLastError(ERROR_ENVVAR_NOT_FOUND);
    return 0;
  }
  SetLastError(ERROR_SUCCESS);
  return deliver(std::string(value), buffer, size);
}

DWORD do_get_environment_variable_w(LPCWSTR name, LPWSTR buffer, DWORD size) {
  auto key = narrow(name);
  const char* value = name && key ? lookup(*key) : nullptr;
  if (!value) {
    SetLastError(ERROR_ENVVAR_NOT_FOUND);
    return 0;
  }
  SetLastError(ERROR_SUCCESS);
  return deliver(conduit::win32::to_utf16(value), reinterpret_cast<char16_t*>(buffer), size);
}

BOOL do_set_environment_variable_a(LPCSTR name, LPCSTR value) {
  if (!name) {
    SetLastError(ERROR_INVALID_PARAMETER);
    return FALSE;
  }
  return set(name, value ? std::optional<std::string>(value) : std::nullopt);
}

BOOL do_set_environment_variable_w(LPCWSTR name, LPCWSTR value) {
  auto key = name ? narrow(name) : std::nullopt;
  std::optional<std::string> text;
  if (value) text = narrow(value);
  if (!key || (value && !text)) {
    SetLastError(ERROR_INVALID_PARAMETER);
    return FALSE;
  }
  return set(*key, text);
}

BOOL do_get_computer_name_a(LPSTR buffer, LPDWORD size) {
  return get_computer_name(computer_name(), buffer, size);
}

BOOL do_get_computer_name_w(LPWSTR buffer, LPDWORD size) {
  return get_computer_name(conduit::win32::to_utf16(computer_name()),
                           reinterpret_cast<char16_t*>(buffer), size);
}

}  // namespace

extern "C" {

DWORD WINAPI GetEnvironmentVariableA(LPCSTR name, LPSTR buffer, DWORD size) {
  return conduit::win32::guarded(DWORD{0},
                                 [&] { return do_get_environment_variable_a(name, buffer, size); });
}

DWORD WINAPI GetEnvironmentVariableW(LPCWSTR name, LPWSTR buffer, DWORD size) {
  return conduit::win32::guarded(DWORD{0},
                                 [&] { return do_get_environment_variable_w(name, buffer, size); });
}

BOOL WINAPI SetEnvironmentVariableA(LPCSTR name, LPCSTR value) {
  return conduit::win32::guarded(FALSE, [&] { return do_set_environment_variable_a(name, value); });
}

BOOL WINAPI SetEnvironmentVariableW(LPCWSTR name, LPCWSTR value) {
  return conduit::win32::guarded(FALSE, [&] { return do_set_environment_variable_w(name, value); });
}

BOOL WINAPI GetComputerNameA(LPSTR buffer, LPDWORD size) {
  return conduit::win32::guarded(FALSE, [&] { return do_get_computer_name_a(buffer, size); });
}

BOOL WINAPI GetComputerNameW(LPWSTR buffer, LPDWORD size) {
  return conduit::win32::guarded(FALSE, [&] { return do_get_computer_name_w(buffer, size); });
}

}  // extern "C"
