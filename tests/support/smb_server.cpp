#include "support/smb_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/broker_process.hpp"

namespace conduit::test {
namespace {

constexpr const char* smbd_path = "/usr/sbin/smbd";
constexpr const char* smbpasswd_path = "/usr/bin/smbpasswd";

bool loopback_up() {
  detail::unique_fd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd) return false;
  ifreq ifr{};
  std::strcpy(ifr.ifr_name, "lo");
  if (::ioctl(fd.get(), SIOCGIFFLAGS, &ifr) != 0) return false;
  ifr.ifr_flags |= IFF_UP;
  return ::ioctl(fd.get(), SIOCSIFFLAGS, &ifr) == 0;
}

// Runs `argv` with `input` on its stdin; its exit status (bounded wait).
int run_with_input(const std::vector<std::string>& argv, const std::string& input) {
  int in[2];
  if (::pipe2(in, O_CLOEXEC) != 0) return -1;
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(in[0], 0);
    int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    ::dup2(null, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(in[0]);
  (void)!::write(in[1], input.data(), input.size());
  ::close(in[1]);
  detail::unique_fd pidfd(pidfd_open(pid));
  if (!exits_within(pidfd.get(), bound_ms)) {
    ::kill(pid, SIGKILL);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// True once something accepts TCP connections on 127.0.0.1:445. smbd has
// no readiness notification; each try is a connect that fails at once
// while nothing listens, and the tries are spaced by a bounded poll on
// smbd's pidfd, which also ends the wait early if smbd exits.
bool wait_listening(int pidfd, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    detail::unique_fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(445);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) return true;
    pollfd p{pidfd, POLLIN, 0};
    if (::poll(&p, 1, 20) > 0) return false;  // smbd exited
  }
  return false;
}

}  // namespace

bool private_network() {
  static const bool done = [] { return ::unshare(CLONE_NEWNET) == 0 && loopback_up(); }();
  return done;
}

bool samba_installed() {
  return ::access(smbd_path, X_OK) == 0 && ::access(smbpasswd_path, X_OK) == 0;
}

bool smb_server::start(const std::vector<account>& accounts, std::string& why, bool guest,
                       const std::string& extra) {
  char dir[] = "/tmp/conduit-smbd-XXXXXX";
  if (!::mkdtemp(dir)) {
    why = "mkdtemp failed";
    return false;
  }
  root_ = dir;
  for (const char* sub : {"lock", "state", "cache", "pid", "private", "ncalrpc", "log", "bind"})
    ::mkdir((root_ + "/" + sub).c_str(), 0700);
  ::mkdir(np_dir().c_str(), 0700);
  {
    std::ofstream conf(this->conf());
    conf << "[global]\n"
         << "  server role = standalone server\n"
         << "  workgroup = CONDUITTEST\n"
         << "  netbios name = CONDUITHOST\n"
         << "  disable netbios = yes\n"
         << "  smb ports = 445\n"
         << "  interfaces = lo\n"
         << "  bind interfaces only = yes\n"
         << "  rpc start on demand helpers = no\n"
         << "  lock directory = " << root_ << "/lock\n"
         << "  state directory = " << root_ << "/state\n"
         << "  cache directory = " << root_ << "/cache\n"
         << "  pid directory = " << root_ << "/pid\n"
         << "  private dir = " << root_ << "/private\n"
         << "  ncalrpc dir = " << root_ << "/ncalrpc\n"
         << "  binddns dir = " << root_ << "/bind\n"
         << "  log file = " << root_ << "/log/smbd.log\n"
         << "  log level = 1\n"
         << "  passdb backend = tdbsam:" << root_ << "/private/passdb.tdb\n"
         << "  load printers = no\n"
         << "  printing = bsd\n"
         << "  printcap name = /dev/null\n"
         << "  disable spoolss = yes\n"
         << "  server min protocol = SMB2_02\n"
         << (guest ? "  map to guest = bad user\n  guest account = nobody\n"
                   : "  map to guest = never\n")
         << extra;
    if (!conf) {
      why = "cannot write smb.conf";
      return false;
    }
  }
  for (const auto& a : accounts) {
    if (run_with_input({smbpasswd_path, "-c", conf(), "-a", "-s", a.name},
                       a.password + "\n" + a.password + "\n") != 0) {
      why = "smbpasswd -a " + a.name + " failed";
      return false;
    }
  }
  std::string log_path = root_ + "/log/stdout.log";
  pid_ = ::fork();
  if (pid_ < 0) {
    why = "fork failed";
    return false;
  }
  if (pid_ == 0) {
    ::setpgid(0, 0);                     // its own group: kill_hard reaches the children it forks
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // and it dies with a test killed hard
    int out = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(out, 1);
    ::dup2(out, 2);
    std::string c = conf();
    ::execl(smbd_path, smbd_path, "-s", c.c_str(), "--foreground", "--no-process-group",
            "--debug-stdout", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::setpgid(pid_, pid_);
  pidfd_ = detail::unique_fd(pidfd_open(pid_));
  if (!wait_listening(pidfd_.get(), bound_ms)) {
    why = "smbd did not listen in time:\n" + log();
    return false;
  }
  return true;
}

std::string smb_server::log() const {
  std::ostringstream out;
  for (const char* name : {"/log/stdout.log", "/log/smbd.log"}) {
    std::ifstream in(root_ + name);
    out << in.rdbuf();
  }
  return out.str();
}

bool smb_server::kill_hard() {
  if (pid_ <= 0) return true;
  ::kill(-pid_, SIGKILL);
  bool gone = exits_within(pidfd_.get(), bound_ms);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
  return gone;
}

smb_server::~smb_server() {
  if (pid_ > 0) {
    ::kill(-pid_, SIGTERM);
    if (!exits_within(pidfd_.get(), bound_ms)) ::kill(-pid_, SIGKILL);
    ::kill(-pid_, SIGKILL);  // children that outlive their parent
    ::waitpid(pid_, nullptr, 0);
  }
  if (!root_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
}

}  // namespace conduit::test
