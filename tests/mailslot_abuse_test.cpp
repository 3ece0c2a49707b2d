// Mailslots against hostile writers: a writer abusing the socket it was
// given (shutting it down, changing its flags, reaching the reader's address
// on its own, sending records no conduit writer makes) ends or changes
// nothing but its own writes, and the owner's messages all reach the real
// reader. The same holds between two Unix users on one system broker.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <string>

#include "conduit/error.hpp"
#include "conduit/mailslot.hpp"
#include "core/unique_fd.hpp"
#include "support/helper_process.hpp"
#include "support/mailslot_message.hpp"
#include "support/other_user.hpp"
#include "support/sandbox.hpp"
#include "support/system_broker.hpp"

namespace conduit {
namespace {

using namespace std::chrono_literals;
using detail::unique_fd;

std::string text(std::span<const std::byte> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// A field of /proc/self/status, in kB.
long status_kb(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
  return -1;
}

class MailslotAbuse : public test::sandbox {
 protected:
  [[nodiscard]] std::string slot_name(const std::string& suffix = "s") const {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    return std::string(R"(\\.\mailslot\)") + info->test_suite_name() + "." + info->name() + "." +
           suffix;
  }
};

TEST_F(MailslotAbuse, AWriterShuttingItsSocketDownEndsOnlyItsOwnWrites) {
  auto slot = mailslot_server::create(slot_name(), {.read_timeout = 10s});
  test::helper_process attacker, writer;
  ASSERT_EQ(attacker.call("slot-open c1 " + slot_name()), "ok");
  ASSERT_EQ(writer.call("slot-open c1 " + slot_name()), "ok");
  EXPECT_EQ(attacker.call("slot-attack shutdown"), "ok 1");
  // The slot is still the reader's: its name is not free to take.
  EXPECT_EQ(attacker.call("slot-create s1 " + slot_name()), "err 183");  // ERROR_ALREADY_EXISTS
  EXPECT_EQ(attacker.call("slot-write c1 mine"), "err 38");              // ERROR_HANDLE_EOF
  // A new writer still finds the slot, and every message arrives.
  test::helper_process late;
  ASSERT_EQ(late.call("slot-open c1 " + slot_name()), "ok");
  EXPECT_EQ(writer.call("slot-write c1 one"), "ok 3");
  EXPECT_EQ(late.call("slot-write c1 two"), "ok 3");
  EXPECT_EQ(text(slot.read_message()), "one");
  EXPECT_EQ(text(slot.read_message()), "two");
  EXPECT_EQ(slot.info().message_count, 0u);
}

TEST_F(MailslotAbuse, FlagsOnOneWritersSocketLeaveAnotherWritersSendsAlone) {
  constexpr std::uint32_t count = 300, seed = 77;
  auto slot = mailslot_server::create(slot_name(), {.read_timeout = 10s});
  test::helper_process attacker, writer;
  ASSERT_EQ(attacker.call("slot-open c1 " + slot_name()), "ok");
  ASSERT_EQ(writer.call("slot-open c1 " + slot_name()), "ok");
  EXPECT_EQ(attacker.call("slot-attack nonblock"), "ok 1");
  // Far more than the slot queues: the writer waits for room many times,
  // and none of its sends may fail for a flag someone else set.
  writer.send("slot-burst c1 0 " + std::to_string(count) + " " + std::to_string(seed));
  for (std::uint32_t seq = 0; seq < count; ++seq) {
    std::error_code ec;
    auto message = slot.read_message(ec);
    ASSERT_FALSE(ec) << ec.message() << " at " << seq;
    EXPECT_EQ(message, test::mailslot_message(seed, 0, seq)) << seq;
  }
  EXPECT_EQ(writer.answer(), "ok");
}

TEST_F(MailslotAbuse, ForgedRecordsAreDroppedAndTheReaderStaysSmall) {
  auto slot = mailslot_server::create(slot_name(), {.read_timeout = 10s});
  test::helper_process attacker, writer;
  ASSERT_EQ(attacker.call("slot-open c1 " + slot_name()), "ok");
  ASSERT_EQ(writer.call("slot-open c1 " + slot_name()), "ok");
  const char* kinds[] = {"sparse", "sparse-small", "liar", "unsealed", "two-fds", "pipe", "short"};
  long peak_before = status_kb("VmPeak"), rss_before = status_kb("VmRSS");
  ASSERT_GT(peak_before, 0);
  for (const char* kind : kinds) {
    EXPECT_EQ(attacker.call(std::string("slot-attack forge ") + kind), "ok") << kind;
    EXPECT_EQ(writer.call(std::string("slot-write c1 ") + kind),
              "ok " + std::to_string(std::strlen(kind)));
    // Counting takes every record off the socket; a forged one is not a
    // message, and never keeps the next good one from being read.
    EXPECT_EQ(slot.info().message_count, 1u) << kind;
    EXPECT_EQ(text(slot.read_message()), kind);
  }
  // The same, met by a read waiting for the next message.
  EXPECT_EQ(attacker.call("slot-attack forge sparse"), "ok");
  EXPECT_EQ(writer.call("slot-write c1 after"), "ok 5");
  EXPECT_EQ(text(slot.read_message()), "after");
  long peak_grew = status_kb("VmPeak") - peak_before, rss_grew = status_kb("VmRSS") - rss_before;
  // A 2 GiB record costs the reader nothing: well under the 64 MiB a slot
  // takes at most.
  EXPECT_LT(peak_grew, 64 * 1024) << "VmPeak grew by " << peak_grew << " kB";
  EXPECT_LT(rss_grew, 16 * 1024) << "VmRSS grew by " << rss_grew << " kB";
  RecordProperty("VmPeakGrowthKb", std::to_string(peak_grew));
  RecordProperty("VmRssGrowthKb", std::to_string(rss_grew));
}

TEST_F(MailslotAbuse, ARecordLargerThanTheSlotTakesIsDropped) {
  auto slot =
      mailslot_server::create(slot_name(), {.max_message_size = 100000, .read_timeout = 10s});
  test::helper_process attacker, writer;
  ASSERT_EQ(attacker.call("slot-open c1 " + slot_name()), "ok");
  ASSERT_EQ(writer.call("slot-open c1 " + slot_name()), "ok");
  EXPECT_EQ(attacker.call("slot-attack forge oversize"), "ok");
  EXPECT_EQ(writer.call("slot-fill c1 100001"), "err 87");  // ERROR_INVALID_PARAMETER
  EXPECT_EQ(writer.call("slot-fill c1 100000"), "ok 100000");
  EXPECT_EQ(slot.info().message_count, 1u);
  EXPECT_EQ(slot.read_message().size(), 100000u);
}

TEST_F(MailslotAbuse, AnySizeStopsAtTheCeiling) {
  // 0 and 0xFFFFFFFF both mean "any size": up to 64 MiB.
  for (std::uint32_t max : {0u, 0xFFFFFFFFu}) {
    std::string name = slot_name(std::to_string(max));
    auto slot = mailslot_server::create(name, {.max_message_size = max, .read_timeout = 10s});
    test::helper_process writer;
    ASSERT_EQ(writer.call("slot-open c1 " + name), "ok");
    EXPECT_EQ(writer.call("slot-fill c1 " + std::to_string((64 << 20) + 1)), "err 87");
    EXPECT_EQ(writer.call("slot-fill c1 " + std::to_string(64 << 20)),
              "ok " + std::to_string(64 << 20));
    EXPECT_EQ(slot.read_message().size(), std::size_t{64} << 20);
  }
}

// ---- Two users on one system broker.

using test::beside_self;
using test::runs_as;
using test::unused_uid;

class MailslotTwoUsers : public MailslotAbuse {
 protected:
  void SetUp() override {
    MailslotAbuse::SetUp();
    if (::geteuid() != 0) GTEST_SKIP() << "acting as other users needs root";
    owner_ = unused_uid(62000);
    attacker_ = unused_uid(owner_ + 1);
    writer_ = unused_uid(attacker_ + 1);
    ASSERT_NE(writer_, static_cast<uid_t>(-1));
    ASSERT_EQ(::chmod(runtime_dir_.c_str(), 0755), 0);
    // The system broker, as root (clients of other users trust it as such).
    dir_ = runtime_dir_ + "/system";
    ASSERT_TRUE(broker_.start(dir_));
    // Helpers started from here on use it.
    ::setenv("CONDUIT_RUNTIME_DIR", dir_.c_str(), 1);
  }

  void TearDown() override {
    broker_.stop();
    MailslotAbuse::TearDown();
  }

  std::string dir_;
  test::system_broker broker_;
  uid_t owner_ = 0, attacker_ = 0, writer_ = 0;
};

TEST_F(MailslotTwoUsers, AnotherUsersWriterCannotTakeTheSlotOver) {
  std::string name = slot_name();
  test::helper_process owner({}, owner_), attacker({}, attacker_), writer({}, writer_);
  // The slot lets every user write (the default lets only its creator):
  // the attacker is a writer like any other.
  ASSERT_EQ(owner.call("slot-create s1 " + name + " timeout=10000 sd=D:(A;;GA;;;WD)"), "ok");
  ASSERT_EQ(attacker.call("slot-open c1 " + name), "ok");
  ASSERT_EQ(writer.call("slot-open c1 " + name), "ok");

  // It learns where the reader receives, but may neither send there on a
  // socket of its own nor bind there: the folder is the broker's alone.
  EXPECT_EQ(attacker.call("slot-attack reach"), "ok 13 13");  // EACCES, EACCES
  // Records no writer makes are dropped; flags and shutdown are its own.
  EXPECT_EQ(attacker.call("slot-attack forge sparse"), "ok");
  EXPECT_EQ(attacker.call("slot-attack forge liar"), "ok");
  EXPECT_EQ(attacker.call("slot-attack nonblock"), "ok 1");
  EXPECT_EQ(attacker.call("slot-attack shutdown"), "ok 1");
  EXPECT_EQ(attacker.call("slot-create s2 " + name), "err 183");  // ERROR_ALREADY_EXISTS

  for (int i = 0; i < 8; ++i) EXPECT_EQ(writer.call("slot-write c1 m" + std::to_string(i)), "ok 2");
  EXPECT_EQ(owner.call("slot-info s1"), "ok 0 2 8 10000");
  for (int i = 0; i < 8; ++i) EXPECT_EQ(owner.call("slot-read s1 64"), "ok m" + std::to_string(i));

  // Once the owner closes the slot the name is free, and whoever takes it
  // next gets a new slot: the old writers reach neither it nor anybody.
  EXPECT_EQ(owner.call("slot-close s1"), "ok");
  ASSERT_EQ(attacker.call("slot-create s2 " + name), "ok");
  EXPECT_EQ(writer.call("slot-write c1 late"), "err 38");  // ERROR_HANDLE_EOF
  EXPECT_EQ(attacker.call("slot-info s2"), "ok 0 none 0 4294967295");
}

}  // namespace
}  // namespace conduit
