#include "win32/share_table.hpp"

#include <map>
#include <mutex>
#include <utility>
#include <vector>

namespace conduit::win32 {
namespace {

struct open_handle {
  DWORD access;
  DWORD share;
};

struct table {
  std::mutex mutex;
  std::map<std::pair<dev_t, ino_t>, std::vector<open_handle>> files;
};

table& the_table() {
  static auto* t = new table();  // handles may close at exit
  return *t;
}

constexpr DWORD read_rights = FILE_READ_DATA;
constexpr DWORD write_rights = FILE_WRITE_DATA | FILE_APPEND_DATA;

// Whether a handle with `access` may be opened alongside one that shares `share`.
bool allowed_by(DWORD access, DWORD share) {
  if ((access & read_rights) && !(share & FILE_SHARE_READ)) return false;
  if ((access & write_rights) && !(share & FILE_SHARE_WRITE)) return false;
  if ((access & DELETE) && !(share & FILE_SHARE_DELETE)) return false;
  return true;
}

}  // namespace

bool share_entry::enter(dev_t dev, ino_t ino, DWORD access, DWORD share) {
  table& t = the_table();
  std::lock_guard lock(t.mutex);
  auto& handles = t.files[{dev, ino}];
  for (const open_handle& h : handles)
    if (!allowed_by(access, h.share) || !allowed_by(h.access, share)) {
      if (handles.empty()) t.files.erase({dev, ino});
      return false;
    }
  handles.push_back({access, share});
  entered_ = true;
  dev_ = dev;
  ino_ = ino;
  access_ = access;
  share_ = share;
  return true;
}

void share_entry::release() {
  if (!std::exchange(entered_, false)) return;
  table& t = the_table();
  std::lock_guard lock(t.mutex);
  auto it = t.files.find({dev_, ino_});
  if (it == t.files.end()) return;
  auto& handles = it->second;
  for (auto h = handles.begin(); h != handles.end(); ++h)
    if (h->access == access_ && h->share == share_) {
      handles.erase(h);
      break;
    }
  if (handles.empty()) t.files.erase(it);
}

bool may_delete(dev_t dev, ino_t ino) {
  table& t = the_table();
  std::lock_guard lock(t.mutex);
  auto it = t.files.find({dev, ino});
  if (it == t.files.end()) return true;
  for (const open_handle& h : it->second)
    if (!(h.share & FILE_SHARE_DELETE)) return false;
  return true;
}

}  // namespace conduit::win32
