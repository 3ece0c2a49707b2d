#include "runtime/page_cache.hpp"

#include <pthread.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <mutex>
#include <vector>

namespace conduit::detail {
namespace {

// Pages kept mapped after their clients close: a client that connects again
// and again to the instances of a few pipes maps each page once.
constexpr std::size_t kept_pages = 16;

struct cached_page {
  dev_t device = 0;
  ino_t inode = 0;
  std::shared_ptr<const instance_page> page;
};

// While a mapping is kept, its file lives on, so no other file can have its
// device and inode number: a match is the same page, already checked (seals
// are never taken off, and they fix the size).
struct page_cache {
  std::mutex mutex;
  std::vector<cached_page> recent;  // the most recently used last
};

page_cache& cache() {
  static page_cache* pages = [] {
    auto* c = new page_cache();  // never destroyed: clients may close at exit
    // A child forked while another thread held the lock must not inherit it held.
    ::pthread_atfork([] { cache().mutex.lock(); }, [] { cache().mutex.unlock(); },
                     [] { cache().mutex.unlock(); });
    return c;
  }();
  return *pages;
}

}  // namespace

std::shared_ptr<const instance_page> map_client_page(int fd, std::error_code& ec) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ec = {errno, std::generic_category()};
    return nullptr;
  }
  page_cache& c = cache();
  {
    std::lock_guard lock(c.mutex);
    auto it = std::find_if(c.recent.begin(), c.recent.end(), [&](const cached_page& p) {
      return p.device == st.st_dev && p.inode == st.st_ino;
    });
    if (it != c.recent.end()) {
      std::rotate(it, it + 1, c.recent.end());
      ec.clear();
      return c.recent.back().page;
    }
  }
  auto page = std::make_shared<const instance_page>(instance_page::map_readonly(fd, ec));
  if (ec) return nullptr;
  std::lock_guard lock(c.mutex);
  c.recent.push_back({st.st_dev, st.st_ino, page});
  if (c.recent.size() > kept_pages) c.recent.erase(c.recent.begin());
  return page;
}

}  // namespace conduit::detail
