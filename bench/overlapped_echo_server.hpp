// A one-thread Win32 overlapped echo server: pipe instances created with
// FILE_FLAG_OVERLAPPED, one completion port, overlapped ConnectNamedPipe,
// ReadFile and WriteFile. Each instance echoes what it reads; when its
// client goes it disconnects and listens again. The echo benchmarks run it
// in a child process, and so do the tests that hold thousands of
// connections or storm a few instances with connects
// (conduit_test_echo_server).
#pragma once

#include <windows.h>

#include <csignal>
#include <cstddef>
#include <string>

namespace conduit_bench {

struct echo_server_options {
  /// Pipe instances in all, spread over names of `per_name` instances
  /// each: "<prefix>0", "<prefix>1", ... (with PIPE_UNLIMITED_INSTANCES a
  /// name may have as many as the broker lets one process create, 16384).
  int instances = 1000;
  int per_name = 250;
  std::string prefix = "\\\\.\\pipe\\overlapped-echo-";
  /// nMaxInstances of each name: 0 for PIPE_UNLIMITED_INSTANCES.
  DWORD max_instances = 0;
  /// 0: every instance is created (and listens) at once. Otherwise only
  /// this many at first, and one more each time a client connects, until
  /// there are `instances`: a server that keeps a few instances listening,
  /// as servers of many clients do, and whose listening instances (which
  /// cost a descriptor more than connected ones) stay few.
  int listening = 0;
};

/// What the server did, reported when it stops.
struct echo_server_counts {
  long connections = 0;  // clients that connected (and possibly left at once)
  long echoes = 0;       // requests read and written back
  long completions = 0;  // packets taken from the port
  long immediate = 0;    // reads and writes that completed at once
  long errors = 0;       // failures other than a client going away
};

/// The name of instance `index`.
std::string echo_pipe_name(const echo_server_options& options, int index);

/// Creates the instances and serves them on the calling thread until
/// `stop` is set (looked at least every 200 ms). `ready` is called once
/// every instance listens (with `listening`, the first ones). Returns false (with a message on
/// stderr) if the instances or the port cannot be made or a call fails that should not.
bool run_echo_server(const echo_server_options& options, const volatile std::sig_atomic_t& stop,
                     void (*ready)(void* context), void* context, echo_server_counts& counts);

/// Writes or reads exactly `size` bytes on a synchronous handle.
bool write_all(HANDLE h, const char* data, std::size_t size);
bool read_all(HANDLE h, char* data, std::size_t size);

/// Opens pipe `name` for reading and writing, waiting (WaitNamedPipe) while
/// every instance is busy, up to `attempts` times. INVALID_HANDLE_VALUE
/// with GetLastError set when it cannot.
HANDLE open_echo_client(const std::string& name, int attempts = 100);

}  // namespace conduit_bench
