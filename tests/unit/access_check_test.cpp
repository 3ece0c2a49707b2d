// Windows' access check over Linux identities: the truth table.
#include "security/access_check.hpp"

#include <gtest/gtest.h>

#include "conduit/error.hpp"

namespace conduit::detail::security {
namespace {

using namespace rights;

constexpr gid_t admin_gid = 4711;

class AccessCheck : public ::testing::Test {
 protected:
  void SetUp() override { set_admin_groups({admin_gid}); }

  static security_descriptor sddl(std::string_view text) {
    security_descriptor sd;
    EXPECT_FALSE(parse_sddl(text, sd)) << text;
    return sd;
  }

  // The error of a check; `granted` keeps what it gave.
  std::error_code check(const security_descriptor& sd, const identity& who, std::uint32_t desired,
                        const generic_mapping& m = file_generic_mapping) {
    granted = 0xdeadbeef;
    return access_check(sd, who, desired, m, granted);
  }

  std::uint32_t granted = 0;
  const identity alice{1000, 1000, {1000, 3000}};
  const identity bob{1001, 1001, {}};
  const identity root{0, 0, {}};
  const identity admin{1002, 1002, {admin_gid}};
  const identity remote_bob{1001, 1001, {}, true};
  const identity anonymous{65534, 65534, {}, true, true};
};

TEST_F(AccessCheck, AllowAceGrantsWhatItNames) {
  auto sd = sddl("D:(A;;FR;;;S-1-22-1-1000)");
  EXPECT_FALSE(check(sd, alice, generic_read));
  EXPECT_EQ(granted, file_generic_read);
  EXPECT_FALSE(check(sd, alice, file_read_data));
  EXPECT_EQ(granted, file_read_data);
  EXPECT_EQ(check(sd, alice, generic_write), errc::access_denied);
  EXPECT_EQ(granted, 0u);
  EXPECT_EQ(check(sd, alice, file_read_data | file_write_data), errc::access_denied);
  EXPECT_EQ(check(sd, bob, file_read_data), errc::access_denied);
}

TEST_F(AccessCheck, RightsAddUpOverAces) {
  auto sd = sddl("D:(A;;0x1;;;S-1-22-1-1000)(A;;0x2;;;WD)");
  EXPECT_FALSE(check(sd, alice, file_read_data | file_write_data));
  EXPECT_EQ(granted, 3u);
  EXPECT_EQ(check(sd, bob, file_read_data | file_write_data), errc::access_denied);
}

TEST_F(AccessCheck, DenyFirstBlocks) {
  auto sd = sddl("D:(D;;FW;;;S-1-22-1-1000)(A;;FA;;;WD)");
  EXPECT_EQ(check(sd, alice, generic_write), errc::access_denied);
  EXPECT_EQ(check(sd, alice, file_write_data), errc::access_denied);
  EXPECT_FALSE(check(sd, alice, file_read_data));
  EXPECT_FALSE(check(sd, bob, generic_write));
}

TEST_F(AccessCheck, DenyAfterAllowComesTooLate) {
  // Windows walks in order: what an earlier ACE granted stays granted.
  auto sd = sddl("D:(A;;FA;;;WD)(D;;FW;;;S-1-22-1-1000)");
  EXPECT_FALSE(check(sd, alice, generic_write));
  EXPECT_EQ(granted, file_generic_write);
  // A deny of a bit not yet granted still refuses it.
  auto partial = sddl("D:(A;;0x1;;;WD)(D;;0x3;;;S-1-22-1-1000)(A;;0x2;;;WD)");
  EXPECT_FALSE(check(partial, alice, file_read_data));
  EXPECT_EQ(check(partial, alice, file_write_data), errc::access_denied);
  EXPECT_FALSE(check(partial, bob, file_write_data));
}

TEST_F(AccessCheck, GroupsAdmit) {
  auto primary = sddl("D:(A;;FA;;;S-1-22-2-1001)");
  EXPECT_FALSE(check(primary, bob, generic_all));
  EXPECT_EQ(granted, file_all_access);
  auto supplementary = sddl("D:(A;;FR;;;S-1-22-2-3000)");
  EXPECT_FALSE(check(supplementary, alice, generic_read));
  EXPECT_EQ(check(supplementary, bob, generic_read), errc::access_denied);
  auto denied_group = sddl("D:(D;;FA;;;S-1-22-2-3000)(A;;FA;;;WD)");
  EXPECT_EQ(check(denied_group, alice, file_read_data), errc::access_denied);
  EXPECT_FALSE(check(denied_group, bob, file_read_data));
}

TEST_F(AccessCheck, NullAndAbsentDaclsAdmitEveryone) {
  for (auto text : {"", "O:S-1-22-1-5", "D:NO_ACCESS_CONTROL"}) {
    auto sd = sddl(text);
    EXPECT_FALSE(check(sd, bob, generic_read | generic_write)) << text;
    EXPECT_EQ(granted, file_generic_read | file_generic_write);
    EXPECT_FALSE(check(sd, anonymous, file_write_data)) << text;
    EXPECT_FALSE(check(sd, bob, maximum_allowed));
    EXPECT_EQ(granted, file_all_access);
  }
}

TEST_F(AccessCheck, EmptyDaclAdmitsNobody) {
  auto sd = sddl("D:");
  EXPECT_EQ(check(sd, bob, file_read_data), errc::access_denied);
  EXPECT_EQ(check(sd, root, file_read_data), errc::access_denied);
  EXPECT_EQ(check(sd, bob, maximum_allowed), errc::access_denied);
}

TEST_F(AccessCheck, NothingAskedIsRefused) {
  // AccessCheck with a desired access of 0 fails, whatever the DACL.
  EXPECT_EQ(check(sddl("D:(A;;FA;;;WD)"), bob, 0), errc::access_denied);
  EXPECT_EQ(check(sddl(""), bob, 0), errc::access_denied);
}

TEST_F(AccessCheck, SystemSecurityIsAPrivilege) {
  EXPECT_EQ(check(sddl("D:(A;;0xffffffff;;;WD)"), root, access_system_security),
            errc::access_denied);
}

TEST_F(AccessCheck, InheritOnlyAcesAreSkipped) {
  auto sd = sddl("D:(A;IO;FA;;;WD)(A;OICI;FR;;;WD)");
  EXPECT_FALSE(check(sd, bob, generic_read));
  EXPECT_EQ(check(sd, bob, file_write_data), errc::access_denied);
  auto deny_io = sddl("D:(D;IO;FA;;;WD)(A;;FA;;;WD)");
  EXPECT_FALSE(check(deny_io, bob, file_write_data));
}

TEST_F(AccessCheck, CreatorOwnerMatchesNobodyAtCheckTime) {
  auto sd = sddl("O:S-1-22-1-1001D:(A;;FA;;;CO)(A;;FA;;;CG)");
  EXPECT_EQ(check(sd, bob, file_read_data), errc::access_denied);
  bind_creator(sd, 1000, 1000);
  // The owner given stays; CO and CG become owner and group.
  EXPECT_EQ(to_sddl(sd),
            "O:S-1-22-1-1001G:S-1-22-2-1000D:(A;;FA;;;S-1-22-1-1001)(A;;FA;;;S-1-22-2-1000)");
  EXPECT_FALSE(check(sd, bob, file_write_data));
  EXPECT_FALSE(check(sd, alice, file_write_data));  // alice's primary group
}

TEST_F(AccessCheck, OwnerMayReadAndChangeTheDacl) {
  auto sd = sddl("O:S-1-22-1-1001D:(A;;FR;;;WD)");
  EXPECT_FALSE(check(sd, bob, read_control | write_dac));
  EXPECT_EQ(check(sd, bob, write_owner), errc::access_denied);
  EXPECT_EQ(check(sd, alice, write_dac), errc::access_denied);
  EXPECT_FALSE(check(sd, bob, maximum_allowed));
  EXPECT_EQ(granted, file_generic_read | write_dac);
  // OWNER RIGHTS takes the implicit rights away and says what the owner gets.
  auto owner_rights = sddl("O:S-1-22-1-1001D:(A;;FR;;;OW)");
  EXPECT_EQ(check(owner_rights, bob, write_dac), errc::access_denied);
  EXPECT_FALSE(check(owner_rights, bob, file_read_data));
  EXPECT_EQ(check(owner_rights, alice, file_read_data), errc::access_denied);
}

TEST_F(AccessCheck, MaximumAllowed) {
  auto sd = sddl("D:(D;;0x2;;;S-1-22-1-1000)(A;;FR;;;WD)(A;;FW;;;S-1-22-1-1000)");
  EXPECT_FALSE(check(sd, alice, maximum_allowed));
  EXPECT_EQ(granted, file_generic_read | (file_generic_write & ~file_write_data));
  EXPECT_FALSE(check(sd, alice, maximum_allowed | file_read_data));
  EXPECT_EQ(granted, file_generic_read | (file_generic_write & ~file_write_data));
  EXPECT_EQ(check(sd, alice, maximum_allowed | file_write_data), errc::access_denied);
  EXPECT_EQ(granted, 0u);
  EXPECT_FALSE(check(sd, bob, maximum_allowed));
  EXPECT_EQ(granted, file_generic_read);
}

TEST_F(AccessCheck, GenericRightsAreMapped) {
  EXPECT_EQ(map_generic(generic_read, file_generic_mapping), file_generic_read);
  EXPECT_EQ(map_generic(generic_write, file_generic_mapping), file_generic_write);
  EXPECT_EQ(map_generic(generic_execute, file_generic_mapping), file_generic_execute);
  EXPECT_EQ(map_generic(generic_all, file_generic_mapping), file_all_access);
  EXPECT_EQ(map_generic(generic_read | delete_ | 0x1, file_generic_mapping),
            file_generic_read | delete_);
  EXPECT_EQ(map_generic(generic_all, event_generic_mapping), event_all_access);
  // GENERIC_WRITE holds FILE_CREATE_PIPE_INSTANCE, as on Windows.
  EXPECT_TRUE(map_generic(generic_write, file_generic_mapping) & file_create_pipe_instance);
  auto sd = sddl("D:(A;;GW;;;WD)");
  EXPECT_FALSE(check(sd, bob, file_create_pipe_instance));
  EXPECT_FALSE(check(sddl("D:(A;;GA;;;WD)"), bob, file_all_access));
  auto read_only = sddl("D:(A;;GR;;;WD)");
  EXPECT_EQ(check(read_only, bob, file_create_pipe_instance), errc::access_denied);
  // An event's mapping gives other rights for the same generic bit.
  EXPECT_FALSE(check(sddl("D:(A;;GW;;;WD)"), bob, event_modify_state, event_generic_mapping));
  EXPECT_EQ(granted, event_modify_state);
}

TEST_F(AccessCheck, SidsAnIdentityHolds) {
  auto held = sids_of(alice);
  auto has = [&](const sid& s) { return std::find(held.begin(), held.end(), s) != held.end(); };
  EXPECT_TRUE(has(user_sid(1000)));
  EXPECT_TRUE(has(group_sid(1000)));
  EXPECT_TRUE(has(group_sid(3000)));
  EXPECT_TRUE(has(well_known::everyone));
  EXPECT_TRUE(has(well_known::authenticated_users));
  EXPECT_TRUE(has(well_known::interactive));
  EXPECT_FALSE(has(well_known::network));
  EXPECT_FALSE(has(well_known::local_system));
  EXPECT_FALSE(has(well_known::administrators));
  EXPECT_FALSE(has(well_known::anonymous));

  held = sids_of(remote_bob);
  EXPECT_TRUE(has(well_known::network));
  EXPECT_FALSE(has(well_known::interactive));

  held = sids_of(root);
  EXPECT_TRUE(has(well_known::local_system));
  EXPECT_TRUE(has(well_known::administrators));

  held = sids_of(admin);
  EXPECT_TRUE(has(well_known::administrators));
  EXPECT_FALSE(has(well_known::local_system));

  // An anonymous logon is outside Everyone and Authenticated Users.
  held = sids_of(anonymous);
  EXPECT_TRUE(has(well_known::anonymous));
  EXPECT_TRUE(has(well_known::network));
  EXPECT_FALSE(has(well_known::everyone));
  EXPECT_FALSE(has(well_known::authenticated_users));
  EXPECT_FALSE(has(user_sid(65534)));
}

TEST_F(AccessCheck, NetworkAndInteractive) {
  auto sd = sddl("D:(A;;FA;;;IU)(A;;FR;;;NU)");
  EXPECT_FALSE(check(sd, bob, file_write_data));
  EXPECT_EQ(check(sd, remote_bob, file_write_data), errc::access_denied);
  EXPECT_FALSE(check(sd, remote_bob, file_read_data));
}

TEST_F(AccessCheck, DefaultPipeDescriptor) {
  auto sd = default_pipe_descriptor(1000, 1000);
  EXPECT_EQ(to_sddl(sd),
            "O:S-1-22-1-1000G:S-1-22-2-1000D:(A;;FA;;;SY)(A;;FA;;;BA)(A;;FA;;;S-1-22-1-1000)(A;;"
            "FR;;;WD)(A;;FR;;;AN)");
  // The creator, root and an admin-group member have full control.
  for (const auto* who : {&alice, &root, &admin}) {
    EXPECT_FALSE(check(sd, *who, generic_read | generic_write));
    EXPECT_FALSE(check(sd, *who, file_create_pipe_instance));
    EXPECT_FALSE(check(sd, *who, maximum_allowed));
    EXPECT_EQ(granted, file_all_access);
  }
  // A stranger may read only: no write, no new instance.
  EXPECT_FALSE(check(sd, bob, generic_read));
  EXPECT_EQ(granted, file_generic_read);
  EXPECT_EQ(check(sd, bob, generic_write), errc::access_denied);
  EXPECT_EQ(check(sd, bob, generic_read | generic_write), errc::access_denied);
  EXPECT_EQ(check(sd, bob, file_create_pipe_instance), errc::access_denied);
  EXPECT_EQ(check(sd, bob, write_dac), errc::access_denied);
  EXPECT_FALSE(check(sd, remote_bob, generic_read));
  // So may an anonymous caller, through the Anonymous ACE.
  EXPECT_FALSE(check(sd, anonymous, generic_read));
  EXPECT_EQ(check(sd, anonymous, file_write_data), errc::access_denied);
}

TEST_F(AccessCheck, CreationDefaults) {
  // No DACL given: the default one, for the creator.
  auto owner_only = sddl("O:S-1-22-1-1001");
  apply_creation_defaults(owner_only, 1000, 1000);
  EXPECT_EQ(to_sddl(owner_only),
            "O:S-1-22-1-1001G:S-1-22-2-1000D:(A;;FA;;;SY)(A;;FA;;;BA)(A;;FA;;;S-1-22-1-1000)(A;;"
            "FR;;;WD)(A;;FR;;;AN)");
  auto nothing = sddl("");
  apply_creation_defaults(nothing, 1000, 1000);
  EXPECT_EQ(nothing, default_pipe_descriptor(1000, 1000));
  // A null DACL stays null: everyone in.
  auto everyone_in = sddl("D:NO_ACCESS_CONTROL");
  apply_creation_defaults(everyone_in, 1000, 1000);
  EXPECT_TRUE(everyone_in.dacl_null);
  EXPECT_FALSE(check(everyone_in, bob, generic_write));
  auto given = sddl("D:(A;;GA;;;CO)");
  apply_creation_defaults(given, 1000, 1000);
  EXPECT_EQ(to_sddl(given), "O:S-1-22-1-1000G:S-1-22-2-1000D:(A;;GA;;;S-1-22-1-1000)");
}

TEST_F(AccessCheck, AdminGroupsFromTheEnvironmentValue) {
  EXPECT_EQ(parse_admin_groups("4711"), std::vector<gid_t>{4711});
  EXPECT_EQ(parse_admin_groups("root,4712"), (std::vector<gid_t>{0, 4712}));
  EXPECT_EQ(parse_admin_groups("conduit-no-such-group,5"), std::vector<gid_t>{5});
  EXPECT_TRUE(parse_admin_groups("").empty());
  set_admin_groups({});
  auto held = sids_of(admin);
  EXPECT_EQ(std::find(held.begin(), held.end(), well_known::administrators), held.end());
  // root stays an administrator whatever the groups.
  held = sids_of(root);
  EXPECT_NE(std::find(held.begin(), held.end(), well_known::administrators), held.end());
}

TEST_F(AccessCheck, TokenSidsCheckTheSameWay) {
  auto sd = sddl("D:(A;;FR;;;BU)");
  std::vector<sid> token{user_sid(7), well_known::users};
  std::uint32_t given = 0;
  EXPECT_FALSE(access_check(sd, token, generic_read, file_generic_mapping, given));
  EXPECT_EQ(given, file_generic_read);
  EXPECT_EQ(
      access_check(sd, std::vector<sid>{user_sid(7)}, generic_read, file_generic_mapping, given),
      errc::access_denied);
}

}  // namespace
}  // namespace conduit::detail::security
