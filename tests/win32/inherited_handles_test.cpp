// CONDUIT_INHERITED_HANDLES at a program's start-up: a program adopts only
// the handles its own parent passed, each only if its descriptors are still
// the objects the parent described, and never closes or changes a
// descriptor it did not adopt. The lists here are written by hand, as a
// stale or malformed value would reach a program: through a program in
// between, or through an older parent.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <spawn.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <windows.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "win32/descriptor_identity.hpp"
#include "win32/inherited_list.hpp"
#include "win32/win32_test_support.hpp"

extern char** environ;

namespace conduit::test {
namespace {

using win32::descriptor_identity;
using win32::format_inherited;
using win32::format_inherited_parent;
using win32::identify_descriptor;

constexpr const char* child_path = CONDUIT_WIN32_CHILD;
constexpr int bounded_ms = 10000;

// A descriptor this test owns, closed at scope exit.
struct owned_fd {
  int fd = -1;
  explicit owned_fd(int f) : fd(f) {}
  owned_fd(const owned_fd&) = delete;
  owned_fd& operator=(const owned_fd&) = delete;
  ~owned_fd() {
    if (fd >= 0) ::close(fd);
  }
};

descriptor_identity identity_of(int fd) {
  auto id = identify_descriptor(fd);
  EXPECT_TRUE(id) << fd;
  return id.value_or(descriptor_identity{});
}

std::string item(std::uint64_t value, std::vector<int> fds, std::vector<descriptor_identity> ids,
                 char kind) {
  return format_inherited(
      {.value = value, .fds = std::move(fds), .identities = std::move(ids), .kind = kind});
}

// Runs the test child with `arguments`, CONDUIT_INHERITED_HANDLES set to
// `list`, and each `placed` descriptor (child number -> ours) at its number,
// as a program that knows nothing of conduit would start it. Returns its
// standard output; its exit code goes to `code`.
std::string run_child(const std::vector<std::string>& arguments, const std::string& list,
                      const std::map<int, int>& placed, int& code) {
  int out[2];
  EXPECT_EQ(::pipe2(out, O_CLOEXEC), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  // dup2 onto another number clears close-on-exec there.
  for (auto [target, source] : placed) posix_spawn_file_actions_adddup2(&actions, source, target);
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    if (!std::string_view(*e).starts_with("CONDUIT_INHERITED_HANDLES=")) env.emplace_back(*e);
  }
  env.push_back(std::string(win32::inherited_variable) + "=" + list);
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = {child_path};
  args.insert(args.end(), arguments.begin(), arguments.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, child_path, &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  EXPECT_EQ(rc, 0);
  std::string output;
  pollfd p{out[0], POLLIN, 0};
  while (rc == 0 && ::poll(&p, 1, bounded_ms) == 1) {
    char buffer[512];
    ssize_t n = ::read(out[0], buffer, sizeof(buffer));
    if (n <= 0) break;
    output.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(out[0]);
  code = -1;
  if (rc != 0) return output;
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  pollfd exited{pidfd, POLLIN, 0};
  if (::poll(&exited, 1, bounded_ms) != 1) ::kill(pid, SIGKILL);
  ::close(pidfd);
  int status = 0;
  ::waitpid(pid, &status, 0);
  code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return output;
}

// A descriptor of ours at a number no child placement uses.
int high(int fd) {
  int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 200);
  ::close(fd);
  return copy;
}

class InheritedHandles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("conduit-inherited-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "secret") << "the secret";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // The child's own log file, written up to some offset.
  int log_file() {
    int fd = high(::open((dir_ / "log").c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600));
    EXPECT_EQ(::write(fd, "log line\n", 9), 9);
    return fd;
  }
  std::string log_contents() {
    std::ifstream in(dir_ / "log");
    return {std::istreambuf_iterator<char>(in), {}};
  }

  std::filesystem::path dir_;
  std::string parent_ = format_inherited_parent(static_cast<std::uint64_t>(::getpid()));
};

TEST_F(InheritedHandles, AStaleListLeavesTheChildsOwnDescriptorsAlone) {
  // The child's descriptors 10 (its log file) and 11 (a socket) are its
  // own; the list names them as it would have named a pipe and a pipe
  // client its parent once passed at those numbers, with those objects'
  // identities, and as an older parent wrote lists, with none.
  owned_fd log(log_file());
  int sockets[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sockets), 0);
  owned_fd socket(high(sockets[0])), peer(sockets[1]);
  int gone[2];
  ASSERT_EQ(::pipe2(gone, O_CLOEXEC), 0);
  owned_fd gone_read(gone[0]), gone_write(gone[1]);
  std::string list = parent_ + item(8, {10}, {identity_of(gone[0])}, 'r') +
                     item(12, {11}, {identity_of(peer.fd)}, 'w') +
                     item(16, {10}, {identity_of(gone[0])}, 's') + "20:10:s;24:11:c;28:10:r;";
  int code;
  std::string seen = run_child({"probe", "8,12,16,20,24,28", "10,11"}, list,
                               {{10, log.fd}, {11, socket.fd}}, code);
  EXPECT_EQ(code, 0);
  EXPECT_EQ(seen,
            "8=invalid 12=invalid 16=invalid 20=invalid 24=invalid 28=invalid "
            "10=open,cloexec=0,offset=9 11=open,cloexec=0,offset=-1 ");
  EXPECT_EQ(log_contents(), "log line\n");
  // The socket still works: the child's copy closed only when it exited.
  EXPECT_EQ(::send(peer.fd, "x", 1, MSG_NOSIGNAL), 1);
}

TEST_F(InheritedHandles, ADescriptorOfAnotherKindIsRefused) {
  // The right objects at the right numbers, each named as a kind it is
  // not: a file as a pipe's read end, a socket as an event, one eventfd in
  // the place of another, a pipe's read end as its write end.
  owned_fd log(log_file());
  int sockets[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sockets), 0);
  owned_fd socket(high(sockets[0])), peer(sockets[1]);
  owned_fd event(high(::eventfd(0, EFD_CLOEXEC))), other_event(high(::eventfd(0, EFD_CLOEXEC)));
  int pipe_fds[2];
  ASSERT_EQ(::pipe2(pipe_fds, O_CLOEXEC), 0);
  owned_fd read_end(high(pipe_fds[0])), write_end(pipe_fds[1]);
  std::string list = parent_ + item(8, {10}, {identity_of(log.fd)}, 'r') +
                     item(12, {11}, {identity_of(socket.fd)}, 'm') +
                     item(16, {12}, {identity_of(other_event.fd)}, 'm') +
                     item(20, {13}, {identity_of(read_end.fd)}, 'w');
  int code;
  std::string seen =
      run_child({"probe", "8,12,16,20", "10,11,12,13"}, list,
                {{10, log.fd}, {11, socket.fd}, {12, event.fd}, {13, read_end.fd}}, code);
  EXPECT_EQ(code, 0);
  EXPECT_EQ(seen,
            "8=invalid 12=invalid 16=invalid 20=invalid 10=open,cloexec=0,offset=9 "
            "11=open,cloexec=0,offset=-1 12=open,cloexec=0,offset=0 "
            "13=open,cloexec=0,offset=-1 ");
}

TEST_F(InheritedHandles, AnItemThatFailsTakesNothingFromAnother) {
  // Handle 8 is a pipe's read end at 12; the next item names 12 again,
  // behind a socket at 13, as a pipe client it cannot be. It is refused
  // whole: handle 8 keeps its pipe, 13 stays open, and a file the program
  // opens later cannot land where handle 8 reads.
  int pipe_fds[2];
  ASSERT_EQ(::pipe2(pipe_fds, O_CLOEXEC), 0);
  owned_fd read_end(high(pipe_fds[0])), write_end(pipe_fds[1]);
  ASSERT_EQ(::write(write_end.fd, "pipe data", 9), 9);
  int sockets[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sockets), 0);
  owned_fd socket(high(sockets[0])), peer(sockets[1]);
  owned_fd null(high(::open("/dev/null", O_RDONLY | O_CLOEXEC)));
  std::string list = parent_ + item(8, {12}, {identity_of(read_end.fd)}, 'r') +
                     item(12, {13, 12}, {identity_of(socket.fd), identity_of(read_end.fd)}, 'c');
  // 3 to 11 are taken, so the file opened later would take the lowest
  // number freed.
  std::map<int, int> placed{{12, read_end.fd}, {13, socket.fd}};
  for (int fd = 3; fd <= 11; ++fd) placed[fd] = null.fd;
  int code;
  std::string seen =
      run_child({"probe", "8,12", "13", (dir_ / "secret").string(), "8"}, list, placed, code);
  EXPECT_EQ(code, 0);
  EXPECT_EQ(seen, "8=valid 12=invalid 13=open,cloexec=0,offset=-1 read=pipe data");
}

TEST_F(InheritedHandles, AListForAnotherProcessIsIgnored) {
  // Every item right, but the list names another parent, or none.
  int pipe_fds[2];
  ASSERT_EQ(::pipe2(pipe_fds, O_CLOEXEC), 0);
  owned_fd read_end(high(pipe_fds[0])), write_end(pipe_fds[1]);
  std::string items = item(8, {12}, {identity_of(read_end.fd)}, 'r');
  for (const std::string& header : {format_inherited_parent(1), std::string()}) {
    int code;
    std::string seen = run_child({"probe", "8", "12"}, header + items, {{12, read_end.fd}}, code);
    EXPECT_EQ(code, 0);
    EXPECT_EQ(seen, "8=invalid 12=open,cloexec=0,offset=-1 ");
  }
  // The same list for this process as the parent is adopted.
  int code;
  std::string seen = run_child({"probe", "8", "-"}, parent_ + items, {{12, read_end.fd}}, code);
  EXPECT_EQ(code, 0);
  EXPECT_EQ(seen, "8=valid ");
}

TEST_F(InheritedHandles, CreateProcessPassesThemToTheChildAlone) {
  // The child adopts the inheritable handle; a grandchild the child starts
  // by plain fork and exec (sh) sees the same variable and descriptor, and
  // adopts nothing: its parent is not the process that wrote the list.
  SECURITY_ATTRIBUTES inheritable{sizeof(inheritable), nullptr, TRUE};
  HANDLE ends[4] = {};
  ASSERT_TRUE(CreatePipe(&ends[0], &ends[1], &inheritable, 0));
  ASSERT_TRUE(CreatePipe(&ends[2], &ends[3], &inheritable, 0));
  handle_guard read_end(ends[0]), write_end(ends[1]), out_read(ends[2]), out_write(ends[3]);
  ASSERT_TRUE(SetHandleInformation(write_end, HANDLE_FLAG_INHERIT, 0));
  ASSERT_TRUE(SetHandleInformation(out_read, HANDLE_FLAG_INHERIT, 0));
  DWORD n = 0;
  ASSERT_TRUE(WriteFile(write_end, "pipe data", 9, &n, nullptr));
  std::string h = std::to_string(reinterpret_cast<std::uintptr_t>(read_end.get()));
  std::string probe = "'" + std::string(child_path) + "' probe " + h + " -";
  auto run = [&](const std::string& line) {
    STARTUPINFOA startup{};
    startup.cb = sizeof(startup);
    startup.dwFlags = STARTF_USESTDHANDLES;
    startup.hStdOutput = out_write;
    PROCESS_INFORMATION info{};
    std::string copy = line;
    EXPECT_TRUE(CreateProcessA(nullptr, copy.data(), nullptr, nullptr, TRUE, 0, nullptr, nullptr,
                               &startup, &info))
        << GetLastError();
    handle_guard process(info.hProcess), thread(info.hThread);
    EXPECT_EQ(WaitForSingleObject(process, bounded_ms), WAIT_OBJECT_0);
    DWORD code = 99;
    EXPECT_TRUE(GetExitCodeProcess(process, &code));
    EXPECT_EQ(code, 0u);
  };
  run("sh -c \"" + probe + "; exit 0\"");
  run("sh -c \"exec " + probe + " /dev/null " + h + "\"");
  out_write.reset();
  char buffer[256];
  std::string seen;
  while (ReadFile(out_read, buffer, sizeof(buffer), &n, nullptr) && n > 0) seen.append(buffer, n);
  EXPECT_EQ(seen, h + "=invalid " + h + "=valid read=pipe data");
}

}  // namespace
}  // namespace conduit::test
