// conduit-gate: what a process CreateProcess started with CREATE_SUSPENDED
// runs until ResumeThread.
//
//   conduit-gate FD PROGRAM ARGV0 ARGS...
//
// Waits for one byte on descriptor FD (the creator writes it on
// ResumeThread), closes FD, and executes PROGRAM with ARGV0 ARGS... in this
// same process, so the pid the creator was given stays the program's.
// If FD reaches its end without a byte (every handle to the suspended
// process closed without resuming it), exits with 1 without running
// anything; if PROGRAM cannot be executed, exits with 127.
//
// While it waits it serves the process's handle service
// (win32/handle_service.hpp) in the program's place, for pushes only: a
// handle DuplicateHandle puts into the suspended process is kept here
// (received_handles.hpp) and handed to the program with the inherited
// ones. A fetch finds no handle (ERROR_INVALID_HANDLE): the program has
// none yet. Callers of another user are refused as they are accepted, and
// serving is bounded per turn, so nobody can keep the program from
// starting once the resume byte came.
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>
#include <vector>

#include "gate/received_handles.hpp"
#include "win32/handle_service_socket.hpp"

extern char** environ;

namespace {

using conduit::detail::unique_fd;
using conduit::gate::received_handles;
namespace win32 = conduit::win32;

void serve(int connection, received_handles& handles) {
  std::vector<unique_fd> fds;
  auto request = win32::receive_handle_request(connection, fds);
  if (!request) return;
  if (request->operation != win32::handle_message::op::insert) {
    win32::send_handle_message(
        connection, win32::handle_failure(request->operation == win32::handle_message::op::fetch
                                              ? ERROR_INVALID_HANDLE
                                              : ERROR_INVALID_PARAMETER));
    return;
  }
  DWORD error = 0;
  auto value = handles.insert(*request, std::move(fds), error);
  if (!value) {
    win32::send_handle_message(connection, win32::handle_failure(error));
    return;
  }
  win32::handle_message reply;
  reply.handle = *value;
  // A caller that never learns the value could never close it.
  if (!win32::send_handle_message(connection, reply)) handles.forget(*value);
}

// Most connections taken off the queue in one go: callers who keep
// connecting cannot keep the gate from looking at the resume byte, nor
// from starting the program once it came.
constexpr int accepts_per_turn = 64;

// Serves callers already waiting, up to a bound (the listener is
// nonblocking; a connection of this user is not, and its exchange is
// bounded by its timeouts). Another user's connection is refused before
// anything is read from it.
void serve_waiting(int listener, received_handles& handles) {
  for (int i = 0; i < accepts_per_turn; ++i) {
    unique_fd connection(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));
    if (!connection) return;
    if (win32::may_serve(connection.get()))
      serve(connection.get(), handles);
    else
      win32::refuse_stranger(connection.get());
  }
}

// Waits for the resume byte, serving pushes meanwhile; true once it came.
bool wait_for_resume(int fd, int listener, received_handles& handles) {
  for (;;) {
    pollfd p[2] = {{fd, POLLIN, 0}, {listener, POLLIN, 0}};
    if (::poll(p, listener >= 0 ? 2 : 1, -1) < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    // The resume byte first: serving is bounded, so this is reached.
    if (p[0].revents) {
      char byte = 0;
      ssize_t n;
      do {
        n = ::read(fd, &byte, 1);
      } while (n < 0 && errno == EINTR);
      return n == 1;
    }
    if (p[1].revents & POLLIN) serve_waiting(listener, handles);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) return 2;
  char* end = nullptr;
  long number = std::strtol(argv[1], &end, 10);
  if (*end != '\0' || number < 3) return 2;
  int fd = static_cast<int>(number);
  const char* inherited = std::getenv(win32::inherited_variable);
  received_handles handles(inherited ? inherited : "");
  // Without a listener (the name taken) the child simply cannot be reached
  // until its program listens, as before.
  unique_fd listener = win32::listen_for_handle_requests();
  if (listener) ::fcntl(listener.get(), F_SETFL, O_NONBLOCK);
  if (!wait_for_resume(fd, listener.get(), handles)) return 1;
  ::close(fd);
  // Whoever connected before the resume is served, rather than cut off
  // (once, bounded: the program starts whatever else is queued).
  if (listener) serve_waiting(listener.get(), handles);
  listener = unique_fd();
  auto environment = handles.hand_over(environ);
  std::vector<char*> pointers;
  for (auto& e : environment) pointers.push_back(e.data());
  pointers.push_back(nullptr);
  ::execve(argv[2], argv + 3, pointers.data());
  return 127;
}
