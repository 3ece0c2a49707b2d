// pipe_client and wait_named_pipe: the public face of client_end.
#include "conduit/pipe_client.hpp"

#include <unistd.h>

#include <limits>

#include "conduit/error.hpp"
#include "core/object_name.hpp"
#include "core/pipe_flags.hpp"
#include "core/throw_error.hpp"
#include "runtime/broker_link.hpp"
#include "runtime/client_end.hpp"

namespace conduit {

using detail::throw_if_error;

namespace {
// How much longer than its own timeout a wait gives the broker to answer.
constexpr std::chrono::milliseconds wait_reply_margin{250};
}  // namespace

pipe_client::pipe_client() noexcept = default;
pipe_client::pipe_client(std::shared_ptr<detail::client_end> impl) noexcept
    : basic_pipe(std::move(impl)) {}

std::shared_ptr<detail::client_end> pipe_client::impl() const noexcept {
  return std::static_pointer_cast<detail::client_end>(end_);
}
pipe_client::pipe_client(pipe_client&&) noexcept = default;
pipe_client& pipe_client::operator=(pipe_client&&) noexcept = default;
pipe_client::~pipe_client() = default;

pipe_client pipe_client::open(std::string_view name, pipe_access access) {
  std::error_code ec;
  auto client = open(name, access, ec);
  throw_if_error(ec, "conduit::pipe_client::open");
  return client;
}

pipe_client pipe_client::open(std::string_view name, pipe_access access,
                              std::error_code& ec) noexcept {
  return open(name, access, impersonation_level::impersonation, ec);
}

pipe_client pipe_client::open(std::string_view name, pipe_access access,
                              impersonation_level allowed) {
  std::error_code ec;
  auto client = open(name, access, allowed, ec);
  throw_if_error(ec, "conduit::pipe_client::open");
  return client;
}

pipe_client pipe_client::open(std::string_view name, pipe_access access,
                              impersonation_level allowed, std::error_code& ec) noexcept {
  // The default says nothing, as a CreateFile without SECURITY_SQOS_PRESENT.
  std::uint32_t sqos = allowed == impersonation_level::impersonation
                           ? 0
                           : detail::sqos_present |
                                 (static_cast<std::uint32_t>(allowed) << detail::sqos_level_shift);
  try {
    return pipe_client(detail::client_end::open(
        name, detail::access_mask_of(static_cast<std::uint32_t>(access)), sqos, ec));
  } catch (const std::bad_alloc&) {
    ec = errc::not_enough_memory;
    return {};
  }
}

std::uint32_t pipe_client::server_process_id() const noexcept {
  return end_ ? impl()->server_process_id() : 0;
}

std::uint32_t pipe_client::client_process_id() const noexcept {
  return static_cast<std::uint32_t>(::getpid());
}

void pipe_client::close() noexcept {
  end_.reset();
}

bool wait_named_pipe(std::string_view name, std::chrono::milliseconds timeout) {
  std::error_code ec;
  bool ok = wait_named_pipe(name, timeout, ec);
  throw_if_error(ec, "conduit::wait_named_pipe");
  return ok;
}

// Another thread may interrupt the wait (runtime/interruption.hpp):
// WaitNamedPipe that CancelSynchronousIo ends.
bool wait_named_pipe(std::string_view name, std::chrono::milliseconds timeout,
                     std::error_code& ec) noexcept {
  ec.clear();
  try {
    detail::object_name parsed;
    if ((ec = detail::parse_object_name(name, detail::object_kind::pipe, parsed))) return false;
    if (!parsed.local) {
      ec = errc::bad_netpath;
      return false;
    }
    std::uint32_t ms;
    if (timeout == conduit::wait_forever)
      ms = detail::wait_forever;
    else if (timeout.count() <= 0)
      ms = detail::wait_use_default;
    else
      ms = static_cast<std::uint32_t>(
          std::min<std::int64_t>(timeout.count(), detail::wait_forever - 1));
    auto& link = detail::broker_link::get();
    detail::wire::reply reply;
    // How long the broker may take to answer: the wait itself and a margin
    // (a stopped broker must not hang us). A wait for the pipe's own default
    // asks the pipe what that is first.
    std::chrono::milliseconds limit(-1);
    if (ms == detail::wait_use_default) {
      if ((ec = link.call(detail::wire::query_request{std::string(name)}, {}, reply))) return false;
      limit = std::chrono::milliseconds(reply.default_timeout_ms) + wait_reply_margin;
    } else if (ms != detail::wait_forever) {
      limit = std::chrono::milliseconds(ms) + wait_reply_margin;
    }
    // Its own connection: the broker queues waits per connection.
    ec = link.call_alone(detail::wire::wait_request{std::string(name), ms}, reply, limit);
    // Whoever ran out of time, the wait did.
    if (ec == errc::timeout) ec = errc::sem_timeout;
    return !ec;
  } catch (const std::bad_alloc&) {
    ec = errc::not_enough_memory;
    return false;
  }
}

std::size_t call_named_pipe(std::string_view name, std::span<const std::byte> request,
                            std::span<std::byte> reply, std::chrono::milliseconds timeout) {
  std::error_code ec;
  std::size_t n = call_named_pipe(name, request, reply, timeout, ec);
  if (ec != errc::more_data) throw_if_error(ec, "conduit::call_named_pipe");
  return n;
}

std::size_t call_named_pipe(std::string_view name, std::span<const std::byte> request,
                            std::span<std::byte> reply, std::chrono::milliseconds timeout,
                            std::error_code& ec) noexcept {
  auto client = pipe_client::open(name, pipe_access::duplex, ec);
  // All instances busy: wait once for one, as CallNamedPipe does.
  if (ec == errc::pipe_busy && wait_named_pipe(name, timeout, ec))
    client = pipe_client::open(name, pipe_access::duplex, ec);
  if (ec) return 0;
  client.set_read_mode(read_mode::message, ec);
  if (ec) return 0;
  return client.transact(request, reply, ec);
}

}  // namespace conduit
