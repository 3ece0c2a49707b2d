#include "remote/ntlmssp.hpp"

#include <nettle/arcfour.h>
#include <nettle/hmac.h>
#include <nettle/md4.h>
#include <nettle/md5.h>
#include <sys/random.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <random>

#include "conduit/error.hpp"
#include "remote/little_endian.hpp"

namespace conduit::detail::remote::ntlm {
namespace {

constexpr std::uint8_t signature[8] = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0};

// The flags this client asks for; the server's answer picks among them.
constexpr std::uint32_t requested_flags = negotiate_unicode | request_target | negotiate_sign |
                                          negotiate_ntlm | negotiate_always_sign |
                                          negotiate_extended_security | negotiate_target_info |
                                          negotiate_128 | negotiate_key_exch | negotiate_56;

constexpr std::uint16_t av_eol = 0;
constexpr std::uint16_t av_timestamp = 7;

using namespace le;  // the fields of the messages

key16 hmac_md5(std::span<const std::uint8_t> key,
               std::initializer_list<std::span<const std::uint8_t>> parts) {
  hmac_md5_ctx ctx;
  hmac_md5_set_key(&ctx, key.size(), key.data());
  for (auto part : parts) hmac_md5_update(&ctx, part.size(), part.data());
  key16 out;
  hmac_md5_digest(&ctx, out.size(), out.data());
  return out;
}

std::string ascii_upper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

}  // namespace

bytes utf16le(std::string_view s) {
  bytes out;
  out.reserve(s.size() * 2);
  auto push = [&out](std::uint32_t unit) {
    out.push_back(static_cast<std::uint8_t>(unit));
    out.push_back(static_cast<std::uint8_t>(unit >> 8));
  };
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    std::uint32_t cp = 0xFFFD;
    std::size_t len = 1;
    if (c < 0x80) {
      cp = c;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      len = 0;  // a stray continuation byte or an invalid lead
    }
    bool ok = len > 0 && i + len <= s.size();
    for (std::size_t k = 1; ok && k < len; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) ok = false;
      cp = cp << 6 | (cc & 0x3F);
    }
    if (!ok || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      cp = 0xFFFD;
      len = 1;
    }
    if (cp >= 0x10000) {
      cp -= 0x10000;
      push(0xD800 | (cp >> 10));
      push(0xDC00 | (cp & 0x3FF));
    } else {
      push(cp);
    }
    i += len;
  }
  return out;
}

key16 ntowf_v2(std::string_view password, std::string_view user, std::string_view domain) {
  bytes pw = utf16le(password);
  key16 nt_hash;
  md4_ctx md4;
  md4_init(&md4);
  md4_update(&md4, pw.size(), pw.data());
  md4_digest(&md4, nt_hash.size(), nt_hash.data());
  bytes who = utf16le(ascii_upper(user));
  bytes dom = utf16le(domain);
  return hmac_md5(nt_hash, {who, dom});
}

entropy fresh_entropy() {
  entropy e;
  std::uint8_t random[24];
  std::size_t got = 0;
  while (got < sizeof(random)) {
    ssize_t n = ::getrandom(random + got, sizeof(random) - got, 0);
    if (n > 0) {
      got += static_cast<std::size_t>(n);
    } else if (errno != EINTR) {
      // No getrandom (a kernel before 3.17): the C++ library's source.
      std::random_device device;
      for (; got < sizeof(random); ++got) random[got] = static_cast<std::uint8_t>(device());
    }
  }
  std::memcpy(e.client_challenge.data(), random, 8);
  std::memcpy(e.random_session_key.data(), random + 8, 16);
  auto since_1970 = std::chrono::system_clock::now().time_since_epoch();
  auto ticks = std::chrono::duration_cast<std::chrono::nanoseconds>(since_1970).count() / 100;
  e.time = static_cast<std::uint64_t>(ticks) + 116444736000000000ULL;  // FILETIME from 1601
  return e;
}

v2_responses compute_v2(const key16& response_key,
                        const std::array<std::uint8_t, 8>& server_challenge,
                        const std::array<std::uint8_t, 8>& client_challenge, std::uint64_t time,
                        std::span<const std::uint8_t> target_info) {
  // temp = Responserversion, HiResponserversion, Z(6), Time, ClientChallenge,
  // Z(4), ServerName (the target info), Z(4)
  bytes temp(28, 0);
  temp[0] = 1;
  temp[1] = 1;
  for (int i = 0; i < 8; ++i) temp[8 + i] = static_cast<std::uint8_t>(time >> (8 * i));
  std::memcpy(temp.data() + 16, client_challenge.data(), 8);
  temp.insert(temp.end(), target_info.begin(), target_info.end());
  temp.insert(temp.end(), 4, 0);
  key16 proof = hmac_md5(response_key, {server_challenge, temp});
  v2_responses r;
  r.nt_response.resize(proof.size() + temp.size());
  std::memcpy(r.nt_response.data(), proof.data(), proof.size());
  std::memcpy(r.nt_response.data() + proof.size(), temp.data(), temp.size());
  key16 lm = hmac_md5(response_key, {server_challenge, client_challenge});
  r.lm_response.resize(lm.size() + client_challenge.size());
  std::memcpy(r.lm_response.data(), lm.data(), lm.size());
  std::memcpy(r.lm_response.data() + lm.size(), client_challenge.data(), client_challenge.size());
  r.session_base_key = hmac_md5(response_key, {proof});
  return r;
}

key16 rc4(const key16& key, const key16& data) {
  arcfour_ctx ctx;
  arcfour_set_key(&ctx, key.size(), key.data());
  key16 out;
  arcfour_crypt(&ctx, data.size(), out.data(), data.data());
  return out;
}

bytes negotiate_message() {
  bytes m(32, 0);
  std::memcpy(m.data(), signature, 8);
  put32(m, 8, 1);
  put32(m, 12, requested_flags);
  return m;  // no domain or workstation supplied: their fields stay empty
}

std::error_code parse_challenge(std::span<const std::uint8_t> token, challenge& out) {
  out = {};
  if (token.size() < 48 || token.size() > max_challenge_size) return errc::unexp_net_err;
  if (std::memcmp(token.data(), signature, 8) != 0 || get32(token, 8) != 2)
    return errc::unexp_net_err;
  out.flags = get32(token, 20);
  std::memcpy(out.server_challenge.data(), token.data() + 24, 8);
  std::uint16_t info_len = get16(token, 40);
  std::uint32_t info_offset = get32(token, 44);
  if (info_offset > token.size() || info_len > token.size() - info_offset)
    return errc::unexp_net_err;
  if (!(out.flags & negotiate_unicode) || !(out.flags & negotiate_target_info) || info_len == 0)
    return errc::not_supported;
  auto info = token.subspan(info_offset, info_len);
  // Walk the AV pairs: each header and value inside the field, MsvAvEOL last.
  std::size_t at = 0;
  bool ended = false;
  while (at + 4 <= info.size()) {
    std::uint16_t id = get16(info, at), len = get16(info, at + 2);
    if (len > info.size() - at - 4) return errc::unexp_net_err;
    if (id == av_eol) {
      ended = true;
      break;
    }
    if (id == av_timestamp) {
      if (len != 8) return errc::unexp_net_err;
      out.has_timestamp = true;
      out.timestamp = get64(info, at + 4);
    }
    at += 4 + len;
  }
  if (!ended) return errc::unexp_net_err;
  out.target_info.assign(info.begin(), info.end());
  return {};
}

authenticate_result authenticate_message(const challenge& c, const credentials& who,
                                         const entropy& e) {
  key16 key = ntowf_v2(who.password, who.user, who.domain);
  std::uint64_t time = c.has_timestamp ? c.timestamp : e.time;
  v2_responses r = compute_v2(key, c.server_challenge, e.client_challenge, time, c.target_info);
  if (c.has_timestamp) r.lm_response.assign(24, 0);

  std::uint32_t flags = requested_flags & c.flags;
  flags |= negotiate_unicode | negotiate_ntlm;
  authenticate_result out;
  bytes encrypted_key;
  if ((flags & negotiate_key_exch) && (flags & negotiate_sign)) {
    key16 encrypted = rc4(r.session_base_key, e.random_session_key);
    encrypted_key.assign(encrypted.begin(), encrypted.end());
    out.session_key = e.random_session_key;
  } else {
    flags &= ~negotiate_key_exch;
    out.session_key = r.session_base_key;
  }

  bytes domain = utf16le(who.domain), user = utf16le(who.user),
        workstation = utf16le(who.workstation);
  bytes& m = out.message;
  m.assign(64, 0);
  std::memcpy(m.data(), signature, 8);
  put32(m, 8, 3);
  // Fields in header order; payload in the same order after the header.
  const bytes* fields[] = {&r.lm_response, &r.nt_response, &domain,
                           &user,          &workstation,   &encrypted_key};
  for (std::size_t i = 0; i < 6; ++i) {
    const bytes& f = *fields[i];
    std::size_t header = 12 + 8 * i;
    put16(m, header, static_cast<std::uint16_t>(f.size()));
    put16(m, header + 2, static_cast<std::uint16_t>(f.size()));
    put32(m, header + 4, static_cast<std::uint32_t>(m.size()));
    m.insert(m.end(), f.begin(), f.end());
  }
  put32(m, 60, flags);
  return out;
}

}  // namespace conduit::detail::remote::ntlm
