// Mailslots on one machine: every rule of the slot, its writers and its
// reader, across processes, with the exact Win32 error of each refusal.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <fstream>
#include <future>
#include <thread>

#include "conduit/error.hpp"
#include "conduit/mailslot.hpp"
#include "conduit/pipe_server.hpp"
#include "core/wire.hpp"
#include "runtime/mailslot_reader.hpp"
#include "support/helper_process.hpp"
#include "support/mailslot_message.hpp"
#include "support/sandbox.hpp"

namespace conduit {
namespace {

using namespace std::chrono_literals;

class Mailslot : public test::sandbox {
 protected:
  /// A mailslot name unique to this test.
  [[nodiscard]] std::string slot_name(const std::string& suffix = "s") const {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    return std::string(R"(\\.\mailslot\)") + info->test_suite_name() + "." + info->name() + "." +
           suffix;
  }
};

std::string text(std::span<const std::byte> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// Waits (bounded) until thread `tid` of this process sleeps in one of
// `calls`, as /proc says: how a test knows a read or write is blocked
// before it acts, without sleeping.
bool wait_until_blocked(pid_t tid, std::initializer_list<long> calls) {
  auto deadline = std::chrono::steady_clock::now() + 10s;
  std::string path = "/proc/self/task/" + std::to_string(tid);
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream syscall(path + "/syscall");
    long number = -1;
    std::string state;
    std::ifstream stat(path + "/stat");
    std::string line;
    std::getline(stat, line);
    // The state follows the command name's closing parenthesis.
    auto paren = line.rfind(')');
    bool sleeping = paren != std::string::npos && line.size() > paren + 2 && line[paren + 2] == 'S';
    if (sleeping && syscall >> number &&
        std::find(calls.begin(), calls.end(), number) != calls.end())
      return true;
    std::this_thread::yield();
  }
  return false;
}

// Neither end offers the other's I/O: WriteFile on the reader's handle and
// ReadFile on a writer's are ERROR_ACCESS_DENIED on Windows, a compile error
// here.
template <typename T>
concept can_write = requires(T t, std::span<const std::byte> data) {
  t.write(data);
};
template <typename T>
concept can_read = requires(T t, std::span<std::byte> buffer) {
  t.read(buffer);
};
static_assert(can_read<mailslot_server> && !can_write<mailslot_server>);
static_assert(can_write<mailslot_client> && !can_read<mailslot_client>);

TEST(MailslotWire, RequestsRoundTrip) {
  using namespace detail::wire;
  header h;
  request out;
  create_mailslot_request create{R"(\\.\mailslot\x)", 424, "D:(A;;GA;;;WD)"};
  auto packet = encode(request(create), 5);
  ASSERT_FALSE(decode_request(packet, h, out));
  auto& got = std::get<create_mailslot_request>(out);
  EXPECT_EQ(got.name, create.name);
  EXPECT_EQ(got.max_message_size, 424u);
  EXPECT_EQ(got.security_descriptor, create.security_descriptor);
  EXPECT_EQ(fds_expected(out), 1u);

  packet = encode(request(open_mailslot_request{R"(\\.\mailslot\x)", 2}), 6);
  ASSERT_FALSE(decode_request(packet, h, out));
  EXPECT_EQ(std::get<open_mailslot_request>(out).desired_access, 2u);
  EXPECT_EQ(fds_expected(out), 0u);
  for (std::size_t cut = 0; cut < packet.size(); ++cut)
    EXPECT_TRUE(decode_request(std::span(packet).first(cut), h, out)) << "cut at " << cut;

  packet = encode(request(close_mailslot_request{1ull << 40}), 7);
  ASSERT_FALSE(decode_request(packet, h, out));
  EXPECT_EQ(std::get<close_mailslot_request>(out).slot_id, 1ull << 40);
}

TEST_F(Mailslot, CreateDescribesAnEmptySlot) {
  auto slot = mailslot_server::create(slot_name(), {.max_message_size = 16, .read_timeout = 0ms});
  auto info = slot.info();
  EXPECT_EQ(info.max_message_size, 16u);
  EXPECT_FALSE(info.next_size.has_value());  // MAILSLOT_NO_MESSAGE
  EXPECT_EQ(info.message_count, 0u);
  EXPECT_EQ(info.read_timeout, 0ms);
  // The defaults are those of CreateMailslot(name, 0, MAILSLOT_WAIT_FOREVER, NULL).
  auto other = mailslot_server::create(slot_name("defaults"));
  info = other.info();
  EXPECT_EQ(info.max_message_size, 0u);
  EXPECT_EQ(info.read_timeout, mailslot_wait_forever);
  EXPECT_EQ(mailslot_wait_forever.count(), 0xFFFFFFFF);
  // Both 0xFFFFFFFF parameters of CreateMailslot(name, -1, -1) are accepted.
  auto wacky = mailslot_server::create(slot_name("wacky"), {.max_message_size = 0xFFFFFFFF});
  EXPECT_EQ(wacky.info().max_message_size, 0xFFFFFFFFu);
}

TEST_F(Mailslot, SecondSlotOfTheSameNameFails) {
  auto slot = mailslot_server::create(slot_name("One"));
  std::error_code ec;
  auto again = mailslot_server::create(slot_name("One"), {}, ec);
  EXPECT_EQ(ec, errc::already_exists);
  EXPECT_FALSE(again.is_open());
  // Names compare without regard to case, prefix included, in any process.
  std::string shouted = slot_name("ONE");
  for (char& c : shouted) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  (void)mailslot_server::create(shouted, {}, ec);
  EXPECT_EQ(ec, errc::already_exists);
  test::helper_process other;
  EXPECT_EQ(other.call("slot-create s1 " + slot_name("one")), "err 183");
  // Once closed, the name is free.
  slot.close();
  EXPECT_EQ(other.call("slot-create s1 " + slot_name("one")), "ok");
  (void)mailslot_server::create(slot_name("One"), {}, ec);
  EXPECT_EQ(ec, errc::already_exists);
}

TEST_F(Mailslot, NamesAreTheirOwnNamespace) {
  // A pipe may have the slot's name, and slot names are no folders.
  std::string path = "Mailslot.own." + std::to_string(::getpid());
  auto pipe = pipe_server::create(R"(\\.\pipe\)" + path);
  auto slot = mailslot_server::create(R"(\\.\mailslot\)" + path);
  auto parent = mailslot_server::create(R"(\\.\mailslot\)" + path + R"(\below)");
  auto child = mailslot_server::create(R"(\\.\mailslot\)" + path + R"(\below\further)");
  EXPECT_TRUE(parent.is_open() && child.is_open());
  // `/` is `\`, and the host may be this machine's name or `?`.
  std::error_code ec;
  (void)mailslot_server::create(R"(//./mailslot/)" + path, {}, ec);
  EXPECT_EQ(ec, errc::already_exists);
  auto writer = mailslot_client::open(R"(\\?\MAILSLOT\)" + path);
  writer.write("via ?");
  EXPECT_EQ(text(slot.read_message()), "via ?");
}

TEST_F(Mailslot, BadNamesAndRemoteNames) {
  std::error_code ec;
  (void)mailslot_server::create("", {}, ec);
  EXPECT_EQ(ec, errc::path_not_found);
  (void)mailslot_server::create("blah", {}, ec);
  EXPECT_EQ(ec, errc::invalid_name);
  (void)mailslot_server::create(R"(\\.\mailslot\)", {}, ec);
  EXPECT_EQ(ec, errc::invalid_name);
  (void)mailslot_server::create(R"(\\.\mailslot\)" + std::string(250, 'x'), {}, ec);
  EXPECT_EQ(ec, errc::filename_exced_range);
  // A slot is only ever created here.
  (void)mailslot_server::create(R"(\\somehost\mailslot\x)", {}, ec);
  EXPECT_EQ(ec, errc::path_not_found);
  (void)mailslot_server::create(R"(\\*\mailslot\x)", {}, ec);
  EXPECT_EQ(ec, errc::path_not_found);

  auto slot = mailslot_server::create(slot_name());
  (void)mailslot_client::open(slot_name("absent"), ec);
  EXPECT_EQ(ec, errc::file_not_found);
  (void)mailslot_client::open("blah", ec);
  EXPECT_EQ(ec, errc::invalid_name);
  // Another machine, a domain, the whole network: writers send network
  // datagrams, tested in network namespaces of their own
  // (tests/network/mailslot_network_test.sh), never from the host's.
}

TEST_F(Mailslot, MessagesFromOtherProcessesArriveWholeInOrder) {
  auto slot = mailslot_server::create(slot_name(), {.read_timeout = 10s});
  test::helper_process a, b;
  ASSERT_EQ(a.call("slot-open c1 " + slot_name()), "ok");
  // The name is found however it is spelt.
  ASSERT_EQ(b.call("slot-open c1 " + slot_name("S")), "ok");
  EXPECT_EQ(a.call("slot-write c1 first"), "ok 5");
  EXPECT_EQ(b.call("slot-write c1 second"), "ok 6");
  EXPECT_EQ(a.call("slot-write c1"), "ok 0");
  EXPECT_EQ(a.call("slot-write c1 fourth"), "ok 6");
  EXPECT_EQ(slot.info().message_count, 4u);
  std::array<std::byte, 64> buffer;
  EXPECT_EQ(text(std::span(buffer).first(slot.read(buffer))), "first");
  EXPECT_EQ(text(std::span(buffer).first(slot.read(buffer))), "second");
  EXPECT_EQ(slot.read(buffer), 0u);
  EXPECT_EQ(text(slot.read_message()), "fourth");
  // A writer may come and go; what it wrote stays.
  EXPECT_EQ(a.call("slot-write c1 last"), "ok 4");
  EXPECT_EQ(a.call("slot-close c1"), "ok");
  a.kill_hard();
  EXPECT_EQ(text(slot.read_message()), "last");
}

TEST_F(Mailslot, OversizeMessageIsRefusedAndNotDelivered) {
  auto slot = mailslot_server::create(slot_name(), {.max_message_size = 16, .read_timeout = 0ms});
  test::helper_process writer;
  ASSERT_EQ(writer.call("slot-open c1 " + slot_name()), "ok");
  EXPECT_EQ(writer.call("slot-write c1 12345678901234567"), "err 87");
  EXPECT_EQ(writer.call("slot-fill c1 1000000"), "err 87");
  EXPECT_EQ(slot.info().message_count, 0u);
  EXPECT_EQ(writer.call("slot-write c1 1234567890123456"), "ok 16");
  auto local = mailslot_client::open(slot_name());
  EXPECT_EQ(local.max_message_size(), 16u);
  std::error_code ec;
  EXPECT_EQ(local.write(std::string(17, 'y'), ec), 0u);
  EXPECT_EQ(ec, errc::invalid_parameter);
  auto info = slot.info();
  EXPECT_EQ(info.message_count, 1u);
  EXPECT_EQ(info.next_size, 16u);
  EXPECT_EQ(text(slot.read_message()), "1234567890123456");
  slot.read_message(ec);
  EXPECT_EQ(ec, errc::sem_timeout);
}

TEST_F(Mailslot, SmallBufferLeavesTheMessage) {
  auto slot = mailslot_server::create(slot_name(), {.read_timeout = 0ms});
  auto writer = mailslot_client::open(slot_name());
  writer.write("hello world");
  writer.write("");
  std::array<std::byte, 4> small;
  std::error_code ec;
  EXPECT_EQ(slot.read(small, ec), 0u);
  EXPECT_EQ(ec, errc::insufficient_buffer);
  EXPECT_EQ(slot.read(std::span<std::byte>(), ec), 0u);
  EXPECT_EQ(ec, errc::insufficient_buffer);
  EXPECT_THROW(slot.read(small), std::system_error);
  auto info = slot.info();
  EXPECT_EQ(info.message_count, 2u);
  EXPECT_EQ(info.next_size, 11u);
  std::array<std::byte, 11> exact;
  EXPECT_EQ(slot.read(exact, ec), 11u);
  EXPECT_FALSE(ec);
  EXPECT_EQ(text(exact), "hello world");
  // A zero-length message fits any buffer, even none.
  EXPECT_EQ(slot.read(std::span<std::byte>(), ec), 0u);
  EXPECT_FALSE(ec);
  slot.read(std::span<std::byte>(), ec);
  EXPECT_EQ(ec, errc::sem_timeout);
}

TEST_F(Mailslot, EmptySlotWaitsUpToTheReadTimeout) {
  auto slot = mailslot_server::create(slot_name(), {.read_timeout = 0ms});
  std::array<std::byte, 16> buffer;
  std::error_code ec;
  auto start = std::chrono::steady_clock::now();
  slot.read(buffer, ec);
  EXPECT_EQ(ec, errc::sem_timeout);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  slot.set_read_timeout(200ms);
  start = std::chrono::steady_clock::now();
  slot.read_message(ec);
  EXPECT_EQ(ec, errc::sem_timeout);
  auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, 200ms);
  EXPECT_LT(waited, 10s);
  EXPECT_THROW(slot.read(buffer), std::system_error);
}

TEST_F(Mailslot, ReadWaitingForeverWakesForAMessage) {
  auto slot = mailslot_server::create(slot_name());
  std::promise<pid_t> tid;
  auto pending = std::async(std::launch::async, [&] {
    tid.set_value(static_cast<pid_t>(::gettid()));
    return text(slot.read_message());
  });
  test::helper_process writer;
  ASSERT_EQ(writer.call("slot-open c1 " + slot_name()), "ok");
  ASSERT_TRUE(wait_until_blocked(tid.get_future().get(), {SYS_recvmsg}));
  EXPECT_EQ(writer.call("slot-write c1 wake"), "ok 4");
  ASSERT_EQ(pending.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(pending.get(), "wake");
}

TEST_F(Mailslot, ZeroLengthMessagesAreMessages) {
  auto slot = mailslot_server::create(slot_name(), {.read_timeout = 0ms});
  test::helper_process writer;
  ASSERT_EQ(writer.call("slot-open c1 " + slot_name()), "ok");
  EXPECT_EQ(writer.call("slot-write c1"), "ok 0");
  EXPECT_EQ(writer.call("slot-write c1 ab"), "ok 2");
  EXPECT_EQ(writer.call("slot-write c1"), "ok 0");
  auto info = slot.info();
  EXPECT_EQ(info.message_count, 3u);
  EXPECT_EQ(info.next_size, 0u);
  std::array<std::byte, 16> buffer;
  EXPECT_EQ(slot.read(buffer), 0u);
  info = slot.info();
  EXPECT_EQ(info.message_count, 2u);
  EXPECT_EQ(info.next_size, 2u);
  EXPECT_EQ(slot.read(buffer), 2u);
  info = slot.info();
  EXPECT_EQ(info.message_count, 1u);
  EXPECT_EQ(info.next_size, 0u);
  EXPECT_TRUE(slot.read_message().empty());
  info = slot.info();
  EXPECT_EQ(info.message_count, 0u);
  EXPECT_FALSE(info.next_size.has_value());
}

TEST_F(Mailslot, InfoCountsWhatArrivesAndReadsKeepOrder) {
  auto slot = mailslot_server::create(slot_name(), {.read_timeout = 0ms});
  auto writer = mailslot_client::open(slot_name());
  writer.write("a");
  EXPECT_EQ(slot.info().message_count, 1u);  // now taken off the socket
  writer.write("bb");
  writer.write("ccc");
  auto info = slot.info();
  EXPECT_EQ(info.message_count, 3u);
  EXPECT_EQ(info.next_size, 1u);
  writer.write("dddd");
  EXPECT_EQ(text(slot.read_message()), "a");
  EXPECT_EQ(text(slot.read_message()), "bb");
  EXPECT_EQ(text(slot.read_message()), "ccc");
  EXPECT_EQ(text(slot.read_message()), "dddd");
  EXPECT_EQ(slot.info().message_count, 0u);
}

TEST_F(Mailslot, SetReadTimeoutAndItsRange) {
  auto slot = mailslot_server::create(slot_name(), {.read_timeout = 0ms});
  slot.set_read_timeout(250ms);
  EXPECT_EQ(slot.info().read_timeout, 250ms);
  slot.set_read_timeout(mailslot_wait_forever);
  EXPECT_EQ(slot.info().read_timeout, mailslot_wait_forever);
  slot.set_read_timeout(std::chrono::milliseconds(0xFFFFFFFE));
  EXPECT_EQ(slot.info().read_timeout.count(), 0xFFFFFFFE);
  std::error_code ec;
  slot.set_read_timeout(-1ms, ec);
  EXPECT_EQ(ec, errc::invalid_parameter);
  slot.set_read_timeout(std::chrono::milliseconds(0x100000000), ec);
  EXPECT_EQ(ec, errc::invalid_parameter);
  EXPECT_EQ(slot.info().read_timeout.count(), 0xFFFFFFFE);
  (void)mailslot_server::create(slot_name("bad"), {.read_timeout = -5ms}, ec);
  EXPECT_EQ(ec, errc::invalid_parameter);
}

TEST_F(Mailslot, ClosingTheReaderRemovesTheSlot) {
  auto slot = mailslot_server::create(slot_name(), {.read_timeout = 0ms});
  test::helper_process writer;
  ASSERT_EQ(writer.call("slot-open c1 " + slot_name()), "ok");
  EXPECT_EQ(writer.call("slot-write c1 unread"), "ok 6");
  slot.close();
  EXPECT_FALSE(slot.is_open());
  // The writer is told, rather than losing its messages silently.
  EXPECT_EQ(writer.call("slot-write c1 lost"), "err 38");
  EXPECT_EQ(writer.call("slot-write c1"), "err 38");
  EXPECT_EQ(writer.call("slot-open c2 " + slot_name()), "err 2");
  // A new slot of the same name is another slot: the old writer cannot reach it.
  auto fresh = mailslot_server::create(slot_name(), {.read_timeout = 0ms});
  EXPECT_EQ(writer.call("slot-write c1 stale"), "err 38");
  EXPECT_EQ(fresh.info().message_count, 0u);
  ASSERT_EQ(writer.call("slot-open c2 " + slot_name()), "ok");
  EXPECT_EQ(writer.call("slot-write c2 new"), "ok 3");
  EXPECT_EQ(text(fresh.read_message()), "new");
  // The closed slot answers nothing.
  std::error_code ec;
  (void)slot.info(ec);
  EXPECT_EQ(ec, errc::invalid_handle);
  std::array<std::byte, 8> buffer;
  slot.read(buffer, ec);
  EXPECT_EQ(ec, errc::invalid_handle);
  slot.set_read_timeout(1ms, ec);
  EXPECT_EQ(ec, errc::invalid_handle);
}

TEST_F(Mailslot, ReaderProcessEndRemovesTheSlot) {
  test::helper_process reader;
  ASSERT_EQ(reader.call("slot-create s1 " + slot_name()), "ok");
  auto writer = mailslot_client::open(slot_name());
  writer.write("before");
  EXPECT_EQ(reader.call("slot-info s1"), "ok 0 6 1 4294967295");
  EXPECT_EQ(reader.call("slot-read s1 64"), "ok before");
  reader.kill_hard();
  std::error_code ec;
  writer.write("after", ec);
  EXPECT_EQ(ec, errc::handle_eof);
  (void)mailslot_client::open(slot_name(), ec);
  EXPECT_EQ(ec, errc::file_not_found);
  auto mine = mailslot_server::create(slot_name());
  EXPECT_TRUE(mine.is_open());
}

TEST_F(Mailslot, CloseWakesAWaitingReader) {
  auto slot = mailslot_server::create(slot_name());
  std::promise<pid_t> tid;
  auto waiting = std::async(std::launch::async, [&] {
    tid.set_value(static_cast<pid_t>(::gettid()));
    std::error_code ec;
    slot.read_message(ec);
    return ec;
  });
  ASSERT_TRUE(wait_until_blocked(tid.get_future().get(), {SYS_recvmsg}));
  slot.close();
  ASSERT_EQ(waiting.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(waiting.get(), errc::operation_aborted);
}

// A read with a finite timeout waits in the receiving socket's recvmsg
// itself (one system call a message when the reader keeps up): a message from
// another process ends the wait at once, long before the timeout.
TEST_F(Mailslot, FiniteTimeoutReadWakesForAMessageFromAnotherProcess) {
  auto slot = mailslot_server::create(slot_name(), {.read_timeout = 60s});
  test::helper_process writer;
  ASSERT_EQ(writer.call("slot-open c1 " + slot_name()), "ok");
  for (int round = 0; round < 3; ++round) {
    std::promise<pid_t> tid;
    auto pending = std::async(std::launch::async, [&] {
      tid.set_value(static_cast<pid_t>(::gettid()));
      std::array<std::byte, 16> buffer;
      std::error_code ec;
      std::size_t n = slot.read(buffer, ec);
      return ec ? "error " + ec.message() : text(std::span(buffer).first(n));
    });
    ASSERT_TRUE(wait_until_blocked(tid.get_future().get(), {SYS_recvmsg}));
    std::string message = "wake" + std::to_string(round);
    EXPECT_EQ(writer.call("slot-write c1 " + message), "ok 5");
    ASSERT_EQ(pending.wait_for(10s), std::future_status::ready);
    EXPECT_EQ(pending.get(), message);
  }
}

// The wait's timeout is the socket's receive timeout: it fires when it
// should for each timeout the slot is given, one after the other, and a
// slot set to wait for ever afterwards waits past the last one.
TEST_F(Mailslot, TimeoutsFireWithinBoundsAsTheyChange) {
  auto slot = mailslot_server::create(slot_name(), {.read_timeout = 150ms});
  std::array<std::byte, 16> buffer;
  for (auto timeout : {150ms, 40ms, 300ms, 1ms}) {
    slot.set_read_timeout(timeout);
    std::error_code ec;
    auto start = std::chrono::steady_clock::now();
    slot.read(buffer, ec);
    auto waited = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(ec, errc::sem_timeout) << timeout.count() << " ms";
    EXPECT_GE(waited, timeout);
    EXPECT_LT(waited, timeout + 5s);
  }
  slot.set_read_timeout(mailslot_wait_forever);
  std::promise<pid_t> tid;
  auto pending = std::async(std::launch::async, [&] {
    tid.set_value(static_cast<pid_t>(::gettid()));
    std::error_code ec;
    auto message = slot.read_message(ec);
    return ec ? "error " + ec.message() : text(message);
  });
  ASSERT_TRUE(wait_until_blocked(tid.get_future().get(), {SYS_recvmsg}));
  // Past the last finite timeout (1 ms) and the one before (300 ms): the
  // read still waits.
  EXPECT_EQ(pending.wait_for(500ms), std::future_status::timeout);
  auto writer = mailslot_client::open(slot_name());
  writer.write("late");
  ASSERT_EQ(pending.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(pending.get(), "late");
}

// set_read_timeout (SetMailslotInfo) applies to reads that start after it,
// as on Windows: a read already waiting keeps the timeout it began with,
// whether the new one is shorter or longer.
TEST_F(Mailslot, SetReadTimeoutWhileAReadWaits) {
  auto slot = mailslot_server::create(slot_name(), {.read_timeout = mailslot_wait_forever});
  auto writer = mailslot_client::open(slot_name());
  {
    std::promise<pid_t> tid;
    auto pending = std::async(std::launch::async, [&] {
      tid.set_value(static_cast<pid_t>(::gettid()));
      std::error_code ec;
      auto message = slot.read_message(ec);
      return ec ? "error " + ec.message() : text(message);
    });
    ASSERT_TRUE(wait_until_blocked(tid.get_future().get(), {SYS_recvmsg}));
    slot.set_read_timeout(50ms);
    EXPECT_EQ(pending.wait_for(400ms), std::future_status::timeout);
    // A read of another thread with the new timeout, while the first waits
    // on: it times out on its own clock.
    std::error_code ec;
    auto start = std::chrono::steady_clock::now();
    slot.read_message(ec);
    auto waited = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(ec, errc::sem_timeout);
    EXPECT_GE(waited, 50ms);
    EXPECT_LT(waited, 5s);
    EXPECT_EQ(pending.wait_for(0s), std::future_status::timeout);
    writer.write("first");
    ASSERT_EQ(pending.wait_for(10s), std::future_status::ready);
    EXPECT_EQ(pending.get(), "first");
  }
  {
    slot.set_read_timeout(200ms);
    auto start = std::chrono::steady_clock::now();
    std::promise<pid_t> tid;
    auto pending = std::async(std::launch::async, [&] {
      tid.set_value(static_cast<pid_t>(::gettid()));
      std::error_code ec;
      slot.read_message(ec);
      return ec;
    });
    ASSERT_TRUE(wait_until_blocked(tid.get_future().get(), {SYS_recvmsg}));
    slot.set_read_timeout(mailslot_wait_forever);
    ASSERT_EQ(pending.wait_for(10s), std::future_status::ready);
    EXPECT_EQ(pending.get(), errc::sem_timeout);
    auto waited = std::chrono::steady_clock::now() - start;
    EXPECT_GE(waited, 200ms);
    EXPECT_LT(waited, 5s);
  }
}

// info() while another thread waits in a read takes nothing off the socket:
// a message taken into the reader's queue then would be left there while
// the read waits on. Each message reaches the waiting read however info()
// and its arrival interleave, and the count never goes past one.
TEST_F(Mailslot, InfoWhileAReadWaitsLeavesTheMessageToIt) {
  auto slot = mailslot_server::create(slot_name(), {.read_timeout = 15s});
  auto writer = mailslot_client::open(slot_name());
  // Both threads on one CPU: the reader, woken by the message, runs only
  // once this thread yields, so info() nearly always comes first.
  cpu_set_t all, one;
  ASSERT_EQ(::sched_getaffinity(0, sizeof(all), &all), 0);
  CPU_ZERO(&one);
  CPU_SET(::sched_getcpu(), &one);
  ASSERT_EQ(::sched_setaffinity(0, sizeof(one), &one), 0);
  struct restore {
    cpu_set_t set;
    ~restore() { ::sched_setaffinity(0, sizeof(set), &set); }
  } restore_affinity{all};
  for (int round = 0; round < 200; ++round) {
    auto pending = std::async(std::launch::async, [&] {
      std::error_code ec;
      auto message = slot.read_message(ec);
      return ec ? "error " + ec.message() : text(message);
    });
    std::string message = "m" + std::to_string(round);
    writer.write(message);
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (pending.wait_for(0s) != std::future_status::ready &&
           std::chrono::steady_clock::now() < deadline) {
      auto info = slot.info();
      ASSERT_LE(info.message_count, 1u);
      if (info.next_size) {
        EXPECT_EQ(*info.next_size, message.size());
      }
    }
    ASSERT_EQ(pending.wait_for(0s), std::future_status::ready) << "round " << round;
    EXPECT_EQ(pending.get(), message);
  }
  EXPECT_EQ(slot.info().message_count, 0u);
}

// A read waiting with a finite timeout gets what a read that does not wait
// gets: a message too big for its buffer is ERROR_INSUFFICIENT_BUFFER and
// stays for the next read, and a large (memfd) message arrives whole.
TEST_F(Mailslot, WaitingReadKeepsBufferRulesAndLargeMessages) {
  auto slot = mailslot_server::create(slot_name(), {.read_timeout = 60s});
  test::helper_process writer;
  ASSERT_EQ(writer.call("slot-open c1 " + slot_name()), "ok");
  std::promise<pid_t> tid;
  auto small = std::async(std::launch::async, [&] {
    tid.set_value(static_cast<pid_t>(::gettid()));
    std::array<std::byte, 4> buffer;
    buffer.fill(std::byte{'z'});
    std::error_code ec;
    slot.read(buffer, ec);
    // Nothing is copied into a buffer the message does not fit.
    if (text(buffer) != "zzzz") ec = errc::invalid_function;
    return ec;
  });
  ASSERT_TRUE(wait_until_blocked(tid.get_future().get(), {SYS_recvmsg}));
  EXPECT_EQ(writer.call("slot-write c1 hello_world"), "ok 11");
  ASSERT_EQ(small.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(small.get(), errc::insufficient_buffer);
  auto info = slot.info();
  EXPECT_EQ(info.message_count, 1u);
  EXPECT_EQ(info.next_size, 11u);
  EXPECT_EQ(text(slot.read_message()), "hello_world");

  constexpr std::size_t large = 200 * 1024;
  std::promise<pid_t> tid2;
  auto big = std::async(std::launch::async, [&] {
    tid2.set_value(static_cast<pid_t>(::gettid()));
    std::vector<std::byte> buffer(large);
    std::error_code ec;
    std::size_t n = slot.read(buffer, ec);
    return ec ? std::size_t{0}
              : static_cast<std::size_t>(
                    std::count(buffer.begin(), buffer.begin() + n, std::byte{'x'}));
  });
  ASSERT_TRUE(wait_until_blocked(tid2.get_future().get(), {SYS_recvmsg}));
  EXPECT_EQ(writer.call("slot-fill c1 " + std::to_string(large)), "ok " + std::to_string(large));
  ASSERT_EQ(big.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(big.get(), large);
}

// Closing the slot ends a read waiting with a finite timeout at once.
TEST_F(Mailslot, CloseWakesAReadWithAFiniteTimeout) {
  auto slot = mailslot_server::create(slot_name(), {.read_timeout = 60s});
  std::promise<pid_t> tid;
  auto start = std::chrono::steady_clock::now();
  auto waiting = std::async(std::launch::async, [&] {
    tid.set_value(static_cast<pid_t>(::gettid()));
    std::array<std::byte, 8> buffer;
    std::error_code ec;
    slot.read(buffer, ec);
    return ec;
  });
  ASSERT_TRUE(wait_until_blocked(tid.get_future().get(), {SYS_recvmsg}));
  slot.close();
  ASSERT_EQ(waiting.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(waiting.get(), errc::operation_aborted);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 30s);
}

// A receiving socket someone made non-blocking (the reader's own process or
// the broker could; no conduit code does) ends a recvmsg at once instead of
// after its receive timeout: the read notices and polls instead of
// spinning, and still times out when it should.
TEST_F(Mailslot, ANonBlockingReceivingSocketDoesNotSpin) {
  auto slot = mailslot_server::create(slot_name(), {.read_timeout = 300ms});
  int fd = slot.impl()->socket();
  ASSERT_EQ(::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK), 0);
  auto cpu = [] {
    rusage usage{};
    ::getrusage(RUSAGE_THREAD, &usage);
    return std::chrono::seconds(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
           std::chrono::microseconds(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
  };
  std::array<std::byte, 8> buffer;
  std::error_code ec;
  auto start = std::chrono::steady_clock::now();
  auto cpu_before = cpu();
  slot.read(buffer, ec);
  auto used = cpu() - cpu_before;
  auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(ec, errc::sem_timeout);
  EXPECT_GE(waited, 300ms);
  EXPECT_LT(waited, 5s);
  EXPECT_LT(used, 100ms);
  auto writer = mailslot_client::open(slot_name());
  writer.write("still");
  EXPECT_EQ(text(std::span(buffer).first(slot.read(buffer))), "still");
}

TEST_F(Mailslot, CloseWakesAWriterWaitingForRoom) {
  auto slot = mailslot_server::create(slot_name());
  auto writer = mailslot_client::open(slot_name());
  // Far more than the queue holds: the writer ends up waiting.
  constexpr int messages = 2000;
  std::promise<pid_t> tid;
  std::atomic<int> written{0};
  auto filling = std::async(std::launch::async, [&] {
    tid.set_value(static_cast<pid_t>(::gettid()));
    std::string message(32 * 1024, 'z');
    std::error_code ec;
    for (int i = 0; i < messages && !ec; ++i)
      if (writer.write(message, ec) == message.size()) ++written;
    return ec;
  });
  ASSERT_TRUE(wait_until_blocked(tid.get_future().get(), {SYS_sendto}));
  EXPECT_GT(slot.info().message_count, 0u);
  slot.close();
  ASSERT_EQ(filling.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(filling.get(), errc::handle_eof);
  EXPECT_LT(written.load(), messages);
}

TEST_F(Mailslot, AForkedChildClosingItsCopyKeepsTheSlot) {
  auto slot = mailslot_server::create(slot_name(), {.read_timeout = 10s});
  auto writer = mailslot_client::open(slot_name());
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The child's copies are not the slot: closing them ends nothing.
    slot.close();
    writer.close();
    ::_exit(slot.is_open() ? 1 : 0);
  }
  // Bounded: a pidfd says when the child is done.
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, child, 0));
  ASSERT_GE(pidfd, 0);
  pollfd done{pidfd, POLLIN, 0};
  EXPECT_EQ(::poll(&done, 1, 10'000), 1);
  ::close(pidfd);
  int status = -1;
  ASSERT_EQ(::waitpid(child, &status, WNOHANG), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_TRUE(slot.is_open());
  writer.write("still here");
  EXPECT_EQ(text(slot.read_message()), "still here");
  std::error_code ec;
  (void)mailslot_server::create(slot_name(), {}, ec);
  EXPECT_EQ(ec, errc::already_exists);
}

TEST_F(Mailslot, QueuedMessagesSurviveWritersAndABrokerRestart) {
  auto slot = mailslot_server::create(slot_name(), {.read_timeout = 0ms});
  auto local = mailslot_client::open(slot_name());
  {
    test::helper_process writer;
    ASSERT_EQ(writer.call("slot-open c1 " + slot_name()), "ok");
    EXPECT_EQ(writer.call("slot-write c1 one"), "ok 3");
    EXPECT_EQ(writer.call("slot-write c1 two"), "ok 3");
  }
  int old_broker = broker_pid();
  ASSERT_GT(old_broker, 0);
  kill_broker();
  // The slot does not go through the broker: everything still flows.
  local.write("three");
  EXPECT_EQ(slot.info().message_count, 3u);
  // A new broker comes up and the slot registers again by itself.
  auto deadline = std::chrono::steady_clock::now() + 10s;
  std::error_code ec;
  mailslot_client fresh;
  do {
    fresh = mailslot_client::open(slot_name(), ec);
  } while (ec == errc::file_not_found && std::chrono::steady_clock::now() < deadline);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_NE(broker_pid(), old_broker);
  fresh.write("four");
  (void)mailslot_server::create(slot_name(), {}, ec);
  EXPECT_EQ(ec, errc::already_exists);
  for (std::string expected : {"one", "two", "three", "four"})
    EXPECT_EQ(text(slot.read_message()), expected);
}

TEST_F(Mailslot, LargeMessagesArriveWhole) {
  auto slot = mailslot_server::create(slot_name(), {.read_timeout = 10s});
  test::helper_process writer;
  ASSERT_EQ(writer.call("slot-open c1 " + slot_name()), "ok");
  const std::size_t sizes[] = {64 * 1024, 64 * 1024 + 1, 1 << 20, 8 << 20};
  for (std::size_t size : sizes)
    EXPECT_EQ(writer.call("slot-fill c1 " + std::to_string(size)), "ok " + std::to_string(size));
  EXPECT_EQ(writer.call("slot-write c1 small"), "ok 5");
  auto info = slot.info();
  EXPECT_EQ(info.message_count, 5u);
  EXPECT_EQ(info.next_size, 64u * 1024);
  std::vector<std::byte> too_small(64 * 1024 - 1);
  std::error_code ec;
  slot.read(too_small, ec);
  EXPECT_EQ(ec, errc::insufficient_buffer);
  for (std::size_t size : sizes) {
    auto message = slot.read_message();
    ASSERT_EQ(message.size(), size);
    EXPECT_EQ(std::count(message.begin(), message.end(), std::byte{'x'}), static_cast<long>(size));
  }
  EXPECT_EQ(text(slot.read_message()), "small");
  // The maximum holds for large messages too.
  auto bounded = mailslot_server::create(slot_name("bounded"), {.max_message_size = 100000});
  ASSERT_EQ(writer.call("slot-open c2 " + slot_name("bounded")), "ok");
  EXPECT_EQ(writer.call("slot-fill c2 100001"), "err 87");
  EXPECT_EQ(writer.call("slot-fill c2 100000"), "ok 100000");
  EXPECT_EQ(bounded.read_message().size(), 100000u);
}

TEST_F(Mailslot, ThreadsOfOneWriterNeverMixMessages) {
  auto slot = mailslot_server::create(slot_name(), {.read_timeout = 10s});
  auto writer = mailslot_client::open(slot_name());
  constexpr std::uint32_t threads = 8, each = 1000;
  std::vector<std::thread> workers;
  for (std::uint32_t t = 0; t < threads; ++t)
    workers.emplace_back([&, t] {
      for (std::uint32_t seq = 0; seq < each; ++seq)
        writer.write(test::mailslot_message(11, t, seq));
    });
  std::vector<std::uint32_t> next(threads, 0);
  std::error_code ec;
  for (std::uint32_t got = 0; got < threads * each && !ec; ++got) {
    auto message = slot.read_message(ec);
    if (message.empty()) continue;
    std::uint32_t t = 0, seq = 0;
    ASSERT_TRUE(test::check_mailslot_message(11, message, t, seq));
    ASSERT_LT(t, threads);
    while (test::mailslot_message(11, t, next[t]).empty()) ++next[t];
    ASSERT_EQ(seq, next[t]++);
  }
  EXPECT_FALSE(ec) << ec.message();
  for (auto& w : workers) w.join();
}

TEST_F(Mailslot, SixteenWriterProcessesFiveThousandMessagesEach) {
  constexpr std::uint32_t writers = 16, each = 5000, seed = 20240601;
  auto slot = mailslot_server::create(slot_name(), {.read_timeout = 30s});
  std::vector<std::unique_ptr<test::helper_process>> helpers;
  for (std::uint32_t w = 0; w < writers; ++w) {
    helpers.push_back(std::make_unique<test::helper_process>());
    ASSERT_EQ(helpers.back()->call("slot-open c1 " + slot_name()), "ok");
  }
  for (std::uint32_t w = 0; w < writers; ++w)
    helpers[w]->send("slot-burst c1 " + std::to_string(w) + " " + std::to_string(each) + " " +
                     std::to_string(seed));
  std::vector<std::uint32_t> next(writers, 0);
  std::uint32_t empty = 0, expected_empty = 0;
  for (std::uint32_t seq = 0; seq < each; ++seq)
    expected_empty += test::mailslot_message(seed, 0, seq).empty() ? writers : 0;
  for (std::uint32_t got = 0; got < writers * each; ++got) {
    std::error_code ec;
    auto message = slot.read_message(ec);
    ASSERT_FALSE(ec) << ec.message() << " after " << got << " messages";
    if (message.empty()) {
      ++empty;
      continue;
    }
    std::uint32_t w = 0, seq = 0;
    ASSERT_TRUE(test::check_mailslot_message(seed, message, w, seq)) << "message " << got;
    ASSERT_LT(w, writers);
    // Exactly once, in each writer's order.
    while (test::mailslot_message(seed, w, next[w]).empty()) ++next[w];
    ASSERT_EQ(seq, next[w]) << "writer " << w;
    ++next[w];
  }
  EXPECT_EQ(empty, expected_empty);
  for (auto& helper : helpers) EXPECT_EQ(helper->answer(60s), "ok");
  EXPECT_EQ(slot.info().message_count, 0u);
}

TEST_F(Mailslot, EmptyObjectsAreInvalidHandles) {
  mailslot_server server;
  mailslot_client client;
  std::error_code ec;
  std::array<std::byte, 4> buffer;
  server.read(buffer, ec);
  EXPECT_EQ(ec, errc::invalid_handle);
  (void)server.info(ec);
  EXPECT_EQ(ec, errc::invalid_handle);
  client.write("x", ec);
  EXPECT_EQ(ec, errc::invalid_handle);
  EXPECT_FALSE(server.is_open());
  EXPECT_FALSE(client.is_open());
  auto slot = mailslot_server::create(slot_name());
  client = mailslot_client::open(slot_name());
  EXPECT_EQ(client.server_process_id(), static_cast<std::uint32_t>(::getpid()));
  client.close();
  client.write("x", ec);
  EXPECT_EQ(ec, errc::invalid_handle);
}

}  // namespace
}  // namespace conduit
