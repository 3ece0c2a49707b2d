// An anonymous pipe end (CreatePipe) or one of the process's standard
// handles, as a file the Win32 calls work on: a Linux descriptor this object
// owns. Never FILE_FLAG_OVERLAPPED, as on Windows, so every call on it runs
// to its end in the calling thread (an OVERLAPPED passed in is only told
// how it went).
#pragma once

#include <atomic>
#include <cstddef>
#include <span>
#include <system_error>

#include "win32/file_object.hpp"

namespace conduit::win32 {

class anonymous_pipe_object final : public file_object {
 public:
  enum class end_kind : char {
    read = 'r',      // a pipe's read end (Windows: the server end)
    write = 'w',     // a pipe's write end (the client end)
    standard = 's',  // stdin/stdout/stderr: whatever descriptor 0, 1 or 2 is
  };

  /// Takes ownership of `fd`. `asked_size` is CreatePipe's nSize, what
  /// GetNamedPipeInfo reports back.
  anonymous_pipe_object(int fd, end_kind kind, DWORD asked_size = 0);
  ~anonymous_pipe_object() override;

  [[nodiscard]] int fd() const { return fd_.load(std::memory_order_acquire); }
  [[nodiscard]] end_kind kind() const { return kind_; }
  /// Whether the descriptor is a pipe (a standard handle may be a file or a tty).
  [[nodiscard]] bool is_pipe() const { return is_pipe_; }

  /// PeekNamedPipe and GetNamedPipeInfo on an anonymous end.
  BOOL peek(LPVOID buffer, DWORD size, LPDWORD read, LPDWORD available, LPDWORD left);
  BOOL info(LPDWORD flags, LPDWORD out_size, LPDWORD in_size, LPDWORD max_instances) const;

  void flush(std::error_code& ec) override;

 protected:
  void last_handle_closed() override;
  std::size_t read_blocking(std::span<std::byte> buffer, std::error_code& ec) override;
  std::size_t write_blocking(std::span<const std::byte> data, std::error_code& ec) override;
  std::shared_ptr<io_operation> make_read(std::span<std::byte> buffer,
                                          std::error_code& ec) override;
  std::shared_ptr<io_operation> make_write(std::span<const std::byte> data,
                                           std::error_code& ec) override;

 private:
  std::atomic<int> fd_;
  end_kind kind_;
  bool is_pipe_;
  DWORD asked_size_;
};

/// The access a CreatePipe end is granted.
DWORD anonymous_access(anonymous_pipe_object::end_kind kind);

}  // namespace conduit::win32
