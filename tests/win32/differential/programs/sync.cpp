// Events, waits, threads and APCs: what the pipe programs build on.
#include <string.h>

#include "observe.h"

static int apc_calls;
static ULONG_PTR apc_param;
static DWORD apc_thread;

static VOID WINAPI apc(ULONG_PTR param) {
  apc_calls++;
  apc_param = param;
  apc_thread = GetCurrentThreadId();
}

static HANDLE go;

static DWORD WINAPI wait_then_return(LPVOID) {
  WaitForSingleObject(go, LONG_WAIT);
  return 42;
}

static DWORD WINAPI exit_thread(LPVOID) {
  ExitThread(7);
  return 0;
}

static HANDLE ready;

// Says it is running, then sleeps alertably: an APC queued after "ready"
// ends the sleep (whether it arrives before or during SleepEx).
static DWORD WINAPI alertable_sleeper(LPVOID) {
  SetEvent(ready);
  return SleepEx(LONG_WAIT, TRUE);
}

static void exit_code_show(const char* label, HANDLE t) {
  DWORD code = 0xdead;
  char l[128];
  snprintf(l, sizeof l, "%s value", label);
  if (show_bool(label, GetExitCodeThread(t, &code))) show_num(l, code);
}

int main() {
  // Auto-reset and manual-reset events.
  HANDLE a = CreateEventA(NULL, FALSE, FALSE, NULL);
  show_wait("auto event unset", WaitForSingleObject(a, 0));
  show_bool("SetEvent auto", SetEvent(a));
  show_bool("SetEvent auto again", SetEvent(a));
  show_wait("auto event set", WaitForSingleObject(a, 0));
  show_wait("auto event after a wait", WaitForSingleObject(a, 0));
  HANDLE m = CreateEventA(NULL, TRUE, TRUE, NULL);
  show_wait("manual event created set", WaitForSingleObject(m, 0));
  show_wait("manual event after a wait", WaitForSingleObject(m, 0));
  show_bool("ResetEvent manual", ResetEvent(m));
  show_wait("manual event reset", WaitForSingleObject(m, 10));
  show_bool("ResetEvent manual again", ResetEvent(m));

  // Named events.
  SetLastError(0xdead);
  HANDLE n1 = CreateEventA(NULL, TRUE, FALSE, "conduit-diff-sync-event");
  show_handle("CreateEvent named", n1);
  show_num("CreateEvent named error", GetLastError());
  HANDLE n2 = CreateEventA(NULL, FALSE, TRUE, "conduit-diff-sync-event");
  show_handle("CreateEvent same name", n2);
  show_num("CreateEvent same name error", GetLastError());
  show_wait("same name keeps the first's state", WaitForSingleObject(n2, 0));
  SetEvent(n1);
  show_wait("same name is one event", WaitForSingleObject(n2, 0));
  HANDLE n3 =
      show_handle("OpenEvent", OpenEventA(EVENT_ALL_ACCESS, FALSE, "conduit-diff-sync-event"));
  ResetEvent(n3);
  show_wait("OpenEvent is the same event", WaitForSingleObject(n1, 0));
  show_refused("OpenEvent missing",
               OpenEventA(EVENT_ALL_ACCESS, FALSE, "conduit-diff-sync-missing"));
  CloseHandle(n1);
  CloseHandle(n2);
  CloseHandle(n3);
  show_refused("OpenEvent after all closed",
               OpenEventA(EVENT_ALL_ACCESS, FALSE, "conduit-diff-sync-event"));

  // Event names: case-sensitive; Local\ is this namespace; a backslash
  // elsewhere is a folder; at most MAX_PATH - 1 characters.
  HANDLE lower = CreateEventA(NULL, TRUE, FALSE, "conduit-diff-case");
  show_refused("OpenEvent other case", OpenEventA(EVENT_ALL_ACCESS, FALSE, "CONDUIT-DIFF-CASE"));
  SetLastError(0xdead);
  HANDLE local = show_handle("CreateEvent Local prefix",
                             CreateEventA(NULL, TRUE, FALSE, "Local\\conduit-diff-case"));
  show_num("CreateEvent Local prefix error", GetLastError());
  CloseHandle(local);
  CloseHandle(lower);
  show_refused("CreateEvent backslash", CreateEventA(NULL, TRUE, FALSE, "conduit\\diff"));
  show_refused("CreateEvent leading backslash", CreateEventA(NULL, TRUE, FALSE, "\\conduit-diff"));
  show_refused("CreateEvent bare prefix", CreateEventA(NULL, TRUE, FALSE, "Global\\"));
  show_refused("CreateEvent lower-case prefix",
               CreateEventA(NULL, TRUE, FALSE, "global\\conduit-diff"));
  char long_name[MAX_PATH + 1];
  memset(long_name, 'x', MAX_PATH);
  long_name[MAX_PATH] = 0;
  show_refused("CreateEvent MAX_PATH characters", CreateEventA(NULL, TRUE, FALSE, long_name));
  long_name[MAX_PATH - 1] = 0;
  CloseHandle(show_handle("CreateEvent MAX_PATH - 1 characters",
                          CreateEventA(NULL, TRUE, FALSE, long_name)));
  SetLastError(0xdead);
  HANDLE unnamed = show_handle("CreateEvent empty name", CreateEventA(NULL, TRUE, FALSE, ""));
  show_num("CreateEvent empty name error", GetLastError());
  CloseHandle(unnamed);
  show_refused("OpenEvent empty name", OpenEventA(EVENT_ALL_ACCESS, FALSE, ""));

  // WaitForMultipleObjects: any (the lowest index wins) and all.
  HANDLE e[3];
  for (int i = 0; i < 3; i++) e[i] = CreateEventA(NULL, FALSE, FALSE, NULL);
  SetEvent(e[2]);
  SetEvent(e[1]);
  show_wait("wait any two set", WaitForMultipleObjects(3, e, FALSE, 0));
  show_wait("wait any one left", WaitForMultipleObjects(3, e, FALSE, 0));
  show_wait("wait any none left", WaitForMultipleObjects(3, e, FALSE, 0));
  SetEvent(e[0]);
  SetEvent(e[2]);
  show_wait("wait all two of three", WaitForMultipleObjects(3, e, TRUE, 10));
  show_wait("wait all left the two set", WaitForSingleObject(e[0], 0));
  SetEvent(e[0]);
  SetEvent(e[1]);
  show_wait("wait all three set", WaitForMultipleObjects(3, e, TRUE, 0));
  show_wait("wait all reset them", WaitForMultipleObjects(3, e, FALSE, 0));
  show_wait("wait no handles", WaitForMultipleObjects(0, e, FALSE, 0));
  HANDLE many[MAXIMUM_WAIT_OBJECTS + 1];
  for (int i = 0; i <= MAXIMUM_WAIT_OBJECTS; i++) many[i] = e[0];
  show_wait("wait 65 handles", WaitForMultipleObjects(MAXIMUM_WAIT_OBJECTS + 1, many, FALSE, 0));
  HANDLE bad[2] = {e[0], NULL};
  show_wait("wait with a NULL handle", WaitForMultipleObjects(2, bad, FALSE, 0));
  show_wait("wait single NULL", WaitForSingleObject(NULL, 0));
  show_bool("SetEvent NULL", SetEvent(NULL));
  show_bool("CloseHandle NULL", CloseHandle(NULL));

  // Threads: signaled when they end; exit codes.
  go = CreateEventA(NULL, TRUE, FALSE, NULL);
  HANDLE t = show_handle("CreateThread", CreateThread(NULL, 0, wait_then_return, NULL, 0, NULL));
  show_wait("thread running", WaitForSingleObject(t, 0));
  exit_code_show("GetExitCodeThread running", t);
  SetEvent(go);
  show_wait("thread ended", WaitForSingleObject(t, LONG_WAIT));
  exit_code_show("GetExitCodeThread ended", t);
  show_wait("thread ended stays signaled", WaitForSingleObject(t, 0));
  HANDLE t2 = CreateThread(NULL, 0, exit_thread, NULL, 0, NULL);
  HANDLE both[2] = {t, t2};
  show_wait("wait all threads", WaitForMultipleObjects(2, both, TRUE, LONG_WAIT));
  exit_code_show("GetExitCodeThread ExitThread", t2);
  CloseHandle(t);
  CloseHandle(t2);

  // APCs run only in alertable waits of their thread.
  show_bool("QueueUserAPC self", QueueUserAPC(apc, GetCurrentThread(), 5) != 0);
  show_num("SleepEx 0 not alertable", SleepEx(0, FALSE));
  show_num("APC calls after non-alertable sleep", apc_calls);
  show_wait("SleepEx 0 alertable", SleepEx(0, TRUE));
  say("APC after alertable sleep", "%d calls, parameter %lu", apc_calls, (unsigned long)apc_param);
  apc_calls = 0;
  QueueUserAPC(apc, GetCurrentThread(), 1);
  QueueUserAPC(apc, GetCurrentThread(), 2);
  show_wait("SleepEx alertable two queued", SleepEx(LONG_WAIT, TRUE));
  say("APCs after one alertable sleep", "%d calls, last parameter %lu", apc_calls,
      (unsigned long)apc_param);
  apc_calls = 0;
  QueueUserAPC(apc, GetCurrentThread(), 3);
  show_wait("WaitForSingleObjectEx alertable", WaitForSingleObjectEx(a, LONG_WAIT, TRUE));
  show_wait("WaitForSingleObjectEx not alertable", WaitForSingleObjectEx(a, 10, FALSE));
  show_num("APC calls before the next alertable wait", apc_calls);
  QueueUserAPC(apc, GetCurrentThread(), 4);
  show_wait("WaitForMultipleObjectsEx alertable",
            WaitForMultipleObjectsEx(3, e, FALSE, LONG_WAIT, TRUE));
  show_num("APC calls after waits", apc_calls);
  apc_calls = 0;
  ready = CreateEventA(NULL, TRUE, FALSE, NULL);
  t = CreateThread(NULL, 0, alertable_sleeper, NULL, 0, NULL);
  show_wait("alertable sleeper ready", WaitForSingleObject(ready, LONG_WAIT));
  QueueUserAPC(apc, t, 9);
  show_wait("alertable sleeper ended", WaitForSingleObject(t, LONG_WAIT));
  exit_code_show("alertable sleeper SleepEx result", t);
  say("APC in the other thread", "%d calls, parameter %lu, %s", apc_calls, (unsigned long)apc_param,
      apc_thread != GetCurrentThreadId() ? "not this thread" : "this thread");
  CloseHandle(t);

  // Handles: duplicates, flags, pseudo-handles.
  HANDLE d = NULL;
  show_bool("DuplicateHandle", DuplicateHandle(GetCurrentProcess(), a, GetCurrentProcess(), &d, 0,
                                               FALSE, DUPLICATE_SAME_ACCESS));
  SetEvent(d);
  show_wait("duplicate is the same event", WaitForSingleObject(a, 0));
  show_bool("CloseHandle duplicate", CloseHandle(d));
  show_bool("SetEvent original after duplicate closed", SetEvent(a));
  HANDLE d2 = NULL;
  show_bool("DuplicateHandle close source",
            DuplicateHandle(GetCurrentProcess(), m, GetCurrentProcess(), &d2, 0, FALSE,
                            DUPLICATE_SAME_ACCESS | DUPLICATE_CLOSE_SOURCE));
  show_bool("SetEvent duplicate of closed source", SetEvent(d2));
  DWORD flags = 0xdead;
  if (show_bool("GetHandleInformation", GetHandleInformation(a, &flags)))
    show_hex("GetHandleInformation flags", flags);
  show_bool("SetHandleInformation inherit",
            SetHandleInformation(a, HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT));
  flags = 0xdead;
  if (show_bool("GetHandleInformation after set", GetHandleInformation(a, &flags)))
    show_hex("GetHandleInformation flags after set", flags);
  say("GetCurrentProcess", "%ld", (long)(LONG_PTR)GetCurrentProcess());
  say("GetCurrentThread", "%ld", (long)(LONG_PTR)GetCurrentThread());
  show_wait("wait on own process", WaitForSingleObject(GetCurrentProcess(), 0));
  show_bool("CloseHandle pseudo process", CloseHandle(GetCurrentProcess()));
  CloseHandle(a);
  CloseHandle(d2);
  for (int i = 0; i < 3; i++) CloseHandle(e[i]);
  CloseHandle(go);
  CloseHandle(ready);
  return 0;
}
