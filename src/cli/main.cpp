// conduit: the command line front door to named pipes and mailslots.
// Exit status 0 on success, 1 when an operation failed (the Win32 error on
// stderr), 2 when the command line was wrong.
#include <signal.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "cli/cli_support.hpp"
#include "cli/commands.hpp"

#ifndef CONDUIT_VERSION
#define CONDUIT_VERSION "unknown"
#endif

namespace {
// SIGPIPE is caught, not ignored: a write to a reader that went away (a
// child of serve --exec, a pipe to head) fails with EPIPE instead of ending
// the command, while programs it starts get the default back at exec, as
// an ignored signal would not.
void on_sigpipe(int) {}
}  // namespace

int main(int argc, char** argv) {
  struct sigaction action {};
  action.sa_handler = on_sigpipe;
  action.sa_flags = SA_RESTART;
  ::sigaction(SIGPIPE, &action, nullptr);
  CLI::App app{"conduit: Windows named pipes and mailslots on Linux", "conduit"};
  app.set_version_flag("--version", "conduit " CONDUIT_VERSION);
  app.require_subcommand(1);
  app.fallthrough(false);
  conduit::cli::add_serve_command(app);
  conduit::cli::add_client_commands(app);
  conduit::cli::add_listing_commands(app);
  conduit::cli::add_mailslot_commands(app);
  conduit::cli::add_bench_command(app);
  conduit::cli::add_demo_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return conduit::cli::exit_usage;
  } catch (const conduit::cli::failure& e) {
    std::fprintf(stderr, "conduit: %s: %s\n", e.what(),
                 conduit::cli::describe_error(e.code()).c_str());
    return conduit::cli::exit_failed;
  } catch (const std::system_error& e) {
    std::fprintf(stderr, "conduit: %s\n", e.what());
    return conduit::cli::exit_failed;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "conduit: %s\n", e.what());
    return conduit::cli::exit_failed;
  }
  return conduit::cli::exit_ok;
}
