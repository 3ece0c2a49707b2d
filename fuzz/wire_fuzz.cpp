// libFuzzer target: the broker protocol decoders (src/core/wire.cpp).
//
// Every input goes to each decoder the broker and the library run on bytes
// that a peer controls: decode_request (the broker, on every packet),
// decode_reply (the library, on the broker's answers) and the connect record
// (a server, on the first bytes of a connection). Whatever decodes must
// encode back to exactly the same bytes: the format has one spelling per
// message, so a mismatch means the decoder accepted something the encoder
// would never write (or lost a field), and the target aborts.
//
// Build and run: scripts/fuzz.sh [SECONDS].
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <variant>
#include <vector>

#include "core/wire.hpp"

namespace wire = conduit::detail::wire;

namespace {

void require(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "wire_fuzz: %s\n", what);
  std::abort();
}

bool same_bytes(std::span<const std::byte> a, std::span<const std::byte> b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

void check_request(std::span<const std::byte> in) {
  wire::header h;
  wire::request request;
  auto ec = wire::decode_request(in, h, request);
  if (ec) {
    // The documented errors only: the broker tells them apart.
    require(ec == std::errc::bad_message || ec == std::errc::protocol_not_supported,
            "decode_request: undocumented error");
    return;
  }
  require(h.magic == wire::magic && h.version == wire::protocol_version, "header accepted badly");
  require(h.length == in.size() && in.size() <= wire::max_message_size, "length accepted badly");
  auto again = wire::encode(request, h.request_id);
  require(same_bytes(again, in), "request does not re-encode to the same bytes");
  require(wire::fds_expected(request) <= 2, "fds_expected out of range");
  // A request never decodes as a reply.
  wire::header rh;
  wire::reply reply;
  require(static_cast<bool>(wire::decode_reply(in, rh, reply)), "request decoded as a reply");
}

void check_reply(std::span<const std::byte> in) {
  wire::header h;
  wire::reply reply;
  auto ec = wire::decode_reply(in, h, reply);
  if (ec) {
    require(ec == std::errc::bad_message || ec == std::errc::protocol_not_supported,
            "decode_reply: undocumented error");
    return;
  }
  require(h.type == static_cast<std::uint16_t>(wire::message_type::reply), "reply type");
  for (const auto& name : reply.names) require(name.size() <= wire::max_string_bytes, "long name");
  auto again = wire::encode(reply, h.request_id);
  require(same_bytes(again, in), "reply does not re-encode to the same bytes");
}

void check_connect_record(std::span<const std::byte> in) {
  // The server peeks 8 bytes, learns the size, then reads exactly that many.
  std::size_t size = wire::connect_record_size(in.first(std::min<std::size_t>(in.size(), 8)));
  if (size == 0) {
    wire::connect_record record;
    require(static_cast<bool>(wire::decode_connect_record(in, record)),
            "record decoded though its prefix was refused");
    return;
  }
  require(size >= wire::connect_record::fixed_size + wire::connect_record::min_tail &&
              size <= wire::connect_record::max_size,
          "connect_record_size out of range");
  if (in.size() < size) return;
  wire::connect_record record;
  if (wire::decode_connect_record(in.first(size), record)) return;
  require(record.groups.size() <= wire::connect_record::max_groups, "too many groups");
  require(record.computer_name.size() <= wire::connect_record::max_computer_name &&
              record.client_address.size() <= wire::connect_record::max_client_address,
          "computer name or address over its limit");
  auto again = wire::encode(record);
  require(same_bytes(again, in.first(size)), "record does not re-encode to the same bytes");
  // Anything after the record is the start of the data stream, never part of it.
  if (in.size() > size) {
    wire::connect_record longer;
    require(static_cast<bool>(wire::decode_connect_record(in, longer)), "trailing bytes accepted");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::byte> in(reinterpret_cast<const std::byte*>(data), size);
  check_request(in);
  check_reply(in);
  check_connect_record(in);
  return 0;
}
