// The messages of the concurrent-writer test: each says who wrote it and in
// which order, and its size and content follow from that alone, so the
// reader can check every byte and every writer's order.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <random>
#include <span>
#include <vector>

namespace conduit::test {

inline constexpr std::size_t stress_max_size = 1 << 20;

/// Message `seq` of writer `writer` (writer < 4). Sizes spread evenly over
/// the orders of magnitude from 0 B to 1 MiB. From 8 bytes up, the message
/// starts with the writer and sequence numbers; shorter ones carry the
/// writer in the top two bits of every byte.
inline std::vector<std::byte> stress_message(std::uint32_t seed, int writer, int seq) {
  std::mt19937 random(seed * 7919u + static_cast<std::uint32_t>(writer) * 104729u +
                      static_cast<std::uint32_t>(seq));
  double exponent = std::uniform_real_distribution<double>(0.0, 20.0)(random);
  std::size_t size =
      std::min<std::size_t>(stress_max_size, static_cast<std::size_t>(std::exp2(exponent)) - 1);
  if (seq % 97 == 0) size = 0;  // zero-length messages are messages too
  std::vector<std::byte> message(size);
  auto w = static_cast<unsigned>(writer), s = static_cast<unsigned>(seq);
  for (std::size_t i = 0; i < size; ++i)
    message[i] = size < 8 ? static_cast<std::byte>((w << 6) | ((s + i) & 0x3F))
                          : static_cast<std::byte>((i * 131 + w * 31 + s) & 0xFF);
  if (size >= 8) {
    std::uint32_t head[2] = {w, s};
    std::memcpy(message.data(), head, 8);
  }
  return message;
}

/// Checks received messages against what the writers sent. Zero-length
/// messages cannot say who wrote them: they are counted, and a writer's
/// gap of zero-length messages is paid from that count.
class stress_checker {
 public:
  stress_checker(std::uint32_t seed, int writers, int per_writer)
      : seed_(seed), per_writer_(per_writer), next_(static_cast<std::size_t>(writers), 0) {}

  /// False if `got` is not the next non-empty message of some writer.
  bool accept(std::span<const std::byte> got) {
    if (got.empty()) {
      ++unclaimed_empty_;
      return true;
    }
    unsigned writer;
    if (got.size() >= 8) {
      std::memcpy(&writer, got.data(), 4);
    } else {
      writer = std::to_integer<unsigned>(got[0]) >> 6;
    }
    if (writer >= next_.size()) return false;
    int& seq = next_[writer];
    for (int gap = 0; seq < per_writer_; ++seq, ++gap) {
      auto expected = stress_message(seed_, static_cast<int>(writer), seq);
      if (!expected.empty()) {
        if (gap > unclaimed_empty_ || expected.size() != got.size() ||
            std::memcmp(expected.data(), got.data(), got.size()) != 0)
          return false;
        unclaimed_empty_ -= gap;
        ++seq;
        return true;
      }
    }
    return false;
  }

  /// True once every message of every writer has been received.
  [[nodiscard]] bool complete() {
    int trailing_empty = 0;
    for (std::size_t writer = 0; writer < next_.size(); ++writer)
      for (int seq = next_[writer]; seq < per_writer_; ++seq) {
        if (!stress_message(seed_, static_cast<int>(writer), seq).empty()) return false;
        ++trailing_empty;
      }
    return trailing_empty == unclaimed_empty_;
  }

 private:
  std::uint32_t seed_;
  int per_writer_;
  std::vector<int> next_;
  int unclaimed_empty_ = 0;
};

}  // namespace conduit::test
