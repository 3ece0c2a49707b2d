// Message pipes: boundaries, partial reads, zero-length and huge messages,
// read modes, and concurrent writers.
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <algorithm>
#include <cstring>
#include <thread>

#include "conduit/error.hpp"
#include "conduit/pipe_client.hpp"
#include "conduit/pipe_server.hpp"
#include "runtime/client_end.hpp"
#include "runtime/pipe_channel.hpp"
#include "support/helper_process.hpp"
#include "support/memory_cap.hpp"
#include "support/sandbox.hpp"
#include "support/stress_message.hpp"

namespace conduit {
namespace {

using namespace std::chrono_literals;

class MessageMode : public test::sandbox {
 protected:
  // A message server in a helper process and a client here, connected.
  pipe_client connect_to_helper(test::helper_process& server, const std::string& extra = "") {
    EXPECT_EQ(server.call("create s1 " + pipe_name() + " type=message mode=message " + extra),
              "ok");
    auto client = pipe_client::open(pipe_name());
    EXPECT_EQ(server.call("connect s1"), "ok already");
    return client;
  }
};

std::string text(std::span<const std::byte> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

TEST_F(MessageMode, EachWriteIsOneMessage) {
  test::helper_process server;
  auto client = connect_to_helper(server);
  for (const char* m : {"one", "two", "three"})
    ASSERT_EQ(server.call(std::string("write s1 ") + m), "ok " + std::to_string(strlen(m)));
  client.set_read_mode(read_mode::message);
  std::array<std::byte, 64> buffer;
  EXPECT_EQ(text(std::span(buffer).first(client.read(buffer))), "one");
  EXPECT_EQ(text(std::span(buffer).first(client.read(buffer))), "two");
  EXPECT_EQ(text(std::span(buffer).first(client.read(buffer))), "three");
}

TEST_F(MessageMode, ClientStartsInByteReadModeAndMessagesJoin) {
  test::helper_process server;
  auto client = connect_to_helper(server);
  EXPECT_EQ(client.read_mode(), read_mode::byte);
  ASSERT_EQ(server.call("write s1 abc"), "ok 3");
  ASSERT_EQ(server.call("write s1 def"), "ok 3");
  // Both messages are there (peek sees them) before the byte read joins them.
  std::array<std::byte, 64> buffer;
  EXPECT_EQ(client.peek().bytes_available, 6u);
  EXPECT_EQ(text(std::span(buffer).first(client.read(buffer))), "abcdef");
}

TEST_F(MessageMode, TooSmallBufferGetsMoreData) {
  test::helper_process server;
  auto client = connect_to_helper(server);
  client.set_read_mode(read_mode::message);
  ASSERT_EQ(server.call("write s1 0123456789"), "ok 10");
  ASSERT_EQ(server.call("write s1 next"), "ok 4");
  std::array<std::byte, 4> small;
  std::error_code ec;
  EXPECT_EQ(text(std::span(small).first(client.read(small, ec))), "0123");
  EXPECT_EQ(ec, errc::more_data);
  EXPECT_EQ(client.peek().message_bytes_left, 6u);
  // The rest comes to whichever thread reads next.
  std::string rest;
  std::thread other([&] {
    std::array<std::byte, 64> buffer;
    std::error_code other_ec;
    rest = text(std::span(buffer).first(client.read(buffer, other_ec)));
    EXPECT_FALSE(other_ec);
  });
  other.join();
  EXPECT_EQ(rest, "456789");
  std::array<std::byte, 64> buffer;
  EXPECT_EQ(text(std::span(buffer).first(client.read(buffer, ec))), "next");
  EXPECT_FALSE(ec);
}

TEST_F(MessageMode, ZeroLengthMessagesAreMessages) {
  auto server =
      pipe_server::create(pipe_name(), {.type = pipe_type::message, .mode = read_mode::message});
  test::helper_process client;
  ASSERT_EQ(client.call("open c1 " + pipe_name()), "ok");
  server.connect();
  ASSERT_EQ(client.call("fill c1 0"), "ok 0");
  ASSERT_EQ(client.call("write c1 after"), "ok 5");
  std::array<std::byte, 16> buffer;
  // Peek sees the empty message first, however often it looks (the kernel
  // hides a record of no bytes from a later walk once it has shown it).
  for (int round = 0; round < 2; ++round) {
    auto seen = server.peek(buffer);
    EXPECT_EQ(seen.bytes_read, 0u) << "round " << round;
    EXPECT_EQ(seen.bytes_available, 5u) << "round " << round;
    EXPECT_EQ(seen.message_bytes_left, 0u) << "round " << round;
  }
  std::error_code ec;
  EXPECT_EQ(server.read(buffer, ec), 0u);
  EXPECT_FALSE(ec);
  auto seen = server.peek(buffer);
  EXPECT_EQ(text(std::span(buffer).first(seen.bytes_read)), "after");
  EXPECT_EQ(seen.message_bytes_left, 5u);
  EXPECT_EQ(text(std::span(buffer).first(server.read(buffer, ec))), "after");
}

TEST_F(MessageMode, HugeMessageArrivesWhole) {
  constexpr std::size_t size = 64u << 20;
  test::helper_process server;
  auto client = connect_to_helper(server);
  client.set_read_mode(read_mode::message);
  server.send("& fill s1 " + std::to_string(size));
  auto message = client.read_message();
  EXPECT_EQ(server.background_answer(30s), "ok " + std::to_string(size));
  ASSERT_EQ(message.size(), size);
  EXPECT_EQ(std::count(message.begin(), message.end(), std::byte{'x'}),
            static_cast<std::ptrdiff_t>(size));
}

TEST_F(MessageMode, MessagesOfManyRecordsReadInPieces) {
  // A small write quota makes small records: a message then spans dozens
  // of them, and reads and peeks that stop anywhere see one whole message.
  constexpr std::size_t size = 100'000;
  test::helper_process server;
  auto client = connect_to_helper(server, "out=4096");
  client.set_read_mode(read_mode::message);
  server.send("& fill s1 " + std::to_string(size));
  std::array<std::byte, 1000> first;
  std::error_code ec;
  EXPECT_EQ(client.read(first, ec), first.size());
  EXPECT_EQ(ec, errc::more_data);
  std::array<std::byte, 16> peeked;
  auto counts = client.peek(peeked);
  EXPECT_EQ(counts.message_bytes_left, size - first.size());
  EXPECT_GE(counts.bytes_available, peeked.size());
  EXPECT_EQ(text(std::span(peeked).first(counts.bytes_read)), std::string(16, 'x'));
  std::vector<std::byte> rest(7001);  // no multiple of any record size
  std::size_t total = first.size();
  do {
    total += client.read(rest, ec);
  } while (ec == errc::more_data);
  EXPECT_FALSE(ec);
  EXPECT_EQ(total, size);
  EXPECT_EQ(server.background_answer(30s), "ok " + std::to_string(size));
  ASSERT_EQ(server.call("write s1 next"), "ok 4");
  std::array<std::byte, 64> buffer;
  EXPECT_EQ(text(std::span(buffer).first(client.read(buffer, ec))), "next");
}

TEST_F(MessageMode, ByteReadModeJoinsMessagesOfManyRecords) {
  test::helper_process server;
  auto client = connect_to_helper(server, "out=4096");
  server.send("& fill s1 30000");
  std::string all;
  std::array<std::byte, 3001> buffer;
  while (all.size() < 30000) all += text(std::span(buffer).first(client.read(buffer)));
  EXPECT_EQ(server.background_answer(30s), "ok 30000");
  ASSERT_EQ(server.call("write s1 end"), "ok 3");
  while (all.size() < 30003) all += text(std::span(buffer).first(client.read(buffer)));
  EXPECT_EQ(all, std::string(30000, 'x') + "end");
}

TEST_F(MessageMode, ARecordOfNoMessageIsABadPipe) {
  // What a peer sends that is not this framing ends in ERROR_BAD_PIPE, not
  // in a made-up message.
  auto server =
      pipe_server::create(pipe_name(), {.type = pipe_type::message, .mode = read_mode::message});
  auto client = pipe_client::open(pipe_name());
  server.connect();
  int fd = client.impl()->socket();
  std::array<std::byte, 16> buffer;
  std::error_code ec;
  // Longer than a short message, shorter than a first record.
  std::string too_short(4098, 'x');
  ASSERT_EQ(::send(fd, too_short.data(), too_short.size(), 0), 4098);
  EXPECT_EQ(server.read(buffer, ec), 0u);
  EXPECT_EQ(ec, errc::bad_pipe);
  // A first record with more data than its length (10) says.
  std::string overlong = std::string("\x0a\0\0\0", 4) + std::string(4096, 'y');
  ASSERT_EQ(::send(fd, overlong.data(), overlong.size(), 0), 4100);
  EXPECT_EQ(server.read(buffer, ec), 0u);
  EXPECT_EQ(ec, errc::bad_pipe);
  // A record of no bytes where a message's continuation should be.
  std::string first = std::string("\x88\x13\0\0", 4) + std::string(4096, 'z');
  ASSERT_EQ(::send(fd, first.data(), first.size(), 0), 4100);
  ASSERT_EQ(::send(fd, "", 0, 0), 0);
  client.close();  // a read waiting for more ends instead of hanging
  std::vector<std::byte> big(8192);
  EXPECT_EQ(server.read(big, ec), 4096u);
  EXPECT_EQ(ec, errc::bad_pipe);
}

// A first record of 4,100 bytes: a declared length, then 4,096 bytes.
std::string first_record(std::uint32_t length) {
  std::string record(4, '\0');
  for (int i = 0; i < 4; ++i) record[i] = static_cast<char>((length >> (8 * i)) & 0xFF);
  return record + std::string(4096, 'q');
}

TEST_F(MessageMode, AClaimedLengthCostsNoMemory) {
  // What a peer declares is a claim: the reader's memory follows what
  // arrives. Under a cap of 256 MiB more address space, an allocation of the
  // declared size would fail at once.
  auto server =
      pipe_server::create(pipe_name(), {.type = pipe_type::message, .mode = read_mode::message});
  auto client = pipe_client::open(pipe_name());
  server.connect();
  int fd = client.impl()->socket();
  constexpr std::uint32_t claimed = 0x60000000;  // 1.5 GiB, within the largest message
  std::string record = first_record(claimed);
  ASSERT_EQ(::send(fd, record.data(), record.size(), 0), 4100);
  std::size_t peak_before = test::process_memory("VmHWM");
  {
    test::memory_cap cap(256 << 20);
    ASSERT_TRUE(cap.active());
    // The peek reports the claim without acting on it.
    auto seen = server.peek({});
    EXPECT_EQ(seen.bytes_available, 4096u);
    EXPECT_EQ(seen.message_bytes_left, claimed);
    client.close();  // the rest never comes
    std::error_code ec;
    std::vector<std::byte> message;
    try {
      message = server.read_message(ec);
    } catch (const std::bad_alloc&) {
      FAIL() << "the reader allocated what the peer claimed";
    }
    EXPECT_EQ(ec, errc::broken_pipe);
    EXPECT_LE(message.size(), 4096u);
  }
  EXPECT_LT(test::process_memory("VmHWM"), peak_before + (256 << 20));
}

TEST_F(MessageMode, AMessageLongerThanAnyIsABadPipe) {
  // A first record that declares more than the largest message (2 GiB - 1)
  // is not this framing: ERROR_BAD_PIPE at once, nothing allocated, and the
  // process and its other pipes go on.
  auto server =
      pipe_server::create(pipe_name(), {.type = pipe_type::message, .mode = read_mode::message});
  auto client = pipe_client::open(pipe_name());
  server.connect();
  int fd = client.impl()->socket();
  std::string record = first_record(0xC0000000);  // 3 GiB
  ASSERT_EQ(::send(fd, record.data(), record.size(), 0), 4100);
  std::string largest_plus_one = first_record(detail::pipe_channel::max_message_size + 1);
  ASSERT_EQ(::send(fd, largest_plus_one.data(), largest_plus_one.size(), 0), 4100);
  test::memory_cap cap(256 << 20);
  ASSERT_TRUE(cap.active());
  // Peek sees no message in what is not one.
  auto seen = server.peek({});
  EXPECT_EQ(seen.bytes_available, 0u);
  EXPECT_EQ(seen.message_bytes_left, 0u);
  std::error_code ec;
  std::vector<std::byte> message;
  try {
    message = server.read_message(ec);
  } catch (const std::bad_alloc&) {
    FAIL() << "the reader allocated what the peer claimed";
  }
  EXPECT_EQ(ec, errc::bad_pipe);
  EXPECT_TRUE(message.empty());
  std::array<std::byte, 16> buffer;
  EXPECT_EQ(server.read(buffer, ec), 0u);
  EXPECT_EQ(ec, errc::bad_pipe);
  // Another pipe of this process is untouched.
  auto other = pipe_server::create(pipe_name("other"),
                                   {.type = pipe_type::message, .mode = read_mode::message});
  auto other_client = pipe_client::open(pipe_name("other"));
  other.connect();
  other_client.write("still here");
  EXPECT_EQ(text(other.read_message()), "still here");
}

TEST_F(MessageMode, AWriterRefusesAMessageLongerThanAny) {
  // The largest message plus one, in address space that is reserved only:
  // the write refuses it before touching a byte.
  auto server =
      pipe_server::create(pipe_name(), {.type = pipe_type::message, .mode = read_mode::message});
  auto client = pipe_client::open(pipe_name());
  server.connect();
  std::size_t size = std::size_t{detail::pipe_channel::max_message_size} + 1;
  void* reserved =
      ::mmap(nullptr, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  ASSERT_NE(reserved, MAP_FAILED);
  std::error_code ec;
  EXPECT_EQ(client.write(std::span(static_cast<const std::byte*>(reserved), size), ec), 0u);
  EXPECT_EQ(ec, errc::invalid_parameter);
  ::munmap(reserved, size);
  auto seen = server.peek({});
  EXPECT_EQ(seen.bytes_available, 0u);
}

TEST_F(MessageMode, ShortMessagesGoWithoutFraming) {
  // A message of up to 4096 bytes is one record of its bytes alone; a longer
  // one starts with its length (docs/named-pipes.md).
  auto server =
      pipe_server::create(pipe_name(), {.type = pipe_type::message, .mode = read_mode::message});
  auto client = pipe_client::open(pipe_name());
  server.connect();
  int fd = client.impl()->socket();
  std::vector<char> record(8192);
  // Each write is done before the recv: MSG_DONTWAIT never waits for one.
  server.write(std::as_bytes(std::span("hi", 2)));
  EXPECT_EQ(::recv(fd, record.data(), record.size(), MSG_DONTWAIT), 2);
  EXPECT_EQ(std::string(record.data(), 2), "hi");
  std::vector<std::byte> longer(5000, std::byte{'z'});
  server.write(longer);
  ASSERT_EQ(::recv(fd, record.data(), record.size(), MSG_DONTWAIT), 5004);
  EXPECT_EQ(std::string(record.data(), 4), std::string("\x88\x13\0\0", 4));
  // An empty message is a record of no bytes, which comes with its sender's
  // address; the end of the stream comes with none.
  server.write(std::span<const std::byte>());
  sockaddr_un sender{};
  socklen_t length = sizeof(sender);
  EXPECT_EQ(::recvfrom(fd, record.data(), record.size(), MSG_DONTWAIT,
                       reinterpret_cast<sockaddr*>(&sender), &length),
            0);
  EXPECT_GT(length, 0u);
}

TEST_F(MessageMode, EmptyMessageBeforeTheEndIsStillRead) {
  // The writer's last message is empty and it goes away at once: the reader
  // gets the message, then ERROR_BROKEN_PIPE.
  auto server =
      pipe_server::create(pipe_name(), {.type = pipe_type::message, .mode = read_mode::message});
  {
    test::helper_process client;
    ASSERT_EQ(client.call("open c1 " + pipe_name()), "ok");
    server.connect();
    ASSERT_EQ(client.call("write c1 last"), "ok 4");
    ASSERT_EQ(client.call("fill c1 0"), "ok 0");
  }  // the helper exits: its end closes
  std::array<std::byte, 16> buffer;
  std::error_code ec;
  EXPECT_EQ(text(std::span(buffer).first(server.read(buffer, ec))), "last");
  EXPECT_FALSE(ec);
  // Peek still finds something to read: the empty message.
  auto seen = server.peek(buffer, ec);
  EXPECT_FALSE(ec);
  EXPECT_EQ(seen.bytes_available, 0u);
  EXPECT_EQ(server.read(buffer, ec), 0u);
  EXPECT_FALSE(ec);
  server.peek(buffer, ec);
  EXPECT_EQ(ec, errc::broken_pipe);
  EXPECT_EQ(server.read(buffer, ec), 0u);
  EXPECT_EQ(ec, errc::broken_pipe);
}

TEST_F(MessageMode, ByteReadModeOnlyOnMessagePipes) {
  auto byte_server = pipe_server::create(pipe_name("bytes"));
  std::error_code ec;
  byte_server.set_read_mode(read_mode::message, ec);
  EXPECT_EQ(ec, errc::invalid_parameter);
  auto client = pipe_client::open(pipe_name("bytes"));
  client.set_read_mode(read_mode::message, ec);
  EXPECT_EQ(ec, errc::invalid_parameter);
  EXPECT_EQ(client.read_mode(), read_mode::byte);

  auto message_server = pipe_server::create(pipe_name("messages"), {.type = pipe_type::message});
  EXPECT_EQ(message_server.read_mode(), read_mode::byte);  // as created
  message_server.set_read_mode(read_mode::message);
  EXPECT_EQ(message_server.read_mode(), read_mode::message);
}

TEST_F(MessageMode, ByteTypePipeCarriesNoFraming) {
  // A byte pipe is a raw stream: what the server writes is what the socket carries.
  test::helper_process server;
  ASSERT_EQ(server.call("create s1 " + pipe_name()), "ok");
  auto client = pipe_client::open(pipe_name());
  ASSERT_EQ(server.call("write s1 raw"), "ok 3");
  std::array<char, 8> raw{};
  ASSERT_EQ(::recv(client.impl()->socket(), raw.data(), raw.size(), 0), 3);
  EXPECT_EQ(std::string(raw.data(), 3), "raw");
}

TEST_F(MessageMode, FourWritersTenThousandMessages) {
  constexpr int writers = 4, per_writer = 2500;
  constexpr std::uint32_t seed = 20261122;
  test::helper_process server;
  auto client = connect_to_helper(server);
  client.set_read_mode(read_mode::message);
  server.send("& stress-write s1 " + std::to_string(writers) + " " + std::to_string(per_writer) +
              " " + std::to_string(seed));
  test::stress_checker checker(seed, writers, per_writer);
  std::vector<std::byte> buffer(test::stress_max_size);
  for (int received = 0; received < writers * per_writer; ++received) {
    std::error_code ec;
    std::size_t n = client.read(buffer, ec);
    ASSERT_FALSE(ec) << "message " << received << ": " << ec.message();
    ASSERT_TRUE(checker.accept(std::span(buffer).first(n)))
        << "message " << received << " of " << n << " bytes is no writer's next message";
  }
  EXPECT_EQ(server.background_answer(60s), "ok");
  EXPECT_TRUE(checker.complete());
  EXPECT_EQ(client.peek().bytes_available, 0u);
}

}  // namespace
}  // namespace conduit
