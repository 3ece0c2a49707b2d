// I/O completion ports: posted packets, pipe handles associated with a
// port, what queues a packet and what does not, and a worker thread.
#include "observe.h"

#define PIPE(n) "\\\\.\\pipe\\conduit-diff-iocp-" n

static HANDLE port;
static OVERLAPPED ov_connect, ov_read, ov_write;
static char buf[256];

static const char* which(LPOVERLAPPED o) {
  if (o == NULL) return "NULL";
  if (o == &ov_connect) return "connect";
  if (o == &ov_read) return "read";
  if (o == &ov_write) return "write";
  return "other";
}

// Dequeues one packet and shows it: result, error, bytes, key, which
// OVERLAPPED.
static void dequeue_show(const char* label, DWORD timeout) {
  DWORD n = 0xdead;
  ULONG_PTR key = 0xdead;
  LPOVERLAPPED o = (LPOVERLAPPED)&buf;  // neither NULL nor one of ours
  BOOL r = GetQueuedCompletionStatus(port, &n, &key, &o, timeout);
  DWORD e = GetLastError();
  char eb[64];
  if (r)
    say(label, "TRUE, %lu bytes, key %lu, %s", (unsigned long)n, (unsigned long)key, which(o));
  else if (o == NULL)
    say(label, "FALSE, %s, NULL", error_text(eb, sizeof eb, e));
  else
    say(label, "FALSE, %s, %lu bytes, key %lu, %s", error_text(eb, sizeof eb, e), (unsigned long)n,
        (unsigned long)key, which(o));
}

// Two packets, shown in key order (which of two completions that happen in
// one call comes first is not specified).
static void dequeue_two_show(const char* label) {
  DWORD n[2] = {0, 0};
  ULONG_PTR key[2] = {0, 0};
  LPOVERLAPPED o[2] = {NULL, NULL};
  BOOL r[2];
  for (int i = 0; i < 2; i++)
    r[i] = GetQueuedCompletionStatus(port, &n[i], &key[i], &o[i], LONG_WAIT);
  int first = key[0] <= key[1] ? 0 : 1;
  for (int j = 0; j < 2; j++) {
    int i = j == 0 ? first : 1 - first;
    char l[128];
    snprintf(l, sizeof l, "%s %s", label, j == 0 ? "first" : "second");
    say(l, "%s, %lu bytes, key %lu, %s", r[i] ? "TRUE" : "FALSE", (unsigned long)n[i],
        (unsigned long)key[i], which(o[i]));
  }
}

static DWORD worker_bytes;
static ULONG_PTR worker_key;

static DWORD WINAPI worker(LPVOID) {
  LPOVERLAPPED o;
  if (!GetQueuedCompletionStatus(port, &worker_bytes, &worker_key, &o, LONG_WAIT)) return 1;
  return o == &ov_write ? 0 : 2;
}

int main() {
  port = show_handle("CreateIoCompletionPort new",
                     CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 1));
  dequeue_show("GetQueuedCompletionStatus empty", 0);
  dequeue_show("GetQueuedCompletionStatus empty 10 ms", 10);

  // Posted packets come back as posted, first in first out.
  show_bool("PostQueuedCompletionStatus", PostQueuedCompletionStatus(port, 7, 42, &ov_write));
  dequeue_show("GetQueuedCompletionStatus posted", 0);
  for (ULONG_PTR k = 1; k <= 3; k++) PostQueuedCompletionStatus(port, (DWORD)(10 * k), k, NULL);
  dequeue_show("GetQueuedCompletionStatus first of three", 0);
  dequeue_show("GetQueuedCompletionStatus second of three", 0);
  dequeue_show("GetQueuedCompletionStatus third of three", 0);
  for (ULONG_PTR k = 1; k <= 3; k++) PostQueuedCompletionStatus(port, (DWORD)k, k, NULL);
  OVERLAPPED_ENTRY entries[8];
  ULONG removed = 0;
  show_bool("GetQueuedCompletionStatusEx three",
            GetQueuedCompletionStatusEx(port, entries, 8, &removed, 0, FALSE));
  show_num("GetQueuedCompletionStatusEx removed", removed);
  say("GetQueuedCompletionStatusEx keys", "%lu %lu %lu", (unsigned long)entries[0].lpCompletionKey,
      (unsigned long)entries[1].lpCompletionKey, (unsigned long)entries[2].lpCompletionKey);
  // (What the count holds after a timeout is not specified.)
  show_bool("GetQueuedCompletionStatusEx empty",
            GetQueuedCompletionStatusEx(port, entries, 8, &removed, 0, FALSE));

  // A pipe's operations complete to the port with the handle's key.
  HANDLE s = CreateNamedPipeA(PIPE("a"), PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED, PIPE_TYPE_BYTE,
                              1, 1024, 1024, 0, NULL);
  HANDLE r = CreateIoCompletionPort(s, port, 100, 0);
  say("CreateIoCompletionPort associate server", "%s", r == port ? "the port" : "another handle");
  show_bool("ConnectNamedPipe overlapped", ConnectNamedPipe(s, &ov_connect));
  dequeue_show("GetQueuedCompletionStatus connect pending", 0);
  HANDLE c = CreateFileA(PIPE("a"), GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING,
                         FILE_FLAG_OVERLAPPED, NULL);
  r = CreateIoCompletionPort(c, port, 200, 0);
  say("CreateIoCompletionPort associate client", "%s", r == port ? "the port" : "another handle");
  dequeue_show("GetQueuedCompletionStatus connect", LONG_WAIT);

  // A pending read and the write that satisfies it: two packets.
  show_bool("ReadFile pending", ReadFile(s, buf, sizeof buf, NULL, &ov_read));
  DWORD n = 0xdead;
  show_io("WriteFile client", WriteFile(c, "hello", 5, &n, &ov_write), &n, NULL);
  dequeue_two_show("GetQueuedCompletionStatus read and write");
  dequeue_show("GetQueuedCompletionStatus nothing more", 0);

  // Immediate success still queues a packet; immediate failure does not.
  WriteFile(c, "again", 5, &n, &ov_write);
  dequeue_show("GetQueuedCompletionStatus write again", LONG_WAIT);
  n = 0xdead;
  show_io("ReadFile data waiting", ReadFile(s, buf, sizeof buf, &n, &ov_read), &n, buf);
  dequeue_show("GetQueuedCompletionStatus read at once", LONG_WAIT);
  OVERLAPPED skip;
  ZeroMemory(&skip, sizeof skip);
  HANDLE ev = CreateEventA(NULL, TRUE, FALSE, NULL);
  skip.hEvent = (HANDLE)((ULONG_PTR)ev | 1);
  show_io("WriteFile event low bit set", WriteFile(c, "quiet", 5, &n, &skip), &n, NULL);
  dequeue_show("GetQueuedCompletionStatus event low bit set", 0);
  ReadFile(s, buf, sizeof buf, &n, &ov_read);
  dequeue_show("GetQueuedCompletionStatus read quiet", LONG_WAIT);

  // A worker thread waiting on the port.
  HANDLE t = CreateThread(NULL, 0, worker, NULL, 0, NULL);
  WriteFile(s, "work", 4, &n, &ov_write);
  show_wait("worker done", WaitForSingleObject(t, LONG_WAIT));
  DWORD code = 99;
  GetExitCodeThread(t, &code);
  show_num("worker exit code", code);
  say("worker packet", "%lu bytes, key %lu", (unsigned long)worker_bytes,
      (unsigned long)worker_key);
  CloseHandle(t);
  ReadFile(c, buf, sizeof buf, &n, &ov_read);
  dequeue_show("GetQueuedCompletionStatus client read", LONG_WAIT);

  // A pending read that fails, and one that is cancelled.
  show_bool("ReadFile pending to cancel", ReadFile(s, buf, sizeof buf, NULL, &ov_read));
  show_bool("CancelIoEx", CancelIoEx(s, &ov_read));
  dequeue_show("GetQueuedCompletionStatus cancelled", LONG_WAIT);
  show_bool("ReadFile pending at close", ReadFile(s, buf, sizeof buf, NULL, &ov_read));
  CloseHandle(c);
  dequeue_show("GetQueuedCompletionStatus client closed", LONG_WAIT);
  n = 0xdead;
  show_io("ReadFile client closed", ReadFile(s, buf, sizeof buf, &n, &ov_read), &n, NULL);
  dequeue_show("GetQueuedCompletionStatus after immediate failure", 0);
  n = 0xdead;
  show_io("WriteFile client closed", WriteFile(s, "x", 1, &n, &ov_write), &n, NULL);
  dequeue_show("GetQueuedCompletionStatus after failed write", 0);

  // Associating a handle twice, and a port that is not one.
  HANDLE port2 = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
  show_refused("CreateIoCompletionPort associate again", CreateIoCompletionPort(s, port2, 300, 0));
  show_bool("PostQueuedCompletionStatus to an event", PostQueuedCompletionStatus(ev, 0, 0, NULL));
  CloseHandle(s);
  CloseHandle(ev);
  show_bool("CloseHandle port2", CloseHandle(port2));
  show_bool("CloseHandle port", CloseHandle(port));
  return 0;
}
