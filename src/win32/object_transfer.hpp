// Kernel objects that cross to another process: inherited by a child
// (CreateProcess) or duplicated into or out of one (DuplicateHandle).
//
// On Windows both processes then hold one object. Here an object crosses as
// a kind letter, its descriptors and a few bytes of state, and the other
// side builds an object of its own over the same kernel objects (the
// eventfd, the pipe, the socket, the pidfd), so the two share what matters:
// one event, one stream, one connection, one process.
//
//   auto portable = make_portable(entry.object);         // this process
//   ... send portable->kind, portable->state, portable->fds ...
//   auto object = rebuild_object(kind, std::move(fds), state);  // the other
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "conduit/win32/windows.h"
#include "core/unique_fd.hpp"
#include "runtime/pipe_channel.hpp"
#include "win32/kernel_object.hpp"

namespace conduit::win32 {

/// What crosses: the letters are also what CONDUIT_INHERITED_HANDLES says.
enum class transfer_kind : char {
  read_end = 'r',      // anonymous pipe read end
  write_end = 'w',     // anonymous pipe write end
  standard = 's',      // a standard handle (descriptor 0, 1 or 2, any type)
  manual_event = 'm',  // manual-reset event
  auto_event = 'a',    // auto-reset event
  process = 'p',       // process handle (a pidfd)
  pipe_client = 'c',   // named pipe client end (socket and instance page)
  pipe_server = 'n',   // a connected named pipe server end (socket)
  mailslot_writer = 'l',
  disk_file = 'f',  // a file on disk (or a device a path named): its descriptor
  mutex = 'x',      // a mutex's eventfd (not its ownership, which stays a thread's)
  semaphore = 'y',  // a semaphore's eventfd and maximum
};

/// Most bytes of state one object carries: a message pipe end's part of a
/// message already taken off its socket (one record at most), its name, a
/// few numbers.
inline constexpr std::size_t max_transfer_state = detail::pipe_channel::max_record_size + 16 * 1024;

/// An object ready to cross: its descriptors stay open while `source` lives.
struct portable_object {
  transfer_kind kind{};
  std::vector<int> fds;
  std::string state;
  std::shared_ptr<kernel_object> source;
};

/// How `object` crosses, or nullopt with the last error set.
/// `moving`: the handle it is taken from is its last one here and is being
/// closed (DUPLICATE_CLOSE_SOURCE), so state that cannot be shared goes
/// along: a message pipe reader's place in a message read in part.
/// ERROR_NOT_SUPPORTED for what cannot cross (threads, completion ports,
/// a named pipe server end that is not connected, a mailslot's own handle), ERROR_INVALID_HANDLE
/// for an object already closed underneath.
std::optional<portable_object> make_portable(const std::shared_ptr<kernel_object>& object,
                                             bool moving = false);

/// Whether `fd` is what `kind` crosses as (the right descriptor type, and
/// for pipe ends the right direction): a descriptor a program in between
/// reused, or one a peer lied about, does not fit.
bool descriptor_fits(transfer_kind kind, int fd);

/// Builds this process's object from what another process sent, taking
/// `fds`. Null, ERROR_INVALID_PARAMETER set, when the kind is unknown or the
/// descriptors or state do not fit it.
std::shared_ptr<kernel_object> rebuild_object(char kind, std::vector<detail::unique_fd> fds,
                                              std::string_view state);

}  // namespace conduit::win32
