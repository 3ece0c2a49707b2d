// echo_server PREFIX INSTANCES PER_NAME MAX_INSTANCES [LISTENING]: the
// one-thread overlapped echo server of the benchmarks
// (bench/overlapped_echo_server.hpp) as a process of its own, for tests.
// LISTENING (default 0, all at once) keeps that many instances listening and
// creates the rest as clients connect. Prints "ready" once the first
// instances listen; on SIGTERM prints "connections N completions C errors E" and
// exits 0, or 1 when a call failed that should not have.
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "overlapped_echo_server.hpp"

namespace {

volatile std::sig_atomic_t stop_requested = 0;
void on_term(int) {
  stop_requested = 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5 && argc != 6) return 87;
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlives the test
  struct sigaction sa {};
  sa.sa_handler = on_term;  // no SA_RESTART: the server looks at the flag
  ::sigaction(SIGTERM, &sa, nullptr);

  conduit_bench::echo_server_options options;
  options.prefix = argv[1];
  options.instances = std::atoi(argv[2]);
  options.per_name = std::atoi(argv[3]);
  options.max_instances = static_cast<DWORD>(std::atoi(argv[4]));
  if (argc == 6) options.listening = std::atoi(argv[5]);
  if (options.instances < 1 || options.per_name < 1 || options.listening < 0) return 87;
  conduit_bench::echo_server_counts counts;
  bool ok = conduit_bench::run_echo_server(
      options, stop_requested, [](void*) { std::printf("ready\n"), std::fflush(stdout); }, nullptr,
      counts);
  std::printf("connections %ld completions %ld errors %ld\n", counts.connections,
              counts.completions, counts.errors);
  return ok ? 0 : 1;
}
