/* The runner for Wine's kernel32 conformance tests (pipe.c, mailslot.c)
 * built against conduit's Win32 layer: what wine/test.h declares, and main.
 *
 *   prog NAME                  runs the test's START_TEST body: every call
 *                              in it, or with WINETEST_SELECT="call text"
 *                              only that one (scripts/wine-conformance.sh
 *                              runs each call in a process of its own);
 *   prog NAME VERB ARGS...     a child process the test started itself.
 *
 * Counts: checks (every ok()), failures (false checks outside todo_wine),
 * todo (false checks inside todo_wine: Wine also differs from Windows
 * there), skipped (skip, win_skip). When WINETEST_COUNTS names a file the
 * main process keeps the counts so far in it, so that a run that hangs or
 * crashes still reports what it checked. The exit code is the number of
 * failures (at most 255). */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "windef.h"
#include "wine/test.h"
#include "winioctl.h"
#include "winternl.h"

extern const char* winetest_name;
void winetest_func(void);

int winetest_debug = 1;
int winetest_interactive = 0;
const char* winetest_platform = "windows";

static char** main_argv;
static int main_argc;
static int is_child;
static int counts_fd = -1;

static long checks, failures, todo_failures, skipped;

static __thread const char* location_file = "?";
static __thread int location_line;
static __thread int todo_level;
static __thread int todo_do_loop;
enum { context_depth = 8, context_size = 160 };
static __thread char contexts[context_depth][context_size];
static __thread int context_count;

static void save_counts(void) {
  if (counts_fd < 0) return;
  char line[128];
  int n =
      snprintf(line, sizeof line, "%ld %ld %ld %ld\n", __atomic_load_n(&checks, __ATOMIC_RELAXED),
               __atomic_load_n(&failures, __ATOMIC_RELAXED),
               __atomic_load_n(&todo_failures, __ATOMIC_RELAXED),
               __atomic_load_n(&skipped, __ATOMIC_RELAXED));
  /* Fixed width is not needed: the line is rewritten whole and trailing
   * bytes of a longer earlier line cannot exist (counts only grow). */
  if (pwrite(counts_fd, line, (size_t)n, 0) < 0) counts_fd = -1;
}

static const char* base_name(const char* path) {
  const char* slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

/* One line: "file:line: <what>: [contexts: ]message" (the message as the
 * Microsoft C runtime formats it). */
static void report(const char* what, const char* format, va_list args) {
  char message[2048];
  int n = _vsnprintf(message, sizeof message, format, args);
  if (n < 0) message[sizeof message - 1] = 0;
  char prefix[context_depth * context_size + 64];
  size_t used = (size_t)snprintf(prefix, sizeof prefix, "%s:%d: %s: ", base_name(location_file),
                                 location_line, what);
  for (int i = 0; i < context_count && used < sizeof prefix; ++i)
    used += (size_t)snprintf(prefix + used, sizeof prefix - used, "%s: ", contexts[i]);
  size_t length = strlen(message);
  fprintf(stdout, "%s%s%s", prefix, message, length && message[length - 1] == '\n' ? "" : "\n");
  fflush(stdout);
}

void winetest_set_location(const char* file, int line) {
  location_file = file;
  location_line = line;
}

void winetest_ok(int condition, const char* msg, ...) {
  __atomic_add_fetch(&checks, 1, __ATOMIC_RELAXED);
  if (!condition) {
    va_list args;
    va_start(args, msg);
    if (todo_level & 1) {
      __atomic_add_fetch(&todo_failures, 1, __ATOMIC_RELAXED);
      report("Test marked todo", msg, args);
    } else {
      __atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
      report("Test failed", msg, args);
    }
    va_end(args);
  }
  save_counts();
}

static void skip_with(const char* what, const char* msg, va_list args) {
  __atomic_add_fetch(&skipped, 1, __ATOMIC_RELAXED);
  report(what, msg, args);
  save_counts();
}

void winetest_skip(const char* msg, ...) {
  va_list args;
  va_start(args, msg);
  skip_with("Tests skipped", msg, args);
  va_end(args);
}

void winetest_win_skip(const char* msg, ...) {
  va_list args;
  va_start(args, msg);
  skip_with("Tests skipped (win_skip)", msg, args);
  va_end(args);
}

void winetest_trace(const char* msg, ...) {
  if (winetest_debug <= 0) return;
  va_list args;
  va_start(args, msg);
  report("trace", msg, args);
  va_end(args);
}

void winetest_start_todo(int is_todo) {
  todo_level = (todo_level << 1) | (is_todo != 0);
  todo_do_loop = 1;
}

int winetest_loop_todo(void) {
  int loop = todo_do_loop;
  todo_do_loop = 0;
  return loop;
}

void winetest_end_todo(void) {
  todo_level >>= 1;
}

void winetest_push_context(const char* fmt, ...) {
  if (context_count >= context_depth) {
    ++context_count;
    return;
  }
  va_list args;
  va_start(args, fmt);
  if (_vsnprintf(contexts[context_count], context_size, fmt, args) < 0)
    contexts[context_count][context_size - 1] = 0;
  va_end(args);
  ++context_count;
}

void winetest_pop_context(void) {
  if (context_count) --context_count;
}

int winetest_get_mainargs(char*** argv) {
  *argv = main_argv;
  return main_argc;
}

int winetest_broken(int condition) {
  (void)condition;
  return 0;
}

void winetest_wait_child_process(HANDLE process) {
  /* Bounded: the script's per-run timeout is the backstop, this reports a
   * child that hangs as a failed check of its own. */
  DWORD waited = WaitForSingleObject(process, 60000);
  DWORD exit_code = 0xdeadbeef;
  if (waited == WAIT_OBJECT_0 && GetExitCodeProcess(process, &exit_code)) {
    winetest_ok(exit_code == 0, "%lu failures in child process\n", exit_code);
  } else {
    winetest_ok(0, "child process did not end: wait %lu, error %lu\n", waited, GetLastError());
    TerminateProcess(process, 255);
  }
}

int winetest_selected(const char* call) {
  const char* select = getenv("WINETEST_SELECT");
  if (!select || !*select) return 1;
  if (strcmp(select, "list") == 0) {
    printf("%s\n", call);
    return 0;
  }
  return strcmp(select, call) == 0;
}

int winetest_sprintf(char* buffer, const char* format, ...) {
  char text[8192];
  va_list args;
  va_start(args, format);
  int n = _vsnprintf(text, sizeof text, format, args);
  va_end(args);
  if (n < 0) abort(); /* the tests' command lines are short */
  memcpy(buffer, text, (size_t)n + 1);
  return n;
}

/* sscanf with the Microsoft meaning of `l` for integers: 32 bits. */
int winetest_sscanf(const char* text, const char* format, ...) {
  char converted[256];
  size_t out = 0;
  for (const char* p = format; *p && out + 1 < sizeof converted; ++p) {
    if (p[0] == 'l' && p > format && p[-1] == '%' && p[1] && strchr("diouxX", p[1])) continue;
    converted[out++] = *p;
  }
  converted[out] = 0;
  va_list args;
  va_start(args, format);
  int n = vsscanf(text, converted, args);
  va_end(args);
  return n;
}

/* The NT layer (winternl.h says what each stub does). */
NTSTATUS WINAPI NtQueryInformationFile(HANDLE file, PIO_STATUS_BLOCK io, PVOID info, ULONG length,
                                       FILE_INFORMATION_CLASS info_class) {
  (void)file;
  (void)info;
  (void)length;
  (void)info_class;
  if (io) {
    io->Status = STATUS_NOT_IMPLEMENTED;
    io->Information = 0;
  }
  return STATUS_NOT_IMPLEMENTED;
}

NTSTATUS WINAPI NtFsControlFile(HANDLE file, HANDLE event, PIO_APC_ROUTINE apc, PVOID apc_context,
                                PIO_STATUS_BLOCK io, ULONG code, PVOID in_buffer, ULONG in_size,
                                PVOID out_buffer, ULONG out_size) {
  (void)event;
  (void)apc;
  (void)apc_context;
  (void)in_buffer;
  (void)in_size;
  const ULONG header = (ULONG)offsetof(FILE_PIPE_PEEK_BUFFER, Data);
  if (code != FSCTL_PIPE_PEEK || out_size < header) return STATUS_NOT_IMPLEMENTED;
  FILE_PIPE_PEEK_BUFFER* peek = (FILE_PIPE_PEEK_BUFFER*)out_buffer;
  DWORD read = 0, available = 0, left = 0, flags = 0;
  if (!PeekNamedPipe(file, peek->Data, out_size - header, &read, &available, &left))
    return STATUS_PIPE_BROKEN;
  GetNamedPipeInfo(file, &flags, NULL, NULL, NULL);
  peek->NamedPipeState = 3; /* FILE_PIPE_CONNECTED_STATE */
  peek->ReadDataAvailable = available;
  peek->NumberOfMessages = 0;
  peek->MessageLength = (flags & PIPE_TYPE_MESSAGE) ? read + left : 0;
  io->Status = STATUS_SUCCESS;
  io->Information = header + read;
  return STATUS_SUCCESS;
}

/* test_impersonation's token calls (winetest_compat.h). */
BOOL WINAPI winetest_AdjustTokenPrivileges(HANDLE token, BOOL disable_all, PTOKEN_PRIVILEGES state,
                                           DWORD length, PTOKEN_PRIVILEGES previous,
                                           PDWORD return_length) {
  (void)token;
  (void)disable_all;
  (void)state;
  (void)length;
  (void)previous;
  (void)return_length;
  SetLastError(ERROR_CALL_NOT_IMPLEMENTED);
  return FALSE;
}

BOOL WINAPI winetest_SetThreadToken(PHANDLE thread, HANDLE token) {
  (void)thread;
  (void)token;
  SetLastError(ERROR_CALL_NOT_IMPLEMENTED);
  return FALSE;
}

int main(int argc, char** argv) {
  main_argc = argc;
  main_argv = argv;
  setvbuf(stdout, NULL, _IOLBF, 0);
  is_child = argc > 2;
  if (argc < 2 || strcmp(argv[1], winetest_name) != 0) {
    fprintf(stderr, "usage: %s %s [child verb...]\n", argv[0], winetest_name);
    return 2;
  }
  const char* counts = getenv("WINETEST_COUNTS");
  if (!is_child && counts && *counts)
    counts_fd = open(counts, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  save_counts();
  winetest_func();
  const char* select = getenv("WINETEST_SELECT");
  if (!is_child && !(select && strcmp(select, "list") == 0)) {
    printf("%s: %s: %ld checks, %ld failures, %ld todo, %ld skipped\n", winetest_name,
           select && *select ? select : "all", checks, failures, todo_failures, skipped);
  }
  fflush(stdout);
  return failures > 255 ? 255 : (int)failures;
}
