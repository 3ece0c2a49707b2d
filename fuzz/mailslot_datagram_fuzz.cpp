// libFuzzer target: the mailslot datagram decoder (src/netbios/), which
// conduitd runs on every UDP datagram that reaches its NetBIOS port.
//
// Whatever decodes must survive a round trip: encoding the decoded fields
// and decoding that again gives the same fields (the encoder writes one
// canonical spelling, so bytes may differ, meaning may not), and the data
// must lie inside the input.
//
// Build and run: scripts/fuzz.sh [SECONDS].
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

#include "netbios/mailslot_datagram.hpp"

namespace nb = conduit::detail::netbios;

namespace {

void require(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "mailslot_datagram_fuzz: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::byte> in(reinterpret_cast<const std::byte*>(data), size);
  nb::mailslot_datagram d;
  if (nb::decode_mailslot_datagram(in, d) != nb::decode_result::ok) return 0;
  require(d.data.data() >= in.data() && d.data.data() + d.data.size() <= in.data() + in.size(),
          "data outside the input");
  require(!d.mailslot.empty() && d.mailslot.find('\0') == std::string::npos, "bad slot name");
  require(d.source.name.size() <= nb::name_chars && d.destination.name.size() <= nb::name_chars,
          "name too long");
  require(nb::valid_scope(d.source.scope) || d.source.scope.empty(), "bad source scope");
  // Names the decoder accepts may hold bytes the encoder pads; only what
  // the sender could write is re-encoded.
  if (!nb::fits_remote_limits(d.mailslot, d.data.size())) return 0;
  if (!nb::valid_scope(d.source.scope) || !nb::valid_scope(d.destination.scope)) return 0;
  auto again = nb::encode_mailslot_datagram(d);
  nb::mailslot_datagram back;
  require(nb::decode_mailslot_datagram(again, back) == nb::decode_result::ok,
          "re-encoded datagram does not decode");
  require(back.type == d.type && back.id == d.id && back.source_ip == d.source_ip &&
              back.source_port == d.source_port && back.mailslot == d.mailslot &&
              back.priority == d.priority && back.mailslot_class == d.mailslot_class,
          "fields changed in the round trip");
  require(back.data.size() == d.data.size() &&
              std::equal(back.data.begin(), back.data.end(), d.data.begin()),
          "data changed in the round trip");
  return 0;
}
