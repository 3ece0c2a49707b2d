// One end of the network mailslot test (mailslot_network_test.sh), run in
// a network namespace of its own:
//
//   mailslot_net_peer recv SLOT COUNT IDLE_MS READY_FD [SDDL]
//       creates \\.\mailslot\SLOT (SDDL default: the network may write),
//       writes 'R' to READY_FD, reads until COUNT messages came or none
//       came for IDLE_MS; prints "message TEXT" for each of the first ten,
//       then "received N".
//   mailslot_net_peer send NAME TEXT [REPEAT]
//       CreateFileA(NAME) and REPEAT WriteFile calls of TEXT (Win32);
//       prints "sent N", or "error CODE at STEP".
//   mailslot_net_peer send-cpp NAME TEXT
//       the same through conduit::mailslot_client.
//   mailslot_net_peer send-size NAME BYTES
//       one WriteFile of BYTES bytes; prints "sent 1" or "error CODE at write".
#include <windows.h>

#include <unistd.h>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <system_error>

#include "conduit/error.hpp"
#include "conduit/mailslot.hpp"

namespace {

int receive(int argc, char** argv) {
  if (argc < 6) return 2;
  std::string name = std::string(R"(\\.\mailslot\)") + argv[2];
  long count = std::strtol(argv[3], nullptr, 10);
  long idle_ms = std::strtol(argv[4], nullptr, 10);
  int ready_fd = std::atoi(argv[5]);
  conduit::mailslot_options options;
  options.read_timeout = std::chrono::milliseconds(idle_ms);
  options.security_descriptor = argc > 6 ? argv[6] : "D:(A;;GA;;;NU)(A;;GA;;;OW)";
  std::error_code ec;
  auto slot = conduit::mailslot_server::create(name, options, ec);
  if (ec) {
    std::printf("error %d at create\n", ec.value());
    return 1;
  }
  (void)!::write(ready_fd, "R", 1);
  ::close(ready_fd);
  long received = 0;
  while (received < count) {
    auto message = slot.read_message(ec);
    if (ec) break;  // ERROR_SEM_TIMEOUT: nothing more came
    if (received < 10)
      std::printf("message %.*s\n", static_cast<int>(message.size()),
                  reinterpret_cast<const char*>(message.data()));
    ++received;
  }
  std::printf("received %ld\n", received);
  return 0;
}

int send_win32(const char* name, const std::string& text, long repeat) {
  HANDLE h = CreateFileA(name, GENERIC_WRITE, FILE_SHARE_READ, nullptr, OPEN_EXISTING,
                         FILE_ATTRIBUTE_NORMAL, nullptr);
  if (h == INVALID_HANDLE_VALUE) {
    std::printf("error %lu at open\n", static_cast<unsigned long>(GetLastError()));
    return 1;
  }
  long sent = 0;
  for (; sent < repeat; ++sent) {
    DWORD written = 0;
    if (!WriteFile(h, text.data(), static_cast<DWORD>(text.size()), &written, nullptr)) {
      std::printf("error %lu at write\n", static_cast<unsigned long>(GetLastError()));
      CloseHandle(h);
      return 1;
    }
    if (written != text.size()) {
      std::printf("error short at write\n");
      return 1;
    }
  }
  CloseHandle(h);
  std::printf("sent %ld\n", sent);
  return 0;
}

int send_cpp(const char* name, const std::string& text) {
  std::error_code ec;
  auto writer = conduit::mailslot_client::open(name, ec);
  if (!ec) writer.write(text, ec);
  if (ec) {
    std::printf("error %d at write\n", ec.value());
    return 1;
  }
  std::printf("sent 1\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "recv") return receive(argc, argv);
  if (mode == "send" && argc >= 4)
    return send_win32(argv[2], argv[3], argc > 4 ? std::strtol(argv[4], nullptr, 10) : 1);
  if (mode == "send-cpp" && argc >= 4) return send_cpp(argv[2], argv[3]);
  if (mode == "send-size" && argc >= 4)
    return send_win32(argv[2], std::string(std::strtoul(argv[3], nullptr, 10), 'x'), 1);
  std::fprintf(stderr, "usage: mailslot_net_peer recv|send|send-cpp|send-size ...\n");
  return 2;
}
