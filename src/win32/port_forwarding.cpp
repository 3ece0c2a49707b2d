#include "win32/port_forwarding.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

#include "core/socket_kind.hpp"
#include "win32/file_object.hpp"

namespace conduit::win32 {
namespace {

// What goes through the socket: the packet without its key, which the
// receiving side adds.
struct forwarded_packet {
  std::uint64_t overlapped;
  std::uint32_t status;
  std::uint32_t bytes;
};

void serve(std::weak_ptr<completion_port> weak, std::shared_ptr<detail::unique_fd> receiver,
           ULONG_PTR key) {
  for (;;) {
    forwarded_packet p{};
    // MSG_TRUNC: the record's whole length, so that a longer one, cut to
    // fit, is not taken for a packet.
    ssize_t n = ::recv(receiver->get(), &p, sizeof(p), MSG_TRUNC);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;            // shut down: the port closed
    if (n != sizeof(p)) continue;  // no packet of ours
    auto port = weak.lock();
    if (!port) return;
    port->post({key, reinterpret_cast<OVERLAPPED*>(static_cast<std::uintptr_t>(p.overlapped)),
                static_cast<NTSTATUS>(p.status), p.bytes});
  }
}

// The files whose pending I/O is cancelled at exit.
struct exit_list {
  std::mutex mutex;
  std::vector<std::weak_ptr<file_object>> files;
};

exit_list& files_to_cancel() {
  static exit_list* list = new exit_list();  // never destroyed: used at exit
  return *list;
}

}  // namespace

void cancel_forwarded_io() {
  std::vector<std::shared_ptr<file_object>> files;
  {
    std::lock_guard lock(files_to_cancel().mutex);
    for (auto& weak : files_to_cancel().files)
      if (auto file = weak.lock()) files.push_back(std::move(file));
  }
  for (auto& file : files) file->cancel(false, nullptr);
}

std::shared_ptr<detail::unique_fd> start_forwarding(const std::shared_ptr<completion_port>& port,
                                                    ULONG_PTR key, detail::unique_fd& sender) {
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) return nullptr;
  // The receiving end never sends; the sending end never receives.
  ::shutdown(pair[0], SHUT_WR);
  ::shutdown(pair[1], SHUT_RD);
  auto receiver = std::make_shared<detail::unique_fd>(pair[0]);
  detail::unique_fd send_end(pair[1]);
  try {
    std::thread(serve, std::weak_ptr<completion_port>(port), receiver, key).detach();
  } catch (const std::system_error&) {
    errno = EAGAIN;
    return nullptr;
  }
  sender = std::move(send_end);
  return receiver;
}

void forward_packet(int fd, const completion_packet& packet) {
  forwarded_packet p{reinterpret_cast<std::uintptr_t>(packet.overlapped),
                     static_cast<std::uint32_t>(packet.status), packet.bytes};
  (void)::send(fd, &p, sizeof(p), MSG_DONTWAIT | MSG_NOSIGNAL);
}

bool is_forwarding_socket(int fd) {
  return detail::is_unix_socket(fd, SOCK_SEQPACKET);
}

void cancel_at_exit(const std::shared_ptr<file_object>& file) {
  static std::once_flag registered;
  std::call_once(registered, [] { std::atexit(cancel_forwarded_io); });
  std::lock_guard lock(files_to_cancel().mutex);
  auto& files = files_to_cancel().files;
  std::erase_if(files, [](const std::weak_ptr<file_object>& w) { return w.expired(); });
  files.push_back(file);
}

}  // namespace conduit::win32
