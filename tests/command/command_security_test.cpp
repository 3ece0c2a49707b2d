// What `conduit list` and `info` show another user of a system broker:
// every name and its instance counts (as a listing of `\\.\pipe\` shows
// anyone on Windows), and the pipe's parameters, owner and server
// processes only where the pipe's descriptor would let that user open it.
// Needs root: the other user is a real one, made for the test.
#include <gtest/gtest.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "command/command_runner.hpp"
#include "support/other_user.hpp"
#include "support/sandbox.hpp"
#include "support/system_broker.hpp"
#include "support/unix_user.hpp"

namespace conduit::test {
namespace {

class CommandAcrossUsers : public sandbox {
 protected:
  void SetUp() override {
    sandbox::SetUp();
    if (::geteuid() != 0) GTEST_SKIP() << "acting as another user needs root";
    if (!can_create_users()) GTEST_SKIP() << "needs useradd";
    if (::access("/usr/bin/setpriv", X_OK) != 0) GTEST_SKIP() << "needs setpriv (util-linux)";
    stranger_ = std::make_unique<unix_user>("ctcmd");
    if (!runs_as(stranger_->uid(), conduit_command()))
      GTEST_SKIP() << "the build folder is not reachable by other users";
    ASSERT_TRUE(broker_.start(runtime_dir_));
  }
  void TearDown() override {
    servers_.clear();
    stranger_.reset();
    sandbox::TearDown();
  }
  std::string short_name(const std::string& suffix) {
    return pipe_name(suffix).substr(std::string("\\\\.\\pipe\\").size());
  }
  void serve(const std::string& name, std::vector<std::string> args = {}) {
    args.insert(args.begin(), {"serve", name});
    servers_.push_back(std::make_unique<running_command>(args));
    servers_.back()->read_until("conduit: serving", true);
  }
  // `conduit ARGS...` as the stranger.
  command_result as_stranger(const std::vector<std::string>& args) {
    std::vector<std::string> full{"--reuid=" + std::to_string(stranger_->uid()),
                                  "--regid=" + std::to_string(stranger_->gid()), "--clear-groups",
                                  conduit_command()};
    full.insert(full.end(), args.begin(), args.end());
    running_command c(full, "/usr/bin/setpriv");
    return c.finish();
  }

  system_broker broker_;
  std::unique_ptr<unix_user> stranger_;
  std::vector<std::unique_ptr<running_command>> servers_;
};

TEST_F(CommandAcrossUsers, StrangerSeesNamesAndCountsOfAPrivatePipe) {
  serve(short_name("private"), {"--sddl", "D:P(A;;GA;;;SY)", "--instances", "2"});
  serve(short_name("public"), {"--message"});
  auto r = as_stranger({"list", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  std::string private_name = "\\\\\\\\.\\\\pipe\\\\" + short_name("private");
  EXPECT_NE(r.out.find("{\"name\":\"" + private_name +
                       "\",\"instances\":2,\"max_instances\":255,\"listening\":2,"
                       "\"details\":false,\"type\":null,\"read_mode\":null,\"direction\":null,"
                       "\"owner\":null,\"servers\":null}"),
            std::string::npos)
      << r.out;
  // The default descriptor lets everyone read, so everyone may look.
  EXPECT_NE(r.out.find("\"listening\":1,\"details\":true,\"type\":\"message\""), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("\"servers\":[{\"pid\":" + std::to_string(servers_[1]->pid()) +
                       ",\"uid\":0,\"user\":\"root\"}]"),
            std::string::npos)
      << r.out;
  // No pid of the private pipe's server anywhere.
  EXPECT_EQ(r.out.find("\"pid\":" + std::to_string(servers_[0]->pid())), std::string::npos);

  r = as_stranger({"info", short_name("private")});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("details:     hidden"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("servers:"), std::string::npos) << r.out;
  r = as_stranger({"connect", short_name("private")});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("ERROR_ACCESS_DENIED (5)"), std::string::npos) << r.err;
  // Root (LocalSystem) sees it all.
  r = run_command({"info", short_name("private")});
  EXPECT_NE(r.out.find("servers:     " + std::to_string(servers_[0]->pid()) + "(root)"),
            std::string::npos)
      << r.out;
}

}  // namespace
}  // namespace conduit::test
