// Real Unix users and groups for tests that act as other people: made with
// groupadd/useradd under names unique to the run, and removed again by their
// destructors on every path (a failed assertion included). Needs root.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace conduit::test {

/// A Unix group that exists while this object does.
class unix_group {
 public:
  /// Creates a group named `prefix` plus a suffix unique to this process.
  explicit unix_group(const std::string& prefix);
  ~unix_group();
  unix_group(const unix_group&) = delete;
  unix_group& operator=(const unix_group&) = delete;

  [[nodiscard]] bool valid() const { return gid_ != static_cast<gid_t>(-1); }
  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] gid_t gid() const { return gid_; }

 private:
  std::string name_;
  gid_t gid_ = static_cast<gid_t>(-1);
};

/// A Unix user (with a primary group of its own name) that exists while this
/// object does; `supplementary` groups are given to it as well.
class unix_user {
 public:
  explicit unix_user(const std::string& prefix,
                     const std::vector<const unix_group*>& supplementary = {});
  ~unix_user();
  unix_user(const unix_user&) = delete;
  unix_user& operator=(const unix_user&) = delete;

  [[nodiscard]] bool valid() const { return uid_ != static_cast<uid_t>(-1); }
  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] uid_t uid() const { return uid_; }
  [[nodiscard]] gid_t gid() const { return gid_; }
  /// The supplementary groups, as the user's processes carry them.
  [[nodiscard]] const std::vector<gid_t>& groups() const { return groups_; }

  /// In a child process: takes this user's groups, gid and uid for good.
  /// Returns false if any step failed (the caller should _exit).
  [[nodiscard]] bool become() const;

 private:
  std::string name_;
  uid_t uid_ = static_cast<uid_t>(-1);
  gid_t gid_ = static_cast<gid_t>(-1);
  std::vector<gid_t> groups_;
};

}  // namespace conduit::test
