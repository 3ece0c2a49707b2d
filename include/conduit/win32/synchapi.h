/* conduit/win32/synchapi.h: critical sections, slim reader/writer locks,
 * condition variables, one-time initialisation, mutexes and semaphores, as
 * synchapi.h declares them.
 *
 * Included by <windows.h>; not meant to be included alone.
 *
 *   CRITICAL_SECTION lock;
 *   InitializeCriticalSection(&lock);
 *   EnterCriticalSection(&lock);       // recursive, as on Windows
 *   ... shared state ...
 *   LeaveCriticalSection(&lock);
 *   DeleteCriticalSection(&lock);
 *
 *   HANDLE m = CreateMutexA(NULL, FALSE, "Global\\app.lock");  // any process
 *   if (WaitForSingleObject(m, 5000) == WAIT_ABANDONED) ...    // owner died holding it
 *   ReleaseMutex(m);
 *
 * CRITICAL_SECTION, SRWLOCK, CONDITION_VARIABLE and INIT_ONCE live in the
 * program's memory and never fail (no handle, no broker). Mutexes and
 * semaphores are kernel objects: handles that WaitForSingleObject and
 * WaitForMultipleObjects (wait-all too) wait on with events, threads,
 * processes and files. A named one is shared with every process of the
 * broker, in the one namespace it shares with named events (a name held by
 * another type: ERROR_INVALID_HANDLE), with a security descriptor checked
 * on every open. docs/win32-system.md lists what differs from Windows. */
#ifndef CONDUIT_WIN32_SYNCHAPI_H
#define CONDUIT_WIN32_SYNCHAPI_H

#ifdef __cplusplus
extern "C" {
#endif

typedef BYTE BOOLEAN;
typedef LONG* LPLONG;

#define ERROR_GEN_FAILURE 31L
#define ERROR_NOT_OWNER 288L
#define ERROR_TOO_MANY_POSTS 298L

/* ---- Critical sections ---- */
typedef struct _RTL_CRITICAL_SECTION_DEBUG* PRTL_CRITICAL_SECTION_DEBUG;
/* The fields keep Windows's layout (40 bytes); their meaning is conduit's:
 * LockCount is the lock word (0 free), OwningThread the owner's thread id. */
typedef struct _RTL_CRITICAL_SECTION {
  PRTL_CRITICAL_SECTION_DEBUG DebugInfo;
  LONG LockCount;
  LONG RecursionCount;
  HANDLE OwningThread;
  HANDLE LockSemaphore;
  ULONG_PTR SpinCount;
} RTL_CRITICAL_SECTION, *PRTL_CRITICAL_SECTION;
typedef RTL_CRITICAL_SECTION CRITICAL_SECTION;
typedef PRTL_CRITICAL_SECTION PCRITICAL_SECTION;
typedef PRTL_CRITICAL_SECTION LPCRITICAL_SECTION;
#define CRITICAL_SECTION_NO_DEBUG_INFO 0x01000000

VOID WINAPI InitializeCriticalSection(LPCRITICAL_SECTION lpCriticalSection);
/* Spins up to dwSpinCount times before sleeping when the lock is taken. */
BOOL WINAPI InitializeCriticalSectionAndSpinCount(LPCRITICAL_SECTION lpCriticalSection,
                                                  DWORD dwSpinCount);
BOOL WINAPI InitializeCriticalSectionEx(LPCRITICAL_SECTION lpCriticalSection, DWORD dwSpinCount,
                                        DWORD Flags);
/* The previous spin count. */
DWORD WINAPI SetCriticalSectionSpinCount(LPCRITICAL_SECTION lpCriticalSection, DWORD dwSpinCount);
/* Waits for the lock; a thread that holds it already enters again (each
 * Enter needs its Leave). */
VOID WINAPI EnterCriticalSection(LPCRITICAL_SECTION lpCriticalSection);
/* TRUE if entered (free, or held by this thread), FALSE at once otherwise. */
BOOL WINAPI TryEnterCriticalSection(LPCRITICAL_SECTION lpCriticalSection);
/* Leaving one this thread does not hold is undefined on Windows; here it
 * does nothing. */
VOID WINAPI LeaveCriticalSection(LPCRITICAL_SECTION lpCriticalSection);
VOID WINAPI DeleteCriticalSection(LPCRITICAL_SECTION lpCriticalSection);

/* ---- Slim reader/writer locks: not recursive, as on Windows ---- */
typedef struct _RTL_SRWLOCK {
  PVOID Ptr;
} RTL_SRWLOCK, SRWLOCK, *PSRWLOCK;
#define RTL_SRWLOCK_INIT \
  { 0 }
#define SRWLOCK_INIT RTL_SRWLOCK_INIT
VOID WINAPI InitializeSRWLock(PSRWLOCK SRWLock);
VOID WINAPI AcquireSRWLockExclusive(PSRWLOCK SRWLock);
VOID WINAPI AcquireSRWLockShared(PSRWLOCK SRWLock);
VOID WINAPI ReleaseSRWLockExclusive(PSRWLOCK SRWLock);
VOID WINAPI ReleaseSRWLockShared(PSRWLOCK SRWLock);
/* Nonzero if taken, 0 at once if not. */
BOOLEAN WINAPI TryAcquireSRWLockExclusive(PSRWLOCK SRWLock);
BOOLEAN WINAPI TryAcquireSRWLockShared(PSRWLOCK SRWLock);

/* ---- Condition variables ---- */
typedef struct _RTL_CONDITION_VARIABLE {
  PVOID Ptr;
} RTL_CONDITION_VARIABLE, CONDITION_VARIABLE, *PCONDITION_VARIABLE;
#define RTL_CONDITION_VARIABLE_INIT \
  { 0 }
#define CONDITION_VARIABLE_INIT RTL_CONDITION_VARIABLE_INIT
#define CONDITION_VARIABLE_LOCKMODE_SHARED 0x1
VOID WINAPI InitializeConditionVariable(PCONDITION_VARIABLE ConditionVariable);
/* Leaves the critical section (however often this thread entered it),
 * waits for a wake or dwMilliseconds, enters it again as often. FALSE with
 * ERROR_TIMEOUT when the time ran out. Like Windows, may wake spuriously. */
BOOL WINAPI SleepConditionVariableCS(PCONDITION_VARIABLE ConditionVariable,
                                     PCRITICAL_SECTION CriticalSection, DWORD dwMilliseconds);
/* The same with an SRW lock held exclusive, or shared with
 * CONDITION_VARIABLE_LOCKMODE_SHARED (other flags: ERROR_INVALID_PARAMETER). */
BOOL WINAPI SleepConditionVariableSRW(PCONDITION_VARIABLE ConditionVariable, PSRWLOCK SRWLock,
                                      DWORD dwMilliseconds, ULONG Flags);
VOID WINAPI WakeConditionVariable(PCONDITION_VARIABLE ConditionVariable);
VOID WINAPI WakeAllConditionVariable(PCONDITION_VARIABLE ConditionVariable);

/* ---- One-time initialisation (synchronous) ---- */
typedef union _RTL_RUN_ONCE {
  PVOID Ptr;
} RTL_RUN_ONCE, INIT_ONCE, *PINIT_ONCE, *LPINIT_ONCE;
#define RTL_RUN_ONCE_INIT \
  { 0 }
#define INIT_ONCE_STATIC_INIT RTL_RUN_ONCE_INIT
#define INIT_ONCE_CHECK_ONLY 0x00000001UL
#define INIT_ONCE_ASYNC 0x00000002UL
#define INIT_ONCE_INIT_FAILED 0x00000004UL
#define INIT_ONCE_CTX_RESERVED_BITS 2
typedef BOOL(WINAPI* PINIT_ONCE_FN)(PINIT_ONCE InitOnce, PVOID Parameter, PVOID* Context);
VOID WINAPI InitOnceInitialize(PINIT_ONCE InitOnce);
/* Runs InitFn once for all threads; the others wait until it has run. If it
 * returns FALSE, the next call runs it again. *Context receives what InitFn
 * stored (its low INIT_ONCE_CTX_RESERVED_BITS bits must be 0). */
BOOL WINAPI InitOnceExecuteOnce(PINIT_ONCE InitOnce, PINIT_ONCE_FN InitFn, PVOID Parameter,
                                LPVOID* Context);
/* The two-call form: *fPending TRUE means this caller initialises and must
 * call InitOnceComplete. INIT_ONCE_CHECK_ONLY: FALSE with
 * ERROR_GEN_FAILURE unless done. INIT_ONCE_ASYNC: ERROR_INVALID_PARAMETER
 * (not supported here). */
BOOL WINAPI InitOnceBeginInitialize(LPINIT_ONCE lpInitOnce, DWORD dwFlags, PBOOL fPending,
                                    LPVOID* lpContext);
/* Ends an initialisation begun here; INIT_ONCE_INIT_FAILED lets the next
 * caller try again. */
BOOL WINAPI InitOnceComplete(LPINIT_ONCE lpInitOnce, DWORD dwFlags, LPVOID lpContext);

/* ---- Mutexes ---- */
#define MUTANT_QUERY_STATE 0x0001
#define MUTEX_MODIFY_STATE 0x0001
#define MUTEX_ALL_ACCESS 0x001F0001
#define CREATE_MUTEX_INITIAL_OWNER 0x00000001
/* A mutex, owned by the calling thread if bInitialOwner (and it is new).
 * With a name: the existing mutex of that name (last error
 * ERROR_ALREADY_EXISTS, bInitialOwner ignored) or a new one shared with
 * other processes; ERROR_INVALID_HANDLE if an event or semaphore has the
 * name, ERROR_ACCESS_DENIED if its security descriptor refuses
 * MUTEX_ALL_ACCESS. A thread that exits owning a mutex abandons it, and so
 * does a process that exits (ExitProcess, exit, return from main): the
 * next wait that takes it returns WAIT_ABANDONED (_0 + index). */
HANDLE WINAPI CreateMutexA(LPSECURITY_ATTRIBUTES lpMutexAttributes, BOOL bInitialOwner,
                           LPCSTR lpName);
HANDLE WINAPI CreateMutexW(LPSECURITY_ATTRIBUTES lpMutexAttributes, BOOL bInitialOwner,
                           LPCWSTR lpName);
HANDLE WINAPI CreateMutexExA(LPSECURITY_ATTRIBUTES lpMutexAttributes, LPCSTR lpName, DWORD dwFlags,
                             DWORD dwDesiredAccess);
HANDLE WINAPI CreateMutexExW(LPSECURITY_ATTRIBUTES lpMutexAttributes, LPCWSTR lpName, DWORD dwFlags,
                             DWORD dwDesiredAccess);
/* ERROR_FILE_NOT_FOUND if no object has the name, ERROR_INVALID_HANDLE if
 * another type has it (or the name is empty), ERROR_INVALID_PARAMETER for
 * a null name, ERROR_ACCESS_DENIED. */
HANDLE WINAPI OpenMutexA(DWORD dwDesiredAccess, BOOL bInheritHandle, LPCSTR lpName);
HANDLE WINAPI OpenMutexW(DWORD dwDesiredAccess, BOOL bInheritHandle, LPCWSTR lpName);
/* ERROR_NOT_OWNER unless the calling thread owns it. */
BOOL WINAPI ReleaseMutex(HANDLE hMutex);

/* ---- Semaphores ---- */
#define SEMAPHORE_MODIFY_STATE 0x0002
#define SEMAPHORE_ALL_ACCESS 0x001F0003
/* 0 <= lInitialCount <= lMaximumCount, 0 < lMaximumCount, else
 * ERROR_INVALID_PARAMETER. Names as for CreateMutex. */
HANDLE WINAPI CreateSemaphoreA(LPSECURITY_ATTRIBUTES lpSemaphoreAttributes, LONG lInitialCount,
                               LONG lMaximumCount, LPCSTR lpName);
HANDLE WINAPI CreateSemaphoreW(LPSECURITY_ATTRIBUTES lpSemaphoreAttributes, LONG lInitialCount,
                               LONG lMaximumCount, LPCWSTR lpName);
HANDLE WINAPI CreateSemaphoreExA(LPSECURITY_ATTRIBUTES lpSemaphoreAttributes, LONG lInitialCount,
                                 LONG lMaximumCount, LPCSTR lpName, DWORD dwFlags,
                                 DWORD dwDesiredAccess);
HANDLE WINAPI CreateSemaphoreExW(LPSECURITY_ATTRIBUTES lpSemaphoreAttributes, LONG lInitialCount,
                                 LONG lMaximumCount, LPCWSTR lpName, DWORD dwFlags,
                                 DWORD dwDesiredAccess);
HANDLE WINAPI OpenSemaphoreA(DWORD dwDesiredAccess, BOOL bInheritHandle, LPCSTR lpName);
HANDLE WINAPI OpenSemaphoreW(DWORD dwDesiredAccess, BOOL bInheritHandle, LPCWSTR lpName);
/* Adds lReleaseCount (0 or more) to the count; *lpPreviousCount gets the
 * count before. ERROR_TOO_MANY_POSTS (count unchanged) past the maximum
 * or for a negative lReleaseCount. */
BOOL WINAPI ReleaseSemaphore(HANDLE hSemaphore, LONG lReleaseCount, LPLONG lpPreviousCount);

#ifdef UNICODE
#define CreateMutex CreateMutexW
#define CreateMutexEx CreateMutexExW
#define OpenMutex OpenMutexW
#define CreateSemaphore CreateSemaphoreW
#define CreateSemaphoreEx CreateSemaphoreExW
#define OpenSemaphore OpenSemaphoreW
#else
#define CreateMutex CreateMutexA
#define CreateMutexEx CreateMutexExA
#define OpenMutex OpenMutexA
#define CreateSemaphore CreateSemaphoreA
#define CreateSemaphoreEx CreateSemaphoreExA
#define OpenSemaphore OpenSemaphoreA
#endif

#ifdef __cplusplus
}
#endif

#endif /* CONDUIT_WIN32_SYNCHAPI_H */
