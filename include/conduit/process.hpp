// conduit/process.hpp: starting a child process with redirected stdio.
//
// process::launch is the CreateProcess of the C++ API: it starts a program
// with an argument vector, and each of the child's standard handles (stdin,
// stdout, stderr) can be an anonymous pipe end, a file, /dev/null, closed, or
// this process's own. Besides those three, the child gets exactly the
// descriptors listed in process_options::inherited_handles, at the same
// numbers, and nothing else: every descriptor conduit makes is close-on-exec,
// the launcher hands ends over only inside the new child (posix_spawn file
// actions), and by default the child closes any other descriptor too. So
// threads that start children at the same time never leak ends into each
// other's children, and a reader sees the end of a pipe as soon as the
// writers that were meant to hold it are gone (the seed's "step 6").
//
//   auto [out_read, out_write] = conduit::anonymous_pipe::create();
//   auto child = conduit::process::launch({
//       .argv = {"ls", "-l"},
//       .std_output = out_write,
//   });
//   out_write.close();                          // the child holds the only writer now
//   std::string listing = out_read.read_to_end();  // ends when ls exits
//   std::uint32_t code = child.wait();
//
// Or let the launcher make the pipe and keep the parent's end:
//
//   auto child = conduit::process::launch({.argv = {"ls"}, .std_output = conduit::stdio::pipe()});
//   std::string listing = child.std_output().read_to_end();
//
// A child that outlives its process object keeps running (CloseHandle on a
// process handle does not end it); conduit reaps it in the background when
// it exits, so it never lingers as a zombie.
//
// Errors are Win32 codes (conduit/error.hpp); each call has a throwing
// overload and one that fills a std::error_code.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "conduit/anonymous_pipe.hpp"

namespace conduit {

namespace detail {
class child_process;
}

/// What one of a child's standard handles is. Made from a pipe end
/// implicitly, or with the named constructors. A pipe end or descriptor is
/// borrowed: it must stay open until launch() returns, and the parent's copy
/// is still the parent's to close afterwards.
class stdio {
 public:
  enum class kind {
    inherit,      // this process's own descriptor of the same number
    null,         // /dev/null
    closed,       // no descriptor at all in the child
    file,         // a file: read for stdin; created or truncated for output
    append_file,  // a file opened for appending (created if missing)
    pipe,         // a new pipe; the parent's end is in process::std_*()
    read_end,     // an anonymous pipe's read end (stdin only)
    write_end,    // an anonymous pipe's write end (stdout or stderr only)
    native,       // any descriptor of this process
  };

  /// The default: the child shares this process's stdin, stdout or stderr.
  stdio() noexcept = default;
  stdio(const anonymous_read_end& end) noexcept : kind_(kind::read_end), fd_(end.native_handle()) {}
  stdio(const anonymous_write_end& end) noexcept
      : kind_(kind::write_end), fd_(end.native_handle()) {}

  [[nodiscard]] static stdio inherit() noexcept { return {}; }
  [[nodiscard]] static stdio null() noexcept { return stdio(kind::null); }
  [[nodiscard]] static stdio closed() noexcept { return stdio(kind::closed); }
  [[nodiscard]] static stdio pipe() noexcept { return stdio(kind::pipe); }
  /// The file is opened by the launcher, in this process, so a relative
  /// path is relative to this process's working directory, as on Windows.
  [[nodiscard]] static stdio file(std::filesystem::path path) {
    return stdio(kind::file, std::move(path));
  }
  [[nodiscard]] static stdio append_to(std::filesystem::path path) {
    return stdio(kind::append_file, std::move(path));
  }
  [[nodiscard]] static stdio native(int fd) noexcept {
    stdio s(kind::native);
    s.fd_ = fd;
    return s;
  }

  [[nodiscard]] kind which() const noexcept { return kind_; }
  [[nodiscard]] int fd() const noexcept { return fd_; }
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

 private:
  explicit stdio(kind k, std::filesystem::path path = {}) : kind_(k), path_(std::move(path)) {}
  kind kind_ = kind::inherit;
  int fd_ = -1;
  std::filesystem::path path_;
};

/// One descriptor, besides stdio, that a child gets, at the same number (as
/// a Windows child gets an inherited handle at the same value). A pipe end
/// must be marked inheritable (anonymous_pipe_end::set_inheritable), as
/// Windows requires of every handle in PROC_THREAD_ATTRIBUTE_HANDLE_LIST;
/// the mark is read when the entry is made. A native descriptor is taken as
/// the caller's explicit choice.
class inherited_handle {
 public:
  inherited_handle(const anonymous_pipe_end& end) noexcept
      : fd_(end.native_handle()), marked_(end.inheritable()) {}
  [[nodiscard]] static inherited_handle native(int fd) noexcept { return inherited_handle(fd); }

  [[nodiscard]] int fd() const noexcept { return fd_; }
  [[nodiscard]] bool inheritable() const noexcept { return marked_; }

 private:
  explicit inherited_handle(int fd) noexcept : fd_(fd), marked_(true) {}
  int fd_;
  bool marked_;
};

/// Everything launch() needs (CreateProcess's parameters and STARTUPINFO).
struct process_options {
  /// The argument vector, argv[0] first. Strings may not contain NUL.
  std::vector<std::string> argv;
  /// The program to run. When empty, argv[0] is: searched for in this
  /// process's PATH if it has no '/', as execvp does. A relative path with a
  /// '/' is relative to this process's working directory.
  std::filesystem::path program;
  /// The child's environment, "NAME=value" each; none: this process's.
  std::optional<std::vector<std::string>> environment;
  /// The child's working directory; empty: this process's.
  std::filesystem::path working_directory;
  stdio std_input;
  stdio std_output;
  stdio std_error;
  /// Descriptors the child also gets, at the same numbers (3 and up).
  std::vector<inherited_handle> inherited_handles;
  /// Close, in the child, every other descriptor from 3 up, including ones
  /// other code opened without close-on-exec, so the child holds exactly
  /// what is listed. Off: only close-on-exec descriptors stay behind (all
  /// of conduit's are).
  bool close_other_descriptors = true;
};

class process {
 public:
  /// Starts a child (CreateProcess). Returns once the program is running, or
  /// with the reason it could not run.
  ///
  /// Errors: ERROR_INVALID_PARAMETER for an empty argv and program, a NUL in
  /// a string, an environment entry without '=', a pipe end on the wrong
  /// slot (a write end as stdin, a read end as stdout or stderr), an
  /// inherited descriptor below 3 or an inherited pipe end not marked
  /// inheritable; ERROR_INVALID_HANDLE for a closed end or descriptor;
  /// ERROR_FILE_NOT_FOUND when the program or a stdio file does not exist,
  /// or a directory on its path does not (Linux does not tell the two apart;
  /// Windows would say ERROR_PATH_NOT_FOUND for the second);
  /// ERROR_PATH_NOT_FOUND when a component of the path is not a directory;
  /// ERROR_ACCESS_DENIED when it may not be run or opened; ERROR_BAD_EXE_FORMAT
  /// (193) when it is no executable; ERROR_DIRECTORY (267) when
  /// working_directory is not a directory; ERROR_FILENAME_EXCED_RANGE when
  /// argv and environment exceed the kernel's limit;
  /// ERROR_TOO_MANY_OPEN_FILES; ERROR_NOT_ENOUGH_MEMORY.
  /// @throws std::system_error
  [[nodiscard]] static process launch(const process_options& options);
  [[nodiscard]] static process launch(const process_options& options, std::error_code& ec) noexcept;

  process() noexcept;
  process(process&&) noexcept;
  process& operator=(process&&) noexcept;
  /// Closes the process object (see close()); the child keeps running.
  ~process();

  /// The child's process id.
  [[nodiscard]] std::uint32_t id() const noexcept;

  /// Waits for the child to end and returns its exit code
  /// (WaitForSingleObject + GetExitCodeProcess). Several threads may wait at
  /// once. With a timeout: std::nullopt if the child is still running when
  /// it passes (WAIT_TIMEOUT is a result, not an error).
  ///
  /// The exit code is what the child passed to exit(); the code given to
  /// terminate() if that ended it; 128 + the signal number if a signal ended
  /// it otherwise (termination_signal() tells which).
  ///
  /// Errors: ERROR_INVALID_HANDLE on an empty or closed object;
  /// ERROR_NOT_FOUND when the exit status was taken by someone else (a
  /// waitpid(-1) elsewhere in the process, or SIGCHLD set to SIG_IGN).
  /// @throws std::system_error
  std::uint32_t wait();
  std::uint32_t wait(std::error_code& ec) noexcept;
  std::optional<std::uint32_t> wait(std::chrono::milliseconds timeout);
  std::optional<std::uint32_t> wait(std::chrono::milliseconds timeout,
                                    std::error_code& ec) noexcept;

  /// The exit code if the child has ended, std::nullopt while it runs
  /// (GetExitCodeProcess's STILL_ACTIVE). Never blocks. Errors as wait().
  /// @throws std::system_error
  [[nodiscard]] std::optional<std::uint32_t> exit_code();
  [[nodiscard]] std::optional<std::uint32_t> exit_code(std::error_code& ec) noexcept;

  /// The signal that ended the child, if one did and it has been waited
  /// for; SIGKILL after terminate().
  [[nodiscard]] std::optional<int> termination_signal() const noexcept;

  /// Ends the child at once (TerminateProcess): SIGKILL, which it cannot
  /// catch; wait() then returns `exit_code`, unless the child had already
  /// exited by itself. Does not wait for it to be gone.
  /// Errors: ERROR_ACCESS_DENIED when the child has already ended (as
  /// Windows reports); ERROR_INVALID_HANDLE on an empty or closed object.
  /// @throws std::system_error
  void terminate(std::uint32_t exit_code = 1);
  void terminate(std::uint32_t exit_code, std::error_code& ec) noexcept;

  /// The parent's ends of pipes made with stdio::pipe(); closed ends for the
  /// slots that were something else. Move them out to keep them past the
  /// process object.
  [[nodiscard]] anonymous_write_end& std_input() noexcept { return std_input_; }
  [[nodiscard]] anonymous_read_end& std_output() noexcept { return std_output_; }
  [[nodiscard]] anonymous_read_end& std_error() noexcept { return std_error_; }

  /// A pidfd for the child (-1 when closed): poll it for POLLIN to learn
  /// that the child ended. Owned by this object; close-on-exec.
  [[nodiscard]] int native_handle() const noexcept;

  /// Lets go of the child (CloseHandle): it keeps running, and conduit reaps
  /// it in the background when it ends. Pipe ends from stdio::pipe() still
  /// held here are closed too.
  void close() noexcept;
  [[nodiscard]] bool is_open() const noexcept { return impl_ != nullptr; }

 private:
  std::unique_ptr<detail::child_process> impl_;
  anonymous_write_end std_input_;
  anonymous_read_end std_output_;
  anonymous_read_end std_error_;
};

}  // namespace conduit
