// Pipe information and state: GetNamedPipeInfo, GetNamedPipeHandleState,
// nonblocking (PIPE_NOWAIT) pipes, FlushFileBuffers, client and server
// process ids, and anonymous pipes.
#include "observe.h"

#define PIPE(n) "\\\\.\\pipe\\conduit-diff-info-" n

static HANDLE open_client(const char* name, DWORD access) {
  return CreateFileA(name, access, 0, NULL, OPEN_EXISTING, 0, NULL);
}

static void info_show(const char* label, HANDLE h) {
  DWORD flags = 0xdead, out = 0xdead, in = 0xdead, max = 0xdead;
  char l[128];
  snprintf(l, sizeof l, "%s values", label);
  if (show_bool(label, GetNamedPipeInfo(h, &flags, &out, &in, &max)))
    say(l, "flags 0x%lx out %lu in %lu max %lu", (unsigned long)flags, (unsigned long)out,
        (unsigned long)in, (unsigned long)max);
}

static void state_show(const char* label, HANDLE h) {
  DWORD state = 0xdead, instances = 0xdead;
  char l[128];
  snprintf(l, sizeof l, "%s values", label);
  if (show_bool(label, GetNamedPipeHandleStateA(h, &state, &instances, NULL, NULL, NULL, 0)))
    say(l, "state 0x%lx instances %lu", (unsigned long)state, (unsigned long)instances);
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

// Whether a pid query succeeds, and whether it names this process (read
// through the pointer, after the call).
static void pid_show(const char* label, BOOL r, const ULONG* pid) {
  char l[128];
  snprintf(l, sizeof l, "%s names", label);
  if (show_bool(label, r))
    say(l, "%s", *pid == GetCurrentProcessId() ? "this process" : "another process");
}

int main() {
  // Info and state of a byte pipe's two ends.
  HANDLE s =
      CreateNamedPipeA(PIPE("a"), PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 3, 1024, 2048, 0, NULL);
  info_show("GetNamedPipeInfo byte server", s);
  show_bool("GetNamedPipeInfo all NULL", GetNamedPipeInfo(s, NULL, NULL, NULL, NULL));
  state_show("GetNamedPipeHandleState server one instance", s);
  show_bool("GetNamedPipeHandleState all NULL",
            GetNamedPipeHandleStateA(s, NULL, NULL, NULL, NULL, NULL, 0));
  HANDLE s2 =
      CreateNamedPipeA(PIPE("a"), PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 3, 1024, 2048, 0, NULL);
  state_show("GetNamedPipeHandleState server two instances", s);
  HANDLE c = open_client(PIPE("a"), GENERIC_READ | GENERIC_WRITE);
  info_show("GetNamedPipeInfo byte client", c);
  state_show("GetNamedPipeHandleState client", c);
  DWORD state, instances, count, timeout;
  show_bool("GetNamedPipeHandleState server collection count",
            GetNamedPipeHandleStateA(s, &state, &instances, &count, &timeout, NULL, 0));
  CloseHandle(s2);
  state_show("GetNamedPipeHandleState client after an instance closed", c);

  // Process ids: both ends in this process.
  ULONG pid = 0;
  pid_show("GetNamedPipeClientProcessId server", GetNamedPipeClientProcessId(s, &pid), &pid);
  pid_show("GetNamedPipeServerProcessId server", GetNamedPipeServerProcessId(s, &pid), &pid);
  pid_show("GetNamedPipeClientProcessId client", GetNamedPipeClientProcessId(c, &pid), &pid);
  pid_show("GetNamedPipeServerProcessId client", GetNamedPipeServerProcessId(c, &pid), &pid);
  ULONG client_session = 1234, server_session = 5678;
  show_bool("GetNamedPipeClientSessionId server", GetNamedPipeClientSessionId(s, &client_session));
  show_bool("GetNamedPipeServerSessionId client", GetNamedPipeServerSessionId(c, &server_session));
  say("session ids", "%s", client_session == server_session ? "equal" : "different");
  show_bool("GetNamedPipeClientProcessId NULL", GetNamedPipeClientProcessId(s, NULL));

  // FlushFileBuffers returns once the other end has read everything.
  show_bool("FlushFileBuffers nothing written", FlushFileBuffers(c));
  write_show("WriteFile before flush", c, "flush");
  read_show("ReadFile before flush", s);
  show_bool("FlushFileBuffers all read", FlushFileBuffers(c));

  // Nonblocking reads on the client.
  DWORD mode = PIPE_NOWAIT;
  show_bool("SetNamedPipeHandleState client nowait", SetNamedPipeHandleState(c, &mode, NULL, NULL));
  state_show("GetNamedPipeHandleState client nowait", c);
  read_show("ReadFile nowait empty", c);
  write_show("WriteFile to nowait client", s, "now");
  read_show("ReadFile nowait data", c);
  mode = 0x10;
  show_bool("SetNamedPipeHandleState unknown mode bit",
            SetNamedPipeHandleState(c, &mode, NULL, NULL));
  show_bool("SetNamedPipeHandleState NULL mode", SetNamedPipeHandleState(c, NULL, NULL, NULL));

  // After a disconnect.
  show_bool("DisconnectNamedPipe", DisconnectNamedPipe(s));
  pid_show("GetNamedPipeServerProcessId disconnected server", GetNamedPipeServerProcessId(s, &pid),
           &pid);
  pid_show("GetNamedPipeClientProcessId disconnected server", GetNamedPipeClientProcessId(s, &pid),
           &pid);
  pid_show("GetNamedPipeClientProcessId disconnected client", GetNamedPipeClientProcessId(c, &pid),
           &pid);
  info_show("GetNamedPipeInfo disconnected client", c);
  CloseHandle(c);
  CloseHandle(s);

  // A message pipe with no buffers, unlimited instances, nonblocking.
  s = CreateNamedPipeA(PIPE("m"), PIPE_ACCESS_DUPLEX,
                       PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE | PIPE_NOWAIT,
                       PIPE_UNLIMITED_INSTANCES, 0, 0, 0, NULL);
  info_show("GetNamedPipeInfo message server", s);
  state_show("GetNamedPipeHandleState nowait message server", s);
  show_bool("ConnectNamedPipe nowait listening", ConnectNamedPipe(s, NULL));
  c = open_client(PIPE("m"), GENERIC_READ | GENERIC_WRITE);
  info_show("GetNamedPipeInfo message client", c);
  show_bool("ConnectNamedPipe nowait connected", ConnectNamedPipe(s, NULL));
  read_show("ReadFile nowait server empty", s);
  CloseHandle(c);
  show_bool("ConnectNamedPipe nowait client closed", ConnectNamedPipe(s, NULL));
  show_bool("DisconnectNamedPipe nowait", DisconnectNamedPipe(s));
  show_bool("ConnectNamedPipe nowait after disconnect", ConnectNamedPipe(s, NULL));
  CloseHandle(s);

  // Inbound pipe: the client opened write-only asks about it.
  s = CreateNamedPipeA(PIPE("in"), PIPE_ACCESS_INBOUND, PIPE_TYPE_BYTE, 1, 100, 200, 0, NULL);
  c = open_client(PIPE("in"), GENERIC_WRITE | FILE_READ_ATTRIBUTES);
  info_show("GetNamedPipeInfo inbound server", s);
  info_show("GetNamedPipeInfo inbound client", c);
  CloseHandle(c);
  CloseHandle(s);

  // Anonymous pipes.
  HANDLE r, w;
  show_bool("CreatePipe default size", CreatePipe(&r, &w, NULL, 0));
  info_show("GetNamedPipeInfo anonymous read end", r);
  info_show("GetNamedPipeInfo anonymous write end", w);
  state_show("GetNamedPipeHandleState anonymous read end", r);
  write_show("WriteFile anonymous", w, "anon");
  DWORD avail = 0;
  if (show_bool("PeekNamedPipe anonymous", PeekNamedPipe(r, NULL, 0, NULL, &avail, NULL)))
    show_num("PeekNamedPipe anonymous avail", avail);
  read_show("ReadFile anonymous", r);
  write_show("WriteFile anonymous read end", r, "x");
  read_show("ReadFile anonymous write end", w);
  write_show("WriteFile anonymous before close", w, "last");
  CloseHandle(w);
  read_show("ReadFile anonymous data of a closed writer", r);
  read_show("ReadFile anonymous writer closed", r);
  CloseHandle(r);
  show_bool("CreatePipe size 1", CreatePipe(&r, &w, NULL, 1));
  info_show("GetNamedPipeInfo anonymous size 1", r);
  CloseHandle(r);
  write_show("WriteFile anonymous reader closed", w, "x");
  CloseHandle(w);
  return 0;
}
