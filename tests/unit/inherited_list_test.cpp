// CONDUIT_INHERITED_HANDLES: what CreateProcess and conduit-gate write and
// a program's start-up reads back.
#include <gtest/gtest.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "win32/descriptor_identity.hpp"
#include "win32/inherited_list.hpp"

namespace conduit::win32 {
namespace {

constexpr descriptor_identity pipe_id{.device = 14, .inode = 900, .type = 4096};

TEST(InheritedList, TheUsualItemStaysShort) {
  EXPECT_EQ(format_inherited({.value = 8, .fds = {5}, .identities = {pipe_id}, .kind = 'r'}),
            "8:5@14.900.4096.0:r;");
  EXPECT_EQ(
      format_inherited({.value = 8, .fds = {5}, .identities = {pipe_id}, .kind = 'm', .access = 3}),
      "8:5@14.900.4096.0:m:3;");
}

TEST(InheritedList, EverythingComesBack) {
  std::string state("a\0\xff:;", 5);
  descriptor_identity anonymous{.device = 16, .inode = 1039, .type = 0, .instance = 7};
  inherited_item item{.value = 12,
                      .fds = {7, 9},
                      .identities = {pipe_id, anonymous},
                      .kind = 'c',
                      .access = 0x1f01ff,
                      .flags = 0,
                      .state = state};
  std::string list =
      format_inherited_parent(4321) +
      format_inherited({.value = 4, .fds = {6}, .identities = {pipe_id}, .kind = 'w'}) +
      format_inherited(item);
  auto parsed = parse_inherited(list);
  EXPECT_EQ(parsed.parent, 4321u);
  auto& items = parsed.items;
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].value, 4u);
  EXPECT_FALSE(items[0].access);
  EXPECT_FALSE(items[0].flags);
  EXPECT_EQ(items[1].value, 12u);
  EXPECT_EQ(items[1].fds, (std::vector<int>{7, 9}));
  EXPECT_EQ(items[1].identities, (std::vector<descriptor_identity>{pipe_id, anonymous}));
  EXPECT_EQ(items[1].kind, 'c');
  EXPECT_EQ(items[1].access, 0x1f01ffu);
  EXPECT_EQ(items[1].flags, 0u);
  EXPECT_EQ(items[1].state, state);
}

TEST(InheritedList, MalformedItemsAreLeftOut) {
  auto parsed = parse_inherited(
      "parent=77;x:5@1.2.3.4:r;8::r;8:5@1.2.3.4:rw;8:5@1.2.3.4,:r;8:5@1.2.3.4:r:1:1:abc;"
      "8:5@1.2.3.4:r:1:1:zz;8:5@1.2.3.4:r:1:1:00:9;;8:5:r;8:5@1.2.3:r;8:5@1.2.3.4.5:r;"
      "8:-1@1.2.3.4:r;8:5@1.x.3.4:r;16:6@1.2.3.4:a;");
  EXPECT_EQ(parsed.parent, 77u);
  ASSERT_EQ(parsed.items.size(), 1u);
  EXPECT_EQ(parsed.items[0].value, 16u);
}

TEST(InheritedList, AListNamesWhomItIsFor) {
  // Without its parent first, or with one that is no number, a list is
  // for no one (the program adopts nothing of it).
  EXPECT_EQ(parse_inherited("8:5@1.2.3.4:r;").parent, 0u);
  EXPECT_EQ(parse_inherited("8:5@1.2.3.4:r;parent=5;").parent, 0u);
  EXPECT_EQ(parse_inherited("parent=x5;8:5@1.2.3.4:r;").parent, 0u);
  EXPECT_EQ(parse_inherited("parent=;").parent, 0u);
  EXPECT_EQ(parse_inherited("parent=5;").parent, 5u);
}

TEST(InheritedList, IdentitiesTellObjectsApart) {
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  int sockets[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sockets), 0);
  int events[2] = {::eventfd(0, 0), ::eventfd(0, 0)};
  auto read_end = identify_descriptor(pipe_fds[0]);
  ASSERT_TRUE(read_end);
  // Both ends of a pipe are one object; another kind is another.
  EXPECT_EQ(identify_descriptor(pipe_fds[1]), read_end);
  EXPECT_NE(identify_descriptor(sockets[0]), read_end);
  EXPECT_NE(identify_descriptor(sockets[0]), identify_descriptor(sockets[1]));
  // Eventfds share one anonymous inode; the kernel's number tells them apart.
  auto first = identify_descriptor(events[0]);
  auto second = identify_descriptor(events[1]);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->inode, second->inode);
  EXPECT_NE(first, second);
  // A number closed and taken again by another pipe is another object.
  int number = pipe_fds[0];
  ::close(pipe_fds[0]);
  ::close(pipe_fds[1]);
  EXPECT_FALSE(identify_descriptor(number));
  ASSERT_EQ(::pipe(pipe_fds), 0);
  ASSERT_EQ(pipe_fds[0], number);
  EXPECT_NE(identify_descriptor(number), read_end);
  for (int fd : {pipe_fds[0], pipe_fds[1], sockets[0], sockets[1], events[0], events[1]})
    ::close(fd);
}

}  // namespace
}  // namespace conduit::win32
