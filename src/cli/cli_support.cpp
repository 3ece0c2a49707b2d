#include "cli/cli_support.hpp"

#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "conduit/error.hpp"

namespace conduit::cli {

void check(const std::error_code& ec, const std::string& what) {
  if (ec) throw failure(what, ec);
}

std::string win32_error_name(int code) {
  switch (static_cast<errc>(code)) {
#define CONDUIT_NAME(e, text) \
  case errc::e:               \
    return text;
    CONDUIT_NAME(success, "ERROR_SUCCESS")
    CONDUIT_NAME(invalid_function, "ERROR_INVALID_FUNCTION")
    CONDUIT_NAME(file_not_found, "ERROR_FILE_NOT_FOUND")
    CONDUIT_NAME(path_not_found, "ERROR_PATH_NOT_FOUND")
    CONDUIT_NAME(too_many_open_files, "ERROR_TOO_MANY_OPEN_FILES")
    CONDUIT_NAME(access_denied, "ERROR_ACCESS_DENIED")
    CONDUIT_NAME(invalid_handle, "ERROR_INVALID_HANDLE")
    CONDUIT_NAME(not_enough_memory, "ERROR_NOT_ENOUGH_MEMORY")
    CONDUIT_NAME(handle_eof, "ERROR_HANDLE_EOF")
    CONDUIT_NAME(not_supported, "ERROR_NOT_SUPPORTED")
    CONDUIT_NAME(bad_netpath, "ERROR_BAD_NETPATH")
    CONDUIT_NAME(file_exists, "ERROR_FILE_EXISTS")
    CONDUIT_NAME(invalid_parameter, "ERROR_INVALID_PARAMETER")
    CONDUIT_NAME(broken_pipe, "ERROR_BROKEN_PIPE")
    CONDUIT_NAME(disk_full, "ERROR_DISK_FULL")
    CONDUIT_NAME(sem_timeout, "ERROR_SEM_TIMEOUT")
    CONDUIT_NAME(insufficient_buffer, "ERROR_INSUFFICIENT_BUFFER")
    CONDUIT_NAME(invalid_name, "ERROR_INVALID_NAME")
    CONDUIT_NAME(bad_pathname, "ERROR_BAD_PATHNAME")
    CONDUIT_NAME(already_exists, "ERROR_ALREADY_EXISTS")
    CONDUIT_NAME(filename_exced_range, "ERROR_FILENAME_EXCED_RANGE")
    CONDUIT_NAME(bad_pipe, "ERROR_BAD_PIPE")
    CONDUIT_NAME(pipe_busy, "ERROR_PIPE_BUSY")
    CONDUIT_NAME(no_data, "ERROR_NO_DATA")
    CONDUIT_NAME(pipe_not_connected, "ERROR_PIPE_NOT_CONNECTED")
    CONDUIT_NAME(more_data, "ERROR_MORE_DATA")
    CONDUIT_NAME(pipe_connected, "ERROR_PIPE_CONNECTED")
    CONDUIT_NAME(pipe_listening, "ERROR_PIPE_LISTENING")
    CONDUIT_NAME(operation_aborted, "ERROR_OPERATION_ABORTED")
    CONDUIT_NAME(io_incomplete, "ERROR_IO_INCOMPLETE")
    CONDUIT_NAME(io_pending, "ERROR_IO_PENDING")
    CONDUIT_NAME(service_not_active, "ERROR_SERVICE_NOT_ACTIVE")
    CONDUIT_NAME(not_found, "ERROR_NOT_FOUND")
    CONDUIT_NAME(no_system_resources, "ERROR_NO_SYSTEM_RESOURCES")
    CONDUIT_NAME(timeout, "ERROR_TIMEOUT")
    CONDUIT_NAME(not_enough_quota, "ERROR_NOT_ENOUGH_QUOTA")
    CONDUIT_NAME(invalid_security_descr, "ERROR_INVALID_SECURITY_DESCR")
#undef CONDUIT_NAME
    default:
      return "ERROR_" + std::to_string(code);
  }
}

std::string describe_error(const std::error_code& ec) {
  if (ec.category() == win32_category())
    return win32_error_name(ec.value()) + " (" + std::to_string(ec.value()) + "): " + ec.message();
  return ec.message();
}

namespace {
std::string prefixed(std::string_view name, std::string_view folder) {
  if (name.starts_with("\\\\")) return std::string(name);
  return "\\\\.\\" + std::string(folder) + "\\" + std::string(name);
}
}  // namespace

std::string pipe_path(std::string_view name) {
  return prefixed(name, "pipe");
}
std::string mailslot_path(std::string_view name) {
  return prefixed(name, "mailslot");
}

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

bool progress_wanted() {
  return ::isatty(STDERR_FILENO) == 1;
}

progress::progress(std::string label) : label_(std::move(label)), enabled_(progress_wanted()) {}

progress::~progress() {
  finish();
}

void progress::update(std::uint64_t done, std::uint64_t total, std::string_view unit) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  drawn_ = true;
  auto scaled = [&](std::uint64_t v) {
    char buf[32];
    if (unit == "B" && v >= (1u << 20))
      std::snprintf(buf, sizeof(buf), "%.1f MiB", static_cast<double>(v) / (1 << 20));
    else if (unit == "B" && v >= 1024)
      std::snprintf(buf, sizeof(buf), "%.1f KiB", static_cast<double>(v) / 1024);
    else
      std::snprintf(buf, sizeof(buf), "%llu %.*s", static_cast<unsigned long long>(v),
                    static_cast<int>(unit.size()), unit.data());
    return std::string(buf);
  };
  std::string line = label_ + ": " + scaled(done);
  if (total > 0) line += " of " + scaled(total) + " (" + std::to_string(done * 100 / total) + "%)";
  std::fprintf(stderr, "\r\033[K%s", line.c_str());
  std::fflush(stderr);
}

void progress::finish() {
  if (!enabled_ || !drawn_) return;
  std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
  drawn_ = false;
}

std::string self_path() {
  std::error_code ec;
  auto path = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("conduit") : path.string();
}

}  // namespace conduit::cli
