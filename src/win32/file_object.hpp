// What every file-like handle shares (pipe ends now; mailslots and anonymous
// pipes can join): FILE_FLAG_OVERLAPPED, the access granted, the completion
// port association, the handle's own signal, and how ReadFile, WriteFile,
// ReadFileEx and WriteFileEx report what they did.
//
// The handle's signal is what WaitForSingleObject on the file and
// GetOverlappedResult with no hEvent wait on: set at creation, reset when an
// operation starts, set when an operation that has no event completes.
//
// A file type supplies blocking I/O for handles without FILE_FLAG_OVERLAPPED
// and io_operations for the engine otherwise; file_object does the rest, the
// same way for every type.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <system_error>
#include <vector>

#include "conduit/win32/windows.h"
#include "win32/kernel_object.hpp"

namespace conduit::win32 {

class event_object;
class file_signal;
class io_operation;
class completion_port;
class thread_object;

/// How the call that started an operation reports it.
enum class io_call {
  transfer,  // ReadFile, WriteFile, TransactNamedPipe: TRUE when done at once, count in *result
  routine,   // ReadFileEx, WriteFileEx: TRUE once started; the routine runs as an APC
  connect,   // ConnectNamedPipe: an overlapped connect never returns TRUE
};

/// The program's side of one call.
struct io_request {
  OVERLAPPED* overlapped = nullptr;
  DWORD* result = nullptr;  // lpNumberOf..., may be null
  LPOVERLAPPED_COMPLETION_ROUTINE routine = nullptr;
  io_call call = io_call::transfer;
  /// Filled in by file_object::prepare: the event hEvent names, and
  /// whether its low bit asks for no completion packet.
  std::shared_ptr<event_object> event = nullptr;
  bool no_packet = false;
};

class file_object : public kernel_object {
 public:
  file_object(bool overlapped, DWORD access);
  ~file_object() override;

  int wait_fd() const override;
  bool try_acquire() override;
  file_object* as_file() override { return this; }

  [[nodiscard]] bool overlapped() const { return overlapped_; }
  /// The access rights the handle was granted (FILE_READ_DATA, ...).
  [[nodiscard]] DWORD access() const { return access_; }

  /// Associates the file with a completion port (CreateIoCompletionPort);
  /// false if it is associated already.
  bool associate(std::shared_ptr<completion_port> port, ULONG_PTR key);
  [[nodiscard]] bool has_port();
  /// The port it is associated with and the key (null: none).
  std::shared_ptr<completion_port> port(ULONG_PTR& key);

  /// ReadFile, ReadFileEx, WriteFile, WriteFileEx.
  BOOL read(std::span<std::byte> buffer, const io_request& request);
  BOOL write(std::span<const std::byte> data, const io_request& request);
  /// FlushFileBuffers: waits until the other end has read everything.
  virtual void flush(std::error_code& ec) = 0;

  /// CancelIo (this thread's operations: `this_thread_only`) and CancelIoEx
  /// (one OVERLAPPED or, with null, all): how many were found.
  std::size_t cancel(bool this_thread_only, const OVERLAPPED* which);

 protected:
  /// A read or write for a handle without FILE_FLAG_OVERLAPPED: may block.
  virtual std::size_t read_blocking(std::span<std::byte> buffer, std::error_code& ec) = 0;
  virtual std::size_t write_blocking(std::span<const std::byte> data, std::error_code& ec) = 0;
  /// An overlapped read or write for the engine, or null with the error
  /// the call fails with at once.
  virtual std::shared_ptr<io_operation> make_read(std::span<std::byte> buffer,
                                                  std::error_code& ec) = 0;
  virtual std::shared_ptr<io_operation> make_write(std::span<const std::byte> data,
                                                   std::error_code& ec) = 0;
  /// The same, told the call's OVERLAPPED (null if none): a file on disk
  /// reads and writes at its Offset. By default the OVERLAPPED is not used.
  virtual std::size_t read_blocking_at(std::span<std::byte> buffer, const OVERLAPPED*,
                                       std::error_code& ec) {
    return read_blocking(buffer, ec);
  }
  virtual std::size_t write_blocking_at(std::span<const std::byte> data, const OVERLAPPED*,
                                        std::error_code& ec) {
    return write_blocking(data, ec);
  }
  virtual std::shared_ptr<io_operation> make_read_at(std::span<std::byte> buffer, const OVERLAPPED*,
                                                     std::error_code& ec) {
    return make_read(buffer, ec);
  }
  virtual std::shared_ptr<io_operation> make_write_at(std::span<const std::byte> data,
                                                      const OVERLAPPED*, std::error_code& ec) {
    return make_write(data, ec);
  }
  /// A read that a program passing no OVERLAPPED on an asynchronous handle
  /// (a slot's, which is always one) waits for in its own thread, at the
  /// cost of the C++ read: no engine, no descriptors of its own. It runs
  /// as a synchronous call of its thread, which CancelIoEx (and
  /// CancelSynchronousIo) ends with ERROR_OPERATION_ABORTED. False, with
  /// nothing done, for types that have none.
  virtual bool read_in_caller(std::span<std::byte> buffer, std::size_t& bytes,
                              std::error_code& ec) {
    (void)buffer, (void)bytes, (void)ec;
    return false;
  }

  /// What every call that takes an OVERLAPPED does first: finds the event
  /// hEvent names (false, ERROR_INVALID_HANDLE set, if it names none),
  /// marks the OVERLAPPED pending and resets the event.
  static bool prepare(io_request& request);
  /// Runs an overlapped operation and reports it as the request's call does.
  BOOL start(const std::shared_ptr<io_operation>& op, const io_request& request);
  /// Reports an operation that ran to its end in the calling thread.
  BOOL complete(DWORD error, std::size_t bytes, const io_request& request);
  /// Reports a call that failed before anything started: nothing is
  /// delivered (the OVERLAPPED stays STATUS_PENDING, no event, no packet).
  static BOOL fail(DWORD error, const io_request& request);
  /// Ends every pending operation of this file with `error` (its last
  /// handle is closing).
  void abandon_io(DWORD error);
  /// A synchronous handle's call that runs in the calling thread (ReadFile,
  /// ConnectNamedPipe, TransactNamedPipe without FILE_FLAG_OVERLAPPED):
  /// the handle's signal is reset while it runs, so that another thread
  /// waiting on the handle sees the call under way, as on Windows...
  void begin_in_caller();
  /// ...and set again when it ends, if it succeeded: after a failure a wait
  /// on the handle times out. Reports the call as complete() does.
  BOOL completed_in_caller(DWORD error, std::size_t bytes, const io_request& request);

 private:
  static BOOL finished(DWORD error, std::size_t bytes, const io_request& request);

  bool overlapped_;
  DWORD access_;
  std::shared_ptr<file_signal> signal_;
  // The port is set once and never changes: once port_set_ says so,
  // port_ and key_ are read without the lock.
  std::mutex port_mutex_;
  std::shared_ptr<completion_port> port_;
  ULONG_PTR key_ = 0;
  std::atomic<bool> port_set_{false};
  // The threads now in read_in_caller, for CancelIoEx: each one's object
  // and its call's serial (thread_object::begin_synchronous_io).
  struct caller_read {
    std::shared_ptr<thread_object> thread;
    std::uint32_t call;
  };
  std::mutex caller_reads_mutex_;
  std::vector<caller_read> caller_reads_;
};

}  // namespace conduit::win32
