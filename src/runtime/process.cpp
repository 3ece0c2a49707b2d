// The launcher: posix_spawn with file actions, and a pidfd per child.
//
// Why posix_spawn file actions: the only moment a descriptor may lose
// close-on-exec is inside the new child, between fork and exec. Clearing it
// in the parent (what CreateProcess-era code does with SetHandleInformation)
// would let any other thread's child inherit the end in that window. dup2 in
// the child's file actions gives the copy at the target number a clear
// close-on-exec flag and touches nothing in the parent.
#include "conduit/process.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <mutex>

#include "conduit/error.hpp"
#include "core/throw_error.hpp"
#include "core/unique_fd.hpp"
#include "runtime/child_reaper.hpp"
#include "runtime/deadline.hpp"

extern char** environ;

namespace conduit {

using detail::throw_if_error;
using detail::unique_fd;

namespace detail {

/// One child: its pidfd, and its exit status once reaped. The mutex makes
/// reaping happen once however many threads wait.
class child_process {
 public:
  child_process(pid_t pid, unique_fd pidfd) noexcept : pid_(pid), pidfd_(std::move(pidfd)) {}

  [[nodiscard]] pid_t pid() const noexcept { return pid_; }
  [[nodiscard]] int pidfd() const noexcept { return pidfd_.get(); }
  [[nodiscard]] unique_fd take_pidfd() noexcept { return std::move(pidfd_); }

  /// Reaps the child if it has ended. True once its status is known.
  bool try_reap(std::error_code& ec) noexcept {
    std::lock_guard lock(mutex_);
    if (reaped_) return status_known(ec);
    for (;;) {
      siginfo_t info{};
      if (::waitid(P_PIDFD, static_cast<id_t>(pidfd_.get()), &info, WEXITED | WNOHANG) == 0) {
        if (info.si_pid == 0) return false;  // still running
        reaped_ = true;
        code_ = info.si_code;
        status_ = info.si_status;
        return true;
      }
      if (errno == EINTR) continue;
      // ECHILD: auto-reaped (SIGCHLD ignored) or taken by a waitpid(-1).
      reaped_ = true;
      lost_ = true;
      return status_known(ec);
    }
  }

  [[nodiscard]] bool reaped() noexcept {
    std::lock_guard lock(mutex_);
    return reaped_;
  }

  /// Records the code terminate() promised; the first one wins, as the
  /// first TerminateProcess does.
  void set_terminate_code(std::uint32_t code) noexcept {
    std::lock_guard lock(mutex_);
    if (!terminate_code_) terminate_code_ = code;
  }

  [[nodiscard]] std::uint32_t exit_code() noexcept {
    std::lock_guard lock(mutex_);
    if (code_ == CLD_EXITED) return static_cast<std::uint32_t>(status_);
    if (status_ == SIGKILL && terminate_code_) return *terminate_code_;
    return 128u + static_cast<std::uint32_t>(status_);
  }

  [[nodiscard]] std::optional<int> termination_signal() noexcept {
    std::lock_guard lock(mutex_);
    if (!reaped_ || lost_ || code_ == CLD_EXITED) return std::nullopt;
    return status_;
  }

 private:
  bool status_known(std::error_code& ec) const noexcept {
    if (lost_) ec = errc::not_found;
    return !lost_;
  }

  pid_t pid_;
  unique_fd pidfd_;
  std::mutex mutex_;
  bool reaped_ = false;
  bool lost_ = false;
  int code_ = 0;
  int status_ = 0;
  std::optional<std::uint32_t> terminate_code_;
};

}  // namespace detail

namespace {

// Win32 numbers conduit's errc does not name yet; CreateProcess reports them.
constexpr int error_bad_exe_format = 193;  // ERROR_BAD_EXE_FORMAT
constexpr int error_directory = 267;       // ERROR_DIRECTORY

std::error_code win32(int value) {
  return {value, win32_category()};
}

// What CreateProcess reports for the errno of a failed exec or open.
std::error_code spawn_error(int error) {
  switch (error) {
    case ENOEXEC:
      return win32(error_bad_exe_format);
    // Windows caps a command line at 32767 characters with this error.
    case E2BIG:
      return errc::filename_exced_range;
    case EISDIR:
      return errc::access_denied;
    case ELOOP:
      return errc::invalid_name;
    default:
      return error_from_errno(error);
  }
}

bool has_nul(const std::string& s) {
  return s.find('\0') != std::string::npos;
}

bool is_open_fd(int fd) {
  return fd >= 0 && ::fcntl(fd, F_GETFD) >= 0;
}

// RAII for the two posix_spawn objects.
struct spawn_plan {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  spawn_plan() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  ~spawn_plan() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  spawn_plan(const spawn_plan&) = delete;
  spawn_plan& operator=(const spawn_plan&) = delete;
};

// A Windows child starts with no signal state from its parent; a Linux child
// inherits ignored signals and the signal mask. Reset both, so that e.g. a
// parent ignoring SIGPIPE or SIGCHLD does not change how the child behaves.
int reset_signals(posix_spawnattr_t& attr) {
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  sigdelset(&all, SIGKILL);
  sigdelset(&all, SIGSTOP);
  if (int rc = posix_spawnattr_setsigmask(&attr, &none)) return rc;
  if (int rc = posix_spawnattr_setsigdefault(&attr, &all)) return rc;
  return posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
}

// Closes, in the child, every descriptor from 3 up that is not inherited.
// closefrom covers everything above the highest inherited descriptor; the
// gaps below it are closed one by one, or, when they are wide, only the
// descriptors /proc says are open.
int close_others(posix_spawn_file_actions_t& actions, const std::vector<int>& keep) {
  // keep is sorted, unique and all >= 3, so the gaps below its top add up
  // to its top minus 3 minus its own size.
  std::size_t gap_total =
      keep.empty() ? 0 : static_cast<std::size_t>(keep.back() - 3) + 1 - keep.size();
  int low = 3;
  if (gap_total > 4096) {
    std::vector<int> open_fds;
    if (DIR* dir = ::opendir("/proc/self/fd")) {
      while (dirent* entry = ::readdir(dir)) {
        if (entry->d_name[0] == '.') continue;
        int fd = std::atoi(entry->d_name);
        if (fd >= 3 && fd < keep.back()) open_fds.push_back(fd);
      }
      ::closedir(dir);
    }
    for (int fd : open_fds) {
      if (std::binary_search(keep.begin(), keep.end(), fd)) continue;
      if (int rc = posix_spawn_file_actions_addclose(&actions, fd)) return rc;
    }
  } else {
    for (int fd : keep) {
      for (int gap = low; gap < fd; ++gap) {
        if (int rc = posix_spawn_file_actions_addclose(&actions, gap)) return rc;
      }
      low = fd + 1;
    }
  }
  if (!keep.empty()) low = keep.back() + 1;
  return posix_spawn_file_actions_addclosefrom_np(&actions, low);
}

int pidfd_open(pid_t pid) noexcept {
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}

}  // namespace

// --- launch ------------------------------------------------------------------

process process::launch(const process_options& options) {
  std::error_code ec;
  auto child = launch(options, ec);
  throw_if_error(ec, "conduit::process::launch");
  return child;
}

process process::launch(const process_options& options, std::error_code& ec) noexcept try {
  ec.clear();
  auto fail = [&](std::error_code error) {
    ec = error;
    return process();
  };

  // Everything is checked before anything is made, so a refusal leaves no
  // trace.
  std::string program = options.program.empty()
                            ? (options.argv.empty() ? std::string() : options.argv.front())
                            : options.program.string();
  if (program.empty() || has_nul(program)) return fail(errc::invalid_parameter);
  if (std::any_of(options.argv.begin(), options.argv.end(), has_nul))
    return fail(errc::invalid_parameter);
  if (options.environment) {
    for (const auto& entry : *options.environment) {
      if (has_nul(entry) || entry.find('=') == std::string::npos)
        return fail(errc::invalid_parameter);
    }
  }
  std::vector<int> keep;
  for (const auto& handle : options.inherited_handles) {
    if (handle.fd() >= 0 && handle.fd() < 3) return fail(errc::invalid_parameter);
    if (!is_open_fd(handle.fd())) return fail(errc::invalid_handle);
    if (!handle.inheritable()) return fail(errc::invalid_parameter);
    keep.push_back(handle.fd());
  }
  std::sort(keep.begin(), keep.end());
  keep.erase(std::unique(keep.begin(), keep.end()), keep.end());

  const std::array<const stdio*, 3> slots{&options.std_input, &options.std_output,
                                          &options.std_error};
  for (int target = 0; target < 3; ++target) {
    const stdio& slot = *slots[target];
    switch (slot.which()) {
      case stdio::kind::read_end:
        if (target != 0) return fail(errc::invalid_parameter);
        [[fallthrough]];
      case stdio::kind::write_end:
        if (slot.which() == stdio::kind::write_end && target == 0)
          return fail(errc::invalid_parameter);
        [[fallthrough]];
      case stdio::kind::native:
        if (!is_open_fd(slot.fd())) return fail(errc::invalid_handle);
        break;
      default:
        break;
    }
  }

  // The program path is resolved against this process's directory, before
  // the child changes its own.
  if (!options.working_directory.empty() && program.find('/') != std::string::npos &&
      program.front() != '/') {
    program = std::filesystem::absolute(program).string();
  }

  spawn_plan plan;
  std::vector<unique_fd> temporaries;  // parent-side copies, closed after the spawn
  process result;
  std::array<int, 3> sources{-1, -1, -1};

  if (!options.working_directory.empty()) {
    unique_fd dir(::open(options.working_directory.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!dir) {
      int error = errno;
      return fail(error == ENOENT || error == ENOTDIR ? win32(error_directory)
                                                      : spawn_error(error));
    }
    // First, before the closes below take the directory descriptor away.
    if (int rc = posix_spawn_file_actions_addfchdir_np(&plan.actions, dir.get()))
      return fail(spawn_error(rc));
    temporaries.push_back(std::move(dir));
  }

  for (int target = 0; target < 3; ++target) {
    const stdio& slot = *slots[target];
    int source = -1;
    switch (slot.which()) {
      case stdio::kind::inherit:
        break;
      case stdio::kind::closed:
        if (int rc = posix_spawn_file_actions_addclose(&plan.actions, target))
          return fail(spawn_error(rc));
        break;
      case stdio::kind::null:
      case stdio::kind::file:
      case stdio::kind::append_file: {
        // Opened here, not in the child, so an error names its cause
        // exactly and the path is relative to this process's directory.
        int flags = O_CLOEXEC | (target == 0 ? O_RDONLY : O_WRONLY);
        if (target != 0 && slot.which() == stdio::kind::file) flags |= O_CREAT | O_TRUNC;
        if (target != 0 && slot.which() == stdio::kind::append_file) flags |= O_CREAT | O_APPEND;
        const char* path = slot.which() == stdio::kind::null ? "/dev/null" : slot.path().c_str();
        unique_fd file(::open(path, flags, 0666));
        if (!file) return fail(spawn_error(errno));
        source = file.get();
        temporaries.push_back(std::move(file));
        break;
      }
      case stdio::kind::pipe: {
        auto pipe = anonymous_pipe::create({}, ec);
        if (ec) return process();
        if (target == 0) {
          source = pipe.read_end.native_handle();
          temporaries.emplace_back(pipe.read_end.release());
          result.std_input_ = std::move(pipe.write_end);
        } else {
          source = pipe.write_end.native_handle();
          temporaries.emplace_back(pipe.write_end.release());
          (target == 1 ? result.std_output_ : result.std_error_) = std::move(pipe.read_end);
        }
        break;
      }
      case stdio::kind::read_end:
      case stdio::kind::write_end:
      case stdio::kind::native:
        source = slot.fd();
        break;
    }
    // A source among 0-2 could be overwritten by an earlier dup2 in the
    // child; a close-on-exec copy above 2 cannot.
    if (source >= 0 && source < 3 && source != target) {
      unique_fd copy(::fcntl(source, F_DUPFD_CLOEXEC, 3));
      if (!copy) return fail(spawn_error(errno));
      source = copy.get();
      temporaries.push_back(std::move(copy));
    }
    sources[target] = source;
  }
  for (int target = 0; target < 3; ++target) {
    // dup2 onto itself is how a file action clears close-on-exec.
    if (sources[target] < 0) continue;
    if (int rc = posix_spawn_file_actions_adddup2(&plan.actions, sources[target], target))
      return fail(spawn_error(rc));
  }
  for (int fd : keep) {
    if (int rc = posix_spawn_file_actions_adddup2(&plan.actions, fd, fd))
      return fail(spawn_error(rc));
  }
  if (options.close_other_descriptors) {
    if (int rc = close_others(plan.actions, keep)) return fail(spawn_error(rc));
  }
  if (int rc = reset_signals(plan.attr)) return fail(spawn_error(rc));

  std::vector<std::string> argv_storage =
      options.argv.empty() ? std::vector<std::string>{program} : options.argv;
  std::vector<char*> argv;
  for (auto& arg : argv_storage) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_storage;
  std::vector<char*> envp;
  if (options.environment) {
    env_storage = *options.environment;
    for (auto& entry : env_storage) envp.push_back(entry.data());
    envp.push_back(nullptr);
  }

  pid_t pid = -1;
  bool search = program.find('/') == std::string::npos;
  int rc = (search ? ::posix_spawnp : ::posix_spawn)(&pid, program.c_str(), &plan.actions,
                                                     &plan.attr, argv.data(),
                                                     options.environment ? envp.data() : environ);
  if (rc != 0) return fail(spawn_error(rc));

  unique_fd pidfd(pidfd_open(pid));
  if (!pidfd) {
    // Without a pidfd the child cannot be waited for safely: undo it.
    int error = errno;
    ::kill(pid, SIGKILL);
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    return fail(spawn_error(error));
  }
  result.impl_ = std::make_unique<detail::child_process>(pid, std::move(pidfd));
  return result;
} catch (const std::bad_alloc&) {
  ec = errc::not_enough_memory;
  return process();
} catch (const std::filesystem::filesystem_error& e) {
  ec = spawn_error(e.code().value());
  return process();
}

// --- the process object ------------------------------------------------------

process::process() noexcept = default;
process::process(process&&) noexcept = default;

process& process::operator=(process&& other) noexcept {
  if (this != &other) {
    close();
    impl_ = std::move(other.impl_);
    std_input_ = std::move(other.std_input_);
    std_output_ = std::move(other.std_output_);
    std_error_ = std::move(other.std_error_);
  }
  return *this;
}

process::~process() {
  close();
}

void process::close() noexcept {
  std_input_.close();
  std_output_.close();
  std_error_.close();
  if (!impl_) return;
  std::error_code ignored;
  if (!impl_->try_reap(ignored) && !impl_->reaped()) {
    detail::reap_in_background(impl_->take_pidfd());
  }
  impl_.reset();
}

std::uint32_t process::id() const noexcept {
  return impl_ ? static_cast<std::uint32_t>(impl_->pid()) : 0;
}

int process::native_handle() const noexcept {
  return impl_ ? impl_->pidfd() : -1;
}

std::uint32_t process::wait() {
  std::error_code ec;
  auto code = wait(ec);
  throw_if_error(ec, "conduit::process::wait");
  return code;
}

std::uint32_t process::wait(std::error_code& ec) noexcept {
  return wait(std::chrono::milliseconds(-1), ec).value_or(0);
}

std::optional<std::uint32_t> process::wait(std::chrono::milliseconds timeout) {
  std::error_code ec;
  auto code = wait(timeout, ec);
  throw_if_error(ec, "conduit::process::wait");
  return code;
}

std::optional<std::uint32_t> process::wait(std::chrono::milliseconds timeout,
                                           std::error_code& ec) noexcept {
  ec.clear();
  if (!impl_) {
    ec = errc::invalid_handle;
    return std::nullopt;
  }
  detail::deadline until(timeout);
  for (;;) {
    if (impl_->try_reap(ec)) return impl_->exit_code();
    if (ec) return std::nullopt;
    // The pidfd turns readable when the child ends; then it can be reaped.
    int revents = detail::poll_until(impl_->pidfd(), POLLIN, until);
    if (revents < 0) {
      ec = error_from_errno(errno);
      return std::nullopt;
    }
    if (revents == 0) return std::nullopt;  // WAIT_TIMEOUT
  }
}

std::optional<std::uint32_t> process::exit_code() {
  std::error_code ec;
  auto code = exit_code(ec);
  throw_if_error(ec, "conduit::process::exit_code");
  return code;
}

std::optional<std::uint32_t> process::exit_code(std::error_code& ec) noexcept {
  return wait(std::chrono::milliseconds(0), ec);
}

std::optional<int> process::termination_signal() const noexcept {
  return impl_ ? impl_->termination_signal() : std::nullopt;
}

void process::terminate(std::uint32_t exit_code) {
  std::error_code ec;
  terminate(exit_code, ec);
  throw_if_error(ec, "conduit::process::terminate");
}

void process::terminate(std::uint32_t exit_code, std::error_code& ec) noexcept {
  ec.clear();
  if (!impl_) {
    ec = errc::invalid_handle;
    return;
  }
  // A child that has already ended cannot be terminated (Windows says
  // access denied); reaping first also keeps its own exit code.
  if (impl_->try_reap(ec) || ec) {
    ec = errc::access_denied;
    return;
  }
  impl_->set_terminate_code(exit_code);
  if (::syscall(SYS_pidfd_send_signal, impl_->pidfd(), SIGKILL, nullptr, 0) != 0) {
    ec = errno == ESRCH ? make_error_code(errc::access_denied) : error_from_errno(errno);
  }
}

}  // namespace conduit
