// Events (CreateEvent): manual or auto reset, on an eventfd.
#pragma once

#include <string>
#include <utility>

#include "conduit/win32/windows.h"
#include "core/unique_fd.hpp"
#include "win32/kernel_object.hpp"

namespace conduit::win32 {

/// The eventfd's counter is nonzero while the event is set. A manual-reset
/// event stays set for every waiter; an auto-reset one is claimed by reading
/// the counter, which only one waiter can do.
class event_object final : public kernel_object {
 public:
  event_object(bool manual_reset, bool initially_set);
  /// An event over an eventfd a parent process handed down (an inherited
  /// handle): both processes then share one event.
  event_object(detail::unique_fd fd, bool manual_reset)
      : fd_(std::move(fd)), manual_reset_(manual_reset) {}
  /// A named event (named_event.hpp): `name_key` says which, so that its
  /// last handle can let go of the name.
  event_object(detail::unique_fd fd, bool manual_reset, std::string name_key)
      : fd_(std::move(fd)), manual_reset_(manual_reset), name_key_(std::move(name_key)) {}

  int wait_fd() const override { return fd_.get(); }
  bool try_acquire() override;
  void undo_acquire() override;

  void set();
  void reset();
  [[nodiscard]] bool manual_reset() const { return manual_reset_; }
  /// The key of the event's name (event_name.hpp); empty for an unnamed event.
  [[nodiscard]] const std::string& name_key() const { return name_key_; }

 protected:
  void last_handle_closed() override;

 private:
  detail::unique_fd fd_;
  bool manual_reset_;
  std::string name_key_;
};

/// Sets the event behind a handle an OVERLAPPED names (the low bit, which
/// asks for no completion-port packet, is ignored here). Quietly does
/// nothing for a handle that is not an event.
void signal_event_handle(HANDLE event);
/// Resets it likewise.
void reset_event_handle(HANDLE event);

}  // namespace conduit::win32
