#include "win32/pipe_object.hpp"

#include <functional>
#include <vector>

#include "conduit/error.hpp"
#include "runtime/client_end.hpp"
#include "runtime/server_instance.hpp"
#include "runtime/stream_io.hpp"
#include "win32/io_engine.hpp"
#include "win32/io_operation.hpp"
#include "win32/operation_pool.hpp"
#include "win32/status.hpp"
#include "win32/thread_object.hpp"

namespace conduit::win32 {
namespace {

using direction = io_operation::direction;

// A read from a connected pipe, a piece at a time as data comes.
class read_operation final : public io_operation {
 public:
  read_operation(std::shared_ptr<detail::pipe_end> end,
                 std::shared_ptr<detail::pipe_channel> channel, std::span<std::byte> buffer,
                 bool message_read)
      : io_operation(channel->socket(), direction::in),
        end_(std::move(end)),
        channel_(std::move(channel)),
        buffer_(buffer),
        message_read_(message_read) {}

  bool attempt() override {
    std::error_code ec;
    if (!channel_->read_some(buffer_, message_read_, progress_, ec)) return false;
    if (ec && ec != errc::more_data) end_->refine_error(ec);
    finish(error_from_code(ec), progress_.got);
    return true;
  }

  bool stop(DWORD error, bool forced) override {
    // A message taken in part is not lost: the read ends with what it has,
    // and the next read gets the rest.
    if (!forced && message_read_ && progress_.got > 0) {
      finish(ERROR_MORE_DATA, progress_.got);
      return true;
    }
    finish(error, 0);
    return true;
  }

 private:
  std::shared_ptr<detail::pipe_end> end_;
  std::shared_ptr<detail::pipe_channel> channel_;
  std::span<std::byte> buffer_;
  bool message_read_;
  detail::read_progress progress_;
};

// A write (one message on a message pipe), a piece at a time as room comes.
class write_operation final : public io_operation {
 public:
  write_operation(std::shared_ptr<detail::pipe_end> end,
                  std::shared_ptr<detail::pipe_channel> channel, std::span<const std::byte> data)
      : io_operation(channel->socket(), direction::out),
        end_(std::move(end)),
        channel_(std::move(channel)),
        data_(data) {}

  /// A write of its own copy of `data` (a transact's request, which may
  /// still be going out after the call has returned).
  write_operation(std::shared_ptr<detail::pipe_end> end,
                  std::shared_ptr<detail::pipe_channel> channel, std::vector<std::byte> data)
      : write_operation(std::move(end), std::move(channel), std::span<const std::byte>()) {
    owned_ = std::move(data);
    data_ = owned_;
  }

  bool attempt() override {
    std::error_code ec;
    if (!in_pipe_) {
      if (!channel_->write_some(data_, progress_, ec)) return false;
      in_pipe_ = true;
    }
    // In the pipe whole; over the quota, it stays pending until the reader
    // has taken enough, as on Windows.
    if (!ec && !channel_->within_quota(ec)) {
      wait_for_time();
      return false;
    }
    if (ec) {
      end_->refine_error(ec);
      // A write that had to wait when the reader went away reports the pipe
      // as broken; one refused at once, as closing.
      if (went_pending() && ec == errc::no_data) ec = errc::broken_pipe;
    }
    finish(error_from_code(ec), ec ? 0 : data_.size());
    return true;
  }

  [[nodiscard]] bool done_when_issued() const override { return data_.empty(); }

  bool stop(DWORD error, bool forced) override {
    // One waiting on its quota ends; what it wrote stays in the pipe.
    bool half_sent =
        !in_pipe_ && progress_.sent > 0 && progress_.sent < channel_->wire_size(data_.size());
    if (!forced && channel_->message_type() && half_sent) return false;
    finish(error, 0);
    return true;
  }

 private:
  std::shared_ptr<detail::pipe_end> end_;
  std::shared_ptr<detail::pipe_channel> channel_;
  std::vector<std::byte> owned_;
  std::span<const std::byte> data_;
  detail::write_progress progress_;
  bool in_pipe_ = false;  // all of data_ is in the socket
};

// An overlapped ConnectNamedPipe: waits for the connect record on the
// socket the instance listens on.
class connect_operation final : public io_operation {
 public:
  connect_operation(std::shared_ptr<detail::server_instance> server,
                    std::shared_ptr<detail::pipe_channel> listening)
      : io_operation(listening->socket(), direction::in),
        server_(std::move(server)),
        listening_(std::move(listening)) {}

  bool attempt() override {
    std::error_code ec;
    if (!server_->connect_done(listening_, ec)) return false;
    finish(error_from_code(ec), 0);
    return true;
  }

 private:
  std::shared_ptr<detail::server_instance> server_;
  std::shared_ptr<detail::pipe_channel> listening_;
};

// A PIPE_NOWAIT handle's I/O never waits: it runs once, in order with the
// handle's other operations, and ends.
class nowait_operation final : public io_operation {
 public:
  nowait_operation(int fd, direction dir, std::function<std::size_t(std::error_code&)> run)
      : io_operation(fd, dir), run_(std::move(run)) {}

  bool attempt() override {
    std::error_code ec;
    std::size_t n = run_(ec);
    finish(error_from_code(ec), n);
    return true;
  }

 private:
  std::function<std::size_t(std::error_code&)> run_;
};

// A client arriving may be taken by any call on the instance; an overlapped
// connect waiting on the socket would not see it readable any more.
void kick_engine(int fd) {
  io_engine::get().kick(fd);
}

}  // namespace

pipe_object::pipe_object(std::shared_ptr<detail::server_instance> server, bool overlapped,
                         DWORD access)
    : file_object(overlapped, access), end_(server), server_(std::move(server)) {
  server_->set_connect_listener(&kick_engine);
}

pipe_object::pipe_object(std::shared_ptr<detail::client_end> client, bool overlapped, DWORD access)
    : file_object(overlapped, access), end_(client), client_(std::move(client)) {}

void pipe_object::closed_under(std::error_code& ec) const {
  if (ec && closed_.load()) ec = errc::broken_pipe;
}

void pipe_object::last_handle_closed() {
  closed_.store(true);
  abandon_io(ERROR_BROKEN_PIPE);
  if (server_) {
    server_->set_connect_listener(nullptr);
    server_->close();
  } else if (!shared_.load()) {
    client_->shut_down();
  }
}

BOOL pipe_object::connect(const io_request& call) {
  if (!server_) return fail(ERROR_INVALID_FUNCTION, call);
  io_request request = call;
  if (!prepare(request)) return FALSE;
  std::error_code ec;
  connect_status status;
  auto listening = server_->start_connect(status, ec);
  if (!listening) return fail(error_from_code(ec), request);
  if (!overlapped()) {
    // Waits in the calling thread for the connect record, where
    // CancelSynchronousIo can end the wait; a client that another call on
    // the instance took meanwhile has connected all the same.
    begin_in_caller();
    synchronous_io_scope scope;
    while (!server_->connect_done(listening, ec))
      if (!detail::wait_readable(listening->socket(), -1, ec) && ec) break;
    closed_under(ec);
    return completed_in_caller(error_from_code(ec), 0, request);
  }
  return start(std::make_shared<connect_operation>(server_, std::move(listening)), request);
}

BOOL pipe_object::transact(std::span<const std::byte> message, std::span<std::byte> reply,
                           const io_request& call) {
  io_request request = call;
  if (!prepare(request)) return FALSE;
  std::error_code ec;
  if (!overlapped()) {
    // One call of the thread, its request and its reply, which
    // CancelSynchronousIo can end: before the request went out, or while
    // the reply is awaited (the request then stays sent).
    begin_in_caller();
    std::size_t n;
    {
      synchronous_io_scope scope;
      n = end_->transact(message, reply, ec);
    }
    closed_under(ec);
    return completed_in_caller(error_from_code(ec), n, request);
  }
  auto channel = end_->channel_for_transact(ec);
  if (!channel) return fail(error_from_code(ec), request);
  // The request goes out behind earlier writes while the reply is awaited,
  // as Windows queues it without waiting; a cancel of the transact leaves it
  // going.
  auto out = std::make_shared<write_operation>(
      end_, channel, std::vector<std::byte>(message.begin(), message.end()));
  out->internal = true;
  out->owner = this;
  if (io_engine::get().start(out) && out->error() != ERROR_SUCCESS)
    return fail(out->error(), request);
  return start(std::make_shared<read_operation>(end_, std::move(channel), reply, true), request);
}

void pipe_object::flush(std::error_code& ec) {
  end_->flush(ec);
}

// A synchronous handle's reads (and its writes) run one at a time, as
// Windows runs a synchronous file's I/O, each blocking in the calling thread
// in the C++ API's own system calls, where CancelSynchronousIo can end it
// (runtime/interruption.hpp): a message read so ended with part of its
// message reports ERROR_MORE_DATA, a message write that started to go out
// is finished first.
std::size_t pipe_object::read_blocking(std::span<std::byte> buffer, std::error_code& ec) {
  std::lock_guard lock(blocking_[static_cast<int>(direction::in)]);
  synchronous_io_scope scope;
  std::size_t n = end_->read(buffer, ec);
  closed_under(ec);
  return n;
}

std::size_t pipe_object::write_blocking(std::span<const std::byte> data, std::error_code& ec) {
  std::lock_guard lock(blocking_[static_cast<int>(direction::out)]);
  synchronous_io_scope scope;
  std::size_t n = end_->write(data, ec);
  closed_under(ec);
  return n;
}

std::shared_ptr<io_operation> pipe_object::make_read(std::span<std::byte> buffer,
                                                     std::error_code& ec) {
  auto channel = end_->channel_for_read(ec);
  if (!channel) return nullptr;
  if (end_->nowait()) {
    return std::make_shared<nowait_operation>(
        channel->socket(), direction::in,
        [end = end_, buffer](std::error_code& e) { return end->read(buffer, e); });
  }
  bool message_read = end_->current_read_mode() == read_mode::message;
  return make_pooled<read_operation>(end_, std::move(channel), buffer, message_read);
}

std::shared_ptr<io_operation> pipe_object::make_write(std::span<const std::byte> data,
                                                      std::error_code& ec) {
  auto channel = end_->channel_for_write(ec);
  if (!channel) return nullptr;
  if (end_->nowait()) {
    return std::make_shared<nowait_operation>(
        channel->socket(), direction::out,
        [end = end_, data](std::error_code& e) { return end->write(data, e); });
  }
  return make_pooled<write_operation>(end_, std::move(channel), data);
}

}  // namespace conduit::win32
