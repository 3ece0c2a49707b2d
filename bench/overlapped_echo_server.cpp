#include "overlapped_echo_server.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <vector>

namespace conduit_bench {
namespace {

constexpr std::size_t buffer_size = 64;

struct instance {
  OVERLAPPED ov;  // first: a packet's OVERLAPPED pointer is its instance's
  HANDLE pipe = INVALID_HANDLE_VALUE;
  enum { connecting, reading, writing } state = connecting;
  char buffer[buffer_size];
};

class echo_server {
 public:
  echo_server(const echo_server_options& options, echo_server_counts& counts)
      : options_(options), counts_(counts), pipes_(static_cast<std::size_t>(options.instances)) {}
  ~echo_server() {
    for (auto& p : pipes_)
      if (p.pipe != INVALID_HANDLE_VALUE) CloseHandle(p.pipe);
    if (port_) CloseHandle(port_);
  }
  echo_server(const echo_server&) = delete;
  echo_server& operator=(const echo_server&) = delete;

  bool create() {
    port_ = CreateIoCompletionPort(INVALID_HANDLE_VALUE, nullptr, 0, 1);
    if (!port_) return fail("CreateIoCompletionPort", GetLastError());
    std::size_t first = options_.listening > 0
                            ? std::min(pipes_.size(), static_cast<std::size_t>(options_.listening))
                            : pipes_.size();
    while (created_ < first)
      if (!create_next()) return false;
    return true;
  }

  bool serve(const volatile std::sig_atomic_t& stop) {
    while (!stop) {
      DWORD bytes = 0;
      ULONG_PTR key = 0;
      LPOVERLAPPED ov = nullptr;
      BOOL ok = GetQueuedCompletionStatus(port_, &bytes, &key, &ov, 200);
      if (!ov) {
        DWORD e = GetLastError();
        if (!ok && e != WAIT_TIMEOUT && e != ERROR_TIMEOUT && !stop) {
          std::fprintf(stderr, "echo server: GetQueuedCompletionStatus: %u\n", e);
          ++counts_.errors;
        }
        continue;
      }
      ++counts_.completions;
      if (!advance(*reinterpret_cast<instance*>(ov), ok ? ERROR_SUCCESS : GetLastError(), bytes))
        return false;
    }
    return true;
  }

 private:
  // Creates instance number created_ and has it listen.
  bool create_next() {
    instance& p = pipes_[created_];
    int index = static_cast<int>(created_++);
    DWORD max = options_.max_instances ? options_.max_instances : PIPE_UNLIMITED_INSTANCES;
    p.pipe = CreateNamedPipeA(
        echo_pipe_name(options_, index).c_str(), PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED,
        PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT, max, 4096, 4096, 0, nullptr);
    if (p.pipe == INVALID_HANDLE_VALUE) return fail("CreateNamedPipe", GetLastError());
    if (!CreateIoCompletionPort(p.pipe, port_, 0, 0)) return fail("associate", GetLastError());
    return listen(p);
  }

  // A client connected: with a pool of listening instances, one more
  // takes its instance's place while there are fewer than asked for.
  bool connected() {
    ++counts_.connections;
    return options_.listening <= 0 || created_ == pipes_.size() || create_next();
  }

  bool fail(const char* what, DWORD error) {
    std::fprintf(stderr, "echo server: %s: %u\n", what, error);
    return false;
  }

  // The next step of instance `p` after its last operation ended.
  bool advance(instance& p, DWORD error, DWORD bytes) {
    if (p.state == instance::connecting && error == ERROR_SUCCESS && !connected()) return false;
    if (error != ERROR_SUCCESS || (p.state == instance::reading && bytes == 0)) {
      if (error != ERROR_BROKEN_PIPE && error != ERROR_SUCCESS && error != ERROR_NO_DATA)
        ++counts_.errors;
      return restart(p);
    }
    if (p.state == instance::writing) ++counts_.echoes;
    std::memset(&p.ov, 0, sizeof(p.ov));
    BOOL done;
    if (p.state == instance::reading) {
      p.state = instance::writing;
      done = WriteFile(p.pipe, p.buffer, bytes, nullptr, &p.ov);
    } else {  // connected, or the echo went out: read the next request
      p.state = instance::reading;
      done = ReadFile(p.pipe, p.buffer, sizeof(p.buffer), nullptr, &p.ov);
    }
    if (done) {
      ++counts_.immediate;  // completed at once; the packet still comes
      return true;
    }
    error = GetLastError();
    if (error == ERROR_IO_PENDING) return true;
    if (error != ERROR_BROKEN_PIPE && error != ERROR_NO_DATA) ++counts_.errors;
    return restart(p);
  }

  bool restart(instance& p) {
    DisconnectNamedPipe(p.pipe);
    return listen(p);
  }

  bool listen(instance& p) {
    std::memset(&p.ov, 0, sizeof(p.ov));
    p.state = instance::connecting;
    if (ConnectNamedPipe(p.pipe, &p.ov)) return true;  // the packet comes
    DWORD e = GetLastError();
    // A client came before the call: no packet is due, so post one to go on
    // as for any connect. One that has gone again already (ERROR_NO_DATA)
    // is counted here, and its packet reads as an end of stream.
    if (e == ERROR_NO_DATA) {
      if (!connected()) return false;
      p.state = instance::reading;
    }
    if (e == ERROR_PIPE_CONNECTED || e == ERROR_NO_DATA)
      return PostQueuedCompletionStatus(port_, 0, 0, &p.ov) != 0 || fail("post", GetLastError());
    return e == ERROR_IO_PENDING || fail("ConnectNamedPipe", e);
  }

  const echo_server_options& options_;
  echo_server_counts& counts_;
  HANDLE port_ = nullptr;
  std::vector<instance> pipes_;  // never resized: packets point into it
  std::size_t created_ = 0;
};

}  // namespace

std::string echo_pipe_name(const echo_server_options& options, int index) {
  return options.prefix + std::to_string(index / options.per_name);
}

bool run_echo_server(const echo_server_options& options, const volatile std::sig_atomic_t& stop,
                     void (*ready)(void* context), void* context, echo_server_counts& counts) {
  echo_server server(options, counts);
  if (!server.create()) return false;
  ready(context);
  return server.serve(stop);
}

bool write_all(HANDLE h, const char* data, std::size_t size) {
  while (size) {
    DWORD n = 0;
    if (!WriteFile(h, data, static_cast<DWORD>(size), &n, nullptr)) return false;
    data += n;
    size -= n;
  }
  return true;
}

bool read_all(HANDLE h, char* data, std::size_t size) {
  while (size) {
    DWORD n = 0;
    if (!ReadFile(h, data, static_cast<DWORD>(size), &n, nullptr) || n == 0) return false;
    data += n;
    size -= n;
  }
  return true;
}

HANDLE open_echo_client(const std::string& name, int attempts) {
  for (int attempt = 0; attempt < attempts; ++attempt) {
    HANDLE h = CreateFileA(name.c_str(), GENERIC_READ | GENERIC_WRITE, 0, nullptr, OPEN_EXISTING, 0,
                           nullptr);
    if (h != INVALID_HANDLE_VALUE) return h;
    if (GetLastError() != ERROR_PIPE_BUSY) return INVALID_HANDLE_VALUE;
    if (!WaitNamedPipeA(name.c_str(), 10'000)) return INVALID_HANDLE_VALUE;
  }
  SetLastError(ERROR_PIPE_BUSY);
  return INVALID_HANDLE_VALUE;
}

}  // namespace conduit_bench
