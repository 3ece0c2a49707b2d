// Built against an installed conduit: creates a pipe, opens it, echoes a byte.
#include <conduit/pipe_client.hpp>
#include <conduit/pipe_server.hpp>

#include <array>
#include <cstdio>

int main() {
  auto server = conduit::pipe_server::create(R"(\\.\pipe\install-check)");
  auto client = conduit::pipe_client::open(R"(\\.\pipe\install-check)");
  server.connect();
  client.write("!");
  std::array<std::byte, 1> byte;
  server.read(byte);
  std::puts(byte[0] == std::byte{'!'} ? "installed conduit works" : "wrong byte");
  return byte[0] == std::byte{'!'} ? 0 : 1;
}
