// conduit-gate: what a process CreateProcess started with CREATE_SUSPENDED
// runs until ResumeThread.
//
//   conduit-gate FD PROGRAM ARGV0 ARGS...
//
// Waits for one byte on descriptor FD (the creator writes it on
// ResumeThread), closes FD, and executes PROGRAM with ARGV0 ARGS... in this
// same process, so the pid the creator was given stays the program's.
// If FD reaches its end without a byte (every handle to the suspended
// process closed without resuming it), exits with 1 without running
// anything; if PROGRAM cannot be executed, exits with 127.
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

extern char** environ;

int main(int argc, char** argv) {
  if (argc < 4) return 2;
  char* end = nullptr;
  long fd = std::strtol(argv[1], &end, 10);
  if (*end != '\0' || fd < 3) return 2;
  char byte = 0;
  ssize_t n;
  do {
    n = ::read(static_cast<int>(fd), &byte, 1);
  } while (n < 0 && errno == EINTR);
  if (n != 1) return 1;
  ::close(static_cast<int>(fd));
  ::execve(argv[2], argv + 3, environ);
  return 127;
}
