// The named-pipe-auth codec (src/remote/named_pipe_auth.cpp): a request
// recorded from smbd 4.17.12, requests it writes itself at every level, the
// reply smbd accepts, and malformed input.
#include "remote/named_pipe_auth.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

namespace remote = conduit::detail::remote;

namespace {

std::vector<std::byte> recorded() {
  std::ifstream in(CONDUIT_TEST_DATA "/npa_request_samba_4.17.12_level7.bin", std::ios::binary);
  std::vector<char> chars((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::byte> out(chars.size());
  for (std::size_t i = 0; i < chars.size(); ++i) out[i] = static_cast<std::byte>(chars[i]);
  return out;
}

remote::npa_request sample(std::uint32_t level) {
  remote::npa_request r;
  r.level = level;
  r.transport = level == 5 ? 0 : 1;
  r.remote_client_name = "client";
  r.remote_client_addr = "192.0.2.7";
  r.remote_client_port = 50001;
  r.local_server_name = "server";
  r.local_server_addr = "192.0.2.1";
  r.local_server_port = 445;
  r.has_session = true;
  for (const char* text : {"S-1-5-21-1-2-3-1000", "S-1-1-0", "S-1-5-2", "S-1-22-1-1002"}) {
    conduit::detail::security::sid s;
    if (!conduit::detail::security::parse_sid(text, s)) r.sids.push_back(s);
  }
  r.has_unix_token = true;
  r.uid = 1002;
  r.gid = 1003;
  r.groups = {1003, 27, 100};
  r.account_name = "alice";
  r.domain_name = "WORKGROUP";
  return r;
}

}  // namespace

TEST(NamedPipeAuth, DecodesWhatSmbdSent) {
  auto bytes = recorded();
  ASSERT_EQ(bytes.size(), 738u);
  EXPECT_EQ(remote::npa_request_size(bytes), bytes.size());
  remote::npa_request r;
  ASSERT_FALSE(remote::decode_npa_request(bytes, r));
  EXPECT_EQ(r.level, 7u);
  EXPECT_EQ(r.transport, 1);
  EXPECT_EQ(r.remote_client_addr, "127.0.0.1");
  EXPECT_EQ(r.local_server_addr, "127.0.0.1");
  EXPECT_EQ(r.local_server_port, 4455);  // smbd listened on a test port
  ASSERT_TRUE(r.has_session);
  ASSERT_EQ(r.sids.size(), 8u);
  EXPECT_EQ(to_string(r.sids[0]), "S-1-5-21-3288820550-3098952500-3247451691-1000");
  EXPECT_EQ(to_string(r.sids[4]), "S-1-5-2");
  EXPECT_EQ(to_string(r.sids[6]), "S-1-22-1-1002");
  ASSERT_TRUE(r.has_unix_token);
  EXPECT_EQ(r.uid, 1002u);
  EXPECT_EQ(r.gid, 1002u);
  EXPECT_EQ(r.groups, std::vector<std::uint64_t>{1002});
  EXPECT_EQ(r.account_name, "smbtu");
  EXPECT_EQ(r.domain_name, "CONDUITHOST");
}

TEST(NamedPipeAuth, EveryLevelRoundTrips) {
  for (std::uint32_t level : {5u, 7u, 8u}) {
    auto bytes = remote::encode_npa_request(sample(level));
    remote::npa_request r;
    ASSERT_FALSE(remote::decode_npa_request(bytes, r)) << level;
    EXPECT_EQ(remote::encode_npa_request(r), bytes) << level;
    EXPECT_EQ(r.uid, 1002u);
    EXPECT_EQ(r.groups.size(), 3u);
    EXPECT_EQ(r.account_name, "alice");
    EXPECT_EQ(r.remote_client_port, 50001);
  }
}

TEST(NamedPipeAuth, AnonymousHasNoSession) {
  auto req = sample(7);
  req.has_session = false;
  remote::npa_request r;
  ASSERT_FALSE(remote::decode_npa_request(remote::encode_npa_request(req), r));
  EXPECT_FALSE(r.has_session);
  EXPECT_FALSE(r.has_unix_token);
}

TEST(NamedPipeAuth, ReplyIsWhatSmbdParses) {
  // Laid out as smbd 4.17 reads it (checked against smbd: a reply without
  // the padding before allocation_size is refused as too short).
  auto rep = remote::encode_npa_reply(7, remote::npa_file_type::message);
  ASSERT_EQ(rep.size(), 36u);
  EXPECT_EQ(rep[3], std::byte{32});
  EXPECT_EQ(rep[4], std::byte{'N'});
  EXPECT_EQ(rep[16], std::byte{2});
  EXPECT_EQ(rep[18], std::byte{0xff});
  EXPECT_EQ(rep[19], std::byte{0x05});
  EXPECT_EQ(rep[24], std::byte{0x00});
  EXPECT_EQ(rep[25], std::byte{0x10});  // 4096
  auto byte_rep = remote::encode_npa_reply(5, remote::npa_file_type::byte);
  EXPECT_EQ(byte_rep[16], std::byte{1});
  EXPECT_EQ(byte_rep[19], std::byte{0x00});
}

TEST(NamedPipeAuth, RefusesMalformedInput) {
  auto good = recorded();
  remote::npa_request r;
  // Every truncation: the length no longer matches.
  for (std::size_t n = 0; n < good.size(); n += 7)
    EXPECT_TRUE(remote::decode_npa_request(std::span(good).first(n), r)) << n;
  // A length that says less than there is, with the bytes cut to it: the
  // fields run out (up to the domain name, the last field read).
  constexpr std::size_t last_read = 0x224;
  for (std::size_t n = 16; n < last_read; n += 13) {
    auto cut = std::vector<std::byte>(good.begin(), good.begin() + n);
    cut[0] = std::byte{0};
    cut[1] = std::byte{0};
    cut[2] = static_cast<std::byte>((n - 4) >> 8);
    cut[3] = static_cast<std::byte>(n - 4);
    EXPECT_EQ(remote::decode_npa_request(cut, r), std::errc::bad_message) << n;
  }
  auto bad_magic = good;
  bad_magic[5] = std::byte{'X'};
  EXPECT_EQ(remote::decode_npa_request(bad_magic, r), std::errc::bad_message);
  auto bad_level = good;
  bad_level[8] = std::byte{6};
  EXPECT_EQ(remote::decode_npa_request(bad_level, r), std::errc::protocol_not_supported);
  auto bad_switch = good;
  bad_switch[12] = std::byte{5};
  EXPECT_EQ(remote::decode_npa_request(bad_switch, r), std::errc::bad_message);
  // A huge SID count.
  auto many = good;
  many[0xc8] = std::byte{0xff};
  many[0xcc] = std::byte{0xff};
  EXPECT_EQ(remote::decode_npa_request(many, r), std::errc::bad_message);
  // A string without its NUL.
  auto unterminated = good;
  unterminated[0x3e] = std::byte{'x'};
  EXPECT_EQ(remote::decode_npa_request(unterminated, r), std::errc::bad_message);
  // Over the size limit.
  std::vector<std::byte> huge(remote::npa_max_request + 8);
  huge[1] = std::byte{0x01};
  EXPECT_EQ(remote::npa_request_size(huge), 0u);
}
