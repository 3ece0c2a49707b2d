// CallNamedPipe for conduit_bench, in a file of its own so that windows.h's
// names stay out of the benchmark's.
#include <windows.h>

#include <string>

#include "bench_support.hpp"

namespace conduit_bench {

bool win32_call(const std::string& name, std::string& error) {
  char request = 1;
  char answer = 0;
  DWORD got = 0;
  // All instances busy: CallNamedPipe waits (up to this long) for one.
  constexpr DWORD busy_wait_ms = 5000;
  if (!CallNamedPipeA(name.c_str(), &request, sizeof(request), &answer, sizeof(answer), &got,
                      busy_wait_ms) ||
      got != sizeof(answer)) {
    error = "CallNamedPipe: error " + std::to_string(GetLastError());
    return false;
  }
  return true;
}

}  // namespace conduit_bench
