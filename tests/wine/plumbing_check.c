/* The conformance runner's plumbing checked without Wine's source: a test
 * file written as Wine's are, built with tests/wine/ as the script builds
 * pipe.c and mailslot.c, whose counts CTest compares with what they must
 * be (tests/wine/CMakeLists.txt). Keeps the plumbing building and counting
 * as docs/wine-conformance.md says it does. */
#include <stdarg.h>
#include <stdio.h>

#include "ntstatus.h"
#define WIN32_NO_STATUS
#include "winbase.h"
#include "windef.h"
#include "wine/test.h"
#include "winioctl.h"
#include "winternl.h"

/* 6 checks, 1 todo, 2 skipped, no failure. */
static void test_counts(void) {
  DWORD value = 0x12345678;
  ok(1, "true\n");
  ok(value == 0x12345678, "value %lx\n", value); /* %lx of a DWORD, as on Windows */
  todo_wine ok(0, "a check Wine fails too\n");
  todo_wine_if(0) ok(1, "a plain check\n");
  ok(!broken(1), "broken() is false\n");
  skip("a skipped part\n");
  win_skip("a skipped part (win_skip)\n");
  winetest_push_context("context %d", 1);
  ok(1, "a check in a context\n");
  winetest_pop_context();
}

/* 1 check, 1 failure. */
static void test_failure(void) {
  ok(0, "the expected failure: %Iu\n", (SIZE_T)3);
}

/* The Microsoft runtime's sprintf and sscanf: `l` is 32 bits. */
static void test_formats(void) {
  char text[64];
  ULONG first = 0, guard = 0xfeedface, second = 0;
  sprintf(text, "%lx %lu", (ULONG)0xabc, (ULONG)12);
  ok(!strcmp(text, "abc 12"), "got \"%s\"\n", text);
  ok(sscanf(text, "%lx %lu", &first, &second) == 2, "sscanf failed\n");
  ok(first == 0xabc && second == 12, "got %lx %lu\n", first, second);
  ok(guard == 0xfeedface, "sscanf wrote past a ULONG: %lx\n", guard);
}

/* FSCTL_PIPE_PEEK answered from PeekNamedPipe (an anonymous pipe: no
 * broker needed), and the stubbed access query. */
static void test_nt_calls(void) {
  HANDLE reader, writer;
  char buffer[64];
  FILE_PIPE_PEEK_BUFFER* peek = (FILE_PIPE_PEEK_BUFFER*)buffer;
  FILE_ACCESS_INFORMATION access;
  IO_STATUS_BLOCK io;
  DWORD written = 0;
  NTSTATUS status;
  ok(CreatePipe(&reader, &writer, NULL, 0), "CreatePipe failed: %lu\n", GetLastError());
  ok(WriteFile(writer, "hello", 5, &written, NULL) && written == 5, "WriteFile failed\n");
  status = NtFsControlFile(reader, NULL, NULL, NULL, &io, FSCTL_PIPE_PEEK, NULL, 0, buffer,
                           sizeof(buffer));
  ok(status == STATUS_SUCCESS, "status %lx\n", status);
  ok(io.Information == FIELD_OFFSET(FILE_PIPE_PEEK_BUFFER, Data[5]), "Information %Iu\n",
     io.Information);
  ok(peek->ReadDataAvailable == 5 && peek->MessageLength == 0, "available %lu, length %lu\n",
     peek->ReadDataAvailable, peek->MessageLength);
  ok(!memcmp(peek->Data, "hello", 5), "data %.5s\n", peek->Data);
  status = NtQueryInformationFile(reader, &io, &access, sizeof(access), FileAccessInformation);
  ok(status == STATUS_NOT_IMPLEMENTED, "status %lx\n", status);
  CloseHandle(reader);
  CloseHandle(writer);
}

START_TEST(plumbing) {
  if (winetest_selected("test_counts()")) test_counts();
  if (winetest_selected("test_failure()")) test_failure();
  if (winetest_selected("test_formats()")) test_formats();
  if (winetest_selected("test_nt_calls()")) test_nt_calls();
}
