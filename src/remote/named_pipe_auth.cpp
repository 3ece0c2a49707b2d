#include "remote/named_pipe_auth.hpp"

#include <cerrno>
#include <cstring>

#include "security/sid.hpp"

namespace conduit::detail::remote {
namespace {

constexpr std::byte magic[4] = {std::byte{'N'}, std::byte{'P'}, std::byte{'A'}, std::byte{'M'}};

std::error_code bad_message() {
  return std::make_error_code(std::errc::bad_message);
}

bool known_level(std::uint32_t level) {
  return level == 5 || level == 7 || level == 8;
}

// NDR32, little-endian, aligned from the start of the request (its length
// prefix included, as Samba's NDR sees the whole struct). Every read
// checks the bytes left; a failed read leaves the reader failed for good.
class ndr_reader {
 public:
  explicit ndr_reader(std::span<const std::byte> bytes) : bytes_(bytes) {}
  [[nodiscard]] bool ok() const { return ok_; }
  void align(std::size_t n) {
    std::size_t to = (pos_ + n - 1) & ~(n - 1);
    if (to > bytes_.size()) ok_ = false;
    pos_ = ok_ ? to : pos_;
  }
  std::uint64_t uint(std::size_t size) {
    if (!ok_ || bytes_.size() - pos_ < size) {
      ok_ = false;
      return 0;
    }
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < size; ++i)
      v |= static_cast<std::uint64_t>(bytes_[pos_ + i]) << (8 * i);
    pos_ += size;
    return v;
  }
  std::uint8_t u8() { return static_cast<std::uint8_t>(uint(1)); }
  std::uint16_t u16() {
    align(2);
    return static_cast<std::uint16_t>(uint(2));
  }
  std::uint32_t u32() {
    align(4);
    return static_cast<std::uint32_t>(uint(4));
  }
  // NTTIME and udlong: 8 bytes, aligned to 4.
  std::uint64_t u64_align4() {
    align(4);
    return uint(8);
  }
  // hyper (and uid_t, gid_t): 8 bytes, aligned to 8.
  std::uint64_t hyper() {
    align(8);
    return uint(8);
  }
  // A unique pointer's referent id: whether the pointee follows later.
  bool ptr() { return u32() != 0; }
  // [string] uint8*: conformant and varying, NUL-terminated, no NUL inside.
  std::string string() {
    std::uint32_t max = u32(), offset = u32(), actual = u32();
    if (!ok_ || offset != 0 || actual == 0 || actual > max || actual > npa_max_string + 1 ||
        bytes_.size() - pos_ < actual) {
      ok_ = false;
      return {};
    }
    const char* p = reinterpret_cast<const char*>(bytes_.data() + pos_);
    if (p[actual - 1] != '\0' || std::memchr(p, '\0', actual - 1) != nullptr) {
      ok_ = false;
      return {};
    }
    pos_ += actual;
    return std::string(p, actual - 1);
  }
  // DATA_BLOB: a 4-byte length and the bytes.
  void skip_blob() {
    std::uint32_t size = u32();
    if (!ok_ || bytes_.size() - pos_ < size) {
      ok_ = false;
      return;
    }
    pos_ += size;
  }
  void skip(std::size_t n) {
    if (!ok_ || bytes_.size() - pos_ < n) {
      ok_ = false;
      return;
    }
    pos_ += n;
  }
  // A dom_sid.
  security::sid sid() {
    align(4);
    security::sid s;
    s.revision = u8();
    std::uint8_t count = u8();
    if (s.revision != 1 || count > security::max_sub_authorities) ok_ = false;
    s.authority = 0;
    for (int i = 0; i < 6; ++i) s.authority = (s.authority << 8) | u8();
    for (std::uint8_t i = 0; ok_ && i < count; ++i)
      s.sub_authorities.push_back(static_cast<std::uint32_t>(uint(4)));
    return s;
  }

 private:
  std::span<const std::byte> bytes_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

class ndr_writer {
 public:
  void align(std::size_t n) {
    while (bytes_.size() % n) bytes_.push_back(std::byte{0});
  }
  void uint(std::uint64_t v, std::size_t size) {
    for (std::size_t i = 0; i < size; ++i) bytes_.push_back(static_cast<std::byte>(v >> (8 * i)));
  }
  void u8(std::uint8_t v) { uint(v, 1); }
  void u16(std::uint16_t v) {
    align(2);
    uint(v, 2);
  }
  void u32(std::uint32_t v) {
    align(4);
    uint(v, 4);
  }
  void u64_align4(std::uint64_t v) {
    align(4);
    uint(v, 8);
  }
  void hyper(std::uint64_t v) {
    align(8);
    uint(v, 8);
  }
  void ptr(bool present) { u32(present ? 0x00020000 + 4 * next_ref_++ : 0); }
  void string(const std::string& s) {
    auto n = static_cast<std::uint32_t>(s.size() + 1);
    u32(n);
    u32(0);
    u32(n);
    for (char c : s) bytes_.push_back(static_cast<std::byte>(c));
    bytes_.push_back(std::byte{0});
  }
  void sid(const security::sid& s) {
    align(4);
    u8(s.revision);
    u8(static_cast<std::uint8_t>(s.sub_authorities.size()));
    for (int i = 5; i >= 0; --i) u8(static_cast<std::uint8_t>(s.authority >> (8 * i)));
    for (auto a : s.sub_authorities) uint(a, 4);
  }
  std::vector<std::byte>& bytes() { return bytes_; }

 private:
  std::vector<std::byte> bytes_;
  std::uint32_t next_ref_ = 0;
};

void put_length(std::vector<std::byte>& b) {
  auto n = static_cast<std::uint32_t>(b.size() - npa_length_prefix);
  for (int i = 0; i < 4; ++i) b[i] = static_cast<std::byte>(n >> (8 * (3 - i)));
}

// security_token: num_sids and the SIDs, the privilege and rights masks.
void read_token(ndr_reader& r, npa_request& out) {
  std::uint32_t max = r.u32();
  std::uint32_t count = r.u32();
  if (!r.ok() || count != max || count > npa_max_sids) return r.skip(SIZE_MAX);
  for (std::uint32_t i = 0; r.ok() && i < count; ++i) out.sids.push_back(r.sid());
  r.hyper();  // privilege_mask (8-aligned, as smbd 4.17 sends it)
  r.u32();    // rights_mask
}

// security_unix_token: uid, gid and groups, each a hyper.
void read_unix_token(ndr_reader& r, npa_request& out) {
  std::uint32_t max = r.u32();
  out.uid = r.hyper();
  out.gid = r.hyper();
  std::uint32_t count = r.u32();
  if (!r.ok() || count != max || count > npa_max_groups) return r.skip(SIZE_MAX);
  for (std::uint32_t i = 0; r.ok() && i < count; ++i) out.groups.push_back(r.hyper());
  out.has_unix_token = r.ok();
}

// auth_user_info, as far as the account and domain names.
void read_user_info(ndr_reader& r, npa_request& out) {
  bool account = r.ptr();
  bool upn = r.ptr();
  r.u8();  // user_principal_constructed
  bool domain = r.ptr();
  bool dns_domain = r.ptr();
  bool later[6];  // full name, logon script, profile path, home folder and drive, logon server
  for (bool& p : later) p = r.ptr();
  for (int i = 0; i < 6; ++i) r.u64_align4();  // the logon, logoff, expiry and password times
  r.u16();                                     // logon_count
  r.u16();                                     // bad_password_count
  r.u32();                                     // acct_flags
  r.u8();                                      // authenticated
  if (account) out.account_name = r.string();
  if (upn) r.string();
  if (domain) out.domain_name = r.string();
  (void)dns_domain;
  (void)later;
}

// auth_session_info_transport and the auth_session_info behind it (Samba
// 4.17's layout). Reads what conduit uses and stops.
void read_session(ndr_reader& r, npa_request& out) {
  bool info = r.ptr();
  r.skip_blob();  // exported_gssapi_credentials
  if (!info) return;
  bool token = r.ptr(), unix_token = r.ptr(), user_info = r.ptr();
  r.ptr();        // unix_info
  r.ptr();        // torture (never sent)
  r.skip_blob();  // session_key
  r.ptr();        // credentials (never sent)
  r.align(4);
  r.skip(16);  // unique_session_token (a GUID)
  r.u16();     // ticket_type
  out.has_session = r.ok();
  if (token) read_token(r, out);
  if (unix_token) read_unix_token(r, out);
  if (user_info) read_user_info(r, out);
}

}  // namespace

std::size_t npa_request_size(std::span<const std::byte> prefix) {
  if (prefix.size() < npa_length_prefix) return 0;
  std::uint32_t n = 0;
  for (int i = 0; i < 4; ++i) n = (n << 8) | static_cast<std::uint8_t>(prefix[i]);
  std::size_t size = static_cast<std::size_t>(n) + npa_length_prefix;
  if (size < 16 || size > npa_max_request) return 0;
  return size;
}

std::error_code decode_npa_request(std::span<const std::byte> bytes, npa_request& out) {
  out = npa_request{};
  std::size_t whole = npa_request_size(bytes);
  if (whole == 0 || whole != bytes.size()) return bad_message();
  if (std::memcmp(bytes.data() + 4, magic, 4) != 0) return bad_message();
  ndr_reader r(bytes);
  r.skip(8);
  out.level = r.u32();
  if (!known_level(out.level)) return std::make_error_code(std::errc::protocol_not_supported);
  if (r.u32() != out.level) return bad_message();  // the union's switch
  if (out.level != 5) out.transport = r.u8();
  bool rcn = r.ptr(), rca = r.ptr();
  out.remote_client_port = r.u16();
  bool lsn = r.ptr(), lsa = r.ptr();
  out.local_server_port = r.u16();
  bool session = r.ptr();
  if (rcn) out.remote_client_name = r.string();
  if (rca) out.remote_client_addr = r.string();
  if (lsn) out.local_server_name = r.string();
  if (lsa) out.local_server_addr = r.string();
  if (session) read_session(r, out);
  if (!r.ok()) return bad_message();
  return {};
}

std::vector<std::byte> encode_npa_reply(std::uint32_t level, npa_file_type type,
                                        std::uint16_t device_state, std::uint64_t allocation_size) {
  if (device_state == 0)
    device_state = type == npa_file_type::message ? 0x00ff | 0x0400 | 0x0100 : 0x00ff;
  ndr_writer w;
  w.uint(0, 4);  // the length, filled in below
  for (std::byte b : magic) w.bytes().push_back(b);
  w.u32(level);
  w.u32(level);  // the union's switch
  w.u16(static_cast<std::uint16_t>(type));
  w.u16(device_state);
  w.hyper(allocation_size);
  w.u32(0);  // NT_STATUS_OK: smbd reads it but ignores anything else
  put_length(w.bytes());
  return std::move(w.bytes());
}

std::vector<std::byte> encode_npa_request(const npa_request& r) {
  ndr_writer w;
  w.uint(0, 4);
  for (std::byte b : magic) w.bytes().push_back(b);
  w.u32(r.level);
  w.u32(r.level);
  if (r.level != 5) w.u8(r.transport);
  w.ptr(true);
  w.ptr(true);
  w.u16(r.remote_client_port);
  w.ptr(true);
  w.ptr(true);
  w.u16(r.local_server_port);
  w.ptr(r.has_session);
  w.string(r.remote_client_name);
  w.string(r.remote_client_addr);
  w.string(r.local_server_name);
  w.string(r.local_server_addr);
  if (r.has_session) {
    w.ptr(true);  // session_info
    w.u32(0);     // exported_gssapi_credentials: empty
    w.ptr(true);  // security_token
    w.ptr(r.has_unix_token);
    w.ptr(true);   // info
    w.ptr(false);  // unix_info
    w.ptr(false);  // torture
    w.u32(0);      // session_key: empty
    w.ptr(false);  // credentials
    w.align(4);
    for (int i = 0; i < 16; ++i) w.u8(0);  // unique_session_token
    w.u16(0);                              // ticket_type
    w.u32(static_cast<std::uint32_t>(r.sids.size()));
    w.u32(static_cast<std::uint32_t>(r.sids.size()));
    for (const auto& s : r.sids) w.sid(s);
    w.hyper(0);
    w.u32(0);
    if (r.has_unix_token) {
      w.u32(static_cast<std::uint32_t>(r.groups.size()));
      w.hyper(r.uid);
      w.hyper(r.gid);
      w.u32(static_cast<std::uint32_t>(r.groups.size()));
      for (auto g : r.groups) w.hyper(g);
    }
    w.ptr(true);  // account_name
    w.ptr(false);
    w.u8(0);
    w.ptr(true);  // domain_name
    for (int i = 0; i < 7; ++i) w.ptr(false);
    for (int i = 0; i < 6; ++i) w.u64_align4(0);
    w.u16(0);
    w.u16(0);
    w.u32(0);
    w.u8(1);
    w.string(r.account_name);
    w.string(r.domain_name);
  }
  put_length(w.bytes());
  return std::move(w.bytes());
}

}  // namespace conduit::detail::remote
