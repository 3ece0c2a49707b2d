// The subcommand families of the `conduit` command; each adds its
// subcommands to the application, with callbacks that do the work and throw
// cli::failure when an operation fails.
#pragma once

namespace CLI {
class App;
}

namespace conduit::cli {

void add_serve_command(CLI::App& app);      // serve.cpp
void add_client_commands(CLI::App& app);    // client_commands.cpp: connect, call, wait
void add_listing_commands(CLI::App& app);   // listing_commands.cpp: list, info
void add_mailslot_commands(CLI::App& app);  // mailslot_commands.cpp
void add_bench_command(CLI::App& app);      // bench.cpp
void add_demo_command(CLI::App& app);       // demo.cpp

}  // namespace conduit::cli
