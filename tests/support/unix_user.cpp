#include "support/unix_user.hpp"

#include <pwd.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>

namespace conduit::test {

unix_user::unix_user() {
  static std::atomic<int> counter{0};
  name_ = "cdt" + std::to_string(::getpid()) + "u" + std::to_string(counter++);
  std::string add = "useradd -M -N -s /usr/sbin/nologin " + name_ + " >/dev/null 2>&1";
  if (::geteuid() != 0 || std::system(add.c_str()) != 0) {
    name_.clear();
    return;
  }
  passwd* entry = ::getpwnam(name_.c_str());
  if (entry) uid_ = entry->pw_uid;
}

unix_user::~unix_user() {
  if (name_.empty()) return;
  std::string del = "userdel " + name_ + " >/dev/null 2>&1";
  (void)std::system(del.c_str());
}

}  // namespace conduit::test
