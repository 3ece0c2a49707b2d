// A file on disk (CreateFile on a path), or any other Linux file a path
// names (/dev/null, a terminal, a FIFO): a descriptor this object owns.
// Reads and writes on a handle without FILE_FLAG_OVERLAPPED use and move
// the file pointer (the descriptor's offset, shared by duplicated
// handles as on Windows); with an OVERLAPPED they use its Offset and
// OffsetHigh. Overlapped operations finish at once in the calling thread
// (the page cache does not block) and are reported as Windows reports one
// that completed synchronously: the event, the completion port, the
// routine.
#pragma once

#include <string>

#include "core/unique_fd.hpp"
#include "win32/file_object.hpp"
#include "win32/share_table.hpp"

namespace conduit::win32 {

class disk_file_object final : public file_object {
 public:
  /// `access` as granted (FILE_READ_DATA, FILE_WRITE_DATA, ...); `path`
  /// is unlinked when the last handle closes if `delete_on_close`.
  disk_file_object(detail::unique_fd fd, DWORD access, bool overlapped, std::string path,
                   bool delete_on_close);
  ~disk_file_object() override;

  [[nodiscard]] int fd() const { return fd_.get(); }
  /// Where this handle's share mode is kept (entered by the opener).
  [[nodiscard]] share_entry& share() { return share_; }

  void flush(std::error_code& ec) override;

 protected:
  void last_handle_closed() override;
  std::size_t read_blocking(std::span<std::byte> buffer, std::error_code& ec) override;
  std::size_t write_blocking(std::span<const std::byte> data, std::error_code& ec) override;
  std::shared_ptr<io_operation> make_read(std::span<std::byte> buffer,
                                          std::error_code& ec) override;
  std::shared_ptr<io_operation> make_write(std::span<const std::byte> data,
                                           std::error_code& ec) override;
  std::size_t read_blocking_at(std::span<std::byte> buffer, const OVERLAPPED* overlapped,
                               std::error_code& ec) override;
  std::size_t write_blocking_at(std::span<const std::byte> data, const OVERLAPPED* overlapped,
                                std::error_code& ec) override;
  std::shared_ptr<io_operation> make_read_at(std::span<std::byte> buffer,
                                             const OVERLAPPED* overlapped,
                                             std::error_code& ec) override;
  std::shared_ptr<io_operation> make_write_at(std::span<const std::byte> data,
                                              const OVERLAPPED* overlapped,
                                              std::error_code& ec) override;

 private:
  detail::unique_fd fd_;
  std::string path_;
  bool delete_on_close_;
  share_entry share_;
};

}  // namespace conduit::win32
