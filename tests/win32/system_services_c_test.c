/* The system services through windows.h from C: each check prints what
 * failed and the test exits 1. Memory, locks, Interlocked, TLS, the
 * counter, mutexes and semaphores, and a file on disk. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <windows.h>

static int failures = 0;
#define CHECK(cond)                                                              \
  do {                                                                           \
    if (!(cond)) {                                                               \
      fprintf(stderr, "%s:%d: %s (last error %lu)\n", __FILE__, __LINE__, #cond, \
              (unsigned long)GetLastError());                                    \
      ++failures;                                                                \
    }                                                                            \
  } while (0)

static HANDLE g_mutex;
static volatile LONG g_counter = 0;
static CRITICAL_SECTION g_cs;

static DWORD WINAPI take_and_exit(LPVOID unused) {
  (void)unused;
  WaitForSingleObject(g_mutex, 0);
  return 0; /* exits owning it */
}

static DWORD WINAPI count(LPVOID unused) {
  int i;
  (void)unused;
  for (i = 0; i < 10000; ++i) {
    EnterCriticalSection(&g_cs);
    InterlockedIncrement(&g_counter);
    LeaveCriticalSection(&g_cs);
  }
  return 0;
}

static BOOL CALLBACK init_fn(PINIT_ONCE once, PVOID parameter, PVOID* context) {
  (void)once;
  *context = parameter;
  return TRUE;
}

int main(void) {
  /* Memory */
  HANDLE heap = GetProcessHeap();
  char* p = (char*)HeapAlloc(heap, HEAP_ZERO_MEMORY, 64);
  HGLOBAL g;
  HLOCAL l;
  CHECK(p != NULL && p[63] == 0 && HeapSize(heap, 0, p) == 64);
  CHECK(HeapFree(heap, 0, p));
  g = GlobalAlloc(GHND, 16);
  CHECK(g != NULL && GlobalLock(g) != NULL && GlobalSize(g) == 16);
  GlobalUnlock(g);
  CHECK(GlobalFree(g) == NULL);
  l = LocalAlloc(LPTR, 8);
  CHECK(l != NULL && LocalSize(l) == 8 && LocalFree(l) == NULL);

  /* Critical section, threads, Interlocked */
  {
    HANDLE threads[2];
    InitializeCriticalSection(&g_cs);
    threads[0] = CreateThread(NULL, 0, count, NULL, 0, NULL);
    threads[1] = CreateThread(NULL, 0, count, NULL, 0, NULL);
    CHECK(WaitForMultipleObjects(2, threads, TRUE, 10000) == WAIT_OBJECT_0);
    CHECK(g_counter == 20000);
    CloseHandle(threads[0]);
    CloseHandle(threads[1]);
    DeleteCriticalSection(&g_cs);
  }

  /* SRW lock and condition variable */
  {
    SRWLOCK lock = SRWLOCK_INIT;
    CONDITION_VARIABLE cv = CONDITION_VARIABLE_INIT;
    AcquireSRWLockExclusive(&lock);
    CHECK(!SleepConditionVariableSRW(&cv, &lock, 10, 0) && GetLastError() == ERROR_TIMEOUT);
    ReleaseSRWLockExclusive(&lock);
    CHECK(TryAcquireSRWLockShared(&lock));
    ReleaseSRWLockShared(&lock);
  }

  /* InitOnce, TLS, the counter */
  {
    static INIT_ONCE once = INIT_ONCE_STATIC_INIT;
    static int target;
    PVOID context = NULL;
    DWORD slot = TlsAlloc();
    LARGE_INTEGER f, t;
    CHECK(InitOnceExecuteOnce(&once, init_fn, &target, &context) && context == &target);
    CHECK(slot != TLS_OUT_OF_INDEXES && TlsSetValue(slot, &target) && TlsGetValue(slot) == &target);
    CHECK(TlsFree(slot));
    CHECK(QueryPerformanceFrequency(&f) && QueryPerformanceCounter(&t) && f.QuadPart > 0);
  }

  /* Mutex abandoned by a thread, semaphore counts */
  {
    HANDLE t, s;
    LONG previous = -1;
    g_mutex = CreateMutexA(NULL, FALSE, NULL);
    t = CreateThread(NULL, 0, take_and_exit, NULL, 0, NULL);
    CHECK(WaitForSingleObject(t, 10000) == WAIT_OBJECT_0);
    CHECK(WaitForSingleObject(g_mutex, 10000) == WAIT_ABANDONED);
    CHECK(ReleaseMutex(g_mutex));
    CHECK(!ReleaseMutex(g_mutex) && GetLastError() == ERROR_NOT_OWNER);
    CloseHandle(t);
    CloseHandle(g_mutex);
    s = CreateSemaphoreA(NULL, 0, 1, NULL);
    CHECK(ReleaseSemaphore(s, 1, &previous) && previous == 0);
    CHECK(!ReleaseSemaphore(s, 1, NULL) && GetLastError() == ERROR_TOO_MANY_POSTS);
    CHECK(WaitForSingleObject(s, 0) == WAIT_OBJECT_0);
    CloseHandle(s);
  }

  /* A file on disk */
  {
    char name[64];
    char buf[16];
    DWORD n = 0;
    HANDLE f;
    snprintf(name, sizeof name, "/tmp/conduit-c-test-%d.txt", (int)getpid());
    f = CreateFileA(name, GENERIC_READ | GENERIC_WRITE, 0, NULL, CREATE_NEW,
                    FILE_ATTRIBUTE_NORMAL | FILE_FLAG_DELETE_ON_CLOSE, NULL);
    CHECK(f != INVALID_HANDLE_VALUE);
    CHECK(WriteFile(f, "hello", 5, &n, NULL) && n == 5);
    CHECK(SetFilePointer(f, 1, NULL, FILE_BEGIN) == 1);
    CHECK(ReadFile(f, buf, sizeof buf, &n, NULL) && n == 4 && memcmp(buf, "ello", 4) == 0);
    CHECK(GetFileType(f) == FILE_TYPE_DISK && GetFileSize(f, NULL) == 5);
    CHECK(CloseHandle(f));
    CHECK(!DeleteFileA(name) && GetLastError() == ERROR_FILE_NOT_FOUND); /* gone on close */
  }

  if (failures) fprintf(stderr, "%d checks failed\n", failures);
  return failures ? 1 : 0;
}
