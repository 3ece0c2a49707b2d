#include "support/unix_user.hpp"

#include <grp.h>
#include <pwd.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>

extern char** environ;

namespace conduit::test {
namespace {

// Runs an administration command (groupadd, useradd, ...) and says whether
// it succeeded. Its output goes where the test's goes.
bool run(std::vector<std::string> args) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  if (::posix_spawnp(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0) return false;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return false;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// Names unique to this process and object: "ct" + prefix + pid + counter,
// within the 32 characters useradd takes.
std::string unique_name(const std::string& prefix) {
  static std::atomic<unsigned> counter{0};
  return "ct" + prefix.substr(0, 10) + std::to_string(::getpid()) + "x" + std::to_string(counter++);
}

}  // namespace

unix_group::unix_group(const std::string& prefix) : name_(unique_name(prefix)) {
  if (!run({"groupadd", name_})) return;
  if (const group* g = ::getgrnam(name_.c_str())) gid_ = g->gr_gid;
}

unix_group::~unix_group() {
  if (valid()) run({"groupdel", name_});
}

unix_user::unix_user(const std::string& prefix, const std::vector<const unix_group*>& supplementary)
    : name_(unique_name(prefix)) {
  std::vector<std::string> args = {"useradd", "--no-create-home", "--user-group", "--shell",
                                   "/usr/sbin/nologin"};
  std::string list;
  for (const unix_group* g : supplementary) {
    if (!g || !g->valid()) return;
    list += (list.empty() ? "" : ",") + g->name();
    groups_.push_back(g->gid());
  }
  if (!list.empty()) args.insert(args.end(), {"--groups", list});
  args.push_back(name_);
  if (!run(args)) return;
  const passwd* p = ::getpwnam(name_.c_str());
  if (!p) {
    run({"userdel", name_});
    return;
  }
  uid_ = p->pw_uid;
  gid_ = p->pw_gid;
}

unix_user::~unix_user() {
  // userdel removes the user's own group with it (USERGROUPS_ENAB).
  if (valid()) run({"userdel", name_});
}

bool unix_user::become() const {
  return ::setgroups(groups_.size(), groups_.data()) == 0 && ::setresgid(gid_, gid_, gid_) == 0 &&
         ::setresuid(uid_, uid_, uid_) == 0;
}

}  // namespace conduit::test
