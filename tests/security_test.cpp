// The public security_descriptor value type (conduit/security.hpp): the
// builder, SDDL both ways, trustees by name through NSS with a real
// account made for the test, and pipe_options taking a descriptor.
#include "conduit/security.hpp"

#include <grp.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "conduit/error.hpp"
#include "conduit/mailslot.hpp"
#include "conduit/pipe_options.hpp"

namespace conduit {
namespace {

TEST(SecurityDescriptor, BuilderWritesSddl) {
  auto sd =
      security_descriptor()
          .owner(trustee::uid(1000))
          .group(trustee::gid(100))
          .deny(well_known_trustee::anonymous, rights::generic_all)
          .allow(trustee::uid(1000), rights::generic_all)
          .allow(well_known_trustee::everyone, rights::generic_read, ace_flags::object_inherit);
  EXPECT_EQ(sd.to_sddl(),
            "O:S-1-22-1-1000G:S-1-22-2-100D:(D;;GA;;;AN)(A;;GA;;;S-1-22-1-1000)(A;OI;GR;;;WD)");
  ASSERT_EQ(sd.dacl().size(), 3u);
  EXPECT_EQ(sd.dacl()[0].type, access_entry::kind::deny);
  EXPECT_EQ(sd.dacl()[1].who, trustee::uid(1000));
  EXPECT_EQ(sd.owner()->sid(), "S-1-22-1-1000");
  EXPECT_EQ(security_descriptor::from_sddl(sd.to_sddl()), sd);
}

TEST(SecurityDescriptor, EmptyNullAndProtected) {
  EXPECT_EQ(security_descriptor().to_sddl(), "");
  EXPECT_FALSE(security_descriptor().has_dacl());
  auto everyone_in =
      security_descriptor().allow(well_known_trustee::everyone, rights::generic_read).null_dacl();
  EXPECT_EQ(everyone_in.to_sddl(), "D:NO_ACCESS_CONTROL");
  EXPECT_TRUE(everyone_in.is_null_dacl());
  EXPECT_TRUE(everyone_in.dacl().empty());
  auto closed = security_descriptor().protect();
  EXPECT_EQ(closed.to_sddl(), "D:P");
  EXPECT_TRUE(closed.has_dacl());
  EXPECT_FALSE(closed.is_null_dacl());
}

TEST(SecurityDescriptor, FromSddlErrors) {
  std::error_code ec;
  (void)security_descriptor::from_sddl("D:(A;;ROB;;;WD)", ec);
  EXPECT_EQ(ec, errc::invalid_acl);
  (void)security_descriptor::from_sddl("Q:", ec);
  EXPECT_EQ(ec, errc::invalid_parameter);
  (void)security_descriptor::from_sddl("O:XX", ec);
  EXPECT_EQ(ec, errc::invalid_sid);
  auto sd = security_descriptor::from_sddl("D:P(A;;FA;;;SY)(A;;FR;;;WD)", ec);
  EXPECT_FALSE(ec);
  EXPECT_EQ(sd.dacl()[0].who, trustee(well_known_trustee::local_system));
  EXPECT_EQ(sd.dacl()[0].rights, rights::file_all_access);
  try {
    (void)security_descriptor::from_sddl("D:(A;;GA;;;XX)");
    ADD_FAILURE() << "no exception";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), errc::invalid_acl);
  }
}

TEST(SecurityDescriptor, Trustees) {
  EXPECT_EQ(trustee(well_known_trustee::administrators).sid(), "S-1-5-32-544");
  EXPECT_EQ(trustee(well_known_trustee::creator_owner).sid(), "S-1-3-0");
  EXPECT_EQ(trustee::from_sid("sy").sid(), "S-1-5-18");
  EXPECT_EQ(trustee::user("root").sid(), "S-1-22-1-0");
  EXPECT_EQ(trustee::group("root").sid(), "S-1-22-2-0");
  std::error_code ec;
  (void)trustee::user("conduit-no-such-user", ec);
  EXPECT_EQ(ec, errc::none_mapped);
  (void)trustee::from_sid("S-1-5", ec);
  EXPECT_EQ(ec, errc::invalid_sid);
  try {
    (void)trustee::group("conduit-no-such-group");
    ADD_FAILURE() << "no exception";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), errc::none_mapped);
  }
}

// A Unix user and group that exist for one test and are removed on every
// path (the guard's destructor), so NSS lookups meet a real account.
class temporary_account {
 public:
  temporary_account() : name_("cdsec" + std::to_string(::getpid())) {
    ok_ = run("groupadd " + name_) &&
          run("useradd -M -N -g " + name_ + " -s /usr/sbin/nologin " + name_);
  }
  ~temporary_account() {
    run("userdel " + name_ + " 2>/dev/null");
    run("groupdel " + name_ + " 2>/dev/null");
  }
  temporary_account(const temporary_account&) = delete;
  temporary_account& operator=(const temporary_account&) = delete;
  bool ok() const { return ok_; }
  const std::string& name() const { return name_; }

 private:
  static bool run(const std::string& command) {
    int status = std::system((command + " >/dev/null").c_str());
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }
  std::string name_;
  bool ok_ = false;
};

TEST(SecurityDescriptor, RealAccountsResolveByName) {
  if (::geteuid() != 0) GTEST_SKIP() << "making a user needs root";
  temporary_account account;
  ASSERT_TRUE(account.ok()) << "useradd failed";
  passwd* pw = ::getpwnam(account.name().c_str());
  group* gr = ::getgrnam(account.name().c_str());
  ASSERT_NE(pw, nullptr);
  ASSERT_NE(gr, nullptr);
  const uid_t uid = pw->pw_uid;
  const gid_t gid = gr->gr_gid;
  EXPECT_EQ(trustee::user(account.name()), trustee::uid(uid));
  EXPECT_EQ(trustee::group(account.name()), trustee::gid(gid));
  EXPECT_EQ(trustee::user("Unix User\\" + account.name()), trustee::uid(uid));
  auto sd = security_descriptor().allow(trustee::user(account.name()), rights::file_generic_read);
  EXPECT_EQ(sd.to_sddl(), "D:(A;;FR;;;S-1-22-1-" + std::to_string(uid) + ")");
}

TEST(SecurityDescriptor, OptionsTakeIt) {
  auto sd = security_descriptor().allow(well_known_trustee::authenticated_users,
                                        rights::file_generic_read | rights::file_write_data);
  pipe_options options;
  options.set_security(sd);
  EXPECT_EQ(options.security_descriptor, "D:(A;;0x12008b;;;AU)");
  options.security_descriptor = "D:(A;;GA;;;WD)";  // the string form still works
  EXPECT_EQ(options.security_descriptor, "D:(A;;GA;;;WD)");
  mailslot_options slot;
  slot.set_security(security_descriptor().null_dacl());
  EXPECT_EQ(slot.security_descriptor, "D:NO_ACCESS_CONTROL");
}

}  // namespace
}  // namespace conduit
