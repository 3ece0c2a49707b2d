// Win32: FindFirstFile, FindNextFile and FindClose on `\\.\pipe\PATTERN`:
// the broker's pipe listing (conduit::list_pipes), filtered by the pattern
// here, handed out one entry at a time.
#include <cstring>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "conduit/error.hpp"
#include "conduit/pipe_listing.hpp"
#include "conduit/win32/windows.h"
#include "core/object_name.hpp"
#include "win32/api_guard.hpp"
#include "win32/handle_table.hpp"
#include "win32/kernel_object.hpp"
#include "win32/status.hpp"
#include "win32/text.hpp"

using namespace conduit::win32;

namespace {

struct found_pipe {
  std::string name;  // after `\pipe\`
  DWORD instances = 0;
};

// A search: the matches as they were at FindFirstFile, and where it is.
class find_object final : public kernel_object {
 public:
  explicit find_object(std::vector<found_pipe> matches) : matches_(std::move(matches)) {}
  // The next match, or false at the end.
  bool next(found_pipe& out) {
    std::lock_guard lock(mutex_);
    if (next_ >= matches_.size()) return false;
    out = matches_[next_++];
    return true;
  }

 private:
  std::mutex mutex_;
  std::vector<found_pipe> matches_;
  std::size_t next_ = 0;
};

// `*` any run of characters, `?` any one; both sides already case-folded.
// Iterative, remembering the last star: linear in practice, never
// exponential on a hostile pattern.
bool matches(std::string_view pattern, std::string_view name) {
  std::size_t p = 0, n = 0, star = std::string_view::npos, resume = 0;
  while (n < name.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == name[n])) {
      // `?` is one character: skip a whole UTF-8 sequence.
      if (pattern[p] == '?')
        while (n + 1 < name.size() && (static_cast<unsigned char>(name[n + 1]) & 0xC0) == 0x80) ++n;
      ++p;
      ++n;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = n;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      n = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

// The pattern after `\\.\pipe\`, or false (error set) for another path.
bool pipe_pattern(std::string_view path, std::string& pattern) {
  auto slash = [](char c) { return c == '\\' || c == '/'; };
  std::string_view prefix = "\\\\.\\pipe\\";
  if (path.size() < prefix.size()) {
    SetLastError(path.empty() ? ERROR_PATH_NOT_FOUND : ERROR_NOT_SUPPORTED);
    return false;
  }
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char a = path[i], b = prefix[i];
    bool same = slash(b) ? slash(a) : (a | 0x20) == b;
    if (!same) {
      SetLastError(ERROR_NOT_SUPPORTED);
      return false;
    }
  }
  pattern = std::string(path.substr(prefix.size()));
  return true;
}

// Every pipe matching `path`'s pattern, as the broker lists them now.
HANDLE find_first(std::string_view path, found_pipe& first) {
  std::string pattern;
  if (!pipe_pattern(path, pattern)) return INVALID_HANDLE_VALUE;
  std::string folded = conduit::detail::fold_case(pattern);
  if (pattern.empty() || folded.empty()) {
    SetLastError(ERROR_FILE_NOT_FOUND);
    return INVALID_HANDLE_VALUE;
  }
  std::error_code ec;
  auto pipes = conduit::list_pipes(ec);
  if (ec) {
    SetLastError(error_from_code(ec));
    return INVALID_HANDLE_VALUE;
  }
  std::vector<found_pipe> found;
  for (const auto& p : pipes) {
    conduit::detail::object_name name;
    if (conduit::detail::parse_object_name(p.name, conduit::detail::object_kind::pipe, name))
      continue;
    if (matches(folded, name.key)) found.push_back({name.path, p.current_instances});
  }
  if (found.empty()) {
    SetLastError(ERROR_FILE_NOT_FOUND);
    return INVALID_HANDLE_VALUE;
  }
  first = found.front();
  auto search = std::make_shared<find_object>(std::vector(found.begin() + 1, found.end()));
  HANDLE handle = insert_handle(search);
  return handle ? handle : INVALID_HANDLE_VALUE;
}

template <typename Data>
void fill_common(const found_pipe& pipe, Data* data) {
  std::memset(data, 0, sizeof(*data));
  data->dwFileAttributes = FILE_ATTRIBUTE_NORMAL;
  data->nFileSizeLow = pipe.instances;
}

void fill(const found_pipe& pipe, WIN32_FIND_DATAA* data) {
  fill_common(pipe, data);
  std::strncpy(data->cFileName, pipe.name.c_str(), MAX_PATH - 1);
}

void fill(const found_pipe& pipe, WIN32_FIND_DATAW* data) {
  fill_common(pipe, data);
  std::u16string wide = to_utf16(pipe.name);
  std::size_t n = std::min<std::size_t>(wide.size(), MAX_PATH - 1);
  std::memcpy(data->cFileName, wide.data(), n * sizeof(WCHAR));
}

template <typename Data>
HANDLE find_first_into(std::string_view path, Data* data) {
  found_pipe first;
  HANDLE handle = find_first(path, first);
  if (handle != INVALID_HANDLE_VALUE) fill(first, data);
  return handle;
}

template <typename Data>
BOOL find_next(HANDLE handle, Data* data) {
  auto search = lookup_as<find_object>(handle);
  if (!search) return FALSE;
  if (!data) return fail_bool(ERROR_INVALID_PARAMETER);
  found_pipe next;
  if (!search->next(next)) return fail_bool(ERROR_NO_MORE_FILES);
  fill(next, data);
  return TRUE;
}

}  // namespace

extern "C" {

HANDLE WINAPI FindFirstFileA(LPCSTR lpFileName, LPWIN32_FIND_DATAA lpFindFileData) {
  return guarded(INVALID_HANDLE_VALUE, [&] {
    if (!lpFileName || !lpFindFileData) {
      SetLastError(ERROR_INVALID_PARAMETER);
      return INVALID_HANDLE_VALUE;
    }
    return find_first_into(lpFileName, lpFindFileData);
  });
}

HANDLE WINAPI FindFirstFileW(LPCWSTR lpFileName, LPWIN32_FIND_DATAW lpFindFileData) {
  return guarded(INVALID_HANDLE_VALUE, [&] {
    if (!lpFileName || !lpFindFileData) {
      SetLastError(ERROR_INVALID_PARAMETER);
      return INVALID_HANDLE_VALUE;
    }
    auto path = to_utf8(lpFileName);
    if (!path) {
      SetLastError(ERROR_INVALID_NAME);
      return INVALID_HANDLE_VALUE;
    }
    return find_first_into(*path, lpFindFileData);
  });
}

BOOL WINAPI FindNextFileA(HANDLE hFindFile, LPWIN32_FIND_DATAA lpFindFileData) {
  return guarded(FALSE, [&] { return find_next(hFindFile, lpFindFileData); });
}

BOOL WINAPI FindNextFileW(HANDLE hFindFile, LPWIN32_FIND_DATAW lpFindFileData) {
  return guarded(FALSE, [&] { return find_next(hFindFile, lpFindFileData); });
}

BOOL WINAPI FindClose(HANDLE hFindFile) {
  return guarded(FALSE, [&]() -> BOOL {
    if (!lookup_as<find_object>(hFindFile)) return FALSE;
    return close_handle(hFindFile) ? TRUE : FALSE;
  });
}

}  // extern "C"
