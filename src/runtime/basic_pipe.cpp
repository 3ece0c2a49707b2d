// basic_pipe: the public face of pipe_end.
#include "conduit/basic_pipe.hpp"

#include <algorithm>

#include "conduit/error.hpp"
#include "core/throw_error.hpp"
#include "runtime/pipe_end.hpp"

namespace conduit {

using detail::throw_if_error;

namespace {
// Runs `f` on the end, or reports ERROR_INVALID_HANDLE for an empty object.
template <typename F, typename R = std::invoke_result_t<F, detail::pipe_end&>>
R with_end(const std::shared_ptr<detail::pipe_end>& end, std::error_code& ec, F&& f) {
  if (!end) {
    ec = errc::invalid_handle;
    return R{};
  }
  try {
    return f(*end);
  } catch (const std::bad_alloc&) {
    ec = errc::not_enough_memory;
    return R{};
  }
}
}  // namespace

std::size_t basic_pipe::read(std::span<std::byte> buffer) {
  std::error_code ec;
  std::size_t n = read(buffer, ec);
  if (ec != errc::more_data) throw_if_error(ec, "conduit read");
  return n;
}

std::size_t basic_pipe::read(std::span<std::byte> buffer, std::error_code& ec) noexcept {
  ec.clear();
  return with_end(end_, ec, [&](detail::pipe_end& e) { return e.read(buffer, ec); });
}

std::vector<std::byte> basic_pipe::read_message() {
  std::error_code ec;
  auto message = read_message(ec);
  throw_if_error(ec, "conduit read_message");
  return message;
}

std::vector<std::byte> basic_pipe::read_message(std::error_code& ec) {
  ec.clear();
  std::vector<std::byte> message(4096);
  std::size_t got = read(message, ec);
  // Grow while the message goes on, by what has arrived: the length the
  // peer declared is only a claim (a peer that declares gigabytes and sends
  // a page costs a page), so the buffer at most doubles each time.
  while (ec == errc::more_data) {
    std::error_code peek_ec;
    auto seen = peek({}, peek_ec);
    std::size_t left = seen.message_bytes_left;
    std::size_t grow = std::max({std::min(left, seen.bytes_available), got, std::size_t{4096}});
    message.resize(got + (left > 0 ? std::min(grow, left) : grow));
    got += read(std::span(message).subspan(got), ec);
  }
  message.resize(got);
  return message;
}

std::size_t basic_pipe::write(std::span<const std::byte> data) {
  std::error_code ec;
  std::size_t n = write(data, ec);
  throw_if_error(ec, "conduit write");
  return n;
}

std::size_t basic_pipe::write(std::span<const std::byte> data, std::error_code& ec) noexcept {
  ec.clear();
  return with_end(end_, ec, [&](detail::pipe_end& e) { return e.write(data, ec); });
}

peek_result basic_pipe::peek(std::span<std::byte> buffer) {
  std::error_code ec;
  auto result = peek(buffer, ec);
  throw_if_error(ec, "conduit peek");
  return result;
}

peek_result basic_pipe::peek(std::span<std::byte> buffer, std::error_code& ec) noexcept {
  ec.clear();
  return with_end(end_, ec, [&](detail::pipe_end& e) {
    auto counts = e.peek(buffer, ec);
    return peek_result{counts.copied, counts.available, counts.message_left};
  });
}

std::size_t basic_pipe::transact(std::span<const std::byte> request, std::span<std::byte> reply) {
  std::error_code ec;
  std::size_t n = transact(request, reply, ec);
  if (ec != errc::more_data) throw_if_error(ec, "conduit transact");
  return n;
}

std::size_t basic_pipe::transact(std::span<const std::byte> request, std::span<std::byte> reply,
                                 std::error_code& ec) noexcept {
  ec.clear();
  return with_end(end_, ec, [&](detail::pipe_end& e) { return e.transact(request, reply, ec); });
}

void basic_pipe::flush() {
  std::error_code ec;
  flush(ec);
  throw_if_error(ec, "conduit flush");
}

void basic_pipe::flush(std::error_code& ec) noexcept {
  ec.clear();
  with_end(end_, ec, [&](detail::pipe_end& e) {
    e.flush(ec);
    return 0;
  });
}

conduit::read_mode basic_pipe::read_mode() const noexcept {
  return end_ ? end_->current_read_mode() : read_mode::byte;
}

void basic_pipe::set_read_mode(conduit::read_mode mode) {
  std::error_code ec;
  set_read_mode(mode, ec);
  throw_if_error(ec, "conduit set_read_mode");
}

void basic_pipe::set_read_mode(conduit::read_mode mode, std::error_code& ec) noexcept {
  ec.clear();
  with_end(end_, ec, [&](detail::pipe_end& e) {
    e.set_read_mode(mode, ec);
    return 0;
  });
}

bool basic_pipe::nowait() const noexcept {
  return end_ && end_->nowait();
}

void basic_pipe::set_nowait(bool on) noexcept {
  if (end_) end_->set_nowait(on);
}

pipe_info basic_pipe::info() const noexcept {
  return end_ ? end_->info() : pipe_info{};
}

std::uint32_t basic_pipe::current_instances() const {
  std::error_code ec;
  auto n = current_instances(ec);
  throw_if_error(ec, "conduit current_instances");
  return n;
}

std::uint32_t basic_pipe::current_instances(std::error_code& ec) const noexcept {
  ec.clear();
  return with_end(end_, ec, [&](detail::pipe_end& e) { return e.current_instances(ec); });
}

}  // namespace conduit
