// The helper process: the server side of each benchmark, conduit and raw.
//
//   connect-conduit NAME  connect_servers instances: connect, read 1 byte, disconnect
//   connect-raw PATH      connect_servers threads: accept, read 1 byte, close
//   call-conduit NAME     connect_servers message-pipe instances: connect, read a
//                         1-byte message, answer one, wait for the client to
//                         close, disconnect (a CallNamedPipe server)
//   call-raw PATH         the same on a SOCK_SEQPACKET listener's connections
//   echo-conduit NAME     one instance: echo what the client writes
//   echo-raw -            echo on helper_data_fd
//   sink-conduit NAME     one instance: read an 8-byte count, that many bytes, answer 1 byte
//   sink-raw -            the same on helper_data_fd
//   msg-echo-conduit NAME   echo-conduit on a message pipe read in message mode
//   msg-sink-conduit NAME   one message-pipe instance read in message mode: a
//                           16-byte message {count, size}, count messages of
//                           size bytes (one read each), answer a 1-byte message
//   msg-sink-seqpacket -    the same on helper_data_fd (SOCK_SEQPACKET)
//   msg-sink-stream -       the same on helper_data_fd (SOCK_STREAM), each
//                           message read back as exactly size bytes
// (echo-raw serves the message ping-pong too, on a SOCK_SEQPACKET pair.)
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

// Whole messages: `read_one` is read_whole (message mode, SEQPACKET) or
// read_exact (the stream baseline).
template <typename End, typename ReadOne>
void message_sink(End& end, ReadOne read_one) {
  std::vector<std::byte> buffer(message_large);
  std::error_code ec;
  for (;;) {
    std::array<std::uint64_t, 2> header{};  // count, size
    if (!read_one(end, std::as_writable_bytes(std::span(header)), ec)) return;
    if (header[1] > buffer.size())
      fail("message size", std::make_error_code(std::errc::message_size));
    auto message = std::span(buffer).first(header[1]);
    for (std::uint64_t i = 0; i < header[0]; ++i)
      if (!read_one(end, message, ec)) fail("message sink read", ec);
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

// A CallNamedPipe server's loop: the answer stays readable until the
// client has read it and closed (a disconnect would discard it).
template <typename End>
void answer_call(End& end) {
  std::array<std::byte, 1> byte;
  std::error_code ec;
  if (!read_whole(end, std::span(byte), ec)) return;
  if (end.write(byte, ec) != 1 || ec) return;
  while (!ec) end.read(byte, ec);
}

void serve_calls(conduit::pipe_server server) {
  std::error_code ec;
  for (;;) {
    server.connect(ec);
    if (ec && ec != conduit::errc::pipe_connected && ec != conduit::errc::no_data)
      fail("pipe_server::connect", ec);
    answer_call(server);
    server.disconnect(ec);
    if (ec) fail("pipe_server::disconnect", ec);
  }
}

bool start_call_conduit(const std::string& name) {
  conduit::pipe_options options;
  options.type = conduit::pipe_type::message;
  options.mode = conduit::read_mode::message;
  std::vector<conduit::pipe_server> servers;
  for (int i = 0; i < connect_servers; ++i) {
    std::error_code ec;
    servers.push_back(conduit::pipe_server::create(name, options, ec));
    if (ec) fail("pipe_server::create", ec);
  }
  for (auto& server : servers) std::thread(serve_calls, std::move(server)).detach();
  return true;
}

// connect_servers threads accepting on a listener of `type` at `path`,
// each connection served by `serve`.
template <typename Serve>
bool start_raw_listener(const std::string& path, int type, Serve serve) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) return false;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int listener = ::socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
  ::unlink(path.c_str());
  // As many queued connects as conduit has listening instances.
  if (listener < 0 || ::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(listener, connect_servers) != 0)
    fail("listen", std::error_code(errno, std::generic_category()));
  for (int i = 0; i < connect_servers; ++i) {
    std::thread([listener, serve] {
      for (;;) {
        int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) {
          if (errno == EINTR || errno == ECONNABORTED) continue;
          fail("accept", std::error_code(errno, std::generic_category()));
        }
        raw_end end{fd};
        serve(end);
        ::close(fd);
      }
    }).detach();
  }
  return true;
}

// A single-client server instance running `loop` once its client is there.
template <typename Loop>
bool start_conduit_server(const std::string& name, Loop loop,
                          const conduit::pipe_options& options = {}) {
  std::error_code ec;
  auto server = conduit::pipe_server::create(name, options, ec);
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
  // PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE; buffers 0: conduit's default
  // for message pipes (a 1 MiB send buffer; the baselines keep Linux's).
  conduit::pipe_options message_pipe;
  message_pipe.type = conduit::pipe_type::message;
  message_pipe.mode = conduit::read_mode::message;
  message_pipe.out_buffer_size = 0;
  message_pipe.in_buffer_size = 0;
  if (mode == "connect-conduit") {
    started = start_connect_conduit(a);
  } else if (mode == "connect-raw") {
    started = start_raw_listener(a, SOCK_STREAM, [](raw_end& end) {
      std::array<std::byte, 1> byte;
      std::error_code ec;
      end.read(byte, ec);
    });
  } else if (mode == "call-conduit") {
    started = start_call_conduit(a);
  } else if (mode == "call-raw") {
    started = start_raw_listener(a, SOCK_SEQPACKET, [](raw_end& end) { answer_call(end); });
  } else if (mode == "echo-conduit") {
    started = start_conduit_server(a, [](auto& end) { echo(end); });
  } else if (mode == "echo-raw") {
    started = start_raw_server([](auto& end) { echo(end); });
  } else if (mode == "sink-conduit") {
    started = start_conduit_server(a, [](auto& end) { sink(end); });
  } else if (mode == "sink-raw") {
    started = start_raw_server([](auto& end) { sink(end); });
  } else if (mode == "msg-echo-conduit") {
    started = start_conduit_server(
        a, [](auto& end) { echo(end); }, message_pipe);
  } else if (mode == "msg-sink-conduit") {
    started = start_conduit_server(
        a,
        [](auto& end) {
          message_sink(end, [](auto& e, auto b, auto& ec) { return read_whole(e, b, ec); });
        },
        message_pipe);
  } else if (mode == "msg-sink-seqpacket") {
    started = start_raw_server([](auto& end) {
      message_sink(end, [](auto& e, auto b, auto& ec) { return read_whole(e, b, ec); });
    });
  } else if (mode == "msg-sink-stream") {
    started = start_raw_server([](auto& end) {
      message_sink(end, [](auto& e, auto b, auto& ec) { return read_exact(e, b, ec); });
    });
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
