// One overlapped operation as the I/O engine runs it: a step that advances
// without ever blocking, the descriptor whose readiness lets it advance, and
// where its result goes.
//
// A file type (pipe end, mailslot, ...) subclasses io_operation for each
// kind of operation it offers; file_object::start hands it to the engine.
#pragma once

#include <cstddef>
#include <memory>

#include "conduit/win32/windows.h"
#include "win32/io_completion.hpp"

namespace conduit::win32 {

class io_operation {
 public:
  /// Which queue of its descriptor the operation waits in: reads and
  /// connects wait for the descriptor to be readable, writes for writable.
  /// Each queue runs in the order operations were issued.
  enum class direction { in = 0, out = 1 };

  io_operation(int fd, direction dir) : fd_(fd), dir_(dir) {}
  virtual ~io_operation() = default;
  io_operation(const io_operation&) = delete;
  io_operation& operator=(const io_operation&) = delete;

  [[nodiscard]] int fd() const { return fd_; }
  [[nodiscard]] direction dir() const { return dir_; }

  /// Advances as far as it can without blocking. True when the operation
  /// is over, with error() and bytes() set; false when it has to wait for
  /// its descriptor. Called by one thread at a time.
  virtual bool attempt() = 0;

  /// Asked to end now with `error` (ERROR_OPERATION_ABORTED for a cancel;
  /// `forced` when its file is going away). Sets the result it ends with
  /// and returns true, or returns false if it cannot end yet: a message
  /// half written must be finished, or the pipe would lose its framing.
  virtual bool stop(DWORD error, bool forced) {
    (void)forced;
    finish(error, 0);
    return true;
  }

  /// Whether it takes no room in the file and so is done, for the program,
  /// the moment it is issued, even behind operations still waiting: an
  /// empty write. It is still carried out in its turn (an empty message
  /// keeps its place among the messages), reporting to no one.
  [[nodiscard]] virtual bool done_when_issued() const { return false; }

  /// Whether it waited in a queue: the caller was told ERROR_IO_PENDING.
  [[nodiscard]] bool went_pending() const { return pending_; }

  [[nodiscard]] DWORD error() const { return error_; }
  [[nodiscard]] std::size_t bytes() const { return bytes_; }

  /// Who issued it, for CancelIo and CancelIoEx: the file, and the issuing
  /// thread's object (a pointer, so telling costs no system call).
  const void* owner = nullptr;
  const void* thread = nullptr;
  /// Internal operations (a transact's request) are not the program's to
  /// cancel and report to no one.
  bool internal = false;
  /// Where the result goes.
  io_completion completion;
  /// The status block used when the program passed no OVERLAPPED.
  OVERLAPPED own_status{};

 protected:
  void finish(DWORD error, std::size_t bytes) {
    error_ = error;
    bytes_ = bytes;
  }
  /// Called by an attempt that returns false because it waits for
  /// something its descriptor's readiness does not show (a write waiting
  /// for its reader to take what went over the write quota): the engine
  /// tries it again after a short pause instead of waiting for readiness.
  void wait_for_time() { waits_on_time_ = true; }

 private:
  friend class io_engine;
  int fd_;
  direction dir_;
  DWORD error_ = ERROR_SUCCESS;
  std::size_t bytes_ = 0;
  bool pending_ = false;
  bool waits_on_time_ = false;  // see wait_for_time; cleared before each attempt
  // Set by a cancel that came while another thread was attempting it.
  DWORD stop_error_ = 0;
  bool stop_forced_ = false;
};

}  // namespace conduit::win32
