// conduit's SMB2 pipe client codec: NTLMv2 (src/remote/ntlmssp.cpp) against
// the test vectors of [MS-NLMP] 4.2.4, and the SMB2 messages
// (src/remote/smb2_wire.cpp) with every truncation and random corruption a
// hostile server could send: each parse either fails with
// ERROR_UNEXP_NET_ERR or yields spans inside the message.
#include <gtest/gtest.h>

#include <random>

#include "conduit/error.hpp"
#include "remote/ntlmssp.hpp"
#include "remote/smb2_wire.hpp"

namespace ntlm = conduit::detail::remote::ntlm;
namespace smb2 = conduit::detail::remote::smb2;
using conduit::errc;

namespace {

std::vector<std::uint8_t> hex(std::string_view s) {
  std::vector<std::uint8_t> out;
  std::string digits;
  for (char c : s)
    if (c != ' ') digits += c;
  for (std::size_t i = 0; i + 1 < digits.size(); i += 2)
    out.push_back(static_cast<std::uint8_t>(std::stoi(digits.substr(i, 2), nullptr, 16)));
  return out;
}

template <std::size_t N>
std::vector<std::uint8_t> vec(const std::array<std::uint8_t, N>& a) {
  return {a.begin(), a.end()};
}

// [MS-NLMP] 4.2.4: user "User", domain "Domain", password "Password",
// server challenge 0123456789abcdef, client challenge aa * 8, time 0, and the
// server's AV pairs: NetBIOS domain "Domain", NetBIOS server "Server".
const std::array<std::uint8_t, 8> server_challenge = {0x01, 0x23, 0x45, 0x67,
                                                      0x89, 0xab, 0xcd, 0xef};
const std::array<std::uint8_t, 8> client_challenge = {0xaa, 0xaa, 0xaa, 0xaa,
                                                      0xaa, 0xaa, 0xaa, 0xaa};
std::vector<std::uint8_t> spec_target_info() {
  return hex(
      "02000c0044006f006d00610069006e00"
      "01000c005300650072007600650072000000 0000");
}

// The spec's CHALLENGE_MESSAGE (4.2.4.3), put together from its parts.
std::vector<std::uint8_t> spec_challenge() {
  auto info = spec_target_info();
  std::vector<std::uint8_t> m =
      hex("4e544c4d53535000"
          "02000000"
          "0c000c0038000000"
          "33828ae2");
  m.insert(m.end(), server_challenge.begin(), server_challenge.end());
  auto rest = hex("0000000000000000");
  m.insert(m.end(), rest.begin(), rest.end());
  std::uint16_t len = static_cast<std::uint16_t>(info.size());
  std::uint32_t offset = 0x38 + 12;
  m.push_back(static_cast<std::uint8_t>(len));
  m.push_back(static_cast<std::uint8_t>(len >> 8));
  m.push_back(static_cast<std::uint8_t>(len));
  m.push_back(static_cast<std::uint8_t>(len >> 8));
  for (int i = 0; i < 4; ++i) m.push_back(static_cast<std::uint8_t>(offset >> (8 * i)));
  auto version = hex("0601b01d0000000f");
  m.insert(m.end(), version.begin(), version.end());
  auto target_name = ntlm::utf16le("Server");
  m.insert(m.end(), target_name.begin(), target_name.end());
  m.insert(m.end(), info.begin(), info.end());
  return m;
}

std::uint32_t get32(const std::vector<std::uint8_t>& b, std::size_t at) {
  return static_cast<std::uint32_t>(b[at]) | static_cast<std::uint32_t>(b[at + 1]) << 8 |
         static_cast<std::uint32_t>(b[at + 2]) << 16 | static_cast<std::uint32_t>(b[at + 3]) << 24;
}

// The field at `header` of an AUTHENTICATE_MESSAGE.
std::vector<std::uint8_t> field(const std::vector<std::uint8_t>& m, std::size_t header) {
  std::size_t len = m[header] | m[header + 1] << 8;
  std::size_t offset = get32(m, header + 4);
  EXPECT_LE(offset + len, m.size());
  return {m.begin() + static_cast<std::ptrdiff_t>(offset),
          m.begin() + static_cast<std::ptrdiff_t>(offset + len)};
}

}  // namespace

TEST(Ntlmssp, ResponseKeyIsTheSpecs) {
  EXPECT_EQ(vec(ntlm::ntowf_v2("Password", "User", "Domain")),
            hex("0c868a403bfd7a93a3001ef22ef02e3f"));
  // The user name is upper-cased, the domain is not.
  EXPECT_EQ(vec(ntlm::ntowf_v2("Password", "user", "Domain")),
            hex("0c868a403bfd7a93a3001ef22ef02e3f"));
  EXPECT_NE(vec(ntlm::ntowf_v2("Password", "User", "DOMAIN")),
            hex("0c868a403bfd7a93a3001ef22ef02e3f"));
}

TEST(Ntlmssp, ResponsesAndSessionKeyAreTheSpecs) {
  auto key = ntlm::ntowf_v2("Password", "User", "Domain");
  auto r = ntlm::compute_v2(key, server_challenge, client_challenge, 0, spec_target_info());
  ASSERT_GE(r.nt_response.size(), 16u);
  EXPECT_EQ(std::vector<std::uint8_t>(r.nt_response.begin(), r.nt_response.begin() + 16),
            hex("68cd0ab851e51c96aabc927bebef6a1c"));
  EXPECT_EQ(r.lm_response, hex("86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa"));
  EXPECT_EQ(vec(r.session_base_key), hex("8de40ccadbc14a82f15cb0ad0de95ca3"));
  // The blob after NTProofStr, as the spec's AUTHENTICATE_MESSAGE carries it.
  EXPECT_EQ(std::vector<std::uint8_t>(r.nt_response.begin() + 16, r.nt_response.end()),
            hex("0101000000000000"
                "0000000000000000"
                "aaaaaaaaaaaaaaaa"
                "00000000"
                "02000c0044006f006d00610069006e00"
                "01000c005300650072007600650072000000 0000"
                "00000000"));
}

TEST(Ntlmssp, KeyExchangeIsTheSpecs) {
  ntlm::key16 base, random;
  auto b = hex("8de40ccadbc14a82f15cb0ad0de95ca3");
  std::copy(b.begin(), b.end(), base.begin());
  random.fill(0x55);
  EXPECT_EQ(vec(ntlm::rc4(base, random)), hex("c5dad2544fc9799094ce1ce90bc9d03e"));
}

TEST(Ntlmssp, AuthenticateAnswersTheSpecsChallenge) {
  ntlm::challenge c;
  ASSERT_FALSE(ntlm::parse_challenge(spec_challenge(), c));
  EXPECT_EQ(c.flags, 0xe28a8233u);
  EXPECT_EQ(vec(c.server_challenge), vec(server_challenge));
  EXPECT_EQ(c.target_info, spec_target_info());
  EXPECT_FALSE(c.has_timestamp);

  ntlm::entropy e;
  e.client_challenge = client_challenge;
  e.time = 0;
  e.random_session_key.fill(0x55);
  auto a = ntlm::authenticate_message(c, {"User", "Password", "Domain", "COMPUTER"}, e);
  const auto& m = a.message;
  ASSERT_GE(m.size(), 64u);
  EXPECT_EQ(std::vector<std::uint8_t>(m.begin(), m.begin() + 12), hex("4e544c4d5353500003000000"));
  EXPECT_EQ(field(m, 12), hex("86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa"));
  auto nt = field(m, 20);
  ASSERT_GE(nt.size(), 16u);
  EXPECT_EQ(std::vector<std::uint8_t>(nt.begin(), nt.begin() + 16),
            hex("68cd0ab851e51c96aabc927bebef6a1c"));
  EXPECT_EQ(field(m, 28), ntlm::utf16le("Domain"));
  EXPECT_EQ(field(m, 36), ntlm::utf16le("User"));
  EXPECT_EQ(field(m, 44), ntlm::utf16le("COMPUTER"));
  EXPECT_EQ(field(m, 52), hex("c5dad2544fc9799094ce1ce90bc9d03e"));
  EXPECT_TRUE(get32(m, 60) & ntlm::negotiate_key_exch);
  EXPECT_EQ(a.session_key, e.random_session_key);
}

TEST(Ntlmssp, ServerTimestampIsUsedAndTheLmResponseZeroed) {
  auto msg = spec_challenge();
  // Insert MsvAvTimestamp before MsvAvEOL: 07 00 08 00 and eight bytes.
  auto info = spec_target_info();
  auto ts = hex("070008000102030405060708");
  info.insert(info.end() - 4, ts.begin(), ts.end());
  std::size_t info_at = get32(msg, 44);
  msg.resize(info_at);
  msg.insert(msg.end(), info.begin(), info.end());
  msg[40] = msg[42] = static_cast<std::uint8_t>(info.size());
  ntlm::challenge c;
  ASSERT_FALSE(ntlm::parse_challenge(msg, c));
  EXPECT_TRUE(c.has_timestamp);
  EXPECT_EQ(c.timestamp, 0x0807060504030201u);
  auto a = ntlm::authenticate_message(c, {"User", "Password", "Domain", ""}, ntlm::fresh_entropy());
  EXPECT_EQ(field(a.message, 12), std::vector<std::uint8_t>(24, 0));
  auto nt = field(a.message, 20);
  ASSERT_GE(nt.size(), 24u);
  EXPECT_EQ(std::vector<std::uint8_t>(nt.begin() + 24, nt.begin() + 32), hex("0102030405060708"));
}

TEST(Ntlmssp, Utf16) {
  EXPECT_EQ(ntlm::utf16le("A\xc3\xa9"), hex("4100e900"));
  EXPECT_EQ(ntlm::utf16le("\xf0\x9f\x98\x80"), hex("3dd800de"));
  EXPECT_EQ(ntlm::utf16le("\xff"), hex("fdff"));
  EXPECT_EQ(ntlm::utf16le("\xe2\x82"), hex("fdfffdff"));
}

TEST(Ntlmssp, MalformedChallengesAreRefused) {
  auto good = spec_challenge();
  ntlm::challenge c;
  for (std::size_t n = 0; n < good.size(); ++n) {
    std::vector<std::uint8_t> cut(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_EQ(ntlm::parse_challenge(cut, c), errc::unexp_net_err) << "cut at " << n;
  }
  auto bad = good;
  bad[44] = 0xF0;  // target info offset past the end
  EXPECT_EQ(ntlm::parse_challenge(bad, c), errc::unexp_net_err);
  bad = good;
  bad[40] = 0xFF;  // target info longer than the message
  EXPECT_EQ(ntlm::parse_challenge(bad, c), errc::unexp_net_err);
  bad = good;
  bad[8] = 3;  // not a CHALLENGE_MESSAGE
  EXPECT_EQ(ntlm::parse_challenge(bad, c), errc::unexp_net_err);
  bad = good;
  bad[get32(good, 44) + 2] = 0xFF;  // an AV pair longer than the field
  EXPECT_EQ(ntlm::parse_challenge(bad, c), errc::unexp_net_err);
  bad = good;
  bad[22] &= static_cast<std::uint8_t>(~0x80);  // no target info flag: no NTLMv2
  EXPECT_EQ(ntlm::parse_challenge(bad, c), errc::not_supported);
  std::vector<std::uint8_t> huge(ntlm::max_challenge_size + 1, 0);
  std::copy(good.begin(), good.end(), huge.begin());
  EXPECT_EQ(ntlm::parse_challenge(huge, c), errc::unexp_net_err);

  std::mt19937 rng(7);
  for (int i = 0; i < 20000; ++i) {
    auto m = good;
    int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) m[rng() % m.size()] = static_cast<std::uint8_t>(rng());
    if (rng() % 3 == 0) m.resize(rng() % (m.size() + 1));
    if (!ntlm::parse_challenge(m, c)) {
      EXPECT_LE(c.target_info.size(), m.size());
    }
  }
}

namespace {

// A response as a server would send it: header and body.
std::vector<std::uint8_t> response(smb2::command cmd, std::uint32_t status,
                                   std::vector<std::uint8_t> body) {
  smb2::header h;
  h.cmd = cmd;
  h.flags = smb2::flag_response;
  auto m = smb2::build(h, body);
  for (int i = 0; i < 4; ++i) m[8 + i] = static_cast<std::uint8_t>(status >> (8 * i));
  return m;
}

void put16(std::vector<std::uint8_t>& b, std::size_t at, std::uint16_t v) {
  b[at] = static_cast<std::uint8_t>(v);
  b[at + 1] = static_cast<std::uint8_t>(v >> 8);
}
void put32(std::vector<std::uint8_t>& b, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
}

std::vector<std::uint8_t> read_response(std::string_view data) {
  std::vector<std::uint8_t> body(16, 0);
  put16(body, 0, 17);
  body[2] = 0x50;
  put32(body, 4, static_cast<std::uint32_t>(data.size()));
  body.insert(body.end(), data.begin(), data.end());
  return response(smb2::command::read, 0, body);
}

std::vector<std::uint8_t> negotiate_response() {
  std::vector<std::uint8_t> body(64, 0);
  put16(body, 0, 65);
  put16(body, 4, smb2::dialect_210);
  put32(body, 28, 1 << 20);
  put32(body, 32, 1 << 20);
  put32(body, 36, 1 << 20);
  put16(body, 56, 128);
  put16(body, 58, 4);
  body.insert(body.end(), {1, 2, 3, 4});
  return response(smb2::command::negotiate, 0, body);
}

std::vector<std::uint8_t> transceive_response(std::string_view data) {
  std::vector<std::uint8_t> body(48, 0);
  put16(body, 0, 49);
  put32(body, 4, smb2::fsctl_pipe_transceive);
  put32(body, 32, 112);
  put32(body, 36, static_cast<std::uint32_t>(data.size()));
  body.insert(body.end(), data.begin(), data.end());
  return response(smb2::command::ioctl, 0, body);
}

// Every parser on `m`: none may read outside it.
void parse_all(const std::vector<std::uint8_t>& m) {
  smb2::header h;
  (void)smb2::parse_header(m, h);
  smb2::negotiate_response n;
  (void)smb2::parse_negotiate(m, n);
  smb2::session_setup_response s;
  if (!smb2::parse_session_setup(m, s) && !s.token.empty()) {
    EXPECT_GE(s.token.data(), m.data());
    EXPECT_LE(s.token.data() + s.token.size(), m.data() + m.size());
  }
  (void)smb2::parse_tree_connect(m);
  smb2::file_id id;
  (void)smb2::parse_create(m, id);
  std::span<const std::uint8_t> data;
  if (!smb2::parse_read(m, data) && !data.empty()) {
    EXPECT_GE(data.data(), m.data() + smb2::header_size);
    EXPECT_LE(data.data() + data.size(), m.data() + m.size());
  }
  std::uint32_t count;
  (void)smb2::parse_write(m, count);
  if (!smb2::parse_transceive(m, data) && !data.empty()) {
    EXPECT_GE(data.data(), m.data() + smb2::header_size);
    EXPECT_LE(data.data() + data.size(), m.data() + m.size());
  }
}

}  // namespace

TEST(Smb2Wire, ValidResponsesParse) {
  auto m = read_response("hello");
  smb2::header h;
  ASSERT_FALSE(smb2::parse_header(m, h));
  EXPECT_EQ(h.cmd, smb2::command::read);
  std::span<const std::uint8_t> data;
  ASSERT_FALSE(smb2::parse_read(m, data));
  EXPECT_EQ(std::string(data.begin(), data.end()), "hello");
  smb2::negotiate_response n;
  ASSERT_FALSE(smb2::parse_negotiate(negotiate_response(), n));
  EXPECT_EQ(n.dialect, smb2::dialect_210);
  auto t = transceive_response("answer");
  ASSERT_FALSE(smb2::parse_transceive(t, data));
  EXPECT_EQ(std::string(data.begin(), data.end()), "answer");
}

TEST(Smb2Wire, TruncatedResponsesAreRefused) {
  for (const auto& good :
       {read_response("hello"), negotiate_response(), transceive_response("x")}) {
    for (std::size_t n = 0; n < good.size(); ++n) {
      std::vector<std::uint8_t> cut(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n));
      smb2::header h;
      if (n < smb2::header_size) {
        EXPECT_EQ(smb2::parse_header(cut, h), errc::unexp_net_err);
      }
      std::span<const std::uint8_t> data;
      smb2::negotiate_response nr;
      EXPECT_TRUE(smb2::parse_read(cut, data) || smb2::parse_negotiate(cut, nr) ||
                  smb2::parse_transceive(cut, data))
          << "cut at " << n;
      parse_all(cut);
    }
  }
}

TEST(Smb2Wire, LengthsAndOffsetsOutsideTheMessageAreRefused) {
  std::span<const std::uint8_t> data;
  auto m = read_response("hello");
  put32(m, 64 + 4, 6);  // one byte more than sent
  EXPECT_EQ(smb2::parse_read(m, data), errc::unexp_net_err);
  m = read_response("hello");
  put32(m, 64 + 4, 0xFFFFFFFF);
  EXPECT_EQ(smb2::parse_read(m, data), errc::unexp_net_err);
  m = read_response("hello");
  m[64 + 2] = 0x10;  // data inside the header
  EXPECT_EQ(smb2::parse_read(m, data), errc::unexp_net_err);
  m = read_response("hello");
  m[64 + 2] = 0xFF;
  EXPECT_EQ(smb2::parse_read(m, data), errc::unexp_net_err);
  m = read_response("hello");
  put16(m, 64, 9);  // an error response's structure size
  EXPECT_EQ(smb2::parse_read(m, data), errc::unexp_net_err);
  auto t = transceive_response("answer");
  put32(t, 64 + 32, 0xFFFFFFF0);
  EXPECT_EQ(smb2::parse_transceive(t, data), errc::unexp_net_err);
  auto n = negotiate_response();
  put16(n, 64 + 58, 0xFFFF);
  smb2::negotiate_response nr;
  EXPECT_EQ(smb2::parse_negotiate(n, nr), errc::unexp_net_err);
  n = negotiate_response();
  put16(n, 64 + 4, 0x0311);  // a dialect not offered
  EXPECT_EQ(smb2::parse_negotiate(n, nr), errc::unexp_net_err);

  smb2::header h;
  m = read_response("x");
  m[0] = 0xFF;  // SMB1, or not SMB at all
  EXPECT_EQ(smb2::parse_header(m, h), errc::unexp_net_err);
  m = read_response("x");
  m[16] = 0;  // not a response
  EXPECT_EQ(smb2::parse_header(m, h), errc::unexp_net_err);
  m = read_response("x");
  m[20] = 64;  // compounded
  EXPECT_EQ(smb2::parse_header(m, h), errc::unexp_net_err);
  std::vector<std::uint8_t> huge(smb2::max_message + 1, 0);
  std::copy(m.begin(), m.end(), huge.begin());
  huge[20] = 0;
  EXPECT_EQ(smb2::parse_header(huge, h), errc::unexp_net_err);
}

TEST(Smb2Wire, RandomCorruptionNeverReadsOutside) {
  std::mt19937 rng(11);
  std::vector<std::vector<std::uint8_t>> seeds = {read_response("hello, pipe"),
                                                  negotiate_response(), transceive_response("abc")};
  for (int i = 0; i < 30000; ++i) {
    auto m = seeds[static_cast<std::size_t>(i) % seeds.size()];
    int flips = 1 + static_cast<int>(rng() % 6);
    for (int f = 0; f < flips; ++f) m[rng() % m.size()] = static_cast<std::uint8_t>(rng());
    if (rng() % 4 == 0) m.resize(rng() % (m.size() + 1));
    // A copy of exactly its size: a read past it is caught by the sanitizers.
    std::vector<std::uint8_t> exact(m.begin(), m.end());
    exact.shrink_to_fit();
    parse_all(exact);
  }
}

TEST(Smb2Wire, SigningRoundTrip) {
  smb2::header h;
  h.cmd = smb2::command::write;
  h.flags = smb2::flag_response;
  auto m = smb2::build(h, smb2::write_request({}, std::vector<std::uint8_t>{1, 2, 3}));
  std::array<std::uint8_t, 16> key;
  key.fill(0x42);
  smb2::sign(m, key);
  EXPECT_TRUE(m[16] & smb2::flag_signed);
  EXPECT_TRUE(smb2::signature_valid(m, key));
  m[m.size() - 1] ^= 1;
  EXPECT_FALSE(smb2::signature_valid(m, key));
  m[m.size() - 1] ^= 1;
  key[0] ^= 1;
  EXPECT_FALSE(smb2::signature_valid(m, key));
}

TEST(Smb2Wire, StatusesMapToWin32Errors) {
  EXPECT_FALSE(smb2::error_from_status(0));
  EXPECT_EQ(smb2::error_from_status(smb2::status_buffer_overflow), errc::more_data);
  EXPECT_EQ(smb2::error_from_status(0xC000006D), errc::logon_failure);
  EXPECT_EQ(smb2::error_from_status(0xC0000034), errc::file_not_found);
  EXPECT_EQ(smb2::error_from_status(0xC00000AE), errc::pipe_busy);
  EXPECT_EQ(smb2::error_from_status(0xC00000B0), errc::pipe_not_connected);
  EXPECT_EQ(smb2::error_from_status(0xC000014B), errc::broken_pipe);
  EXPECT_EQ(smb2::error_from_status(0xDEADBEEF), errc::unexp_net_err);
}
