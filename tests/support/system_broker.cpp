#include "support/system_broker.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>
#include <vector>

#include "support/broker_process.hpp"

extern char** environ;

namespace conduit::test {

bool start_system_broker() {
  const char* dir = std::getenv("CONDUIT_RUNTIME_DIR");
  if (!dir || ::chmod(dir, 0755) != 0) return false;
  std::string exe = beside_self("conduitd");

  int ready[2];
  if (::pipe2(ready, O_CLOEXEC) != 0) return false;
  std::vector<std::string> args = {exe, "--system", "--runtime-dir", dir, "--idle-exit",
                                   "0", "--detach", "--ready-fd",    "3"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, ready[1], 3);
  pid_t child = 0;
  int rc = ::posix_spawn(&child, exe.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(ready[1]);
  bool up = false;
  if (rc == 0) {
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    pollfd p{ready[0], POLLIN, 0};
    char byte = 0;
    up = ::poll(&p, 1, 10'000) == 1 && ::read(ready[0], &byte, 1) == 1 && byte == 'R';
  }
  ::close(ready[0]);
  return up;
}

bool system_broker::start(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return false;
  return ::chmod(dir.c_str(), 0755) == 0 && broker_.start({"--system", "--runtime-dir", dir});
}

}  // namespace conduit::test
