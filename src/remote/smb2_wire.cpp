#include "remote/smb2_wire.hpp"

#include <nettle/hmac.h>

#include <cstring>

#include "conduit/error.hpp"
#include "remote/little_endian.hpp"

namespace conduit::detail::remote::smb2 {
namespace {

using span = std::span<const std::uint8_t>;

using namespace le;  // the fields of the messages

std::error_code malformed() {
  return errc::unexp_net_err;
}

// The response body after the header: at least `fixed` bytes, and the
// structure size the command's response declares.
bool body_ok(span message, std::size_t fixed, std::uint16_t structure_size) {
  return message.size() >= header_size + fixed && get16(message, header_size) == structure_size;
}

// A buffer a response points at: offset from the header's start, inside
// the message. An empty one may point anywhere.
bool buffer_at(span message, std::size_t offset, std::size_t length, span& out) {
  if (length == 0) {
    out = {};
    return true;
  }
  if (offset < header_size || offset > message.size() || length > message.size() - offset)
    return false;
  out = message.subspan(offset, length);
  return true;
}

std::array<std::uint8_t, 32> hmac_sha256_of(span message, std::span<const std::uint8_t, 16> key) {
  hmac_sha256_ctx ctx;
  hmac_sha256_set_key(&ctx, key.size(), key.data());
  static constexpr std::uint8_t zeros[16] = {};
  // The signature field counts as zeros.
  hmac_sha256_update(&ctx, 48, message.data());
  hmac_sha256_update(&ctx, 16, zeros);
  hmac_sha256_update(&ctx, message.size() - header_size, message.data() + header_size);
  std::array<std::uint8_t, 32> digest;
  hmac_sha256_digest(&ctx, digest.size(), digest.data());
  return digest;
}

}  // namespace

bytes build(const header& h, std::span<const std::uint8_t> body) {
  bytes m(header_size, 0);
  m[0] = 0xFE;
  m[1] = 'S';
  m[2] = 'M';
  m[3] = 'B';
  put16(m, 4, header_size);
  put16(m, 6, h.credit_charge);
  put32(m, 8, 0);
  put16(m, 12, static_cast<std::uint16_t>(h.cmd));
  put16(m, 14, h.credits);
  put32(m, 16, h.flags);
  put32(m, 20, 0);
  put64(m, 24, h.message_id);
  put32(m, 32, 0xFEFF);  // the process id field, reserved in SMB2
  put32(m, 36, h.tree_id);
  put64(m, 40, h.session_id);
  m.insert(m.end(), body.begin(), body.end());
  return m;
}

std::error_code parse_header(std::span<const std::uint8_t> message, header& out) {
  if (message.size() < header_size || message.size() > max_message) return malformed();
  if (message[0] != 0xFE || message[1] != 'S' || message[2] != 'M' || message[3] != 'B' ||
      get16(message, 4) != header_size)
    return malformed();
  out.credit_charge = get16(message, 6);
  out.status = get32(message, 8);
  out.cmd = static_cast<command>(get16(message, 12));
  out.credits = get16(message, 14);
  out.flags = get32(message, 16);
  out.next_command = get32(message, 20);
  out.message_id = get64(message, 24);
  if (out.flags & flag_async) {
    out.async_id = get64(message, 32);
    out.tree_id = 0;
  } else {
    out.async_id = 0;
    out.tree_id = get32(message, 36);
  }
  out.session_id = get64(message, 40);
  // Only responses, and never compounded ones: this client sends no compounds.
  if (!(out.flags & flag_response) || out.next_command != 0) return malformed();
  return {};
}

void sign(std::span<std::uint8_t> message, std::span<const std::uint8_t, 16> key) {
  std::uint32_t flags = get32(message, 16) | flag_signed;
  for (int i = 0; i < 4; ++i) message[16 + i] = static_cast<std::uint8_t>(flags >> (8 * i));
  auto digest = hmac_sha256_of(message, key);
  std::memcpy(message.data() + 48, digest.data(), 16);
}

bool signature_valid(std::span<const std::uint8_t> message, std::span<const std::uint8_t, 16> key) {
  if (message.size() < header_size) return false;
  auto digest = hmac_sha256_of(message, key);
  std::uint8_t diff = 0;
  for (int i = 0; i < 16; ++i) diff |= static_cast<std::uint8_t>(digest[i] ^ message[48 + i]);
  return diff == 0;
}

bytes negotiate_request(std::span<const std::uint8_t, 16> client_guid) {
  bytes b(36 + 4, 0);
  put16(b, 0, 36);
  put16(b, 2, 2);  // dialect count
  put16(b, 4, signing_enabled);
  put32(b, 8, 0);  // capabilities: none needed for pipes
  std::memcpy(b.data() + 12, client_guid.data(), 16);
  put16(b, 36, dialect_202);
  put16(b, 38, dialect_210);
  return b;
}

bytes session_setup_request(std::span<const std::uint8_t> token) {
  bytes b(24, 0);
  put16(b, 0, 25);
  b[3] = signing_enabled;
  put16(b, 12, header_size + 24);
  put16(b, 14, static_cast<std::uint16_t>(token.size()));
  b.insert(b.end(), token.begin(), token.end());
  return b;
}

bytes logoff_request() {
  bytes b(4, 0);
  put16(b, 0, 4);
  return b;
}

bytes tree_disconnect_request() {
  return logoff_request();  // the same four bytes
}

bytes tree_connect_request(std::span<const std::uint8_t> path) {
  bytes b(8, 0);
  put16(b, 0, 9);
  put16(b, 4, header_size + 8);
  put16(b, 6, static_cast<std::uint16_t>(path.size()));
  b.insert(b.end(), path.begin(), path.end());
  return b;
}

bytes create_request(std::span<const std::uint8_t> name, bool reads, bool writes) {
  // What Windows asks for a pipe: the data, attributes and EAs of the
  // directions wanted, READ_CONTROL and SYNCHRONIZE.
  std::uint32_t access = 0x00120000;
  if (reads) access |= 0x89;    // FILE_READ_DATA, FILE_READ_EA, FILE_READ_ATTRIBUTES
  if (writes) access |= 0x116;  // FILE_WRITE_DATA, FILE_APPEND_DATA, FILE_WRITE_EA, _ATTRIBUTES
  bytes b(56, 0);
  put16(b, 0, 57);
  put32(b, 4, 2);  // SecurityImpersonation
  put32(b, 24, access);
  put32(b, 32, 3);  // FILE_SHARE_READ | FILE_SHARE_WRITE
  put32(b, 36, 1);  // FILE_OPEN
  put16(b, 44, header_size + 56);
  put16(b, 46, static_cast<std::uint16_t>(name.size()));
  b.insert(b.end(), name.begin(), name.end());
  if (name.empty()) b.push_back(0);
  return b;
}

bytes close_request(const file_id& id) {
  bytes b(24, 0);
  put16(b, 0, 24);
  std::memcpy(b.data() + 8, id.data(), id.size());
  return b;
}

bytes read_request(const file_id& id, std::uint32_t length) {
  bytes b(49, 0);
  put16(b, 0, 49);
  b[2] = 0x50;  // where the data would start: right after the response's fixed part
  put32(b, 4, length);
  std::memcpy(b.data() + 16, id.data(), id.size());
  return b;
}

bytes write_request(const file_id& id, std::span<const std::uint8_t> data) {
  bytes b(48, 0);
  put16(b, 0, 49);
  put16(b, 2, header_size + 48);
  put32(b, 4, static_cast<std::uint32_t>(data.size()));
  std::memcpy(b.data() + 16, id.data(), id.size());
  b.insert(b.end(), data.begin(), data.end());
  if (data.empty()) b.push_back(0);
  return b;
}

bytes transceive_request(const file_id& id, std::span<const std::uint8_t> input,
                         std::uint32_t max_output) {
  bytes b(56, 0);
  put16(b, 0, 57);
  put32(b, 4, fsctl_pipe_transceive);
  std::memcpy(b.data() + 8, id.data(), id.size());
  put32(b, 24, header_size + 56);
  put32(b, 28, static_cast<std::uint32_t>(input.size()));
  put32(b, 44, max_output);
  put32(b, 48, 1);  // SMB2_0_IOCTL_IS_FSCTL
  b.insert(b.end(), input.begin(), input.end());
  if (input.empty()) b.push_back(0);
  return b;
}

std::error_code parse_negotiate(std::span<const std::uint8_t> message, negotiate_response& out) {
  if (!body_ok(message, 64, 65)) return malformed();
  span body = message.subspan(header_size);
  out.security_mode = get16(body, 2);
  out.dialect = get16(body, 4);
  out.max_transact = get32(body, 28);
  out.max_read = get32(body, 32);
  out.max_write = get32(body, 36);
  span token;
  if (!buffer_at(message, get16(body, 56), get16(body, 58), token)) return malformed();
  if (out.dialect != dialect_202 && out.dialect != dialect_210) return malformed();
  return {};
}

std::error_code parse_session_setup(std::span<const std::uint8_t> message,
                                    session_setup_response& out) {
  if (!body_ok(message, 8, 9)) return malformed();
  span body = message.subspan(header_size);
  out.session_flags = get16(body, 2);
  if (!buffer_at(message, get16(body, 4), get16(body, 6), out.token)) return malformed();
  return {};
}

std::error_code parse_tree_connect(std::span<const std::uint8_t> message) {
  if (!body_ok(message, 16, 16)) return malformed();
  if (message[header_size + 2] != 0x02) return malformed();  // IPC$ is a pipe share
  return {};
}

std::error_code parse_create(std::span<const std::uint8_t> message, file_id& out) {
  if (!body_ok(message, 88, 89)) return malformed();
  std::memcpy(out.data(), message.data() + header_size + 64, out.size());
  return {};
}

std::error_code parse_read(std::span<const std::uint8_t> message,
                           std::span<const std::uint8_t>& data) {
  if (!body_ok(message, 16, 17)) return malformed();
  span body = message.subspan(header_size);
  if (!buffer_at(message, body[2], get32(body, 4), data)) return malformed();
  return {};
}

std::error_code parse_write(std::span<const std::uint8_t> message, std::uint32_t& count) {
  if (!body_ok(message, 16, 17)) return malformed();
  count = get32(message, header_size + 4);
  return {};
}

std::error_code parse_transceive(std::span<const std::uint8_t> message,
                                 std::span<const std::uint8_t>& output) {
  if (!body_ok(message, 48, 49)) return malformed();
  span body = message.subspan(header_size);
  if (get32(body, 4) != fsctl_pipe_transceive) return malformed();
  if (!buffer_at(message, get32(body, 32), get32(body, 36), output)) return malformed();
  return {};
}

std::error_code error_from_status(std::uint32_t status) {
  switch (status) {
    case status_success:
      return {};
    case status_buffer_overflow:
      return errc::more_data;
    case 0xC000006D:  // STATUS_LOGON_FAILURE
    case 0xC000006A:  // STATUS_WRONG_PASSWORD
    case 0xC0000064:  // STATUS_NO_SUCH_USER
    case 0xC000006E:  // STATUS_ACCOUNT_RESTRICTION
    case 0xC0000071:  // STATUS_PASSWORD_EXPIRED
    case 0xC0000072:  // STATUS_ACCOUNT_DISABLED
    case 0xC0000224:  // STATUS_PASSWORD_MUST_CHANGE
    case 0xC0000234:  // STATUS_ACCOUNT_LOCKED_OUT
      return errc::logon_failure;
    case 0xC0000022:  // STATUS_ACCESS_DENIED
    // smbd 4.17's answer when the pipe's server side closes before
    // answering its open: conduit-smb-bridge refused it (DACL,
    // -denyremote, no instance).
    case 0xC000020C:  // STATUS_CONNECTION_DISCONNECTED
    case 0xC0000241:  // STATUS_CONNECTION_ABORTED
      return errc::access_denied;
    case 0xC0000034:  // STATUS_OBJECT_NAME_NOT_FOUND
    case 0xC000003A:  // STATUS_OBJECT_PATH_NOT_FOUND
    case 0xC000000F:  // STATUS_NO_SUCH_FILE
      return errc::file_not_found;
    case 0xC00000AB:  // STATUS_INSTANCE_NOT_AVAILABLE
    case 0xC00000AC:  // STATUS_PIPE_NOT_AVAILABLE
    case 0xC00000AE:  // STATUS_PIPE_BUSY
      return errc::pipe_busy;
    case 0xC00000B0:  // STATUS_PIPE_DISCONNECTED
      return errc::pipe_not_connected;
    case 0xC000014B:  // STATUS_PIPE_BROKEN
    case 0xC0000011:  // STATUS_END_OF_FILE: a pipe whose server closed
      return errc::broken_pipe;
    case 0xC00000B1:  // STATUS_PIPE_CLOSING
    case 0xC00000D9:  // STATUS_PIPE_EMPTY
      return errc::no_data;
    case 0xC00000AD:  // STATUS_INVALID_PIPE_STATE
      return errc::bad_pipe;
    case 0xC00000BB:  // STATUS_NOT_SUPPORTED
      return errc::not_supported;
    case 0xC0000010:  // STATUS_INVALID_DEVICE_REQUEST
      return errc::invalid_function;
    case 0xC00000CC:  // STATUS_BAD_NETWORK_NAME: no IPC$ share
      return errc::bad_netpath;
    default:
      return errc::unexp_net_err;
  }
}

}  // namespace conduit::detail::remote::smb2
