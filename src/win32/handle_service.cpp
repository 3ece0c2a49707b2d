#include "win32/handle_service.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "win32/handle_message.hpp"
#include "win32/handle_service_socket.hpp"
#include "win32/handle_table.hpp"
#include "win32/object_transfer.hpp"

namespace conduit::win32 {
namespace {

using detail::unique_fd;

// How long a caller waits for a target to start listening (a child just
// created is still loading): long enough for a loaded machine, short
// enough that a process that never uses conduit_win32 fails in time.
constexpr auto listen_wait = std::chrono::seconds(5);

std::atomic<int> listener{-1};

bool has_ended(int pidfd) {
  pollfd p{pidfd, POLLIN, 0};
  return ::poll(&p, 1, 0) == 1;
}

// ---- The service's side ----

void serve_insert(int connection, handle_message& request, std::vector<unique_fd> fds) {
  auto object = rebuild_object(request.kind, std::move(fds), request.state);
  if (!object) {
    send_handle_message(connection, handle_failure(GetLastError()));
    return;
  }
  HANDLE handle = insert_handle(std::move(object), request.flags, request.access);
  if (!handle) {
    send_handle_message(connection, handle_failure(GetLastError()));
    return;
  }
  handle_message reply;
  reply.handle = reinterpret_cast<std::uintptr_t>(handle);
  // A caller that never learns the value could never close it.
  if (!send_handle_message(connection, reply)) close_handle(handle);
}

void serve_fetch(int connection, const handle_message& request) {
  auto handle = reinterpret_cast<HANDLE>(static_cast<std::uintptr_t>(request.handle));
  handle_entry entry = lookup_handle(handle);
  // Taken out of the table before the reply: once the caller has its copy,
  // the handle here must be gone already.
  std::shared_ptr<kernel_object> removed;
  if (entry.object && (request.flags & handle_message::close_source))
    removed = remove_handle(handle);
  std::optional<portable_object> portable;
  if (!entry.object) SetLastError(ERROR_INVALID_HANDLE);
  // The handle moves when it was the object's last one here.
  if (entry.object) portable = make_portable(entry.object, removed && removed->handle_count() == 1);
  if (!portable) {
    send_handle_message(connection, handle_failure(GetLastError()));
  } else {
    handle_message reply;
    reply.kind = static_cast<char>(portable->kind);
    reply.state = portable->state;
    reply.access = entry.access;
    send_handle_message(connection, reply, portable->fds);
  }
  // Only now: closing the last handle may close the descriptors just sent.
  if (removed) removed->handle_closed();
}

void serve(unique_fd connection) {
  std::vector<unique_fd> fds;
  auto request = receive_handle_request(connection.get(), fds);
  if (!request) return;
  if (request->operation == handle_message::op::insert) {
    serve_insert(connection.get(), *request, std::move(fds));
  } else if (request->operation == handle_message::op::fetch && fds.empty()) {
    serve_fetch(connection.get(), *request);
  } else {
    send_handle_message(connection.get(), handle_failure(ERROR_INVALID_PARAMETER));
  }
}

void run_service(int fd) {
  for (;;) {
    unique_fd connection(::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC));
    if (connection && !may_serve(connection.get())) {
      // Refused before anything is read: a stranger's silent connections
      // cannot hold the service's thread.
      refuse_stranger(connection.get());
    } else if (connection) {
      serve(std::move(connection));
    } else if (errno == EBADF || errno == EINVAL || errno == ENOTSOCK) {
      return;
    }
  }
}

// A forked child is another pid: nobody asks for it by the parent's name,
// and it has no service thread. It drops its copy of the listener.
void forget_listener_in_child() {
  int fd = listener.exchange(-1);
  if (fd >= 0) ::close(fd);
}

// ---- The caller's side ----

// Where each process's service was last found: a lookup reads /proc (a few
// hundred microseconds on a busy machine). A remembered address earns no
// trust: the connect's own checks (the listener's pid, the target's pidfd)
// apply to it, and when they or the connect fail it is looked up afresh.
class found_services {
 public:
  std::optional<service_address> get(int pid) {
    std::lock_guard lock(mutex_);
    auto it = found_.find(pid);
    if (it == found_.end()) return std::nullopt;
    return it->second;
  }
  void remember(int pid, const service_address& a) {
    std::lock_guard lock(mutex_);
    if (found_.size() >= 256) found_.clear();  // a bound, not a policy
    found_[pid] = a;
  }
  void forget(int pid) {
    std::lock_guard lock(mutex_);
    found_.erase(pid);
  }

 private:
  std::mutex mutex_;
  std::map<int, service_address> found_;
};

found_services& services_found() {
  static auto* found = new found_services();  // used by threads still running at exit
  return *found;
}

enum class attempt { connected, not_the_process, not_listening, failed };

// One connect to `address`, meant to reach `target`: the listener must be
// that process, still alive (not another process holding a name of the
// service's form, nor a new process with a reused pid). Not blocking: a
// listener whose queue others filled is tried again later.
attempt connect_to(const remote_process& target, const service_address& address, unique_fd& s) {
  s = unique_fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!s) return attempt::failed;
  if (::connect(s.get(), reinterpret_cast<const sockaddr*>(&address.where), address.length) != 0) {
    bool later = errno == ECONNREFUSED || errno == ENOENT || errno == EAGAIN || errno == EINTR;
    s = unique_fd();
    return later ? attempt::not_listening : attempt::failed;
  }
  ucred peer{};
  socklen_t size = sizeof(peer);
  if (::getsockopt(s.get(), SOL_SOCKET, SO_PEERCRED, &peer, &size) != 0 || peer.pid != target.pid ||
      has_ended(target.pidfd)) {
    s = unique_fd();
    return attempt::not_the_process;
  }
  ::fcntl(s.get(), F_SETFL, 0);
  set_exchange_timeouts(s.get());
  return attempt::connected;
}

// Connects to `target`'s service, waiting while it may still start.
unique_fd connect_service(const remote_process& target) {
  if (auto known = services_found().get(target.pid)) {
    unique_fd s;
    if (connect_to(target, *known, s) == attempt::connected) return s;
    services_found().forget(target.pid);  // an address of the past
  }
  auto deadline = std::chrono::steady_clock::now() + listen_wait;
  int delay_ms = 1;
  std::vector<service_address> candidates;
  for (;;) {
    if (has_ended(target.pidfd)) {
      SetLastError(ERROR_ACCESS_DENIED);  // as Windows says of a process that has ended
      return {};
    }
    if (find_handle_service(target.pid, candidates) == service_lookup::access_denied) {
      SetLastError(ERROR_ACCESS_DENIED);  // another user's process
      return {};
    }
    for (const auto& candidate : candidates) {
      unique_fd s;
      attempt result = connect_to(target, candidate, s);
      if (result == attempt::connected) {
        services_found().remember(target.pid, candidate);
        return s;
      }
      if (result == attempt::failed) {
        SetLastError(ERROR_ACCESS_DENIED);
        return {};
      }
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      SetLastError(ERROR_NOT_SUPPORTED);
      return {};
    }
    // Not listening yet: wait a little, or until the process ends.
    pollfd p{target.pidfd, POLLIN, 0};
    ::poll(&p, 1, delay_ms);
    delay_ms = std::min(delay_ms * 2, 100);
  }
}

// One exchange with `target`'s service: the reply, or nullopt (last error set).
std::optional<handle_message> exchange(const remote_process& target, const handle_message& request,
                                       std::span<const int> fds,
                                       std::vector<unique_fd>& reply_fds) {
  unique_fd s = connect_service(target);
  if (!s) return std::nullopt;
  handle_message reply;
  // A send that failed still leaves the service's answer to read, if any.
  (void)send_handle_message(s.get(), request, fds);
  if (!receive_handle_message(s.get(), reply, reply_fds) ||
      reply.operation != handle_message::op::reply) {
    SetLastError(has_ended(target.pidfd) ? ERROR_ACCESS_DENIED : ERROR_INVALID_DATA);
    return std::nullopt;
  }
  if (reply.error != 0) {
    SetLastError(reply.error);
    return std::nullopt;
  }
  return reply;
}

}  // namespace

void start_handle_service() {
  static std::once_flag once;
  std::call_once(once, [] {
    unique_fd fd = listen_for_handle_requests();
    if (!fd) return;
    try {
      std::thread(run_service, fd.get()).detach();
    } catch (const std::system_error&) {
      return;
    }
    listener.store(fd.release());
    ::pthread_atfork(nullptr, nullptr, forget_listener_in_child);
  });
}

std::optional<std::uint64_t> push_object(const remote_process& target, char kind,
                                         std::string_view state, std::span<const int> fds,
                                         DWORD access, DWORD flags) {
  handle_message request;
  request.operation = handle_message::op::insert;
  request.kind = kind;
  request.state = std::string(state);
  request.access = access;
  request.flags = flags;
  std::vector<unique_fd> none;
  auto reply = exchange(target, request, fds, none);
  if (!reply) return std::nullopt;
  if (!none.empty() || reply->handle == 0) {
    SetLastError(ERROR_INVALID_DATA);
    return std::nullopt;
  }
  return reply->handle;
}

std::optional<fetched_object> fetch_object(const remote_process& source, std::uint64_t handle,
                                           bool close_source) {
  handle_message request;
  request.operation = handle_message::op::fetch;
  request.handle = handle;
  request.flags = close_source ? handle_message::close_source : 0;
  fetched_object out;
  auto reply = exchange(source, request, {}, out.fds);
  if (!reply) return std::nullopt;
  out.kind = reply->kind;
  out.state = std::move(reply->state);
  out.access = reply->access;
  return out;
}

}  // namespace conduit::win32
