/* observe.h: what the differential programs share.
 *
 * Each program calls the Win32 API and prints one observation per line,
 * "<label>: <what happened>": the return value, GetLastError when the call
 * failed, byte counts and data. Labels are unique within a program and hold
 * no ": ". Nothing that varies between runs (handle values, process ids,
 * timings) is printed, so the output under Windows (Wine) and under conduit
 * can be compared line by line.
 *
 * The programs build unchanged with mingw (x86_64-w64-mingw32-g++ -static)
 * and natively against conduit's windows.h, so only the Win32 API and the C
 * library appear here. */
#ifndef CONDUIT_DIFFERENTIAL_OBSERVE_H
#define CONDUIT_DIFFERENTIAL_OBSERVE_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <windows.h>

/* Bounded waits: long enough never to expire on a working system. */
#define LONG_WAIT 2000

static inline const char* error_name(DWORD e) {
  switch (e) {
    case 0:
      return "ERROR_SUCCESS";
    case 1:
      return "ERROR_INVALID_FUNCTION";
    case 2:
      return "ERROR_FILE_NOT_FOUND";
    case 3:
      return "ERROR_PATH_NOT_FOUND";
    case 5:
      return "ERROR_ACCESS_DENIED";
    case 6:
      return "ERROR_INVALID_HANDLE";
    case 32:
      return "ERROR_SHARING_VIOLATION";
    case 38:
      return "ERROR_HANDLE_EOF";
    case 50:
      return "ERROR_NOT_SUPPORTED";
    case 87:
      return "ERROR_INVALID_PARAMETER";
    case 109:
      return "ERROR_BROKEN_PIPE";
    case 120:
      return "ERROR_CALL_NOT_IMPLEMENTED";
    case 121:
      return "ERROR_SEM_TIMEOUT";
    case 122:
      return "ERROR_INSUFFICIENT_BUFFER";
    case 123:
      return "ERROR_INVALID_NAME";
    case 161:
      return "ERROR_BAD_PATHNAME";
    case 183:
      return "ERROR_ALREADY_EXISTS";
    case 206:
      return "ERROR_FILENAME_EXCED_RANGE";
    case 230:
      return "ERROR_BAD_PIPE";
    case 231:
      return "ERROR_PIPE_BUSY";
    case 232:
      return "ERROR_NO_DATA";
    case 233:
      return "ERROR_PIPE_NOT_CONNECTED";
    case 234:
      return "ERROR_MORE_DATA";
    case 258:
      return "WAIT_TIMEOUT";
    case 535:
      return "ERROR_PIPE_CONNECTED";
    case 536:
      return "ERROR_PIPE_LISTENING";
    case 995:
      return "ERROR_OPERATION_ABORTED";
    case 996:
      return "ERROR_IO_INCOMPLETE";
    case 997:
      return "ERROR_IO_PENDING";
    case 998:
      return "ERROR_NOACCESS";
    case 1168:
      return "ERROR_NOT_FOUND";
    case 1305:
      return "ERROR_UNKNOWN_REVISION";
    case 1306:
      return "ERROR_REVISION_MISMATCH";
    case 1332:
      return "ERROR_NONE_MAPPED";
    case 1336:
      return "ERROR_INVALID_ACL";
    case 1337:
      return "ERROR_INVALID_SID";
    case 1338:
      return "ERROR_INVALID_SECURITY_DESCR";
    case 1344:
      return "ERROR_ALLOTTED_SPACE_EXCEEDED";
    case 1361:
      return "ERROR_BAD_DESCRIPTOR_FORMAT";
    case 1460:
      return "ERROR_TIMEOUT";
    case 1784:
      return "ERROR_INVALID_USER_BUFFER";
    default:
      return "?";
  }
}

static inline const char* status_name(ULONG_PTR s) {
  switch ((DWORD)s) {
    case 0x00000000:
      return "STATUS_SUCCESS";
    case 0x00000103:
      return "STATUS_PENDING";
    case 0x80000005:
      return "STATUS_BUFFER_OVERFLOW";
    case 0xC0000011:
      return "STATUS_END_OF_FILE";
    case 0xC0000120:
      return "STATUS_CANCELLED";
    case 0xC000014B:
      return "STATUS_PIPE_BROKEN";
    case 0xC00000B0:
      return "STATUS_PIPE_DISCONNECTED";
    case 0xC00000B1:
      return "STATUS_PIPE_CLOSING";
    case 0xC00000B2:
      return "STATUS_PIPE_CONNECTED";
    case 0xC00000B3:
      return "STATUS_PIPE_LISTENING";
    case 0xC00000D9:
      return "STATUS_PIPE_EMPTY";
    default:
      return "?";
  }
}

/* One line: "<label>: <formatted text>". Flushed, so that what a program
 * printed before it hung or crashed still counts. */
static inline void say(const char* label, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  printf("%s: ", label);
  vprintf(fmt, ap);
  printf("\n");
  fflush(stdout);
  va_end(ap);
}

/* ", error 231 ERROR_PIPE_BUSY" into buf. */
static inline const char* error_text(char* buf, size_t size, DWORD e) {
  snprintf(buf, size, "error %lu %s", (unsigned long)e, error_name(e));
  return buf;
}

/* Data as printable text: "abc", with \xNN for anything else. */
static inline const char* data_text(char* out, size_t size, const void* data, DWORD n) {
  const unsigned char* p = (const unsigned char*)data;
  size_t o = 0;
  out[o++] = '"';
  for (DWORD i = 0; i < n && o + 6 < size; i++) {
    if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '"' && p[i] != '\\')
      out[o++] = (char)p[i];
    else
      o += (size_t)snprintf(out + o, size - o, "\\x%02x", p[i]);
  }
  out[o++] = '"';
  out[o] = 0;
  return out;
}

/* A BOOL call: "TRUE" or "FALSE, error N NAME". Call as
 * show_bool("label", SomeCall(...)): the error is read first thing. */
static inline BOOL show_bool(const char* label, BOOL r) {
  DWORD e = GetLastError();
  char eb[64];
  if (r)
    say(label, "TRUE");
  else
    say(label, "FALSE, %s", error_text(eb, sizeof eb, e));
  SetLastError(e);
  return r;
}

/* A handle-returning call: "handle", or INVALID_HANDLE_VALUE / NULL with
 * the error. */
static inline HANDLE show_handle(const char* label, HANDLE h) {
  DWORD e = GetLastError();
  char eb[64];
  if (h == INVALID_HANDLE_VALUE)
    say(label, "INVALID_HANDLE_VALUE, %s", error_text(eb, sizeof eb, e));
  else if (h == NULL)
    say(label, "NULL, %s", error_text(eb, sizeof eb, e));
  else
    say(label, "handle");
  SetLastError(e);
  return h;
}

/* A read or write: the result, the error on failure, the byte count (read
 * through the pointer, after the call), and the data when data is given and
 * the count is not 0. */
static inline BOOL show_io(const char* label, BOOL r, const DWORD* count, const void* data) {
  DWORD e = GetLastError();
  DWORD n = *count;
  char eb[64], db[256];
  const char* d = data && n ? data_text(db, sizeof db, data, n) : "";
  if (r)
    say(label, "TRUE, %lu bytes%s%s", (unsigned long)n, *d ? " " : "", d);
  else
    say(label, "FALSE, %s, %lu bytes%s%s", error_text(eb, sizeof eb, e), (unsigned long)n,
        *d ? " " : "", d);
  SetLastError(e);
  return r;
}

/* A wait result by name; WAIT_FAILED with the error. */
static inline DWORD show_wait(const char* label, DWORD r) {
  DWORD e = GetLastError();
  char eb[64];
  if (r == WAIT_FAILED)
    say(label, "WAIT_FAILED, %s", error_text(eb, sizeof eb, e));
  else if (r == WAIT_TIMEOUT)
    say(label, "WAIT_TIMEOUT");
  else if (r == WAIT_IO_COMPLETION)
    say(label, "WAIT_IO_COMPLETION");
  else if (r >= WAIT_ABANDONED_0 && r < WAIT_ABANDONED_0 + MAXIMUM_WAIT_OBJECTS)
    say(label, "WAIT_ABANDONED_0+%lu", (unsigned long)(r - WAIT_ABANDONED_0));
  else if (r < MAXIMUM_WAIT_OBJECTS)
    say(label, "WAIT_OBJECT_0+%lu", (unsigned long)r);
  else
    say(label, "%lu", (unsigned long)r);
  SetLastError(e);
  return r;
}

/* Shows a handle-returning call that should fail, and closes what it
 * returned if it did not, so that later observations do not depend on it. */
static inline void show_refused(const char* label, HANDLE h) {
  show_handle(label, h);
  if (h != INVALID_HANDLE_VALUE && h != NULL) CloseHandle(h);
}

/* A number. */
static inline void show_num(const char* label, DWORD v) {
  say(label, "%lu", (unsigned long)v);
}

/* A number in hex (flags, sizes that are all ones). */
static inline void show_hex(const char* label, DWORD v) {
  say(label, "0x%lx", (unsigned long)v);
}

/* An OVERLAPPED's status and byte count. */
static inline void show_overlapped(const char* label, const OVERLAPPED* ov) {
  say(label, "Internal %s, InternalHigh %lu", status_name(ov->Internal),
      (unsigned long)ov->InternalHigh);
}

/* Whether an event (or any waitable handle) is signaled now. */
static inline void show_signaled(const char* label, HANDLE h) {
  DWORD r = WaitForSingleObject(h, 0);
  say(label, "%s",
      r == WAIT_OBJECT_0  ? "signaled"
      : r == WAIT_TIMEOUT ? "not signaled"
                          : "wait failed");
}

#endif /* CONDUIT_DIFFERENTIAL_OBSERVE_H */
