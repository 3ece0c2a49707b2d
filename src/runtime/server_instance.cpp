#include "runtime/server_instance.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <climits>
#include <limits>

#include "conduit/error.hpp"
#include "core/object_name.hpp"
#include "core/pipe_flags.hpp"
#include "runtime/stream_io.hpp"

namespace conduit::detail {

int to_poll_timeout(std::chrono::milliseconds timeout) {
  if (timeout.count() < 0 || timeout >= std::chrono::milliseconds(std::numeric_limits<int>::max()))
    return -1;
  return static_cast<int>(timeout.count());
}

void set_write_quota(int fd, std::uint32_t bytes, bool message_type) {
  // Asked for none, a byte pipe keeps Linux's default; a message pipe gets
  // room for several of its largest records at once, so that a long
  // message streams instead of going a record per round trip.
  if (bytes == 0 && message_type) bytes = pipe_channel::default_message_quota;
  if (bytes == 0) return;
  // The channel keeps the quota itself (pipe_channel::set_quota); the
  // socket holds more, up to this hard cap, so that a write that waits on
  // its quota is in the pipe whole, for PeekNamedPipe to count and the
  // reader to take, as on Windows. The kernel doubles what it is given, to
  // cover its own bookkeeping.
  bytes = std::max(bytes, pipe_channel::min_socket_buffer);
  int size = static_cast<int>(std::min<std::uint32_t>(bytes, INT_MAX / 2));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
}

std::shared_ptr<server_instance> server_instance::create(std::string_view name,
                                                         const pipe_options& options,
                                                         std::error_code& ec) {
  // Checked here too so that a bad call fails without a broker round trip;
  // the broker checks again for itself.
  object_name parsed;
  if ((ec = parse_object_name(name, object_kind::pipe, parsed))) return nullptr;
  if (!parsed.local) {
    ec = errc::invalid_name;
    return nullptr;
  }
  auto direction = static_cast<std::uint32_t>(options.direction);
  auto type = static_cast<std::uint32_t>(options.type);
  auto mode = static_cast<std::uint32_t>(options.mode);
  // Enumerations cast from any number: only the values they define pass.
  if (direction == 0 || direction > access_duplex || (type != 0 && type != type_message) ||
      (mode != 0 && mode != readmode_message) || options.max_instances == 0 ||
      options.max_instances > unlimited_instances ||
      (options.type == pipe_type::byte && options.mode == read_mode::message) ||
      options.default_timeout.count() < 0 ||
      options.default_timeout >
          std::chrono::milliseconds(std::numeric_limits<std::uint32_t>::max() - 1) ||
      options.security_descriptor.size() > wire::max_string_bytes) {
    ec = errc::invalid_parameter;
    return nullptr;
  }

  std::shared_ptr<server_instance> self(new server_instance());
  self->open_mode_ = direction | (options.first_instance ? first_pipe_instance : 0) |
                     (options.write_through ? write_through : 0) |
                     (options.write_dac ? open_write_dac : 0);
  self->pipe_mode_ = static_cast<std::uint32_t>(options.type) |
                     static_cast<std::uint32_t>(options.mode) |
                     (options.nowait ? detail::nowait : 0) |
                     (options.reject_remote_clients ? reject_remote_clients : 0);
  instance_page page = instance_page::create(ec);
  if (ec) {
    ec = error_from_errno(ec.value());
    return nullptr;
  }
  page.get()->serial.store(self->serial_, std::memory_order_release);
  self->name_ = std::string(name);
  self->info_.server_end = true;
  self->info_.type = options.type;
  self->info_.out_buffer_size = options.out_buffer_size;
  self->info_.in_buffer_size = options.in_buffer_size;
  self->info_.max_instances = options.max_instances;
  self->message_read_.store(options.mode == read_mode::message);
  self->nowait_.store(options.nowait);

  auto reg = std::make_shared<registration>();
  reg->params.name = std::string(name);
  reg->params.open_mode = self->open_mode_;
  reg->params.pipe_mode = self->pipe_mode_;
  reg->params.max_instances = options.max_instances;
  reg->params.out_buffer = options.out_buffer_size;
  reg->params.in_buffer = options.in_buffer_size;
  reg->params.default_timeout_ms = static_cast<std::uint32_t>(options.default_timeout.count());
  reg->params.security_descriptor = options.security_descriptor;
  reg->page = std::move(page);
  self->registration_ = std::move(reg);
  std::lock_guard lock(self->mutex_);
  if ((ec = self->listen_locked(true))) return nullptr;
  // Later instances keep what the first one asked for.
  self->registration_->params.open_mode &= ~first_pipe_instance;
  return self;
}

server_instance::~server_instance() {
  close();
}

std::error_code server_instance::listen_locked(bool first) {
  int pair[2];
  // Message pipes ride records (see pipe_channel), byte pipes a stream.
  int type = info_.type == pipe_type::message ? SOCK_SEQPACKET : SOCK_STREAM;
  if (::socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, pair) != 0) return error_from_errno(errno);
  if (type == SOCK_SEQPACKET) {
    for (int fd : pair) {
      if (auto ec = name_message_socket(fd)) {
        ::close(pair[0]);
        ::close(pair[1]);
        return ec;
      }
    }
  }
  // Each side's send buffer is the write quota of what it writes: ours is
  // the out buffer, the client's the in buffer.
  set_write_quota(pair[0], info_.out_buffer_size, type == SOCK_SEQPACKET);
  set_write_quota(pair[1], info_.in_buffer_size, type == SOCK_SEQPACKET);
  auto conn = std::make_shared<pipe_channel>(unique_fd(pair[0]), info_.type == pipe_type::message);
  conn->set_quota(info_.out_buffer_size);
  unique_fd client_end(pair[1]);
  std::error_code ec;
  if (first) {
    registration_->listening_endpoint = std::move(client_end);
    registration_->server_end = conn->socket();
    registration_->params.serial = serial_;
    wire::reply reply;
    ec = broker_link::get().register_instance(registration_, reply);
    created_pipe_ = !ec && reply.cur_instances <= 1;
  } else {
    ec = broker_link::get().relisten(registration_, std::move(client_end), conn->socket(), serial_);
  }
  if (ec) return ec;
  channel_ = std::move(conn);
  state_ = state::listening;
  if (io_calls_.load() == 0) retired_.clear();
  return {};
}

bool server_instance::accept_if_arrived_locked(std::error_code& ec) {
  int fd = channel_->socket();
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, 0) != 1 || !(p.revents & POLLIN)) return false;
  std::array<std::byte, wire::connect_record::max_size> buffer;
  ssize_t n = ::recv(fd, buffer.data(), 8, MSG_PEEK | MSG_DONTWAIT);
  if (n == 0) return false;  // no client yet; the endpoint is still ours too
  // A client is here: say so before the record is taken, so that a broker
  // restart from here on never registers the instance listening again with
  // this client's end (whose next reader would be us, reading someone else).
  broker_link::get().mark_connected(registration_);
  std::size_t size = n == 8 ? wire::connect_record_size(std::span(buffer).first(8)) : 0;
  if (size == 0 || ::recv(fd, buffer.data(), size, MSG_WAITALL) != static_cast<ssize_t>(size) ||
      wire::decode_connect_record(std::span(buffer).first(size), client_)) {
    ec = errc::bad_pipe;
    return false;
  }
  state_ = state::connected;
  connected_channel_.store(channel_.get());
  if (connect_listener_) connect_listener_(fd);
  return true;
}

std::shared_ptr<pipe_channel> server_instance::begin_connect_locked(connect_status& status,
                                                                    std::error_code& ec) {
  status = connect_status::connected;
  if (state_ == state::closed) {
    ec = errc::invalid_handle;
    return nullptr;
  }
  auto peer_has_closed = [&] {
    pollfd p{channel_->socket(), POLLRDHUP, 0};
    return ::poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP));
  };
  if (state_ == state::connected) {
    status = connect_status::already_connected;
    ec = peer_has_closed() ? errc::no_data : errc::pipe_connected;
    return nullptr;
  }
  // A connect() that makes the instance listen again was there before any
  // client could come: whoever arrives is "connected", never "already".
  bool relistened = state_ == state::disconnected;
  if (relistened && !registration_) {
    ec = errc::not_supported;  // adopted from another process: see adopt_connected
    return nullptr;
  }
  if (relistened && (ec = listen_locked(false))) return nullptr;

  if (!relistened && accept_if_arrived_locked(ec)) {
    // The client came before connect() was called; it may even have gone.
    status = connect_status::already_connected;
    ec = peer_has_closed() ? errc::no_data : errc::pipe_connected;
    return nullptr;
  }
  if (ec) return nullptr;
  if (nowait_.load()) {
    ec = errc::pipe_listening;
    return nullptr;
  }
  return channel_;
}

connect_status server_instance::connect(int timeout_ms, std::error_code& ec) {
  ec.clear();
  std::unique_lock lock(mutex_);
  connect_status status;
  auto conn = begin_connect_locked(status, ec);
  if (!conn) return status;
  lock.unlock();
  bool arrived = wait_readable(conn->socket(), timeout_ms, ec);
  lock.lock();
  if (ec) return connect_status::connected;
  if (channel_ != conn || state_ != state::listening) {
    ec = errc::operation_aborted;  // closed or disconnected by another thread meanwhile
    return connect_status::connected;
  }
  if (!arrived || !accept_if_arrived_locked(ec)) {
    if (!ec) ec = errc::sem_timeout;
    return connect_status::connected;
  }
  return connect_status::connected;
}

std::shared_ptr<pipe_channel> server_instance::start_connect(connect_status& status,
                                                             std::error_code& ec) {
  ec.clear();
  std::lock_guard lock(mutex_);
  return begin_connect_locked(status, ec);
}

bool server_instance::connect_done(const std::shared_ptr<pipe_channel>& listening,
                                   std::error_code& ec) {
  ec.clear();
  std::lock_guard lock(mutex_);
  if (state_ == state::closed) {
    ec = errc::invalid_handle;
    return true;
  }
  // Another call may have taken the client already, or even seen it go
  // (disconnected since): either way the client did come.
  if (channel_ != listening || state_ != state::listening) return true;
  return accept_if_arrived_locked(ec) || static_cast<bool>(ec);
}

void server_instance::set_connect_listener(std::function<void(int)> listener) {
  std::lock_guard lock(mutex_);
  connect_listener_ = std::move(listener);
}

void server_instance::disconnect(std::error_code& ec) {
  ec.clear();
  std::lock_guard lock(mutex_);
  if (state_ == state::listening && !accept_if_arrived_locked(ec)) {
    if (!ec) ec = errc::pipe_listening;
    return;
  }
  if (state_ == state::disconnected) {
    ec = errc::pipe_not_connected;
    return;
  }
  if (state_ == state::closed) {
    ec = errc::invalid_handle;
    return;
  }
  // Tell the client first, through the page: from here its reads and writes
  // fail with ERROR_PIPE_NOT_CONNECTED and what it has not read is gone.
  // An adopted instance has no page it may write: the shutdown tells.
  if (registration_) broker_link::get().publish_serial(registration_, ++serial_);
  drop_channel_locked(false);
  state_ = state::disconnected;
}

void server_instance::drop_channel_locked(bool keep_up) {
  connected_channel_.store(nullptr);
  if (!channel_) return;
  if (!keep_up) channel_->shut_down();  // wakes threads blocked on it
  retired_.push_back(std::move(channel_));
  if (io_calls_.load() == 0) retired_.clear();
}

pipe_channel* server_instance::begin_io(std::error_code& ec) {
  // Once more after acquire() has taken a client that had arrived.
  for (int attempt = 0; attempt < 2; ++attempt) {
    io_calls_.fetch_add(1);
    if (pipe_channel* channel = connected_channel_.load()) return channel;
    io_calls_.fetch_sub(1, std::memory_order_release);
    // Not connected: the state gives the error, or a client has come.
    if (!acquire(ec)) return nullptr;
  }
  ec = errc::pipe_not_connected;  // connected and disconnected again meanwhile
  return nullptr;
}

std::shared_ptr<pipe_channel> server_instance::acquire(std::error_code& ec) {
  std::lock_guard lock(mutex_);
  switch (state_) {
    case state::listening:
      if (accept_if_arrived_locked(ec)) return channel_;
      if (!ec) ec = errc::pipe_listening;
      return nullptr;
    case state::connected:
      return channel_;
    case state::disconnected:
      ec = errc::pipe_not_connected;
      return nullptr;
    case state::closed:
      break;
  }
  ec = errc::invalid_handle;
  return nullptr;
}

// I/O that ended because we disconnected meanwhile reports the disconnect.
void server_instance::refine(std::error_code& ec) {
  std::lock_guard lock(mutex_);
  if (state_ == state::disconnected) ec = errc::pipe_not_connected;
  if (state_ == state::closed) ec = errc::invalid_handle;
}

bool server_instance::is_open() {
  std::lock_guard lock(mutex_);
  return state_ != state::closed;
}

std::uint32_t server_instance::client_process_id(std::error_code& ec) {
  ec.clear();
  std::lock_guard lock(mutex_);
  if (state_ == state::listening) accept_if_arrived_locked(ec);
  if (state_ != state::connected) {
    ec = state_ == state::closed ? errc::invalid_handle : errc::not_found;
    return 0;
  }
  return client_.client_pid;
}

bool server_instance::client_record(wire::connect_record& out) {
  std::lock_guard lock(mutex_);
  if (state_ != state::connected) return false;
  out = client_;
  return true;
}

bool server_instance::impersonation_record(wire::connect_record& out, std::error_code& ec) {
  ec.clear();
  std::lock_guard lock(mutex_);
  if (state_ == state::listening) accept_if_arrived_locked(ec);
  if (state_ == state::closed) {
    ec = errc::invalid_handle;
    return false;
  }
  // The client stays the one to impersonate after it has closed its end,
  // until the instance is disconnected.
  if (state_ != state::connected || !channel_->has_read_data()) {
    ec = errc::cannot_impersonate;
    return false;
  }
  out = client_;
  return true;
}

bool server_instance::hand_over(bool take_reader, description& out, int& socket,
                                std::error_code& ec) {
  ec.clear();
  std::lock_guard lock(mutex_);
  if (state_ == state::listening) accept_if_arrived_locked(ec);
  if (state_ != state::connected) {
    ec = errc::not_supported;
    return false;
  }
  out = {name_, info_, open_mode_, message_read_.load(), nowait_.load(), client_, {}};
  if (take_reader && info_.type == pipe_type::message) out.reading = channel_->export_read_state();
  socket = channel_->socket();
  handed_over_ = true;
  return true;
}

std::shared_ptr<server_instance> server_instance::adopt_connected(const description& d,
                                                                  unique_fd socket) {
  std::shared_ptr<server_instance> self(new server_instance());
  bool message = d.info.type == pipe_type::message;
  self->channel_ = message ? std::make_shared<pipe_channel>(std::move(socket), true, d.reading)
                           : std::make_shared<pipe_channel>(std::move(socket), false);
  self->channel_->set_quota(d.info.out_buffer_size);
  self->state_ = state::connected;
  self->connected_channel_.store(self->channel_.get());
  self->open_mode_ = d.open_mode;
  self->client_ = d.client;
  self->name_ = d.name;
  self->info_ = d.info;
  self->info_.server_end = true;
  self->message_read_.store(d.message_read && message);
  self->nowait_.store(d.nowait);
  self->handed_over_ = true;
  return self;
}

void server_instance::close() {
  std::lock_guard lock(mutex_);
  if (state_ == state::closed) return;
  // A connection another process holds too stays up for it.
  drop_channel_locked(handed_over_ && state_ == state::connected);
  state_ = state::closed;
  if (registration_) broker_link::get().unregister(registration_);
}

}  // namespace conduit::detail
