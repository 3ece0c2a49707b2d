#include "core/wire.hpp"

#include <cerrno>
#include <cstring>
#include <type_traits>

namespace conduit::detail::wire {
namespace {

class writer {
 public:
  void u8(std::uint8_t v) { put(v); }
  void u16(std::uint16_t v) { put(v); }
  void u32(std::uint32_t v) { put(v); }
  void u64(std::uint64_t v) { put(v); }
  void str(std::string_view s) {
    u16(static_cast<std::uint16_t>(s.size()));
    auto bytes = std::as_bytes(std::span(s.data(), s.size()));
    out_.insert(out_.end(), bytes.begin(), bytes.end());
  }
  // Prepends the header once the body is written.
  std::vector<std::byte> finish(message_type type, std::uint32_t request_id) {
    writer head;
    head.u32(magic);
    head.u16(protocol_version);
    head.u16(static_cast<std::uint16_t>(type));
    head.u32(static_cast<std::uint32_t>(header_size + out_.size()));
    head.u32(request_id);
    head.out_.insert(head.out_.end(), out_.begin(), out_.end());
    return std::move(head.out_);
  }
  std::vector<std::byte>& bytes() { return out_; }

 private:
  template <typename T>
  void put(T v) {
    for (std::size_t i = 0; i < sizeof(T); ++i)
      out_.push_back(static_cast<std::byte>((v >> (8 * i)) & 0xFF));
  }
  std::vector<std::byte> out_;
};

// Reads fields in order; any read past the end marks it failed, and every
// later read then yields zero, so callers check ok() once at the end.
class reader {
 public:
  explicit reader(std::span<const std::byte> in) : in_(in) {}
  std::uint8_t u8() { return get<std::uint8_t>(); }
  std::uint16_t u16() { return get<std::uint16_t>(); }
  std::uint32_t u32() { return get<std::uint32_t>(); }
  std::uint64_t u64() { return get<std::uint64_t>(); }
  std::string str() {
    std::size_t n = u16();
    if (!ok_ || n > max_string_bytes || in_.size() - pos_ < n) {
      ok_ = false;
      return {};
    }
    std::string s(reinterpret_cast<const char*>(in_.data() + pos_), n);
    pos_ += n;
    // A name never holds NUL: reject it here so no layer above can be fooled
    // by a truncated C string.
    if (s.find('\0') != std::string::npos) ok_ = false;
    return s;
  }
  [[nodiscard]] bool ok() const { return ok_; }
  [[nodiscard]] bool at_end() const { return pos_ == in_.size(); }

 private:
  template <typename T>
  T get() {
    if (!ok_ || in_.size() - pos_ < sizeof(T)) {
      ok_ = false;
      return 0;
    }
    T v = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i)
      v |= static_cast<T>(std::to_integer<std::uint8_t>(in_[pos_ + i])) << (8 * i);
    pos_ += sizeof(T);
    return v;
  }
  std::span<const std::byte> in_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

std::error_code bad_message() {
  return {EBADMSG, std::generic_category()};
}

struct request_encoder {
  writer& w;
  message_type operator()(const create_instance_request& r) {
    w.str(r.name);
    w.u32(r.open_mode);
    w.u32(r.pipe_mode);
    w.u32(r.max_instances);
    w.u32(r.out_buffer);
    w.u32(r.in_buffer);
    w.u32(r.default_timeout_ms);
    w.u32(r.serial);
    w.str(r.security_descriptor);
    return message_type::create_instance;
  }
  message_type operator()(const listen_request& r) {
    w.u64(r.instance_id);
    w.u32(r.serial);
    return message_type::listen;
  }
  message_type operator()(const close_instance_request& r) {
    w.u64(r.instance_id);
    return message_type::close_instance;
  }
  message_type operator()(const open_request& r) {
    w.str(r.name);
    w.u32(r.desired_access);
    w.u32(r.sqos_flags);
    return message_type::open;
  }
  message_type operator()(const wait_request& r) {
    w.str(r.name);
    w.u32(r.timeout_ms);
    return message_type::wait;
  }
  message_type operator()(const query_request& r) {
    w.str(r.name);
    return message_type::query;
  }
  message_type operator()(const list_request&) { return message_type::list; }
  message_type operator()(const create_mailslot_request& r) {
    w.str(r.name);
    w.u32(r.max_message_size);
    w.str(r.security_descriptor);
    return message_type::create_mailslot;
  }
  message_type operator()(const open_mailslot_request& r) {
    w.str(r.name);
    w.u32(r.desired_access);
    return message_type::open_mailslot;
  }
  message_type operator()(const close_mailslot_request& r) {
    w.u64(r.slot_id);
    return message_type::close_mailslot;
  }
  message_type operator()(const create_event_request& r) {
    w.str(r.name);
    w.u32(r.flags);
    w.u32(r.desired_access);
    w.str(r.security_descriptor);
    return message_type::create_event;
  }
  message_type operator()(const open_event_request& r) {
    w.str(r.name);
    w.u32(r.desired_access);
    return message_type::open_event;
  }
  message_type operator()(const close_event_request& r) {
    w.u64(r.event_id);
    return message_type::close_event;
  }
  message_type operator()(const create_sync_object_request& r) {
    w.str(r.name);
    w.u32(r.kind);
    w.u32(r.maximum);
    w.u32(r.desired_access);
    w.str(r.security_descriptor);
    return message_type::create_sync_object;
  }
  message_type operator()(const open_sync_object_request& r) {
    w.str(r.name);
    w.u32(r.kind);
    w.u32(r.desired_access);
    return message_type::open_sync_object;
  }
  message_type operator()(const mutex_owner_request& r) {
    w.u64(r.event_id);
    w.u32(r.owned);
    return message_type::mutex_owner;
  }
  message_type operator()(const get_security_request& r) {
    w.str(r.name);
    w.u64(r.instance_id);
    w.u32(r.information);
    return message_type::get_security;
  }
  message_type operator()(const set_security_request& r) {
    w.str(r.name);
    w.u64(r.instance_id);
    w.u32(r.information);
    w.str(r.security_descriptor);
    return message_type::set_security;
  }
  message_type operator()(const list_pipes_request& r) {
    w.str(r.start);
    w.u32(r.flags);
    return message_type::list_pipes;
  }
  message_type operator()(const open_remote_request& r) {
    w.str(r.name);
    w.u32(r.desired_access);
    w.u32(r.sqos_flags);
    w.u32(r.client_pid);
    w.u32(r.uid);
    w.u32(r.gid);
    w.u32(r.flags);
    w.u32(static_cast<std::uint32_t>(r.groups.size()));
    for (std::uint32_t g : r.groups) w.u32(g);
    w.str(r.computer_name);
    w.str(r.client_address);
    return message_type::open_remote;
  }
  message_type operator()(const attach_lane_request& r) {
    w.u32(r.cpu);
    return message_type::attach_lane;
  }
};

// Each listed pipe: name, ten numbers, then its servers.
void encode_listing(writer& w, const pipe_listing& listing) {
  w.u32(listing.more ? 1 : 0);
  w.u32(static_cast<std::uint32_t>(listing.pipes.size()));
  for (const auto& p : listing.pipes) {
    w.str(p.name);
    for (std::uint32_t v :
         {p.flags, p.max_instances, p.cur_instances, p.listening, p.open_mode, p.pipe_mode,
          p.out_buffer, p.in_buffer, p.default_timeout_ms, p.owner_uid, p.server_count})
      w.u32(v);
    w.u32(static_cast<std::uint32_t>(p.servers.size()));
    for (const auto& s : p.servers) {
      w.u32(s.pid);
      w.u32(s.uid);
    }
  }
}

// The smallest a listed pipe can be: a name of one byte, eleven numbers and
// a server count. Bounds the pipe count before anything is allocated.
constexpr std::size_t min_listed_pipe_size = 3 + 4 * 12;

bool decode_listing(reader& r, std::size_t bytes_left, pipe_listing& out) {
  std::uint32_t more = r.u32();
  std::uint32_t count = r.u32();
  if (!r.ok() || more > 1 || count > bytes_left / min_listed_pipe_size) return false;
  out.more = more == 1;
  out.pipes.clear();
  for (std::uint32_t i = 0; i < count && r.ok(); ++i) {
    listed_pipe p;
    p.name = r.str();
    p.flags = r.u32();
    p.max_instances = r.u32();
    p.cur_instances = r.u32();
    p.listening = r.u32();
    p.open_mode = r.u32();
    p.pipe_mode = r.u32();
    p.out_buffer = r.u32();
    p.in_buffer = r.u32();
    p.default_timeout_ms = r.u32();
    p.owner_uid = r.u32();
    p.server_count = r.u32();
    std::uint32_t servers = r.u32();
    // What a broker sends is checked too: a listing that does not add up
    // is no listing.
    if (!r.ok() || p.name.empty() || (p.flags & ~listed_pipe::details_visible) != 0 ||
        servers > listed_pipe::max_servers || servers > p.server_count ||
        p.listening > p.cur_instances ||
        (!(p.flags & listed_pipe::details_visible) && (servers != 0 || p.server_count != 0)))
      return false;
    for (std::uint32_t j = 0; j < servers; ++j) p.servers.push_back({r.u32(), r.u32()});
    out.pipes.push_back(std::move(p));
  }
  return r.ok();
}

}  // namespace

std::vector<std::byte> encode(const request& r, std::uint32_t request_id) {
  writer w;
  message_type type = std::visit(request_encoder{w}, r);
  return w.finish(type, request_id);
}

std::vector<std::byte> encode(const reply& r, std::uint32_t request_id) {
  writer w;
  w.u32(r.error);
  w.u64(r.instance_id);
  w.u32(r.server_pid);
  w.u32(r.open_mode);
  w.u32(r.pipe_mode);
  w.u32(r.max_instances);
  w.u32(r.cur_instances);
  w.u32(r.out_buffer);
  w.u32(r.in_buffer);
  w.u32(r.default_timeout_ms);
  w.u32(r.serial);
  w.u32(static_cast<std::uint32_t>(r.names.size()));
  for (const auto& name : r.names) w.str(name);
  if (r.listing) encode_listing(w, *r.listing);
  return w.finish(message_type::reply, request_id);
}

std::error_code decode_header(std::span<const std::byte> packet, header& out) {
  if (packet.size() < header_size || packet.size() > max_message_size) return bad_message();
  reader r(packet);
  out.magic = r.u32();
  out.version = r.u16();
  out.type = r.u16();
  out.length = r.u32();
  out.request_id = r.u32();
  if (out.magic != magic) return bad_message();
  if (out.version != protocol_version) return {EPROTONOSUPPORT, std::generic_category()};
  if (out.length != packet.size()) return bad_message();
  return {};
}

std::error_code decode_request(std::span<const std::byte> packet, header& h, request& out) {
  if (auto ec = decode_header(packet, h)) return ec;
  reader r(packet.subspan(header_size));
  switch (static_cast<message_type>(h.type)) {
    case message_type::create_instance: {
      create_instance_request m;
      m.name = r.str();
      m.open_mode = r.u32();
      m.pipe_mode = r.u32();
      m.max_instances = r.u32();
      m.out_buffer = r.u32();
      m.in_buffer = r.u32();
      m.default_timeout_ms = r.u32();
      m.serial = r.u32();
      m.security_descriptor = r.str();
      out = std::move(m);
      break;
    }
    case message_type::listen: {
      listen_request m;
      m.instance_id = r.u64();
      m.serial = r.u32();
      out = m;
      break;
    }
    case message_type::close_instance:
      out = close_instance_request{r.u64()};
      break;
    case message_type::open: {
      open_request m;
      m.name = r.str();
      m.desired_access = r.u32();
      m.sqos_flags = r.u32();
      out = std::move(m);
      break;
    }
    case message_type::wait: {
      wait_request m;
      m.name = r.str();
      m.timeout_ms = r.u32();
      out = std::move(m);
      break;
    }
    case message_type::query:
      out = query_request{r.str()};
      break;
    case message_type::list:
      out = list_request{};
      break;
    case message_type::create_mailslot: {
      create_mailslot_request m;
      m.name = r.str();
      m.max_message_size = r.u32();
      m.security_descriptor = r.str();
      out = std::move(m);
      break;
    }
    case message_type::open_mailslot: {
      open_mailslot_request m;
      m.name = r.str();
      m.desired_access = r.u32();
      out = std::move(m);
      break;
    }
    case message_type::close_mailslot:
      out = close_mailslot_request{r.u64()};
      break;
    case message_type::create_event: {
      create_event_request m;
      m.name = r.str();
      m.flags = r.u32();
      m.desired_access = r.u32();
      m.security_descriptor = r.str();
      out = std::move(m);
      break;
    }
    case message_type::open_event: {
      open_event_request m;
      m.name = r.str();
      m.desired_access = r.u32();
      out = std::move(m);
      break;
    }
    case message_type::close_event:
      out = close_event_request{r.u64()};
      break;
    case message_type::create_sync_object: {
      create_sync_object_request m;
      m.name = r.str();
      m.kind = r.u32();
      m.maximum = r.u32();
      m.desired_access = r.u32();
      m.security_descriptor = r.str();
      out = std::move(m);
      break;
    }
    case message_type::open_sync_object: {
      open_sync_object_request m;
      m.name = r.str();
      m.kind = r.u32();
      m.desired_access = r.u32();
      out = std::move(m);
      break;
    }
    case message_type::mutex_owner: {
      mutex_owner_request m;
      m.event_id = r.u64();
      m.owned = r.u32();
      out = m;
      break;
    }
    case message_type::get_security: {
      get_security_request m;
      m.name = r.str();
      m.instance_id = r.u64();
      m.information = r.u32();
      out = std::move(m);
      break;
    }
    case message_type::set_security: {
      set_security_request m;
      m.name = r.str();
      m.instance_id = r.u64();
      m.information = r.u32();
      m.security_descriptor = r.str();
      out = std::move(m);
      break;
    }
    case message_type::list_pipes: {
      list_pipes_request m;
      m.start = r.str();
      m.flags = r.u32();
      out = std::move(m);
      break;
    }
    case message_type::open_remote: {
      open_remote_request m;
      m.name = r.str();
      m.desired_access = r.u32();
      m.sqos_flags = r.u32();
      m.client_pid = r.u32();
      m.uid = r.u32();
      m.gid = r.u32();
      m.flags = r.u32();
      std::uint32_t groups = r.u32();
      if (groups > connect_record::max_groups) return bad_message();
      for (std::uint32_t i = 0; i < groups && r.ok(); ++i) m.groups.push_back(r.u32());
      // Their characters are the broker's to judge; their lengths bound
      // what a connect record holds.
      m.computer_name = r.str();
      m.client_address = r.str();
      if (m.computer_name.size() > connect_record::max_computer_name ||
          m.client_address.size() > connect_record::max_client_address)
        return bad_message();
      out = std::move(m);
      break;
    }
    case message_type::attach_lane:
      out = attach_lane_request{r.u32()};
      break;
    default:
      return bad_message();
  }
  if (!r.ok() || !r.at_end()) return bad_message();
  return {};
}

std::error_code decode_reply(std::span<const std::byte> packet, header& h, reply& out) {
  if (auto ec = decode_header(packet, h)) return ec;
  if (h.type != static_cast<std::uint16_t>(message_type::reply)) return bad_message();
  reader r(packet.subspan(header_size));
  out.error = r.u32();
  out.instance_id = r.u64();
  out.server_pid = r.u32();
  out.open_mode = r.u32();
  out.pipe_mode = r.u32();
  out.max_instances = r.u32();
  out.cur_instances = r.u32();
  out.out_buffer = r.u32();
  out.in_buffer = r.u32();
  out.default_timeout_ms = r.u32();
  out.serial = r.u32();
  std::uint32_t count = r.u32();
  if (count > max_message_size / 2) return bad_message();
  out.names.clear();
  for (std::uint32_t i = 0; i < count && r.ok(); ++i) out.names.push_back(r.str());
  out.listing.reset();
  if (r.ok() && !r.at_end()) {
    out.listing.emplace();
    if (!decode_listing(r, packet.size(), *out.listing)) return bad_message();
  }
  if (!r.ok() || !r.at_end()) return bad_message();
  return {};
}

std::size_t fds_expected(const request& r) {
  if (std::holds_alternative<create_instance_request>(r)) return 2;
  if (std::holds_alternative<listen_request>(r)) return 1;
  if (std::holds_alternative<create_mailslot_request>(r)) return 1;
  if (std::holds_alternative<create_event_request>(r)) return 1;
  if (std::holds_alternative<create_sync_object_request>(r)) return 1;
  if (std::holds_alternative<attach_lane_request>(r)) return 1;
  return 0;
}

namespace {

// The tail's size: both strings behind their lengths, padded to 4 bytes.
std::size_t record_tail_size(std::size_t name, std::size_t address) {
  return (4 + name + address + 3) / 4 * 4;
}

}  // namespace

std::vector<std::byte> encode(const connect_record& rec) {
  writer w;
  std::size_t groups = std::min(rec.groups.size(), connect_record::max_groups);
  std::string_view name =
      std::string_view(rec.computer_name).substr(0, connect_record::max_computer_name);
  std::string_view address =
      std::string_view(rec.client_address).substr(0, connect_record::max_client_address);
  std::size_t tail = record_tail_size(name.size(), address.size());
  w.u32(connect_record::record_magic);
  w.u32(static_cast<std::uint32_t>(connect_record::fixed_size + 4 * groups + tail));
  w.u32(rec.client_pid);
  w.u32(rec.uid);
  w.u32(rec.gid);
  w.u32(rec.desired_access);
  w.u32(rec.sqos_flags);
  w.u32(rec.session_id);
  w.u32(rec.serial);
  w.u32(static_cast<std::uint32_t>(groups));
  for (std::size_t i = 0; i < groups; ++i) w.u32(rec.groups[i]);
  w.str(name);
  w.str(address);
  for (std::size_t pad = 4 + name.size() + address.size(); pad < tail; ++pad) w.u8(0);
  return std::move(w.bytes());
}

std::size_t connect_record_size(std::span<const std::byte> prefix) {
  if (prefix.size() < 8) return 0;
  reader r(prefix);
  if (r.u32() != connect_record::record_magic) return 0;
  std::uint32_t size = r.u32();
  if (size < connect_record::fixed_size + connect_record::min_tail ||
      size > connect_record::max_size || size % 4 != 0)
    return 0;
  return size;
}

std::error_code decode_connect_record(std::span<const std::byte> bytes, connect_record& out) {
  // connect_record_size says 0 for anything too short to be a record, and an
  // empty span is that short: it must not pass as a record of size 0.
  std::size_t size = connect_record_size(bytes);
  if (size == 0 || size != bytes.size()) return bad_message();
  reader r(bytes.subspan(8));
  out.client_pid = r.u32();
  out.uid = r.u32();
  out.gid = r.u32();
  out.desired_access = r.u32();
  out.sqos_flags = r.u32();
  out.session_id = r.u32();
  out.serial = r.u32();
  std::uint32_t groups = r.u32();
  if (groups > connect_record::max_groups) return bad_message();
  out.groups.clear();
  for (std::uint32_t i = 0; i < groups; ++i) out.groups.push_back(r.u32());
  out.computer_name = r.str();
  out.client_address = r.str();
  if (!r.ok() || out.computer_name.size() > connect_record::max_computer_name ||
      out.client_address.size() > connect_record::max_client_address ||
      connect_record::fixed_size + 4 * static_cast<std::size_t>(groups) +
              record_tail_size(out.computer_name.size(), out.client_address.size()) !=
          bytes.size())
    return bad_message();
  // The padding is zeros, so that a record has one encoding.
  while (!r.at_end())
    if (r.u8() != 0) return bad_message();
  if (!r.ok()) return bad_message();
  return {};
}

}  // namespace conduit::detail::wire
