// Event names (CreateEvent, OpenEvent): the answers Windows gives (settled
// with Wine 8 where the documentation is silent).
#include "core/event_name.hpp"

#include <gtest/gtest.h>

#include <string>

namespace conduit::detail {
namespace {

errc parse(std::string_view name) {
  std::string key;
  return parse_event_name(name, key);
}

std::string key_of(std::string_view name) {
  std::string key;
  EXPECT_EQ(parse_event_name(name, key), errc::success) << name;
  return key;
}

TEST(EventName, NamesAreCaseSensitive) {
  EXPECT_EQ(key_of("abc"), "abc");
  EXPECT_NE(key_of("abc"), key_of("ABC"));
}

TEST(EventName, GlobalAndLocalNameTheOneNamespace) {
  EXPECT_EQ(key_of(R"(Global\abc)"), "abc");
  EXPECT_EQ(key_of(R"(Local\abc)"), "abc");
  // The prefixes are folders, looked up case-sensitively too.
  EXPECT_EQ(parse(R"(global\abc)"), errc::path_not_found);
  EXPECT_EQ(parse(R"(GLOBAL\abc)"), errc::path_not_found);
  EXPECT_EQ(parse(R"(Global\)"), errc::invalid_name);
  EXPECT_EQ(parse(R"(Local\)"), errc::invalid_name);
}

TEST(EventName, BackslashesAreFolders) {
  EXPECT_EQ(parse(R"(a\b)"), errc::path_not_found);
  EXPECT_EQ(parse(R"(Global\a\b)"), errc::path_not_found);
  EXPECT_EQ(parse(R"(Session\1\x)"), errc::path_not_found);
  EXPECT_EQ(parse(R"(\abc)"), errc::bad_pathname);
  EXPECT_EQ(key_of("a/b"), "a/b");  // a slash is an ordinary character
}

TEST(EventName, AtMost259Units) {
  EXPECT_EQ(parse(std::string(259, 'x')), errc::success);
  EXPECT_EQ(parse(std::string(260, 'x')), errc::filename_exced_range);
  EXPECT_EQ(parse(R"(Global\)" + std::string(253, 'g')), errc::filename_exced_range);
  // A character outside the BMP is two UTF-16 units.
  std::string wide;
  for (int i = 0; i < 129; ++i) wide += "\xF0\x9F\x98\x80";
  EXPECT_EQ(parse(wide + "x"), errc::success);
  EXPECT_EQ(parse(wide + "xx"), errc::filename_exced_range);
}

TEST(EventName, EmptyOrNotUtf8IsInvalid) {
  EXPECT_EQ(parse(""), errc::invalid_name);
  EXPECT_EQ(parse("a\xFF"), errc::invalid_name);
  EXPECT_EQ(parse("\xC0\x80"), errc::invalid_name);
}

}  // namespace
}  // namespace conduit::detail
