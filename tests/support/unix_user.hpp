// A real Unix user for a test: created with useradd under a name unique to
// this process, removed with userdel when the object goes, on every path.
#pragma once

#include <sys/types.h>

#include <string>

namespace conduit::test {

class unix_user {
 public:
  /// Creates the user (no home, no login shell). valid() says whether it
  /// worked; the test should skip when it did not (not root, no useradd).
  unix_user();
  ~unix_user();
  unix_user(const unix_user&) = delete;
  unix_user& operator=(const unix_user&) = delete;

  [[nodiscard]] bool valid() const { return uid_ != static_cast<uid_t>(-1); }
  [[nodiscard]] uid_t uid() const { return uid_; }
  [[nodiscard]] const std::string& name() const { return name_; }

 private:
  std::string name_;
  uid_t uid_ = static_cast<uid_t>(-1);
};

}  // namespace conduit::test
