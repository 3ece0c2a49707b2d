// conduit/pipe_info.hpp: what GetNamedPipeInfo tells of a pipe end, and
// what PeekNamedPipe sees.
#pragma once

#include <cstddef>
#include <cstdint>

#include "conduit/pipe_options.hpp"

namespace conduit {

/// A pipe as its server created it (GetNamedPipeInfo).
struct pipe_info {
  bool server_end = false;  // PIPE_SERVER_END, else PIPE_CLIENT_END
  pipe_type type = pipe_type::byte;
  std::uint32_t out_buffer_size = 0;  // as the server asked
  std::uint32_t in_buffer_size = 0;
  std::uint32_t max_instances = 0;  // 255 means unlimited
};

/// What a peek found (PeekNamedPipe), without taking anything.
struct peek_result {
  std::size_t bytes_read = 0;          // copied into the buffer
  std::size_t bytes_available = 0;     // waiting in all
  std::size_t message_bytes_left = 0;  // left in the current message (message pipes)
};

}  // namespace conduit
