// conduitd.conf parsing: good settings, every kind of bad line named by
// file and line, and the caps only ever lowered.
#include <gtest/gtest.h>

#include "broker/broker_config.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

namespace conduit::broker {
namespace {

std::optional<gid_t> fake_groups(std::string_view name) {
  if (name == "wheel") return 10;
  if (name == "27") return 27;
  return std::nullopt;
}

config_result parse(std::string_view text) {
  return parse_config(text, "c.conf", fake_groups);
}

TEST(BrokerConfig, ReadsEverySetting) {
  auto r = parse(
      "# limits\n"
      "\n"
      "max-descriptors = 1000\n"
      "  descriptors-per-user=200  \r\n"
      "max-waits = 5000\n"
      "waits-per-user = 50\n"
      "admin-group = wheel, 27\n"
      "log-level = debug");
  ASSERT_TRUE(r.errors.empty()) << r.errors.front();
  EXPECT_EQ(r.config.limits.descriptors_total, 1000u);
  EXPECT_EQ(r.config.limits.descriptors_per_uid, 200u);
  EXPECT_EQ(r.config.limits.waits_total, 5000u);
  EXPECT_EQ(r.config.limits.waits_per_uid, 50u);
  EXPECT_EQ(r.config.admin_groups, (std::vector<gid_t>{10, 27}));
  EXPECT_EQ(r.config.level, log_level::debug);
}

TEST(BrokerConfig, EmptyFileSetsNothing) {
  auto r = parse("");
  EXPECT_TRUE(r.errors.empty());
  EXPECT_FALSE(r.config.limits.descriptors_total);
  EXPECT_FALSE(r.config.admin_groups);
  EXPECT_FALSE(r.config.level);
}

TEST(BrokerConfig, EmptyAdminGroupMeansRootOnly) {
  auto r = parse("admin-group =\n");
  ASSERT_TRUE(r.errors.empty());
  ASSERT_TRUE(r.config.admin_groups);
  EXPECT_TRUE(r.config.admin_groups->empty());
}

TEST(BrokerConfig, EveryBadLineIsNamedByFileAndLine) {
  auto r = parse(
      "max-descriptors = 100\n"           // 1: good
      "bogus\n"                           // 2
      "foo = 1\n"                         // 3
      "admin-group = wheel,nobody\n"      // 4
      "log-level = loud\n"                // 5
      "max-descriptors = 5\n"             // 6
      "waits-per-user = 0x10\n"           // 7
      "max-waits = 0\n"                   // 8
      "descriptors-per-user = 1048577\n"  // 9
      "admin-group = wheel,,27\n");       // 10 (admin-group first failed on 4, so this one counts)
  ASSERT_EQ(r.errors.size(), 9u);
  EXPECT_EQ(r.errors[0], "c.conf:2: expected NAME = VALUE, found \"bogus\"");
  EXPECT_EQ(r.errors[1].rfind("c.conf:3: unknown setting \"foo\" (known: max-descriptors", 0), 0u);
  EXPECT_EQ(r.errors[2], "c.conf:4: admin-group: no group \"nobody\"");
  EXPECT_EQ(r.errors[3],
            "c.conf:5: log-level: \"loud\" is none of error, warning, notice, info, debug");
  EXPECT_EQ(r.errors[4], "c.conf:6: max-descriptors is set twice (first on line 1)");
  EXPECT_EQ(r.errors[5], "c.conf:7: waits-per-user: \"0x10\" is no whole number from 1 to 1048576");
  EXPECT_EQ(r.errors[6], "c.conf:8: max-waits: \"0\" is no whole number from 1 to 1048576");
  EXPECT_EQ(r.errors[7],
            "c.conf:9: descriptors-per-user: \"1048577\" is no whole number from 1 to 1048576");
  EXPECT_EQ(r.errors[8], "c.conf:10: admin-group is set twice (first on line 4)");
}

TEST(BrokerConfig, HostileBytesAreQuotedNotEchoed) {
  std::string text = "max-waits = \x1b[2J\n";
  text += std::string("x\0y = 1\n", 8);
  auto r = parse(text);
  ASSERT_EQ(r.errors.size(), 2u);
  EXPECT_EQ(r.errors[0], "c.conf:1: max-waits: \"\\x1b[2J\" is no whole number from 1 to 1048576");
  EXPECT_EQ(r.errors[1], "c.conf:2: the line holds a NUL byte");
  auto long_name = parse(std::string(5000, 'a') + " = 1\n");
  ASSERT_EQ(long_name.errors.size(), 1u);
  EXPECT_LT(long_name.errors[0].size(), 300u);
}

TEST(BrokerConfig, OversizedFileIsRefusedWhole) {
  auto r = parse(std::string(max_config_size + 1, '#'));
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0], "c.conf:1: the file is larger than 65536 bytes");
}

TEST(BrokerConfig, MissingFile) {
  EXPECT_TRUE(read_config("/nonexistent/conduitd.conf", true, fake_groups).errors.empty());
  auto r = read_config("/nonexistent/conduitd.conf", false, fake_groups);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0], "/nonexistent/conduitd.conf: cannot read: No such file or directory");
  auto dir = read_config("/", false, fake_groups);
  ASSERT_EQ(dir.errors.size(), 1u);
  EXPECT_EQ(dir.errors[0], "/: is no regular file");
}

// A file others could have written could name the administrators: refused.
TEST(BrokerConfig, FileOthersMayWriteIsRefused) {
  std::string dir = "/tmp/conduit-config-XXXXXX";
  ASSERT_NE(::mkdtemp(dir.data()), nullptr);
  std::string path = dir + "/conduitd.conf";
  std::ofstream(path) << "admin-group = wheel\n";
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  auto good = read_config(path, false, fake_groups);
  EXPECT_TRUE(good.errors.empty());
  EXPECT_TRUE(good.config.admin_groups);

  ASSERT_EQ(::chmod(path.c_str(), 0666), 0);
  auto world = read_config(path, false, fake_groups);
  ASSERT_EQ(world.errors.size(), 1u);
  EXPECT_EQ(world.errors[0], path + ": may be written by others (owner uid " +
                                 std::to_string(::geteuid()) +
                                 ", mode 0666): it must belong to root or to this user and be "
                                 "writable by no one else");
  EXPECT_FALSE(world.config.admin_groups);

  ASSERT_EQ(::chmod(path.c_str(), 0620), 0);
  EXPECT_EQ(read_config(path, false, fake_groups).errors.size(), 1u);

  if (::geteuid() == 0) {  // another owner, even read-only
    ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
    ASSERT_EQ(::chown(path.c_str(), 4321, 4321), 0);
    auto foreign = read_config(path, false, fake_groups);
    ASSERT_EQ(foreign.errors.size(), 1u);
    EXPECT_NE(foreign.errors[0].find("(owner uid 4321, mode 0644)"), std::string::npos);
  }
  ::unlink(path.c_str());
  ::rmdir(dir.c_str());
}

TEST(BrokerConfig, SettingsOnlyLowerTheDerivedCaps) {
  broker_limits derived = derive_limits(20000, true);
  limit_settings raise;
  raise.descriptors_total = 1'000'000;
  raise.waits_per_uid = 1'000'000;
  broker_limits same = apply_settings(derived, raise);
  EXPECT_EQ(same.descriptors_total, derived.descriptors_total);
  EXPECT_EQ(same.waits_per_uid, derived.waits_per_uid);

  limit_settings lower;
  lower.descriptors_total = 100;
  lower.waits_total = 10;
  broker_limits low = apply_settings(derived, lower);
  EXPECT_EQ(low.descriptors_total, 100u);
  EXPECT_EQ(low.descriptors_per_uid, 100u);  // a share never exceeds the total
  EXPECT_EQ(low.waits_total, 10u);
  EXPECT_EQ(low.waits_per_uid, 10u);
}

TEST(BrokerLog, LevelWords) {
  EXPECT_EQ(parse_log_level("warning"), log_level::warning);
  EXPECT_EQ(parse_log_level("7"), log_level::debug);
  EXPECT_FALSE(parse_log_level("8"));
  EXPECT_FALSE(parse_log_level("Info"));
}

}  // namespace
}  // namespace conduit::broker
