// Overlapped I/O on named pipes: connect, read and write with events,
// GetOverlappedResult(Ex), partial message reads, CancelIo(Ex), broken and
// disconnected pipes, and ReadFileEx/WriteFileEx completion routines.
#include "observe.h"

#define PIPE(n) "\\\\.\\pipe\\conduit-diff-overlapped-" n

static OVERLAPPED ov, ov2;
static char buf[256], buf2[256];

// The next overlapped operation: a fresh OVERLAPPED on the event.
static OVERLAPPED* fresh(OVERLAPPED* o, HANDLE event) {
  ZeroMemory(o, sizeof *o);
  o->hEvent = event;
  ResetEvent(event);
  return o;
}

static void result_show(const char* label, HANDLE h, OVERLAPPED* o, BOOL wait, const void* data) {
  DWORD n = 0;
  show_io(label, GetOverlappedResult(h, o, &n, wait), &n, data);
}

static void write_show(const char* label, HANDLE h, const char* text) {
  DWORD n = 0;
  OVERLAPPED o;
  ZeroMemory(&o, sizeof o);
  o.hEvent = CreateEventA(NULL, TRUE, FALSE, NULL);
  BOOL r = WriteFile(h, text, (DWORD)strlen(text), &n, &o);
  if (!r && GetLastError() == ERROR_IO_PENDING) r = GetOverlappedResult(h, &o, &n, TRUE);
  show_io(label, r, &n, NULL);
  CloseHandle(o.hEvent);
}

// Completion routine bookkeeping.
static int routine_calls;
static DWORD routine_error, routine_bytes;
static LPOVERLAPPED routine_overlapped;

static VOID WINAPI routine(DWORD error, DWORD bytes, LPOVERLAPPED o) {
  routine_calls++;
  routine_error = error;
  routine_bytes = bytes;
  routine_overlapped = o;
}

static void routine_show(const char* label) {
  char eb[64];
  if (routine_calls == 0)
    say(label, "not called");
  else
    say(label, "%d calls, %s, %lu bytes, %s", routine_calls,
        error_text(eb, sizeof eb, routine_error), (unsigned long)routine_bytes,
        routine_overlapped == &ov ? "its OVERLAPPED" : "another OVERLAPPED");
  routine_calls = 0;
}

// A connected pair: an overlapped message-mode server and an overlapped
// client.
static void make_pair(const char* name, HANDLE* s, HANDLE* c) {
  *s = CreateNamedPipeA(name, PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED,
                        PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE, 1, 1024, 1024, 0, NULL);
  *c = CreateFileA(name, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, FILE_FLAG_OVERLAPPED,
                   NULL);
  DWORD mode = PIPE_READMODE_MESSAGE;
  SetNamedPipeHandleState(*c, &mode, NULL, NULL);
}

int main() {
  HANDLE ev = CreateEventA(NULL, TRUE, FALSE, NULL);
  HANDLE ev2 = CreateEventA(NULL, TRUE, FALSE, NULL);
  HANDLE idle = CreateEventA(NULL, TRUE, FALSE, NULL);  // never signaled
  DWORD n;

  // Overlapped connect: pending until a client opens the pipe.
  HANDLE s = CreateNamedPipeA(PIPE("a"), PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED,
                              PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE, 1, 1024, 1024, 0, NULL);
  show_bool("ConnectNamedPipe overlapped", ConnectNamedPipe(s, fresh(&ov, ev)));
  show_overlapped("ConnectNamedPipe pending OVERLAPPED", &ov);
  show_signaled("connect event before client", ev);
  say("HasOverlappedIoCompleted connect pending", "%d", HasOverlappedIoCompleted(&ov) ? 1 : 0);
  result_show("GetOverlappedResult connect pending", s, &ov, FALSE, NULL);
  HANDLE c = CreateFileA(PIPE("a"), GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING,
                         FILE_FLAG_OVERLAPPED, NULL);
  show_wait("connect event after client", WaitForSingleObject(ev, LONG_WAIT));
  result_show("GetOverlappedResult connect done", s, &ov, FALSE, NULL);
  show_overlapped("ConnectNamedPipe done OVERLAPPED", &ov);
  show_bool("ConnectNamedPipe overlapped already connected", ConnectNamedPipe(s, fresh(&ov, ev)));
  show_overlapped("ConnectNamedPipe already connected OVERLAPPED", &ov);

  // A read that waits for data.
  n = 0xdead;
  show_io("ReadFile pending", ReadFile(s, buf, sizeof buf, &n, fresh(&ov, ev)), &n, NULL);
  show_signaled("read event before write", ev);
  result_show("GetOverlappedResult read pending", s, &ov, FALSE, NULL);
  n = 0;
  show_io("GetOverlappedResultEx read pending 0 ms", GetOverlappedResultEx(s, &ov, &n, 0, FALSE),
          &n, NULL);
  n = 0;
  show_io("GetOverlappedResultEx read pending 10 ms", GetOverlappedResultEx(s, &ov, &n, 10, FALSE),
          &n, NULL);
  write_show("WriteFile hello", c, "hello");
  show_wait("read event after write", WaitForSingleObject(ev, LONG_WAIT));
  result_show("GetOverlappedResult read done", s, &ov, FALSE, buf);
  show_overlapped("ReadFile done OVERLAPPED", &ov);

  // A read that finds data completes at once, and still signals its event.
  write_show("WriteFile again", c, "again");
  n = 0xdead;
  show_io("ReadFile data waiting", ReadFile(s, buf, sizeof buf, &n, fresh(&ov, ev)), &n, buf);
  show_signaled("read event data waiting", ev);
  result_show("GetOverlappedResult data waiting", s, &ov, FALSE, buf);

  // Partial message reads.
  write_show("WriteFile 0123456789", c, "0123456789");
  n = 0xdead;
  show_io("ReadFile 4 of 10", ReadFile(s, buf, 4, &n, fresh(&ov, ev)), &n, NULL);
  show_overlapped("ReadFile 4 of 10 OVERLAPPED", &ov);
  result_show("GetOverlappedResult 4 of 10", s, &ov, FALSE, buf);
  n = 0xdead;
  show_io("ReadFile rest of 10", ReadFile(s, buf, sizeof buf, &n, fresh(&ov, ev)), &n, buf);
  show_bool("ReadFile 4 pending", ReadFile(s, buf, 4, NULL, fresh(&ov, ev)));
  write_show("WriteFile abcdefgh", c, "abcdefgh");
  show_wait("read 4 event", WaitForSingleObject(ev, LONG_WAIT));
  result_show("GetOverlappedResult 4 of 8", s, &ov, FALSE, buf);
  n = 0xdead;
  show_io("ReadFile rest of 8", ReadFile(s, buf, sizeof buf, &n, fresh(&ov, ev)), &n, buf);

  // Cancelling.
  show_bool("ReadFile to cancel", ReadFile(s, buf, sizeof buf, NULL, fresh(&ov, ev)));
  show_bool("CancelIoEx pending read", CancelIoEx(s, &ov));
  show_wait("cancelled read event", WaitForSingleObject(ev, LONG_WAIT));
  result_show("GetOverlappedResult cancelled", s, &ov, FALSE, NULL);
  show_overlapped("cancelled read OVERLAPPED", &ov);
  show_bool("CancelIoEx again", CancelIoEx(s, &ov));
  show_bool("CancelIoEx nothing pending", CancelIoEx(s, NULL));
  show_bool("ReadFile first of two", ReadFile(s, buf, sizeof buf, NULL, fresh(&ov, ev)));
  show_bool("ReadFile second of two", ReadFile(s, buf2, sizeof buf2, NULL, fresh(&ov2, ev2)));
  show_bool("CancelIoEx second of two", CancelIoEx(s, &ov2));
  show_wait("second of two event", WaitForSingleObject(ev2, LONG_WAIT));
  result_show("GetOverlappedResult second of two", s, &ov2, FALSE, NULL);
  show_signaled("first of two event after cancel", ev);
  write_show("WriteFile one", c, "one");
  show_wait("first of two event after write", WaitForSingleObject(ev, LONG_WAIT));
  result_show("GetOverlappedResult first of two", s, &ov, FALSE, buf);
  show_bool("ReadFile for CancelIo", ReadFile(s, buf, sizeof buf, NULL, fresh(&ov, ev)));
  show_bool("CancelIo", CancelIo(s));
  show_wait("CancelIo event", WaitForSingleObject(ev, LONG_WAIT));
  result_show("GetOverlappedResult after CancelIo", s, &ov, FALSE, NULL);

  // The client goes away while a read is pending.
  show_bool("ReadFile pending at close", ReadFile(s, buf, sizeof buf, NULL, fresh(&ov, ev)));
  CloseHandle(c);
  show_wait("read event at close", WaitForSingleObject(ev, LONG_WAIT));
  result_show("GetOverlappedResult client closed", s, &ov, FALSE, NULL);
  n = 0xdead;
  show_io("ReadFile client closed", ReadFile(s, buf, sizeof buf, &n, fresh(&ov, ev)), &n, NULL);
  show_overlapped("ReadFile client closed OVERLAPPED", &ov);
  n = 0xdead;
  show_io("WriteFile client closed", WriteFile(s, "x", 1, &n, fresh(&ov, ev)), &n, NULL);

  // Disconnect fails the other end's pending read; connect again.
  show_bool("DisconnectNamedPipe", DisconnectNamedPipe(s));
  show_bool("ConnectNamedPipe again", ConnectNamedPipe(s, fresh(&ov, ev)));
  c = CreateFileA(PIPE("a"), GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING,
                  FILE_FLAG_OVERLAPPED, NULL);
  show_wait("connect again event", WaitForSingleObject(ev, LONG_WAIT));
  show_io("ReadFile client pending at disconnect",
          ReadFile(c, buf, sizeof buf, NULL, fresh(&ov, ev)), &n, NULL);
  show_bool("DisconnectNamedPipe with client read pending", DisconnectNamedPipe(s));
  show_wait("client read event at disconnect", WaitForSingleObject(ev, LONG_WAIT));
  result_show("GetOverlappedResult client disconnected", c, &ov, FALSE, NULL);
  n = 0xdead;
  show_io("ReadFile disconnected client", ReadFile(c, buf, sizeof buf, &n, fresh(&ov, ev)), &n,
          NULL);
  show_overlapped("ReadFile disconnected client OVERLAPPED", &ov);
  CloseHandle(c);
  CloseHandle(s);

  // Completion routines run in an alertable wait of the thread that
  // started the operation.
  make_pair(PIPE("ex"), &s, &c);
  show_bool("ReadFileEx", ReadFileEx(s, buf, sizeof buf, fresh(&ov, ev), routine));
  routine_show("routine after ReadFileEx");
  write_show("WriteFile for ReadFileEx", c, "ex");
  show_num("SleepEx not alertable", SleepEx(0, FALSE));
  routine_show("routine after SleepEx not alertable");
  show_wait("SleepEx alertable", SleepEx(LONG_WAIT, TRUE));
  routine_show("routine after SleepEx alertable");
  say("ReadFileEx data", "%.2s", buf);
  show_bool("WriteFileEx", WriteFileEx(s, "back", 4, fresh(&ov, ev), routine));
  show_wait("WaitForSingleObjectEx for WriteFileEx", WaitForSingleObjectEx(idle, LONG_WAIT, TRUE));
  routine_show("routine after WriteFileEx");
  n = 0;
  show_io("ReadFile WriteFileEx data", ReadFile(c, buf2, sizeof buf2, &n, fresh(&ov2, ev2)), &n,
          buf2);
  write_show("WriteFile 0123456789 for ReadFileEx", c, "0123456789");
  show_bool("ReadFileEx 4 of 10", ReadFileEx(s, buf, 4, fresh(&ov, ev), routine));
  show_wait("SleepEx for ReadFileEx 4 of 10", SleepEx(LONG_WAIT, TRUE));
  routine_show("routine after ReadFileEx 4 of 10");
  n = 0;
  show_io("ReadFile rest after ReadFileEx", ReadFile(s, buf, sizeof buf, &n, fresh(&ov2, ev2)), &n,
          buf);
  show_bool("ReadFileEx to cancel", ReadFileEx(s, buf, sizeof buf, fresh(&ov, ev), routine));
  show_bool("CancelIo ReadFileEx", CancelIo(s));
  show_wait("SleepEx after CancelIo", SleepEx(LONG_WAIT, TRUE));
  routine_show("routine after CancelIo");
  show_bool("ReadFileEx pending at close", ReadFileEx(s, buf, sizeof buf, fresh(&ov, ev), routine));
  CloseHandle(c);
  show_wait("SleepEx after client closed", SleepEx(LONG_WAIT, TRUE));
  routine_show("routine after client closed");
  show_bool("ReadFileEx client closed", ReadFileEx(s, buf, sizeof buf, fresh(&ov, ev), routine));
  show_num("SleepEx 0 alertable nothing queued", SleepEx(0, TRUE));
  routine_show("routine after ReadFileEx failed");
  CloseHandle(s);
  CloseHandle(ev);
  CloseHandle(ev2);
  CloseHandle(idle);
  return 0;
}
