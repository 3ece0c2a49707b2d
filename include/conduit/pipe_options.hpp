// conduit/pipe_options.hpp: how a named pipe server instance is created.
//
// The fields are those of CreateNamedPipe, with the same defaults a Windows
// program would write:
//
//   conduit::pipe_options options;
//   options.type = conduit::pipe_type::message;
//   options.mode = conduit::read_mode::message;
//   options.max_instances = 4;
//   auto server = conduit::pipe_server::create(R"(\\.\pipe\orders)", options);
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace conduit {

/// Which way data flows, seen from the server (PIPE_ACCESS_*).
enum class pipe_direction : std::uint32_t {
  inbound = 1,   // clients write, the server reads
  outbound = 2,  // the server writes, clients read
  duplex = 3,    // both ways
};

/// How data is written (PIPE_TYPE_*): a byte stream or discrete messages.
enum class pipe_type : std::uint32_t { byte = 0, message = 4 };

/// How a handle reads (PIPE_READMODE_*). Message read mode needs a message pipe.
enum class read_mode : std::uint32_t { byte = 0, message = 2 };

/// PIPE_UNLIMITED_INSTANCES.
inline constexpr std::uint32_t unlimited_instances = 255;

class security_descriptor;

struct pipe_options {
  pipe_direction direction = pipe_direction::duplex;
  pipe_type type = pipe_type::byte;
  read_mode mode = read_mode::byte;
  /// 1 to 254, or unlimited_instances. Every instance of a pipe shares the
  /// first instance's value.
  std::uint32_t max_instances = unlimited_instances;
  /// Buffer sizes in bytes: the write quota of the server's writes (out)
  /// and the client's (in), the most a writer may leave unread: a blocking
  /// write that goes over it returns once the reader has taken enough, a
  /// nowait one writes nothing. Zero means no quota beyond the socket
  /// buffer: that of a Linux socket (about 200 KiB) for a byte pipe,
  /// 512 KiB for a message pipe (see docs/named-pipes.md).
  std::uint32_t out_buffer_size = 0;
  std::uint32_t in_buffer_size = 0;
  /// What a client's wait_named_pipe(name, use_default_wait) waits;
  /// zero means 50 ms.
  std::chrono::milliseconds default_timeout{0};
  /// Fail with ERROR_ACCESS_DENIED if the pipe exists already
  /// (FILE_FLAG_FIRST_PIPE_INSTANCE). Its bit is WRITE_OWNER's, so the
  /// server end may also change the pipe's owner, as on Windows.
  bool first_instance = false;
  /// WRITE_DAC: the server end may change the pipe's DACL.
  bool write_dac = false;
  /// FILE_FLAG_WRITE_THROUGH: accepted; local writes never linger in a buffer.
  bool write_through = false;
  /// PIPE_REJECT_REMOTE_CLIENTS.
  bool reject_remote_clients = false;
  /// PIPE_NOWAIT: reads and connects return at once instead of blocking.
  bool nowait = false;
  /// Security descriptor in SDDL; empty means the default (full control to
  /// the creator, LocalSystem and Administrators, read to everyone). The
  /// first instance's descriptor is the pipe's: every later instance and
  /// every client is checked against it (docs/security.md).
  std::string security_descriptor;
  /// Sets security_descriptor from a conduit::security_descriptor
  /// (conduit/security.hpp).
  void set_security(const ::conduit::security_descriptor& sd);
};

}  // namespace conduit
