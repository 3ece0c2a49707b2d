// process_bench: start a child and capture 1 MiB of its output, through
// conduit's launcher (process::launch + stdio::pipe + read_to_end + wait)
// and through plain posix_spawn + pipe2 + read + waitpid, in the same run.
//
// Both run the same child (`head -c 1048576 /dev/zero`), interleaved round
// by round so that drift in the machine hits both alike. Prints the median
// time of each and the conduit/raw rate ratio (1.0 = as fast as raw).
//
//   process_bench [rounds]     (default 200)
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "conduit/process.hpp"

extern char** environ;

namespace {

constexpr std::size_t output_size = 1 << 20;
const char* const child_argv[] = {"head", "-c", "1048576", "/dev/zero", nullptr};

using clock_type = std::chrono::steady_clock;

std::size_t run_conduit() {
  auto child = conduit::process::launch({
      .argv = {child_argv[0], child_argv[1], child_argv[2], child_argv[3]},
      .std_output = conduit::stdio::pipe(),
  });
  std::size_t n = child.std_output().read_to_end().size();
  if (child.wait() != 0) n = 0;
  return n;
}

std::size_t run_raw() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return 0;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  pid_t pid = -1;
  int rc = ::posix_spawnp(&pid, child_argv[0], &actions, nullptr,
                          const_cast<char* const*>(child_argv), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  std::string out;
  if (rc == 0) {
    std::array<char, 64 * 1024> buffer;
    for (;;) {
      ssize_t n = ::read(fds[0], buffer.data(), buffer.size());
      if (n > 0) {
        out.append(buffer.data(), static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        break;
      }
    }
  }
  ::close(fds[0]);
  int status = 0;
  if (rc == 0) ::waitpid(pid, &status, 0);
  return rc == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? out.size() : 0;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = argc > 1 ? std::atoi(argv[1]) : 200;
  if (rounds < 1) rounds = 1;
  // Every wait here ends when a child ends; the alarm bounds a child that
  // hangs all the same.
  ::alarm(300);

  std::vector<double> conduit_us, raw_us;
  for (int i = -5; i < rounds; ++i) {  // 5 warm-up rounds, not counted
    auto t0 = clock_type::now();
    std::size_t a = run_conduit();
    auto t1 = clock_type::now();
    std::size_t b = run_raw();
    auto t2 = clock_type::now();
    if (a != output_size || b != output_size) {
      std::fprintf(stderr, "round %d: captured %zu (conduit) and %zu (raw) bytes, not %zu\n", i, a,
                   b, output_size);
      return 1;
    }
    if (i < 0) continue;
    conduit_us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    raw_us.push_back(std::chrono::duration<double, std::micro>(t2 - t1).count());
  }
  double c = median(conduit_us), r = median(raw_us);
  std::printf("spawn + capture 1 MiB, median of %d rounds\n", rounds);
  std::printf("  %-34s %9.1f us  %8.1f runs/s\n", "conduit process::launch", c, 1e6 / c);
  std::printf("  %-34s %9.1f us  %8.1f runs/s\n", "raw posix_spawn + pipe2", r, 1e6 / r);
  std::printf("  conduit/raw rate ratio: %.2f\n", r / c);
  return 0;
}
