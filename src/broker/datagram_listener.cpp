#include "broker/datagram_listener.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "broker/log.hpp"
#include "core/object_name.hpp"
#include "netbios/mailslot_datagram.hpp"
#include "netbios/netbios_name.hpp"

namespace conduit::broker {
namespace {

namespace nb = detail::netbios;
using clock = std::chrono::steady_clock;

constexpr auto retry_interval = std::chrono::milliseconds(1);
constexpr auto give_up_after = std::chrono::milliseconds(100);
constexpr auto counters_interval = std::chrono::milliseconds(100);
// What the kernel may hold for the listener while a slot's reader catches up.
constexpr int receive_buffer_bytes = 4 << 20;

bool for_this_machine(const nb::mailslot_datagram& d, const nb::netbios_settings& s) {
  if (d.destination.scope != s.scope) return false;
  if (d.type == nb::datagram_type::direct_unique)
    return nb::same_name(d.destination.name, s.name) ||
           nb::same_name(d.destination.name, "*SMBSERVER");
  return nb::same_name(d.destination.name, s.workgroup);
}

}  // namespace

bool datagram_listener::start(const nb::netbios_settings& settings,
                              const std::string& runtime_dir) {
  settings_ = settings;
  counters_path_ = runtime_dir + "/datagram-counters";
  detail::unique_fd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!s) {
    log_errno(log_level::error, "no UDP socket for mailslot datagrams", errno);
    return false;
  }
  // No SO_REUSEADDR: sharing the port with Samba's nmbd would hand each
  // unicast datagram to one of the two at random.
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(settings.port);
  addr.sin_addr.s_addr = htonl(INADDR_ANY);
  if (::bind(s.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    int e = errno;
    const char* hint = "";
    if (e == EADDRINUSE)
      hint =
          " (another program has it: Samba's nmbd takes port 138; give conduitd "
          "--netbios-port, or stop nmbd)";
    if (e == EACCES) hint = " (ports below 1024 need root or CAP_NET_BIND_SERVICE)";
    log(log_level::warning, "cannot listen for mailslot datagrams on UDP port " +
                                std::to_string(settings.port) + ": " + std::strerror(e) + hint +
                                "; messages from other machines will not arrive");
    return false;
  }
  // Root may go past net.core.rmem_max; anyone else gets what it allows.
  if (::setsockopt(s.get(), SOL_SOCKET, SO_RCVBUFFORCE, &receive_buffer_bytes,
                   sizeof(receive_buffer_bytes)) != 0)
    (void)::setsockopt(s.get(), SOL_SOCKET, SO_RCVBUF, &receive_buffer_bytes,
                       sizeof(receive_buffer_bytes));
  socket_ = std::move(s);
  log(log_level::notice, "mailslot datagrams on UDP port " + std::to_string(settings.port) +
                             " for " + settings.name + " in workgroup " + settings.workgroup +
                             (settings.scope.empty() ? "" : ", scope " + settings.scope));
  write_counters();
  return true;
}

void datagram_listener::on_readable(mailslot_namespace& slots) {
  std::array<std::byte, nb::max_datagram_bytes + 1> buffer;
  // A bounded batch, as for connections: peers wait their turn too.
  for (int budget = 64; budget > 0 && !pending_; --budget) {
    ssize_t n = ::recv(socket_.get(), buffer.data(), buffer.size(), MSG_TRUNC);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;  // EAGAIN; or an ICMP error from an earlier send: nothing to read
    }
    ++counters_.received;
    mark_dirty();
    if (static_cast<std::size_t>(n) > nb::max_datagram_bytes) {
      drop(counters_.oversized, "oversized datagram");
      continue;
    }
    take(std::span(buffer).first(static_cast<std::size_t>(n)), slots);
  }
}

bool datagram_listener::take(std::span<const std::byte> packet, mailslot_namespace& slots) {
  nb::mailslot_datagram d;
  switch (nb::decode_mailslot_datagram(packet, d)) {
    case nb::decode_result::ok:
      break;
    case nb::decode_result::oversized:
      drop(counters_.oversized, "oversized datagram");
      return true;
    case nb::decode_result::not_a_mailslot:
      drop(counters_.not_mailslot, "datagram that is no mailslot write");
      return true;
    case nb::decode_result::malformed:
    case nb::decode_result::fragment:
      drop(counters_.malformed, "malformed datagram");
      return true;
  }
  if (!for_this_machine(d, settings_)) {
    ++counters_.not_for_us;  // normal on a shared network: not logged
    return true;
  }
  // The slot's name by the rules of local names (UTF-8, length, case).
  detail::object_name name;
  if (detail::parse_object_name("\\\\.\\mailslot\\" + d.mailslot, detail::object_kind::mailslot,
                                name)) {
    drop(counters_.malformed, "datagram with an invalid mailslot name");
    return true;
  }
  switch (slots.deliver_remote(name.key, d.data)) {
    case remote_delivery::delivered:
      ++counters_.delivered;
      return true;
    case remote_delivery::no_slot:
      ++counters_.no_slot;  // as normal as not_for_us for a broadcast
      return true;
    case remote_delivery::denied:
      drop(counters_.denied, "datagram for a slot whose DACL refuses the network (NU)");
      return true;
    case remote_delivery::too_large:
      drop(counters_.too_large, "datagram over its slot's maximum message size");
      return true;
    case remote_delivery::queue_full:
      break;
  }
  auto now = clock::now();
  pending_ = pending_message{name.key, std::vector<std::byte>(d.data.begin(), d.data.end()),
                             now + give_up_after, now + retry_interval};
  return false;
}

void datagram_listener::on_timer(mailslot_namespace& slots) {
  auto now = clock::now();
  if (pending_ && now >= pending_->retry_at) {
    switch (slots.deliver_remote(pending_->key, pending_->message)) {
      case remote_delivery::queue_full:
        if (now < pending_->given_up_at) {
          pending_->retry_at = now + retry_interval;
          break;
        }
        drop(counters_.queue_full, "datagram whose slot's queue stayed full for 100 ms");
        pending_.reset();
        break;
      case remote_delivery::delivered:
        ++counters_.delivered;
        pending_.reset();
        break;
      default:
        ++counters_.no_slot;  // its slot went, or changed, meanwhile
        pending_.reset();
        break;
    }
    mark_dirty();
  }
  if (dirty_ && now >= next_write_) write_counters();
}

std::optional<clock::time_point> datagram_listener::next_deadline() const {
  std::optional<clock::time_point> soonest;
  if (pending_) soonest = pending_->retry_at;
  if (dirty_ && (!soonest || next_write_ < *soonest)) soonest = next_write_;
  return soonest;
}

void datagram_listener::mark_dirty() {
  if (!dirty_ && next_write_ < clock::now()) next_write_ = clock::now() + counters_interval;
  dirty_ = true;
}

void datagram_listener::drop(std::uint64_t& counter, const char* why) {
  ++counter;
  mark_dirty();
  if (counter == 1 || counter % 1000 == 0)
    log(log_level::notice,
        std::string("dropped a ") + why + " (" + std::to_string(counter) + " so far)");
}

void datagram_listener::write_counters() {
  dirty_ = false;
  next_write_ = clock::now() + counters_interval;
  const datagram_counters& c = counters_;
  char text[512];
  int n = std::snprintf(
      text, sizeof(text),
      "received %llu\ndelivered %llu\nmalformed %llu\noversized %llu\n"
      "not_for_us %llu\nnot_mailslot %llu\nno_slot %llu\ndenied %llu\n"
      "too_large %llu\nqueue_full %llu\n",
      static_cast<unsigned long long>(c.received), static_cast<unsigned long long>(c.delivered),
      static_cast<unsigned long long>(c.malformed), static_cast<unsigned long long>(c.oversized),
      static_cast<unsigned long long>(c.not_for_us),
      static_cast<unsigned long long>(c.not_mailslot), static_cast<unsigned long long>(c.no_slot),
      static_cast<unsigned long long>(c.denied), static_cast<unsigned long long>(c.too_large),
      static_cast<unsigned long long>(c.queue_full));
  // Written whole, then renamed: a reader never sees half a file.
  std::string temporary = counters_path_ + ".new";
  detail::unique_fd f(
      ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644));
  if (!f) return;
  if (::write(f.get(), text, static_cast<std::size_t>(n)) == n)
    (void)::rename(temporary.c_str(), counters_path_.c_str());
}

}  // namespace conduit::broker
