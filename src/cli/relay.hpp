// Copying between a pipe and a descriptor, in byte or message terms: what
// `connect` does with its standard input and output, and `serve --exec`
// with its children's.
#pragma once

#include <cstdint>
#include <functional>

#include "conduit/basic_pipe.hpp"

namespace conduit::cli {

class progress;

/// Copies what the pipe's other end sends to `fd` until it closes. In
/// message terms each message is written as one line. Returns the bytes
/// copied (newlines not counted).
std::uint64_t relay_pipe_to_fd(basic_pipe& pipe, int fd, bool message,
                               const std::function<void(std::uint64_t)>& on_data = {});

/// Copies `fd` to the pipe until `fd` ends or the pipe breaks. In message
/// terms each line (without its newline) is one message. Returns the bytes
/// read from `fd`.
std::uint64_t relay_fd_to_pipe(int fd, basic_pipe& pipe, bool message, progress* shown);

/// Sends back every message (or, on a byte pipe, every read's bytes) until
/// the other end closes; at most `limit` of them when it is not 0.
void echo_messages(basic_pipe& pipe, unsigned limit = 0);

}  // namespace conduit::cli
