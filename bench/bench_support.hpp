// What the benchmarks share: a private broker folder per run, the helper
// process that plays the other side, a watchdog that bounds every wait, and
// a raw socket end with the same read/write shape as a conduit pipe end (so
// one loop drives both and the baseline runs the very same code).
#pragma once

#include <sched.h>
#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace conduit_bench {

/// Descriptor numbers a helper process finds its ends at.
inline constexpr int helper_control_fd = 3;  // 'R' when ready; EOF means stop
inline constexpr int helper_data_fd = 4;     // the raw baselines' socket

/// A fresh CONDUIT_RUNTIME_DIR for this run; on destruction the broker the
/// library started there is stopped and the folder removed.
class runtime_session {
 public:
  runtime_session();
  ~runtime_session();
  runtime_session(const runtime_session&) = delete;
  runtime_session& operator=(const runtime_session&) = delete;
  [[nodiscard]] const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

/// This benchmark binary run again as `--helper MODE ARG`: the server side
/// of a benchmark, in a process of its own as Windows pipes are used.
class helper_process {
 public:
  helper_process() = default;
  helper_process(const helper_process&) = delete;
  helper_process& operator=(const helper_process&) = delete;
  ~helper_process() { stop(); }

  /// Starts the helper and waits (bounded) until it says it is ready.
  /// `data_fd`, if not -1, becomes the helper's helper_data_fd; `cpu`, if
  /// not -1, is the only CPU the helper runs on.
  bool start(std::string_view mode, std::string_view arg, int data_fd, std::string& error,
             int cpu = -1);
  /// Tells the helper to exit, waits for it (bounded), kills it if it hangs.
  void stop();

 private:
  pid_t pid_ = -1;
  int control_ = -1;
};

/// Ends the process if a benchmark is still running after `limit`: conduit's
/// blocking reads have no timeout, so this is what bounds every wait in a
/// timed loop without adding work to it.
class watchdog_scope {
 public:
  watchdog_scope(std::string_view what, std::chrono::seconds limit);
  ~watchdog_scope();
  watchdog_scope(const watchdog_scope&) = delete;
  watchdog_scope& operator=(const watchdog_scope&) = delete;
};

/// The processor's model name as /proc/cpuinfo gives it ("AMD EPYC",
/// "Intel(R) Xeon(R) ..."): printed beside every table, since the ratios
/// differ between CPU models.
std::string cpu_model();

/// N when `arg` is "<name>=N" (name with its dashes), else `fallback`.
int int_option(const char* arg, const char* name, int fallback);

/// Resident memory of process `pid` (0: this one) in KiB, from VmRSS in
/// /proc/<pid>/status; -1 if it cannot be read.
long resident_kib(pid_t pid);
/// Open descriptors of process `pid` (0: this one), from /proc/<pid>/fd.
int descriptor_count(pid_t pid);

/// Two CPUs this process may run on, for pinning the two sides of a data
/// path apart; nullopt when there are fewer.
std::optional<std::pair<int, int>> two_cpus();

/// Runs the calling thread on `cpu` only (nothing when -1) until destroyed.
class cpu_pin_scope {
 public:
  explicit cpu_pin_scope(int cpu);
  ~cpu_pin_scope();
  cpu_pin_scope(const cpu_pin_scope&) = delete;
  cpu_pin_scope& operator=(const cpu_pin_scope&) = delete;

 private:
  bool pinned_ = false;
  cpu_set_t saved_{};
};

/// A connected AF_UNIX stream socket with pipe_client's read/write shape.
struct raw_end {
  int fd = -1;
  std::size_t read(std::span<std::byte> buffer, std::error_code& ec) noexcept;
  std::size_t write(std::span<const std::byte> data, std::error_code& ec) noexcept;
};

/// Reads exactly buffer.size() bytes from a pipe end or raw_end.
template <typename End>
bool read_exact(End& end, std::span<std::byte> buffer, std::error_code& ec) {
  while (!buffer.empty()) {
    std::size_t n = end.read(buffer, ec);
    if (ec) return false;
    buffer = buffer.subspan(n);
  }
  return true;
}

/// Reads one message of exactly buffer.size() bytes with a single read, as
/// a message-mode reader does: a conduit end in message read mode or a
/// SOCK_SEQPACKET raw_end (one read, one record). Any other size is an error.
template <typename End>
bool read_whole(End& end, std::span<std::byte> buffer, std::error_code& ec) {
  std::size_t n = end.read(buffer, ec);
  if (!ec && n != buffer.size()) ec = std::make_error_code(std::errc::message_size);
  return !ec;
}

/// The helper side: runs MODE (on `cpu` only, unless -1) until told to
/// stop; returns the exit status.
int helper_main(std::string_view mode, std::string_view arg, int cpu);

/// CallNamedPipeA(name) with a 1-byte request and a 1-byte answer
/// (bench/win32_call.cpp); false with `error` set when it fails.
bool win32_call(const std::string& name, std::string& error);

/// The connect benchmark's server instances (and raw accept threads).
inline constexpr int connect_servers = 4;
/// Block size of the throughput benchmark and message size of the ping-pong.
inline constexpr std::size_t throughput_block = 64 * 1024;
inline constexpr std::size_t ping_size = 64;
/// Message sizes of the message throughput benchmarks.
inline constexpr std::size_t message_small = 4 * 1024;
inline constexpr std::size_t message_large = 1024 * 1024;

}  // namespace conduit_bench
