// Mailslot handles: the slot CreateMailslot made (reads only) and a writer
// CreateFile opened on `\\.\mailslot\name` (writes only), as files the Win32
// calls work on.
//
// A slot handle is asynchronous, as Windows makes it (CreateMailslot opens
// it without FILE_SYNCHRONOUS_IO_*). A read given an OVERLAPPED goes through
// the I/O engine and returns ERROR_IO_PENDING while it waits, on a
// descriptor of its own that polls readable when the slot's socket does or
// its timer runs out. A read given none waits in the calling thread, in the
// C++ reader's own read (one blocking recvmsg, docs/mailslots.md), which
// CancelSynchronousIo and CancelIoEx end through the interrupt signal. Each
// read waits up to the slot's read timeout, overlapped or not.
#pragma once

#include <memory>
#include <mutex>
#include <span>
#include <system_error>
#include <vector>

#include "win32/file_object.hpp"

namespace conduit::detail {
class mailslot_reader;
class mailslot_writer;
}  // namespace conduit::detail

namespace conduit::win32 {

class mailslot_object final : public file_object {
 public:
  /// The slot's own handle.
  mailslot_object(std::shared_ptr<detail::mailslot_reader> reader, DWORD access);
  /// A writer's handle.
  mailslot_object(std::shared_ptr<detail::mailslot_writer> writer, DWORD access);
  ~mailslot_object() override;

  /// The reader, or null for a writer's handle.
  [[nodiscard]] const std::shared_ptr<detail::mailslot_reader>& reader() const { return reader_; }
  [[nodiscard]] const std::shared_ptr<detail::mailslot_writer>& writer() const { return writer_; }

  /// GetMailslotInfo's numbers. It may take waiting messages off the
  /// socket into the reader's queue; pending reads are told to look again.
  BOOL info(DWORD* max_size, DWORD* next_size, DWORD* count, DWORD* timeout);

  void flush(std::error_code& ec) override;

 protected:
  void last_handle_closed() override;
  std::size_t read_blocking(std::span<std::byte> buffer, std::error_code& ec) override;
  bool read_in_caller(std::span<std::byte> buffer, std::size_t& bytes,
                      std::error_code& ec) override;
  std::size_t write_blocking(std::span<const std::byte> data, std::error_code& ec) override;
  std::shared_ptr<io_operation> make_read(std::span<std::byte> buffer,
                                          std::error_code& ec) override;
  std::shared_ptr<io_operation> make_write(std::span<const std::byte> data,
                                           std::error_code& ec) override;

 private:
  std::shared_ptr<detail::mailslot_reader> reader_;
  std::shared_ptr<detail::mailslot_writer> writer_;
  std::mutex reads_mutex_;
  std::vector<std::weak_ptr<io_operation>> reads_;  // pending reads, to kick
};

}  // namespace conduit::win32
