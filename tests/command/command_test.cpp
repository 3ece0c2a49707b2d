// The `conduit` command driven as a user drives it: each test runs the real
// command in processes of its own against the test's own broker, and checks
// what it prints and its exit status.
#include <gtest/gtest.h>
#include <unistd.h>

#include <memory>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "command/command_runner.hpp"
#include "support/sandbox.hpp"

namespace conduit::test {
namespace {

class Command : public sandbox {
 protected:
  // `conduit serve NAME ARGS...`, returned once it serves.
  std::unique_ptr<running_command> serve(const std::string& name,
                                         std::vector<std::string> args = {}) {
    args.insert(args.begin(), {"serve", name});
    auto c = std::make_unique<running_command>(args);
    c->read_until("conduit: serving", true);
    return c;
  }
  // pipe_name() without `\\.\pipe\`, as a user types it.
  std::string short_name(const std::string& suffix) {
    return pipe_name(suffix).substr(std::string("\\\\.\\pipe\\").size());
  }
};

TEST_F(Command, ByteModeRoundTrip) {
  auto server = serve(short_name("echo"), {"--echo", "--instances", "2"});
  // A generous linger: the echo must come back however loaded the machine.
  auto r = run_command({"connect", "--linger", "3000", short_name("echo")}, "hello\nworld\n");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "hello\nworld\n");
  // The full name works as well as the short one.
  r = run_command({"connect", "--linger", "3000", pipe_name("echo")}, "again");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "again");
}

TEST_F(Command, MessageModeRoundTripAndCall) {
  auto server = serve(short_name("msg"), {"--message", "--echo"});
  auto r = run_command({"connect", "--message", "--linger", "3000", short_name("msg")},
                       "one\n\ntwo\nlast");
  EXPECT_EQ(r.status, 0) << r.err;
  // Every line is one message, the empty one too; each comes back as a line.
  EXPECT_EQ(r.out, "one\n\ntwo\nlast\n");
  r = run_command({"call", short_name("msg"), "ping"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "ping\n");
}

TEST_F(Command, ServePrintsWhatClientsSend) {
  auto server = serve(short_name("sink"), {"--clients", "2"});
  EXPECT_EQ(run_command({"connect", short_name("sink")}, "first\n").status, 0);
  EXPECT_EQ(run_command({"connect", short_name("sink")}, "second\n").status, 0);
  auto r = server->finish();
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "first\nsecond\n");
}

// inetd-style: twenty clients at once, each with a child of its own that
// knows its client.
TEST_F(Command, ExecGivesEachOfTwentyClientsItsOwnChild) {
  constexpr int clients = 20;
  auto server =
      serve(short_name("exec"), {"--instances", std::to_string(clients), "--exec", "/bin/sh", "-c",
                                 "read line; echo \"$line $CONDUIT_CLIENT_PID $CONDUIT_CLIENT_UID "
                                 "$CONDUIT_CLIENT_USER $$\"; read rest; echo \"bye $rest\""});
  std::vector<std::unique_ptr<running_command>> running;
  for (int i = 0; i < clients; ++i) {
    running.push_back(
        std::make_unique<running_command>(std::vector<std::string>{"connect", short_name("exec")}));
    running.back()->write("client" + std::to_string(i) + "\n");
  }
  // Every child has answered and waits for more: twenty at once.
  std::set<std::string> child_pids;
  for (int i = 0; i < clients; ++i) {
    std::string out = running[i]->read_until("\n");
    std::smatch m;
    ASSERT_TRUE(std::regex_match(out, m, std::regex("client(\\d+) (\\d+) (\\d+) (\\S+) (\\d+)\n")))
        << out;
    EXPECT_EQ(m[1], std::to_string(i));
    EXPECT_EQ(m[2], std::to_string(running[i]->pid()));  // the client's own pid
    EXPECT_EQ(m[3], std::to_string(::getuid()));
    EXPECT_FALSE(m[4].str().empty());
    child_pids.insert(m[5]);
  }
  EXPECT_EQ(child_pids.size(), static_cast<std::size_t>(clients));
  auto listing = run_command({"info", "--json", short_name("exec")});
  EXPECT_NE(listing.out.find("\"instances\":20,"), std::string::npos) << listing.out;
  EXPECT_NE(listing.out.find("\"listening\":0,"), std::string::npos) << listing.out;
  for (int i = 0; i < clients; ++i) {
    running[i]->write("now\n");
    auto r = running[i]->finish();
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("bye now\n"), std::string::npos) << r.out;
  }
}

// A child starts as any program would: SIGPIPE not ignored, so that a
// pipeline inside it ends as pipelines do.
TEST_F(Command, ExecChildKeepsDefaultSignals) {
  auto server =
      serve(short_name("signals"), {"--exec", "/bin/sh", "-c", "grep SigIgn /proc/self/status"});
  auto r = run_command({"connect", short_name("signals")});
  EXPECT_EQ(r.status, 0) << r.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex("SigIgn:\\s*([0-9a-f]+)"))) << r.out;
  unsigned long long ignored = std::stoull(m[1], nullptr, 16);
  EXPECT_EQ(ignored & (1ull << (13 - 1)), 0u) << r.out;  // SIGPIPE is 13
}

TEST_F(Command, ListJsonShowsWhatWasCreated) {
  auto bytes = serve(short_name("bytes"), {"--instances", "3"});
  auto messages =
      serve(short_name("messages"), {"--message", "--max-instances", "4", "--instances", "2"});
  auto r = run_command({"list", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  auto json_name = [&](const std::string& suffix) {
    std::string out;
    for (char c : pipe_name(suffix)) out += c == '\\' ? std::string("\\\\") : std::string(1, c);
    return out;
  };
  std::string bytes_entry = "{\"name\":\"" + json_name("bytes") +
                            "\",\"instances\":3,\"max_instances\":255,\"listening\":3,"
                            "\"details\":true,\"type\":\"byte\",\"read_mode\":\"byte\"";
  std::string messages_entry = "{\"name\":\"" + json_name("messages") +
                               "\",\"instances\":2,\"max_instances\":4,\"listening\":2,"
                               "\"details\":true,\"type\":\"message\",\"read_mode\":\"message\"";
  EXPECT_NE(r.out.find(bytes_entry), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(messages_entry), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"servers\":[{\"pid\":" + std::to_string(messages->pid()) +
                       ",\"uid\":" + std::to_string(::getuid())),
            std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.front(), '[');
  EXPECT_EQ(r.out.substr(r.out.size() - 2), "]\n");
  // The table says the same for people.
  r = run_command({"list"});
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(std::regex_search(r.out, std::regex(short_name("messages") + " +message +2 +4 +" +
                                                  std::to_string(messages->pid()) + "\\(")))
      << r.out;
  // Gone with its server.
  bytes->kill();
  r = run_command({"list", "--json"});
  EXPECT_EQ(r.out.find(json_name("bytes")), std::string::npos) << r.out;
}

TEST_F(Command, InfoDescribesOnePipe) {
  auto server = serve(short_name("info"), {"--message", "--max-instances", "7"});
  auto r = run_command({"info", short_name("INFO")});  // any case
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("instances:   1 of 7 (1 listening)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("type:        message"), std::string::npos);
  EXPECT_NE(r.out.find("read mode:   message"), std::string::npos);
  EXPECT_NE(r.out.find("direction:   duplex"), std::string::npos);
  EXPECT_NE(r.out.find("servers:     " + std::to_string(server->pid()) + "("), std::string::npos);
}

TEST_F(Command, MailslotSendAndReceive) {
  running_command reader({"mailslot", "create", "--count", "2", short_name("slot")});
  reader.read_until("conduit: reading", true);
  auto info = run_command({"mailslot", "info", short_name("slot")});
  EXPECT_EQ(info.status, 0) << info.err;
  EXPECT_NE(info.out.find("reader pid:       " + std::to_string(reader.pid())), std::string::npos)
      << info.out;
  EXPECT_EQ(run_command({"mailslot", "send", short_name("slot"), "one"}).status, 0);
  EXPECT_EQ(run_command({"mailslot", "send", short_name("slot"), "two words"}).status, 0);
  auto r = reader.finish();
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "one\ntwo words\n");
}

// Every failure: exit status 1 and the Win32 error named on stderr;
// every wrong command line: 2.
TEST_F(Command, ErrorsNameTheWin32CodeAndExitWithOne) {
  struct error_case {
    std::vector<std::string> args;
    std::string message;
  };
  std::string none = short_name("none");
  auto busy = serve(short_name("busy"), {"--max-instances", "1"});
  running_command holder({"connect", short_name("busy")});
  // Bounded: until the holder has taken the only instance.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (run_command({"info", "--json", short_name("busy")}).out.find("\"listening\":0,") ==
         std::string::npos)
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the holder never connected";
  auto slot = std::make_unique<running_command>(
      std::vector<std::string>{"mailslot", "create", short_name("taken")});
  slot->read_until("conduit: reading", true);
  for (const error_case& c : std::vector<error_case>{
           {{"connect", none},
            "conduit: connect " + pipe_name("none") +
                ": ERROR_FILE_NOT_FOUND (2): The system cannot find the file "
                "specified.\n"},
           {{"call", none, "x"}, "ERROR_FILE_NOT_FOUND (2)"},
           {{"wait", none}, "ERROR_FILE_NOT_FOUND (2)"},
           {{"info", none}, "ERROR_FILE_NOT_FOUND (2)"},
           {{"mailslot", "send", none, "x"}, "ERROR_FILE_NOT_FOUND (2)"},
           {{"mailslot", "info", none}, "ERROR_FILE_NOT_FOUND (2)"},
           {{"serve", "\\\\.\\pipe\\"}, "ERROR_INVALID_NAME (123)"},
           {{"serve", short_name("busy"), "--max-instances", "1"}, "ERROR_PIPE_BUSY (231)"},
           {{"connect", short_name("busy")}, "ERROR_PIPE_BUSY (231)"},
           {{"connect", "--wait", "100", short_name("busy")}, "ERROR_PIPE_BUSY (231)"},
           {{"wait", "--timeout", "100", short_name("busy")}, "ERROR_SEM_TIMEOUT (121)"},
           {{"connect", "--message", short_name("busy")}, "ERROR_PIPE_BUSY (231)"},
           {{"mailslot", "create", short_name("taken")}, "ERROR_ALREADY_EXISTS (183)"},
           {{"mailslot", "create", "--timeout", "100", short_name("quiet")},
            "ERROR_SEM_TIMEOUT (121)"},
       }) {
    auto r = run_command(c.args);
    EXPECT_EQ(r.status, 1) << c.args[0] << " " << c.args[1];
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.args[1] << ": " << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
  // connect --message on a byte pipe.
  auto bytes = serve(short_name("bytes"));
  auto r = run_command({"connect", "--message", short_name("bytes")});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("ERROR_INVALID_PARAMETER (87)"), std::string::npos) << r.err;
  holder.kill();
}

TEST_F(Command, NoBrokerFolderIsPathNotFound) {
  // A runtime folder that cannot be made: no broker can start there, and
  // the command says so as CreateFile would.
  running_command c({"list"}, {}, {"CONDUIT_RUNTIME_DIR=/proc/version/conduit"});
  auto r = c.finish();
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("conduit: list: ERROR_PATH_NOT_FOUND (3)"), std::string::npos) << r.err;
}

TEST_F(Command, UsageErrorsExitWithTwo) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {},
           {"bogus"},
           {"--bogus"},
           {"serve"},
           {"serve", "x", "--instances", "0"},
           {"serve", "x", "--instances", "many"},
           {"serve", "x", "--exec"},
           {"serve", "x", "--echo", "--exec", "cat"},
           {"connect"},
           {"connect", "x", "--wait", "-5"},
           {"call", "x"},
           {"mailslot"},
           {"mailslot", "send", "x"},
           {"bench", "--duration", "0"},
       }) {
    auto r = run_command(args);
    std::string line;
    for (const auto& a : args) line += a + " ";
    EXPECT_EQ(r.status, 2) << line << r.err;
    EXPECT_FALSE(r.err.empty()) << line;
  }
}

TEST_F(Command, HelpAndVersion) {
  auto r = run_command({"--version"});
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(std::regex_match(r.out, std::regex("conduit \\d+\\.\\d+\\.\\d+\n"))) << r.out;
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--help"},
           {"serve", "--help"},
           {"connect", "--help"},
           {"call", "--help"},
           {"wait", "--help"},
           {"info", "--help"},
           {"list", "--help"},
           {"mailslot", "--help"},
           {"mailslot", "create", "--help"},
           {"mailslot", "send", "--help"},
           {"mailslot", "info", "--help"},
           {"bench", "--help"},
           {"demo", "--help"},
       }) {
    r = run_command(args);
    EXPECT_EQ(r.status, 0) << args[0];
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << args[0] << ": " << r.out;
  }
}

TEST_F(Command, DemoRunsAndExitsZero) {
  auto r = run_command({"demo"}, {}, std::chrono::seconds(60));
  EXPECT_EQ(r.status, 0) << r.err;
  for (int i = 1; i <= 3; ++i)
    EXPECT_NE(r.out.find("got back \"hello from client " + std::to_string(i) + "\""),
              std::string::npos)
        << r.out;
  for (int i = 1; i <= 4; ++i)
    EXPECT_NE(r.out.find("reader got: news from writer " + std::to_string(i)), std::string::npos);
  EXPECT_NE(r.out.find("client 4: answer #"), std::string::npos);
  EXPECT_TRUE(r.err.empty()) << r.err;
}

TEST_F(Command, BenchJsonHasFourRatios) {
  auto r = run_command({"bench", "--json", "--duration", "20"}, {}, std::chrono::seconds(60));
  ASSERT_EQ(r.status, 0) << r.err;
  for (const char* name : {"ping-pong", "throughput", "message throughput", "connect rate"})
    EXPECT_TRUE(std::regex_search(
        r.out, std::regex(std::string("\\{\"name\":\"") + name +
                          "\",\"unit\":\"[^\"]+\",\"conduit\":[0-9.]+,\"raw\":[0-9.]+,"
                          "\"ratio\":[0-9.]+\\}")))
        << name << ": " << r.out;
  // Not on a terminal: no progress display.
  EXPECT_TRUE(r.err.empty()) << r.err;
}

TEST_F(Command, BenchPlotSaysWhenGnuplotIsMissing) {
  std::string png = runtime_dir_ + "/ratios.png";
  running_command without({"bench", "--duration", "10", "--plot", png}, {},
                          {"PATH=" + runtime_dir_});
  auto r = without.finish(std::chrono::seconds(60));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("gnuplot is not installed"), std::string::npos) << r.err;
  if (::access("/usr/bin/gnuplot", X_OK) != 0) GTEST_SKIP() << "gnuplot not installed";
  r = run_command({"bench", "--duration", "10", "--plot", png}, {}, std::chrono::seconds(60));
  EXPECT_EQ(r.status, 0) << r.err;
  FILE* f = std::fopen(png.c_str(), "rb");
  ASSERT_TRUE(f);
  unsigned char magic[4] = {};
  EXPECT_EQ(std::fread(magic, 1, 4, f), 4u);
  std::fclose(f);
  EXPECT_EQ(magic[1], 'P');
  EXPECT_EQ(magic[2], 'N');
  EXPECT_EQ(magic[3], 'G');
}

// Progress is drawn on a terminal (script(1) gives the command one) and
// never into a pipe.
TEST_F(Command, ProgressOnATerminalOnly) {
  if (::access("/usr/bin/script", X_OK) != 0) GTEST_SKIP() << "script(1) not installed";
  std::string line = conduit_command() + " bench --duration 150";
  running_command under_pty({"-qfec", line, "/dev/null"}, "/usr/bin/script");
  auto r = under_pty.finish(std::chrono::seconds(60));
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("\r\033[Kping-pong (conduit): "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ms of 150 ms ("), std::string::npos);
  // Piped: the same table, and not one control character.
  auto piped = run_command({"bench", "--duration", "20"}, {}, std::chrono::seconds(60));
  EXPECT_EQ(piped.status, 0);
  EXPECT_TRUE(piped.err.empty()) << piped.err;
  EXPECT_EQ(piped.out.find('\033'), std::string::npos);
  EXPECT_NE(piped.out.find("connect rate"), std::string::npos);
}

// A large transfer through connect shows its progress on a terminal too.
TEST_F(Command, ConnectShowsProgressOnATerminal) {
  if (::access("/usr/bin/script", X_OK) != 0) GTEST_SKIP() << "script(1) not installed";
  auto sink = serve(short_name("big"), {"--clients", "1"});
  // What the server prints is read all along, so that it never stops reading.
  command_result served;
  std::thread drain([&] { served = sink->finish(std::chrono::seconds(60)); });
  std::string line = "head -c 20000000 /dev/zero | " + conduit_command() + " connect --linger 0 " +
                     short_name("big") + " >/dev/null";
  running_command under_pty({"-qfec", line, "/dev/null"}, "/usr/bin/script");
  auto r = under_pty.finish(std::chrono::seconds(60));
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("\r\033[Ksent: "), std::string::npos) << r.out.substr(0, 300);
  drain.join();
  EXPECT_EQ(served.out.size(), 20000000u);
}

}  // namespace
}  // namespace conduit::test
