// A Win32 pipe server that reports its client's computer name
// (remote_win32_names.cpp).
#pragma once

#include <string>

namespace conduit::test {

/// Creates the Win32 pipe `name` (open to everyone), waits at most
/// `timeout_ms` for a client and returns what GetNamedPipeClientComputerNameA
/// and W say of it: "A:<name> W:<name>", then " tiny error <n>" for a
/// two-byte buffer; "no client", or an error, otherwise.
std::string win32_client_computer_name(const std::string& name, unsigned timeout_ms);

}  // namespace conduit::test
