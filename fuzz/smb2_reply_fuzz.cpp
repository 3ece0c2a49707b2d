// libFuzzer target: the SMB2 answers and NTLMSSP challenge conduit's SMB2
// client reads from a server (src/remote/smb2_wire.cpp, ntlmssp.cpp), which
// a hostile host controls byte for byte.
//
// Every parser runs on every input; whatever they accept must point inside
// the input (AddressSanitizer catches a read outside it).
//
// Build and run: scripts/fuzz.sh [SECONDS]; seeds: a read answer and a
// challenge written by fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

#include "remote/ntlmssp.hpp"
#include "remote/smb2_wire.hpp"

namespace smb2 = conduit::detail::remote::smb2;
namespace ntlm = conduit::detail::remote::ntlm;

namespace {

void require(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "smb2_reply_fuzz: %s\n", what);
  std::abort();
}

void inside(std::span<const std::uint8_t> part, std::span<const std::uint8_t> whole) {
  if (part.empty()) return;
  require(part.data() >= whole.data() + smb2::header_size &&
              part.data() + part.size() <= whole.data() + whole.size(),
          "a span outside the message");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> m(data, size);
  smb2::header h;
  (void)smb2::parse_header(m, h);
  smb2::negotiate_response n;
  (void)smb2::parse_negotiate(m, n);
  smb2::session_setup_response s;
  if (!smb2::parse_session_setup(m, s)) inside(s.token, m);
  (void)smb2::parse_tree_connect(m);
  smb2::file_id id;
  (void)smb2::parse_create(m, id);
  std::span<const std::uint8_t> out;
  if (!smb2::parse_read(m, out)) inside(out, m);
  std::uint32_t count = 0;
  (void)smb2::parse_write(m, count);
  if (!smb2::parse_transceive(m, out)) inside(out, m);
  ntlm::challenge c;
  if (!ntlm::parse_challenge(m, c)) {
    require(c.target_info.size() <= size, "target info longer than the challenge");
    // What the client then computes from it must not fail either.
    (void)ntlm::authenticate_message(c, {"user", "password", "domain", "host"}, {});
  }
  return 0;
}
