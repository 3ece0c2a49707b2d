// conduit_soak's command line (soak/soak.hpp).
#include <charconv>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include "soak/soak.hpp"

namespace {

bool number(std::string_view text, int& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && out >= 0;
}

bool range(std::string_view text, int& low, int& high) {
  std::size_t colon = text.find(':');
  return colon != std::string_view::npos && number(text.substr(0, colon), low) &&
         number(text.substr(colon + 1), high) && low <= high;
}

int usage() {
  std::fputs(
      "usage: conduit_soak run [--clients N] [--requests N] [--instances N]\n"
      "                        [--server-kill-ms MIN:MAX] [--broker-kill-ms MIN:MAX]\n"
      "                        [--timeout SECONDS] [--seed N] [--system-broker] [--keep]\n"
      "       conduit_soak server NAME LOG INSTANCES\n"
      "       conduit_soak client NAME ID REQUESTS ACKS SECONDS\n",
      stderr);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace conduit::soak;
  if (argc < 2) return usage();
  std::string_view role = argv[1];
  int a = 0, b = 0, c = 0;
  if (role == "server" && argc == 5 && number(argv[4], a)) return run_server(argv[2], argv[3], a);
  if (role == "client" && argc == 7 && number(argv[3], a) && number(argv[4], b) &&
      number(argv[6], c))
    return run_client(argv[2], a, b, argv[5], c);
  if (role != "run") return usage();
  soak_options options;
  for (int i = 2; i < argc; ++i) {
    std::string_view arg = argv[i];
    const char* value = i + 1 < argc ? argv[i + 1] : "";
    bool ok = true;
    if (arg == "--keep" || arg == "--system-broker") {
      (arg == "--keep" ? options.keep : options.system_broker) = true;
      continue;
    }
    if (arg == "--clients")
      ok = number(value, options.clients) && options.clients > 0;
    else if (arg == "--requests")
      ok = number(value, options.requests) && options.requests > 0;
    else if (arg == "--instances")
      ok = number(value, options.instances) && options.instances > 0 && options.instances < 255;
    else if (arg == "--server-kill-ms")
      ok = range(value, options.server_kill_min_ms, options.server_kill_max_ms);
    else if (arg == "--broker-kill-ms")
      ok = range(value, options.broker_kill_min_ms, options.broker_kill_max_ms);
    else if (arg == "--timeout")
      ok = number(value, options.timeout_seconds) && options.timeout_seconds > 0;
    else if (arg == "--seed")
      ok = number(value, a) && (options.seed = static_cast<std::uint64_t>(a), true);
    else
      ok = false;
    if (!ok) return usage();
    ++i;
  }
  return run_soak(options);
}
