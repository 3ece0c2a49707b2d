// Anonymous pipes: the ends, EOF, broken pipes, buffer sizes, peeking.
#include "conduit/anonymous_pipe.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include "conduit/error.hpp"

namespace conduit {
namespace {

using namespace std::chrono_literals;

std::span<std::byte> as_writable(std::string& s) {
  return std::as_writable_bytes(std::span(s));
}

bool cloexec(int fd) {
  return (::fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0;
}

TEST(AnonymousPipe, CreateGivesTwoCloseOnExecEndsNotMarkedInheritable) {
  auto [read_end, write_end] = anonymous_pipe::create();
  ASSERT_TRUE(read_end.is_open());
  ASSERT_TRUE(write_end.is_open());
  EXPECT_FALSE(read_end.inheritable());
  EXPECT_FALSE(write_end.inheritable());
  EXPECT_TRUE(cloexec(read_end.native_handle()));
  EXPECT_TRUE(cloexec(write_end.native_handle()));
}

TEST(AnonymousPipe, InheritableIsAMarkThatNeverTouchesTheDescriptor) {
  auto pipe = anonymous_pipe::create({.inheritable_read = true});
  EXPECT_TRUE(pipe.read_end.inheritable());
  EXPECT_FALSE(pipe.write_end.inheritable());
  pipe.write_end.set_inheritable(true);
  EXPECT_TRUE(pipe.write_end.inheritable());
  // Still close-on-exec: only the launcher passes an end, inside the child.
  EXPECT_TRUE(cloexec(pipe.read_end.native_handle()));
  EXPECT_TRUE(cloexec(pipe.write_end.native_handle()));
}

TEST(AnonymousPipe, BytesGoThroughInOrder) {
  auto [read_end, write_end] = anonymous_pipe::create();
  EXPECT_EQ(write_end.write("hello, "), 7u);
  EXPECT_EQ(write_end.write("world"), 5u);
  std::string buffer(64, '\0');
  std::size_t n = read_end.read(as_writable(buffer));
  EXPECT_EQ(buffer.substr(0, n), "hello, world");
}

TEST(AnonymousPipe, ReaderGetsTheDataThenBrokenPipe) {
  auto [read_end, write_end] = anonymous_pipe::create();
  write_end.write("abc");
  write_end.close();
  std::string buffer(16, '\0');
  std::error_code ec;
  EXPECT_EQ(read_end.read(as_writable(buffer), ec), 3u);
  EXPECT_FALSE(ec);
  EXPECT_EQ(read_end.read(as_writable(buffer), ec), 0u);
  EXPECT_EQ(ec, errc::broken_pipe);
  // The throwing overload carries the same code.
  try {
    (void)read_end.read(as_writable(buffer));
    ADD_FAILURE() << "no exception";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), errc::broken_pipe);
  }
}

TEST(AnonymousPipe, EmptyReadWaitsThenReportsTheEnd) {
  auto [read_end, write_end] = anonymous_pipe::create();
  write_end.write("x");
  std::error_code ec;
  EXPECT_EQ(read_end.read({}, ec), 0u);
  EXPECT_FALSE(ec);  // data is there
  std::string buffer(4, '\0');
  EXPECT_EQ(read_end.read(as_writable(buffer)), 1u);
  write_end.close();
  EXPECT_EQ(read_end.read({}, ec), 0u);
  EXPECT_EQ(ec, errc::broken_pipe);
}

TEST(AnonymousPipe, EveryWriteEndMustCloseBeforeEof) {
  auto [read_end, write_end] = anonymous_pipe::create();
  auto copy = write_end.duplicate();
  EXPECT_FALSE(copy.inheritable());
  write_end.close();
  // One writer is left: no EOF, and the wait is bounded.
  EXPECT_FALSE(read_end.wait_readable(200ms));
  copy.write("late");
  copy.close();
  EXPECT_EQ(read_end.read_to_end(10s), "late");
}

TEST(AnonymousPipe, WriteWithoutReaderIsNoDataAndNoSignal) {
  auto [read_end, write_end] = anonymous_pipe::create();
  read_end.close();
  std::error_code ec;
  // SIGPIPE's default action would end this test process.
  EXPECT_EQ(write_end.write("lost", ec), 0u);
  EXPECT_EQ(ec, errc::no_data);
  sigset_t pending;
  sigemptyset(&pending);
  ASSERT_EQ(::sigpending(&pending), 0);
  EXPECT_FALSE(sigismember(&pending, SIGPIPE));
  try {
    write_end.write("lost");
    ADD_FAILURE() << "no exception";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), errc::no_data);
  }
}

TEST(AnonymousPipe, NoDataLeavesTheCallersSignalMaskAlone) {
  sigset_t before, after;
  ASSERT_EQ(::pthread_sigmask(SIG_SETMASK, nullptr, &before), 0);
  auto [read_end, write_end] = anonymous_pipe::create();
  read_end.close();
  std::error_code ec;
  write_end.write("x", ec);
  EXPECT_EQ(ec, errc::no_data);
  ASSERT_EQ(::pthread_sigmask(SIG_SETMASK, nullptr, &after), 0);
  EXPECT_EQ(sigismember(&before, SIGPIPE), sigismember(&after, SIGPIPE));
}

TEST(AnonymousPipe, SigpipeAlreadyPendingIsNotSwallowed) {
  // A SIGPIPE that was pending before the write belongs to someone else.
  sigset_t pipe_set, old;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  ASSERT_EQ(::pthread_sigmask(SIG_BLOCK, &pipe_set, &old), 0);
  ASSERT_EQ(::pthread_kill(::pthread_self(), SIGPIPE), 0);
  auto [read_end, write_end] = anonymous_pipe::create();
  read_end.close();
  std::error_code ec;
  write_end.write("x", ec);
  EXPECT_EQ(ec, errc::no_data);
  sigset_t pending;
  ASSERT_EQ(::sigpending(&pending), 0);
  EXPECT_TRUE(sigismember(&pending, SIGPIPE));
  timespec zero{};
  EXPECT_EQ(::sigtimedwait(&pipe_set, nullptr, &zero), SIGPIPE);
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

TEST(AnonymousPipe, BufferSizeZeroIsTheDefault) {
  auto pipe = anonymous_pipe::create();
  EXPECT_EQ(pipe.write_end.buffer_size(), 65536u);
  EXPECT_EQ(pipe.read_end.buffer_size(), 65536u);
}

TEST(AnonymousPipe, BufferSizeRoundsUpToPowerOfTwoPages) {
  EXPECT_EQ(anonymous_pipe::create({.buffer_size = 1}).write_end.buffer_size(), 4096u);
  EXPECT_EQ(anonymous_pipe::create({.buffer_size = 4096}).write_end.buffer_size(), 4096u);
  EXPECT_EQ(anonymous_pipe::create({.buffer_size = 5000}).write_end.buffer_size(), 8192u);
  EXPECT_EQ(anonymous_pipe::create({.buffer_size = 100000}).write_end.buffer_size(), 131072u);
}

TEST(AnonymousPipe, BufferSizeStopsAtPipeMaxSize) {
  std::size_t max_size = 0;
  std::ifstream("/proc/sys/fs/pipe-max-size") >> max_size;
  ASSERT_GT(max_size, 0u);
  // Even for root, who could go further: the size is advice.
  auto pipe = anonymous_pipe::create({.buffer_size = std::size_t(1) << 34});
  EXPECT_TRUE(pipe.write_end.is_open());
  EXPECT_EQ(pipe.write_end.buffer_size(), max_size);
}

TEST(AnonymousPipe, BufferSizeHoldsThatManyBytesWithoutBlocking) {
  auto [read_end, write_end] = anonymous_pipe::create({.buffer_size = 200000});
  std::size_t size = write_end.buffer_size();
  ASSERT_GE(size, 200000u);
  int flags = ::fcntl(write_end.native_handle(), F_GETFL);
  ASSERT_EQ(::fcntl(write_end.native_handle(), F_SETFL, flags | O_NONBLOCK), 0);
  std::string block(size, 'b');
  std::error_code ec;
  EXPECT_EQ(write_end.write(block, ec), size);
  EXPECT_FALSE(ec);
  // Full now: a non-blocking write gets nothing in (ERROR_NO_DATA, as a
  // PIPE_NOWAIT pipe reports).
  EXPECT_EQ(write_end.write("more", ec), 0u);
  EXPECT_EQ(ec, errc::no_data);
  EXPECT_EQ(read_end.bytes_available(), size);
}

TEST(AnonymousPipe, BytesAvailableCountsWithoutConsuming) {
  auto [read_end, write_end] = anonymous_pipe::create();
  EXPECT_EQ(read_end.bytes_available(), 0u);
  write_end.write("12345");
  EXPECT_EQ(read_end.bytes_available(), 5u);
  EXPECT_EQ(read_end.bytes_available(), 5u);
  std::string buffer(2, '\0');
  EXPECT_EQ(read_end.read(as_writable(buffer)), 2u);
  EXPECT_EQ(read_end.bytes_available(), 3u);
}

TEST(AnonymousPipe, ReadToEndCollectsEverythingAcrossManyWrites) {
  auto [read_end, write_end] = anonymous_pipe::create();
  std::string expected;
  for (int i = 0; i < 4096; ++i) expected += std::to_string(i) + ",";
  expected += std::string(3 << 20, 'z');  // far more than the pipe holds
  std::thread writer([&, w = std::move(write_end)]() mutable {
    for (std::size_t at = 0; at < expected.size(); at += 10007)
      w.write(std::string_view(expected).substr(at, 10007));
  });
  std::string got = read_end.read_to_end(30s);
  writer.join();
  EXPECT_EQ(got.size(), expected.size());
  EXPECT_TRUE(got == expected);
}

TEST(AnonymousPipe, ReadToEndTimesOutWithWhatItHas) {
  auto [read_end, write_end] = anonymous_pipe::create();
  write_end.write("partial");
  std::error_code ec;
  auto start = std::chrono::steady_clock::now();
  std::string got = read_end.read_to_end(100ms, ec);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 100ms);
  EXPECT_EQ(ec, errc::sem_timeout);
  EXPECT_EQ(got, "partial");
}

TEST(AnonymousPipe, WaitReadableSeesDataAndEof) {
  auto [read_end, write_end] = anonymous_pipe::create();
  EXPECT_FALSE(read_end.wait_readable(0ms));
  write_end.write("x");
  EXPECT_TRUE(read_end.wait_readable(0ms));
  std::string buffer(1, '\0');
  (void)read_end.read(as_writable(buffer));
  write_end.close();
  EXPECT_TRUE(read_end.wait_readable(10s));
}

TEST(AnonymousPipe, ClosedOrMovedFromEndIsInvalidHandle) {
  auto [read_end, write_end] = anonymous_pipe::create();
  auto moved = std::move(write_end);
  EXPECT_FALSE(write_end.is_open());  // NOLINT(bugprone-use-after-move): the point
  std::error_code ec;
  write_end.write("x", ec);
  EXPECT_EQ(ec, errc::invalid_handle);
  read_end.close();
  std::string buffer(1, '\0');
  read_end.read(as_writable(buffer), ec);
  EXPECT_EQ(ec, errc::invalid_handle);
  (void)read_end.bytes_available(ec);
  EXPECT_EQ(ec, errc::invalid_handle);
  (void)read_end.buffer_size(ec);
  EXPECT_EQ(ec, errc::invalid_handle);
  (void)read_end.duplicate(false, ec);
  EXPECT_EQ(ec, errc::invalid_handle);
}

TEST(AnonymousPipe, NativeHandlesCanBeAdoptedAndReleased) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);  // no O_CLOEXEC: adoption adds it
  auto read_end = anonymous_read_end::from_native_handle(fds[0]);
  auto write_end = anonymous_write_end::from_native_handle(fds[1], true);
  EXPECT_TRUE(cloexec(fds[0]));
  EXPECT_TRUE(cloexec(fds[1]));
  EXPECT_TRUE(write_end.inheritable());
  write_end.write("adopted");
  int raw = write_end.release();
  EXPECT_FALSE(write_end.is_open());
  ::close(raw);
  EXPECT_EQ(read_end.read_to_end(10s), "adopted");
}

TEST(AnonymousPipe, DuplicateKeepsItsOwnMark) {
  auto [read_end, write_end] = anonymous_pipe::create();
  auto copy = read_end.duplicate(true);
  EXPECT_TRUE(copy.inheritable());
  EXPECT_FALSE(read_end.inheritable());
  EXPECT_NE(copy.native_handle(), read_end.native_handle());
  EXPECT_TRUE(cloexec(copy.native_handle()));
  write_end.write("x");
  write_end.close();
  EXPECT_EQ(copy.read_to_end(10s), "x");
}

}  // namespace
}  // namespace conduit
