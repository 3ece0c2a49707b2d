// A Samba smbd of the test's own, for remote pipe tests: started in a
// network namespace private to the test process (on loopback, port 445),
// with a minimal smb.conf that keeps every state folder under a temporary
// root, its own password database, and no RPC helpers; stopped by its
// process group (its pid) and its root removed when the object goes, on
// every path.
//
//   if (!conduit::test::private_network()) GTEST_SKIP() << "needs namespaces";
//   conduit::test::unix_user alice;
//   conduit::test::smb_server smbd;
//   ASSERT_TRUE(smbd.start({{alice.name(), "Secret-1"}}, why)) << why;
//   smbd.np_dir();   // where the bridge serves pipes
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "core/unique_fd.hpp"

namespace conduit::test {

/// Moves this process (before it starts threads) into a network namespace
/// of its own with loopback up, once; true when it is in one. Children it
/// starts from then on share it, so an smbd on port 445 there is the
/// test's alone.
[[nodiscard]] bool private_network();

/// Whether smbd and smbpasswd are installed.
[[nodiscard]] bool samba_installed();

class smb_server {
 public:
  struct account {
    std::string name;  // an existing Unix user
    std::string password;
  };
  smb_server() = default;
  ~smb_server();
  smb_server(const smb_server&) = delete;
  smb_server& operator=(const smb_server&) = delete;

  /// Writes smb.conf and the accounts' passwords, starts smbd and waits
  /// (bounded) until it accepts SMB connections. `guest`: unknown users
  /// log in as guest (nobody) instead of failing. False with `why` set
  /// when a step fails. `extra`: more [global] lines, each ending in a newline.
  bool start(const std::vector<account>& accounts, std::string& why, bool guest = false,
             const std::string& extra = "");
  /// Kills smbd and every process it started (SIGKILL to its group), bounded.
  bool kill_hard();

  [[nodiscard]] const std::string& root() const { return root_; }
  [[nodiscard]] std::string conf() const { return root_ + "/smb.conf"; }
  /// smbd's `<ncalrpc dir>/np`: the bridge's sockets go there.
  [[nodiscard]] std::string np_dir() const { return root_ + "/ncalrpc/np"; }
  [[nodiscard]] pid_t pid() const { return pid_; }
  /// What smbd logged (its log file), for failure messages.
  [[nodiscard]] std::string log() const;

 private:
  std::string root_;
  pid_t pid_ = -1;
  detail::unique_fd pidfd_;
};

}  // namespace conduit::test
