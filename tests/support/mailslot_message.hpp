// The messages of the many-writer mailslot test: each says who wrote it and
// in which order, and its size and content follow from that alone, so the
// reader can check every byte, every writer's order and that nothing came
// twice.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

namespace conduit::test {

/// Message `seq` of writer `writer`. Most are 8 bytes to 2 KiB; every 500th
/// is 70-200 KiB (so it travels in a memfd); every 1000th, shifted by 499,
/// is empty (zero-length messages are messages too). The others start with
/// the writer and sequence numbers.
inline std::vector<std::byte> mailslot_message(std::uint32_t seed, std::uint32_t writer,
                                               std::uint32_t seq) {
  if (seq % 1000 == 499) return {};
  std::uint32_t mix = (seed * 2654435761u) ^ (writer * 40503u) ^ (seq * 2246822519u);
  mix ^= mix >> 15;
  std::size_t size = seq % 500 == 250 ? 70 * 1024 + mix % (130 * 1024) : 8 + mix % 2041;
  std::vector<std::byte> message(size);
  std::uint32_t head[2] = {writer, seq};
  std::memcpy(message.data(), head, sizeof(head));
  for (std::size_t i = sizeof(head); i < size; ++i)
    message[i] = static_cast<std::byte>((i * 131 + writer * 31 + seq * 7 + seed) & 0xFF);
  return message;
}

/// True when `got` is exactly what mailslot_message(seed, writer, seq)
/// makes for the writer and sequence number it carries; gives those.
inline bool check_mailslot_message(std::uint32_t seed, std::span<const std::byte> got,
                                   std::uint32_t& writer, std::uint32_t& seq) {
  if (got.size() < 8) return false;
  std::memcpy(&writer, got.data(), 4);
  std::memcpy(&seq, got.data() + 4, 4);
  auto expected = mailslot_message(seed, writer, seq);
  return expected.size() == got.size() && std::memcmp(expected.data(), got.data(), got.size()) == 0;
}

}  // namespace conduit::test
