// conduit_test_child: a child process for the launcher tests. Its arguments
// are steps, run in order:
//
//   fds            prints "fd target" for each open descriptor (from
//                  /proc/self/fd), then "end"
//   cat            copies stdin to stdout until EOF
//   hold           reads stdin until EOF, discarding it
//   emit N         writes N bytes of 'x' to stdout
//   echo TEXT      writes TEXT and a newline to stdout
//   echo-err TEXT  writes TEXT and a newline to stderr
//   args           prints each remaining argument on its own line, then stops
//   env NAME       prints the variable's value, or "(unset)"
//   cwd            prints the working directory
//   sigpipe        prints "default" or "ignored": SIGPIPE's disposition
//   sigmask        prints "empty" or "blocked": the signal mask
//   exit N         exits with status N
//
// It deliberately uses no conduit code: it is what a foreign program sees.
#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

void write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0) std::exit(120);
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

void print(const std::string& text) {
  write_all(1, text.data(), text.size());
}

void list_fds() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (!dir) std::exit(121);
  std::string out;
  while (dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    int fd = std::atoi(entry->d_name);
    if (fd == ::dirfd(dir)) continue;
    char target[PATH_MAX] = {};
    std::string link = std::string("/proc/self/fd/") + entry->d_name;
    ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
    out += std::to_string(fd) + " " +
           (n > 0 ? std::string(target, static_cast<std::size_t>(n)) : "?") + "\n";
  }
  ::closedir(dir);
  print(out + "end\n");
}

void copy_stdin(bool keep) {
  char buffer[65536];
  for (;;) {
    ssize_t n = ::read(0, buffer, sizeof buffer);
    if (n == 0) return;
    if (n < 0) std::exit(122);
    if (keep) write_all(1, buffer, static_cast<std::size_t>(n));
  }
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string step = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) std::exit(123);
      return argv[++i];
    };
    if (step == "fds") {
      list_fds();
    } else if (step == "cat") {
      copy_stdin(true);
    } else if (step == "hold") {
      copy_stdin(false);
    } else if (step == "emit") {
      std::size_t left = std::strtoull(next().c_str(), nullptr, 10);
      std::string block(65536, 'x');
      while (left > 0) {
        std::size_t n = left < block.size() ? left : block.size();
        write_all(1, block.data(), n);
        left -= n;
      }
    } else if (step == "echo") {
      print(next() + "\n");
    } else if (step == "echo-err") {
      std::string text = next() + "\n";
      write_all(2, text.data(), text.size());
    } else if (step == "args") {
      for (++i; i < argc; ++i) print(std::string(argv[i]) + "\n");
      return 0;
    } else if (step == "env") {
      const char* value = std::getenv(next().c_str());
      print(std::string(value ? value : "(unset)") + "\n");
    } else if (step == "cwd") {
      char dir[PATH_MAX] = {};
      print(std::string(::getcwd(dir, sizeof dir) ? dir : "?") + "\n");
    } else if (step == "sigpipe") {
      struct sigaction action {};
      ::sigaction(SIGPIPE, nullptr, &action);
      print(action.sa_handler == SIG_IGN ? "ignored\n" : "default\n");
    } else if (step == "sigmask") {
      sigset_t mask;
      ::sigprocmask(SIG_SETMASK, nullptr, &mask);
      print(sigismember(&mask, SIGTERM) || sigismember(&mask, SIGPIPE) ? "blocked\n" : "empty\n");
    } else if (step == "exit") {
      return std::atoi(next().c_str());
    } else {
      return 124;
    }
  }
  return 0;
}
