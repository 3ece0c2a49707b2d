// The broker protocol: round trips, and rejection of malformed input.
#include "core/wire.hpp"

#include <gtest/gtest.h>

#include <cerrno>

namespace conduit::detail::wire {
namespace {

TEST(Wire, CreateInstanceRoundTrip) {
  create_instance_request in;
  in.name = R"(\\.\pipe\x)";
  in.open_mode = 3;
  in.pipe_mode = 6;
  in.max_instances = 4;
  in.out_buffer = 1024;
  in.in_buffer = 2048;
  in.default_timeout_ms = 500;
  in.serial = 7;
  in.security_descriptor = "D:(A;;GA;;;WD)";
  auto bytes = encode(request(in), 42);
  header h;
  request out;
  ASSERT_FALSE(decode_request(bytes, h, out));
  EXPECT_EQ(h.request_id, 42u);
  auto& got = std::get<create_instance_request>(out);
  EXPECT_EQ(got.name, in.name);
  EXPECT_EQ(got.pipe_mode, 6u);
  EXPECT_EQ(got.max_instances, 4u);
  EXPECT_EQ(got.serial, 7u);
  EXPECT_EQ(got.security_descriptor, in.security_descriptor);
  EXPECT_EQ(fds_expected(out), 2u);
}

TEST(Wire, ReplyRoundTrip) {
  reply in;
  in.error = 231;
  in.instance_id = 1ull << 40;
  in.names = {"a", "b"};
  auto bytes = encode(in, 9);
  header h;
  reply out;
  ASSERT_FALSE(decode_reply(bytes, h, out));
  EXPECT_EQ(out.error, 231u);
  EXPECT_EQ(out.instance_id, 1ull << 40);
  EXPECT_EQ(out.names, in.names);
}

TEST(Wire, EventAndSecurityRequestsRoundTrip) {
  for (const request& in :
       {request(create_event_request{R"(Global\ev)", event_manual_reset}),
        request(create_event_request{"ev", 0, 0x00100000, "D:(A;;GA;;;WD)"}),
        request(open_event_request{"ev"}), request(open_event_request{"ev", 0x00100002}),
        request(close_event_request{1ull << 40}), request(mutex_owner_request{1ull << 40, 1}),
        request(get_security_request{R"(\\.\pipe\x)", 7, dacl_security_information}),
        request(set_security_request{R"(\\.\pipe\x)", 0, owner_security_information,
                                     "O:S-1-22-1-1000"})}) {
    auto bytes = encode(in, 5);
    header h;
    request out;
    ASSERT_FALSE(decode_request(bytes, h, out));
    EXPECT_EQ(h.request_id, 5u);
    EXPECT_EQ(out.index(), in.index());
    EXPECT_EQ(encode(out, 5), bytes);
    for (std::size_t cut = header_size; cut < bytes.size(); ++cut) {
      auto shorter = std::vector(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(cut));
      shorter[8] = std::byte{static_cast<std::uint8_t>(cut)};  // a length that matches
      EXPECT_EQ(decode_request(shorter, h, out), std::errc::bad_message) << "cut at " << cut;
    }
  }
  EXPECT_EQ(fds_expected(create_event_request{}), 1u);
  EXPECT_EQ(fds_expected(open_event_request{}), 0u);
  EXPECT_EQ(fds_expected(close_event_request{}), 0u);
  EXPECT_EQ(fds_expected(mutex_owner_request{}), 0u);
  EXPECT_EQ(fds_expected(get_security_request{}), 0u);
  EXPECT_EQ(fds_expected(set_security_request{}), 0u);
  // What CreateEvent and OpenEvent ask unless told otherwise.
  EXPECT_EQ(create_event_request{}.desired_access, 0x001F0003u);
  EXPECT_EQ(open_event_request{}.desired_access, 0x001F0003u);
  // Numbers no request has are unknown: the gaps between the ranges, and
  // past the last.
  for (std::uint8_t type : {0, 17, 19, 23, 29, 31, 40, 99}) {
    auto bytes = encode(request(close_event_request{1}), 1);
    bytes[6] = std::byte{type};
    header h;
    request out;
    EXPECT_EQ(decode_request(bytes, h, out), std::errc::bad_message) << int{type};
  }
}

TEST(Wire, RejectsTruncationAndTrailingBytes) {
  auto bytes = encode(request(open_request{R"(\\.\pipe\x)", 3, 0}), 1);
  header h;
  request out;
  for (std::size_t cut = 0; cut < bytes.size(); ++cut)
    EXPECT_TRUE(decode_request(std::span(bytes).first(cut), h, out)) << "cut at " << cut;
  bytes.push_back(std::byte{0});
  EXPECT_TRUE(decode_request(bytes, h, out));  // length field no longer matches
}

TEST(Wire, RejectsBadMagicVersionTypeAndNul) {
  header h;
  request out;
  auto bytes = encode(request(wait_request{R"(\\.\pipe\x)", 5}), 1);
  auto bad_magic = bytes;
  bad_magic[0] = std::byte{0};
  EXPECT_EQ(decode_request(bad_magic, h, out), std::errc::bad_message);
  auto bad_version = bytes;
  bad_version[4] = std::byte{9};
  EXPECT_EQ(decode_request(bad_version, h, out), std::errc::protocol_not_supported);
  auto bad_type = bytes;
  bad_type[6] = std::byte{0x77};
  EXPECT_EQ(decode_request(bad_type, h, out), std::errc::bad_message);
  auto with_nul = encode(request(wait_request{std::string("a\0b", 3), 5}), 1);
  EXPECT_EQ(decode_request(with_nul, h, out), std::errc::bad_message);
}

TEST(Wire, ConnectRecordRoundTripAndLimits) {
  connect_record in;
  in.client_pid = 1234;
  in.uid = 1000;
  in.gid = 100;
  in.groups = {1, 2, 3};
  in.serial = 5;
  auto bytes = encode(in);
  EXPECT_EQ(connect_record_size(std::span(bytes).first(8)), bytes.size());
  connect_record out;
  ASSERT_FALSE(decode_connect_record(bytes, out));
  EXPECT_EQ(out.client_pid, 1234u);
  EXPECT_EQ(out.groups, in.groups);
  EXPECT_EQ(out.serial, 5u);
  bytes[4] = std::byte{0xFF};  // absurd size
  EXPECT_EQ(connect_record_size(std::span(bytes).first(8)), 0u);
  in.groups.assign(100, 7);  // more groups than a record carries: cut to the limit
  EXPECT_EQ(encode(in).size(),
            connect_record::fixed_size + 4 * connect_record::max_groups + connect_record::min_tail);
  // A remote client's computer: its name and address travel, padded to 4.
  in.groups = {1};
  in.computer_name = "WORKSTATION7";
  in.client_address = "192.0.2.15";
  bytes = encode(in);
  EXPECT_EQ(bytes.size() % 4, 0u);
  ASSERT_FALSE(decode_connect_record(bytes, out));
  EXPECT_EQ(out.computer_name, "WORKSTATION7");
  EXPECT_EQ(out.client_address, "192.0.2.15");
  // Padding that is not zeros is not a record.
  bytes.back() = std::byte{1};
  EXPECT_TRUE(decode_connect_record(bytes, out));
  // Longer strings than a record holds are cut.
  in.computer_name.assign(400, 'n');
  in.client_address.assign(100, '1');
  bytes = encode(in);
  EXPECT_EQ(bytes.size(), connect_record::fixed_size + 4 + connect_record::max_tail);
  ASSERT_FALSE(decode_connect_record(bytes, out));
  EXPECT_EQ(out.computer_name.size(), connect_record::max_computer_name);
}

}  // namespace
}  // namespace conduit::detail::wire

namespace conduit::detail::wire {
namespace {

TEST(Wire, ListPipesRoundTrip) {
  for (const request& in :
       {request(list_pipes_request{}), request(list_pipes_request{R"(\\.\pipe\a)", list_exact})}) {
    auto bytes = encode(in, 3);
    header h;
    request out;
    ASSERT_FALSE(decode_request(bytes, h, out));
    EXPECT_EQ(encode(out, 3), bytes);
  }
  reply in;
  in.listing.emplace();
  in.listing->more = true;
  listed_pipe p;
  p.name = R"(\\.\pipe\a)";
  p.flags = listed_pipe::details_visible;
  p.max_instances = 255;
  p.cur_instances = 3;
  p.listening = 2;
  p.server_count = 2;
  p.servers = {{10, 1000}, {11, 0}};
  in.listing->pipes = {p};
  auto bytes = encode(in, 4);
  header h;
  reply out;
  ASSERT_FALSE(decode_reply(bytes, h, out));
  ASSERT_TRUE(out.listing);
  EXPECT_TRUE(out.listing->more);
  ASSERT_EQ(out.listing->pipes.size(), 1u);
  EXPECT_EQ(out.listing->pipes[0].servers.size(), 2u);
  EXPECT_EQ(out.listing->pipes[0].servers[1].pid, 11u);
  EXPECT_EQ(encode(out, 4), bytes);
  // A reply without a listing stays byte for byte what it was.
  reply plain;
  EXPECT_FALSE(decode_reply(encode(plain, 1), h, out));
  EXPECT_FALSE(out.listing);
}

// A listing that does not add up is refused, whoever sent it.
TEST(Wire, ListingThatDoesNotAddUpIsRefused) {
  auto refused = [](listed_pipe p) {
    reply in;
    in.listing.emplace();
    in.listing->pipes = {std::move(p)};
    header h;
    reply out;
    return decode_reply(encode(in, 1), h, out) == std::errc::bad_message;
  };
  listed_pipe good;
  good.name = "x";
  good.flags = listed_pipe::details_visible;
  good.cur_instances = 1;
  good.server_count = 1;
  good.servers = {{1, 1}};
  EXPECT_FALSE(refused(good));
  auto p = good;
  p.name.clear();
  EXPECT_TRUE(refused(p));
  p = good;
  p.flags = 2;
  EXPECT_TRUE(refused(p));
  p = good;
  p.listening = 2;  // more listening than there are
  EXPECT_TRUE(refused(p));
  p = good;
  p.server_count = 0;  // more listed than counted
  EXPECT_TRUE(refused(p));
  p = good;
  p.flags = 0;  // hidden details, yet servers
  EXPECT_TRUE(refused(p));
  p = good;
  p.server_count = 40;
  p.servers.assign(33, {1, 1});
  EXPECT_TRUE(refused(p));
  // Truncated anywhere in the listing.
  reply in;
  in.listing.emplace();
  in.listing->pipes = {good};
  auto bytes = encode(in, 1);
  std::size_t plain = encode(reply{}, 1).size();
  for (std::size_t cut = plain + 1; cut < bytes.size(); ++cut) {
    auto shorter = std::vector(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(cut));
    shorter[8] = std::byte{static_cast<std::uint8_t>(cut)};
    header h;
    reply out;
    EXPECT_EQ(decode_reply(shorter, h, out), std::errc::bad_message) << "cut at " << cut;
  }
}

}  // namespace
}  // namespace conduit::detail::wire
