// conduit_win32_test_child: a Win32 program the CreateProcess tests start.
// It uses only the Win32 API, as a program written for Windows would. Its
// first argument says what to do:
//
//   cat               copies standard input to standard output until EOF
//   drain             reads standard input until EOF, discarding it
//   write-handle H T  writes T to the inherited handle H (a number), closes it;
//                     exits with GetLastError() if that fails
//   set-event H       SetEvent on the inherited handle H; exits with
//                     GetLastError() if that fails
//   two-handles A B T closes A, then writes T to B (duplicates of one end
//                     must stay one object in the child)
//   cmdline           writes GetCommandLineA() to standard output
//   env NAME          writes the variable's value, or "(unset)"
//   cwd               writes the working directory
//   exit N            ExitProcess(N)
//   from-stdin STEP ...  reads a handle number from standard input (one
//                     line), then does STEP with it as STEP's first argument
//                     (a handle DuplicateHandle put into this process)
//   offer-event       creates an event, writes its handle number and a
//                     newline to standard output, reads standard input to
//                     its end, then exits 0 if the handle is gone, 2 if the
//                     event is set, 3 if not
//   read-handle H     reads once from handle H and writes what it got to
//                     standard output; exits with GetLastError() if the
//                     read fails (ERROR_MORE_DATA after writing the part)
//   dup-into PID      DuplicateHandle of a new event into process PID;
//                     exits 0 or with GetLastError()
//   release-semaphore H  ReleaseSemaphore(H, 1): exits with the previous
//                     count, or 200 + the error modulo 50
//   take-and-exit H   takes the mutex H (no wait) and exits owning it:
//                     0 if it took it, else 1
//   same-by-name KIND H NAME  whether the named mutex or semaphore H
//                     (KIND: mutex, semaphore) is what OpenMutex or
//                     OpenSemaphore with NAME gives here, and CreateMutex or
//                     CreateSemaphore with NAME says ERROR_ALREADY_EXISTS:
//                     exits 0 if so, else the step that failed (1-3)
//   hold-handle H     writes "held" and a newline, keeps handle H open
//                     until standard input ends, then exits 0
//   probe HS FDS [PATH H]  what this process found at start-up: for each
//                     handle value in HS (comma-separated, "-" for none)
//                     "H=valid" or "H=invalid", for each descriptor in FDS
//                     "FD=closed" or "FD=open,cloexec=C,offset=O"; then,
//                     with PATH, opens PATH and reads once from handle H:
//                     "read=TEXT" or "read-error=E". Space-separated.
//   open-process PID  OpenProcess of process PID; exits 0 or with
//                     GetLastError()
//   as UID STEP ...   becomes user and group UID (no other groups), then
//                     runs STEP ...
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <windows.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

void put(const std::string& text) {
  DWORD n = 0;
  WriteFile(GetStdHandle(STD_OUTPUT_HANDLE), text.data(), static_cast<DWORD>(text.size()), &n,
            nullptr);
}

// Reads standard input to its end; true if that ended with ERROR_BROKEN_PIPE.
bool copy_input(bool echo) {
  HANDLE in = GetStdHandle(STD_INPUT_HANDLE);
  char buffer[4096];
  for (;;) {
    DWORD n = 0;
    if (!ReadFile(in, buffer, sizeof(buffer), &n, nullptr))
      return GetLastError() == ERROR_BROKEN_PIPE;
    if (n == 0) return true;  // a file's end
    if (echo) put(std::string(buffer, n));
  }
}

// One line of standard input, read a byte at a time so nothing after it is
// taken from the pipe.
std::string read_line() {
  std::string line;
  char c = 0;
  DWORD n = 0;
  while (ReadFile(GetStdHandle(STD_INPUT_HANDLE), &c, 1, &n, nullptr) && n == 1 && c != '\n')
    line += c;
  return line;
}

int run(int argc, char** argv);

int offer_event() {
  // Standard input's handle first: made later, it could take the number
  // the event's handle had once that was closed from outside.
  GetStdHandle(STD_INPUT_HANDLE);
  HANDLE event = CreateEventA(nullptr, TRUE, FALSE, nullptr);
  if (!event) return 101;
  put(std::to_string(reinterpret_cast<std::uintptr_t>(event)) + "\n");
  copy_input(false);
  DWORD flags = 0;
  if (!GetHandleInformation(event, &flags)) return GetLastError() == ERROR_INVALID_HANDLE ? 0 : 102;
  return WaitForSingleObject(event, 0) == WAIT_OBJECT_0 ? 2 : 3;
}

int dup_into(DWORD pid) {
  HANDLE process = OpenProcess(PROCESS_DUP_HANDLE, FALSE, pid);
  if (!process) return static_cast<int>(GetLastError());
  HANDLE event = CreateEventA(nullptr, TRUE, FALSE, nullptr);
  HANDLE copy = nullptr;
  if (!DuplicateHandle(GetCurrentProcess(), event, process, &copy, 0, FALSE, DUPLICATE_SAME_ACCESS))
    return static_cast<int>(GetLastError());
  return 0;
}

std::vector<std::string> comma_list(const std::string& text) {
  std::vector<std::string> out;
  if (text == "-") return out;
  std::size_t start = 0;
  for (;;) {
    std::size_t end = text.find(',', start);
    out.push_back(text.substr(start, end - start));
    if (end == std::string::npos) return out;
    start = end + 1;
  }
}

int probe(int argc, char** argv) {
  std::string out;
  for (const auto& h : comma_list(argv[2])) {
    DWORD flags = 0;
    auto handle = reinterpret_cast<HANDLE>(std::strtoull(h.c_str(), nullptr, 0));
    out += h + (GetHandleInformation(handle, &flags) ? "=valid " : "=invalid ");
  }
  for (const auto& f : comma_list(argv[3])) {
    int fd = std::atoi(f.c_str());
    int flags = ::fcntl(fd, F_GETFD);
    if (flags < 0) {
      out += f + "=closed ";
      continue;
    }
    out += f + "=open,cloexec=" + std::to_string(flags & FD_CLOEXEC) +
           ",offset=" + std::to_string(::lseek(fd, 0, SEEK_CUR)) + " ";
  }
  if (argc >= 6) {
    int secret = ::open(argv[4], O_RDONLY);
    auto handle = reinterpret_cast<HANDLE>(std::strtoull(argv[5], nullptr, 0));
    char buffer[256];
    DWORD n = 0;
    if (ReadFile(handle, buffer, sizeof(buffer), &n, nullptr))
      out += "read=" + std::string(buffer, n);
    else
      out += "read-error=" + std::to_string(GetLastError());
    if (secret >= 0) ::close(secret);
  }
  put(out);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return run(argc, argv);
}

namespace {

int run(int argc, char** argv) {
  if (argc < 2) return 100;
  std::string step = argv[1];
  if (step == "from-stdin" && argc >= 3) {
    std::string handle = read_line();
    std::vector<char*> args = {argv[0], argv[2], handle.data()};
    for (int i = 3; i < argc; ++i) args.push_back(argv[i]);
    args.push_back(nullptr);
    return run(static_cast<int>(args.size()) - 1, args.data());
  }
  if (step == "as" && argc >= 4) {
    // Started as root, it becomes the user itself: the build folder need not
    // be reachable by that user.
    auto id = static_cast<uid_t>(std::atoi(argv[2]));
    if (::setgroups(0, nullptr) != 0 || ::setresgid(id, id, id) != 0 ||
        ::setresuid(id, id, id) != 0)
      return 126;
    std::vector<char*> args = {argv[0]};
    for (int i = 3; i < argc; ++i) args.push_back(argv[i]);
    args.push_back(nullptr);
    return run(static_cast<int>(args.size()) - 1, args.data());
  }
  if (step == "offer-event") ExitProcess(static_cast<UINT>(offer_event()));
  if (step == "probe" && argc >= 4) ExitProcess(static_cast<UINT>(probe(argc, argv)));
  if (step == "open-process" && argc >= 3) {
    HANDLE process = OpenProcess(PROCESS_QUERY_INFORMATION | SYNCHRONIZE, FALSE,
                                 static_cast<DWORD>(std::atoi(argv[2])));
    ExitProcess(process ? 0 : GetLastError());
  }
  if (step == "dup-into" && argc >= 3)
    ExitProcess(static_cast<UINT>(dup_into(static_cast<DWORD>(std::atoi(argv[2])))));
  if (step == "cat") ExitProcess(copy_input(true) ? 0 : 101);
  if (step == "drain") ExitProcess(copy_input(false) ? 0 : 101);
  if (step == "write-handle" && argc >= 4) {
    auto handle = reinterpret_cast<HANDLE>(std::strtoull(argv[2], nullptr, 0));
    DWORD n = 0;
    if (!WriteFile(handle, argv[3], static_cast<DWORD>(std::strlen(argv[3])), &n, nullptr))
      ExitProcess(GetLastError());
    ExitProcess(CloseHandle(handle) ? 0 : 102);
  }
  if (step == "read-handle" && argc >= 3) {
    auto handle = reinterpret_cast<HANDLE>(std::strtoull(argv[2], nullptr, 0));
    char buffer[4096];
    DWORD n = 0;
    BOOL ok = ReadFile(handle, buffer, sizeof(buffer), &n, nullptr);
    DWORD error = ok ? 0 : GetLastError();
    put(std::string(buffer, n));
    ExitProcess(error);
  }
  if (step == "pending-read" && argc >= 4) {
    // An overlapped read left pending as the process ends, by ExitProcess
    // ("exit-process") or by returning from main.
    auto handle = reinterpret_cast<HANDLE>(std::strtoull(argv[2], nullptr, 0));
    static char buffer[1];
    static OVERLAPPED overlapped{};
    overlapped.hEvent = CreateEventA(nullptr, TRUE, FALSE, nullptr);
    if (ReadFile(handle, buffer, sizeof(buffer), nullptr, &overlapped) ||
        GetLastError() != ERROR_IO_PENDING)
      ExitProcess(103);
    if (std::string(argv[3]) == "exit-process") ExitProcess(0);
    return 0;
  }
  if (step == "forge-packets" && argc >= 3) {
    // Holding a file whose port is another process's, it writes what it
    // likes to the socket behind that: packets of the wrong size, and one
    // well formed (overlapped 0x1234, 7 bytes, success), which can carry no
    // key of its choosing. The socket is the one this process only sends
    // on (shut down for reading).
    int sockets = 0;
    DIR* fds = ::opendir("/proc/self/fd");
    while (dirent* entry = fds ? ::readdir(fds) : nullptr) {
      int fd = std::atoi(entry->d_name);
      int type = 0;
      socklen_t length = sizeof(type);
      pollfd p{fd, POLLRDHUP, 0};
      if (fd <= 2 || ::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) != 0 ||
          type != SOCK_SEQPACKET || ::poll(&p, 1, 0) != 1 || !(p.revents & POLLRDHUP))
        continue;
      char junk[100] = {1, 2, 3};
      std::uint64_t forged[2] = {0x1234, 7ull << 32};
      std::uint64_t keyed[3] = {0x1234, 0, 999};  // a key appended: the wrong size
      (void)::send(fd, junk, 3, MSG_NOSIGNAL);
      (void)::send(fd, junk, sizeof(junk), MSG_NOSIGNAL);
      (void)::send(fd, keyed, sizeof(keyed), MSG_NOSIGNAL);
      (void)::send(fd, forged, sizeof(forged), MSG_NOSIGNAL);
      ++sockets;
    }
    if (fds) ::closedir(fds);
    ExitProcess(static_cast<UINT>(sockets));
  }
  if (step == "overlapped-read" && argc >= 3) {
    // An overlapped read that finds data, waited for on its event.
    auto handle = reinterpret_cast<HANDLE>(std::strtoull(argv[2], nullptr, 0));
    // The handle brought its port along: it cannot be associated again.
    if (CreateIoCompletionPort(handle, nullptr, 1, 0) || GetLastError() != ERROR_INVALID_PARAMETER)
      ExitProcess(106);
    char buffer[64];
    OVERLAPPED overlapped{};
    overlapped.hEvent = CreateEventA(nullptr, TRUE, FALSE, nullptr);
    DWORD n = 0;
    if (!ReadFile(handle, buffer, sizeof(buffer), nullptr, &overlapped) &&
        GetLastError() != ERROR_IO_PENDING)
      ExitProcess(104);
    if (!GetOverlappedResult(handle, &overlapped, &n, TRUE)) ExitProcess(105);
    ExitProcess(n);
  }
  if (step == "hold-handle" && argc >= 3) {
    put("held\n");
    ExitProcess(copy_input(false) ? 0 : 101);
  }
  if (step == "release-semaphore" && argc >= 3) {
    auto handle = reinterpret_cast<HANDLE>(std::strtoull(argv[2], nullptr, 0));
    LONG previous = -1;
    if (!ReleaseSemaphore(handle, 1, &previous)) ExitProcess(200 + (GetLastError() % 50));
    ExitProcess(static_cast<UINT>(previous));
  }
  if (step == "take-and-exit" && argc >= 3) {
    auto handle = reinterpret_cast<HANDLE>(std::strtoull(argv[2], nullptr, 0));
    ExitProcess(WaitForSingleObject(handle, 0) == WAIT_OBJECT_0 ? 0 : 1);  // owning it
  }
  if (step == "same-by-name" && argc >= 5) {
    std::string kind = argv[2];
    auto handle = reinterpret_cast<HANDLE>(std::strtoull(argv[3], nullptr, 0));
    const char* name = argv[4];
    if (kind == "mutex") {
      HANDLE by_name = OpenMutexA(MUTEX_ALL_ACCESS, FALSE, name);
      if (!by_name) ExitProcess(1);
      // One object: taken through the name, it is this thread's through H
      // too (recursively); another object over the same counter is not.
      if (WaitForSingleObject(by_name, 0) != WAIT_OBJECT_0) ExitProcess(1);
      if (WaitForSingleObject(handle, 0) != WAIT_OBJECT_0) ExitProcess(2);
      ReleaseMutex(handle);
      ReleaseMutex(by_name);
      HANDLE created = CreateMutexA(nullptr, FALSE, name);
      ExitProcess(created && GetLastError() == ERROR_ALREADY_EXISTS ? 0 : 3);
    }
    // A semaphore: one object has one maximum, whatever the name's holder
    // says; its count moves through either handle.
    HANDLE by_name = OpenSemaphoreA(SEMAPHORE_ALL_ACCESS, FALSE, name);
    if (!by_name) ExitProcess(1);
    LONG previous = -1;
    if (!ReleaseSemaphore(by_name, 1, &previous)) ExitProcess(1);
    if (WaitForSingleObject(handle, 0) != WAIT_OBJECT_0) ExitProcess(2);
    HANDLE created = CreateSemaphoreA(nullptr, 0, 5, name);
    ExitProcess(created && GetLastError() == ERROR_ALREADY_EXISTS ? 0 : 3);
  }
  if (step == "set-event" && argc >= 3) {
    auto handle = reinterpret_cast<HANDLE>(std::strtoull(argv[2], nullptr, 0));
    ExitProcess(SetEvent(handle) ? 0 : GetLastError());
  }
  if (step == "two-handles" && argc >= 5) {
    auto first = reinterpret_cast<HANDLE>(std::strtoull(argv[2], nullptr, 0));
    auto second = reinterpret_cast<HANDLE>(std::strtoull(argv[3], nullptr, 0));
    if (!CloseHandle(first)) ExitProcess(GetLastError());
    DWORD n = 0;
    if (!WriteFile(second, argv[4], static_cast<DWORD>(std::strlen(argv[4])), &n, nullptr))
      ExitProcess(GetLastError());
    ExitProcess(0);
  }
  if (step == "cmdline") {
    put(GetCommandLineA());
    ExitProcess(0);
  }
  if (step == "env" && argc >= 3) {
    const char* value = std::getenv(argv[2]);
    put(value ? value : "(unset)");
    ExitProcess(0);
  }
  if (step == "cwd") {
    char buffer[4096];
    put(::getcwd(buffer, sizeof(buffer)) ? buffer : "?");
    ExitProcess(0);
  }
  if (step == "exit" && argc >= 3) ExitProcess(static_cast<UINT>(std::atoi(argv[2])));
  return 100;
}

}  // namespace
