// conduit/anonymous_pipe.hpp: anonymous pipes, the ones CreatePipe makes.
//
// An anonymous pipe is one-way: bytes written to its write end come out of
// its read end, in order. It has no name; a process passes an end to a child
// it starts (conduit/process.hpp). The reader sees the end of the stream,
// ERROR_BROKEN_PIPE, only when every write end is closed, in every process
// that holds one, which is why an end a child should not hold must never
// reach it.
//
//   auto [read_end, write_end] = conduit::anonymous_pipe::create();
//   write_end.write("hello");
//   write_end.close();                       // the last writer: EOF follows
//   std::string text = read_end.read_to_end();   // "hello"
//
// Ends are Linux pipe descriptors, always close-on-exec. "Inheritable" is a
// mark the end carries (HANDLE_FLAG_INHERIT on Windows, off unless asked
// for); it never changes the descriptor. A child gets an end only when the
// launcher is told to pass it, so no thread starting a child can hand it an
// end by accident.
//
// Errors are Win32 codes (conduit/error.hpp); each call has a throwing
// overload and one that fills a std::error_code.
#pragma once

#include <chrono>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

namespace conduit {

/// How a pipe is made (CreatePipe's security attributes and nSize).
struct anonymous_pipe_options {
  /// Buffer size in bytes, as CreatePipe's nSize: 0 keeps the system default
  /// (64 KiB on Linux). Linux rounds a size up to a power-of-two number of
  /// pages (so at least 4 KiB), and conduit lowers a size over
  /// /proc/sys/fs/pipe-max-size (1 MiB by default) to that limit. Like
  /// Windows, conduit treats the size as advice: when the kernel refuses it
  /// (the user's pipe memory is over fs/pipe-user-pages-soft) the pipe keeps
  /// the default and creation still succeeds.
  std::size_t buffer_size = 0;
  /// Whether each end starts marked inheritable (bInheritHandle).
  bool inheritable_read = false;
  bool inheritable_write = false;
};

/// What both ends share: ownership of one descriptor and the inheritable mark.
class anonymous_pipe_end {
 public:
  anonymous_pipe_end(const anonymous_pipe_end&) = delete;
  anonymous_pipe_end& operator=(const anonymous_pipe_end&) = delete;

  /// Closes the end (CloseHandle). Also done by the destructor.
  void close() noexcept;
  [[nodiscard]] bool is_open() const noexcept { return fd_ >= 0; }

  /// The inheritable mark (GetHandleInformation / SetHandleInformation with
  /// HANDLE_FLAG_INHERIT). conduit's launcher passes an end named in
  /// process_options::inherited_handles only if it is marked.
  [[nodiscard]] bool inheritable() const noexcept { return inheritable_; }
  void set_inheritable(bool inheritable) noexcept { inheritable_ = inheritable; }

  /// The pipe's buffer size as the kernel keeps it (F_GETPIPE_SZ).
  /// Errors: ERROR_INVALID_HANDLE on a closed end.
  /// @throws std::system_error
  [[nodiscard]] std::size_t buffer_size() const;
  [[nodiscard]] std::size_t buffer_size(std::error_code& ec) const noexcept;

  /// The descriptor, still owned by this end (-1 when closed). It is
  /// close-on-exec whatever the inheritable mark says.
  [[nodiscard]] int native_handle() const noexcept { return fd_; }

  /// Gives up the descriptor without closing it; the end is closed after.
  [[nodiscard]] int release() noexcept;

 protected:
  anonymous_pipe_end() noexcept = default;
  anonymous_pipe_end(int fd, bool inheritable) noexcept : fd_(fd), inheritable_(inheritable) {}
  anonymous_pipe_end(anonymous_pipe_end&& other) noexcept;
  anonymous_pipe_end& operator=(anonymous_pipe_end&& other) noexcept;
  ~anonymous_pipe_end();

  /// A close-on-exec copy of the descriptor, or -1 with `ec` set.
  int duplicate_fd(std::error_code& ec) const noexcept;

  int fd_ = -1;
  bool inheritable_ = false;
};

/// The end a pipe is read from.
class anonymous_read_end : public anonymous_pipe_end {
 public:
  anonymous_read_end() noexcept = default;
  anonymous_read_end(anonymous_read_end&&) noexcept = default;
  anonymous_read_end& operator=(anonymous_read_end&&) noexcept = default;
  ~anonymous_read_end() = default;

  /// Takes ownership of `fd`, the read side of a Linux pipe; makes it
  /// close-on-exec. For the Win32 layer and for descriptors made elsewhere.
  [[nodiscard]] static anonymous_read_end from_native_handle(int fd,
                                                             bool inheritable = false) noexcept;

  /// Reads what is there, blocking until at least one byte arrives (ReadFile
  /// on a pipe). With an empty `buffer` it waits until data or the end of
  /// the stream is there and returns 0. Errors: ERROR_BROKEN_PIPE once every
  /// write end is closed and everything written was read; ERROR_NO_DATA if
  /// the descriptor was made non-blocking and the pipe is empty;
  /// ERROR_INVALID_HANDLE on a closed end.
  /// @throws std::system_error
  std::size_t read(std::span<std::byte> buffer);
  std::size_t read(std::span<std::byte> buffer, std::error_code& ec) noexcept;

  /// Reads until every write end is closed and returns everything: the usual
  /// way to collect a child's output. The end of the stream is not an error.
  /// With a timeout, stops when it passes: ERROR_SEM_TIMEOUT, and what was
  /// read so far is returned. Other errors as read(); the overloads taking
  /// `ec` return what was read before an error.
  /// @throws std::system_error
  [[nodiscard]] std::string read_to_end();
  [[nodiscard]] std::string read_to_end(std::error_code& ec) noexcept;
  [[nodiscard]] std::string read_to_end(std::chrono::milliseconds timeout);
  [[nodiscard]] std::string read_to_end(std::chrono::milliseconds timeout,
                                        std::error_code& ec) noexcept;

  /// Bytes that a read would return now without blocking (FIONREAD; what
  /// PeekNamedPipe reports as the total bytes available).
  /// Errors: ERROR_INVALID_HANDLE on a closed end.
  /// @throws std::system_error
  [[nodiscard]] std::size_t bytes_available() const;
  [[nodiscard]] std::size_t bytes_available(std::error_code& ec) const noexcept;

  /// Waits until a read would not block: data is there or every writer has
  /// closed. True if so, false when `timeout` passed first (a negative
  /// timeout waits without limit). Errors: ERROR_INVALID_HANDLE.
  /// @throws std::system_error
  [[nodiscard]] bool wait_readable(std::chrono::milliseconds timeout) const;
  [[nodiscard]] bool wait_readable(std::chrono::milliseconds timeout,
                                   std::error_code& ec) const noexcept;

  /// Another end on the same pipe (DuplicateHandle), with its own mark.
  /// Errors: ERROR_INVALID_HANDLE; ERROR_TOO_MANY_OPEN_FILES.
  /// @throws std::system_error
  [[nodiscard]] anonymous_read_end duplicate(bool inheritable = false) const;
  [[nodiscard]] anonymous_read_end duplicate(bool inheritable, std::error_code& ec) const noexcept;

 private:
  friend struct anonymous_pipe;
  anonymous_read_end(int fd, bool inheritable) noexcept : anonymous_pipe_end(fd, inheritable) {}
};

/// The end a pipe is written to.
class anonymous_write_end : public anonymous_pipe_end {
 public:
  anonymous_write_end() noexcept = default;
  anonymous_write_end(anonymous_write_end&&) noexcept = default;
  anonymous_write_end& operator=(anonymous_write_end&&) noexcept = default;
  ~anonymous_write_end() = default;

  /// Takes ownership of `fd`, the write side of a Linux pipe; makes it
  /// close-on-exec.
  [[nodiscard]] static anonymous_write_end from_native_handle(int fd,
                                                              bool inheritable = false) noexcept;

  /// Writes all of `data`, blocking while the pipe is full (WriteFile).
  /// Returns the bytes written, all of them unless an error came first.
  /// Errors: ERROR_NO_DATA when no read end is open any more ("the pipe is
  /// being closed"); the process gets no SIGPIPE for it. ERROR_INVALID_HANDLE
  /// on a closed end.
  /// @throws std::system_error
  std::size_t write(std::span<const std::byte> data);
  std::size_t write(std::span<const std::byte> data, std::error_code& ec) noexcept;
  std::size_t write(std::string_view text) { return write(std::as_bytes(std::span(text))); }
  std::size_t write(std::string_view text, std::error_code& ec) noexcept {
    return write(std::as_bytes(std::span(text)), ec);
  }

  /// Another end on the same pipe (DuplicateHandle), with its own mark. The
  /// reader sees EOF only when this copy is closed too.
  /// Errors: ERROR_INVALID_HANDLE; ERROR_TOO_MANY_OPEN_FILES.
  /// @throws std::system_error
  [[nodiscard]] anonymous_write_end duplicate(bool inheritable = false) const;
  [[nodiscard]] anonymous_write_end duplicate(bool inheritable, std::error_code& ec) const noexcept;

 private:
  friend struct anonymous_pipe;
  anonymous_write_end(int fd, bool inheritable) noexcept : anonymous_pipe_end(fd, inheritable) {}
};

/// A new pipe's two ends (CreatePipe). Bind them with
/// `auto [read_end, write_end] = anonymous_pipe::create();`.
struct anonymous_pipe {
  anonymous_read_end read_end;
  anonymous_write_end write_end;

  /// Makes a pipe. Errors: ERROR_TOO_MANY_OPEN_FILES when this process or the
  /// system has no descriptor left; ERROR_NOT_ENOUGH_MEMORY.
  /// @throws std::system_error
  [[nodiscard]] static anonymous_pipe create(const anonymous_pipe_options& options = {});
  [[nodiscard]] static anonymous_pipe create(const anonymous_pipe_options& options,
                                             std::error_code& ec) noexcept;
};

}  // namespace conduit
