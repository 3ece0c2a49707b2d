// Named pipe life cycle: create, open, connect, disconnect and close, with
// the errors each step gives when done out of turn.
#include "observe.h"

#define PIPE(n) "\\\\.\\pipe\\conduit-diff-lifecycle-" n

static HANDLE create(const char* name, DWORD open_mode, DWORD pipe_mode, DWORD instances) {
  return CreateNamedPipeA(name, open_mode, pipe_mode, instances, 1024, 1024, 0, NULL);
}

static HANDLE open_client(const char* name, DWORD access) {
  return CreateFileA(name, access, 0, NULL, OPEN_EXISTING, 0, NULL);
}

static void read_show(const char* label, HANDLE h) {
  char buf[64];
  DWORD n = 0;
  show_io(label, ReadFile(h, buf, sizeof buf, &n, NULL), &n, buf);
}

static void write_show(const char* label, HANDLE h, const char* text) {
  DWORD n = 0;
  show_io(label, WriteFile(h, text, (DWORD)strlen(text), &n, NULL), &n, NULL);
}

// The client side of a reconnect: waits for the instance to listen again,
// opens it, writes, and closes.
static DWORD WINAPI reconnecting_client(LPVOID) {
  if (!WaitNamedPipeA(PIPE("a"), LONG_WAIT)) return 1;
  HANDLE c = open_client(PIPE("a"), GENERIC_READ | GENERIC_WRITE);
  if (c == INVALID_HANDLE_VALUE) return 2;
  DWORD n;
  WriteFile(c, "again", 5, &n, NULL);
  CloseHandle(c);
  return 0;
}

int main() {
  // Names and parameters that are refused.
  show_refused("CreateNamedPipe not a pipe name",
               create("not a named pipe", PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1));
  show_refused("CreateNamedPipe NULL name", create(NULL, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1));
  show_refused("CreateNamedPipe byte type with message read",
               create(PIPE("x1"), PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE | PIPE_READMODE_MESSAGE, 1));
  show_refused("CreateNamedPipe 0 instances", create(PIPE("x2"), PIPE_ACCESS_DUPLEX, 0, 0));
  show_refused("CreateNamedPipe 256 instances", create(PIPE("x3"), PIPE_ACCESS_DUPLEX, 0, 256));
  show_refused("CreateNamedPipe no access", create(PIPE("x4"), 0, 0, 1));

  // A pipe that does not exist.
  show_refused("CreateFile missing pipe", open_client(PIPE("missing"), GENERIC_READ));
  show_bool("WaitNamedPipe missing pipe", WaitNamedPipeA(PIPE("missing"), 0));

  // One instance, listening.
  HANDLE s = show_handle("CreateNamedPipe a", create(PIPE("a"), PIPE_ACCESS_DUPLEX, 0, 1));
  show_signaled("server handle signaled after create", s);
  show_bool("WaitNamedPipe listening", WaitNamedPipeA(PIPE("a"), 100));
  show_refused("CreateNamedPipe a beyond max instances",
               create(PIPE("a"), PIPE_ACCESS_DUPLEX, 0, 1));
  write_show("WriteFile listening server", s, "early");
  read_show("ReadFile listening server", s);
  DWORD avail = 0;
  show_bool("PeekNamedPipe listening server", PeekNamedPipe(s, NULL, 0, NULL, &avail, NULL));

  // A client opens it (names are case-insensitive) before ConnectNamedPipe.
  HANDLE c = show_handle(
      "CreateFile upper-case name",
      open_client("\\\\.\\PIPE\\CONDUIT-DIFF-LIFECYCLE-A", GENERIC_READ | GENERIC_WRITE));
  show_bool("ConnectNamedPipe after client opened", ConnectNamedPipe(s, NULL));
  show_bool("ConnectNamedPipe on client end", ConnectNamedPipe(c, NULL));
  show_refused("CreateFile busy pipe", open_client(PIPE("a"), GENERIC_READ | GENERIC_WRITE));
  show_bool("WaitNamedPipe busy 50 ms", WaitNamedPipeA(PIPE("a"), 50));

  // Data both ways; a byte pipe joins writes and splits reads.
  write_show("WriteFile server hello", s, "hello");
  read_show("ReadFile client hello", c);
  write_show("WriteFile client abc", c, "abc");
  write_show("WriteFile client def", c, "def");
  read_show("ReadFile server joined writes", s);
  write_show("WriteFile client 0123456789", c, "0123456789");
  char small[4];
  DWORD n = 0;
  show_io("ReadFile server 4 of 10", ReadFile(s, small, 4, &n, NULL), &n, small);
  read_show("ReadFile server the other 6", s);
  write_show("WriteFile client empty", c, "");

  // The server disconnects with data still in the pipe.
  write_show("WriteFile client before disconnect", c, "lost");
  show_bool("DisconnectNamedPipe with data waiting", DisconnectNamedPipe(s));
  read_show("ReadFile client after disconnect", c);
  write_show("WriteFile client after disconnect", c, "x");
  read_show("ReadFile server after disconnect", s);
  write_show("WriteFile server after disconnect", s, "x");
  show_bool("DisconnectNamedPipe twice", DisconnectNamedPipe(s));
  show_bool("PeekNamedPipe client after disconnect", PeekNamedPipe(c, NULL, 0, NULL, &avail, NULL));
  show_refused("CreateFile disconnected instance",
               open_client(PIPE("a"), GENERIC_READ | GENERIC_WRITE));
  show_bool("CloseHandle disconnected client", CloseHandle(c));

  // ConnectNamedPipe again: another thread's client connects, writes, and
  // closes.
  HANDLE t = CreateThread(NULL, 0, reconnecting_client, NULL, 0, NULL);
  show_bool("ConnectNamedPipe waits for the next client", ConnectNamedPipe(s, NULL));
  show_wait("reconnecting client done", WaitForSingleObject(t, LONG_WAIT));
  DWORD code = 99;
  GetExitCodeThread(t, &code);
  show_num("reconnecting client exit code", code);
  CloseHandle(t);
  read_show("ReadFile server data of a closed client", s);
  read_show("ReadFile server client closed", s);
  write_show("WriteFile server client closed", s, "x");
  show_bool("PeekNamedPipe server client closed", PeekNamedPipe(s, NULL, 0, NULL, &avail, NULL));
  show_bool("DisconnectNamedPipe after client closed", DisconnectNamedPipe(s));
  show_bool("CloseHandle server", CloseHandle(s));
  show_bool("CloseHandle server twice", CloseHandle(s));
  show_refused("CreateFile after last instance closed",
               open_client(PIPE("a"), GENERIC_READ | GENERIC_WRITE));

  // The server closes: the client reads what was left, then sees the end.
  s = create(PIPE("b"), PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1);
  c = open_client(PIPE("b"), GENERIC_READ | GENERIC_WRITE);
  write_show("WriteFile server before close", s, "bye");
  show_bool("CloseHandle server with data waiting", CloseHandle(s));
  read_show("ReadFile client data of a closed server", c);
  read_show("ReadFile client server closed", c);
  write_show("WriteFile client server closed", c, "x");
  CloseHandle(c);

  // Direction: inbound and outbound pipes and the access clients ask for.
  s = show_handle("CreateNamedPipe inbound", create(PIPE("in"), PIPE_ACCESS_INBOUND, 0, 1));
  show_refused("CreateFile inbound read-write",
               open_client(PIPE("in"), GENERIC_READ | GENERIC_WRITE));
  c = show_handle("CreateFile inbound write-only", open_client(PIPE("in"), GENERIC_WRITE));
  write_show("WriteFile inbound server", s, "x");
  read_show("ReadFile write-only client", c);
  write_show("WriteFile inbound client", c, "up");
  read_show("ReadFile inbound server", s);
  CloseHandle(c);
  CloseHandle(s);
  s = show_handle("CreateNamedPipe outbound", create(PIPE("out"), PIPE_ACCESS_OUTBOUND, 0, 1));
  show_refused("CreateFile outbound write-only", open_client(PIPE("out"), GENERIC_WRITE));
  c = show_handle("CreateFile outbound read-only", open_client(PIPE("out"), GENERIC_READ));
  read_show("ReadFile outbound server", s);
  write_show("WriteFile read-only client", c, "x");
  write_show("WriteFile outbound server", s, "down");
  read_show("ReadFile outbound client", c);
  CloseHandle(c);
  CloseHandle(s);

  // Instances must agree; the first-instance flag.
  s = create(PIPE("m"), PIPE_ACCESS_DUPLEX, 0, 2);
  show_refused("CreateNamedPipe second instance other access",
               create(PIPE("m"), PIPE_ACCESS_INBOUND, 0, 2));
  show_refused("CreateNamedPipe second instance first-instance flag",
               create(PIPE("m"), PIPE_ACCESS_DUPLEX | FILE_FLAG_FIRST_PIPE_INSTANCE, 0, 2));
  HANDLE s2 = show_handle("CreateNamedPipe second instance other type and max",
                          create(PIPE("m"), PIPE_ACCESS_DUPLEX, PIPE_TYPE_MESSAGE, 3));
  CloseHandle(s2);
  CloseHandle(s);
  s = show_handle("CreateNamedPipe new name first-instance flag",
                  create(PIPE("f"), PIPE_ACCESS_DUPLEX | FILE_FLAG_FIRST_PIPE_INSTANCE, 0, 1));
  CloseHandle(s);

  // Two instances: the first created takes the first client.
  HANDLE i0 = create(PIPE("two"), PIPE_ACCESS_DUPLEX, 0, 2);
  HANDLE i1 = create(PIPE("two"), PIPE_ACCESS_DUPLEX, 0, 2);
  show_refused("CreateNamedPipe third of 2 instances",
               create(PIPE("two"), PIPE_ACCESS_DUPLEX, 0, 2));
  c = show_handle("CreateFile first client",
                  open_client(PIPE("two"), GENERIC_READ | GENERIC_WRITE));
  write_show("WriteFile instance 0 after first client", i0, "0");
  write_show("WriteFile instance 1 after first client", i1, "1");
  HANDLE c2 = show_handle("CreateFile second client",
                          open_client(PIPE("two"), GENERIC_READ | GENERIC_WRITE));
  write_show("WriteFile instance 1 after second client", i1, "1");
  read_show("ReadFile first client", c);
  read_show("ReadFile second client", c2);
  show_refused("CreateFile third client", open_client(PIPE("two"), GENERIC_READ | GENERIC_WRITE));
  CloseHandle(c);
  CloseHandle(c2);
  CloseHandle(i0);
  CloseHandle(i1);

  // Names with several levels and odd characters are plain names.
  s = show_handle("CreateNamedPipe path name",
                  create(PIPE("dir\\sub\\name"), PIPE_ACCESS_DUPLEX, 0, 1));
  c = show_handle("CreateFile path name", open_client(PIPE("dir\\sub\\name"), GENERIC_READ));
  CloseHandle(c);
  CloseHandle(s);
  s = show_handle("CreateNamedPipe odd characters",
                  create(PIPE("a<>*?|\"/b"), PIPE_ACCESS_DUPLEX, 0, 1));
  c = show_handle("CreateFile odd characters", open_client(PIPE("a<>*?|\"/b"), 0));
  CloseHandle(c);
  CloseHandle(s);
  return 0;
}
