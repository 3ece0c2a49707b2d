#include "remote/smb_relay.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "conduit/error.hpp"
#include "remote/named_pipe_auth.hpp"

namespace conduit::detail::remote {
namespace {

// From smbd towards the pipe: frames (or bytes) received, one unit at a time.
struct inbound {
  std::vector<std::byte> raw;   // received, not yet a whole unit
  std::vector<std::byte> unit;  // a whole message (or a run of bytes) to write
  bool ready = false;           // `unit` waits to be written
  write_progress written;
};

// From the pipe towards smbd: one framed unit being sent.
struct outbound {
  std::vector<std::byte> read_buffer = std::vector<std::byte>(npa_max_frame);
  read_progress reading;
  std::vector<std::byte> frame;  // what goes to smbd
  std::size_t sent = 0;
  bool more = false;  // the message goes on in the next frame
};

// Takes a whole unit out of `raw`, if there is one.
bool take_unit(inbound& in, bool message) {
  if (!message) {
    if (in.raw.empty()) return false;
    in.unit.swap(in.raw);
    in.raw.clear();
    return true;
  }
  if (in.raw.size() < 2) return false;
  std::size_t size = static_cast<std::size_t>(in.raw[0]) | static_cast<std::size_t>(in.raw[1]) << 8;
  if (in.raw.size() < 2 + size) return false;
  in.unit.assign(in.raw.begin() + 2, in.raw.begin() + 2 + static_cast<std::ptrdiff_t>(size));
  in.raw.erase(in.raw.begin(), in.raw.begin() + 2 + static_cast<std::ptrdiff_t>(size));
  return true;
}

// How many bytes smbd's side may still add to `raw` now: the rest of one
// frame (or one buffer's worth of bytes), never more.
std::size_t room(const inbound& in, bool message) {
  if (!message) return in.raw.empty() ? npa_max_frame : 0;
  if (in.raw.size() < 2) return 2 - in.raw.size();
  std::size_t size = static_cast<std::size_t>(in.raw[0]) | static_cast<std::size_t>(in.raw[1]) << 8;
  return 2 + size - in.raw.size();
}

}  // namespace

void relay(unique_fd smbd, pipe_channel& pipe, bool message) {
  inbound in;
  outbound out;
  bool read_blocked = false;  // the pipe's read waits for data
  for (;;) {
    // Move what can move without waiting.
    if (!in.ready && take_unit(in, message)) {
      in.ready = true;
      in.written = {};
    }
    if (in.ready) {
      std::error_code ec;
      if (pipe.write_some(in.unit, in.written, ec)) {
        if (ec) return;  // the server is gone
        in.ready = false;
        continue;
      }
    }
    if (out.frame.empty() && !read_blocked) {
      std::error_code ec;
      if (pipe.read_some(out.read_buffer, message, out.reading, ec)) {
        if (ec && ec != errc::more_data) return;  // broken pipe: the server closed
        std::size_t got = out.reading.got;
        out.reading = {};
        if (!message && got == 0) {
          read_blocked = true;  // nothing after all: wait for the socket
          continue;
        }
        if (message) {
          out.frame.push_back(static_cast<std::byte>(got & 0xFF));
          out.frame.push_back(static_cast<std::byte>(got >> 8));
        }
        out.frame.insert(out.frame.end(), out.read_buffer.begin(),
                         out.read_buffer.begin() + static_cast<std::ptrdiff_t>(got));
        out.sent = 0;
      } else {
        read_blocked = true;
      }
    }
    if (!out.frame.empty()) {
      ssize_t n = ::send(smbd.get(), out.frame.data() + out.sent, out.frame.size() - out.sent,
                         MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n < 0 && errno != EAGAIN && errno != EINTR) return;  // smbd is gone
      if (n > 0) out.sent += static_cast<std::size_t>(n);
      if (out.sent == out.frame.size()) {
        out.frame.clear();
        continue;
      }
    }
    std::size_t may_take = in.ready ? 0 : room(in, message);
    if (may_take > 0) {
      std::size_t had = in.raw.size();
      in.raw.resize(had + may_take);
      ssize_t n = ::recv(smbd.get(), in.raw.data() + had, may_take, MSG_DONTWAIT);
      in.raw.resize(had + (n > 0 ? static_cast<std::size_t>(n) : 0));
      if (n == 0) return;  // the SMB client closed the pipe
      if (n < 0 && errno != EAGAIN && errno != EINTR) return;
      if (n > 0) continue;
    }

    // Nothing moves: wait for a side to be ready.
    pollfd fds[2] = {{smbd.get(), 0, 0}, {pipe.socket(), 0, 0}};
    if (may_take > 0) fds[0].events |= POLLIN;
    if (!out.frame.empty()) fds[0].events |= POLLOUT;
    if (out.frame.empty() && read_blocked) fds[1].events |= POLLIN;
    if (in.ready) fds[1].events |= POLLOUT;
    if (::poll(fds, 2, -1) < 0 && errno != EINTR) return;
    if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) read_blocked = false;
    if ((fds[0].revents & (POLLHUP | POLLERR)) && !(fds[0].revents & POLLIN)) return;
  }
}

}  // namespace conduit::detail::remote
