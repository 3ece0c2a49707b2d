// mailslot_server and mailslot_client: the public faces of mailslot_reader
// and mailslot_writer.
#include "conduit/mailslot.hpp"

#include <type_traits>

#include "conduit/error.hpp"
#include "core/pipe_flags.hpp"
#include "core/throw_error.hpp"
#include "runtime/mailslot_reader.hpp"
#include "runtime/mailslot_writer.hpp"

namespace conduit {

using detail::throw_if_error;

namespace {

// Runs `f` on the object, or reports ERROR_INVALID_HANDLE for an empty one;
// memory running out is an error code, never an exception here.
template <typename T, typename F, typename R = std::invoke_result_t<F, T&>>
R with(const std::shared_ptr<T>& impl, std::error_code& ec, F&& f) noexcept {
  ec.clear();
  if (!impl) {
    ec = errc::invalid_handle;
    return R{};
  }
  try {
    return f(*impl);
  } catch (const std::bad_alloc&) {
    ec = errc::not_enough_memory;
    return R{};
  }
}

}  // namespace

// mailslot_server

mailslot_server::mailslot_server() noexcept = default;
mailslot_server::mailslot_server(std::shared_ptr<detail::mailslot_reader> reader) noexcept
    : reader_(std::move(reader)) {}
mailslot_server::mailslot_server(mailslot_server&&) noexcept = default;
mailslot_server& mailslot_server::operator=(mailslot_server&& other) noexcept {
  if (this != &other) {
    close();
    reader_ = std::move(other.reader_);
  }
  return *this;
}
mailslot_server::~mailslot_server() {
  close();
}

mailslot_server mailslot_server::create(std::string_view name, const mailslot_options& options) {
  std::error_code ec;
  auto slot = create(name, options, ec);
  throw_if_error(ec, "conduit::mailslot_server::create");
  return slot;
}

mailslot_server mailslot_server::create(std::string_view name, const mailslot_options& options,
                                        std::error_code& ec) noexcept {
  try {
    return mailslot_server(detail::mailslot_reader::create(name, options, ec));
  } catch (const std::bad_alloc&) {
    ec = errc::not_enough_memory;
    return {};
  }
}

std::size_t mailslot_server::read(std::span<std::byte> buffer) {
  std::error_code ec;
  std::size_t n = read(buffer, ec);
  throw_if_error(ec, "conduit::mailslot_server::read");
  return n;
}

std::size_t mailslot_server::read(std::span<std::byte> buffer, std::error_code& ec) noexcept {
  return with(reader_, ec,
              [&](detail::mailslot_reader& r) { return r.read(buffer, r.read_timeout_ms(), ec); });
}

std::vector<std::byte> mailslot_server::read_message() {
  std::error_code ec;
  auto message = read_message(ec);
  throw_if_error(ec, "conduit::mailslot_server::read_message");
  return message;
}

std::vector<std::byte> mailslot_server::read_message(std::error_code& ec) noexcept {
  return with(reader_, ec,
              [&](detail::mailslot_reader& r) { return r.read_message(r.read_timeout_ms(), ec); });
}

mailslot_info mailslot_server::info() const {
  std::error_code ec;
  auto result = info(ec);
  throw_if_error(ec, "conduit::mailslot_server::info");
  return result;
}

mailslot_info mailslot_server::info(std::error_code& ec) const noexcept {
  return with(reader_, ec, [&](detail::mailslot_reader& r) { return r.info(ec); });
}

void mailslot_server::set_read_timeout(std::chrono::milliseconds timeout) {
  std::error_code ec;
  set_read_timeout(timeout, ec);
  throw_if_error(ec, "conduit::mailslot_server::set_read_timeout");
}

void mailslot_server::set_read_timeout(std::chrono::milliseconds timeout,
                                       std::error_code& ec) noexcept {
  with(reader_, ec, [&](detail::mailslot_reader& r) {
    std::uint32_t ms = 0;
    if (!detail::to_read_timeout_ms(timeout, ms)) {
      ec = errc::invalid_parameter;
    } else if (!r.is_open()) {
      ec = errc::invalid_handle;
    } else {
      r.set_read_timeout_ms(ms);
    }
    return 0;
  });
}

// The reader object stays, closed, so that another thread still using this
// mailslot_server gets ERROR_INVALID_HANDLE rather than a dangling pointer.
void mailslot_server::close() noexcept {
  if (reader_) reader_->close();
}

bool mailslot_server::is_open() const noexcept {
  return reader_ && reader_->is_open();
}

// mailslot_client

mailslot_client::mailslot_client() noexcept = default;
mailslot_client::mailslot_client(std::shared_ptr<detail::mailslot_writer> writer) noexcept
    : writer_(std::move(writer)) {}
mailslot_client::mailslot_client(mailslot_client&&) noexcept = default;
mailslot_client& mailslot_client::operator=(mailslot_client&& other) noexcept {
  if (this != &other) {
    close();
    writer_ = std::move(other.writer_);
  }
  return *this;
}
mailslot_client::~mailslot_client() {
  close();
}

mailslot_client mailslot_client::open(std::string_view name) {
  std::error_code ec;
  auto client = open(name, ec);
  throw_if_error(ec, "conduit::mailslot_client::open");
  return client;
}

mailslot_client mailslot_client::open(std::string_view name, std::error_code& ec) noexcept {
  try {
    // GENERIC_WRITE with FILE_SHARE_READ, as a Windows writer opens a slot.
    return mailslot_client(detail::mailslot_writer::open(name, detail::want_write, ec));
  } catch (const std::bad_alloc&) {
    ec = errc::not_enough_memory;
    return {};
  }
}

std::size_t mailslot_client::write(std::span<const std::byte> data) {
  std::error_code ec;
  std::size_t n = write(data, ec);
  throw_if_error(ec, "conduit::mailslot_client::write");
  return n;
}

std::size_t mailslot_client::write(std::span<const std::byte> data, std::error_code& ec) noexcept {
  return with(writer_, ec, [&](detail::mailslot_writer& w) { return w.write(data, ec); });
}

std::uint32_t mailslot_client::max_message_size() const noexcept {
  return writer_ ? writer_->max_message_size() : 0;
}

std::uint32_t mailslot_client::server_process_id() const noexcept {
  return writer_ ? writer_->reader_pid() : 0;
}

void mailslot_client::close() noexcept {
  if (writer_) writer_->close();
}

bool mailslot_client::is_open() const noexcept {
  return writer_ && writer_->is_open();
}

}  // namespace conduit
