// What two processes' handle services say to each other (DuplicateHandle
// between processes): one request packet, one reply packet, on a
// SOCK_SEQPACKET connection, descriptors attached with SCM_RIGHTS.
//
//   insert  "put this object in your table": kind, state, access, flags,
//           the object's descriptors; the reply carries the new handle.
//   fetch   "give me the object behind this handle (and close it)": the
//           reply carries kind, state, access and the descriptors.
//
// Every packet is a fixed 40-byte header and at most max_transfer_state
// bytes of state. The header (host byte order, both sides are here):
//
//   u32 magic "CDH1"  u16 version  u16 op  u32 error  u32 access
//   u32 flags  u8 kind  u8 zero[3]  u32 state size  u32 zero  u64 handle
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "win32/object_transfer.hpp"

namespace conduit::win32 {

struct handle_message {
  enum class op : std::uint16_t { insert = 1, fetch = 2, reply = 3 };
  /// fetch's flags: close the handle once it is sent (DUPLICATE_CLOSE_SOURCE).
  static constexpr std::uint32_t close_source = 1;

  op operation = op::reply;
  std::uint32_t error = 0;   // a reply's Win32 error; 0: it worked
  std::uint64_t handle = 0;  // fetch: the handle asked for; insert's reply: the new one
  std::uint32_t access = 0;  // the handle's access mask
  std::uint32_t flags = 0;   // insert: HANDLE_FLAG_INHERIT; fetch: close_source
  char kind = 0;             // a transfer_kind, in insert and fetch's reply
  std::string state;
};

inline constexpr std::size_t handle_message_header = 40;
inline constexpr std::size_t handle_message_max = handle_message_header + max_transfer_state;

std::vector<std::byte> encode_handle_message(const handle_message& m);

/// Strict: false for a wrong magic or version, an unknown op or flag, a
/// nonzero pad, or a size that is not exactly header + state.
[[nodiscard]] bool decode_handle_message(std::span<const std::byte> packet, handle_message& m);

}  // namespace conduit::win32
