#include "remote/smb2_session.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "conduit/error.hpp"

namespace conduit::detail::remote::smb2 {
namespace {

// Credits asked for with each request: enough for a read waiting at the
// server while writes go out.
constexpr std::uint16_t credits_wanted = 16;

std::error_code malformed() {
  return errc::unexp_net_err;
}

// Waits until `fd` is ready for `events`, `timeout_ms` at most (-1: no limit).
std::error_code wait_for(int fd, short events, int timeout_ms) {
  pollfd p{fd, events, 0};
  for (;;) {
    int n = ::poll(&p, 1, timeout_ms);
    if (n > 0) return {};
    if (n == 0) return errc::sem_timeout;
    if (errno != EINTR) return error_from_errno(errno);
  }
}

// Reads exactly `size` bytes; the server closing first is a broken pipe.
std::error_code read_exact(int fd, std::uint8_t* to, std::size_t size, int timeout_ms) {
  while (size > 0) {
    if (auto ec = wait_for(fd, POLLIN, timeout_ms)) return ec;
    ssize_t n = ::recv(fd, to, size, MSG_DONTWAIT);
    if (n == 0) return errc::broken_pipe;
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return errc::broken_pipe;
    }
    to += n;
    size -= static_cast<std::size_t>(n);
  }
  return {};
}

std::error_code write_all(int fd, const std::uint8_t* from, std::size_t size) {
  while (size > 0) {
    ssize_t n = ::send(fd, from, size, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errc::broken_pipe;
    }
    from += n;
    size -= static_cast<std::size_t>(n);
  }
  return {};
}

// A TCP connection to host:port, 5 s at most per address.
std::error_code dial(const std::string& host, const std::string& port, unique_fd& out) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0) return errc::bad_netpath;
  std::error_code result = errc::bad_netpath;
  for (addrinfo* a = found; a; a = a->ai_next) {
    unique_fd fd(::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, 0));
    if (!fd) continue;
    // SO_SNDTIMEO bounds connect() too; sends are unbounded afterwards.
    timeval limit{5, 0};
    ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof(limit));
    if (::connect(fd.get(), a->ai_addr, a->ai_addrlen) != 0) continue;
    timeval none{0, 0};
    ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &none, sizeof(none));
    int one = 1;
    ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    out = std::move(fd);
    result = {};
    break;
  }
  ::freeaddrinfo(found);
  return result;
}

}  // namespace

std::error_code session::send_raw(header h, std::span<const std::uint8_t> body, std::uint64_t& id) {
  if (credits_ <= 0) return malformed();  // the server granted none: it cannot be spoken to
  h.message_id = next_id_++;
  h.credits = credits_wanted;
  h.session_id = session_id_;
  if (h.cmd != command::negotiate && h.cmd != command::session_setup && h.cmd != command::logoff)
    h.tree_id = tree_id_;
  --credits_;
  bytes m = build(h, body);
  if (signing_ && h.cmd != command::session_setup) sign(m, session_key_);
  std::uint8_t frame[4] = {0, static_cast<std::uint8_t>(m.size() >> 16),
                           static_cast<std::uint8_t>(m.size() >> 8),
                           static_cast<std::uint8_t>(m.size())};
  if (auto ec = write_all(socket_.get(), frame, 4)) return ec;
  if (auto ec = write_all(socket_.get(), m.data(), m.size())) return ec;
  id = h.message_id;
  return {};
}

std::error_code session::send(command cmd, std::span<const std::uint8_t> body, std::uint64_t& id) {
  header h;
  h.cmd = cmd;
  return send_raw(h, body, id);
}

std::error_code session::receive(response& out, int timeout_ms) {
  std::uint8_t frame[4];
  if (auto ec = read_exact(socket_.get(), frame, 4, timeout_ms)) return ec;
  std::size_t size =
      static_cast<std::size_t>(frame[1]) << 16 | static_cast<std::size_t>(frame[2]) << 8 | frame[3];
  // A direct-TCP frame starts with a zero byte; its size is checked before
  // anything is allocated.
  if (frame[0] != 0 || size < header_size || size > max_message) return malformed();
  out.message.resize(size);
  if (auto ec = read_exact(socket_.get(), out.message.data(), size, timeout_ms)) return ec;
  if (auto ec = parse_header(out.message, out.h)) return ec;
  // Credits granted: a server that grants absurdly many gets no more use of them.
  credits_ += out.h.credits;
  if (credits_ > 8192) credits_ = 8192;
  bool interim = out.h.status == status_pending && (out.h.flags & flag_async);
  if (signing_ && !interim) {
    // A signed answer must carry the session key's signature. An unsigned
    // one is taken only when it carries no data, as an error status (a
    // server does not sign, say, a logon failure): as Samba's client does.
    bool data = out.h.status == status_success || out.h.status == status_buffer_overflow ||
                out.h.status == status_more_processing_required;
    if ((out.h.flags & flag_signed) ? !signature_valid(out.message, session_key_) : data)
      return errc::access_denied;  // not from the server that holds the session key
  }
  return {};
}

std::error_code session::call(command cmd, std::span<const std::uint8_t> body, response& out) {
  std::uint64_t id = 0;
  if (auto ec = send(cmd, body, id)) return ec;
  for (;;) {
    if (auto ec = receive(out, setup_timeout_ms)) return ec;
    if (out.h.message_id != id || out.h.cmd != cmd) return malformed();
    if (out.h.status == status_pending && (out.h.flags & flag_async)) continue;
    return {};
  }
}

std::error_code session::login(const ntlm::credentials& who) {
  // NEGOTIATE
  std::array<std::uint8_t, 16> guid;
  if (::getrandom(guid.data(), guid.size(), 0) != static_cast<ssize_t>(guid.size()))
    guid.fill(0x5A);
  response r;
  {
    header h;
    h.cmd = command::negotiate;
    h.credit_charge = 0;
    std::uint64_t id = 0;
    if (auto ec = send_raw(h, negotiate_request(guid), id)) return ec;
    if (auto ec = receive(r, setup_timeout_ms)) return ec;
    if (r.h.cmd != command::negotiate || r.h.message_id != id) return malformed();
  }
  if (r.h.status != status_success) return errc::not_supported;
  negotiate_response n;
  if (auto ec = parse_negotiate(r.message, n)) return ec;
  max_read_ = std::min<std::uint32_t>(n.max_read, max_io);
  max_write_ = std::min<std::uint32_t>(n.max_write, max_io);
  if (max_read_ == 0 || max_write_ == 0) return malformed();
  bool sign_after_login = n.security_mode & signing_required;

  // SESSION_SETUP, twice: NEGOTIATE_MESSAGE, then AUTHENTICATE_MESSAGE.
  // Raw NTLMSSP, no SPNEGO wrapping: Samba's SPNEGO layer falls back to
  // NTLMSSP when the token starts with its signature.
  if (auto ec = call(command::session_setup, session_setup_request(ntlm::negotiate_message()), r))
    return ec;
  if (r.h.status != status_more_processing_required)
    return r.h.status == status_success ? malformed() : smb2::error_from_status(r.h.status);
  session_id_ = r.h.session_id;
  session_setup_response s;
  if (auto ec = parse_session_setup(r.message, s)) return ec;
  ntlm::challenge c;
  if (auto ec = ntlm::parse_challenge(s.token, c)) return ec;
  ntlm::authenticate_result auth = ntlm::authenticate_message(c, who, ntlm::fresh_entropy());
  session_key_ = auth.session_key;
  // The final SESSION_SETUP response is signed when signing is on.
  signing_ = sign_after_login;
  if (auto ec = call(command::session_setup, session_setup_request(auth.message), r)) {
    // A response that does not carry our signature: the key did not match.
    return ec == errc::access_denied ? std::error_code(errc::logon_failure) : ec;
  }
  if (r.h.status != status_success) {
    auto ec = smb2::error_from_status(r.h.status);
    return ec == errc::access_denied ? std::error_code(errc::logon_failure) : ec;
  }
  if (auto ec = parse_session_setup(r.message, s)) return ec;
  // Never a guest or anonymous session in place of the user's.
  if (s.session_flags & (session_is_guest | session_is_null)) return errc::logon_failure;
  if (s.session_flags & session_encrypt_data) return errc::not_supported;
  return {};
}

std::error_code session::connect(const std::string& host, const std::string& port,
                                 const ntlm::credentials& who) {
  if (auto ec = dial(host, port, socket_)) return ec;
  std::error_code ec = setup(host, who);
  // The server hanging up in the middle of the setup is no pipe's doing.
  return ec == errc::broken_pipe ? std::error_code(errc::unexp_net_err) : ec;
}

std::error_code session::setup(const std::string& host, const ntlm::credentials& who) {
  if (auto ec = login(who)) return ec;
  // TREE_CONNECT \\host\IPC$
  response r;
  bytes path = ntlm::utf16le("\\\\" + host + "\\IPC$");
  if (auto ec = call(command::tree_connect, tree_connect_request(path), r)) return ec;
  if (r.h.status != status_success) {
    auto ec = smb2::error_from_status(r.h.status);
    return ec == errc::access_denied ? ec : std::error_code(errc::bad_netpath);
  }
  if (auto ec = parse_tree_connect(r.message)) return ec;
  tree_id_ = r.h.tree_id;
  return {};
}

std::error_code session::open_pipe(std::string_view name, bool reads, bool writes, file_id& out) {
  response r;
  bytes wide = ntlm::utf16le(name);
  if (wide.size() > 0xFFFF) return errc::filename_exced_range;
  if (auto ec = call(command::create, create_request(wide, reads, writes), r))
    return ec == errc::broken_pipe ? std::error_code(errc::unexp_net_err) : ec;
  if (r.h.status != status_success) return smb2::error_from_status(r.h.status);
  return parse_create(r.message, out);
}

void session::close(const file_id& pipe) {
  std::uint64_t id = 0;
  if (credits_ > 0) (void)send(command::close, close_request(pipe), id);
  if (credits_ > 0) (void)send(command::logoff, logoff_request(), id);
}

}  // namespace conduit::detail::remote::smb2
