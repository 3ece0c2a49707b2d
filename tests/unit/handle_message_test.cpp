// The handle services' packets (src/win32/handle_message.hpp): what one
// process sends another across a security boundary, so every malformed
// packet must be refused whole.
#include "win32/handle_message.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

namespace conduit::win32 {
namespace {

handle_message sample() {
  handle_message m;
  m.operation = handle_message::op::insert;
  m.handle = 0x1234;
  m.access = 0x1F0003;
  m.flags = HANDLE_FLAG_INHERIT;
  m.kind = 'm';
  m.state = "state bytes";
  return m;
}

bool decodes(const std::vector<std::byte>& packet) {
  handle_message out;
  return decode_handle_message(packet, out);
}

TEST(HandleMessage, RoundTrip) {
  auto packet = encode_handle_message(sample());
  EXPECT_EQ(packet.size(), handle_message_header + sample().state.size());
  handle_message out;
  ASSERT_TRUE(decode_handle_message(packet, out));
  EXPECT_EQ(out.operation, handle_message::op::insert);
  EXPECT_EQ(out.handle, 0x1234u);
  EXPECT_EQ(out.access, 0x1F0003u);
  EXPECT_EQ(out.flags, static_cast<std::uint32_t>(HANDLE_FLAG_INHERIT));
  EXPECT_EQ(out.kind, 'm');
  EXPECT_EQ(out.state, "state bytes");
}

TEST(HandleMessage, LargestStateFits) {
  auto m = sample();
  m.state.assign(max_transfer_state, 'x');
  EXPECT_TRUE(decodes(encode_handle_message(m)));
  m.state.push_back('x');
  EXPECT_FALSE(decodes(encode_handle_message(m)));
}

TEST(HandleMessage, MalformedPacketsAreRefused) {
  auto good = encode_handle_message(sample());
  auto with_byte = [&](std::size_t offset, std::byte value) {
    auto p = good;
    p[offset] = value;
    return p;
  };
  EXPECT_FALSE(decodes({}));
  EXPECT_FALSE(decodes(std::vector<std::byte>(good.begin(), good.begin() + 39)));  // short header
  EXPECT_FALSE(decodes(std::vector<std::byte>(good.begin(), good.end() - 1)));     // short state
  auto longer = good;
  longer.push_back(std::byte{0});
  EXPECT_FALSE(decodes(longer));                       // more than the state size says
  EXPECT_FALSE(decodes(with_byte(0, std::byte{0})));   // magic
  EXPECT_FALSE(decodes(with_byte(4, std::byte{2})));   // version
  EXPECT_FALSE(decodes(with_byte(6, std::byte{9})));   // unknown op
  EXPECT_FALSE(decodes(with_byte(21, std::byte{1})));  // pad
  EXPECT_FALSE(decodes(with_byte(28, std::byte{1})));  // second pad

  auto m = sample();
  m.flags = 0x2;  // only HANDLE_FLAG_INHERIT means anything in an insert
  EXPECT_FALSE(decodes(encode_handle_message(m)));
  m.operation = handle_message::op::fetch;
  m.flags = handle_message::close_source;
  EXPECT_TRUE(decodes(encode_handle_message(m)));
  m.flags = 0x4;
  EXPECT_FALSE(decodes(encode_handle_message(m)));
}

}  // namespace
}  // namespace conduit::win32
