#include "runtime/mailslot_datagram_sender.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <sys/random.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "conduit/error.hpp"
#include "netbios/netbios_name.hpp"
#include "netbios/netbios_settings.hpp"

namespace conduit::detail {
namespace {

namespace nb = netbios;

// The IPv4 address `host` resolves to, if any.
bool resolve(const std::string& host, in_addr& out) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0 || !found) return false;
  out = reinterpret_cast<const sockaddr_in*>(found->ai_addr)->sin_addr;
  ::freeaddrinfo(found);
  return true;
}

bool is_ipv4_literal(const std::string& host) {
  in_addr a{};
  return ::inet_pton(AF_INET, host.c_str(), &a) == 1;
}

// This machine's address on the way to `to`: what a connected UDP socket
// gets (no packet is sent by connect).
std::uint32_t source_towards(const sockaddr_in& to) {
  unique_fd probe(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!probe || ::connect(probe.get(), reinterpret_cast<const sockaddr*>(&to), sizeof(to)) != 0)
    return 0;
  sockaddr_in self{};
  socklen_t len = sizeof(self);
  if (::getsockname(probe.get(), reinterpret_cast<sockaddr*>(&self), &len) != 0) return 0;
  return ntohl(self.sin_addr.s_addr);
}

// Network trouble on the way out is the path's fault; anything else (no
// memory, no buffer) is reported as it is.
std::error_code send_error(int e) {
  switch (e) {
    case ENETUNREACH:
    case EHOSTUNREACH:
    case ENETDOWN:
    case EADDRNOTAVAIL:
    case EACCES:  // a broadcast the system refuses
    case EPERM:   // a firewall rule
      return errc::bad_netpath;
    default:
      return error_from_errno(e);
  }
}

}  // namespace

std::shared_ptr<mailslot_datagram_sender> mailslot_datagram_sender::open(const object_name& name,
                                                                         std::error_code& ec) {
  ec.clear();
  const nb::netbios_settings settings = nb::settings_from_environment();
  std::shared_ptr<mailslot_datagram_sender> self(new mailslot_datagram_sender());
  auto& h = self->header_;
  h.source = {settings.name, nb::suffix_workstation, settings.scope};
  h.mailslot = name.path;

  in_addr unicast{};
  const bool to_workgroup =
      name.host == "*" || nb::same_name(nb::netbios_form(name.host), settings.workgroup);
  if (!to_workgroup && resolve(name.host, unicast)) {
    h.type = nb::datagram_type::direct_unique;
    // An address names no NetBIOS name: Windows then speaks to the
    // wildcard server name, which every host answers to.
    h.destination =
        is_ipv4_literal(name.host)
            ? nb::netbios_name{"*SMBSERVER", nb::suffix_server, settings.scope}
            : nb::netbios_name{nb::netbios_form(name.host), nb::suffix_workstation, settings.scope};
    target t;
    t.address.sin_family = AF_INET;
    t.address.sin_port = htons(settings.port);
    t.address.sin_addr = unicast;
    t.source_ip = source_towards(t.address);
    self->targets_.push_back(t);
  } else {
    self->group_ = true;
    h.type = nb::datagram_type::direct_group;
    h.destination = {to_workgroup ? settings.workgroup : nb::netbios_form(name.host),
                     nb::suffix_workstation, settings.scope};
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0) {
      ec = error_from_errno(errno);
      return nullptr;
    }
    for (ifaddrs* i = list; i; i = i->ifa_next) {
      if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || !i->ifa_broadaddr) continue;
      if ((i->ifa_flags & IFF_UP) == 0 || (i->ifa_flags & IFF_BROADCAST) == 0 ||
          (i->ifa_flags & IFF_LOOPBACK) != 0)
        continue;
      target t;
      t.address = *reinterpret_cast<const sockaddr_in*>(i->ifa_broadaddr);
      t.address.sin_port = htons(settings.port);
      t.source_ip = ntohl(reinterpret_cast<const sockaddr_in*>(i->ifa_addr)->sin_addr.s_addr);
      self->targets_.push_back(t);
    }
    ::freeifaddrs(list);
    if (self->targets_.empty()) {
      ec = errc::bad_netpath;
      return nullptr;
    }
  }
  self->socket_.reset(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!self->socket_) {
    ec = error_from_errno(errno);
    return nullptr;
  }
  int on = 1;
  if (self->group_ &&
      ::setsockopt(self->socket_.get(), SOL_SOCKET, SO_BROADCAST, &on, sizeof(on)) != 0) {
    ec = error_from_errno(errno);
    return nullptr;
  }
  std::uint16_t id = 0;
  if (::getrandom(&id, sizeof(id), GRND_NONBLOCK) == sizeof(id)) self->next_id_.store(id);
  return self;
}

std::size_t mailslot_datagram_sender::write(std::span<const std::byte> data, std::error_code& ec) {
  ec.clear();
  if (!nb::fits_remote_limits(header_.mailslot, data.size())) {
    ec = errc::invalid_parameter;
    return 0;
  }
  nb::mailslot_datagram d = header_;
  d.id = next_id_.fetch_add(1);
  d.data = data;
  bool sent = false;
  int last_error = 0;
  for (const target& t : targets_) {
    d.source_ip = t.source_ip;
    const auto packet = nb::encode_mailslot_datagram(d);
    for (int attempt = 0; attempt < 3; ++attempt) {
      ssize_t n = ::sendto(socket_.get(), packet.data(), packet.size(), MSG_NOSIGNAL,
                           reinterpret_cast<const sockaddr*>(&t.address), sizeof(t.address));
      if (n >= 0) {
        sent = true;
        break;
      }
      last_error = errno;
      // EINTR, or an ICMP error an earlier datagram drew: not this one's.
      if (errno != EINTR && errno != ECONNREFUSED) break;
    }
  }
  if (!sent) {
    ec = send_error(last_error);
    return 0;
  }
  return data.size();
}

}  // namespace conduit::detail
