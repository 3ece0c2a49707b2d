// CONDUIT_INHERITED_HANDLES: what CreateProcess and conduit-gate write and
// a program's start-up reads back.
#include <gtest/gtest.h>

#include <string>

#include "win32/inherited_list.hpp"

namespace conduit::win32 {
namespace {

TEST(InheritedList, TheUsualItemStaysShort) {
  EXPECT_EQ(format_inherited({.value = 8, .fds = {5}, .kind = 'r'}), "8:5:r;");
  EXPECT_EQ(format_inherited({.value = 8, .fds = {5}, .kind = 'm', .access = 3}), "8:5:m:3;");
}

TEST(InheritedList, EverythingComesBack) {
  std::string state("a\0\xff:;", 5);
  inherited_item item{
      .value = 12, .fds = {7, 9}, .kind = 'c', .access = 0x1f01ff, .flags = 0, .state = state};
  std::string list =
      format_inherited({.value = 4, .fds = {6}, .kind = 'w'}) + format_inherited(item);
  auto items = parse_inherited(list);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].value, 4u);
  EXPECT_FALSE(items[0].access);
  EXPECT_FALSE(items[0].flags);
  EXPECT_EQ(items[1].value, 12u);
  EXPECT_EQ(items[1].fds, (std::vector<int>{7, 9}));
  EXPECT_EQ(items[1].kind, 'c');
  EXPECT_EQ(items[1].access, 0x1f01ffu);
  EXPECT_EQ(items[1].flags, 0u);
  EXPECT_EQ(items[1].state, state);
}

TEST(InheritedList, MalformedItemsAreLeftOut) {
  auto items = parse_inherited(
      "x:5:r;8::r;8:5:rw;8:5,:r;8:5:r:1:1:abc;8:5:r:1:1:zz;8:5:r:1:1:00:9;;16:6:a;");
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].value, 16u);
}

}  // namespace
}  // namespace conduit::win32
