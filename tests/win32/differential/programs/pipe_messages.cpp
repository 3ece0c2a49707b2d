// Message-type pipes: boundaries, partial reads (ERROR_MORE_DATA),
// zero-length messages, read modes, peek, transact and CallNamedPipe.
#include "observe.h"

#define PIPE(n) "\\\\.\\pipe\\conduit-diff-messages-" n

static HANDLE create(const char* name, DWORD pipe_mode) {
  return CreateNamedPipeA(name, PIPE_ACCESS_DUPLEX, pipe_mode, 1, 1024, 1024, 0, NULL);
}

static HANDLE open_client(const char* name) {
  return CreateFileA(name, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
}

static void read_show(const char* label, HANDLE h, DWORD size) {
  char buf[256];
  DWORD n = 0;
  show_io(label, ReadFile(h, buf, size, &n, NULL), &n, buf);
}

static void write_show(const char* label, HANDLE h, const char* text) {
  DWORD n = 0;
  show_io(label, WriteFile(h, text, (DWORD)strlen(text), &n, NULL), &n, NULL);
}

static void peek_show(const char* label, HANDLE h, DWORD size) {
  char buf[256];
  DWORD n = 0, avail = 0, left = 0;
  BOOL r = PeekNamedPipe(h, buf, size, &n, &avail, &left);
  DWORD e = GetLastError();
  char eb[64], db[256];
  if (r)
    say(label, "TRUE, read %lu avail %lu left %lu %s", (unsigned long)n, (unsigned long)avail,
        (unsigned long)left, data_text(db, sizeof db, buf, n));
  else
    say(label, "FALSE, %s", error_text(eb, sizeof eb, e));
}

static void state_show(const char* label, HANDLE h) {
  DWORD state = 0xdead, instances = 0xdead;
  if (show_bool(label, GetNamedPipeHandleStateA(h, &state, &instances, NULL, NULL, NULL, 0))) {
    char l[128];
    snprintf(l, sizeof l, "%s state", label);
    show_hex(l, state);
  }
}

static BOOL set_mode(HANDLE h, DWORD mode) {
  return SetNamedPipeHandleState(h, &mode, NULL, NULL);
}

// Server side of a transaction: reads one request, answers "reply:" and the
// request. Argument: the server handle.
static DWORD WINAPI answer_one(LPVOID arg) {
  HANDLE s = (HANDLE)arg;
  char in[64], out[80];
  DWORD n, w;
  if (!ReadFile(s, in, sizeof in, &n, NULL)) return 1;
  memcpy(out, "reply:", 6);
  memcpy(out + 6, in, n);
  return WriteFile(s, out, 6 + n, &w, NULL) ? 0 : 2;
}

// A server for CallNamedPipe: connects, answers one request, disconnects.
static DWORD WINAPI call_server(LPVOID arg) {
  HANDLE s = (HANDLE)arg;
  if (!ConnectNamedPipe(s, NULL) && GetLastError() != ERROR_PIPE_CONNECTED) return 1;
  DWORD r = answer_one(s);
  FlushFileBuffers(s);
  DisconnectNamedPipe(s);
  return r;
}

// A large message from another thread, then a small one.
static DWORD WINAPI write_large(LPVOID arg) {
  static char big[100000];
  for (DWORD i = 0; i < sizeof big; i++) big[i] = (char)('a' + i % 26);
  DWORD n;
  if (!WriteFile((HANDLE)arg, big, sizeof big, &n, NULL) || n != sizeof big) return 1;
  return WriteFile((HANDLE)arg, "tail", 4, &n, NULL) ? 0 : 2;
}

static void join(const char* label, HANDLE t) {
  show_wait(label, WaitForSingleObject(t, LONG_WAIT));
  DWORD code = 99;
  GetExitCodeThread(t, &code);
  char l[128];
  snprintf(l, sizeof l, "%s exit code", label);
  show_num(l, code);
  CloseHandle(t);
}

int main() {
  HANDLE s = show_handle("CreateNamedPipe message",
                         create(PIPE("m"), PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE));
  HANDLE c = show_handle("CreateFile message", open_client(PIPE("m")));
  state_show("GetNamedPipeHandleState server", s);
  state_show("GetNamedPipeHandleState client", c);

  // Client to server: boundaries kept, a partial read leaves the rest.
  write_show("WriteFile one", c, "one");
  write_show("WriteFile three", c, "three");
  write_show("WriteFile empty message", c, "");
  write_show("WriteFile four4", c, "four4");
  peek_show("PeekNamedPipe 100 of first", s, 100);
  peek_show("PeekNamedPipe 2 of first", s, 2);
  peek_show("PeekNamedPipe 0 of first", s, 0);
  read_show("ReadFile one", s, 100);
  read_show("ReadFile 2 of three", s, 2);
  peek_show("PeekNamedPipe rest of three", s, 100);
  read_show("ReadFile 2 more of three", s, 2);
  read_show("ReadFile last of three", s, 100);
  read_show("ReadFile empty message", s, 100);
  read_show("ReadFile four4", s, 100);
  peek_show("PeekNamedPipe empty", s, 100);

  // Server to client: the client reads in byte mode until it asks for
  // message mode.
  write_show("WriteFile ab", s, "ab");
  write_show("WriteFile cd", s, "cd");
  peek_show("PeekNamedPipe byte-mode client", c, 100);
  read_show("ReadFile byte-mode client", c, 100);
  show_bool("SetNamedPipeHandleState client message mode", set_mode(c, PIPE_READMODE_MESSAGE));
  state_show("GetNamedPipeHandleState client message mode", c);
  write_show("WriteFile xy", s, "xy");
  write_show("WriteFile z", s, "z");
  write_show("WriteFile empty to client", s, "");
  read_show("ReadFile xy", c, 100);
  read_show("ReadFile z", c, 100);
  read_show("ReadFile empty to client", c, 100);
  write_show("WriteFile 0123456789 to client", s, "0123456789");
  read_show("ReadFile 4 of 0123456789", c, 4);
  read_show("ReadFile rest of 0123456789", c, 100);
  show_bool("SetNamedPipeHandleState client nowait",
            set_mode(c, PIPE_READMODE_MESSAGE | PIPE_NOWAIT));
  state_show("GetNamedPipeHandleState client nowait", c);
  read_show("ReadFile nowait empty", c, 100);
  show_bool("SetNamedPipeHandleState client wait", set_mode(c, PIPE_READMODE_MESSAGE));
  show_bool("SetNamedPipeHandleState server byte mode", set_mode(s, PIPE_READMODE_BYTE));
  write_show("WriteFile 12", c, "12");
  write_show("WriteFile 34", c, "34");
  read_show("ReadFile byte-mode server", s, 100);
  set_mode(s, PIPE_READMODE_MESSAGE);

  // A message larger than the pipe's buffers, read in pieces.
  HANDLE t = CreateThread(NULL, 0, write_large, c, 0, NULL);
  static char piece[4096];
  DWORD total = 0, reads = 0, n = 0;
  BOOL r;
  do {
    r = ReadFile(s, piece, sizeof piece, &n, NULL);
    total += n;
    reads++;
  } while (!r && GetLastError() == ERROR_MORE_DATA);
  say("ReadFile large message", "%s after %lu reads of 4096, %lu bytes", r ? "TRUE" : "FALSE",
      (unsigned long)reads, (unsigned long)total);
  read_show("ReadFile message after the large one", s, 100);
  join("large writer", t);

  // TransactNamedPipe: write a request, read the answer.
  char out[64];
  n = 0;
  t = CreateThread(NULL, 0, answer_one, s, 0, NULL);
  show_io("TransactNamedPipe ping",
          TransactNamedPipe(c, (LPVOID) "ping", 4, out, sizeof out, &n, NULL), &n, out);
  join("transact answer", t);
  t = CreateThread(NULL, 0, answer_one, s, 0, NULL);
  n = 0;
  show_io("TransactNamedPipe small out buffer",
          TransactNamedPipe(c, (LPVOID) "ping", 4, out, 4, &n, NULL), &n, out);
  join("transact answer 2", t);
  read_show("ReadFile rest of the answer", c, 100);
  write_show("WriteFile unread message", s, "unread");
  n = 0;
  show_io("TransactNamedPipe with data waiting",
          TransactNamedPipe(c, (LPVOID) "ping", 4, out, sizeof out, &n, NULL), &n, out);
  read_show("ReadFile the unread message", c, 100);
  // An empty message first: peek sees it (nothing to copy) as often as it
  // looks, and it is unread data to a transaction.
  write_show("WriteFile empty first", s, "");
  write_show("WriteFile abc after the empty one", s, "abc");
  peek_show("PeekNamedPipe empty first", c, 100);
  peek_show("PeekNamedPipe empty first again", c, 100);
  n = 0;
  show_io("TransactNamedPipe with an empty message waiting",
          TransactNamedPipe(c, (LPVOID) "ping", 4, out, sizeof out, &n, NULL), &n, out);
  read_show("ReadFile the empty message", c, 100);
  peek_show("PeekNamedPipe abc after the empty one", c, 100);
  read_show("ReadFile abc", c, 100);
  write_show("WriteFile only an empty message", s, "");
  peek_show("PeekNamedPipe only an empty message", c, 100);
  n = 0;
  show_io("TransactNamedPipe with only an empty message waiting",
          TransactNamedPipe(c, (LPVOID) "ping", 4, out, sizeof out, &n, NULL), &n, out);
  read_show("ReadFile the last empty message", c, 100);
  set_mode(c, PIPE_READMODE_BYTE);
  n = 0;
  show_io("TransactNamedPipe byte read mode",
          TransactNamedPipe(c, (LPVOID) "ping", 4, out, sizeof out, &n, NULL), &n, out);
  CloseHandle(c);
  CloseHandle(s);

  // Byte pipes cannot read messages.
  s = show_handle("CreateNamedPipe byte", create(PIPE("b"), PIPE_TYPE_BYTE));
  c = open_client(PIPE("b"));
  show_bool("SetNamedPipeHandleState byte server message mode", set_mode(s, PIPE_READMODE_MESSAGE));
  show_bool("SetNamedPipeHandleState byte client message mode", set_mode(c, PIPE_READMODE_MESSAGE));
  n = 0;
  show_io("TransactNamedPipe byte pipe",
          TransactNamedPipe(c, (LPVOID) "ping", 4, out, sizeof out, &n, NULL), &n, out);
  CloseHandle(c);
  CloseHandle(s);

  // CallNamedPipe: open, write, read, close in one call.
  s = create(PIPE("call"), PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE);
  t = CreateThread(NULL, 0, call_server, s, 0, NULL);
  n = 0;
  show_io("CallNamedPipe call",
          CallNamedPipeA(PIPE("call"), (LPVOID) "call", 4, out, sizeof out, &n, LONG_WAIT), &n,
          out);
  join("call server", t);
  t = CreateThread(NULL, 0, call_server, s, 0, NULL);
  n = 0;
  show_io("CallNamedPipe small out buffer",
          CallNamedPipeA(PIPE("call"), (LPVOID) "call", 4, out, 3, &n, LONG_WAIT), &n, out);
  join("call server 2", t);
  n = 0;
  show_io("CallNamedPipe missing pipe",
          CallNamedPipeA(PIPE("nobody"), (LPVOID) "call", 4, out, sizeof out, &n, 0), &n, out);
  n = 0;
  show_io("CallNamedPipe disconnected instance 50 ms",
          CallNamedPipeA(PIPE("call"), (LPVOID) "call", 4, out, sizeof out, &n, 50), &n, out);
  CloseHandle(s);

  // The server's last message is empty and it closes at once: the client
  // still has that message to read before the pipe is broken.
  s = create(PIPE("last"), PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE);
  c = open_client(PIPE("last"));
  set_mode(c, PIPE_READMODE_MESSAGE);
  write_show("WriteFile empty, then close", s, "");
  CloseHandle(s);
  peek_show("PeekNamedPipe empty message after close", c, 100);
  read_show("ReadFile empty message after close", c, 100);
  peek_show("PeekNamedPipe after the last message", c, 100);
  read_show("ReadFile after the last message", c, 100);
  CloseHandle(c);
  return 0;
}
