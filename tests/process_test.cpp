// The launcher: stdio redirection, the EOF rule, explicit inheritance, exit
// codes, waiting and termination. The children are real programs: /bin/sh,
// /bin/cat and conduit_test_child (child_main.cpp).
#include "conduit/process.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "conduit/error.hpp"

namespace conduit {
namespace {

using namespace std::chrono_literals;

std::string child_path() {
  char self[PATH_MAX] = {};
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
  std::string path(self, n > 0 ? static_cast<std::size_t>(n) : 0);
  return path.substr(0, path.rfind('/') + 1) + "conduit_test_child";
}

std::vector<std::string> child(std::vector<std::string> steps) {
  steps.insert(steps.begin(), child_path());
  return steps;
}

// "pipe:[1234]": how /proc names the pipe behind a descriptor.
std::string pipe_id(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return "?";
  return "pipe:[" + std::to_string(st.st_ino) + "]";
}

std::string link_of(int fd) {
  char target[PATH_MAX] = {};
  std::string link = "/proc/self/fd/" + std::to_string(fd);
  ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
  return n > 0 ? std::string(target, static_cast<std::size_t>(n)) : "?";
}

// Parses the "fds" step's output ("fd target" lines up to "end") and
// returns the rest of the text.
std::map<int, std::string> parse_fds(const std::string& output, std::string* rest = nullptr) {
  std::map<int, std::string> fds;
  std::istringstream in(output);
  std::string line;
  while (std::getline(in, line) && line != "end") {
    auto space = line.find(' ');
    fds[std::stoi(line.substr(0, space))] = line.substr(space + 1);
  }
  if (rest) {
    std::ostringstream tail;
    tail << in.rdbuf();
    *rest = tail.str();
  }
  return fds;
}

// Reads until `marker` has arrived, for a child that keeps running after
// printing it; bounded by `timeout`.
std::string read_until(anonymous_read_end& end, const std::string& marker,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  std::string text;
  auto until = std::chrono::steady_clock::now() + timeout;
  while (text.find(marker) == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    if (left.count() <= 0 || !end.wait_readable(left)) {
      ADD_FAILURE() << "no \"" << marker << "\" within the timeout; got: " << text;
      break;
    }
    std::string chunk(4096, '\0');
    std::error_code ec;
    chunk.resize(end.read(std::as_writable_bytes(std::span(chunk)), ec));
    if (ec) break;
    text += chunk;
  }
  return text;
}

class ProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/conduit-process-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    dir_ = dir;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::filesystem::path dir_;
};

// --- stdio -------------------------------------------------------------------

TEST_F(ProcessTest, ParentWritesStdinAndReadsStdoutThroughPipes) {
  auto in = anonymous_pipe::create();
  auto out = anonymous_pipe::create();
  auto cat = process::launch({
      .argv = {"/bin/cat"},
      .std_input = in.read_end,
      .std_output = out.write_end,
  });
  // The seed's rule: the parent keeps only its own ends.
  in.read_end.close();
  out.write_end.close();
  std::string text;
  for (int i = 0; i < 20000; ++i) text += "line " + std::to_string(i) + "\n";
  // More than both pipes hold: write from a thread while this one reads.
  std::thread writer([&] {
    in.write_end.write(text);
    in.write_end.close();
  });
  std::string echoed = out.read_end.read_to_end(30s);
  writer.join();
  EXPECT_TRUE(echoed == text) << echoed.size() << " of " << text.size() << " bytes";
  EXPECT_EQ(cat.wait(10s), 0u);
}

TEST_F(ProcessTest, ShellCommandOutputInOneCall) {
  auto sh = process::launch({
      .argv = {"/bin/sh", "-c", "echo out; echo err >&2; exit 7"},
      .std_output = stdio::pipe(),
      .std_error = stdio::pipe(),
  });
  EXPECT_TRUE(sh.std_output().is_open());
  EXPECT_FALSE(sh.std_input().is_open());
  EXPECT_EQ(sh.std_output().read_to_end(10s), "out\n");
  EXPECT_EQ(sh.std_error().read_to_end(10s), "err\n");
  EXPECT_EQ(sh.wait(10s), 7u);
}

TEST_F(ProcessTest, StdioPipeGivesTheParentTheOtherEnd) {
  auto cat = process::launch({
      .argv = {"cat"},  // found on PATH
      .std_input = stdio::pipe(),
      .std_output = stdio::pipe(),
  });
  cat.std_input().write("through\n");
  cat.std_input().close();
  EXPECT_EQ(cat.std_output().read_to_end(10s), "through\n");
  EXPECT_EQ(cat.wait(10s), 0u);
}

TEST_F(ProcessTest, BothOutputsIntoOnePipe) {
  auto [read_end, write_end] = anonymous_pipe::create();
  auto sh = process::launch({
      .argv = {"/bin/sh", "-c", "echo a; echo b >&2; echo c"},
      .std_output = write_end,
      .std_error = write_end,
  });
  write_end.close();
  EXPECT_EQ(read_end.read_to_end(10s), "a\nb\nc\n");
  EXPECT_EQ(sh.wait(10s), 0u);
}

TEST_F(ProcessTest, FilesForInputAndOutput) {
  auto input = dir_ / "in.txt";
  std::ofstream(input) << "from a file\n";
  auto output = dir_ / "out.txt";
  std::ofstream(output) << "old content that is longer\n";
  auto cat = process::launch({
      .argv = child({"cat", "echo-err", "to-stderr"}),
      .std_input = stdio::file(input),
      .std_output = stdio::file(output),
      .std_error = stdio::append_to(dir_ / "err.txt"),
  });
  EXPECT_EQ(cat.wait(10s), 0u);
  auto again = process::launch({
      .argv = child({"echo-err", "again"}),
      .std_error = stdio::append_to(dir_ / "err.txt"),
  });
  EXPECT_EQ(again.wait(10s), 0u);
  std::stringstream out, err;
  out << std::ifstream(output).rdbuf();
  err << std::ifstream(dir_ / "err.txt").rdbuf();
  EXPECT_EQ(out.str(), "from a file\n");
  EXPECT_EQ(err.str(), "to-stderr\nagain\n");
}

TEST_F(ProcessTest, NullClosedAndInherited) {
  auto child_run = process::launch({
      .argv = child({"fds", "cat"}),
      .std_input = stdio::null(),
      .std_output = stdio::pipe(),
      .std_error = stdio::closed(),
  });
  std::string rest;
  auto fds = parse_fds(child_run.std_output().read_to_end(10s), &rest);
  EXPECT_EQ(child_run.wait(10s), 0u);
  EXPECT_EQ(fds[0], "/dev/null");
  EXPECT_EQ(fds.count(2), 0u) << "stderr should be closed";
  EXPECT_EQ(rest, "");  // cat read nothing from /dev/null

  // Inherit: the child's stderr is this process's.
  auto inheriting = process::launch({.argv = child({"fds"}), .std_output = stdio::pipe()});
  fds = parse_fds(inheriting.std_output().read_to_end(10s));
  EXPECT_EQ(inheriting.wait(10s), 0u);
  if (::fcntl(2, F_GETFD) >= 0) {
    EXPECT_EQ(fds[2], link_of(2));
  }
}

TEST_F(ProcessTest, NativeDescriptorsAmongZeroToTwoAreShuffledSafely) {
  // The child's stdout is the parent's pipe placed at fd 0 in the parent,
  // its stdin the parent's fd 1: the launcher must not let one dup2 clobber
  // the source of the next.
  auto out = anonymous_pipe::create();
  auto in = anonymous_pipe::create();
  int saved0 = ::fcntl(0, F_DUPFD_CLOEXEC, 3);
  int saved1 = ::fcntl(1, F_DUPFD_CLOEXEC, 3);
  ASSERT_GE(saved0, 0);
  ASSERT_GE(saved1, 0);
  ASSERT_EQ(::dup3(out.write_end.native_handle(), 0, O_CLOEXEC), 0);
  ASSERT_EQ(::dup3(in.read_end.native_handle(), 1, O_CLOEXEC), 1);
  std::error_code ec;
  auto cat = process::launch(
      {.argv = {"/bin/cat"}, .std_input = stdio::native(1), .std_output = stdio::native(0)}, ec);
  ::dup3(saved0, 0, 0);
  ::dup3(saved1, 1, 0);
  ::close(saved0);
  ::close(saved1);
  ASSERT_FALSE(ec) << ec.message();
  in.read_end.close();
  out.write_end.close();
  in.write_end.write("swapped\n");
  in.write_end.close();
  EXPECT_EQ(out.read_end.read_to_end(10s), "swapped\n");
  EXPECT_EQ(cat.wait(10s), 0u);
}

TEST_F(ProcessTest, SignalStateStartsClean) {
  // A parent that ignores SIGPIPE and blocks SIGTERM must not pass that on.
  struct sigaction ignore = {};
  struct sigaction old_action = {};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ignore, &old_action);
  sigset_t block, old_mask;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  ::pthread_sigmask(SIG_BLOCK, &block, &old_mask);
  auto c = process::launch({.argv = child({"sigpipe", "sigmask"}), .std_output = stdio::pipe()});
  ::pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  ::sigaction(SIGPIPE, &old_action, nullptr);
  EXPECT_EQ(c.std_output().read_to_end(10s), "default\nempty\n");
  EXPECT_EQ(c.wait(10s), 0u);
}

TEST_F(ProcessTest, EnvironmentArgvAndWorkingDirectory) {
  auto c = process::launch({
      .argv = child({"env", "GREETING", "env", "HOME", "cwd", "args", "two words", "", "q\"uote"}),
      .environment = std::vector<std::string>{"GREETING=hello"},
      .working_directory = dir_,
      .std_output = stdio::pipe(),
  });
  std::string expected =
      "hello\n(unset)\n" + std::filesystem::canonical(dir_).string() + "\ntwo words\n\nq\"uote\n";
  EXPECT_EQ(c.std_output().read_to_end(10s), expected);
  EXPECT_EQ(c.wait(10s), 0u);
}

TEST_F(ProcessTest, ProgramSeparateFromArgvZero) {
  auto c = process::launch({
      .argv = {"pretend-name", "-c", "echo $0"},
      .program = "/bin/sh",
      .std_output = stdio::pipe(),
  });
  EXPECT_EQ(c.std_output().read_to_end(10s), "pretend-name\n");
  EXPECT_EQ(c.wait(10s), 0u);
}

// --- the EOF rule ---------------------------------------------------------------

TEST_F(ProcessTest, ChildGetsNoStrayWriteEndSoItSeesEof) {
  // The seed's step 6: if the child held the write end of its own stdin
  // pipe, cat would never see EOF and never exit. The end is even marked
  // inheritable here: the mark alone passes nothing.
  auto in = anonymous_pipe::create({.inheritable_write = true});
  auto out = anonymous_pipe::create();
  auto cat = process::launch({
      .argv = child({"fds", "cat"}),
      .std_input = in.read_end,
      .std_output = out.write_end,
  });
  in.read_end.close();
  out.write_end.close();
  in.write_end.write("payload\n");
  std::string stray = pipe_id(in.write_end.native_handle());
  in.write_end.close();
  std::string rest;
  auto fds = parse_fds(out.read_end.read_to_end(10s), &rest);
  EXPECT_EQ(rest, "payload\n");
  EXPECT_EQ(cat.wait(10s), 0u);
  EXPECT_EQ(fds[0], stray);  // stdin is that pipe, read side only
  for (auto& [fd, target] : fds) EXPECT_TRUE(fd <= 2) << fd << " " << target;
}

TEST_F(ProcessTest, DescriptorsOpenedWithoutCloexecDoNotReachTheChild) {
  // Code outside conduit may make descriptors without O_CLOEXEC; by default
  // the child closes them, so such a stray write end cannot hold EOF back.
  int raw[2];
  ASSERT_EQ(::pipe(raw), 0);
  auto in = anonymous_pipe::create();
  auto c = process::launch({
      .argv = child({"fds", "hold"}),
      .std_input = in.read_end,
      .std_output = stdio::pipe(),
  });
  in.read_end.close();
  in.write_end.close();
  auto fds = parse_fds(c.std_output().read_to_end(10s));
  EXPECT_EQ(c.wait(10s), 0u);
  EXPECT_EQ(fds.count(raw[0]), 0u);
  EXPECT_EQ(fds.count(raw[1]), 0u);
  ::close(raw[0]);
  // Nobody else holds the raw write end: EOF at once.
  ::close(raw[1]);

  // With close_other_descriptors off, only close-on-exec protects: the raw
  // descriptor leaks, conduit's ends still do not.
  ASSERT_EQ(::pipe(raw), 0);
  auto mine = anonymous_pipe::create();
  auto leaky = process::launch({
      .argv = child({"fds"}),
      .std_output = stdio::pipe(),
      .close_other_descriptors = false,
  });
  fds = parse_fds(leaky.std_output().read_to_end(10s));
  EXPECT_EQ(leaky.wait(10s), 0u);
  EXPECT_EQ(fds[raw[1]], pipe_id(raw[1]));
  EXPECT_EQ(fds.count(mine.read_end.native_handle()), 0u);
  EXPECT_EQ(fds.count(mine.write_end.native_handle()), 0u);
  ::close(raw[0]);
  ::close(raw[1]);
}

TEST_F(ProcessTest, ExplicitlyInheritedWriteEndKeepsThePipeOpen) {
  // As on Windows: a child that holds a write end keeps the reader from EOF
  // until it closes it or dies.
  auto pipe = anonymous_pipe::create();
  pipe.write_end.set_inheritable(true);
  auto holder = process::launch({
      .argv = child({"fds", "hold"}),
      .std_input = stdio::pipe(),
      .std_output = stdio::pipe(),
      .inherited_handles = {pipe.write_end},
  });
  int number = pipe.write_end.native_handle();
  std::string id = pipe_id(number);
  pipe.write_end.close();
  auto fds = parse_fds(read_until(holder.std_output(), "end\n"));
  EXPECT_EQ(fds[number], id) << "inherited at the same number";
  EXPECT_EQ(fds.size(), 4u);

  // The child's copy is the only writer left, and it is alive: no EOF.
  EXPECT_FALSE(pipe.read_end.wait_readable(200ms));
  EXPECT_EQ(holder.exit_code(), std::nullopt);

  holder.terminate(9);
  EXPECT_EQ(holder.wait(10s), 9u);
  ASSERT_TRUE(pipe.read_end.wait_readable(10s));
  std::error_code ec;
  std::string buffer(8, '\0');
  EXPECT_EQ(pipe.read_end.read(std::as_writable_bytes(std::span(buffer)), ec), 0u);
  EXPECT_EQ(ec, errc::broken_pipe);
}

TEST_F(ProcessTest, InheritedNativeDescriptorAndReadEnd) {
  auto a = anonymous_pipe::create();
  auto b = anonymous_pipe::create({.inheritable_read = true});
  int raw = ::fcntl(a.read_end.native_handle(), F_DUPFD_CLOEXEC, 3);
  auto c = process::launch({
      .argv = child({"fds"}),
      .std_output = stdio::pipe(),
      .inherited_handles = {inherited_handle::native(raw), b.read_end},
  });
  auto fds = parse_fds(c.std_output().read_to_end(10s));
  EXPECT_EQ(c.wait(10s), 0u);
  EXPECT_EQ(fds[raw], pipe_id(raw));
  EXPECT_EQ(fds[b.read_end.native_handle()], pipe_id(b.read_end.native_handle()));
  EXPECT_EQ(fds.count(a.read_end.native_handle()), 0u);
  // In this process the copies are still close-on-exec.
  EXPECT_TRUE(::fcntl(raw, F_GETFD) & FD_CLOEXEC);
  EXPECT_TRUE(::fcntl(b.read_end.native_handle(), F_GETFD) & FD_CLOEXEC);
  ::close(raw);
}

TEST_F(ProcessTest, HighInheritedDescriptorStillClosesTheGaps) {
  // Above 4096 descriptors of gap the launcher lists /proc/self/fd rather
  // than closing every number below the inherited one.
  rlimit limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &limit), 0);
  if (limit.rlim_cur < 6000 && limit.rlim_max >= 6000) {
    rlimit raised = limit;
    raised.rlim_cur = 6000;
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &raised), 0);
  }
  auto pipe = anonymous_pipe::create({.inheritable_write = true});
  int high = ::fcntl(pipe.write_end.native_handle(), F_DUPFD_CLOEXEC, 5000);
  if (high < 0) GTEST_SKIP() << "cannot open descriptor 5000";
  auto high_end = anonymous_write_end::from_native_handle(high, true);
  int raw[2];
  ASSERT_EQ(::pipe(raw), 0);  // no O_CLOEXEC, somewhere in the gap
  auto c = process::launch({
      .argv = child({"fds"}),
      .std_output = stdio::pipe(),
      .inherited_handles = {high_end},
  });
  auto fds = parse_fds(c.std_output().read_to_end(10s));
  EXPECT_EQ(c.wait(10s), 0u);
  EXPECT_EQ(fds[high], pipe_id(high));
  EXPECT_EQ(fds.count(raw[0]), 0u);
  EXPECT_EQ(fds.count(raw[1]), 0u);
  EXPECT_EQ(fds.size(), 4u);
  ::close(raw[0]);
  ::close(raw[1]);
}

TEST_F(ProcessTest, ConcurrentLaunchesLeakNoEnds) {
  // 50 children from 8 threads, each with its own stdin and stdout pipes.
  // Each lists its descriptors and then copies stdin until EOF; a leaked
  // write end of another child's stdin would stall that child, and the
  // listing shows any leaked end directly. Run twice: once as is, once with
  // close_other_descriptors off, where only close-on-exec protects.
  for (bool close_others : {true, false}) {
    SCOPED_TRACE(close_others ? "close_other_descriptors" : "cloexec only");
    constexpr int children = 50, threads = 8;
    std::mutex mutex;
    std::set<std::string> all_pipes;
    std::vector<std::map<int, std::string>> seen(children);
    std::vector<std::string> own_in(children), own_out(children), echoed(children);
    std::vector<std::uint32_t> codes(children, 999);
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        for (int i = t; i < children; i += threads) {
          auto in = anonymous_pipe::create();
          auto out = anonymous_pipe::create();
          {
            std::lock_guard lock(mutex);
            own_in[i] = pipe_id(in.read_end.native_handle());
            own_out[i] = pipe_id(out.read_end.native_handle());
            all_pipes.insert(own_in[i]);
            all_pipes.insert(own_out[i]);
          }
          std::error_code ec;
          auto c = process::launch({.argv = child({"fds", "cat"}),
                                    .std_input = in.read_end,
                                    .std_output = out.write_end,
                                    .close_other_descriptors = close_others},
                                   ec);
          if (ec) {
            std::lock_guard lock(mutex);
            ADD_FAILURE() << "launch " << i << ": " << ec.message();
            continue;
          }
          in.read_end.close();
          out.write_end.close();
          // No throwing calls on these threads; a stalled child is killed
          // so that a failure stays bounded (7 children x 10 s at worst).
          in.write_end.write("child " + std::to_string(i) + "\n", ec);
          in.write_end.close();
          std::string rest;
          auto fds = parse_fds(out.read_end.read_to_end(5s, ec), &rest);
          auto code = c.wait(5s, ec);
          if (!code) {
            c.terminate(1, ec);
            (void)c.wait(5s, ec);
          }
          std::lock_guard lock(mutex);
          seen[i] = std::move(fds);
          echoed[i] = rest;
          codes[i] = code.value_or(998);
        }
      });
    }
    for (auto& thread : pool) thread.join();
    for (int i = 0; i < children; ++i) {
      EXPECT_EQ(codes[i], 0u) << "child " << i;
      EXPECT_EQ(echoed[i], "child " + std::to_string(i) + "\n");
      EXPECT_EQ(seen[i][0], own_in[i]) << "child " << i;
      EXPECT_EQ(seen[i][1], own_out[i]) << "child " << i;
      for (auto& [fd, target] : seen[i]) {
        if (fd <= 1) continue;
        EXPECT_EQ(all_pipes.count(target), 0u) << "child " << i << " holds " << fd << " " << target;
      }
      if (close_others) {
        EXPECT_LE(seen[i].size(), 3u) << "child " << i;
      }
    }
  }
}

// --- exit codes, waiting, termination ---------------------------------------

TEST_F(ProcessTest, ExitCodes) {
  for (int code : {0, 1, 3, 42, 255}) {
    auto c = process::launch({.argv = child({"exit", std::to_string(code)})});
    EXPECT_EQ(c.wait(), static_cast<std::uint32_t>(code));
    // The status stays: a second wait and exit_code() give it again.
    EXPECT_EQ(c.wait(0ms), static_cast<std::uint32_t>(code));
    EXPECT_EQ(c.exit_code(), static_cast<std::uint32_t>(code));
    EXPECT_EQ(c.termination_signal(), std::nullopt);
  }
}

TEST_F(ProcessTest, WaitTimesOutWhileTheChildRuns) {
  auto c = process::launch({.argv = child({"hold"}), .std_input = stdio::pipe()});
  EXPECT_GT(c.id(), 0u);
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(c.wait(100ms), std::nullopt);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 100ms);
  EXPECT_EQ(c.exit_code(), std::nullopt);
  c.std_input().close();  // the child ends at EOF
  EXPECT_EQ(c.wait(10s), 0u);
}

TEST_F(ProcessTest, SeveralThreadsWaitAtOnce) {
  auto c = process::launch({.argv = child({"hold", "exit", "5"}), .std_input = stdio::pipe()});
  std::vector<std::optional<std::uint32_t>> results(4);
  std::vector<std::thread> waiters;
  for (auto& result : results) waiters.emplace_back([&] { result = c.wait(20s); });
  c.std_input().close();
  for (auto& waiter : waiters) waiter.join();
  for (auto& result : results) EXPECT_EQ(result, 5u);
}

TEST_F(ProcessTest, TerminateSetsTheExitCode) {
  auto c = process::launch({.argv = child({"hold"}), .std_input = stdio::pipe()});
  c.terminate(0xC0000005u);
  EXPECT_EQ(c.wait(10s), 0xC0000005u);
  EXPECT_EQ(c.termination_signal(), SIGKILL);
  // Windows refuses to terminate a process that has ended.
  std::error_code ec;
  c.terminate(1, ec);
  EXPECT_EQ(ec, errc::access_denied);
}

TEST_F(ProcessTest, TerminateAfterANormalExitKeepsTheRealCode) {
  auto c = process::launch({.argv = child({"exit", "4"})});
  // Wait for the end without reaping, through the pidfd.
  pollfd p{c.native_handle(), POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 10'000), 1);
  std::error_code ec;
  c.terminate(77, ec);
  EXPECT_EQ(ec, errc::access_denied);
  EXPECT_EQ(c.wait(10s), 4u);
}

TEST_F(ProcessTest, OtherSignalsGive128PlusTheSignal) {
  auto c = process::launch({.argv = child({"hold"}), .std_input = stdio::pipe()});
  ASSERT_EQ(::kill(static_cast<pid_t>(c.id()), SIGTERM), 0);
  EXPECT_EQ(c.wait(10s), 128u + SIGTERM);
  EXPECT_EQ(c.termination_signal(), SIGTERM);
}

TEST_F(ProcessTest, ClosedProcessObjectLeavesTheChildRunningAndReapsIt) {
  auto in = anonymous_pipe::create();
  auto c = process::launch({.argv = child({"hold"}), .std_input = in.read_end});
  in.read_end.close();
  pid_t pid = static_cast<pid_t>(c.id());
  int pidfd = ::fcntl(c.native_handle(), F_DUPFD_CLOEXEC, 3);
  c.close();
  EXPECT_FALSE(c.is_open());
  EXPECT_EQ(::kill(pid, 0), 0) << "still running";
  in.write_end.close();  // now it exits
  pollfd p{pidfd, POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 10'000), 1);
  // Reaped in the background: it is no zombie for long. WNOWAIT looks
  // without reaping; ECHILD means the reaper has been. Bounded by a deadline.
  auto until = std::chrono::steady_clock::now() + 10s;
  bool gone = false;
  while (!gone && std::chrono::steady_clock::now() < until) {
    siginfo_t info{};
    gone = ::waitid(P_PIDFD, static_cast<id_t>(pidfd), &info, WEXITED | WNOHANG | WNOWAIT) != 0 &&
           errno == ECHILD;
    if (!gone) std::this_thread::yield();
  }
  ::close(pidfd);
  EXPECT_TRUE(gone) << "the child was not reaped";
}

TEST_F(ProcessTest, EmptyProcessObject) {
  process none;
  std::error_code ec;
  EXPECT_EQ(none.wait(0ms, ec), std::nullopt);
  EXPECT_EQ(ec, errc::invalid_handle);
  none.terminate(1, ec);
  EXPECT_EQ(ec, errc::invalid_handle);
  EXPECT_EQ(none.id(), 0u);
  EXPECT_EQ(none.native_handle(), -1);
}

// --- launch errors -------------------------------------------------------------

TEST_F(ProcessTest, LaunchErrors) {
  std::error_code ec;
  (void)process::launch({.argv = {}}, ec);
  EXPECT_EQ(ec, errc::invalid_parameter);
  (void)process::launch({.argv = {"/nonexistent/program"}}, ec);
  EXPECT_EQ(ec, errc::file_not_found);
  (void)process::launch({.argv = {"no-such-program-on-path-xyz"}}, ec);
  EXPECT_EQ(ec, errc::file_not_found);
  (void)process::launch({.argv = {"/etc/passwd/program"}}, ec);
  EXPECT_EQ(ec, errc::path_not_found);  // a file where a directory should be
  (void)process::launch({.argv = {"/bin/sh", std::string("a\0b", 3)}}, ec);
  EXPECT_EQ(ec, errc::invalid_parameter);
  (void)process::launch(
      {.argv = {"/bin/true"}, .environment = std::vector<std::string>{"NOEQUALS"}}, ec);
  EXPECT_EQ(ec, errc::invalid_parameter);
  (void)process::launch({.argv = {"/bin/true"}, .working_directory = dir_ / "missing"}, ec);
  EXPECT_EQ(ec.value(), 267);  // ERROR_DIRECTORY
  EXPECT_EQ(ec.category(), win32_category());
  (void)process::launch({.argv = {"/bin/cat"}, .std_input = stdio::file(dir_ / "missing")}, ec);
  EXPECT_EQ(ec, errc::file_not_found);

  auto not_exe = dir_ / "script";
  std::ofstream(not_exe) << "\x7f"
                            "ELF garbage";
  std::filesystem::permissions(not_exe, std::filesystem::perms::owner_all);
  (void)process::launch({.argv = {not_exe.string()}}, ec);
  EXPECT_EQ(ec.value(), 193);  // ERROR_BAD_EXE_FORMAT
  // Without any x bit not even root may run it.
  std::filesystem::permissions(not_exe, std::filesystem::perms::owner_read);
  (void)process::launch({.argv = {not_exe.string()}}, ec);
  EXPECT_EQ(ec, errc::access_denied);

  try {
    (void)process::launch({.argv = {"/nonexistent/program"}});
    ADD_FAILURE() << "no exception";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), errc::file_not_found);
  }
}

TEST_F(ProcessTest, LaunchRefusesBadHandles) {
  std::error_code ec;
  auto pipe = anonymous_pipe::create();
  // Ends on the wrong slot would leave the child waiting forever.
  (void)process::launch({.argv = {"/bin/true"}, .std_input = pipe.write_end}, ec);
  EXPECT_EQ(ec, errc::invalid_parameter);
  (void)process::launch({.argv = {"/bin/true"}, .std_output = pipe.read_end}, ec);
  EXPECT_EQ(ec, errc::invalid_parameter);
  // Listed but not marked inheritable: refused, as Windows refuses it in a
  // PROC_THREAD_ATTRIBUTE_HANDLE_LIST.
  (void)process::launch({.argv = {"/bin/true"}, .inherited_handles = {pipe.write_end}}, ec);
  EXPECT_EQ(ec, errc::invalid_parameter);
  (void)process::launch({.argv = {"/bin/true"}, .inherited_handles = {inherited_handle::native(1)}},
                        ec);
  EXPECT_EQ(ec, errc::invalid_parameter);
  anonymous_write_end closed;
  (void)process::launch({.argv = {"/bin/true"}, .std_output = closed}, ec);
  EXPECT_EQ(ec, errc::invalid_handle);
  (void)process::launch(
      {.argv = {"/bin/true"}, .inherited_handles = {inherited_handle::native(9999)}}, ec);
  EXPECT_EQ(ec, errc::invalid_handle);
}

}  // namespace
}  // namespace conduit
