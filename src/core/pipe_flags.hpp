// The Win32 flag values conduit carries on the wire and in its state.
#pragma once

#include <cstdint>

namespace conduit::detail {

// Open mode (CreateNamedPipe dwOpenMode).
inline constexpr std::uint32_t access_inbound = 0x1;   // PIPE_ACCESS_INBOUND
inline constexpr std::uint32_t access_outbound = 0x2;  // PIPE_ACCESS_OUTBOUND
inline constexpr std::uint32_t access_duplex = 0x3;    // PIPE_ACCESS_DUPLEX
inline constexpr std::uint32_t first_pipe_instance = 0x00080000;
inline constexpr std::uint32_t write_through = 0x80000000;
inline constexpr std::uint32_t overlapped = 0x40000000;
inline constexpr std::uint32_t open_write_dac = 0x00040000;  // WRITE_DAC

// Pipe mode (CreateNamedPipe dwPipeMode).
inline constexpr std::uint32_t type_message = 0x4;      // PIPE_TYPE_MESSAGE
inline constexpr std::uint32_t readmode_message = 0x2;  // PIPE_READMODE_MESSAGE
inline constexpr std::uint32_t nowait = 0x1;            // PIPE_NOWAIT
inline constexpr std::uint32_t reject_remote_clients = 0x8;
inline constexpr std::uint32_t known_pipe_mode_bits =
    type_message | readmode_message | nowait | reject_remote_clients;

inline constexpr std::uint32_t unlimited_instances = 255;  // PIPE_UNLIMITED_INSTANCES

// What a pipe end may do with data: FILE_READ_DATA and FILE_WRITE_DATA.
inline constexpr std::uint32_t want_read = 0x1;
inline constexpr std::uint32_t want_write = 0x2;

// The client's security quality of service (CreateFile dwFlagsAndAttributes):
// without sqos_present the server may impersonate it.
inline constexpr std::uint32_t sqos_present = 0x00100000;  // SECURITY_SQOS_PRESENT
inline constexpr std::uint32_t sqos_level_shift = 16;      // SECURITY_ANONYMOUS..DELEGATION
inline constexpr std::uint32_t sqos_valid_flags = 0x001F0000;
/// In a connect record's sqos_flags only, and set by the broker alone: the
/// client is on another machine (it came through the SMB bridge).
inline constexpr std::uint32_t sqos_remote_client = 0x80000000;

// A client's access mask (CreateFile's dwDesiredAccess) as the broker
// carries it: GENERIC_READ, GENERIC_WRITE and the specific file rights.
inline constexpr std::uint32_t generic_read = 0x80000000;
inline constexpr std::uint32_t generic_write = 0x40000000;
inline constexpr std::uint32_t generic_all = 0x10000000;

/// Which ways a client with access mask `desired` moves data (want_read |
/// want_write): the data rights after GENERIC_* are mapped as for a file.
constexpr std::uint32_t data_direction(std::uint32_t desired) {
  std::uint32_t read = (desired & (generic_read | generic_all)) ? want_read : 0;
  std::uint32_t write = (desired & (generic_write | generic_all)) ? want_write : 0;
  return (desired & (want_read | want_write)) | read | write;
}

/// The access mask a C++ client asks for: GENERIC_READ and/or GENERIC_WRITE,
/// as a Windows program passes them to CreateFile.
constexpr std::uint32_t access_mask_of(std::uint32_t directions) {
  return ((directions & want_read) ? generic_read : 0) |
         ((directions & want_write) ? generic_write : 0);
}

// WaitNamedPipe timeouts.
inline constexpr std::uint32_t wait_use_default = 0;          // NMPWAIT_USE_DEFAULT_WAIT
inline constexpr std::uint32_t wait_forever = 0xFFFFFFFF;     // NMPWAIT_WAIT_FOREVER
inline constexpr std::uint32_t default_timeout_if_zero = 50;  // ms, as Windows

}  // namespace conduit::detail
