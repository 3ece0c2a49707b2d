#include "win32/io_completion.hpp"

#include <atomic>

#include "win32/completion_port.hpp"
#include "win32/event_object.hpp"
#include "win32/file_signal.hpp"
#include "win32/status.hpp"
#include "win32/thread_object.hpp"

namespace conduit::win32 {

void store_status(OVERLAPPED* overlapped, NTSTATUS status) {
  // Windows writes the 32-bit status into the low half; the rest stays 0.
  std::atomic_ref<ULONG_PTR>(overlapped->Internal)
      .store(static_cast<ULONG_PTR>(static_cast<std::uint32_t>(status)), std::memory_order_release);
}

NTSTATUS load_status(const OVERLAPPED* overlapped) {
  auto& internal = const_cast<ULONG_PTR&>(overlapped->Internal);
  return static_cast<NTSTATUS>(static_cast<std::uint32_t>(
      std::atomic_ref<ULONG_PTR>(internal).load(std::memory_order_acquire)));
}

bool is_failure(DWORD error) {
  return (static_cast<std::uint32_t>(status_from_error(error)) >> 30) == 3;
}

void io_completion::deliver(DWORD error, std::size_t bytes) const {
  NTSTATUS status = status_from_error(error);
  if (overlapped) {
    overlapped->InternalHigh = bytes;
    store_status(overlapped, status);
  }
  if (event) {
    event->set();
  } else if (file_signal) {
    file_signal->set();
  }
  if (private_signal) private_signal->set();
  if (port) port->post({key, packet_overlapped, status, static_cast<DWORD>(bytes)});
  if (apc_thread && routine) {
    auto* target = packet_overlapped;
    auto* call = routine;
    auto count = static_cast<DWORD>(bytes);
    apc_thread->queue_apc([call, error, count, target] { call(error, count, target); });
  }
}

}  // namespace conduit::win32
