// The instance page: one shared page per server instance that its clients
// map read-only, so a client learns without a system call that the server
// has disconnected it.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <system_error>

#include "core/unique_fd.hpp"

namespace conduit::detail {

inline constexpr std::size_t instance_page_size = 4096;

/// What the page holds. `serial` is the serial of the connection the instance
/// serves (or last served); the server bumps it when it disconnects, and a
/// client whose connection carries an older serial has been disconnected.
struct instance_page_layout {
  std::atomic<std::uint32_t> serial;
};
static_assert(std::atomic<std::uint32_t>::is_always_lock_free);

/// Seals a page must carry before the broker passes it on: it cannot grow,
/// shrink (which would fault its readers) or be mapped writable again.
inline constexpr int instance_page_seals =
    0x0002 /* F_SEAL_SHRINK */ | 0x0004 /* F_SEAL_GROW */ | 0x0010 /* F_SEAL_FUTURE_WRITE */;

/// A mapping of an instance page; unmapped on destruction.
class instance_page {
 public:
  instance_page() = default;
  instance_page(instance_page&& other) noexcept;
  instance_page& operator=(instance_page&& other) noexcept;
  instance_page(const instance_page&) = delete;
  instance_page& operator=(const instance_page&) = delete;
  ~instance_page();

  /// A new sealed page, mapped writable here; `fd` is what the broker gets.
  static instance_page create(std::error_code& ec);
  /// Maps a page a broker handed over, read-only.
  static instance_page map_readonly(int fd, std::error_code& ec);

  [[nodiscard]] int fd() const noexcept { return fd_.get(); }
  /// Closes the descriptor and keeps the mapping: once the broker holds the
  /// page, the server needs only to write it.
  void close_fd() noexcept { fd_.reset(); }
  [[nodiscard]] instance_page_layout* get() const noexcept { return layout_; }
  [[nodiscard]] explicit operator bool() const noexcept { return layout_ != nullptr; }

 private:
  unique_fd fd_;
  instance_page_layout* layout_ = nullptr;
};

/// True when `fd` is a sealed instance page of the right size (the broker's check).
[[nodiscard]] bool instance_page_is_safe(int fd);

}  // namespace conduit::detail
