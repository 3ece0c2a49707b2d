#include "runtime/broker_launch.hpp"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "conduit/error.hpp"
#include "core/runtime_dir.hpp"

extern char** environ;

namespace conduit::detail {
namespace {

// How long a starting broker may take to say it is ready.
constexpr int broker_start_timeout_ms = 10'000;
// Starts tried before giving up (see connect_or_start).
constexpr int broker_start_attempts = 4;
// Longest pause between tries while a system broker restarts.
constexpr int system_retry_max_ms = 1000;
// A session broker with no process connected exits after this many seconds.
constexpr const char* session_idle_exit_seconds = "30";

unique_fd try_connect(const std::string& dir) {
  std::string path = broker_socket_path(dir);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) return {};
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  unique_fd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!fd || ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return {};
  return fd;
}

// A broker is trusted when it runs as us, as root, or (for the system
// broker) as the owner of the system folder.
bool broker_is_trusted(int fd, const std::string& dir) {
  ucred cred{};
  socklen_t len = sizeof(cred);
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return false;
  if (cred.uid == ::geteuid() || cred.uid == 0) return true;
  struct stat st {};
  return dir == system_runtime_dir() && ::stat(dir.c_str(), &st) == 0 && st.st_uid == cred.uid;
}

// The session folder must be ours alone, or another user could stand in for
// the broker.
std::error_code prepare_private_dir(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return error_from_errno(errno);
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return error_from_errno(errno);
  if (!S_ISDIR(st.st_mode) || st.st_uid != ::geteuid() || (st.st_mode & 022) != 0)
    return errc::access_denied;
  return {};
}

std::string broker_executable() {
  if (const char* path = std::getenv("CONDUIT_BROKER"); path && *path) return path;
  char self[PATH_MAX] = {};
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n > 0) {
    std::string beside(self, static_cast<std::size_t>(n));
    beside = beside.substr(0, beside.rfind('/') + 1) + "conduitd";
    if (::access(beside.c_str(), X_OK) == 0) return beside;
  }
#ifdef CONDUIT_BROKER_INSTALL_PATH
  if (::access(CONDUIT_BROKER_INSTALL_PATH, X_OK) == 0) return CONDUIT_BROKER_INSTALL_PATH;
#endif
  return "conduitd";  // left to PATH
}

// Starts conduitd, which detaches itself (its own session, its parent gone),
// and waits until it says it is listening. posix_spawn rather than fork: the
// caller holds locks, and fork would run the atfork handlers that take them.
std::error_code spawn_broker(const std::string& dir) {
  int ready[2];
  if (::pipe2(ready, O_CLOEXEC) != 0) return error_from_errno(errno);
  unique_fd ready_read(ready[0]), ready_write(ready[1]);
  std::string exe = broker_executable();
  constexpr int child_ready_fd = 3;
  std::vector<std::string> args = {exe,
                                   "--runtime-dir",
                                   dir,
                                   "--idle-exit",
                                   session_idle_exit_seconds,
                                   "--detach",
                                   "--ready-fd",
                                   std::to_string(child_ready_fd)};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDWR, 0);
  posix_spawn_file_actions_adddup2(&actions, 0, 1);
  posix_spawn_file_actions_adddup2(&actions, 0, 2);
  posix_spawn_file_actions_adddup2(&actions, ready_write.get(), child_ready_fd);
  // Nothing of ours leaks into the broker, where it would outlive us.
  posix_spawn_file_actions_addclosefrom_np(&actions, child_ready_fd + 1);
  pid_t child = 0;
  int rc = exe.find('/') == std::string::npos
               ? ::posix_spawnp(&child, exe.c_str(), &actions, nullptr, argv.data(), environ)
               : ::posix_spawn(&child, exe.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return errc::service_not_active;
  ready_write.reset();
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  pollfd p{ready_read.get(), POLLIN, 0};
  int n;
  do {
    n = ::poll(&p, 1, broker_start_timeout_ms);
  } while (n < 0 && errno == EINTR);
  char byte = 0;
  if (n == 1 && ::read(ready_read.get(), &byte, 1) == 1 && byte == 'R') return {};
  // It may have lost a race to another broker that is now serving: the
  // caller tries to connect again either way.
  return errc::service_not_active;
}

unique_fd connect_or_start(const std::string& dir, std::error_code& ec) {
  if (auto fd = try_connect(dir)) return fd;
  if ((ec = prepare_private_dir(dir))) return {};
  unique_fd lock(::open(broker_spawn_lock_path(dir).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!lock) {
    ec = error_from_errno(errno);
    return {};
  }
  while (::flock(lock.get(), LOCK_EX) != 0 && errno == EINTR) {
  }
  // A broker that is exiting (idle) has left its socket but still holds its
  // lock for a moment, and a new one started then gives up: try a few times.
  for (int attempt = 0; attempt < broker_start_attempts; ++attempt) {
    if (auto fd = try_connect(dir)) return fd;  // someone else started it meanwhile
    if (attempt > 0) ::poll(nullptr, 0, 20 * attempt);
    spawn_broker(dir);
  }
  if (auto fd = try_connect(dir)) return fd;
  ec = errc::service_not_active;
  return {};
}

}  // namespace

unique_fd connect_broker(broker_kind& kind, const deadline& until, std::error_code& ec) {
  ec.clear();
  std::string dir = runtime_dir_override();
  if (dir.empty()) {
    std::string system = system_runtime_dir();
    for (int backoff_ms = 10;; backoff_ms = std::min(backoff_ms * 2, system_retry_max_ms)) {
      if (auto fd = try_connect(system); fd && broker_is_trusted(fd.get(), system)) {
        kind = broker_kind::system;
        return fd;
      }
      if (kind != broker_kind::system) break;
      int left = until.poll_timeout();
      if (left == 0) {
        ec = errc::service_not_active;
        return {};
      }
      ::poll(nullptr, 0, left < 0 ? backoff_ms : std::min(left, backoff_ms));
    }
    dir = session_runtime_dir();
  }
  unique_fd fd = connect_or_start(dir, ec);
  if (fd && !broker_is_trusted(fd.get(), dir)) {
    ec = errc::access_denied;
    return {};
  }
  if (fd) kind = dir == runtime_dir_override() ? broker_kind::configured : broker_kind::session;
  return fd;
}

}  // namespace conduit::detail
