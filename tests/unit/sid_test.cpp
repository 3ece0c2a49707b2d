// SIDs: text and alias forms, the binary layout, the Linux mapping, NSS.
#include "security/sid.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include "conduit/error.hpp"

namespace conduit::detail::security {
namespace {

sid parsed(std::string_view text) {
  sid s;
  EXPECT_FALSE(parse_sid(text, s)) << text;
  return s;
}

std::error_code parse_error(std::string_view text) {
  sid s;
  return parse_sid(text, s);
}

TEST(Sid, TextFormRoundTrips) {
  EXPECT_EQ(parsed("S-1-5-32-544"), (sid{1, 5, {32, 544}}));
  EXPECT_EQ(to_string(sid{1, 5, {32, 544}}), "S-1-5-32-544");
  EXPECT_EQ(to_string(parsed("S-1-5-21-93476-23408-4576")), "S-1-5-21-93476-23408-4576");
  // Lower case and hex numbers, as ConvertStringSidToSid reads them.
  EXPECT_EQ(parsed("s-1-12-1"), (sid{1, 12, {1}}));
  EXPECT_EQ(parsed("S-0x1-0XC-0x1a"), (sid{1, 12, {26}}));
  EXPECT_EQ(parsed("S-1-4294967295-4294967295"), (sid{1, 0xffffffff, {0xffffffff}}));
}

TEST(Sid, LargeAuthoritiesAreWrittenInHex) {
  EXPECT_EQ(to_string(sid{1, 0x123456789abcULL, {1}}), "S-1-0x123456789abc-1");
  EXPECT_EQ(parsed("S-1-0x123456789ABC-1"), (sid{1, 0x123456789abcULL, {1}}));
  EXPECT_EQ(to_string(sid{1, 860116326, {1}}), "S-1-860116326-1");
}

TEST(Sid, MalformedStringsAreInvalidSid) {
  for (std::string_view bad :
       {"", "S", "S-1", "S-1-5", "S-1-5-", "S-1--5", "S-2-5-1", "S-1-5-x", "X-1-5-1",
        "S-1-5-4294967296", "S-1-281474976710656-1", "WDandmorecharacters", "WD)", "XX",
        "S-1-1-0-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15", "S-1-5-18 ", "S-1-0x-1"}) {
    EXPECT_EQ(parse_error(bad), errc::invalid_sid) << bad;
  }
  // Fifteen sub-authorities is the most a SID holds.
  EXPECT_FALSE(parse_error("S-1-1-0-1-2-3-4-5-6-7-8-9-10-11-12-13-14"));
}

TEST(Sid, EveryAliasNamesItsSid) {
  const std::pair<std::string_view, std::string_view> table[] = {
      {"WD", "S-1-1-0"},      {"CO", "S-1-3-0"},      {"CG", "S-1-3-1"},
      {"OW", "S-1-3-4"},      {"NU", "S-1-5-2"},      {"IU", "S-1-5-4"},
      {"SU", "S-1-5-6"},      {"AN", "S-1-5-7"},      {"ED", "S-1-5-9"},
      {"PS", "S-1-5-10"},     {"AU", "S-1-5-11"},     {"RC", "S-1-5-12"},
      {"SY", "S-1-5-18"},     {"LS", "S-1-5-19"},     {"NS", "S-1-5-20"},
      {"WR", "S-1-5-33"},     {"BA", "S-1-5-32-544"}, {"BU", "S-1-5-32-545"},
      {"BG", "S-1-5-32-546"}, {"PU", "S-1-5-32-547"}, {"AO", "S-1-5-32-548"},
      {"SO", "S-1-5-32-549"}, {"PO", "S-1-5-32-550"}, {"BO", "S-1-5-32-551"},
      {"RE", "S-1-5-32-552"}, {"RU", "S-1-5-32-554"}, {"RD", "S-1-5-32-555"},
      {"NO", "S-1-5-32-556"}, {"MU", "S-1-5-32-558"}, {"LU", "S-1-5-32-559"},
      {"IS", "S-1-5-32-568"}, {"AC", "S-1-15-2-1"},   {"LW", "S-1-16-4096"},
      {"ME", "S-1-16-8192"},  {"HI", "S-1-16-12288"}, {"SI", "S-1-16-16384"},
  };
  for (auto [alias, text] : table) {
    sid s = parsed(alias);
    EXPECT_EQ(to_string(s), text) << alias;
    EXPECT_EQ(sddl_alias(s), alias);
    EXPECT_EQ(to_sddl_sid(s), alias);
    EXPECT_EQ(parsed(text), s);
  }
  EXPECT_EQ(parsed("wD"), well_known::everyone);
  EXPECT_EQ(to_sddl_sid(user_sid(1000)), "S-1-22-1-1000");
}

TEST(Sid, WellKnownConstants) {
  EXPECT_EQ(to_string(well_known::everyone), "S-1-1-0");
  EXPECT_EQ(to_string(well_known::local_system), "S-1-5-18");
  EXPECT_EQ(to_string(well_known::creator_owner), "S-1-3-0");
  EXPECT_EQ(to_string(well_known::creator_group), "S-1-3-1");
  EXPECT_EQ(to_string(well_known::anonymous), "S-1-5-7");
  EXPECT_EQ(to_string(well_known::network), "S-1-5-2");
  EXPECT_EQ(to_string(well_known::interactive), "S-1-5-4");
  EXPECT_EQ(to_string(well_known::authenticated_users), "S-1-5-11");
  EXPECT_EQ(to_string(well_known::administrators), "S-1-5-32-544");
}

TEST(Sid, LinuxIdentitiesMapAsSambaMapsThem) {
  EXPECT_EQ(to_string(user_sid(1000)), "S-1-22-1-1000");
  EXPECT_EQ(to_string(group_sid(27)), "S-1-22-2-27");
  EXPECT_EQ(uid_of(user_sid(4242)), 4242u);
  EXPECT_EQ(gid_of(group_sid(4243)), 4243u);
  EXPECT_FALSE(uid_of(group_sid(1)));
  EXPECT_FALSE(gid_of(user_sid(1)));
  EXPECT_FALSE(uid_of(well_known::local_system));
  EXPECT_FALSE(uid_of(sid{1, 22, {1, 5, 6}}));
}

TEST(Sid, BinaryFormIsWindowsLayout) {
  // S-1-5-32-544 as Windows stores it.
  const std::vector<std::uint8_t> admins{1, 2, 0, 0, 0, 0, 0, 5, 0x20, 0, 0, 0, 0x20, 0x02, 0, 0};
  EXPECT_EQ(to_bytes(well_known::administrators), admins);
  EXPECT_EQ(binary_size(well_known::administrators), 16u);
  sid back;
  std::size_t used = 0;
  ASSERT_FALSE(from_bytes(admins, back, &used));
  EXPECT_EQ(back, well_known::administrators);
  EXPECT_EQ(used, 16u);
  // The authority is big-endian over six bytes.
  auto big = to_bytes(sid{1, 0x102030405060ULL, {7}});
  EXPECT_EQ(std::vector<std::uint8_t>(big.begin() + 2, big.begin() + 8),
            (std::vector<std::uint8_t>{0x10, 0x20, 0x30, 0x40, 0x50, 0x60}));
}

TEST(Sid, MalformedBinaryIsInvalidSid) {
  sid s;
  const std::vector<std::uint8_t> good = to_bytes(user_sid(1000));
  for (std::size_t n = 0; n < good.size(); ++n)
    EXPECT_EQ(from_bytes(std::span(good.data(), n), s), errc::invalid_sid) << n;
  auto wrong_revision = good;
  wrong_revision[0] = 2;
  EXPECT_EQ(from_bytes(wrong_revision, s), errc::invalid_sid);
  auto too_many = good;
  too_many[1] = 16;
  too_many.resize(8 + 4 * 16);
  EXPECT_EQ(from_bytes(too_many, s), errc::invalid_sid);
}

TEST(Sid, NamesResolveThroughNss) {
  sid s;
  account found;
  ASSERT_FALSE(lookup_name("root", s, &found));
  EXPECT_EQ(s, user_sid(0));
  EXPECT_EQ(found.domain, "Unix User");
  EXPECT_EQ(found.kind, account_kind::user);
  // A group is found when no user has the name.
  ASSERT_FALSE(lookup_name("Unix Group\\root", s, &found));
  EXPECT_EQ(s, group_sid(0));
  EXPECT_EQ(found.kind, account_kind::group);
  ASSERT_FALSE(lookup_name("Everyone", s, &found));
  EXPECT_EQ(s, well_known::everyone);
  ASSERT_FALSE(lookup_name("nt authority\\system", s, &found));
  EXPECT_EQ(s, well_known::local_system);
  EXPECT_EQ(found.name, "SYSTEM");
  ASSERT_FALSE(lookup_name("BUILTIN\\Administrators", s, &found));
  EXPECT_EQ(s, well_known::administrators);
  EXPECT_EQ(found.kind, account_kind::alias);
  EXPECT_EQ(lookup_name("conduit-no-such-account", s), errc::none_mapped);
  EXPECT_EQ(lookup_name("", s), errc::none_mapped);
  EXPECT_EQ(lookup_name("Other Domain\\root", s), errc::none_mapped);
}

TEST(Sid, SidsResolveToNames) {
  account found;
  ASSERT_FALSE(lookup_sid(user_sid(0), found));
  EXPECT_EQ(found.name, "root");
  EXPECT_EQ(found.domain, "Unix User");
  ASSERT_FALSE(lookup_sid(group_sid(0), found));
  EXPECT_EQ(found.name, "root");
  EXPECT_EQ(found.domain, "Unix Group");
  ASSERT_FALSE(lookup_sid(well_known::everyone, found));
  EXPECT_EQ(found.name, "Everyone");
  EXPECT_EQ(found.domain, "");
  EXPECT_EQ(found.kind, account_kind::well_known_group);
  ASSERT_FALSE(lookup_sid(well_known::administrators, found));
  EXPECT_EQ(found.name, "Administrators");
  EXPECT_EQ(found.domain, "BUILTIN");
  EXPECT_EQ(lookup_sid(sid{1, 5, {21, 1, 2, 3, 500}}, found), errc::none_mapped);
  // A uid no account has.
  EXPECT_EQ(lookup_sid(user_sid(0xfffffff0u), found), errc::none_mapped);
}

}  // namespace
}  // namespace conduit::detail::security
