// The NetBIOS datagram carrying a mailslot write: names as RFC 1001/1002
// encode them, the bytes Windows sends, and a decoder that refuses every
// malformed or cut-short datagram.
#include "netbios/mailslot_datagram.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "netbios/netbios_name.hpp"

namespace conduit::detail::netbios {
namespace {

std::vector<std::byte> bytes_of(std::string_view s) {
  std::vector<std::byte> out;
  for (char c : s) out.push_back(static_cast<std::byte>(c));
  return out;
}

std::string text_of(std::span<const std::byte> b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

unsigned at(const std::vector<std::byte>& v, std::size_t i) {
  return static_cast<unsigned>(v[i]);
}

unsigned le16_at(const std::vector<std::byte>& v, std::size_t i) {
  return at(v, i) | (at(v, i + 1) << 8);
}

TEST(NetbiosName, EncodesAsRfc1001Example) {
  // RFC 1001 14.1: "FRED" padded with spaces encodes as EGFCEFEE then CA...
  std::vector<std::byte> out;
  encode_netbios_name({"FRED", 0x20, ""}, out);
  ASSERT_EQ(out.size(), 34u);
  EXPECT_EQ(at(out, 0), 32u);
  EXPECT_EQ(text_of(std::span(out).subspan(1, 32)), "EGFCEFEECACACACACACACACACACACACA");
  EXPECT_EQ(at(out, 33), 0u);
  std::size_t pos = 0;
  netbios_name back;
  ASSERT_TRUE(decode_netbios_name(out, pos, back));
  EXPECT_EQ(pos, out.size());
  EXPECT_EQ(back, (netbios_name{"FRED", 0x20, ""}));
}

TEST(NetbiosName, ScopeTravelsAsLabels) {
  std::vector<std::byte> out;
  encode_netbios_name({"HOST", 0x00, "net.example"}, out);
  ASSERT_EQ(out.size(), 34u + 4 + 8);
  EXPECT_EQ(at(out, 33), 3u);
  EXPECT_EQ(at(out, 37), 7u);
  std::size_t pos = 0;
  netbios_name back;
  ASSERT_TRUE(decode_netbios_name(out, pos, back));
  EXPECT_EQ(back.scope, "net.example");
  EXPECT_FALSE(valid_scope("a..b"));
  EXPECT_FALSE(valid_scope(".a"));
  EXPECT_FALSE(valid_scope(std::string(64, 'x')));
  EXPECT_TRUE(valid_scope(std::string(63, 'x')));
}

TEST(NetbiosName, RefusesWhatIsNotAName) {
  std::vector<std::byte> good;
  encode_netbios_name({"HOST", 0x00, ""}, good);
  for (std::size_t n = 0; n < good.size(); ++n) {
    std::size_t pos = 0;
    netbios_name out;
    EXPECT_FALSE(decode_netbios_name(std::span(good).first(n), pos, out)) << n;
    EXPECT_EQ(pos, 0u);
  }
  auto bad_letter = good;
  bad_letter[5] = std::byte{'Q'};
  auto bad_length = good;
  bad_length[0] = std::byte{31};
  auto pointer = good;
  pointer[33] = std::byte{0xC0};
  for (const auto& v : {bad_letter, bad_length, pointer}) {
    std::size_t pos = 0;
    netbios_name out;
    EXPECT_FALSE(decode_netbios_name(v, pos, out));
  }
}

TEST(NetbiosName, FormOfHostNames) {
  EXPECT_EQ(netbios_form("host-a.example.org"), "HOST-A");
  EXPECT_EQ(netbios_form("10.1.2.3"), "10.1.2.3");
  EXPECT_EQ(netbios_form("averyveryverylongname"), "AVERYVERYVERYLO");
  EXPECT_TRUE(same_name("Host", "HOST  "));
  EXPECT_FALSE(same_name("HOST", "HOSTS"));
}

mailslot_datagram browse_sample(std::span<const std::byte> data) {
  mailslot_datagram d;
  d.type = datagram_type::direct_group;
  d.id = 0x1234;
  d.source_ip = 0x0A000102;  // 10.0.1.2
  d.source = {"HOST-A", 0x00, ""};
  d.destination = {"WORKGROUP", 0x00, ""};
  d.mailslot = "BROWSE";
  d.data = data;
  return d;
}

TEST(MailslotDatagram, LaysOutWhatWindowsSends) {
  auto data = bytes_of("hello");
  auto out = encode_mailslot_datagram(browse_sample(data));
  ASSERT_EQ(out.size(), 14u + 68 + 86 + 5);
  EXPECT_EQ(at(out, 0), 0x11u);  // direct group
  EXPECT_EQ(at(out, 1), 0x02u);  // first fragment, B node
  EXPECT_EQ(at(out, 2) << 8 | at(out, 3), 0x1234u);
  EXPECT_EQ(at(out, 4), 10u);
  EXPECT_EQ(at(out, 7), 2u);
  EXPECT_EQ(at(out, 8) << 8 | at(out, 9), 138u);
  EXPECT_EQ(at(out, 10) << 8 | at(out, 11), out.size() - 14);
  const std::size_t smb = 14 + 68;
  EXPECT_EQ(text_of(std::span(out).subspan(smb + 1, 3)), "SMB");
  EXPECT_EQ(at(out, smb + 4), 0x25u);
  EXPECT_EQ(at(out, smb + 32), 17u);                // WordCount
  EXPECT_EQ(le16_at(out, smb + 33 + 2), 5u);        // TotalDataCount
  EXPECT_EQ(le16_at(out, smb + 33 + 12), 1000u);    // Timeout
  EXPECT_EQ(le16_at(out, smb + 33 + 22), 5u);       // DataCount
  EXPECT_EQ(le16_at(out, smb + 33 + 24), 86u);      // DataOffset, as in [MS-BRWS] 4.1
  EXPECT_EQ(at(out, smb + 33 + 26), 3u);            // SetupCount
  EXPECT_EQ(le16_at(out, smb + 33 + 28), 1u);       // mailslot write
  EXPECT_EQ(le16_at(out, smb + 33 + 32), 2u);       // class 2
  EXPECT_EQ(le16_at(out, smb + 33 + 34), 17u + 5);  // ByteCount
  EXPECT_EQ(text_of(std::span(out).subspan(smb + 69, 17)), std::string("\\MAILSLOT\\BROWSE", 17));
  EXPECT_EQ(text_of(std::span(out).subspan(smb + 86)), "hello");
}

TEST(MailslotDatagram, DecodesWhatItEncodes) {
  auto data = bytes_of("payload");
  auto in = browse_sample(data);
  in.destination.scope = "corp.example";
  in.source.scope = "corp.example";
  auto out = encode_mailslot_datagram(in);
  mailslot_datagram back;
  ASSERT_EQ(decode_mailslot_datagram(out, back), decode_result::ok);
  EXPECT_EQ(back.type, in.type);
  EXPECT_EQ(back.id, in.id);
  EXPECT_EQ(back.source_ip, in.source_ip);
  EXPECT_EQ(back.source, in.source);
  EXPECT_EQ(back.destination, in.destination);
  EXPECT_EQ(back.mailslot, "BROWSE");
  EXPECT_EQ(text_of(back.data), "payload");
  EXPECT_EQ(encode_mailslot_datagram(back), out);
}

TEST(MailslotDatagram, EveryCutIsRefused) {
  auto data = bytes_of("abc");
  auto out = encode_mailslot_datagram(browse_sample(data));
  for (std::size_t n = 0; n < out.size(); ++n) {
    mailslot_datagram d;
    EXPECT_NE(decode_mailslot_datagram(std::span(out).first(n), d), decode_result::ok) << n;
  }
}

TEST(MailslotDatagram, LyingLengthsAreRefused) {
  auto data = bytes_of("abc");
  const auto good = encode_mailslot_datagram(browse_sample(data));
  const std::size_t smb = 14 + 68;
  auto set16 = [](std::vector<std::byte> v, std::size_t i, unsigned value) {
    v[i] = static_cast<std::byte>(value & 0xFF);
    v[i + 1] = static_cast<std::byte>(value >> 8);
    return v;
  };
  mailslot_datagram d;
  EXPECT_EQ(decode_mailslot_datagram(set16(good, smb + 33 + 22, 4000), d),
            decode_result::malformed);
  EXPECT_EQ(
      decode_mailslot_datagram(set16(set16(good, smb + 33 + 22, 4000), smb + 33 + 2, 4000), d),
      decode_result::malformed);
  EXPECT_EQ(decode_mailslot_datagram(set16(good, smb + 33 + 24, 70), d), decode_result::malformed);
  EXPECT_EQ(decode_mailslot_datagram(set16(good, smb + 33 + 24, 0xFFFF), d),
            decode_result::malformed);
  EXPECT_EQ(decode_mailslot_datagram(set16(good, smb + 33 + 34, 0xFFFF), d),
            decode_result::malformed);
  EXPECT_EQ(decode_mailslot_datagram(set16(good, smb + 33 + 28, 2), d),
            decode_result::not_a_mailslot);
  auto more = good;
  more[1] = std::byte{0x03};
  EXPECT_EQ(decode_mailslot_datagram(more, d), decode_result::fragment);
  auto longer = good;
  longer.push_back(std::byte{0});
  EXPECT_EQ(decode_mailslot_datagram(longer, d), decode_result::malformed);
  // No zero byte after the name: the name would run into the data.
  auto unterminated = good;
  unterminated[smb + 69 + 16] = std::byte{'X'};
  EXPECT_EQ(decode_mailslot_datagram(unterminated, d), decode_result::malformed);
  std::vector<std::byte> huge(max_datagram_bytes + 1);
  EXPECT_EQ(decode_mailslot_datagram(huge, d), decode_result::oversized);
}

TEST(MailslotDatagram, WindowsLimits) {
  EXPECT_TRUE(fits_remote_limits("x", 424));
  EXPECT_FALSE(fits_remote_limits("x", 425));
  // [MS-MAIL] 2.1: name and data within 443 bytes.
  EXPECT_TRUE(fits_remote_limits(std::string(443 - 11 - 424, 'n'), 424));
  EXPECT_FALSE(fits_remote_limits(std::string(443 - 11 - 424 + 1, 'n'), 424));
}

}  // namespace
}  // namespace conduit::detail::netbios
