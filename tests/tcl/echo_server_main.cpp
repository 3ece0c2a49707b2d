// conduit_tcl_echo_server NAME: a C++ server for the Tcl client tests. It
// creates one instance of the byte pipe NAME, says "ready" on stdout, serves
// one client by writing back every byte it reads until the client closes,
// then says "ok N" (N bytes echoed) and exits 0; on an error it says which
// and exits 1.
#include <array>
#include <cstddef>
#include <iostream>
#include <system_error>

#include "conduit/error.hpp"
#include "conduit/pipe_server.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: conduit_tcl_echo_server NAME\n";
    return 2;
  }
  std::error_code ec;
  auto server = conduit::pipe_server::create(argv[1], {}, ec);
  if (ec) {
    std::cout << "create: " << ec.message() << std::endl;
    return 1;
  }
  std::cout << "ready" << std::endl;
  server.connect(ec);
  if (ec) {
    std::cout << "connect: " << ec.message() << std::endl;
    return 1;
  }
  std::array<std::byte, 3000> buffer;  // not a divisor of the lines' lengths
  std::size_t total = 0;
  for (;;) {
    std::size_t n = server.read(buffer, ec);
    if (ec == conduit::errc::broken_pipe) break;
    if (!ec) server.write(std::span(buffer).first(n), ec);
    if (ec) {
      std::cout << "echo: " << ec.message() << std::endl;
      return 1;
    }
    total += n;
  }
  std::cout << "ok " << total << std::endl;
  return 0;
}
