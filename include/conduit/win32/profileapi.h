/* conduit/win32/profileapi.h: the high-resolution counter, as profileapi.h
 * declares it.
 *
 * Included by <windows.h>; not meant to be included alone.
 *
 *   LARGE_INTEGER f, t0, t1;
 *   QueryPerformanceFrequency(&f);        // ticks per second, fixed at boot
 *   QueryPerformanceCounter(&t0);
 *   ... work ...
 *   QueryPerformanceCounter(&t1);
 *   double seconds = (double)(t1.QuadPart - t0.QuadPart) / f.QuadPart;
 *
 * The counter is CLOCK_MONOTONIC in nanoseconds: the frequency is
 * 1,000,000,000 (Windows reports 10,000,000 on most machines; programs
 * that divide by the frequency, as they should, see no difference). */
#ifndef CONDUIT_WIN32_PROFILEAPI_H
#define CONDUIT_WIN32_PROFILEAPI_H

#ifdef __cplusplus
extern "C" {
#endif

/* FALSE (ERROR_NOACCESS) for a null pointer. */
BOOL WINAPI QueryPerformanceCounter(LARGE_INTEGER* lpPerformanceCount);
BOOL WINAPI QueryPerformanceFrequency(LARGE_INTEGER* lpFrequency);

#ifdef __cplusplus
}
#endif

#endif /* CONDUIT_WIN32_PROFILEAPI_H */
