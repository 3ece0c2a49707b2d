// Suspended threads and children, and DuplicateHandle's errors: the
// suspend counts ResumeThread and SuspendThread return, and what
// DuplicateHandle says of handles and processes it cannot use.
#include "observe.h"

static int routine_ran;

static DWORD WINAPI note_run(LPVOID) {
  routine_ran = 1;
  return 5;
}

// A suspend count, or -1 with the error.
static void show_count(const char* label, DWORD r) {
  char eb[64];
  if (r == (DWORD)-1)
    say(label, "-1, %s", error_text(eb, sizeof eb, GetLastError()));
  else
    show_num(label, r);
}

static void show_dup(const char* label, HANDLE sp, HANDLE s, HANDLE tp, DWORD options) {
  HANDLE out = NULL;
  SetLastError(0xdead);
  show_bool(label, DuplicateHandle(sp, s, tp, &out, 0, FALSE, options));
}

int main(int argc, char** argv) {
  if (argc > 1) return 7;  // the child

  // A suspended thread.
  HANDLE t = CreateThread(NULL, 0, note_run, NULL, CREATE_SUSPENDED, NULL);
  show_wait("suspended thread", WaitForSingleObject(t, 0));
  show_count("SuspendThread suspended thread", SuspendThread(t));
  show_count("ResumeThread from 2", ResumeThread(t));
  show_num("routine ran at 1", routine_ran);
  show_count("ResumeThread from 1", ResumeThread(t));
  show_wait("resumed thread", WaitForSingleObject(t, LONG_WAIT));
  show_num("routine ran", routine_ran);
  DWORD code = 0;
  if (show_bool("GetExitCodeThread", GetExitCodeThread(t, &code))) show_num("thread code", code);
  show_count("ResumeThread ended thread", ResumeThread(t));
  CloseHandle(t);

  HANDLE event = CreateEventA(NULL, TRUE, FALSE, NULL);
  HANDLE bogus = (HANDLE)(ULONG_PTR)0x1234;
  SetLastError(0xdead);
  show_count("ResumeThread bogus", ResumeThread(bogus));
  show_count("ResumeThread event", ResumeThread(event));
  show_count("SuspendThread event", SuspendThread(event));

  // A suspended child: this program again.
  char line[1024];
  snprintf(line, sizeof line, "\"%s\" child", argv[0]);
  STARTUPINFOA si;
  memset(&si, 0, sizeof si);
  si.cb = sizeof si;
  PROCESS_INFORMATION pi;
  memset(&pi, 0, sizeof pi);
  if (show_bool(
          "CreateProcess suspended",
          CreateProcessA(NULL, line, NULL, NULL, FALSE, CREATE_SUSPENDED, NULL, NULL, &si, &pi))) {
    show_wait("suspended child", WaitForSingleObject(pi.hProcess, 0));
    show_count("SuspendThread child", SuspendThread(pi.hThread));
    show_count("ResumeThread child from 2", ResumeThread(pi.hThread));
    show_count("ResumeThread child from 1", ResumeThread(pi.hThread));
    show_wait("resumed child", WaitForSingleObject(pi.hProcess, LONG_WAIT));
    if (show_bool("GetExitCodeProcess", GetExitCodeProcess(pi.hProcess, &code)))
      show_num("child code", code);
    show_count("ResumeThread ended child", ResumeThread(pi.hThread));
    show_dup("DuplicateHandle into ended child", GetCurrentProcess(), event, pi.hProcess,
             DUPLICATE_SAME_ACCESS);
    CloseHandle(pi.hThread);
    CloseHandle(pi.hProcess);
  }

  // DuplicateHandle's errors.
  HANDLE self = GetCurrentProcess();
  show_dup("DuplicateHandle bogus source", self, bogus, self, DUPLICATE_SAME_ACCESS);
  show_dup("DuplicateHandle bogus target process", self, event, bogus, DUPLICATE_SAME_ACCESS);
  show_dup("DuplicateHandle event as process", self, event, event, DUPLICATE_SAME_ACCESS);
  HANDLE limited = NULL;
  show_bool("DuplicateHandle limited self",
            DuplicateHandle(self, self, self, &limited, SYNCHRONIZE, FALSE, 0));
  show_dup("DuplicateHandle without PROCESS_DUP_HANDLE", self, event, limited,
           DUPLICATE_SAME_ACCESS);
  show_dup("DuplicateHandle same process", self, event, self, DUPLICATE_SAME_ACCESS);
  CloseHandle(limited);
  CloseHandle(event);
  return 0;
}
