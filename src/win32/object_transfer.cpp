#include "win32/object_transfer.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <span>

#include "core/socket_kind.hpp"
#include "core/wire.hpp"
#include "runtime/client_end.hpp"
#include "runtime/mailslot_writer.hpp"
#include "runtime/server_instance.hpp"
#include "win32/anonymous_pipe_object.hpp"
#include "win32/disk_file_object.hpp"
#include "win32/event_object.hpp"
#include "win32/mailslot_object.hpp"
#include "win32/mutex_object.hpp"
#include "win32/named_event.hpp"
#include "win32/named_sync_object.hpp"
#include "win32/pipe_object.hpp"
#include "win32/port_forwarding.hpp"
#include "win32/process_object.hpp"
#include "win32/semaphore_object.hpp"

namespace conduit::win32 {
namespace {

using detail::unique_fd;

// State is a few fixed-size numbers and strings, in host order (both sides
// are on this machine), strings as a length and their bytes.
class state_writer {
 public:
  void u32(std::uint32_t v) { out_.append(reinterpret_cast<const char*>(&v), sizeof(v)); }
  void text(std::string_view s) {
    u32(static_cast<std::uint32_t>(s.size()));
    out_.append(s);
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

// Reads what state_writer wrote; any read past the end, or bytes left over
// at the end, makes the whole state invalid.
class state_reader {
 public:
  explicit state_reader(std::string_view in) : in_(in) {}
  std::uint32_t u32() {
    std::uint32_t v = 0;
    if (in_.size() < sizeof(v)) {
      ok_ = false;
      return 0;
    }
    std::memcpy(&v, in_.data(), sizeof(v));
    in_.remove_prefix(sizeof(v));
    return v;
  }
  std::string text() {
    std::uint32_t n = u32();
    if (n > in_.size()) {
      ok_ = false;
      return {};
    }
    std::string s(in_.substr(0, n));
    in_.remove_prefix(n);
    return s;
  }
  [[nodiscard]] bool done() const { return ok_ && in_.empty(); }

 private:
  std::string_view in_;
  bool ok_ = true;
};

std::string fd_link(int fd) {
  char target[64] = {};
  std::string link = "/proc/self/fd/" + std::to_string(fd);
  ssize_t n = ::readlink(link.c_str(), target, sizeof(target) - 1);
  return n > 0 ? std::string(target, static_cast<std::size_t>(n)) : std::string();
}

bool is_socket(int fd) {
  struct stat st {};
  return ::fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
}

// The pid a pidfd refers to, from the kernel rather than from the sender.
int pidfd_pid(int fd) {
  std::ifstream in("/proc/self/fdinfo/" + std::to_string(fd));
  std::string line;
  while (std::getline(in, line)) {
    int pid = 0;
    if (std::sscanf(line.c_str(), "Pid: %d", &pid) == 1) return pid;
  }
  return -1;
}

std::size_t fd_count(transfer_kind kind) {
  return kind == transfer_kind::pipe_client ? 2 : 1;
}

// A named pipe's end may bring its completion port association along: one
// descriptor more, the forwarding socket (port_forwarding.hpp).
bool may_bring_port(transfer_kind kind) {
  return kind == transfer_kind::pipe_client || kind == transfer_kind::pipe_server;
}

bool known_kind(char kind) {
  switch (static_cast<transfer_kind>(kind)) {
    case transfer_kind::read_end:
    case transfer_kind::write_end:
    case transfer_kind::standard:
    case transfer_kind::manual_event:
    case transfer_kind::auto_event:
    case transfer_kind::process:
    case transfer_kind::pipe_client:
    case transfer_kind::pipe_server:
    case transfer_kind::mailslot_writer:
    case transfer_kind::disk_file:
    case transfer_kind::mutex:
    case transfer_kind::semaphore:
      return true;
  }
  return false;
}

std::optional<portable_object> portable(transfer_kind kind, std::vector<int> fds, std::string state,
                                        const std::shared_ptr<kernel_object>& source) {
  for (int fd : fds) {
    if (fd < 0) {
      SetLastError(ERROR_INVALID_HANDLE);
      return std::nullopt;
    }
  }
  return portable_object{kind, std::move(fds), std::move(state), source};
}

// What both ends of a named pipe carry: the handle's file flags, the
// pipe's description, the handle's modes and the reader's place.
struct pipe_common {
  bool overlapped = false;
  DWORD file_access = 0;
  std::string name;
  pipe_info info;
  bool message_read = false;
  bool nowait = false;
  detail::read_state reading;
};

void write_common(state_writer& w, const pipe_common& c) {
  w.u32(c.overlapped ? 1 : 0);
  w.u32(c.file_access);
  w.text(c.name);
  w.u32(static_cast<std::uint32_t>(c.info.type));
  w.u32(c.info.out_buffer_size);
  w.u32(c.info.in_buffer_size);
  w.u32(c.info.max_instances);
  w.u32((c.message_read ? 1 : 0) | (c.nowait ? 2 : 0));
  w.u32(c.reading.message_left);
  w.text(std::string_view(reinterpret_cast<const char*>(c.reading.taken.data()),
                          c.reading.taken.size()));
}

// Reads what write_common wrote and checks it against the socket: message
// pipes ride SOCK_SEQPACKET, byte pipes a stream, and the part of a message
// taken is never more than what is left of it.
bool read_common(state_reader& r, int socket, pipe_common& c) {
  c.overlapped = r.u32() != 0;
  c.file_access = r.u32();
  c.name = r.text();
  std::uint32_t type = r.u32();
  c.info.type = type == 0 ? pipe_type::byte : pipe_type::message;
  c.info.out_buffer_size = r.u32();
  c.info.in_buffer_size = r.u32();
  c.info.max_instances = r.u32();
  std::uint32_t modes = r.u32();
  c.reading.message_left = r.u32();
  std::string taken = r.text();
  bool message = c.info.type == pipe_type::message;
  if (static_cast<pipe_type>(type) != c.info.type || modes > 3 ||
      !detail::is_unix_socket(socket, message ? SOCK_SEQPACKET : SOCK_STREAM) ||
      taken.size() > c.reading.message_left || (!message && c.reading.message_left != 0))
    return false;
  auto bytes = reinterpret_cast<const std::byte*>(taken.data());
  c.reading.taken.assign(bytes, bytes + taken.size());
  c.message_read = modes & 1;
  c.nowait = modes & 2;
  return true;
}

// Adds the pipe's completion port association, if it has one the other
// process can post to: a flag in the state, the socket among the fds.
void add_port(state_writer& w, std::vector<int>& fds, pipe_object& pipe) {
  ULONG_PTR key = 0;
  auto port = pipe.port(key);
  int fd = port ? port->forwarding_descriptor(key) : -1;
  w.u32(fd >= 0 ? 1 : 0);
  if (fd >= 0) fds.push_back(fd);
}

// Associates `pipe`, received, with the port of the process it came from:
// a forwarding port on `socket` (what add_port sent). Its I/O still pending
// when this process exits is cancelled into that port.
bool bring_port(unique_fd socket, const std::shared_ptr<pipe_object>& pipe) {
  if (!is_forwarding_socket(socket.get())) return false;
  pipe->associate(completion_port::forwarding_through(std::move(socket)), 0);
  cancel_at_exit(pipe);
  return true;
}

std::optional<portable_object> portable_server(const std::shared_ptr<pipe_object>& pipe,
                                               bool moving) {
  detail::server_instance::description d;
  int socket = -1;
  std::error_code ec;
  // Only a connected instance crosses: a listening one belongs to this
  // process's broker registration (docs/win32-named-pipes.md).
  if (!pipe->server()->hand_over(moving, d, socket, ec)) {
    SetLastError(ERROR_NOT_SUPPORTED);
    return std::nullopt;
  }
  state_writer w;
  write_common(w, {pipe->overlapped(), pipe->access(), d.name, d.info, d.message_read, d.nowait,
                   std::move(d.reading)});
  w.u32(d.open_mode);
  auto record = detail::wire::encode(d.client);
  w.text(std::string_view(reinterpret_cast<const char*>(record.data()), record.size()));
  std::vector<int> fds{socket};
  add_port(w, fds, *pipe);
  return portable(transfer_kind::pipe_server, std::move(fds), w.take(), pipe);
}

std::optional<portable_object> portable_pipe(const std::shared_ptr<pipe_object>& pipe,
                                             bool moving) {
  if (pipe->server()) return portable_server(pipe, moving);
  auto& client = *pipe->client();
  pipe->share_with_another_process();
  auto d = client.describe(moving);
  state_writer w;
  write_common(w, {pipe->overlapped(), pipe->access(), d.name, d.info, d.message_read, d.nowait,
                   std::move(d.reading)});
  w.u32(d.serial);
  w.u32(d.access);
  w.u32(d.server_pid);
  std::vector<int> fds{client.socket(), client.page_fd()};
  add_port(w, fds, *pipe);
  return portable(transfer_kind::pipe_client, std::move(fds), w.take(), pipe);
}

std::shared_ptr<kernel_object> rebuild_pipe_client(std::vector<unique_fd>& fds,
                                                   std::string_view state) {
  state_reader r(state);
  pipe_common c;
  if (!read_common(r, fds[0].get(), c)) return nullptr;
  detail::client_end::description d{std::move(c.name),   c.info, 0, 0, 0, c.message_read, c.nowait,
                                    std::move(c.reading)};
  d.serial = r.u32();
  d.access = r.u32();
  d.server_pid = r.u32();
  std::uint32_t has_port = r.u32();
  if (!r.done() || has_port > 1 || fds.size() != 2 + has_port) return nullptr;
  std::error_code ec;
  auto client = detail::client_end::adopt(d, std::move(fds[0]), std::move(fds[1]), ec);
  if (!client) return nullptr;
  auto pipe = std::make_shared<pipe_object>(std::move(client), c.overlapped, c.file_access);
  pipe->share_with_another_process();
  if (has_port && !bring_port(std::move(fds[2]), pipe)) return nullptr;
  return pipe;
}

std::shared_ptr<kernel_object> rebuild_pipe_server(std::vector<unique_fd>& fds,
                                                   std::string_view state) {
  state_reader r(state);
  pipe_common c;
  if (!read_common(r, fds[0].get(), c)) return nullptr;
  detail::server_instance::description d;
  d.name = std::move(c.name);
  d.info = c.info;
  d.message_read = c.message_read;
  d.nowait = c.nowait;
  d.reading = std::move(c.reading);
  d.open_mode = r.u32();
  std::string record = r.text();
  std::uint32_t has_port = r.u32();
  auto bytes = std::as_bytes(std::span(record.data(), record.size()));
  if (!r.done() || has_port > 1 || fds.size() != 1 + has_port || (d.open_mode & 0x3) == 0 ||
      detail::wire::decode_connect_record(bytes, d.client))
    return nullptr;
  auto server = detail::server_instance::adopt_connected(d, std::move(fds[0]));
  auto pipe = std::make_shared<pipe_object>(std::move(server), c.overlapped, c.file_access);
  if (has_port && !bring_port(std::move(fds[1]), pipe)) return nullptr;
  return pipe;
}

}  // namespace

std::optional<portable_object> make_portable(const std::shared_ptr<kernel_object>& object,
                                             bool moving) {
  if (auto pipe = std::dynamic_pointer_cast<anonymous_pipe_object>(object))
    return portable(static_cast<transfer_kind>(pipe->kind()), {pipe->fd()}, {}, object);
  if (auto event = std::dynamic_pointer_cast<event_object>(object)) {
    // A named event carries its name, which the other side then holds too.
    auto kind = event->manual_reset() ? transfer_kind::manual_event : transfer_kind::auto_event;
    return portable(kind, {event->wait_fd()}, event->name_key(), object);
  }
  if (auto process = std::dynamic_pointer_cast<process_object>(object))
    return portable(transfer_kind::process, {process->wait_fd()}, {}, object);
  if (auto pipe = std::dynamic_pointer_cast<pipe_object>(object))
    return portable_pipe(pipe, moving);
  // A named mutex or semaphore carries its name, as a named event does.
  if (auto mutex = std::dynamic_pointer_cast<mutex_object>(object))
    return portable(transfer_kind::mutex, {mutex->wait_fd()}, mutex->name_key(), object);
  if (auto semaphore = std::dynamic_pointer_cast<semaphore_object>(object)) {
    state_writer w;
    w.u32(static_cast<std::uint32_t>(semaphore->maximum()));
    if (!semaphore->name_key().empty()) w.text(semaphore->name_key());
    return portable(transfer_kind::semaphore, {semaphore->wait_fd()}, w.take(), object);
  }
  if (auto file = std::dynamic_pointer_cast<disk_file_object>(object)) {
    // The file pointer is the descriptor's, so both sides share it as
    // Windows's handles to one file object do; delete-on-close stays here.
    state_writer w;
    w.u32(file->access());
    w.u32(file->overlapped() ? 1 : 0);
    return portable(transfer_kind::disk_file, {file->fd()}, w.take(), object);
  }
  if (auto slot = std::dynamic_pointer_cast<mailslot_object>(object)) {
    // The slot itself stays with the process that registered its name.
    if (!slot->writer()) {
      SetLastError(ERROR_NOT_SUPPORTED);
      return std::nullopt;
    }
    if (!slot->writer()->is_open()) {
      SetLastError(ERROR_INVALID_HANDLE);
      return std::nullopt;
    }
    // A writer to other machines holds no slot's socket to hand on.
    if (slot->writer()->is_remote()) {
      SetLastError(ERROR_NOT_SUPPORTED);
      return std::nullopt;
    }
    state_writer w;
    w.u32(slot->access());
    w.u32(slot->writer()->access());
    w.u32(slot->writer()->max_message_size());
    w.u32(slot->writer()->reader_pid());
    return portable(transfer_kind::mailslot_writer, {slot->writer()->socket()}, w.take(), object);
  }
  SetLastError(ERROR_NOT_SUPPORTED);
  return std::nullopt;
}

bool descriptor_fits(transfer_kind kind, int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0) return false;
  switch (kind) {
    case transfer_kind::read_end:
    case transfer_kind::write_end: {
      struct stat st {};
      int mode = kind == transfer_kind::read_end ? O_RDONLY : O_WRONLY;
      return ::fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode) && (flags & O_ACCMODE) == mode;
    }
    case transfer_kind::standard:
      return true;
    case transfer_kind::manual_event:
    case transfer_kind::auto_event:
      return fd_link(fd) == "anon_inode:[eventfd]";
    case transfer_kind::process: {
      // Kernels with pidfs name it "pidfd:[inode]".
      std::string link = fd_link(fd);
      return link == "anon_inode:[pidfd]" || link.starts_with("pidfd:");
    }
    case transfer_kind::pipe_client:
    case transfer_kind::pipe_server:
    case transfer_kind::mailslot_writer:
      return is_socket(fd);
    case transfer_kind::mutex:
    case transfer_kind::semaphore:
      return fd_link(fd) == "anon_inode:[eventfd]";
    case transfer_kind::disk_file: {
      // What a path can open: a file, a device, a FIFO; never a socket
      // or a folder (which no data handle is).
      struct stat st {};
      return ::fstat(fd, &st) == 0 && (S_ISREG(st.st_mode) || S_ISCHR(st.st_mode) ||
                                       S_ISFIFO(st.st_mode) || S_ISBLK(st.st_mode));
    }
  }
  return false;
}

std::shared_ptr<kernel_object> rebuild_object(char letter, std::vector<unique_fd> fds,
                                              std::string_view state) {
  auto invalid = [] {
    SetLastError(ERROR_INVALID_PARAMETER);
    return nullptr;
  };
  if (!known_kind(letter)) return invalid();
  auto kind = static_cast<transfer_kind>(letter);
  // The first descriptor is the object's own; a pipe client's second is
  // its instance page, which adopt() checks for itself.
  std::size_t fds_at_most = fd_count(kind) + (may_bring_port(kind) ? 1 : 0);
  if (fds.size() < fd_count(kind) || fds.size() > fds_at_most ||
      state.size() > max_transfer_state || !descriptor_fits(kind, fds[0].get()))
    return invalid();
  std::shared_ptr<kernel_object> object;
  switch (kind) {
    case transfer_kind::read_end:
    case transfer_kind::write_end:
    case transfer_kind::standard:
      if (!state.empty()) return invalid();
      object = std::make_shared<anonymous_pipe_object>(
          fds[0].release(), static_cast<anonymous_pipe_object::end_kind>(letter));
      break;
    case transfer_kind::manual_event:
    case transfer_kind::auto_event:
      if (state.empty()) {
        object =
            std::make_shared<event_object>(std::move(fds[0]), kind == transfer_kind::manual_event);
      } else {
        object = adopt_named_event(state, std::move(fds[0]), kind == transfer_kind::manual_event);
        if (!object) return invalid();
      }
      break;
    case transfer_kind::process: {
      int pid = pidfd_pid(fds[0].get());
      if (!state.empty() || pid <= 0) return invalid();
      // A child of ours keeps its exit code; any other process gets its pidfd.
      if (auto child = find_child(pid))
        object = std::make_shared<process_object>(child);
      else
        object = std::make_shared<process_object>(pid, fds[0].release());
      break;
    }
    case transfer_kind::pipe_client:
      object = rebuild_pipe_client(fds, state);
      break;
    case transfer_kind::pipe_server:
      object = rebuild_pipe_server(fds, state);
      break;
    case transfer_kind::mutex:
      if (state.empty()) {
        object = std::make_shared<mutex_object>(std::move(fds[0]), std::string());
      } else {
        object =
            adopt_named_sync_object(state, detail::wire::sync_kind_mutex, std::move(fds[0]), 0);
        if (!object) return invalid();
      }
      break;
    case transfer_kind::semaphore: {
      state_reader r(state);
      std::uint32_t maximum = r.u32();
      std::string name = r.done() ? std::string() : r.text();
      if (!r.done() || maximum < 1 || maximum > 0x7FFFFFFF) return invalid();
      auto most = static_cast<LONG>(maximum);
      if (name.empty()) {
        object = std::make_shared<semaphore_object>(std::move(fds[0]), most, std::string());
      } else {
        object = adopt_named_sync_object(name, detail::wire::sync_kind_semaphore, std::move(fds[0]),
                                         most);
        if (!object) return invalid();
      }
      break;
    }
    case transfer_kind::disk_file: {
      state_reader r(state);
      DWORD access = r.u32();
      std::uint32_t overlapped = r.u32();
      if (!r.done() || overlapped > 1) return invalid();
      object = std::make_shared<disk_file_object>(std::move(fds[0]), access, overlapped == 1,
                                                  std::string(), false);
      break;
    }
    case transfer_kind::mailslot_writer: {
      state_reader r(state);
      DWORD file_access = r.u32();
      std::uint32_t access = r.u32();
      std::uint32_t max_size = r.u32();
      std::uint32_t reader_pid = r.u32();
      if (!r.done()) return invalid();
      auto writer = detail::mailslot_writer::adopt(std::move(fds[0]), access, max_size, reader_pid);
      object = std::make_shared<mailslot_object>(std::move(writer), file_access);
      break;
    }
  }
  if (!object) return invalid();
  return object;
}

}  // namespace conduit::win32
