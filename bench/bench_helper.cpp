// The helper process: the server side of each benchmark, conduit and raw.
//
//   connect-conduit NAME  connect_servers instances: connect, read 1 byte, disconnect
//   connect-raw PATH      connect_servers threads: accept, read 1 byte, close
//   echo-conduit NAME     one instance: echo what the client writes
//   echo-raw -            echo on helper_data_fd
//   sink-conduit NAME     one instance: read an 8-byte count, that many bytes, answer 1 byte
//   sink-raw -            the same on helper_data_fd
//
// It writes 'R' on helper_control_fd once the client may start, and exits
// when that descriptor reaches end of file.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "bench_support.hpp"
#include "conduit/error.hpp"
#include "conduit/pipe_server.hpp"

namespace conduit_bench {
namespace {

[[noreturn]] void fail(const char* what, const std::error_code& ec) {
  std::fprintf(stderr, "conduit_bench helper: %s: %s (%d)\n", what, ec.message().c_str(),
               ec.value());
  std::_Exit(1);  // the parent sees its data end close and reports the error
}

template <typename End>
void echo(End& end) {
  std::array<std::byte, 4096> buffer;
  std::error_code ec;
  for (;;) {
    std::size_t n = end.read(buffer, ec);
    if (ec || end.write(std::span(buffer).first(n), ec) != n || ec) return;
  }
}

template <typename End>
void sink(End& end) {
  std::vector<std::byte> buffer(throughput_block);
  std::error_code ec;
  for (;;) {
    std::uint64_t left = 0;
    if (!read_exact(end, std::as_writable_bytes(std::span(&left, 1)), ec)) return;
    while (left > 0) {
      std::size_t n =
          end.read(std::span(buffer).first(std::min<std::uint64_t>(left, buffer.size())), ec);
      if (ec) return;
      left -= n;
    }
    // Tells the writer that everything arrived: its clock stops here.
    std::array<std::byte, 1> ack{std::byte{'A'}};
    if (end.write(ack, ec) != 1 || ec) return;
  }
}

// One instance per thread, served the way a Windows server loop does it.
void serve_connects(conduit::pipe_server server) {
  std::error_code ec;
  std::array<std::byte, 1> byte;
  for (;;) {
    server.connect(ec);
    // ERROR_NO_DATA: the client came, wrote and left before we looked.
    if (ec && ec != conduit::errc::pipe_connected && ec != conduit::errc::no_data)
      fail("pipe_server::connect", ec);
    server.read(byte, ec);  // the client's byte; its leaving is no error here
    server.disconnect(ec);
    if (ec) fail("pipe_server::disconnect", ec);
  }
}

bool start_connect_conduit(const std::string& name) {
  std::vector<conduit::pipe_server> servers;
  for (int i = 0; i < connect_servers; ++i) {
    std::error_code ec;
    servers.push_back(conduit::pipe_server::create(name, {}, ec));
    if (ec) fail("pipe_server::create", ec);
  }
  for (auto& server : servers) std::thread(serve_connects, std::move(server)).detach();
  return true;
}

bool start_connect_raw(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) return false;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ::unlink(path.c_str());
  // As many queued connects as conduit has listening instances.
  if (listener < 0 || ::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(listener, connect_servers) != 0)
    fail("listen", std::error_code(errno, std::generic_category()));
  for (int i = 0; i < connect_servers; ++i) {
    std::thread([listener] {
      std::array<std::byte, 1> byte;
      for (;;) {
        int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) {
          if (errno == EINTR || errno == ECONNABORTED) continue;
          fail("accept", std::error_code(errno, std::generic_category()));
        }
        raw_end end{fd};
        std::error_code ec;
        end.read(byte, ec);
        ::close(fd);
      }
    }).detach();
  }
  return true;
}

// A single-client server instance running `loop` once its client is there.
template <typename Loop>
bool start_conduit_server(const std::string& name, Loop loop) {
  std::error_code ec;
  auto server = conduit::pipe_server::create(name, {}, ec);
  if (ec) fail("pipe_server::create", ec);
  std::thread([server = std::move(server), loop]() mutable {
    std::error_code error;
    server.connect(error);
    if (error && error != conduit::errc::pipe_connected) fail("pipe_server::connect", error);
    loop(server);
  }).detach();
  return true;
}

template <typename Loop>
bool start_raw_server(Loop loop) {
  std::thread([loop] {
    raw_end end{helper_data_fd};
    loop(end);
  }).detach();
  return true;
}

}  // namespace

int helper_main(std::string_view mode, std::string_view arg, int cpu) {
  // Before any thread starts, so that every thread of the helper inherits it.
  cpu_pin_scope pin(cpu);
  std::string a(arg);
  bool started = false;
  if (mode == "connect-conduit") {
    started = start_connect_conduit(a);
  } else if (mode == "connect-raw") {
    started = start_connect_raw(a);
  } else if (mode == "echo-conduit") {
    started = start_conduit_server(a, [](auto& end) { echo(end); });
  } else if (mode == "echo-raw") {
    started = start_raw_server([](auto& end) { echo(end); });
  } else if (mode == "sink-conduit") {
    started = start_conduit_server(a, [](auto& end) { sink(end); });
  } else if (mode == "sink-raw") {
    started = start_raw_server([](auto& end) { sink(end); });
  }
  if (!started) {
    std::fprintf(stderr, "conduit_bench helper: cannot start '%.*s'\n",
                 static_cast<int>(mode.size()), mode.data());
    return 1;
  }
  if (::write(helper_control_fd, "R", 1) != 1) return 1;
  for (;;) {
    char byte;
    ssize_t n = ::read(helper_control_fd, &byte, 1);
    if (n == 0 || (n < 0 && errno != EINTR)) break;
  }
  // Serving threads may sit in blocking calls: they end with the process.
  std::_Exit(0);
}

}  // namespace conduit_bench
