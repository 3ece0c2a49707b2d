// Peek, transact, call, flush, non-blocking handles, handle state and info,
// and the write quota.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <future>
#include <thread>

#include "conduit/error.hpp"
#include "conduit/pipe_client.hpp"
#include "conduit/pipe_server.hpp"
#include "runtime/client_end.hpp"
#include "support/helper_process.hpp"
#include "support/sandbox.hpp"

namespace conduit {
namespace {

using namespace std::chrono_literals;

class PipeData : public test::sandbox {};

std::string text(std::span<const std::byte> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

const pipe_options message_pipe{.type = pipe_type::message, .mode = read_mode::message};

TEST_F(PipeData, PeekCountsWithoutTaking) {
  auto server = pipe_server::create(pipe_name(), message_pipe);
  test::helper_process client;
  ASSERT_EQ(client.call("open c1 " + pipe_name()), "ok");
  server.connect();
  ASSERT_EQ(client.call("write c1 hello"), "ok 5");
  ASSERT_EQ(client.call("write c1 world!"), "ok 6");
  std::array<std::byte, 64> buffer;
  auto seen = server.peek(buffer);
  EXPECT_EQ(seen.bytes_available, 11u);
  EXPECT_EQ(seen.message_bytes_left, 5u);
  EXPECT_EQ(text(std::span(buffer).first(seen.bytes_read)), "hello");  // one message at most
  // A partial read leaves the rest of the message to count.
  std::array<std::byte, 2> small;
  std::error_code ec;
  server.read(small, ec);
  EXPECT_EQ(ec, errc::more_data);
  seen = server.peek(buffer);
  EXPECT_EQ(seen.bytes_available, 9u);
  EXPECT_EQ(seen.message_bytes_left, 3u);
  EXPECT_EQ(text(std::span(buffer).first(seen.bytes_read)), "llo");
}

TEST_F(PipeData, PeekOnByteAndListeningAndClosedPipes) {
  auto server = pipe_server::create(pipe_name());
  std::array<std::byte, 64> buffer;
  std::error_code ec;
  server.peek(buffer, ec);
  EXPECT_EQ(ec, errc::bad_pipe);  // listening
  {
    auto client = pipe_client::open(pipe_name());
    server.connect();
    client.write("abc");
    client.write("def");
    auto seen = server.peek(buffer);
    EXPECT_EQ(seen.bytes_available, 6u);
    EXPECT_EQ(seen.message_bytes_left, 0u);  // byte pipes have no messages
    EXPECT_EQ(text(std::span(buffer).first(seen.bytes_read)), "abcdef");
  }
  broker_round_trip();
  // The client is gone: its data first, then the pipe has ended.
  EXPECT_EQ(server.peek(buffer, ec).bytes_available, 6u);
  EXPECT_FALSE(ec);
  server.read(buffer);
  server.peek(buffer, ec);
  EXPECT_EQ(ec, errc::broken_pipe);
  server.disconnect();
  server.peek(buffer, ec);
  EXPECT_EQ(ec, errc::bad_pipe);
}

TEST_F(PipeData, TransactAndItsErrors) {
  test::helper_process server;
  ASSERT_EQ(server.call("echo-server " + pipe_name() + " 1 1 type=message"), "ok");
  auto client = pipe_client::open(pipe_name());
  std::array<std::byte, 64> reply;
  std::error_code ec;
  client.transact(std::as_bytes(std::span("q", 1)), reply, ec);
  EXPECT_EQ(ec, errc::bad_pipe);  // still in byte read mode
  client.set_read_mode(read_mode::message);
  std::size_t n = client.transact(std::as_bytes(std::span("question", 8)), reply, ec);
  EXPECT_FALSE(ec);
  EXPECT_EQ(text(std::span(reply).first(n)), "question");
  // A reply longer than the buffer: the part that fits, and ERROR_MORE_DATA.
  std::array<std::byte, 3> small;
  n = client.transact(std::as_bytes(std::span("longer", 6)), small, ec);
  EXPECT_EQ(ec, errc::more_data);
  EXPECT_EQ(text(std::span(small).first(n)), "lon");
  // The rest is unread: a transaction now would mix replies.
  client.transact(std::as_bytes(std::span("x", 1)), reply, ec);
  EXPECT_EQ(ec, errc::pipe_busy);
  EXPECT_EQ(text(std::span(reply).first(client.read(reply))), "ger");

  auto byte_pipe = pipe_server::create(pipe_name("bytes"));
  auto byte_client = pipe_client::open(pipe_name("bytes"));
  byte_client.transact(std::as_bytes(std::span("x", 1)), reply, ec);
  EXPECT_EQ(ec, errc::bad_pipe);

  // An unread empty message is unread data too.
  auto empty_server = pipe_server::create(pipe_name("empty"), {.type = pipe_type::message});
  auto message_client = pipe_client::open(pipe_name("empty"));
  empty_server.connect();
  message_client.set_read_mode(read_mode::message);
  empty_server.write(std::span<const std::byte>());
  message_client.transact(std::as_bytes(std::span("x", 1)), reply, ec);
  EXPECT_EQ(ec, errc::pipe_busy);
  EXPECT_EQ(message_client.read(reply, ec), 0u);
  EXPECT_FALSE(ec);
}

TEST_F(PipeData, CallNamedPipe) {
  test::helper_process server;
  ASSERT_EQ(server.call("echo-server " + pipe_name() + " 1 2 type=message"), "ok");
  std::array<std::byte, 64> reply;
  std::size_t n = call_named_pipe(pipe_name(), std::as_bytes(std::span("ping", 4)), reply, 5s);
  EXPECT_EQ(text(std::span(reply).first(n)), "ping");
  n = call_named_pipe(pipe_name(), std::as_bytes(std::span("again", 5)), reply, 5s);
  EXPECT_EQ(text(std::span(reply).first(n)), "again");
  std::error_code ec;
  call_named_pipe(pipe_name("absent"), std::as_bytes(std::span("x", 1)), reply, 5s, ec);
  EXPECT_EQ(ec, errc::file_not_found);
}

TEST_F(PipeData, CallWaitsForABusyInstance) {
  test::helper_process server;
  ASSERT_EQ(server.call("echo-server " + pipe_name() + " 1 3 type=message"), "ok");
  auto first = pipe_client::open(pipe_name());
  std::array<std::byte, 64> reply;
  std::error_code ec;
  auto call = std::async(std::launch::async, [&] {
    return call_named_pipe(pipe_name(), std::as_bytes(std::span("late", 4)), reply, 20s, ec);
  });
  first.close();  // frees the instance for the waiting call
  std::size_t n = call.get();
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_EQ(text(std::span(reply).first(n)), "late");
  // Busy for longer than the timeout.
  ASSERT_TRUE(wait_named_pipe(pipe_name(), 10s, ec)) << ec.message();
  auto holder = pipe_client::open(pipe_name(), pipe_access::duplex, ec);
  ASSERT_FALSE(ec) << ec.message();
  call_named_pipe(pipe_name(), std::as_bytes(std::span("x", 1)), reply, 50ms, ec);
  EXPECT_EQ(ec, errc::sem_timeout);
}

TEST_F(PipeData, FlushWaitsForTheReader) {
  auto server = pipe_server::create(pipe_name());
  test::helper_process client;
  ASSERT_EQ(client.call("open c1 " + pipe_name()), "ok");
  server.connect();
  server.write(std::string(1000, 'f'));
  auto flushed = std::async(std::launch::async, [&] {
    std::error_code ec;
    server.flush(ec);
    return ec;
  });
  // Unread data keeps flush waiting.
  EXPECT_EQ(flushed.wait_for(100ms), std::future_status::timeout);
  EXPECT_EQ(client.call("readall-bytes c1 1000"), "ok 1000");
  ASSERT_EQ(flushed.wait_for(10s), std::future_status::ready);
  EXPECT_FALSE(flushed.get());
}

TEST_F(PipeData, FlushFailsWhenTheReaderCloses) {
  auto server = pipe_server::create(pipe_name());
  test::helper_process client;
  ASSERT_EQ(client.call("open c1 " + pipe_name()), "ok");
  server.connect();
  server.write("never read");
  auto flushed = std::async(std::launch::async, [&] {
    std::error_code ec;
    server.flush(ec);
    return ec;
  });
  client.kill_hard();
  ASSERT_EQ(flushed.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(flushed.get(), errc::broken_pipe);
}

TEST_F(PipeData, NowaitReadsAndConnects) {
  pipe_options o;
  o.nowait = true;
  auto server = pipe_server::create(pipe_name(), o);
  std::error_code ec;
  server.connect(ec);
  EXPECT_EQ(ec, errc::pipe_listening);
  auto client = pipe_client::open(pipe_name());
  EXPECT_EQ(server.connect(ec), connect_status::already_connected);
  EXPECT_FALSE(ec);
  std::array<std::byte, 16> buffer;
  server.read(buffer, ec);
  EXPECT_EQ(ec, errc::no_data);
  client.set_nowait(true);
  EXPECT_TRUE(client.nowait());
  client.read(buffer, ec);
  EXPECT_EQ(ec, errc::no_data);
  server.write("now");
  EXPECT_EQ(client.read(buffer, ec), 3u);
}

TEST_F(PipeData, NowaitWriteIntoAFullPipe) {
  pipe_options bytes;
  bytes.nowait = true;
  bytes.out_buffer_size = 8192;
  auto server = pipe_server::create(pipe_name("bytes"), bytes);
  auto client = pipe_client::open(pipe_name("bytes"));
  server.connect();
  std::string big(1 << 20, 'b');
  std::error_code ec;
  std::size_t written = server.write(big, ec);
  EXPECT_FALSE(ec);
  EXPECT_GT(written, 0u);  // what fits
  EXPECT_LT(written, big.size());

  pipe_options messages = message_pipe;
  messages.nowait = true;
  messages.out_buffer_size = 8192;
  auto message_server = pipe_server::create(pipe_name("messages"), messages);
  auto message_client = pipe_client::open(pipe_name("messages"));
  message_server.connect();
  EXPECT_EQ(message_server.write(big, ec), 0u);  // a message goes whole or not at all
  EXPECT_FALSE(ec);
  EXPECT_EQ(message_client.peek().bytes_available, 0u);
  EXPECT_EQ(message_server.write("small", ec), 5u);
  EXPECT_EQ(message_client.peek().bytes_available, 5u);
}

TEST_F(PipeData, BlockingWriteWaitsForRoom) {
  pipe_options o;
  o.out_buffer_size = 8192;
  auto server = pipe_server::create(pipe_name(), o);
  auto client = pipe_client::open(pipe_name());
  server.connect();
  auto writer =
      std::async(std::launch::async, [&] { return server.write(std::string(1 << 20, 'w')); });
  // The writer cannot finish while the client reads nothing; what waits in
  // the pipe stays near the socket's hard cap (twice 64 KiB, which the
  // kernel's last record may pass).
  EXPECT_EQ(writer.wait_for(100ms), std::future_status::timeout);
  EXPECT_LT(client.peek().bytes_available, 3u * 64 * 1024);
  std::vector<std::byte> buffer(1 << 16);
  std::size_t total = 0;
  while (total < (1u << 20)) total += client.read(buffer);
  ASSERT_EQ(writer.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(writer.get(), 1u << 20);
}

// A blocking write that does not fit the quota is in the pipe whole, for
// the reader to see and take, and returns only once the reader has left at
// most the quota unread (Windows keeps such a write pending).
void blocking_write_over_the_quota(const pipe_options& type, const std::string& name) {
  pipe_options o = type;
  o.out_buffer_size = 1024;
  auto server = pipe_server::create(name, o);
  test::helper_process client;
  ASSERT_EQ(client.call("open c1 " + name), "ok");
  server.connect();
  auto writer =
      std::async(std::launch::async, [&] { return server.write(std::string(8000, 'q')); });
  EXPECT_EQ(writer.wait_for(200ms), std::future_status::timeout);
  EXPECT_EQ(client.call("peek c1"), "ok 8000");  // the pending write, all of it
  if (type.type == pipe_type::message) {
    // A reader takes a message's record whole off the socket, part-read or
    // not: the message is read as far as the quota goes.
    ASSERT_EQ(client.call("readall-bytes c1 8000"), "ok 8000");
    ASSERT_EQ(writer.wait_for(10s), std::future_status::ready);
    EXPECT_EQ(writer.get(), 8000u);
    return;
  }
  ASSERT_EQ(client.call("readall-bytes c1 6000"), "ok 6000");
  EXPECT_EQ(writer.wait_for(200ms), std::future_status::timeout);  // 2000 unread: over 1024
  ASSERT_EQ(client.call("readall-bytes c1 1000"), "ok 1000");
  ASSERT_EQ(writer.wait_for(10s), std::future_status::ready);  // 1000 unread: within
  EXPECT_EQ(writer.get(), 8000u);
  EXPECT_EQ(client.call("peek c1"), "ok 1000");
}

TEST_F(PipeData, BlockingWriteOverTheQuotaWaitsForTheReader) {
  blocking_write_over_the_quota({}, pipe_name("bytes"));
}

TEST_F(PipeData, BlockingMessageOverTheQuotaWaitsForTheReader) {
  pipe_options messages = message_pipe;
  messages.mode = read_mode::byte;  // the reader takes it in parts
  blocking_write_over_the_quota(messages, pipe_name("messages"));
}

// A reader that takes everything and then closes has taken the write: it
// succeeded. One that closes with the write unread has not: it failed.
TEST_F(PipeData, AWriteOverTheQuotaReadWholeBeforeTheReaderClosesSucceeded) {
  pipe_options o;
  o.out_buffer_size = 1024;
  auto server = pipe_server::create(pipe_name(), o);
  test::helper_process client;
  ASSERT_EQ(client.call("open c1 " + pipe_name()), "ok");
  server.connect();
  auto writer = std::async(std::launch::async, [&] {
    std::error_code ec;
    std::size_t n = server.write(std::as_bytes(std::span<const char>(std::string(8000, 'q'))), ec);
    return std::pair(n, ec);
  });
  // Long enough for the writer's pauses between looks to have grown: the
  // reader then reads and closes between two of them.
  EXPECT_EQ(writer.wait_for(200ms), std::future_status::timeout);
  ASSERT_EQ(client.call("readall-bytes c1 8000"), "ok 8000");
  ASSERT_EQ(client.call("close c1"), "ok");
  ASSERT_EQ(writer.wait_for(10s), std::future_status::ready);
  auto [n, ec] = writer.get();
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_EQ(n, 8000u);
}

TEST_F(PipeData, AWriteOverTheQuotaLeftUnreadByAClosingReaderFailed) {
  pipe_options o;
  o.out_buffer_size = 1024;
  auto server = pipe_server::create(pipe_name(), o);
  test::helper_process client;
  ASSERT_EQ(client.call("open c1 " + pipe_name()), "ok");
  server.connect();
  auto writer = std::async(std::launch::async, [&] {
    std::error_code ec;
    server.write(std::as_bytes(std::span<const char>(std::string(8000, 'q'))), ec);
    return ec;
  });
  ASSERT_EQ(client.call("readall-bytes c1 1000"), "ok 1000");
  ASSERT_EQ(client.call("close c1"), "ok");
  ASSERT_EQ(writer.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(writer.get(), errc::no_data);
}

TEST_F(PipeData, BlockingWriteWithinTheQuotaEndsAtOnce) {
  pipe_options o;
  o.out_buffer_size = 1024;
  auto server = pipe_server::create(pipe_name(), o);
  test::helper_process client;
  ASSERT_EQ(client.call("open c1 " + pipe_name()), "ok");
  server.connect();
  EXPECT_EQ(server.write(std::string(600, 'a')), 600u);
  EXPECT_EQ(server.write(std::string(424, 'b')), 424u);  // 1024 unread: the quota, not over it
  EXPECT_EQ(client.call("peek c1"), "ok 1024");
}

// A nowait write that would take the unread data over the quota writes
// nothing: no partial writes, bytes or messages.
void nowait_write_over_the_quota(const pipe_options& type, const std::string& name) {
  pipe_options o = type;
  o.nowait = true;
  o.out_buffer_size = 512;
  auto server = pipe_server::create(name, o);
  test::helper_process client;
  ASSERT_EQ(client.call("open c1 " + name), "ok");
  server.connect();
  std::error_code ec;
  EXPECT_EQ(server.write(std::string(100, 'a'), ec), 100u);
  EXPECT_FALSE(ec);
  EXPECT_EQ(server.write(std::string(413, 'b'), ec), 0u);  // 513 would be unread
  EXPECT_FALSE(ec);
  EXPECT_EQ(client.call("peek c1"), "ok 100");
  EXPECT_EQ(server.write(std::string(412, 'c'), ec), 412u);  // 512: fits exactly
  EXPECT_EQ(client.call("peek c1"), "ok 512");
  ASSERT_EQ(client.call("readall-bytes c1 512"), "ok 512");
  EXPECT_EQ(server.write(std::string(413, 'd'), ec), 413u);  // all read: room again
}

TEST_F(PipeData, NowaitWriteOverTheQuotaWritesNothing) {
  nowait_write_over_the_quota({}, pipe_name("bytes"));
  pipe_options messages = message_pipe;
  messages.mode = read_mode::byte;
  nowait_write_over_the_quota(messages, pipe_name("messages"));
}

// The send buffer Linux gave a socket.
int send_buffer_of(int fd) {
  int size = 0;
  socklen_t length = sizeof(size);
  ::getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, &length);
  return size;
}

int proc_number(const char* path) {
  std::ifstream in(path);
  int value = 0;
  in >> value;
  return value;
}

TEST_F(PipeData, DefaultWriteQuotas) {
  // Asked for no buffer size, a byte pipe keeps Linux's default and a
  // message pipe gets 512 KiB; the kernel doubles either, within
  // net.core.wmem_max. A size asked for is what the kernel gets.
  int wmem_max = proc_number("/proc/sys/net/core/wmem_max");
  int wmem_default = proc_number("/proc/sys/net/core/wmem_default");
  ASSERT_GT(wmem_max, 0);
  auto bytes = pipe_server::create(pipe_name("bytes"));
  auto byte_client = pipe_client::open(pipe_name("bytes"));
  EXPECT_EQ(send_buffer_of(byte_client.impl()->socket()), wmem_default);
  auto messages = pipe_server::create(pipe_name("messages"), message_pipe);
  auto message_client = pipe_client::open(pipe_name("messages"));
  EXPECT_EQ(send_buffer_of(message_client.impl()->socket()), 2 * std::min(512 * 1024, wmem_max));
  pipe_options sized = message_pipe;
  sized.in_buffer_size = 65536;
  auto sized_server = pipe_server::create(pipe_name("sized"), sized);
  auto sized_client = pipe_client::open(pipe_name("sized"));
  EXPECT_EQ(send_buffer_of(sized_client.impl()->socket()), 2 * std::min(65536, wmem_max));
}

TEST_F(PipeData, HandleStateAndInfo) {
  pipe_options o;
  o.type = pipe_type::message;
  o.max_instances = 5;
  o.out_buffer_size = 1024;
  o.in_buffer_size = 2048;
  auto server = pipe_server::create(pipe_name(), o);
  test::helper_process other;
  ASSERT_EQ(other.call("create s2 " + pipe_name() + " type=message max=5"), "ok");
  ASSERT_EQ(other.call("create s3 " + pipe_name() + " type=message max=5"), "ok");
  auto client = pipe_client::open(pipe_name());
  EXPECT_EQ(server.current_instances(), 3u);
  EXPECT_EQ(client.current_instances(), 3u);

  auto info = server.info();
  EXPECT_TRUE(info.server_end);
  EXPECT_EQ(info.type, pipe_type::message);
  EXPECT_EQ(info.max_instances, 5u);
  EXPECT_EQ(info.out_buffer_size, 1024u);
  EXPECT_EQ(info.in_buffer_size, 2048u);
  auto client_info = client.info();
  EXPECT_FALSE(client_info.server_end);
  EXPECT_EQ(client_info.type, pipe_type::message);
  EXPECT_EQ(client_info.max_instances, 5u);
  EXPECT_EQ(client_info.out_buffer_size, 1024u);

  EXPECT_EQ(client.read_mode(), read_mode::byte);
  EXPECT_FALSE(client.nowait());
  client.set_read_mode(read_mode::message);
  client.set_nowait(true);
  EXPECT_EQ(client.read_mode(), read_mode::message);
  EXPECT_TRUE(client.nowait());
  ASSERT_EQ(other.call("close s3"), "ok");
  EXPECT_EQ(client.current_instances(), 2u);
}

}  // namespace
}  // namespace conduit
