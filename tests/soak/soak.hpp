// conduit_soak: many client processes through one pipe server's instances
// while the server and the broker are killed and started again; at the end,
// every request a client saw acknowledged must be in the server's log.
//
//   conduit_soak run [--clients N] [--requests N] [--instances N]
//                    [--server-kill-ms MIN:MAX] [--broker-kill-ms MIN:MAX]
//                    [--timeout SECONDS] [--seed N] [--system-broker] [--keep]
//   conduit_soak server NAME LOG INSTANCES
//   conduit_soak client NAME ID REQUESTS ACKS SECONDS
//
// `run` plays the operator: it starts the server and the clients as
// processes of this program, kills the server (SIGKILL) at random moments
// in the first range and starts it again, kills the broker (SIGKILL) in the
// second range and leaves its restart to the library, as it happens in
// use, then checks the logs. With --system-broker the broker is a system
// one (`conduitd --system --runtime-dir`, conduitd beside this program or
// $CONDUIT_BROKER) that the run itself starts again, as a service manager
// would, up to 100 ms after each kill; the processes then cannot start a
// broker of their own (CONDUIT_BROKER names none), and wait for it. Exit 0 when every client got
// every request acknowledged and the log holds each; 1 otherwise, with what went wrong.
//
// The server and the clients are Win32 programs: the server appends each
// request to its log before it acknowledges it; a client sends its requests
// one at a time (TransactNamedPipe), and after any error opens the pipe
// again (WaitNamedPipe when all instances are busy) and sends the request
// that was not acknowledged once more. A request may so reach the log
// twice; it may never be acknowledged and missing.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace conduit::soak {

struct soak_options {
  int clients = 40;
  int requests = 100;
  int instances = 8;
  int server_kill_min_ms = 150, server_kill_max_ms = 400;   // 0:0 never
  int broker_kill_min_ms = 400, broker_kill_max_ms = 1000;  // 0:0 never
  int timeout_seconds = 60;
  std::uint64_t seed = 0;      // 0: from the clock
  bool system_broker = false;  // a system broker, started again by the run
  bool keep = false;           // keep the work folder
};

int run_soak(const soak_options& options);
int run_server(const std::string& name, const std::string& log, int instances);
int run_client(const std::string& name, int id, int requests, const std::string& acks, int seconds);

}  // namespace conduit::soak
