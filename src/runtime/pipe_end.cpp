#include "runtime/pipe_end.hpp"

#include "conduit/error.hpp"
#include "runtime/broker_link.hpp"

namespace conduit::detail {

// One synchronous call's hold on the channel: begin_io() to end_io().
class pipe_end::io_scope {
 public:
  io_scope(pipe_end& end, std::error_code& ec) : end_(end), channel_(end.begin_io(ec)) {}
  ~io_scope() {
    if (channel_) end_.end_io();
  }
  io_scope(const io_scope&) = delete;
  io_scope& operator=(const io_scope&) = delete;
  [[nodiscard]] pipe_channel* channel() const { return channel_; }

 private:
  pipe_end& end_;
  pipe_channel* channel_;
};

std::shared_ptr<pipe_channel> pipe_end::channel_for_read(std::error_code& ec) {
  ec.clear();
  auto channel = acquire(ec);
  if (channel && !may_read()) {
    ec = errc::access_denied;
    return nullptr;
  }
  return channel;
}

std::shared_ptr<pipe_channel> pipe_end::channel_for_write(std::error_code& ec) {
  ec.clear();
  auto channel = acquire(ec);
  if (channel && !may_write()) {
    ec = errc::access_denied;
    return nullptr;
  }
  return channel;
}

std::error_code pipe_end::transact_error(pipe_channel& channel) {
  // Only a message pipe read in message mode can pair a reply with a request.
  if (info_.type != pipe_type::message || !message_read_.load()) return errc::bad_pipe;
  if (!may_read() || !may_write()) return errc::access_denied;
  if (channel.has_unread_data()) return errc::pipe_busy;
  return {};
}

std::shared_ptr<pipe_channel> pipe_end::channel_for_transact(std::error_code& ec) {
  ec.clear();
  auto channel = acquire(ec);
  if (!channel) return nullptr;
  if ((ec = transact_error(*channel))) return nullptr;
  return channel;
}

std::size_t pipe_end::read(std::span<std::byte> buffer, std::error_code& ec) {
  ec.clear();
  io_scope io(*this, ec);
  pipe_channel* channel = io.channel();
  if (!channel) return 0;
  if (!may_read()) {
    ec = errc::access_denied;
    return 0;
  }
  std::size_t n = channel->read(buffer, message_read_.load(), nowait_.load(), ec);
  if (ec && ec != errc::more_data) refine(ec);
  return n;
}

std::size_t pipe_end::write(std::span<const std::byte> data, std::error_code& ec) {
  ec.clear();
  io_scope io(*this, ec);
  pipe_channel* channel = io.channel();
  if (!channel) return 0;
  if (!may_write()) {
    ec = errc::access_denied;
    return 0;
  }
  std::size_t n = channel->write(data, nowait_.load(), ec);
  if (ec) refine(ec);
  return n;
}

peek_counts pipe_end::peek(std::span<std::byte> buffer, std::error_code& ec) {
  ec.clear();
  io_scope io(*this, ec);
  pipe_channel* channel = io.channel();
  if (!channel) {
    ec = peek_error(ec);
    return {};
  }
  auto counts = channel->peek(buffer, ec);
  if (ec) refine(ec);
  return counts;
}

std::size_t pipe_end::transact(std::span<const std::byte> request, std::span<std::byte> reply,
                               std::error_code& ec) {
  ec.clear();
  io_scope io(*this, ec);
  pipe_channel* channel = io.channel();
  if (!channel || (ec = transact_error(*channel))) return 0;
  channel->write(request, false, ec);
  if (ec) {
    refine(ec);
    return 0;
  }
  std::size_t n = channel->read(reply, true, false, ec);
  if (ec && ec != errc::more_data) refine(ec);
  return n;
}

void pipe_end::flush(std::error_code& ec) {
  ec.clear();
  io_scope io(*this, ec);
  pipe_channel* channel = io.channel();
  // A server instance waiting for its client has nothing written to wait
  // for: FlushFileBuffers succeeds at once, as on Windows.
  if (ec == errc::pipe_listening) ec.clear();
  if (!channel) return;
  channel->flush(ec);
  if (ec) refine(ec);
}

void pipe_end::set_read_mode(read_mode mode, std::error_code& ec) {
  ec.clear();
  if (mode == read_mode::message && info_.type != pipe_type::message) {
    ec = errc::invalid_parameter;
    return;
  }
  if (mode == read_mode::message && byte_reads_only_) {
    ec = errc::not_supported;
    return;
  }
  message_read_.store(mode == read_mode::message);
}

// The broker identifies a server end by the process's own instances of the
// pipe, so no instance id is sent (the caller checks the handle's rights).
std::string pipe_end::security(std::uint32_t information, std::error_code& ec) const {
  wire::reply reply;
  if ((ec = broker_link::get().call(wire::get_security_request{name_, 0, information}, {}, reply)))
    return {};
  if (reply.names.size() != 1) {
    ec = errc::invalid_security_descr;
    return {};
  }
  return reply.names[0];
}

void pipe_end::set_security(std::uint32_t information, const std::string& sddl,
                            std::error_code& ec) {
  wire::reply reply;
  ec = broker_link::get().call(wire::set_security_request{name_, 0, information, sddl}, {}, reply);
}

std::uint32_t pipe_end::current_instances(std::error_code& ec) const {
  wire::reply reply;
  if ((ec = broker_link::get().call(wire::query_request{name_}, {}, reply))) return 0;
  return reply.cur_instances;
}

}  // namespace conduit::detail
