// libFuzzer target: the named-pipe-auth request decoder
// (src/remote/named_pipe_auth.cpp), which the SMB bridge runs on the first
// bytes smbd sends.
//
// Whatever decodes must be a fixed point of encode and decode: the encoder
// writes every field the decoder keeps, so decoding its output gives the
// same request back; anything else means the decoder kept something it did
// not check, or lost a field.
//
// Build and run: scripts/fuzz.sh [SECONDS]; seeds: the request recorded
// from smbd in tests/unit/data/.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

#include "remote/named_pipe_auth.hpp"

namespace remote = conduit::detail::remote;

namespace {

void require(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "named_pipe_auth_fuzz: %s\n", what);
  std::abort();
}

bool same(const remote::npa_request& a, const remote::npa_request& b) {
  return a.level == b.level && a.transport == b.transport &&
         a.remote_client_name == b.remote_client_name &&
         a.remote_client_addr == b.remote_client_addr &&
         a.remote_client_port == b.remote_client_port &&
         a.local_server_name == b.local_server_name && a.local_server_addr == b.local_server_addr &&
         a.local_server_port == b.local_server_port && a.has_session == b.has_session &&
         a.sids == b.sids && a.has_unix_token == b.has_unix_token && a.uid == b.uid &&
         a.gid == b.gid && a.groups == b.groups && a.account_name == b.account_name &&
         a.domain_name == b.domain_name;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::byte> in(reinterpret_cast<const std::byte*>(data), size);
  std::size_t whole = remote::npa_request_size(in);
  require(whole == 0 || (whole >= 16 && whole <= remote::npa_max_request), "size out of range");
  remote::npa_request request;
  if (remote::decode_npa_request(in, request)) return 0;
  require(whole == size, "decoded a request of another size");
  require(request.sids.size() <= remote::npa_max_sids, "too many SIDs");
  require(request.groups.size() <= remote::npa_max_groups, "too many groups");
  // Only what the encoder can write back is compared: a session without a
  // token of SIDs read fully is still a session.
  auto again = remote::encode_npa_request(request);
  remote::npa_request back;
  require(!remote::decode_npa_request(again, back), "the encoder's output does not decode");
  require(same(request, back), "decode, encode, decode is not a fixed point");
  auto reply = remote::encode_npa_reply(request.level, remote::npa_file_type::message);
  require(reply.size() == 36, "reply size");
  return 0;
}
