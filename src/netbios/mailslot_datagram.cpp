#include "netbios/mailslot_datagram.hpp"

namespace conduit::detail::netbios {
namespace {

constexpr std::string_view mailslot_prefix = "\\MAILSLOT\\";
constexpr std::size_t header_bytes = 14;  // NetBIOS datagram header
constexpr std::size_t smb_header_bytes = 32;
constexpr std::uint8_t smb_com_transaction = 0x25;
constexpr std::uint8_t transaction_words = 17;  // 14 + 3 setup words
// SMB header, WordCount, 17 words, ByteCount: where the name starts.
constexpr std::size_t smb_bytes_offset = smb_header_bytes + 1 + 2 * transaction_words + 2;
constexpr std::uint16_t mailslot_write = 1;
constexpr std::uint32_t windows_timeout_ms = 1000;
constexpr std::uint8_t flag_first = 0x02;
constexpr std::uint8_t flag_more = 0x01;
constexpr std::uint16_t flags2_unicode = 0x8000;

void put_be16(std::vector<std::byte>& out, std::uint16_t v) {
  out.push_back(static_cast<std::byte>(v >> 8));
  out.push_back(static_cast<std::byte>(v & 0xFF));
}
void put_le16(std::vector<std::byte>& out, std::uint16_t v) {
  out.push_back(static_cast<std::byte>(v & 0xFF));
  out.push_back(static_cast<std::byte>(v >> 8));
}
void put_le32(std::vector<std::byte>& out, std::uint32_t v) {
  put_le16(out, static_cast<std::uint16_t>(v & 0xFFFF));
  put_le16(out, static_cast<std::uint16_t>(v >> 16));
}

std::uint8_t u8(std::span<const std::byte> in, std::size_t at) {
  return static_cast<std::uint8_t>(in[at]);
}
std::uint16_t be16(std::span<const std::byte> in, std::size_t at) {
  return static_cast<std::uint16_t>((u8(in, at) << 8) | u8(in, at + 1));
}
std::uint16_t le16(std::span<const std::byte> in, std::size_t at) {
  return static_cast<std::uint16_t>(u8(in, at) | (u8(in, at + 1) << 8));
}

bool prefix_matches(std::span<const std::byte> bytes) {
  if (bytes.size() < mailslot_prefix.size()) return false;
  for (std::size_t i = 0; i < mailslot_prefix.size(); ++i) {
    char c = static_cast<char>(bytes[i]);
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c != mailslot_prefix[i]) return false;
  }
  return true;
}

}  // namespace

bool fits_remote_limits(std::string_view mailslot, std::size_t data_bytes) {
  return data_bytes <= max_remote_message &&
         mailslot_prefix.size() + mailslot.size() + 1 + data_bytes <= max_name_and_data;
}

std::vector<std::byte> encode_mailslot_datagram(const mailslot_datagram& d) {
  std::vector<std::byte> names;
  encode_netbios_name(d.source, names);
  encode_netbios_name(d.destination, names);
  const std::size_t name_bytes = mailslot_prefix.size() + d.mailslot.size() + 1;
  const auto data_count = static_cast<std::uint16_t>(d.data.size());
  const auto data_offset = static_cast<std::uint16_t>(smb_bytes_offset + name_bytes);
  const std::size_t smb_bytes = data_offset + d.data.size();

  std::vector<std::byte> out;
  out.reserve(header_bytes + names.size() + smb_bytes);
  out.push_back(static_cast<std::byte>(d.type));
  out.push_back(static_cast<std::byte>(flag_first));
  put_be16(out, d.id);
  put_be16(out, static_cast<std::uint16_t>(d.source_ip >> 16));
  put_be16(out, static_cast<std::uint16_t>(d.source_ip & 0xFFFF));
  put_be16(out, d.source_port);
  put_be16(out, static_cast<std::uint16_t>(names.size() + smb_bytes));
  put_be16(out, 0);  // PACKET_OFFSET
  out.insert(out.end(), names.begin(), names.end());

  // SMB header: protocol, command; status, flags, flags2, PID, TID, UID
  // and MID all 0, as Windows sends class 2 mailslot writes.
  const std::byte smb_magic[4] = {std::byte{0xFF}, std::byte{'S'}, std::byte{'M'}, std::byte{'B'}};
  out.insert(out.end(), std::begin(smb_magic), std::end(smb_magic));
  out.push_back(static_cast<std::byte>(smb_com_transaction));
  out.insert(out.end(), smb_header_bytes - 5, std::byte{0});

  out.push_back(static_cast<std::byte>(transaction_words));
  put_le16(out, 0);             // TotalParameterCount
  put_le16(out, data_count);    // TotalDataCount
  put_le16(out, 0);             // MaxParameterCount
  put_le16(out, 0);             // MaxDataCount
  out.push_back(std::byte{0});  // MaxSetupCount
  out.push_back(std::byte{0});  // Reserved1
  put_le16(out, 0);             // Flags
  put_le32(out, windows_timeout_ms);
  put_le16(out, 0);  // Reserved2
  put_le16(out, 0);  // ParameterCount
  put_le16(out, 0);  // ParameterOffset
  put_le16(out, data_count);
  put_le16(out, data_offset);
  out.push_back(std::byte{3});  // SetupCount
  out.push_back(std::byte{0});  // Reserved3
  put_le16(out, mailslot_write);
  put_le16(out, d.priority);
  put_le16(out, d.mailslot_class);
  put_le16(out, static_cast<std::uint16_t>(name_bytes + d.data.size()));  // ByteCount
  for (char c : mailslot_prefix) out.push_back(static_cast<std::byte>(c));
  for (char c : d.mailslot) out.push_back(static_cast<std::byte>(c));
  out.push_back(std::byte{0});
  out.insert(out.end(), d.data.begin(), d.data.end());
  return out;
}

decode_result decode_mailslot_datagram(std::span<const std::byte> in, mailslot_datagram& out) {
  if (in.size() > max_datagram_bytes) return decode_result::oversized;
  if (in.size() < header_bytes) return decode_result::malformed;
  const std::uint8_t type = u8(in, 0);
  if (type < 0x10 || type > 0x12) return decode_result::malformed;
  const std::uint8_t flags = u8(in, 1);
  if ((flags & 0xF0) != 0) return decode_result::malformed;  // reserved bits
  if ((flags & flag_more) != 0 || (flags & flag_first) == 0 || be16(in, 12) != 0)
    return decode_result::fragment;
  if (be16(in, 10) != in.size() - header_bytes) return decode_result::malformed;

  mailslot_datagram d;
  d.type = static_cast<datagram_type>(type);
  d.id = be16(in, 2);
  d.source_ip = (static_cast<std::uint32_t>(be16(in, 4)) << 16) | be16(in, 6);
  d.source_port = be16(in, 8);
  std::size_t at = header_bytes;
  if (!decode_netbios_name(in, at, d.source) || !decode_netbios_name(in, at, d.destination))
    return decode_result::malformed;

  // The SMB message: every offset in it counts from its first byte.
  std::span<const std::byte> smb = in.subspan(at);
  if (smb.size() < smb_header_bytes + 1) return decode_result::malformed;
  if (u8(smb, 0) != 0xFF || u8(smb, 1) != 'S' || u8(smb, 2) != 'M' || u8(smb, 3) != 'B')
    return decode_result::malformed;
  if (u8(smb, 4) != smb_com_transaction) return decode_result::not_a_mailslot;
  // Flags2 at 10: Unicode strings are never used for mailslot names.
  if ((le16(smb, 10) & flags2_unicode) != 0) return decode_result::not_a_mailslot;
  if (u8(smb, smb_header_bytes) != transaction_words) return decode_result::not_a_mailslot;
  if (smb.size() < smb_bytes_offset) return decode_result::malformed;
  const std::size_t w = smb_header_bytes + 1;  // the words
  const std::uint16_t total_parameters = le16(smb, w + 0);
  const std::uint16_t total_data = le16(smb, w + 2);
  const std::uint16_t parameter_count = le16(smb, w + 18);
  const std::uint16_t data_count = le16(smb, w + 22);
  const std::uint16_t data_offset = le16(smb, w + 24);
  const std::uint8_t setup_count = u8(smb, w + 26);
  const std::uint16_t opcode = le16(smb, w + 28);
  d.priority = le16(smb, w + 30);
  d.mailslot_class = le16(smb, w + 32);
  const std::uint16_t byte_count = le16(smb, w + 34);
  if (setup_count != 3 || opcode != mailslot_write) return decode_result::not_a_mailslot;
  // One datagram holds the whole message: no secondary requests, no parameters.
  if (total_parameters != 0 || parameter_count != 0 || total_data != data_count)
    return decode_result::malformed;
  if (smb_bytes_offset + byte_count > smb.size()) return decode_result::malformed;
  std::span<const std::byte> bytes = smb.subspan(smb_bytes_offset, byte_count);

  if (!prefix_matches(bytes)) return decode_result::not_a_mailslot;
  std::size_t name_end = mailslot_prefix.size();
  while (name_end < bytes.size() && bytes[name_end] != std::byte{0}) ++name_end;
  if (name_end == bytes.size() || name_end == mailslot_prefix.size())
    return decode_result::malformed;  // no terminating zero, or no name
  const std::size_t data_start = smb_bytes_offset + name_end + 1;
  // The data lies in the bytes, after the name (padding between is allowed).
  if (data_offset < data_start ||
      std::size_t{data_offset} + data_count > smb_bytes_offset + byte_count)
    return decode_result::malformed;
  if (data_count > max_remote_message) return decode_result::oversized;
  d.mailslot.assign(reinterpret_cast<const char*>(bytes.data()) + mailslot_prefix.size(),
                    name_end - mailslot_prefix.size());
  d.data = smb.subspan(data_offset, data_count);
  out = std::move(d);
  return decode_result::ok;
}

const char* to_string(decode_result r) {
  switch (r) {
    case decode_result::ok:
      return "ok";
    case decode_result::oversized:
      return "oversized";
    case decode_result::malformed:
      return "malformed";
    case decode_result::fragment:
      return "fragment";
    case decode_result::not_a_mailslot:
      return "not a mailslot write";
  }
  return "?";
}

}  // namespace conduit::detail::netbios
