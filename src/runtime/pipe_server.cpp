// pipe_server: the public face of server_instance.
#include "conduit/pipe_server.hpp"

#include <unistd.h>

#include "conduit/error.hpp"
#include "core/throw_error.hpp"
#include "runtime/server_instance.hpp"
#include "security/impersonation.hpp"

namespace conduit {

using detail::throw_if_error;

pipe_server::pipe_server() noexcept = default;
pipe_server::pipe_server(std::shared_ptr<detail::server_instance> impl) noexcept
    : basic_pipe(std::move(impl)) {}

detail::server_instance* pipe_server::instance() const noexcept {
  return static_cast<detail::server_instance*>(end_.get());
}

std::shared_ptr<detail::server_instance> pipe_server::impl() const noexcept {
  return std::static_pointer_cast<detail::server_instance>(end_);
}
pipe_server::pipe_server(pipe_server&&) noexcept = default;
pipe_server& pipe_server::operator=(pipe_server&& other) noexcept {
  if (this != &other) {
    close();
    end_ = std::move(other.end_);
  }
  return *this;
}
pipe_server::~pipe_server() {
  close();
}

pipe_server pipe_server::create(std::string_view name, const pipe_options& options) {
  std::error_code ec;
  auto server = create(name, options, ec);
  throw_if_error(ec, "conduit::pipe_server::create");
  return server;
}

pipe_server pipe_server::create(std::string_view name, const pipe_options& options,
                                std::error_code& ec) noexcept {
  try {
    return pipe_server(detail::server_instance::create(name, options, ec));
  } catch (const std::bad_alloc&) {
    ec = errc::not_enough_memory;
    return {};
  }
}

connect_status pipe_server::connect() {
  return connect(std::chrono::milliseconds(-1));
}

connect_status pipe_server::connect(std::error_code& ec) noexcept {
  return connect(std::chrono::milliseconds(-1), ec);
}

connect_status pipe_server::connect(std::chrono::milliseconds timeout) {
  std::error_code ec;
  auto status = connect(timeout, ec);
  throw_if_error(ec, "conduit::pipe_server::connect");
  return status;
}

connect_status pipe_server::connect(std::chrono::milliseconds timeout,
                                    std::error_code& ec) noexcept {
  if (!end_) {
    ec = errc::invalid_handle;
    return connect_status::connected;
  }
  auto status = instance()->connect(detail::to_poll_timeout(timeout), ec);
  // Win32 reports a client that came first as an error; here it is a status.
  if (ec == errc::pipe_connected) ec.clear();
  return status;
}

void pipe_server::disconnect() {
  std::error_code ec;
  disconnect(ec);
  throw_if_error(ec, "conduit::pipe_server::disconnect");
}

void pipe_server::disconnect(std::error_code& ec) noexcept {
  if (!end_) {
    ec = errc::invalid_handle;
    return;
  }
  instance()->disconnect(ec);
}

std::uint32_t pipe_server::client_process_id() const {
  std::error_code ec;
  auto pid = client_process_id(ec);
  throw_if_error(ec, "conduit::pipe_server::client_process_id");
  return pid;
}

std::uint32_t pipe_server::client_process_id(std::error_code& ec) const noexcept {
  if (!end_) {
    ec = errc::invalid_handle;
    return 0;
  }
  return instance()->client_process_id(ec);
}

std::uint32_t pipe_server::server_process_id() const noexcept {
  return static_cast<std::uint32_t>(::getpid());
}

conduit::client_identity pipe_server::client_identity() const {
  std::error_code ec;
  auto who = client_identity(ec);
  throw_if_error(ec, "conduit::pipe_server::client_identity");
  return who;
}

conduit::client_identity pipe_server::client_identity(std::error_code& ec) const {
  if (!end_) {
    ec = errc::invalid_handle;
    return {};
  }
  // Asking for the pid takes a client that has arrived but not been seen yet.
  instance()->client_process_id(ec);
  detail::wire::connect_record record;
  if (ec) return {};
  if (!instance()->client_record(record)) {
    ec = errc::not_found;
    return {};
  }
  return detail::identity_of(record);
}

impersonation pipe_server::impersonate_client() {
  std::error_code ec;
  auto guard = impersonate_client(ec);
  throw_if_error(ec, "conduit::pipe_server::impersonate_client");
  return guard;
}

impersonation pipe_server::impersonate_client(std::error_code& ec) noexcept {
  if (!end_) {
    ec = errc::invalid_handle;
    return impersonation(false);
  }
  try {
    detail::wire::connect_record record;
    if (!instance()->impersonation_record(record, ec)) return impersonation(false);
    ec = detail::impersonate_on_this_thread(detail::identity_of(record));
    if (ec) ec = error_from_errno(ec.value());
    return impersonation(!ec);
  } catch (const std::bad_alloc&) {
    ec = errc::not_enough_memory;
    return impersonation(false);
  }
}

// The instance object stays, closed, so that another thread still using this
// pipe_server gets ERROR_INVALID_HANDLE rather than a dangling pointer.
void pipe_server::close() noexcept {
  if (end_) instance()->close();
}

bool pipe_server::is_open() const noexcept {
  return end_ && instance()->is_open();
}

}  // namespace conduit
