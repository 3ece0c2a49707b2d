#include "win32/handle_message.hpp"

#include <cstring>

namespace conduit::win32 {
namespace {

constexpr std::uint32_t magic = 0x31484443;  // "CDH1"
constexpr std::uint16_t version = 1;

struct header {
  std::uint32_t magic;
  std::uint16_t version;
  std::uint16_t op;
  std::uint32_t error;
  std::uint32_t access;
  std::uint32_t flags;
  std::uint8_t kind;
  std::uint8_t zero[3];
  std::uint32_t state_size;
  std::uint32_t zero2;
  std::uint64_t handle;
};
static_assert(sizeof(header) == handle_message_header);

}  // namespace

std::vector<std::byte> encode_handle_message(const handle_message& m) {
  header h{magic,
           version,
           static_cast<std::uint16_t>(m.operation),
           m.error,
           m.access,
           m.flags,
           static_cast<std::uint8_t>(m.kind),
           {0, 0, 0},
           static_cast<std::uint32_t>(m.state.size()),
           0,
           m.handle};
  std::vector<std::byte> out(sizeof(h) + m.state.size());
  std::memcpy(out.data(), &h, sizeof(h));
  std::memcpy(out.data() + sizeof(h), m.state.data(), m.state.size());
  return out;
}

bool decode_handle_message(std::span<const std::byte> packet, handle_message& m) {
  header h{};
  if (packet.size() < sizeof(h) || packet.size() > handle_message_max) return false;
  std::memcpy(&h, packet.data(), sizeof(h));
  if (h.magic != magic || h.version != version || h.zero[0] != 0 || h.zero[1] != 0 ||
      h.zero[2] != 0 || h.zero2 != 0 || packet.size() != sizeof(h) + h.state_size)
    return false;
  auto op = static_cast<handle_message::op>(h.op);
  if (op != handle_message::op::insert && op != handle_message::op::fetch &&
      op != handle_message::op::reply)
    return false;
  if (op == handle_message::op::insert && (h.flags & ~DWORD{HANDLE_FLAG_INHERIT}) != 0)
    return false;
  if (op == handle_message::op::fetch && (h.flags & ~handle_message::close_source) != 0)
    return false;
  m.operation = op;
  m.error = h.error;
  m.access = h.access;
  m.flags = h.flags;
  m.kind = static_cast<char>(h.kind);
  m.handle = h.handle;
  m.state.assign(reinterpret_cast<const char*>(packet.data()) + sizeof(h), h.state_size);
  return true;
}

}  // namespace conduit::win32
