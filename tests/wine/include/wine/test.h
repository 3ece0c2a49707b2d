/* wine/test.h for conduit: the part of Wine's test framework that Wine's
 * kernel32 conformance tests (pipe.c, mailslot.c) use, written for conduit
 * and run by scripts/wine-conformance.sh against conduit's Win32 layer.
 *
 * Conventions kept from Wine's framework, so that a test file builds and
 * reads as it does there:
 *  - ok(cond, fmt, ...) counts one check; a false one prints
 *    "file:line: Test failed: ..." and counts as a failure.
 *  - todo_wine { ... }: checks Wine itself is known to get wrong. Windows
 *    is the reference here (conduit is not Wine), so they are run as plain
 *    checks, but counted apart: a failing one is a "todo", not a failure.
 *  - broken(x) is false, as under Wine: only the current Windows behaviour
 *    passes, not what old Windows versions did.
 *  - skip()/win_skip() count a skipped part; trace() prints when
 *    winetest_debug > 0.
 *  - START_TEST(name) defines the test's entry; the runner's main (in
 *    winetest.c) calls it, or, when the command line is "prog name verb
 *    ...", the same entry, which dispatches to the test's child mode.
 *  - a child process's failures come back as its exit code
 *    (wait_child_process checks it is 0).
 * Formats are Microsoft's (%ld is 32 bits, %Iu a size_t), as in Wine's
 * tests built for Windows. */
#ifndef CONDUIT_WINETEST_TEST_H
#define CONDUIT_WINETEST_TEST_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <windows.h>

#ifdef __cplusplus
extern "C" {
#endif

extern int winetest_debug;
extern int winetest_interactive;
extern const char* winetest_platform;

void winetest_set_location(const char* file, int line);
/* No printf checking: the tests' formats are Microsoft's (%ld of a
 * DWORD), which GCC's printf checks would reject. */
void winetest_ok(int condition, const char* msg, ...);
void winetest_skip(const char* msg, ...);
void winetest_win_skip(const char* msg, ...);
void winetest_trace(const char* msg, ...);
void winetest_start_todo(int is_todo);
int winetest_loop_todo(void);
void winetest_end_todo(void);
void winetest_push_context(const char* fmt, ...);
void winetest_pop_context(void);
int winetest_get_mainargs(char*** argv);
int winetest_broken(int condition);
void winetest_wait_child_process(HANDLE process);
/* Whether the START_TEST body's call `call` (its text) is the one to run:
 * the runner runs one call per process (WINETEST_SELECT), or all. */
int winetest_selected(const char* call);

/* The Microsoft C runtime's sprintf and sscanf, for the formats the tests
 * write for it (%lx of a 32-bit value). */
int winetest_sprintf(char* buffer, const char* format, ...);
int winetest_sscanf(const char* text, const char* format, ...);
#define sprintf winetest_sprintf
#define sscanf winetest_sscanf

#define ok_(file, line) (winetest_set_location(file, line), 0) ? (void)0 : winetest_ok
#define skip_(file, line) (winetest_set_location(file, line), 0) ? (void)0 : winetest_skip
#define win_skip_(file, line) (winetest_set_location(file, line), 0) ? (void)0 : winetest_win_skip
#define trace_(file, line) (winetest_set_location(file, line), 0) ? (void)0 : winetest_trace
#define wait_child_process_(file, line) \
  (winetest_set_location(file, line), 0) ? (void)0 : winetest_wait_child_process

#define ok ok_(__FILE__, __LINE__)
#define skip skip_(__FILE__, __LINE__)
#define win_skip win_skip_(__FILE__, __LINE__)
#define trace trace_(__FILE__, __LINE__)
#define wait_child_process wait_child_process_(__FILE__, __LINE__)

#define todo_if(is_todo) \
  for (winetest_start_todo(is_todo); winetest_loop_todo(); winetest_end_todo())
#define todo_wine todo_if(1)
#define todo_wine_if(is_todo) todo_if(is_todo)
#define broken(x) winetest_broken(x)

/* The test's entry: START_TEST(pipe) { ... } */
#define START_TEST(name)             \
  const char* winetest_name = #name; \
  void winetest_func(void)

#ifdef __cplusplus
}
#endif

#endif /* CONDUIT_WINETEST_TEST_H */
