// The "namedpipe" Tcl channel type (see namedpipe_channel.hpp).
//
// Tcl's generic layer calls the procedures below on the thread that owns
// the channel. The watch procedure hands Tcl's notifier one descriptor:
// while a server waits for its client, the socket the client's connect
// record arrives on (readable when it does); once connected, the pipe's
// socket, with the events the script asked for. Nothing here polls.
#include "namedpipe_channel.hpp"

#include <atomic>
#include <cerrno>
#include <memory>
#include <span>
#include <string>
#include <system_error>
#include <utility>

#include "conduit/error.hpp"
#include "runtime/client_end.hpp"
#include "runtime/pipe_end.hpp"
#include "runtime/server_instance.hpp"

namespace conduit::tcl {
namespace {

struct channel_state {
  bool is_server = false;
  pipe_server server;
  pipe_client client;
  std::shared_ptr<detail::pipe_end> end;
  std::shared_ptr<detail::server_instance> instance;  // servers only
  // While a server waits for its client: where the client will arrive.
  std::shared_ptr<detail::pipe_channel> listening;
  // Once connected: the pipe's socket.
  std::shared_ptr<detail::pipe_channel> data;
  bool connected = false;
  std::error_code failure;  // the connect failed: every I/O reports it
  bool blocking = true;
  int interest = 0;  // TCL_READABLE | TCL_WRITABLE the script waits for
  int watched_fd = -1;
  int watched_mask = 0;
  Tcl_FileProc* watched_proc = nullptr;
  Tcl_TimerToken timer = nullptr;
  Tcl_Channel chan = nullptr;

  basic_pipe& pipe() { return is_server ? static_cast<basic_pipe&>(server) : client; }
};

channel_state& state_of(ClientData data) {
  return *static_cast<channel_state*>(data);
}

// A connect that ended. ERROR_PIPE_CONNECTED: the client came before we
// asked; ERROR_NO_DATA: it came and has gone already, so reads end in eof.
void settle_connect(channel_state& s, std::error_code ec) {
  s.listening.reset();
  if (!ec || ec == errc::pipe_connected || ec == errc::no_data)
    s.connected = true;
  else
    s.failure = ec;
}

// One step of a server's connect that never waits: true once it is over.
bool poll_connect(channel_state& s) {
  if (s.connected || s.failure) return true;
  std::error_code ec;
  if (!s.listening) {
    connect_status status;
    s.listening = s.instance->start_connect(status, ec);
    if (s.listening) return false;
  } else if (!s.instance->connect_done(s.listening, ec)) {
    return false;
  }
  settle_connect(s, ec);
  return true;
}

// A server's connect that waits for the client, as a blocking channel does.
void wait_connect(channel_state& s) {
  if (s.connected || s.failure) return;
  std::error_code ec;
  s.server.connect(ec);
  settle_connect(s, ec);
}

// The connected pipe's socket, or -1.
int data_socket(channel_state& s) {
  if (!s.data) {
    std::error_code ec;
    s.data = s.end->channel_for_read(ec);
    if (!s.data) s.data = s.end->channel_for_write(ec);
  }
  return s.data ? s.data->socket() : -1;
}

void on_ready(ClientData data, int mask);
void on_arrival(ClientData data, int mask);
void on_failed(ClientData data);

void unwatch(channel_state& s) {
  if (s.watched_fd >= 0) Tcl_DeleteFileHandler(s.watched_fd);
  s.watched_fd = -1;
  s.watched_mask = 0;
  s.watched_proc = nullptr;
  if (s.timer) Tcl_DeleteTimerHandler(s.timer);
  s.timer = nullptr;
}

void watch_fd(channel_state& s, int fd, int mask, Tcl_FileProc* proc) {
  if (s.watched_fd == fd && s.watched_mask == mask && s.watched_proc == proc && !s.timer) return;
  unwatch(s);
  s.watched_fd = fd;
  s.watched_mask = mask;
  s.watched_proc = proc;
  Tcl_CreateFileHandler(fd, mask, proc, &s);
}

// Points the notifier at what the script waits for, in the current state.
void rewatch(channel_state& s) {
  if (!s.interest) {
    unwatch(s);
    return;
  }
  if (s.is_server && !poll_connect(s)) {
    watch_fd(s, s.listening->socket(), TCL_READABLE, on_arrival);
    return;
  }
  int fd = s.failure ? -1 : data_socket(s);
  if (fd >= 0) {
    watch_fd(s, fd, s.interest, on_ready);
  } else if (!s.timer) {
    unwatch(s);  // a failed pipe: the script learns of it at its next I/O
    s.timer = Tcl_CreateTimerHandler(0, on_failed, &s);
  }
}

void on_ready(ClientData data, int mask) {
  channel_state& s = state_of(data);
  Tcl_NotifyChannel(s.chan, mask & s.interest);
}

// The client's connect record has come: from now on the notifier watches
// the connected pipe (a writable socket fires `fileevent writable`).
void on_arrival(ClientData data, int) {
  channel_state& s = state_of(data);
  if (poll_connect(s)) rewatch(s);
}

void on_failed(ClientData data) {
  channel_state& s = state_of(data);
  s.timer = nullptr;
  // Armed again first: the script may close the channel in the handler.
  if (s.interest) s.timer = Tcl_CreateTimerHandler(0, on_failed, &s);
  Tcl_NotifyChannel(s.chan, s.interest);
}

// What Tcl's generic layer reports (errno) for a Win32 error.
int errno_for(std::error_code ec) {
  if (ec == errc::access_denied) return EACCES;
  if (ec == errc::invalid_handle) return EBADF;
  if (ec == errc::no_data || ec == errc::broken_pipe || ec == errc::pipe_not_connected)
    return EPIPE;
  return EIO;
}

// Connects a server first if need be: true when I/O may go ahead.
bool ready_for_io(channel_state& s, int* error) {
  if (s.is_server && !s.connected && !s.failure) {
    if (s.blocking)
      wait_connect(s);
    else if (!poll_connect(s)) {
      *error = EAGAIN;
      return false;
    }
    if (s.interest) rewatch(s);
  }
  if (s.failure) {
    *error = errno_for(s.failure);
    return false;
  }
  return true;
}

int close_proc(ClientData data, Tcl_Interp*) {
  std::unique_ptr<channel_state> s(&state_of(data));
  unwatch(*s);
  s->data.reset();
  s->listening.reset();
  if (s->is_server)
    s->server.close();
  else
    s->client.close();
  return 0;
}

int input_proc(ClientData data, char* buffer, int size, int* error) {
  channel_state& s = state_of(data);
  if (!ready_for_io(s, error)) return -1;
  std::error_code ec;
  s.pipe().set_nowait(!s.blocking);
  std::size_t n =
      s.pipe().read(std::as_writable_bytes(std::span(buffer, static_cast<std::size_t>(size))), ec);
  s.pipe().set_nowait(false);
  if (!ec) return static_cast<int>(n);
  // The other end closed and everything it wrote has been read.
  if (ec == errc::broken_pipe || ec == errc::pipe_not_connected) return 0;
  *error = ec == errc::no_data ? EAGAIN : errno_for(ec);
  return -1;
}

int output_proc(ClientData data, const char* buffer, int size, int* error) {
  channel_state& s = state_of(data);
  if (!ready_for_io(s, error)) return -1;
  std::error_code ec;
  s.pipe().set_nowait(!s.blocking);
  std::size_t n =
      s.pipe().write(std::as_bytes(std::span(buffer, static_cast<std::size_t>(size))), ec);
  s.pipe().set_nowait(false);
  if (ec) {
    *error = errno_for(ec);
    return -1;
  }
  if (n == 0 && size > 0) {  // non-blocking, and the reader's buffer is full
    *error = EAGAIN;
    return -1;
  }
  return static_cast<int>(n);
}

void watch_proc(ClientData data, int mask) {
  channel_state& s = state_of(data);
  s.interest = mask & (TCL_READABLE | TCL_WRITABLE);
  rewatch(s);
}

int get_handle_proc(ClientData data, int, ClientData* handle) {
  channel_state& s = state_of(data);
  int fd = -1;
  if (s.is_server) poll_connect(s);  // a server's socket, listening or not
  if (s.connected)
    fd = data_socket(s);
  else if (s.listening)
    fd = s.listening->socket();
  if (fd < 0) return TCL_ERROR;
  *handle = reinterpret_cast<ClientData>(static_cast<intptr_t>(fd));
  return TCL_OK;
}

int block_mode_proc(ClientData data, int mode) {
  state_of(data).blocking = mode == TCL_MODE_BLOCKING;
  return 0;
}

// A channel moved to another thread (thread::transfer) leaves its file
// handler behind: the notifier of the thread it joins gets one from the
// next watch.
void thread_action_proc(ClientData data, int action) {
  if (action == TCL_CHANNEL_THREAD_REMOVE) unwatch(state_of(data));
}

const Tcl_ChannelType namedpipe_type = {
    "namedpipe",
    TCL_CHANNEL_VERSION_5,
    close_proc,
    input_proc,
    output_proc,
    nullptr,  // seek
    nullptr,  // set option: the generic options only
    nullptr,  // get option
    watch_proc,
    get_handle_proc,
    nullptr,  // close2: no half-close, as Windows pipes have none
    block_mode_proc,
    nullptr,  // flush
    nullptr,  // handler
    nullptr,  // wide seek
    thread_action_proc,
    nullptr,  // truncate
};

Tcl_Channel make(std::unique_ptr<channel_state> s, int mask) {
  static std::atomic<unsigned> counter{0};
  std::string name = "np" + std::to_string(counter.fetch_add(1));
  channel_state* raw = s.release();
  raw->chan = Tcl_CreateChannel(&namedpipe_type, name.c_str(), raw, mask);
  // As TWAPI (and Tcl's socket command): system encoding, line-end
  // translation, no end-of-file character.
  Tcl_SetChannelOption(nullptr, raw->chan, "-translation", "auto crlf");
  Tcl_SetChannelOption(nullptr, raw->chan, "-eofchar", "");
  return raw->chan;
}

// The namedpipe channel under any transforms stacked on `chan`, or null.
Tcl_Channel namedpipe_under(Tcl_Channel chan) {
  while (chan && Tcl_GetChannelType(chan) != &namedpipe_type) chan = Tcl_GetStackedChannel(chan);
  return chan;
}

}  // namespace

Tcl_Channel make_channel(pipe_server server, int mask) {
  auto s = std::make_unique<channel_state>();
  s->is_server = true;
  s->instance = server.impl();
  s->end = s->instance;
  s->server = std::move(server);
  return make(std::move(s), mask);
}

Tcl_Channel make_channel(pipe_client client, int mask) {
  auto s = std::make_unique<channel_state>();
  s->end = client.impl();
  s->client = std::move(client);
  s->connected = true;
  return make(std::move(s), mask);
}

pipe_server* server_of(Tcl_Channel chan) {
  chan = namedpipe_under(chan);
  if (!chan) return nullptr;
  channel_state& s = state_of(Tcl_GetChannelInstanceData(chan));
  return s.is_server ? &s.server : nullptr;
}

bool is_namedpipe(Tcl_Channel chan) {
  return namedpipe_under(chan) != nullptr;
}

}  // namespace conduit::tcl
