// Mailslots: one reader, many writers, datagrams in order, slot info, read
// timeouts, and the errors of the wrong end or a wrong name.
#include "observe.h"

#define SLOT(n) "\\\\.\\mailslot\\conduit-diff-" n

static void info_show(const char* label, HANDLE h) {
  DWORD max = 0xdead, next = 0xdead, count = 0xdead, timeout = 0xdead;
  char l[128];
  snprintf(l, sizeof l, "%s values", label);
  if (show_bool(label, GetMailslotInfo(h, &max, &next, &count, &timeout)))
    say(l, "max 0x%lx next 0x%lx count %lu timeout 0x%lx", (unsigned long)max, (unsigned long)next,
        (unsigned long)count, (unsigned long)timeout);
}

static void read_show(const char* label, HANDLE h, DWORD size) {
  char buf[64];
  DWORD n = 0xdead;
  show_io(label, ReadFile(h, buf, size, &n, NULL), &n, buf);
}

static void write_show(const char* label, HANDLE h, const char* text) {
  DWORD n = 0xdead;
  show_io(label, WriteFile(h, text, (DWORD)strlen(text), &n, NULL), &n, NULL);
}

static HANDLE open_writer(const char* name, DWORD share) {
  return CreateFileA(name, GENERIC_WRITE, share, NULL, OPEN_EXISTING, 0, NULL);
}

static HANDLE slot;

// Reads one message, waiting for it.
static DWORD WINAPI waiting_reader(LPVOID) {
  char buf[64];
  DWORD n;
  if (!ReadFile(slot, buf, sizeof buf, &n, NULL)) return 1000 + GetLastError();
  return n;
}

int main() {
  info_show("GetMailslotInfo NULL handle", NULL);
  show_refused("CreateFile missing mailslot",
               open_writer(SLOT("missing"), FILE_SHARE_READ | FILE_SHARE_WRITE));
  show_refused("CreateMailslot bad name", CreateMailslotA("blah", 0, 0, NULL));
  show_refused("CreateMailslot NULL name", CreateMailslotA(NULL, 0, 0, NULL));
  show_refused("CreateMailslot pipe name",
               CreateMailslotA("\\\\.\\pipe\\conduit-diff-slot", 0, 0, NULL));

  HANDLE h = show_handle("CreateMailslot all ones",
                         CreateMailslotA(SLOT("a"), (DWORD)-1, (DWORD)-1, NULL));
  info_show("GetMailslotInfo all ones", h);
  show_bool("GetMailslotInfo NULL pointers", GetMailslotInfo(h, NULL, NULL, NULL, NULL));
  CloseHandle(h);

  slot = show_handle("CreateMailslot", CreateMailslotA(SLOT("a"), 0, 0, NULL));
  show_refused("CreateMailslot same name", CreateMailslotA(SLOT("a"), 0, 0, NULL));
  info_show("GetMailslotInfo empty", slot);
  read_show("ReadFile empty", slot, 64);
  read_show("ReadFile empty 0 bytes", slot, 0);
  write_show("WriteFile reader end", slot, "x");

  // Writers share with each other (and with the reader).
  HANDLE w =
      show_handle("CreateFile writer", open_writer(SLOT("a"), FILE_SHARE_READ | FILE_SHARE_WRITE));
  HANDLE w2 = show_handle(
      "CreateFile second writer upper-case name",
      open_writer("\\\\.\\MAILSLOT\\CONDUIT-DIFF-A", FILE_SHARE_READ | FILE_SHARE_WRITE));
  read_show("ReadFile writer end", w, 64);
  write_show("WriteFile a", w, "a");
  info_show("GetMailslotInfo one message", slot);
  write_show("WriteFile bc", w2, "bc");
  info_show("GetMailslotInfo two messages", slot);
  write_show("WriteFile empty", w2, "");
  info_show("GetMailslotInfo three messages", slot);
  read_show("ReadFile a", slot, 64);
  info_show("GetMailslotInfo after one read", slot);
  read_show("ReadFile bc", slot, 64);
  info_show("GetMailslotInfo after two reads", slot);
  read_show("ReadFile empty message", slot, 64);
  info_show("GetMailslotInfo all read", slot);
  read_show("ReadFile nothing left", slot, 64);

  write_show("WriteFile hello world", w, "hello world");
  info_show("GetMailslotInfo hello world", slot);
  read_show("ReadFile hello world", slot, 64);

  // Read timeouts.
  show_bool("SetMailslotInfo 20 ms", SetMailslotInfo(slot, 20));
  info_show("GetMailslotInfo 20 ms", slot);
  read_show("ReadFile times out", slot, 64);
  show_bool("SetMailslotInfo wait forever", SetMailslotInfo(slot, MAILSLOT_WAIT_FOREVER));
  HANDLE t = CreateThread(NULL, 0, waiting_reader, NULL, 0, NULL);
  write_show("WriteFile for waiting reader", w, "wake");
  show_wait("waiting reader done", WaitForSingleObject(t, LONG_WAIT));
  DWORD code = 0xdead;
  GetExitCodeThread(t, &code);
  show_num("waiting reader got bytes", code);
  CloseHandle(t);
  SetMailslotInfo(slot, 0);

  // Maximum message size.
  HANDLE small = show_handle("CreateMailslot max 8", CreateMailslotA(SLOT("small"), 8, 0, NULL));
  HANDLE ws = open_writer(SLOT("small"), FILE_SHARE_READ | FILE_SHARE_WRITE);
  write_show("WriteFile 8 to max 8", ws, "12345678");
  info_show("GetMailslotInfo max 8", small);
  read_show("ReadFile max 8", small, 64);
  CloseHandle(ws);
  CloseHandle(small);

  // Names with levels; the slot goes away with its handle.
  h = show_handle("CreateMailslot path name", CreateMailslotA(SLOT("dir\\sub"), 0, 0, NULL));
  show_refused("CreateFile path name",
               open_writer(SLOT("dir\\sub"), FILE_SHARE_READ | FILE_SHARE_WRITE));
  CloseHandle(h);
  CloseHandle(w);
  CloseHandle(w2);
  show_bool("CloseHandle reader", CloseHandle(slot));
  show_refused("CreateFile closed mailslot",
               open_writer(SLOT("a"), FILE_SHARE_READ | FILE_SHARE_WRITE));
  return 0;
}
