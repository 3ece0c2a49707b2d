#include "runtime/socket_queue.hpp"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "core/unique_fd.hpp"

namespace conduit::detail {
namespace {

// One sock_diag request for unix socket `inode`, asking for `show`; calls
// `on_attribute(type, data, size)` for each attribute of the answer. False
// when the kernel does not answer for it.
template <typename F>
bool ask_unix_diag(std::uint32_t inode, std::uint32_t show, F on_attribute) {
  // A socket of its own for each question: a forked child shares nothing
  // with its parent, and answers never mix.
  unique_fd nl(::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG));
  if (!nl) return false;
  struct {
    nlmsghdr header;
    unix_diag_req request;
  } question{};
  question.header.nlmsg_len = sizeof(question);
  question.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  question.header.nlmsg_flags = NLM_F_REQUEST;
  question.header.nlmsg_seq = 1;
  question.request.sdiag_family = AF_UNIX;
  question.request.udiag_states = ~0U;
  question.request.udiag_ino = inode;
  question.request.udiag_show = show;
  question.request.udiag_cookie[0] = question.request.udiag_cookie[1] = ~0U;  // any
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  ssize_t sent;
  do {
    sent = ::sendto(nl.get(), &question, sizeof(question), 0, reinterpret_cast<sockaddr*>(&kernel),
                    sizeof(kernel));
  } while (sent < 0 && errno == EINTR);
  if (sent != static_cast<ssize_t>(sizeof(question))) return false;
  alignas(nlmsghdr) std::array<char, 1024> answer;
  ssize_t got;
  do {
    got = ::recv(nl.get(), answer.data(), answer.size(), 0);
  } while (got < 0 && errno == EINTR);
  if (got < static_cast<ssize_t>(sizeof(nlmsghdr))) return false;
  auto* header = reinterpret_cast<nlmsghdr*>(answer.data());
  if (!NLMSG_OK(header, static_cast<std::size_t>(got)) || header->nlmsg_type != SOCK_DIAG_BY_FAMILY)
    return false;
  auto* message = static_cast<unix_diag_msg*>(NLMSG_DATA(header));
  if (header->nlmsg_len < NLMSG_LENGTH(sizeof(*message)) || message->udiag_ino != inode)
    return false;
  auto left = static_cast<int>(header->nlmsg_len - NLMSG_LENGTH(sizeof(*message)));
  auto* attribute = reinterpret_cast<rtattr*>(message + 1);
  for (; RTA_OK(attribute, left); attribute = RTA_NEXT(attribute, left))
    on_attribute(attribute->rta_type, RTA_DATA(attribute), RTA_PAYLOAD(attribute));
  return true;
}

}  // namespace

std::optional<std::size_t> unread_by_peer(int fd, std::uint32_t& peer_inode) {
  if (peer_inode == 0) {
    struct stat st;
    if (::fstat(fd, &st) != 0) return std::nullopt;
    std::uint32_t peer = 0;
    bool answered = ask_unix_diag(static_cast<std::uint32_t>(st.st_ino), UDIAG_SHOW_PEER,
                                  [&](unsigned type, const void* data, std::size_t size) {
                                    if (type == UNIX_DIAG_PEER && size >= sizeof(peer))
                                      std::memcpy(&peer, data, sizeof(peer));
                                  });
    if (!answered || peer == 0) return std::nullopt;
    peer_inode = peer;
  }
  std::optional<std::size_t> unread;
  ask_unix_diag(peer_inode, UDIAG_SHOW_RQLEN,
                [&](unsigned type, const void* data, std::size_t size) {
                  unix_diag_rqlen lengths;
                  if (type != UNIX_DIAG_RQLEN || size < sizeof(lengths)) return;
                  std::memcpy(&lengths, data, sizeof(lengths));
                  unread = lengths.udiag_rqueue;
                });
  return unread;
}

}  // namespace conduit::detail
