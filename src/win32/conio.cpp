// _getch and _kbhit on a Linux terminal.
#include "conduit/win32/conio.h"

#include <poll.h>
#include <termios.h>
#include <unistd.h>

extern "C" {

int _getch(void) {
  termios saved{};
  bool terminal = ::tcgetattr(STDIN_FILENO, &saved) == 0;
  if (terminal) {
    // One key, unechoed, without waiting for a line.
    termios raw = saved;
    raw.c_lflag &= static_cast<tcflag_t>(~(ICANON | ECHO));
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    ::tcsetattr(STDIN_FILENO, TCSANOW, &raw);
  }
  unsigned char c = 0;
  ssize_t n = ::read(STDIN_FILENO, &c, 1);
  if (terminal) ::tcsetattr(STDIN_FILENO, TCSANOW, &saved);
  return n == 1 ? c : -1;
}

int _kbhit(void) {
  pollfd p{STDIN_FILENO, POLLIN, 0};
  return ::poll(&p, 1, 0) == 1 ? 1 : 0;
}

}  // extern "C"
