// Parsing of `\\host\pipe\name`: the forms Windows accepts and its errors.
#include "core/object_name.hpp"

#include <gtest/gtest.h>

#include "conduit/error.hpp"

namespace conduit::detail {
namespace {

std::error_code parse(std::string_view name, object_name& out) {
  return parse_object_name(name, object_kind::pipe, out);
}

TEST(ObjectName, AcceptsLocalForms) {
  object_name n;
  ASSERT_FALSE(parse(R"(\\.\pipe\abc)", n));
  EXPECT_TRUE(n.local);
  EXPECT_EQ(n.path, "abc");
  EXPECT_EQ(n.key, "ABC");
  ASSERT_FALSE(parse(R"(\\.\PIPE\Abc)", n));
  EXPECT_EQ(n.key, "ABC");
  ASSERT_FALSE(parse(R"(\\?\pipe\x)", n));
  EXPECT_TRUE(n.local);
  ASSERT_FALSE(parse(std::string(R"(\\)") + local_host_name() + R"(\pipe\x)", n));
  EXPECT_TRUE(n.local);
  EXPECT_EQ(n.host, ".");
}

TEST(ObjectName, BackslashesInThePathAreKept) {
  object_name n;
  ASSERT_FALSE(parse(R"(\\.\pipe\a\b\c)", n));
  EXPECT_EQ(n.path, R"(a\b\c)");
}

TEST(ObjectName, SlashesCountAsBackslashes) {
  object_name n;
  ASSERT_FALSE(parse("//./pipe/a/b", n));
  EXPECT_TRUE(n.local);
  EXPECT_EQ(n.path, R"(a\b)");
}

TEST(ObjectName, RemoteHostIsNotLocal) {
  object_name n;
  ASSERT_FALSE(parse(R"(\\faraway\pipe\x)", n));
  EXPECT_FALSE(n.local);
  EXPECT_EQ(n.host, "faraway");
}

TEST(ObjectName, ErrorsAreThoseOfWindows) {
  object_name n;
  EXPECT_EQ(parse("", n), errc::path_not_found);
  EXPECT_EQ(parse("x", n), errc::invalid_name);
  EXPECT_EQ(parse(R"(\\.\pipe\)", n), errc::invalid_name);
  EXPECT_EQ(parse(R"(\\.\pipe)", n), errc::invalid_name);
  EXPECT_EQ(parse(R"(\\.\pipex)", n), errc::invalid_name);
  EXPECT_EQ(parse(R"(\\.\foo\x)", n), errc::path_not_found);
  EXPECT_EQ(parse(R"(\\.\mailslot\x)", n), errc::path_not_found);
  EXPECT_EQ(parse("\\\\.\\pipe\\bad\xff", n), errc::invalid_name);
}

TEST(ObjectName, LengthLimitIs256Characters) {
  std::string prefix = R"(\\.\pipe\)";
  object_name n;
  EXPECT_FALSE(parse(prefix + std::string(256 - prefix.size(), 'a'), n));
  EXPECT_EQ(parse(prefix + std::string(257 - prefix.size(), 'a'), n), errc::filename_exced_range);
  // Characters, not bytes: 200 two-byte characters fit.
  std::string wide;
  for (int i = 0; i < 200; ++i) wide += "\xc3\xa9";  // é
  EXPECT_FALSE(parse(prefix + wide, n));
}

TEST(ObjectName, CaseFoldingCoversNonAscii) {
  EXPECT_EQ(fold_case("\xc3\xa9t\xc3\xa9"), "\xc3\x89T\xc3\x89");  // été -> ÉTÉ
  EXPECT_EQ(fold_case("abc\\Def"), "ABC\\DEF");
  EXPECT_EQ(fold_case("\xff"), "");
}

TEST(ObjectName, MailslotKind) {
  object_name n;
  ASSERT_FALSE(parse_object_name(R"(\\.\mailslot\box)", object_kind::mailslot, n));
  EXPECT_EQ(n.kind, object_kind::mailslot);
  EXPECT_EQ(n.path, "box");
}

}  // namespace
}  // namespace conduit::detail
