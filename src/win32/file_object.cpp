#include "win32/file_object.hpp"

#include <algorithm>
#include <cstdint>

#include "win32/completion_port.hpp"
#include "win32/event_object.hpp"
#include "win32/file_signal.hpp"
#include "win32/handle_table.hpp"
#include "win32/io_engine.hpp"
#include "win32/io_operation.hpp"
#include "win32/status.hpp"
#include "win32/thread_object.hpp"
#include "win32/wait.hpp"

namespace conduit::win32 {

// The handle starts signalled, as a new file object's event is.
file_object::file_object(bool overlapped, DWORD access)
    : overlapped_(overlapped), access_(access), signal_(std::make_shared<file_signal>()) {}

file_object::~file_object() = default;

int file_object::wait_fd() const {
  return signal_->wait_fd();
}

bool file_object::try_acquire() {
  return signal_->claim();
}

bool file_object::associate(std::shared_ptr<completion_port> port, ULONG_PTR key) {
  std::lock_guard lock(port_mutex_);
  if (port_) return false;
  port_ = std::move(port);
  key_ = key;
  port_set_.store(true, std::memory_order_release);
  return true;
}

bool file_object::has_port() {
  return port_set_.load(std::memory_order_acquire);
}

std::shared_ptr<completion_port> file_object::port(ULONG_PTR& key) {
  std::lock_guard lock(port_mutex_);
  key = key_;
  return port_;
}

BOOL file_object::read(std::span<std::byte> buffer, const io_request& call) {
  io_request request = call;
  if (!prepare(request)) return FALSE;
  std::error_code ec;
  if (!overlapped_) {
    signal_->reset();
    std::size_t n = read_blocking_at(buffer, request.overlapped, ec);
    return completed_in_caller(error_from_code(ec), n, request);
  }
  if (!request.overlapped && request.call == io_call::transfer) {
    const auto& thread = current_thread_object();
    // CancelSynchronousIo reaches it too: its thread waits for it.
    std::uint32_t serial = thread->begin_synchronous_io();
    {
      std::lock_guard lock(caller_reads_mutex_);
      caller_reads_.push_back({thread, serial});
    }
    std::size_t n = 0;
    bool done = read_in_caller(buffer, n, ec);
    {
      std::lock_guard lock(caller_reads_mutex_);
      std::erase_if(caller_reads_, [&](const caller_read& r) { return r.thread == thread; });
    }
    thread->end_synchronous_io();
    if (done) return complete(error_from_code(ec), n, request);
  }
  auto op = make_read_at(buffer, request.overlapped, ec);
  return op ? start(op, request) : fail(error_from_code(ec), request);
}

BOOL file_object::write(std::span<const std::byte> data, const io_request& call) {
  io_request request = call;
  if (!prepare(request)) return FALSE;
  std::error_code ec;
  if (!overlapped_) {
    signal_->reset();
    std::size_t n = write_blocking_at(data, request.overlapped, ec);
    return completed_in_caller(error_from_code(ec), n, request);
  }
  auto op = make_write_at(data, request.overlapped, ec);
  return op ? start(op, request) : fail(error_from_code(ec), request);
}

std::size_t file_object::cancel(bool this_thread_only, const OVERLAPPED* which) {
  const void* thread = this_thread_only ? current_thread_object().get() : nullptr;
  std::size_t found = io_engine::get().cancel(this, thread, which, ERROR_OPERATION_ABORTED, false);
  // A read its thread waits for itself has no OVERLAPPED, and a thread
  // cannot call CancelIo while it waits: only CancelIoEx(handle, NULL)
  // reaches it.
  if (!this_thread_only && !which) {
    std::vector<caller_read> reads;
    {
      std::lock_guard lock(caller_reads_mutex_);
      reads = caller_reads_;
    }
    // Outside the lock, which a reader takes to leave the list: each
    // cancel is for that read alone, and misses it once it is over.
    for (const caller_read& r : reads) r.thread->cancel_synchronous_io(r.call);
    found += reads.size();
  }
  return found;
}

void file_object::abandon_io(DWORD error) {
  if (overlapped_) io_engine::get().cancel(this, nullptr, nullptr, error, true);
}

bool file_object::prepare(io_request& request) {
  OVERLAPPED* ov = request.overlapped;
  if (!ov) return true;
  // ReadFileEx and WriteFileEx take no event: hEvent is the program's own.
  if (request.call != io_call::routine && ov->hEvent) {
    auto value = reinterpret_cast<std::uintptr_t>(ov->hEvent);
    request.no_packet = value & 1;
    // The kernel ignores a handle value's two low bits.
    HANDLE event = reinterpret_cast<HANDLE>(value & ~std::uintptr_t{3});
    request.event = std::dynamic_pointer_cast<event_object>(lookup_handle(event).object);
    if (!request.event) {
      SetLastError(ERROR_INVALID_HANDLE);
      return false;
    }
  }
  store_status(ov, static_cast<NTSTATUS>(STATUS_PENDING));
  if (request.call != io_call::transfer) ov->InternalHigh = 0;
  if (request.event) request.event->reset();
  return true;
}

BOOL file_object::start(const std::shared_ptr<io_operation>& op, const io_request& request) {
  op->owner = this;
  op->thread = current_thread_object().get();
  io_completion& c = op->completion;
  c.file_signal = signal_;
  c.packet_overlapped = request.overlapped;
  if (request.overlapped) {
    c.overlapped = request.overlapped;
  } else {
    // The caller waits for this operation itself, as Windows's ReadFile
    // does on a handle opened for overlapped I/O when given no OVERLAPPED.
    c.overlapped = &op->own_status;
    store_status(c.overlapped, static_cast<NTSTATUS>(STATUS_PENDING));
    c.private_signal = std::make_shared<event_object>(true, false);
  }
  if (request.call == io_call::routine) {
    c.apc_thread = current_thread_object();
    c.routine = request.routine;
  } else if (request.overlapped) {
    c.event = request.event;
    if (!request.no_packet && port_set_.load(std::memory_order_acquire)) {
      c.port = port_;
      c.key = key_;
    }
  }
  signal_->reset();

  // Done for the program at once, whatever waits before it: the engine
  // carries it out in its turn and tells no one.
  bool done_when_issued = op->done_when_issued();
  if (done_when_issued) op->internal = true;
  if (io_engine::get().start(op)) {
    DWORD error = op->error();
    if (is_failure(error)) return fail(error, request);
    c.deliver(error, op->bytes());
    // An overlapped connect is never reported done at once: the program
    // hears of it as of one that had to wait.
    if (request.call == io_call::connect && request.overlapped)
      return fail(ERROR_IO_PENDING, request);
    return finished(error, op->bytes(), request);
  }
  if (done_when_issued) {
    c.deliver(ERROR_SUCCESS, 0);
    return finished(ERROR_SUCCESS, 0, request);
  }
  if (request.overlapped) {
    if (request.result) *request.result = 0;
    if (request.call == io_call::routine) return TRUE;
    SetLastError(ERROR_IO_PENDING);
    return FALSE;
  }
  std::shared_ptr<kernel_object> done = c.private_signal;
  wait_for_objects(std::span(&done, 1), false, INFINITE, false);
  return finished(op->error(), op->bytes(), request);
}

// A synchronous handle's signal is reset while its I/O runs and set again
// only when the I/O succeeded (or ended with a warning such as
// ERROR_MORE_DATA): after a failure WaitForSingleObject on the handle times
// out, as on Windows. The signal is an atomic flag: no system call here.
void file_object::begin_in_caller() {
  signal_->reset();
}

BOOL file_object::completed_in_caller(DWORD error, std::size_t bytes, const io_request& request) {
  if (!is_failure(error)) signal_->set();
  return complete(error, bytes, request);
}

BOOL file_object::complete(DWORD error, std::size_t bytes, const io_request& request) {
  if (is_failure(error)) return fail(error, request);
  if (request.overlapped || request.call == io_call::routine) {
    io_completion c;
    c.overlapped = request.overlapped;
    c.packet_overlapped = request.overlapped;
    c.file_signal = signal_;
    if (request.call == io_call::routine) {
      c.apc_thread = current_thread_object();
      c.routine = request.routine;
    } else {
      c.event = request.event;
    }
    c.deliver(error, bytes);
  }
  return finished(error, bytes, request);
}

BOOL file_object::fail(DWORD error, const io_request& request) {
  if (request.result) *request.result = 0;
  SetLastError(error);
  return FALSE;
}

BOOL file_object::finished(DWORD error, std::size_t bytes, const io_request& request) {
  // With an OVERLAPPED, a count goes back only for a plain success.
  if (request.result) *request.result = request.overlapped && error ? 0 : static_cast<DWORD>(bytes);
  if (error) {
    SetLastError(error);
    return FALSE;
  }
  return TRUE;
}

}  // namespace conduit::win32
