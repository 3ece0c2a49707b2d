// conduitd as a service, run for real: its configuration file (bad lines
// named by file and line, caps that take effect) and its messages (levels,
// the journal's <N> prefixes when standard error is the journal).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "support/broker_process.hpp"
#include "support/helper_process.hpp"
#include "support/sandbox.hpp"

extern char** environ;

namespace conduit {
namespace {

using namespace std::chrono_literals;

// conduitd started with `args`, its standard error a pipe this test reads;
// with `journal`, JOURNAL_STREAM names that pipe, as systemd names the
// journal's stream. It says when it listens on a pipe of its own
// (--ready-fd 3, ready()).
class conduitd_run {
 public:
  conduitd_run(const std::vector<std::string>& args, bool journal) {
    int err[2], ready[2];
    if (::pipe2(err, O_CLOEXEC) != 0) return;
    err_.reset(err[0]);
    detail::unique_fd write_end(err[1]);
    if (::pipe2(ready, O_CLOEXEC) != 0) return;
    ready_.reset(ready[0]);
    detail::unique_fd ready_write(ready[1]);
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e)
      if (std::strncmp(*e, "JOURNAL_STREAM=", 15) != 0) env.emplace_back(*e);
    if (journal) {
      struct stat st {};
      ::fstat(write_end.get(), &st);
      env.push_back("JOURNAL_STREAM=" + std::to_string(st.st_dev) + ":" +
                    std::to_string(st.st_ino));
    }
    std::vector<std::string> argv = {test::beside_self("conduitd"), "--ready-fd", "3"};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> argp, envp;
    for (auto& a : argv) argp.push_back(a.data());
    argp.push_back(nullptr);
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, write_end.get(), 2);
    posix_spawn_file_actions_adddup2(&actions, ready_write.get(), 3);
    if (::posix_spawn(&pid_, argp[0], &actions, nullptr, argp.data(), envp.data()) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
  }
  ~conduitd_run() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      wait_exit(10s);
    }
  }
  conduitd_run(const conduitd_run&) = delete;
  conduitd_run& operator=(const conduitd_run&) = delete;

  // True once it listens (bounded).
  bool ready() {
    pollfd p{ready_.get(), POLLIN, 0};
    char byte = 0;
    return ::poll(&p, 1, 10'000) == 1 && ::read(ready_.get(), &byte, 1) == 1 && byte == 'R';
  }

  // Reads its messages until `text` has appeared (true) or 10 s passed.
  bool said(const std::string& text) {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (said_.find(text) == std::string::npos) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd p{err_.get(), POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) != 1) return false;
      char chunk[1024];
      ssize_t n = ::read(err_.get(), chunk, sizeof(chunk));
      if (n <= 0) return false;
      said_.append(chunk, static_cast<std::size_t>(n));
    }
    return true;
  }
  [[nodiscard]] const std::string& text() const { return said_; }

  // Its exit status (bounded), or -1.
  int wait_exit(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    int status = 0;
    while (std::chrono::steady_clock::now() < deadline) {
      pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        pid_ = -1;
        drain();
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      // Bounded polling on the child's end: its stderr closes when it exits.
      pollfd p{err_.get(), POLLIN, 0};
      if (::poll(&p, 1, 50) == 1) {
        char chunk[1024];
        ssize_t n = ::read(err_.get(), chunk, sizeof(chunk));
        if (n > 0) said_.append(chunk, static_cast<std::size_t>(n));
      }
    }
    return -1;
  }
  [[nodiscard]] pid_t pid() const { return pid_; }

 private:
  // Once it has exited: the rest of what it said, up to the end of file
  // (bounded, should a child of its hold the pipe).
  void drain() {
    pollfd p{err_.get(), POLLIN, 0};
    char chunk[1024];
    ssize_t n;
    while (::poll(&p, 1, 1000) == 1 && (n = ::read(err_.get(), chunk, sizeof(chunk))) > 0)
      said_.append(chunk, static_cast<std::size_t>(n));
  }

  pid_t pid_ = -1;
  detail::unique_fd err_, ready_;
  std::string said_;
};

class BrokerService : public test::sandbox {
 protected:
  std::string write_config(const std::string& text) {
    std::string path = runtime_dir_ + ".conf";
    std::ofstream(path) << text;
    return path;
  }
  void TearDown() override {
    ::unlink((runtime_dir_ + ".conf").c_str());
    sandbox::TearDown();
  }
};

TEST_F(BrokerService, BadConfigurationNamesEveryBadLineAndDoesNotStart) {
  std::string path = write_config(
      "# comment\n"
      "max-pipes = 4\n"
      "max-descriptors = 100\n"
      "waits-per-user = lots\n"
      "admin-group = no-such-group-anywhere\n");
  conduitd_run broker({"--runtime-dir", runtime_dir_, "--config", path}, false);
  EXPECT_EQ(broker.wait_exit(10s), 1);
  EXPECT_NE(broker.text().find("conduitd: error: " + path +
                               ":2: unknown setting \"max-pipes\" (known: max-descriptors"),
            std::string::npos)
      << broker.text();
  EXPECT_NE(broker.text().find(path +
                               ":4: waits-per-user: \"lots\" is no whole number from 1 to 1048576"),
            std::string::npos)
      << broker.text();
  EXPECT_NE(broker.text().find(path + ":5: admin-group: no group \"no-such-group-anywhere\""),
            std::string::npos)
      << broker.text();
  EXPECT_EQ(broker.text().find(":3:"), std::string::npos) << broker.text();
  EXPECT_NE(::access((runtime_dir_ + "/conduitd.sock").c_str(), F_OK), 0);
}

TEST_F(BrokerService, MissingConfigurationNamedOnTheCommandLine) {
  conduitd_run broker({"--runtime-dir", runtime_dir_, "--config", runtime_dir_ + "/none.conf"},
                      false);
  EXPECT_EQ(broker.wait_exit(10s), 1);
  EXPECT_NE(broker.text().find(runtime_dir_ + "/none.conf: cannot read: No such file or directory"),
            std::string::npos)
      << broker.text();
}

TEST_F(BrokerService, BadLogLevelIsAUsageError) {
  conduitd_run broker({"--runtime-dir", runtime_dir_, "--log-level", "chatty"}, false);
  EXPECT_EQ(broker.wait_exit(10s), 2);
  EXPECT_NE(broker.text().find("--log-level: \"chatty\" is none of"), std::string::npos);
}

TEST_F(BrokerService, ConfiguredCapsTakeEffect) {
  // 8 descriptors in all: the helper's connection (1) and three instances
  // (2 each) fit; a fourth does not.
  std::string path = write_config("max-descriptors = 8\n");
  conduitd_run broker({"--runtime-dir", runtime_dir_, "--config", path, "--log-level", "info"},
                      false);
  ASSERT_TRUE(broker.ready());
  EXPECT_TRUE(broker.said("(descriptors: 8, 8 per uid;")) << broker.text();
  test::helper_process helper;
  EXPECT_EQ(helper.call("create s1 " + pipe_name("a")), "ok");
  EXPECT_EQ(helper.call("create s2 " + pipe_name("b")), "ok");
  EXPECT_EQ(helper.call("create s3 " + pipe_name("c")), "ok");
  EXPECT_EQ(helper.call("create s4 " + pipe_name("d")), "err 1450");  // ERROR_NO_SYSTEM_RESOURCES
}

TEST_F(BrokerService, ConfiguredShareOfAUserTakeEffect) {
  // One uid may hold 5: its connection and two instances.
  std::string path = write_config("descriptors-per-user = 5\n");
  conduitd_run broker({"--runtime-dir", runtime_dir_, "--config", path, "--log-level", "info"},
                      false);
  ASSERT_TRUE(broker.ready());
  EXPECT_TRUE(broker.said(", 5 per uid;")) << broker.text();
  test::helper_process helper;
  EXPECT_EQ(helper.call("create s1 " + pipe_name("a")), "ok");
  EXPECT_EQ(helper.call("create s2 " + pipe_name("b")), "ok");
  EXPECT_EQ(helper.call("create s3 " + pipe_name("c")), "err 1816");  // ERROR_NOT_ENOUGH_QUOTA
}

TEST_F(BrokerService, JournalGetsPriorityPrefixes) {
  conduitd_run broker({"--runtime-dir", runtime_dir_, "--log-level", "debug"}, true);
  ASSERT_TRUE(broker.said("<6>session broker serving " + runtime_dir_ + "/conduitd.sock"))
      << broker.text();
  {
    detail::unique_fd peer(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::string path = runtime_dir_ + "/conduitd.sock";
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    ASSERT_EQ(::connect(peer.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_TRUE(broker.said(" connected: pid " + std::to_string(::getpid()) + ", uid " +
                            std::to_string(::getuid()) + "\n"))
        << broker.text();
  }
  EXPECT_TRUE(broker.said(" (pid " + std::to_string(::getpid()) + ") gone\n")) << broker.text();
  // Both at debug level, naming the peer by its id (whatever number it got).
  EXPECT_NE(broker.text().find("\n<7>peer "), std::string::npos) << broker.text();
  std::size_t arrived = broker.text().find(" connected: pid ");
  std::size_t left = broker.text().find(" (pid " + std::to_string(::getpid()) + ") gone");
  ASSERT_NE(arrived, std::string::npos);
  ASSERT_NE(left, std::string::npos);
  for (std::size_t at : {arrived, left}) {
    std::size_t line = broker.text().rfind('\n', at) + 1;
    EXPECT_EQ(broker.text().compare(line, 8, "<7>peer "), 0)
        << broker.text().substr(line, at - line);
  }
  ASSERT_EQ(::kill(broker.pid(), SIGTERM), 0);
  EXPECT_EQ(broker.wait_exit(10s), 0);
  EXPECT_NE(broker.text().find("<6>stopping on a signal\n"), std::string::npos) << broker.text();
  // No line without its prefix, none with the program's name (the journal adds it).
  std::size_t start = 0;
  while (start < broker.text().size()) {
    std::size_t end = broker.text().find('\n', start);
    std::string line = broker.text().substr(start, end - start);
    EXPECT_TRUE(line.size() > 3 && line[0] == '<' && line[2] == '>') << line;
    EXPECT_EQ(line.find("conduitd:"), std::string::npos) << line;
    start = end == std::string::npos ? end : end + 1;
  }
}

TEST_F(BrokerService, TerminalGetsNamedLevelsAndQuietDefault) {
  // The default level, notice, says nothing while all goes well; an error
  // says it is one.
  conduitd_run first({"--runtime-dir", runtime_dir_}, false);
  ASSERT_TRUE(first.ready());
  test::helper_process helper;
  ASSERT_EQ(helper.call("create s1 " + pipe_name()), "ok");
  conduitd_run second({"--runtime-dir", runtime_dir_}, false);
  EXPECT_EQ(second.wait_exit(10s), 1);
  EXPECT_EQ(second.text(),
            "conduitd: error: another conduitd already serves " + runtime_dir_ + "\n");
  ASSERT_EQ(::kill(first.pid(), SIGTERM), 0);
  EXPECT_EQ(first.wait_exit(10s), 0);
  EXPECT_EQ(first.text(), "");
}

}  // namespace
}  // namespace conduit
