// SDDL text and the self-relative binary form of security descriptors.
#include <gtest/gtest.h>

#include "conduit/error.hpp"
#include "security/access_check.hpp"
#include "security/security_descriptor.hpp"

namespace conduit::detail::security {
namespace {

security_descriptor parsed(std::string_view text) {
  security_descriptor sd;
  EXPECT_FALSE(parse_sddl(text, sd)) << text;
  return sd;
}

std::error_code parse_error(std::string_view text) {
  security_descriptor sd;
  return parse_sddl(text, sd);
}

std::vector<std::uint8_t> hex(std::string_view text) {
  std::vector<std::uint8_t> bytes;
  for (std::size_t i = 0; i + 1 < text.size();) {
    if (text[i] == ' ' || text[i] == '\n') {
      ++i;
      continue;
    }
    bytes.push_back(
        static_cast<std::uint8_t>(std::stoi(std::string(text.substr(i, 2)), nullptr, 16)));
    i += 2;
  }
  return bytes;
}

TEST(Sddl, ParsesOwnerGroupAndDacl) {
  auto sd = parsed("O:BAG:SYD:P(A;;GA;;;WD)(D;OICI;0x1;;;S-1-22-1-1000)");
  EXPECT_EQ(sd.owner, well_known::administrators);
  EXPECT_EQ(sd.group, well_known::local_system);
  EXPECT_TRUE(sd.dacl_present);
  EXPECT_FALSE(sd.dacl_null);
  EXPECT_TRUE(sd.dacl_protected);
  ASSERT_EQ(sd.dacl.size(), 2u);
  EXPECT_EQ(sd.dacl[0], (ace{ace::kind::allow, 0, rights::generic_all, well_known::everyone}));
  EXPECT_EQ(sd.dacl[1],
            (ace{ace::kind::deny, ace_flags::object_inherit | ace_flags::container_inherit, 1,
                 user_sid(1000)}));
}

TEST(Sddl, EmptyTextAndEmptyDacl) {
  auto nothing = parsed("");
  EXPECT_FALSE(nothing.owner);
  EXPECT_FALSE(nothing.dacl_present);
  EXPECT_EQ(to_sddl(nothing), "");
  auto empty = parsed("D:");
  EXPECT_TRUE(empty.dacl_present);
  EXPECT_FALSE(empty.dacl_null);
  EXPECT_TRUE(empty.dacl.empty());
  EXPECT_EQ(to_sddl(empty), "D:");
}

TEST(Sddl, NoAccessControlIsANullDacl) {
  auto sd = parsed("D:NO_ACCESS_CONTROL");
  EXPECT_TRUE(sd.dacl_present);
  EXPECT_TRUE(sd.dacl_null);
  EXPECT_EQ(to_sddl(sd), "D:NO_ACCESS_CONTROL");
  EXPECT_EQ(to_sddl(parsed("D:PNO_ACCESS_CONTROL")), "D:PNO_ACCESS_CONTROL");
  EXPECT_EQ(parse_error("D:NO_ACCESS_CONTROL(A;;GA;;;WD)"), errc::invalid_acl);
}

TEST(Sddl, DaclFlags) {
  auto sd = parsed("D:PARAI(A;;GA;;;WD)");
  EXPECT_TRUE(sd.dacl_protected);
  EXPECT_TRUE(sd.dacl_auto_inherit_req);
  EXPECT_TRUE(sd.dacl_auto_inherited);
  EXPECT_EQ(to_sddl(sd), "D:PARAI(A;;GA;;;WD)");
  EXPECT_EQ(to_sddl(parsed("D:AIP(A;;GA;;;WD)")), "D:PAI(A;;GA;;;WD)");
}

TEST(Sddl, EveryRightNameParsesAndFormats) {
  const std::pair<std::string_view, std::uint32_t> table[] = {
      {"GA", 0x10000000}, {"GR", 0x80000000}, {"GW", 0x40000000}, {"GX", 0x20000000},
      {"RC", 0x00020000}, {"SD", 0x00010000}, {"WD", 0x00040000}, {"WO", 0x00080000},
      {"RP", 0x00000010}, {"WP", 0x00000020}, {"CC", 0x00000001}, {"DC", 0x00000002},
      {"LC", 0x00000004}, {"SW", 0x00000008}, {"LO", 0x00000080}, {"DT", 0x00000040},
      {"CR", 0x00000100}, {"FA", 0x001f01ff}, {"FR", 0x00120089}, {"FW", 0x00120116},
      {"FX", 0x001200a0}, {"KA", 0x000f003f}, {"KR", 0x00020019}, {"KW", 0x00020006},
  };
  for (auto [name, mask] : table) {
    auto sd = parsed("D:(A;;" + std::string(name) + ";;;WD)");
    ASSERT_EQ(sd.dacl.size(), 1u);
    EXPECT_EQ(sd.dacl[0].mask, mask) << name;
    EXPECT_EQ(rights_to_sddl(mask), name);
  }
  // KX is KR's mask; Windows writes it as KR.
  EXPECT_EQ(parsed("D:(A;;KX;;;WD)").dacl[0].mask, 0x00020019u);
}

TEST(Sddl, RightsAreWrittenAsWindowsWritesThem) {
  // Bit names in bit order, a name that covers the whole mask first, hex
  // when a bit has no name (as Windows writes 0x12019f).
  EXPECT_EQ(rights_to_sddl(0xf0000000), "GAGXGWGR");
  EXPECT_EQ(rights_to_sddl(0xc0000000), "GWGR");
  EXPECT_EQ(rights_to_sddl(0x3), "CCDC");
  EXPECT_EQ(rights_to_sddl(0x1), "CC");
  EXPECT_EQ(rights_to_sddl(0x001f01ff | 0x00120089), "FA");
  EXPECT_EQ(rights_to_sddl(0x0012019f), "0x12019f");
  EXPECT_EQ(rights_to_sddl(0x00100000), "0x100000");
  EXPECT_EQ(rights_to_sddl(0), "");
  EXPECT_EQ(to_sddl(parsed("D:(A;;GRGW;;;WD)")), "D:(A;;GWGR;;;WD)");
  EXPECT_EQ(to_sddl(parsed("D:(A;;0x1;;;BU)")), "D:(A;;CC;;;BU)");
  EXPECT_EQ(to_sddl(parsed("D:(A;;0xFFFFFFFF;;;WD)")), "D:(A;;0xffffffff;;;WD)");
  EXPECT_EQ(parsed("D:(A;;;;;WD)").dacl[0].mask, 0u);
}

TEST(Sddl, AceFlagsAreKeptInWindowsOrder) {
  auto sd = parsed("D:(A;IDIONPCIOI;GA;;;WD)");
  EXPECT_EQ(sd.dacl[0].flags, ace_flags::valid);
  EXPECT_EQ(to_sddl(sd), "D:(A;OICINPIOID;GA;;;WD)");
}

TEST(Sddl, KeywordsAndSidsIgnoreCaseAndSpaces) {
  EXPECT_EQ(to_sddl(parsed("D:(a;oi;ga;;;wd)")), "D:(A;OI;GA;;;WD)");
  EXPECT_EQ(to_sddl(parsed("O:s-1-5-18D: (A; ;GA;;; WD)")), "O:SYD:(A;;GA;;;WD)");
}

TEST(Sddl, SectionsInAnyOrderAreWrittenInWindowsOrder) {
  EXPECT_EQ(to_sddl(parsed("D:(A;;GA;;;WD)G:BUO:BA")), "O:BAG:BUD:(A;;GA;;;WD)");
  // Owner aliases that end in a section letter do not start a section.
  EXPECT_EQ(parsed("O:SOD:").owner, parsed("O:S-1-5-32-549").owner);
  EXPECT_EQ(parsed("O:NSG:SY").owner, (sid{1, 5, {20}}));
}

TEST(Sddl, SaclIsAcceptedAndDropped) {
  auto sd = parsed("D:(A;;GA;;;WD)S:(ML;;NW;;;LW)");
  EXPECT_EQ(to_sddl(sd), "D:(A;;GA;;;WD)");
  EXPECT_EQ(to_sddl(parsed("S:(AU;SAFA;FA;;;WD)")), "");
  EXPECT_EQ(parse_error("S:(ZZ;;GA;;;WD)"), errc::invalid_acl);
}

TEST(Sddl, ErrorsAreThoseWindowsReturns) {
  // An unknown section: ERROR_INVALID_PARAMETER.
  EXPECT_EQ(parse_error("ERROR:(D;;GA;;;WD)"), errc::invalid_parameter);
  EXPECT_EQ(parse_error("Q:"), errc::invalid_parameter);
  EXPECT_EQ(parse_error("d:(A;;GA;;;WD)"), errc::invalid_parameter);
  EXPECT_EQ(parse_error("D:(A;;GA;;;WD)D:"), errc::invalid_parameter);
  EXPECT_EQ(parse_error("O:BAO:BA"), errc::invalid_parameter);
  // A bad owner or group: ERROR_INVALID_SID.
  EXPECT_EQ(parse_error("O:XX"), errc::invalid_sid);
  EXPECT_EQ(parse_error("G:S-1-5"), errc::invalid_sid);
  EXPECT_EQ(parse_error("O:"), errc::invalid_sid);
  // A bad ACE: ERROR_INVALID_ACL.
  for (std::string_view bad :
       {"D:(A;;ROB;;;WD)", "D:(A;;GA;;;XX)", "D:(A;;GA;;;S-1-5)", "D:(A;;GA;;;WD", "D:(X;;GA;;;WD)",
        "D:(OA;;GA;;;WD)", "D:(A;ZZ;GA;;;WD)", "D:(A;SA;GA;;;WD)", "D:(A;;0x123456789;;;WD)",
        "D:(A;;0x;;;WD)", "D:(A;;G;;;WD)", "D:(A;;GA;guid;;WD)", "D:(A;;GA;;;WD)junk",
        "D:(A;;GA;;WD)", "D:(A;;GA;;;WD;)", "D:(D;;GA;;;Nonexistent account)", "D:Q(A;;GA;;;WD)",
        "D:((A;;GA;;;WD))"}) {
    EXPECT_EQ(parse_error(bad), errc::invalid_acl) << bad;
  }
}

TEST(Sddl, SizeLimit) {
  std::string big = "D:";
  while (big.size() <= max_sddl_bytes) big += "(A;;GA;;;WD)";
  EXPECT_EQ(parse_error(big), errc::invalid_parameter);
  // Just under the limit parses.
  std::string fits = "D:";
  while (fits.size() + 12 <= max_sddl_bytes) fits += "(A;;GA;;;WD)";
  EXPECT_EQ(parsed(fits).dacl.size(), (fits.size() - 2) / 12);
}

TEST(Sddl, RoundTripsThroughText) {
  for (std::string_view text :
       {"O:BAG:SYD:(A;;GA;;;WD)", "D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FR;;;WD)(A;;FR;;;AN)",
        "O:S-1-22-1-1000G:S-1-22-2-1000D:(D;;FW;;;S-1-22-1-1001)(A;;FA;;;S-1-22-1-1000)",
        "D:AI(A;ID;0x12019f;;;AU)", "D:NO_ACCESS_CONTROL", "O:OW", "G:CG",
        "D:", "D:(A;CIIO;GA;;;CO)(A;;SDRCWDWO;;;OW)"}) {
    auto sd = parsed(text);
    EXPECT_EQ(to_sddl(sd), text);
    EXPECT_EQ(parsed(to_sddl(sd)), sd);
  }
}

TEST(Sddl, PartsCanBeLeftOut) {
  auto sd = parsed("O:BAG:SYD:(A;;GA;;;WD)");
  EXPECT_EQ(to_sddl(sd, info::group), "G:SY");
  EXPECT_EQ(to_sddl(sd, info::owner | info::dacl), "O:BAD:(A;;GA;;;WD)");
  EXPECT_EQ(to_sddl(sd, 0), "");
}

// Recorded from ConvertStringSecurityDescriptorToSecurityDescriptorA (the
// differential harness's reference): Windows' self-relative layout puts
// owner, group, then the DACL after the 20-byte header.
TEST(SelfRelative, MatchesWindowsBytes) {
  const auto first =
      hex("01 00 04 80 14 00 00 00 24 00 00 00 00 00 00 00"
          "30 00 00 00 01 02 00 00 00 00 00 05 20 00 00 00"
          "20 02 00 00 01 01 00 00 00 00 00 05 12 00 00 00"
          "02 00 1c 00 01 00 00 00 00 00 14 00 00 00 00 10"
          "01 01 00 00 00 00 00 01 00 00 00 00");
  EXPECT_EQ(to_self_relative(parsed("O:BAG:SYD:(A;;GA;;;WD)")), first);

  const auto pipe_default =
      hex("01 00 04 90 14 00 00 00 24 00 00 00 00 00 00 00"
          "34 00 00 00 01 02 00 00 00 00 00 16 01 00 00 00"
          "e8 03 00 00 01 02 00 00 00 00 00 16 02 00 00 00"
          "e8 03 00 00 02 00 70 00 05 00 00 00 00 00 14 00"
          "ff 01 1f 00 01 01 00 00 00 00 00 05 12 00 00 00"
          "00 00 18 00 ff 01 1f 00 01 02 00 00 00 00 00 05"
          "20 00 00 00 20 02 00 00 00 00 14 00 ff 01 1f 00"
          "01 01 00 00 00 00 00 03 00 00 00 00 00 00 14 00"
          "89 00 12 00 01 01 00 00 00 00 00 01 00 00 00 00"
          "00 00 14 00 89 00 12 00 01 01 00 00 00 00 00 05"
          "07 00 00 00");
  auto sd = parsed(
      "O:S-1-22-1-1000G:S-1-22-2-1000D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FA;;;CO)(A;;FR;;;WD)(A;;FR;"
      ";;AN)");
  EXPECT_EQ(to_self_relative(sd), pipe_default);

  const auto flags =
      hex("01 00 04 94 00 00 00 00 00 00 00 00 00 00 00 00"
          "14 00 00 00 02 00 34 00 02 00 00 00 01 03 18 00"
          "01 00 00 00 01 02 00 00 00 00 00 05 20 00 00 00"
          "21 02 00 00 00 08 14 00 00 00 00 c0 01 01 00 00"
          "00 00 00 05 0b 00 00 00");
  EXPECT_EQ(to_self_relative(parsed("D:PAI(D;OICI;0x1;;;BU)(A;IO;GRGW;;;AU)")), flags);

  // And back.
  security_descriptor back;
  ASSERT_FALSE(from_self_relative(pipe_default, back));
  EXPECT_EQ(back, sd);
  EXPECT_EQ(to_self_relative(parsed("")),
            hex("01 00 00 80 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"));
}

TEST(SelfRelative, NullDaclHasNoOffset) {
  auto bytes = to_self_relative(parsed("D:NO_ACCESS_CONTROL"));
  EXPECT_EQ(bytes, hex("01 00 04 80 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"));
  security_descriptor back;
  ASSERT_FALSE(from_self_relative(bytes, back));
  EXPECT_TRUE(back.dacl_present);
  EXPECT_TRUE(back.dacl_null);
}

TEST(SelfRelative, RoundTrips) {
  for (std::string_view text :
       {"", "D:", "O:SY", "O:BAG:SYD:PAI(A;;GA;;;WD)(D;OICIIO;0x1234;;;S-1-22-2-5)",
        "D:NO_ACCESS_CONTROL", "G:S-1-0x123456789abc-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15"}) {
    auto sd = parsed(text);
    security_descriptor back;
    ASSERT_FALSE(from_self_relative(to_self_relative(sd), back)) << text;
    EXPECT_EQ(back, sd) << text;
  }
}

TEST(SelfRelative, MalformedBytesAreRejected) {
  const auto good = to_self_relative(parsed("O:BAG:SYD:(A;;GA;;;WD)"));
  security_descriptor sd;
  // Every truncation fails, and none reads past the end (ASan checks).
  for (std::size_t n = 0; n < good.size(); ++n)
    EXPECT_TRUE(from_self_relative(std::span(good.data(), n), sd)) << n;
  EXPECT_EQ(from_self_relative(std::span(good.data(), 19), sd), errc::invalid_security_descr);

  auto bad_revision = good;
  bad_revision[0] = 2;
  EXPECT_EQ(from_self_relative(bad_revision, sd), errc::invalid_security_descr);
  auto absolute = good;
  absolute[3] &= 0x7f;
  EXPECT_EQ(from_self_relative(absolute, sd), errc::invalid_security_descr);
  auto owner_out_of_range = good;
  owner_out_of_range[4] = 0xff;
  EXPECT_EQ(from_self_relative(owner_out_of_range, sd), errc::invalid_security_descr);
  auto owner_in_header = good;
  owner_in_header[4] = 4;
  EXPECT_EQ(from_self_relative(owner_in_header, sd), errc::invalid_security_descr);
  auto bad_owner = good;
  bad_owner[0x14] = 7;  // the owner SID's revision
  EXPECT_EQ(from_self_relative(bad_owner, sd), errc::invalid_sid);
  auto bad_ace_type = good;
  bad_ace_type[0x30 + 8] = 5;  // ACCESS_ALLOWED_OBJECT_ACE_TYPE
  EXPECT_EQ(from_self_relative(bad_ace_type, sd), errc::invalid_acl);
  auto acl_too_big = good;
  acl_too_big[0x30 + 2] = 0xff;
  EXPECT_EQ(from_self_relative(acl_too_big, sd), errc::invalid_acl);
  auto too_many_aces = good;
  too_many_aces[0x30 + 4] = 2;
  EXPECT_EQ(from_self_relative(too_many_aces, sd), errc::invalid_acl);
  auto bad_acl_revision = good;
  bad_acl_revision[0x30] = 1;
  EXPECT_EQ(from_self_relative(bad_acl_revision, sd), errc::invalid_acl);
  std::vector<std::uint8_t> huge(max_binary_bytes + 1);
  EXPECT_EQ(from_self_relative(huge, sd), errc::invalid_parameter);
}

}  // namespace
}  // namespace conduit::detail::security
