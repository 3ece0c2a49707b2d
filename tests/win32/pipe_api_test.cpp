// The named pipe API on handles without FILE_FLAG_OVERLAPPED: creating,
// opening, connecting, reading and writing, peeking, transacting, calling,
// handle state and information, process and session ids, and their errors.
// The other process is conduit_test_helper, as another program would be.
#include <gtest/gtest.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <windows.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "conduit/pipe_client.hpp"
#include "runtime/client_end.hpp"
#include "runtime/interruption.hpp"
#include "support/helper_process.hpp"
#include "support/memory_cap.hpp"
#include "support/sandbox.hpp"
#include "win32/win32_test_support.hpp"

namespace conduit::test {
namespace {

constexpr DWORD message_pipe = PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE;

class PipeApi : public sandbox {};

std::string user_name() {
  passwd* entry = ::getpwuid(::getuid());
  return entry ? entry->pw_name : std::to_string(::getuid());
}

TEST_F(PipeApi, CreateNamedPipeErrors) {
  auto create = [&](const char* name, DWORD open_mode, DWORD pipe_mode, DWORD instances) {
    return CreateNamedPipeA(name, open_mode, pipe_mode, instances, 0, 0, 0, nullptr);
  };
  std::string name = pipe_name();
  EXPECT_EQ(create(nullptr, PIPE_ACCESS_DUPLEX, 0, 1), INVALID_HANDLE_VALUE);
  EXPECT_EQ(GetLastError(), ERROR_PATH_NOT_FOUND);
  EXPECT_EQ(create("not a named pipe", PIPE_ACCESS_DUPLEX, 0, 1), INVALID_HANDLE_VALUE);
  EXPECT_EQ(GetLastError(), ERROR_INVALID_NAME);
  EXPECT_EQ(create(name.c_str(), 0, 0, 1), INVALID_HANDLE_VALUE);
  EXPECT_EQ(GetLastError(), ERROR_INVALID_PARAMETER);
  EXPECT_EQ(create(name.c_str(), PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE | PIPE_READMODE_MESSAGE, 1),
            INVALID_HANDLE_VALUE);
  EXPECT_EQ(GetLastError(), ERROR_INVALID_PARAMETER);
  EXPECT_EQ(create(name.c_str(), PIPE_ACCESS_DUPLEX, 0, 0), INVALID_HANDLE_VALUE);
  EXPECT_EQ(GetLastError(), ERROR_INVALID_PARAMETER);
  EXPECT_EQ(create(name.c_str(), PIPE_ACCESS_DUPLEX, 0, 256), INVALID_HANDLE_VALUE);
  EXPECT_EQ(GetLastError(), ERROR_INVALID_PARAMETER);
  // Bits Windows does not define, in either mode (Wine accepts them; Windows
  // does not).
  EXPECT_EQ(create(name.c_str(), 0xFFFFFFFF, 0, 1), INVALID_HANDLE_VALUE);
  EXPECT_EQ(GetLastError(), ERROR_INVALID_PARAMETER);
  EXPECT_EQ(create(name.c_str(), PIPE_ACCESS_DUPLEX | 0x4, 0, 1), INVALID_HANDLE_VALUE);
  EXPECT_EQ(GetLastError(), ERROR_INVALID_PARAMETER);
  EXPECT_EQ(create(name.c_str(), PIPE_ACCESS_DUPLEX, 0xFFFFFFFF, 1), INVALID_HANDLE_VALUE);
  EXPECT_EQ(GetLastError(), ERROR_INVALID_PARAMETER);
  EXPECT_EQ(create(name.c_str(), PIPE_ACCESS_DUPLEX, PIPE_TYPE_MESSAGE | 0x10, 1),
            INVALID_HANDLE_VALUE);
  EXPECT_EQ(GetLastError(), ERROR_INVALID_PARAMETER);

  SetLastError(1234);
  handle_guard first(create(name.c_str(), PIPE_ACCESS_DUPLEX, 0, 2));
  ASSERT_NE(first.get(), INVALID_HANDLE_VALUE);
  EXPECT_EQ(GetLastError(), ERROR_SUCCESS);
  handle_guard second(create(name.c_str(), PIPE_ACCESS_DUPLEX, 0, 2));
  ASSERT_NE(second.get(), INVALID_HANDLE_VALUE);
  EXPECT_EQ(GetLastError(), ERROR_ALREADY_EXISTS);  // another instance of a pipe that exists
  EXPECT_EQ(create(name.c_str(), PIPE_ACCESS_DUPLEX, 0, 2), INVALID_HANDLE_VALUE);
  EXPECT_EQ(GetLastError(), ERROR_PIPE_BUSY);
  second.reset();
  EXPECT_EQ(create(name.c_str(), PIPE_ACCESS_INBOUND, 0, 2), INVALID_HANDLE_VALUE);
  EXPECT_EQ(GetLastError(), ERROR_ACCESS_DENIED);
  EXPECT_EQ(create(name.c_str(), PIPE_ACCESS_DUPLEX | FILE_FLAG_FIRST_PIPE_INSTANCE, 0, 2),
            INVALID_HANDLE_VALUE);
  EXPECT_EQ(GetLastError(), ERROR_ACCESS_DENIED);

  // The W twin and inheritance.
  SECURITY_ATTRIBUTES inherit{sizeof(SECURITY_ATTRIBUTES), nullptr, TRUE};
  std::u16string wide = u"\\\\.\\pipe\\wide-" + std::u16string(name.begin() + 9, name.end());
  handle_guard w(CreateNamedPipeW(wide.c_str(), PIPE_ACCESS_DUPLEX, 0, 1, 0, 0, 0, &inherit));
  ASSERT_NE(w.get(), INVALID_HANDLE_VALUE) << GetLastError();
  DWORD flags = 0;
  EXPECT_TRUE(GetHandleInformation(w, &flags));
  EXPECT_EQ(flags, static_cast<DWORD>(HANDLE_FLAG_INHERIT));
  handle_guard client(
      CreateFileW(wide.c_str(), GENERIC_READ, 0, nullptr, OPEN_EXISTING, 0, nullptr));
  EXPECT_NE(client.get(), INVALID_HANDLE_VALUE) << GetLastError();
}

TEST_F(PipeApi, CreateFileOnNamesThatAreNotPipes) {
  auto open = [](const char* name, DWORD disposition = OPEN_EXISTING) {
    return CreateFileA(name, GENERIC_READ | GENERIC_WRITE, 0, nullptr, disposition, 0, nullptr);
  };
  EXPECT_EQ(open(pipe_name().c_str()), INVALID_HANDLE_VALUE);
  EXPECT_EQ(GetLastError(), ERROR_FILE_NOT_FOUND);
  EXPECT_EQ(open(nullptr), INVALID_HANDLE_VALUE);
  EXPECT_EQ(GetLastError(), ERROR_PATH_NOT_FOUND);
  EXPECT_EQ(open(""), INVALID_HANDLE_VALUE);
  EXPECT_EQ(GetLastError(), ERROR_PATH_NOT_FOUND);
  EXPECT_EQ(open("\\\\.\\nosuchdevice"), INVALID_HANDLE_VALUE);
  EXPECT_EQ(GetLastError(), ERROR_FILE_NOT_FOUND);
  EXPECT_EQ(open("C:\\nosuchfile.txt"), INVALID_HANDLE_VALUE);
  EXPECT_EQ(GetLastError(), ERROR_FILE_NOT_FOUND);
  EXPECT_EQ(open("C:\\no\\such\\dir\\file"), INVALID_HANDLE_VALUE);
  EXPECT_EQ(GetLastError(), ERROR_PATH_NOT_FOUND);
  EXPECT_EQ(open("\\\\server\\share\\file"), INVALID_HANDLE_VALUE);
  EXPECT_EQ(GetLastError(), ERROR_BAD_NETPATH);
  // A mailslot name goes to the mailslot code: a slot nobody made is not found.
  EXPECT_EQ(CreateFileA("\\\\.\\mailslot\\nobody-reads-this", GENERIC_WRITE, FILE_SHARE_READ,
                        nullptr, OPEN_EXISTING, 0, nullptr),
            INVALID_HANDLE_VALUE);
  EXPECT_EQ(GetLastError(), ERROR_FILE_NOT_FOUND);
}

TEST_F(PipeApi, CreateFileDispositionsAndAccess) {
  handle_guard server(make_server(pipe_name(), PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE));
  auto open = [&](DWORD disposition, DWORD access = GENERIC_READ | GENERIC_WRITE) {
    return handle_guard(
        CreateFileA(pipe_name().c_str(), access, 0, nullptr, disposition, 0, nullptr));
  };
  EXPECT_EQ(open(0).get(), INVALID_HANDLE_VALUE);
  EXPECT_EQ(GetLastError(), ERROR_INVALID_PARAMETER);
  EXPECT_EQ(open(6).get(), INVALID_HANDLE_VALUE);
  EXPECT_EQ(GetLastError(), ERROR_INVALID_PARAMETER);
  {
    // A pipe opens whatever the disposition, as on Windows.
    handle_guard client = open(OPEN_ALWAYS);
    ASSERT_NE(client.get(), INVALID_HANDLE_VALUE);
    EXPECT_EQ(GetLastError(), ERROR_ALREADY_EXISTS);
    EXPECT_EQ(open(OPEN_EXISTING).get(), INVALID_HANDLE_VALUE);
    EXPECT_EQ(GetLastError(), ERROR_PIPE_BUSY);
  }
  // Data rights come from GENERIC_* or FILE_*_DATA; FILE_APPEND_DATA is not writing.
  handle_guard another(make_server(pipe_name(), PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE));
  handle_guard appender = open(CREATE_NEW, FILE_APPEND_DATA | FILE_READ_DATA);
  ASSERT_NE(appender.get(), INVALID_HANDLE_VALUE);
  EXPECT_EQ(GetLastError(), ERROR_SUCCESS);
  DWORD n;
  EXPECT_FALSE(WriteFile(appender, "x", 1, &n, nullptr));
  EXPECT_EQ(GetLastError(), ERROR_ACCESS_DENIED);
  appender.reset();

  handle_guard inbound(make_server(pipe_name("in"), PIPE_ACCESS_INBOUND, PIPE_TYPE_BYTE));
  EXPECT_EQ(
      CreateFileA(pipe_name("in").c_str(), GENERIC_READ, 0, nullptr, OPEN_EXISTING, 0, nullptr),
      INVALID_HANDLE_VALUE);
  EXPECT_EQ(GetLastError(), ERROR_ACCESS_DENIED);
  // MAXIMUM_ALLOWED takes the direction the pipe has.
  handle_guard most(
      CreateFileA(pipe_name("in").c_str(), MAXIMUM_ALLOWED, 0, nullptr, OPEN_EXISTING, 0, nullptr));
  ASSERT_NE(most.get(), INVALID_HANDLE_VALUE) << GetLastError();
  EXPECT_EQ(write_text(most, "max"), 3u);
  EXPECT_EQ(read_text(inbound), "max");
  char c;
  EXPECT_FALSE(ReadFile(most, &c, 1, &n, nullptr));
  EXPECT_EQ(GetLastError(), ERROR_ACCESS_DENIED);
}

TEST_F(PipeApi, ServeAClientInAnotherProcess) {
  handle_guard server(make_server(pipe_name(), PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1));
  ASSERT_NE(server.get(), INVALID_HANDLE_VALUE);
  helper_process client;
  client.send("& open c1 " + pipe_name());
  // A client may come before or while ConnectNamedPipe waits: both are a connection.
  if (!ConnectNamedPipe(server, nullptr)) {
    EXPECT_EQ(GetLastError(), ERROR_PIPE_CONNECTED);
  }
  EXPECT_EQ(client.background_answer(), "ok");
  EXPECT_FALSE(ConnectNamedPipe(server, nullptr));
  EXPECT_EQ(GetLastError(), ERROR_PIPE_CONNECTED);
  ASSERT_EQ(client.call("write c1 hello"), "ok 5");
  EXPECT_EQ(read_text(server), "hello");
  EXPECT_EQ(write_text(server, "world"), 5u);
  client.send("read c1 64");
  EXPECT_TRUE(FlushFileBuffers(server));  // returns once the client has read it
  EXPECT_EQ(client.answer(), "ok world");
  ASSERT_TRUE(DisconnectNamedPipe(server));
  EXPECT_EQ(client.call("read c1 64"), "err 233");
  EXPECT_FALSE(DisconnectNamedPipe(server));
  EXPECT_EQ(GetLastError(), ERROR_PIPE_NOT_CONNECTED);
  char buffer[8];
  DWORD n;
  EXPECT_FALSE(ReadFile(server, buffer, sizeof(buffer), &n, nullptr));
  EXPECT_EQ(GetLastError(), ERROR_PIPE_NOT_CONNECTED);
  // A second client once the instance listens again (ConnectNamedPipe does that).
  BOOL connected = FALSE;
  std::thread connector([&] { connected = ConnectNamedPipe(server, nullptr); });
  EXPECT_EQ(client.call("wait " + pipe_name() + " 10000"), "ok");
  EXPECT_EQ(client.call("open c2 " + pipe_name()), "ok");
  connector.join();
  EXPECT_TRUE(connected);
  ASSERT_EQ(client.call("close c2"), "ok");
  EXPECT_FALSE(ReadFile(server, buffer, sizeof(buffer), &n, nullptr));
  EXPECT_EQ(GetLastError(), ERROR_BROKEN_PIPE);
  EXPECT_FALSE(WriteFile(server, "x", 1, &n, nullptr));
  EXPECT_EQ(GetLastError(), ERROR_NO_DATA);
}

TEST_F(PipeApi, ConnectAndDisconnectErrors) {
  handle_guard server(make_server(pipe_name(), PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE));
  char buffer[4];
  DWORD n;
  EXPECT_FALSE(ReadFile(server, buffer, sizeof(buffer), &n, nullptr));
  EXPECT_EQ(GetLastError(), ERROR_PIPE_LISTENING);
  EXPECT_FALSE(WriteFile(server, "x", 1, &n, nullptr));
  EXPECT_EQ(GetLastError(), ERROR_PIPE_LISTENING);
  EXPECT_FALSE(DisconnectNamedPipe(server));
  EXPECT_EQ(GetLastError(), ERROR_PIPE_LISTENING);
  handle_guard client(open_client(pipe_name()));
  EXPECT_FALSE(ConnectNamedPipe(client, nullptr));
  EXPECT_EQ(GetLastError(), ERROR_INVALID_FUNCTION);
  EXPECT_FALSE(DisconnectNamedPipe(client));
  EXPECT_EQ(GetLastError(), ERROR_NOT_SUPPORTED);
  handle_guard event(CreateEventA(nullptr, TRUE, FALSE, nullptr));
  EXPECT_FALSE(ConnectNamedPipe(event, nullptr));
  EXPECT_EQ(GetLastError(), ERROR_INVALID_HANDLE);
  EXPECT_FALSE(ReadFile(event, buffer, sizeof(buffer), &n, nullptr));
  EXPECT_EQ(GetLastError(), ERROR_INVALID_HANDLE);
  EXPECT_FALSE(ReadFile(server, nullptr, 4, &n, nullptr));
  EXPECT_EQ(GetLastError(), ERROR_NOACCESS);
  client.reset();
  EXPECT_FALSE(ConnectNamedPipe(server, nullptr));
  EXPECT_EQ(GetLastError(), ERROR_NO_DATA);  // came and went
}

TEST_F(PipeApi, MessagesAndTheirBoundaries) {
  handle_guard server(make_server(pipe_name(), PIPE_ACCESS_DUPLEX, message_pipe));
  handle_guard client(open_client(pipe_name()));
  DWORD mode = PIPE_READMODE_MESSAGE;
  ASSERT_TRUE(SetNamedPipeHandleState(client, &mode, nullptr, nullptr));
  write_text(server, "hello world");
  write_text(server, "");
  write_text(server, "next");
  char buffer[64];
  DWORD n = 99;
  EXPECT_FALSE(ReadFile(client, buffer, 5, &n, nullptr));
  EXPECT_EQ(GetLastError(), ERROR_MORE_DATA);
  EXPECT_EQ(n, 5u);  // without an OVERLAPPED, the count comes back
  EXPECT_TRUE(ReadFile(client, buffer + 5, sizeof(buffer) - 5, &n, nullptr));
  EXPECT_EQ(std::string(buffer, 5 + n), "hello world");
  EXPECT_TRUE(ReadFile(client, buffer, sizeof(buffer), &n, nullptr));
  EXPECT_EQ(n, 0u);  // the empty message
  // An OVERLAPPED on a handle without FILE_FLAG_OVERLAPPED: the call still
  // blocks, and the block is filled in as for an overlapped one.
  overlapped_block ov;
  n = 99;
  EXPECT_FALSE(ReadFile(client, buffer, 2, &n, &ov.ov));
  EXPECT_EQ(GetLastError(), ERROR_MORE_DATA);
  EXPECT_EQ(n, 0u);
  EXPECT_EQ(ov.status(), STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(ov.ov.InternalHigh, 2u);
  EXPECT_TRUE(signalled(ov.event));
  EXPECT_TRUE(ReadFile(client, buffer, sizeof(buffer), &n, &ov.ov));
  EXPECT_EQ(n, 2u);
  EXPECT_EQ(ov.status(), STATUS_SUCCESS);
  // Byte read mode joins messages.
  mode = PIPE_READMODE_BYTE;
  ASSERT_TRUE(SetNamedPipeHandleState(client, &mode, nullptr, nullptr));
  write_text(server, "ab");
  write_text(server, "cd");
  std::string joined;
  while (joined.size() < 4) joined += read_text(client);
  EXPECT_EQ(joined, "abcd");
}

// In byte read mode on a message pipe, a queued empty message ends a read
// at once with 0 bytes (Windows; Wine's pipe.c checks it): the reader does
// not wait on for a later message. Overlapped, too.
TEST_F(PipeApi, ByteModeReadOfAQueuedEmptyMessageReturnsAtOnce) {
  handle_guard server(make_server(pipe_name(), PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED,
                                  PIPE_TYPE_MESSAGE | PIPE_READMODE_BYTE));
  ASSERT_NE(server.get(), INVALID_HANDLE_VALUE) << GetLastError();
  handle_guard client(open_client(pipe_name()));
  ASSERT_NE(client.get(), INVALID_HANDLE_VALUE) << GetLastError();
  write_text(client, "");
  overlapped_block ov;
  char buffer[16];
  DWORD n = 99;
  EXPECT_TRUE(ReadFile(server, buffer, sizeof(buffer), &n, &ov.ov)) << GetLastError();
  EXPECT_EQ(n, 0u);
  EXPECT_EQ(ov.status(), STATUS_SUCCESS);
  // The empty message was taken: the next data read is the next message's.
  write_text(client, "after");
  n = 99;
  if (!ReadFile(server, buffer, sizeof(buffer), &n, &ov.ov)) {
    ASSERT_EQ(GetLastError(), ERROR_IO_PENDING);
    ASSERT_TRUE(GetOverlappedResult(server, &ov.ov, &n, TRUE)) << GetLastError();
  }
  EXPECT_EQ(std::string(buffer, n), "after");
  // A blocking byte-mode read on the client's end does the same.
  DWORD mode = PIPE_READMODE_BYTE;
  ASSERT_TRUE(SetNamedPipeHandleState(client, &mode, nullptr, nullptr));
  DWORD written = 0;
  ASSERT_TRUE(
      WriteFile(server, "", 0, &written, &ov.ov) ||
      (GetLastError() == ERROR_IO_PENDING && GetOverlappedResult(server, &ov.ov, &written, TRUE)));
  n = 99;
  EXPECT_TRUE(ReadFile(client, buffer, sizeof(buffer), &n, nullptr)) << GetLastError();
  EXPECT_EQ(n, 0u);
}

// An empty message written just before the writer closed is still read,
// in byte read mode (a client's default) as in message read mode; the next
// read sees the broken pipe (Wine's pipe.c, test_CloseHandle).
TEST_F(PipeApi, AnEmptyMessageBeforeTheWriterClosedIsRead) {
  for (DWORD read_mode : {PIPE_READMODE_BYTE, PIPE_READMODE_MESSAGE}) {
    SCOPED_TRACE(read_mode);
    std::string name = pipe_name();
    handle_guard server(make_server(name, PIPE_ACCESS_DUPLEX, message_pipe));
    ASSERT_NE(server.get(), INVALID_HANDLE_VALUE) << GetLastError();
    handle_guard client(open_client(name));
    ASSERT_NE(client.get(), INVALID_HANDLE_VALUE) << GetLastError();
    DWORD mode = read_mode;
    ASSERT_TRUE(SetNamedPipeHandleState(client, &mode, nullptr, nullptr)) << GetLastError();
    DWORD n = 99;
    ASSERT_TRUE(WriteFile(server, "", 0, &n, nullptr)) << GetLastError();
    server.reset();
    char buffer[16];
    n = 99;
    EXPECT_TRUE(ReadFile(client, buffer, sizeof(buffer), &n, nullptr)) << GetLastError();
    EXPECT_EQ(n, 0u);
    EXPECT_FALSE(ReadFile(client, buffer, sizeof(buffer), &n, nullptr));
    EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_BROKEN_PIPE));
  }
}

// Handle state as Windows keeps it (Wine's pipe.c checks each without
// todo_wine): a synchronous handle is not signalled after a failed I/O;
// FlushFileBuffers on a listening instance returns at once; on a byte pipe
// lpBytesLeftThisMessage is minus the bytes peeked; a duplicate made with
// GENERIC_READ only cannot write.
TEST_F(PipeApi, HandleStateAsWindowsKeepsIt) {
  handle_guard server(make_server(pipe_name(), PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE));
  ASSERT_NE(server.get(), INVALID_HANDLE_VALUE) << GetLastError();
  EXPECT_TRUE(FlushFileBuffers(server)) << GetLastError();  // listening, nothing written
  handle_guard client(open_client(pipe_name()));
  ASSERT_NE(client.get(), INVALID_HANDLE_VALUE) << GetLastError();
  EXPECT_EQ(WaitForSingleObject(client, 0), WAIT_OBJECT_0);  // a new handle is signalled
  write_text(client, "abcdefgh");
  char buffer[16];
  DWORD n = 0, available = 0, left = 12345;
  ASSERT_TRUE(PeekNamedPipe(server, buffer, 4, &n, &available, &left)) << GetLastError();
  EXPECT_EQ(n, 4u);
  EXPECT_EQ(available, 8u);
  EXPECT_EQ(left, static_cast<DWORD>(-4));

  HANDLE reader = nullptr;
  ASSERT_TRUE(DuplicateHandle(GetCurrentProcess(), client, GetCurrentProcess(), &reader,
                              GENERIC_READ, FALSE, 0))
      << GetLastError();
  handle_guard read_only(reader);
  EXPECT_FALSE(WriteFile(read_only, "x", 1, &n, nullptr));
  EXPECT_EQ(GetLastError(), ERROR_ACCESS_DENIED);
  EXPECT_EQ(read_text(server).size(), 8u);  // nothing of the refused write arrived
  write_text(server, "ok");
  EXPECT_EQ(read_text(read_only), "ok");  // it reads

  ASSERT_TRUE(DisconnectNamedPipe(server));
  EXPECT_FALSE(ReadFile(client, buffer, sizeof(buffer), &n, nullptr));
  EXPECT_EQ(GetLastError(), ERROR_PIPE_NOT_CONNECTED);
  EXPECT_EQ(WaitForSingleObject(client, 0), static_cast<DWORD>(WAIT_TIMEOUT));
}

TEST_F(PipeApi, PeekNamedPipe) {
  handle_guard server(make_server(pipe_name(), PIPE_ACCESS_DUPLEX, message_pipe));
  DWORD read = 9, avail = 9, left = 9;
  EXPECT_FALSE(PeekNamedPipe(server, nullptr, 0, &read, &avail, &left));
  EXPECT_EQ(GetLastError(), ERROR_BAD_PIPE);  // listening
  handle_guard client(open_client(pipe_name()));
  EXPECT_TRUE(PeekNamedPipe(server, nullptr, 0, nullptr, nullptr, nullptr));
  EXPECT_TRUE(PeekNamedPipe(server, nullptr, 0, &read, &avail, &left));
  EXPECT_EQ(read, 0u);
  EXPECT_EQ(avail, 0u);
  EXPECT_EQ(left, 0u);
  write_text(client, "first");
  write_text(client, "second");
  char buffer[3];
  EXPECT_TRUE(PeekNamedPipe(server, buffer, sizeof(buffer), &read, &avail, &left));
  EXPECT_EQ(read, 3u);
  EXPECT_EQ(std::string(buffer, 3), "fir");
  EXPECT_EQ(avail, 11u);
  EXPECT_EQ(left, 2u);  // of this message, past what was copied
  // A byte pipe has no messages: Windows gives minus the bytes copied
  // (Microsoft's page says 0).
  handle_guard bytes(make_server(pipe_name("bytes"), PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE));
  handle_guard writer(open_client(pipe_name("bytes")));
  write_text(writer, "12345");
  EXPECT_TRUE(PeekNamedPipe(bytes, buffer, sizeof(buffer), &read, &avail, &left));
  EXPECT_EQ(read, 3u);
  EXPECT_EQ(avail, 5u);
  EXPECT_EQ(left, static_cast<DWORD>(-3));
  // Peeking needs read access; an end closed and drained is broken.
  handle_guard write_only(make_server(pipe_name("wo"), PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE));
  handle_guard w(open_client(pipe_name("wo"), 0, GENERIC_WRITE));
  EXPECT_FALSE(PeekNamedPipe(w, nullptr, 0, &read, &avail, &left));
  EXPECT_EQ(GetLastError(), ERROR_ACCESS_DENIED);
  w.reset();
  EXPECT_FALSE(PeekNamedPipe(write_only, nullptr, 0, &read, &avail, &left));
  EXPECT_EQ(GetLastError(), ERROR_BROKEN_PIPE);
}

// A message's first record as a peer may forge it: a declared length, then
// 4,096 bytes.
std::string first_record(std::uint32_t length) {
  std::string record(4, '\0');
  for (int i = 0; i < 4; ++i) record[i] = static_cast<char>((length >> (8 * i)) & 0xFF);
  return record + std::string(4096, 'q');
}

TEST_F(PipeApi, ADeclaredLengthIsOnlyAClaim) {
  // ReadFile and PeekNamedPipe on a message pipe whose peer declares more
  // than it sends: nothing of the declared size is allocated (the address
  // space may grow by 256 MiB at most here), and a length beyond the largest
  // message (2 GiB - 1) is ERROR_BAD_PIPE, for blocking and overlapped reads.
  for (DWORD open_mode :
       {DWORD{PIPE_ACCESS_DUPLEX}, DWORD{PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED}}) {
    SCOPED_TRACE(open_mode);
    std::string name = pipe_name(std::to_string(open_mode));
    handle_guard server(make_server(name, open_mode, message_pipe));
    auto raw = pipe_client::open(name);
    ASSERT_TRUE(ConnectNamedPipe(server, nullptr) || GetLastError() == ERROR_PIPE_CONNECTED);
    int fd = raw.impl()->socket();
    std::string beyond = first_record(0xC0000000);  // 3 GiB: more than any message
    std::string claim = first_record(0x60000000);   // 1.5 GiB: a claim within bounds
    ASSERT_EQ(::send(fd, beyond.data(), beyond.size(), 0), 4100);
    ASSERT_EQ(::send(fd, claim.data(), claim.size(), 0), 4100);
    memory_cap cap(256 << 20);
    ASSERT_TRUE(cap.active());
    overlapped_block block;
    OVERLAPPED* ov = (open_mode & FILE_FLAG_OVERLAPPED) ? &block.ov : nullptr;
    char buffer[100];
    auto read_file = [&](DWORD& n) {
      n = 0;
      BOOL ok = ReadFile(server, buffer, sizeof(buffer), &n, ov);
      DWORD error = ok ? DWORD{ERROR_SUCCESS} : GetLastError();
      // An overlapped read that started reports through its OVERLAPPED.
      if (!ov || (!ok && error != ERROR_IO_PENDING && error != ERROR_MORE_DATA)) return error;
      EXPECT_TRUE(wait_for(block.event, 5000));
      return GetOverlappedResult(server, ov, &n, FALSE) ? DWORD{ERROR_SUCCESS} : GetLastError();
    };
    // A record that is no message: peek sees none, a read fails.
    DWORD read = 9, avail = 9, left = 9;
    ASSERT_TRUE(PeekNamedPipe(server, buffer, sizeof(buffer), &read, &avail, &left));
    EXPECT_EQ(read, 0u);
    EXPECT_EQ(avail, 0u);
    EXPECT_EQ(left, 0u);
    DWORD n;
    EXPECT_EQ(read_file(n), DWORD{ERROR_BAD_PIPE});
    EXPECT_EQ(n, 0u);
    // A claim: peek and read report it and hold what arrived, no more.
    ASSERT_TRUE(PeekNamedPipe(server, buffer, sizeof(buffer), &read, &avail, &left));
    EXPECT_EQ(read, 100u);
    EXPECT_EQ(avail, 4096u);
    EXPECT_EQ(left, 0x60000000u - 100);
    EXPECT_EQ(read_file(n), DWORD{ERROR_MORE_DATA});
    EXPECT_EQ(n, 100u);
    ASSERT_TRUE(PeekNamedPipe(server, nullptr, 0, &read, &avail, &left));
    EXPECT_EQ(avail, 3996u);
    EXPECT_EQ(left, 0x60000000u - 100);
    // The rest never comes: the message ends with its writer.
    raw.close();
    DWORD error;
    int reads = 0;
    while ((error = read_file(n)) == ERROR_MORE_DATA && ++reads < 100) EXPECT_EQ(n, 100u);
    EXPECT_EQ(error, DWORD{ERROR_BROKEN_PIPE});
  }
}

TEST_F(PipeApi, InfoAndHandleState) {
  handle_guard server(CreateNamedPipeA(pipe_name().c_str(), PIPE_ACCESS_DUPLEX,
                                       message_pipe | PIPE_NOWAIT, 3, 1024, 2048, 0, nullptr));
  handle_guard second(CreateNamedPipeA(pipe_name().c_str(), PIPE_ACCESS_DUPLEX, message_pipe, 3,
                                       1024, 2048, 0, nullptr));
  DWORD flags = 9, out = 9, in = 9, max = 9;
  EXPECT_TRUE(GetNamedPipeInfo(server, &flags, &out, &in, &max));
  EXPECT_EQ(flags, static_cast<DWORD>(PIPE_SERVER_END | PIPE_TYPE_MESSAGE));
  EXPECT_EQ(out, 1024u);
  EXPECT_EQ(in, 2048u);
  EXPECT_EQ(max, 3u);
  EXPECT_TRUE(GetNamedPipeInfo(server, nullptr, nullptr, nullptr, nullptr));
  handle_guard client(open_client(pipe_name()));
  EXPECT_TRUE(GetNamedPipeInfo(client, &flags, nullptr, nullptr, nullptr));
  EXPECT_EQ(flags, static_cast<DWORD>(PIPE_CLIENT_END | PIPE_TYPE_MESSAGE));

  DWORD state = 9, instances = 9;
  EXPECT_TRUE(GetNamedPipeHandleStateA(server, &state, &instances, nullptr, nullptr, nullptr, 0));
  EXPECT_EQ(state, static_cast<DWORD>(PIPE_NOWAIT | PIPE_READMODE_MESSAGE));
  EXPECT_EQ(instances, 2u);
  EXPECT_TRUE(GetNamedPipeHandleStateA(client, &state, nullptr, nullptr, nullptr, nullptr, 0));
  EXPECT_EQ(state, static_cast<DWORD>(PIPE_WAIT | PIPE_READMODE_BYTE));  // a client starts so
  DWORD count, timeout;
  EXPECT_FALSE(GetNamedPipeHandleStateA(server, &state, nullptr, &count, nullptr, nullptr, 0));
  EXPECT_EQ(GetLastError(), ERROR_INVALID_PARAMETER);  // meaningful for remote clients only
  EXPECT_FALSE(GetNamedPipeHandleStateA(client, nullptr, nullptr, nullptr, &timeout, nullptr, 0));
  EXPECT_EQ(GetLastError(), ERROR_INVALID_PARAMETER);

  // The mode: read mode and wait mode, nothing else.
  DWORD mode = PIPE_READMODE_MESSAGE | PIPE_NOWAIT;
  EXPECT_TRUE(SetNamedPipeHandleState(client, &mode, nullptr, nullptr));
  EXPECT_TRUE(GetNamedPipeHandleStateW(client, &state, nullptr, nullptr, nullptr, nullptr, 0));
  EXPECT_EQ(state, mode);
  char c;
  DWORD n;
  EXPECT_FALSE(ReadFile(client, &c, 1, &n, nullptr));
  EXPECT_EQ(GetLastError(), ERROR_NO_DATA);
  mode = PIPE_TYPE_MESSAGE;
  EXPECT_FALSE(SetNamedPipeHandleState(client, &mode, nullptr, nullptr));
  EXPECT_EQ(GetLastError(), ERROR_INVALID_PARAMETER);
  count = 10;
  timeout = 100;
  EXPECT_TRUE(SetNamedPipeHandleState(client, nullptr, &count, &timeout));  // accepted
  EXPECT_TRUE(SetNamedPipeHandleState(client, nullptr, nullptr, nullptr));

  handle_guard byte_server(make_server(pipe_name("byte"), PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE));
  handle_guard reader(open_client(pipe_name("byte"), 0, GENERIC_READ));
  mode = PIPE_READMODE_MESSAGE;
  EXPECT_FALSE(SetNamedPipeHandleState(byte_server, &mode, nullptr, nullptr));
  EXPECT_EQ(GetLastError(), ERROR_INVALID_PARAMETER);
  // As documented: changing the state takes FILE_WRITE_ATTRIBUTES.
  mode = PIPE_READMODE_BYTE;
  EXPECT_FALSE(SetNamedPipeHandleState(reader, &mode, nullptr, nullptr));
  EXPECT_EQ(GetLastError(), ERROR_ACCESS_DENIED);
}

TEST_F(PipeApi, ClientUserName) {
  handle_guard server(make_server(pipe_name(), PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE));
  char name[256];
  EXPECT_FALSE(
      GetNamedPipeHandleStateA(server, nullptr, nullptr, nullptr, nullptr, name, sizeof(name)));
  EXPECT_EQ(GetLastError(), ERROR_CANNOT_IMPERSONATE);  // no client
  helper_process client;
  ASSERT_EQ(client.call("open c1 " + pipe_name()), "ok");
  EXPECT_TRUE(
      GetNamedPipeHandleStateA(server, nullptr, nullptr, nullptr, nullptr, name, sizeof(name)))
      << GetLastError();
  EXPECT_EQ(std::string(name), user_name());
  WCHAR wide[256];
  EXPECT_TRUE(GetNamedPipeHandleStateW(server, nullptr, nullptr, nullptr, nullptr, wide, 256));
  EXPECT_EQ(wide[0], static_cast<WCHAR>(user_name()[0]));
  EXPECT_FALSE(GetNamedPipeHandleStateA(server, nullptr, nullptr, nullptr, nullptr, name, 1));
  EXPECT_EQ(GetLastError(), ERROR_INSUFFICIENT_BUFFER);

  // A client that allowed identification only cannot be named.
  handle_guard second(make_server(pipe_name("ident"), PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE));
  handle_guard ident(CreateFileA(pipe_name("ident").c_str(), GENERIC_READ | GENERIC_WRITE, 0,
                                 nullptr, OPEN_EXISTING,
                                 SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION, nullptr));
  ASSERT_NE(ident.get(), INVALID_HANDLE_VALUE);
  EXPECT_FALSE(
      GetNamedPipeHandleStateA(second, nullptr, nullptr, nullptr, nullptr, name, sizeof(name)));
  EXPECT_EQ(GetLastError(), ERROR_BAD_IMPERSONATION_LEVEL);
  // The client end has no client to name.
  EXPECT_FALSE(
      GetNamedPipeHandleStateA(ident, nullptr, nullptr, nullptr, nullptr, name, sizeof(name)));
  EXPECT_EQ(GetLastError(), ERROR_INVALID_PARAMETER);
}

TEST_F(PipeApi, ProcessAndSessionIds) {
  handle_guard server(make_server(pipe_name(), PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE));
  ULONG id = 9;
  EXPECT_FALSE(GetNamedPipeClientProcessId(server, &id));
  EXPECT_EQ(GetLastError(), ERROR_NOT_FOUND);  // listening
  EXPECT_FALSE(GetNamedPipeClientProcessId(server, nullptr));
  EXPECT_EQ(GetLastError(), ERROR_INSUFFICIENT_BUFFER);
  EXPECT_FALSE(GetNamedPipeServerSessionId(server, nullptr));
  EXPECT_EQ(GetLastError(), ERROR_INSUFFICIENT_BUFFER);
  EXPECT_TRUE(GetNamedPipeServerProcessId(server, &id));
  EXPECT_EQ(id, static_cast<ULONG>(::getpid()));

  helper_process client;
  ASSERT_EQ(client.call("open c1 " + pipe_name()), "ok");
  EXPECT_TRUE(GetNamedPipeClientProcessId(server, &id));
  EXPECT_EQ(id, static_cast<ULONG>(client.pid()));
  EXPECT_TRUE(GetNamedPipeClientSessionId(server, &id));
  EXPECT_EQ(id, static_cast<ULONG>(::getsid(client.pid())));
  EXPECT_TRUE(GetNamedPipeServerSessionId(server, &id));
  EXPECT_EQ(id, static_cast<ULONG>(::getsid(0)));
  ASSERT_TRUE(DisconnectNamedPipe(server));
  EXPECT_FALSE(GetNamedPipeClientProcessId(server, &id));
  EXPECT_EQ(GetLastError(), ERROR_NOT_FOUND);
  EXPECT_FALSE(GetNamedPipeClientSessionId(server, &id));
  EXPECT_EQ(GetLastError(), ERROR_NOT_FOUND);

  // From the client side, with the server in another process.
  helper_process other;
  ASSERT_EQ(other.call("create s1 " + pipe_name("theirs")), "ok");
  handle_guard mine(open_client(pipe_name("theirs")));
  ASSERT_NE(mine.get(), INVALID_HANDLE_VALUE);
  EXPECT_TRUE(GetNamedPipeServerProcessId(mine, &id));
  EXPECT_EQ(id, static_cast<ULONG>(other.pid()));
  EXPECT_TRUE(GetNamedPipeClientProcessId(mine, &id));
  EXPECT_EQ(id, static_cast<ULONG>(::getpid()));
  EXPECT_TRUE(GetNamedPipeClientSessionId(mine, &id));
  EXPECT_EQ(id, static_cast<ULONG>(::getsid(0)));
  EXPECT_TRUE(GetNamedPipeServerSessionId(mine, &id));
  EXPECT_EQ(id, static_cast<ULONG>(::getsid(other.pid())));
  ASSERT_EQ(other.call("connect s1"), "ok already");
  ASSERT_EQ(other.call("disconnect s1"), "ok");
  // A client the server disconnected answers nothing else.
  EXPECT_FALSE(GetNamedPipeServerProcessId(mine, &id));
  EXPECT_EQ(GetLastError(), ERROR_PIPE_NOT_CONNECTED);
  EXPECT_FALSE(GetNamedPipeClientProcessId(mine, &id));
  EXPECT_EQ(GetLastError(), ERROR_PIPE_NOT_CONNECTED);
  DWORD flags;
  EXPECT_FALSE(GetNamedPipeInfo(mine, &flags, nullptr, nullptr, nullptr));
  EXPECT_EQ(GetLastError(), ERROR_PIPE_NOT_CONNECTED);
}

TEST_F(PipeApi, WaitForAFreeInstance) {
  EXPECT_FALSE(WaitNamedPipeA(pipe_name().c_str(), 10));
  EXPECT_EQ(GetLastError(), ERROR_FILE_NOT_FOUND);
  EXPECT_FALSE(WaitNamedPipeA("\\\\.\\notapipe\\x", 10));
  EXPECT_EQ(GetLastError(), ERROR_PATH_NOT_FOUND);
  EXPECT_FALSE(WaitNamedPipeA("not a pipe", 10));
  EXPECT_EQ(GetLastError(), ERROR_PATH_NOT_FOUND);
  EXPECT_FALSE(WaitNamedPipeA(nullptr, 10));
  EXPECT_EQ(GetLastError(), ERROR_PATH_NOT_FOUND);
  handle_guard server(make_server(pipe_name(), PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1));
  EXPECT_TRUE(WaitNamedPipeA(pipe_name().c_str(), NMPWAIT_USE_DEFAULT_WAIT));
  handle_guard client(open_client(pipe_name()));
  EXPECT_FALSE(WaitNamedPipeA(pipe_name().c_str(), 20));
  EXPECT_EQ(GetLastError(), ERROR_SEM_TIMEOUT);
  // A waiter is woken when the instance listens again.
  std::atomic<BOOL> woke{FALSE};
  std::thread waiter([&] { woke = WaitNamedPipeA(pipe_name().c_str(), NMPWAIT_WAIT_FOREVER); });
  client.reset();
  ASSERT_TRUE(DisconnectNamedPipe(server));
  std::thread connector([&] { ConnectNamedPipe(server, nullptr); });
  waiter.join();
  EXPECT_TRUE(woke);
  handle_guard last(open_client(pipe_name()));
  EXPECT_NE(last.get(), INVALID_HANDLE_VALUE);
  connector.join();
  std::string name = pipe_name();
  std::u16string wide(name.begin(), name.end());
  EXPECT_FALSE(WaitNamedPipeW(wide.c_str(), 10));
  EXPECT_EQ(GetLastError(), ERROR_SEM_TIMEOUT);
}

TEST_F(PipeApi, CallAndTransact) {
  helper_process echo;
  ASSERT_EQ(echo.call("echo-server " + pipe_name() + " 1 3 type=message"), "ok");
  char reply[16];
  DWORD n = 0;
  ASSERT_TRUE(CallNamedPipeA(pipe_name().c_str(), const_cast<char*>("call"), 4, reply,
                             sizeof(reply), &n, NMPWAIT_WAIT_FOREVER))
      << GetLastError();
  EXPECT_EQ(std::string(reply, n), "call");
  // A reply cut to fit: the part that fits, and ERROR_MORE_DATA.
  EXPECT_FALSE(CallNamedPipeA(pipe_name().c_str(), const_cast<char*>("longer"), 6, reply, 2, &n,
                              NMPWAIT_WAIT_FOREVER));
  EXPECT_EQ(GetLastError(), ERROR_MORE_DATA);
  EXPECT_EQ(n, 2u);
  EXPECT_EQ(std::string(reply, 2), "lo");
  EXPECT_FALSE(CallNamedPipeA(pipe_name("none").c_str(), const_cast<char*>("x"), 1, reply,
                              sizeof(reply), &n, 10));
  EXPECT_EQ(GetLastError(), ERROR_FILE_NOT_FOUND);

  // TransactNamedPipe on the third connection, once the instance listens again.
  ASSERT_TRUE(WaitNamedPipeA(pipe_name().c_str(), NMPWAIT_WAIT_FOREVER)) << GetLastError();
  handle_guard client(open_client(pipe_name()));
  ASSERT_NE(client.get(), INVALID_HANDLE_VALUE) << GetLastError();
  EXPECT_FALSE(
      TransactNamedPipe(client, const_cast<char*>("t"), 1, reply, sizeof(reply), &n, nullptr));
  EXPECT_EQ(GetLastError(), ERROR_BAD_PIPE);  // byte read mode
  DWORD mode = PIPE_READMODE_MESSAGE;
  ASSERT_TRUE(SetNamedPipeHandleState(client, &mode, nullptr, nullptr));
  EXPECT_TRUE(
      TransactNamedPipe(client, const_cast<char*>("trans"), 5, reply, sizeof(reply), &n, nullptr));
  EXPECT_EQ(std::string(reply, n), "trans");
  client.reset();
  EXPECT_EQ(echo.call("echo-join"), "ok 3");
}

TEST_F(PipeApi, ClosingAHandleWakesAThreadBlockedOnIt) {
  handle_guard server(make_server(pipe_name(), PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE));
  HANDLE client = open_client(pipe_name());
  std::atomic<DWORD> reader_tid{0};
  DWORD error = 0;
  std::thread reader([&] {
    reader_tid = GetCurrentThreadId();
    char c;
    DWORD n;
    if (!ReadFile(client, &c, 1, &n, nullptr)) error = GetLastError();
  });
  // Closing the reader's own handle ends its read, as the pipe is closing.
  while (reader_tid == 0) std::this_thread::yield();
  ASSERT_TRUE(wait_until_blocked(reader_tid, SYS_recvfrom));
  EXPECT_TRUE(CloseHandle(client));
  reader.join();
  EXPECT_EQ(error, ERROR_BROKEN_PIPE);
  // And the server sees the client gone.
  char c;
  DWORD n;
  EXPECT_FALSE(ReadFile(server, &c, 1, &n, nullptr));
  EXPECT_EQ(GetLastError(), ERROR_BROKEN_PIPE);
}

TEST_F(PipeApi, ClosingAServerHandleWakesAThreadConnectingOnIt) {
  HANDLE server = make_server(pipe_name(), PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE);
  std::atomic<DWORD> connector_tid{0};
  DWORD error = 0;
  std::thread connector([&] {
    connector_tid = GetCurrentThreadId();
    if (!ConnectNamedPipe(server, nullptr)) error = GetLastError();
  });
  while (connector_tid == 0) std::this_thread::yield();
  ASSERT_TRUE(wait_until_blocked(connector_tid, SYS_poll));
  EXPECT_TRUE(CloseHandle(server));
  connector.join();
  EXPECT_EQ(error, ERROR_BROKEN_PIPE);
  EXPECT_EQ(open_client(pipe_name()), INVALID_HANDLE_VALUE);
  EXPECT_EQ(GetLastError(), ERROR_FILE_NOT_FOUND);
}

// CancelSynchronousIo ends the synchronous read another thread is blocked
// in — blocked in the recv itself, as a C++ read is — (ERROR_OPERATION_ABORTED for it) and nothing
// else: the pipe goes on, and the data written after it is read whole. With no such call to end it
// fails with ERROR_NOT_FOUND (Wine's ntdll pipe.c, NtCancelSynchronousIoFile).
TEST_F(PipeApi, CancelSynchronousIoEndsABlockedRead) {
  for (DWORD mode : {DWORD{PIPE_TYPE_BYTE}, message_pipe}) {
    SCOPED_TRACE(mode == message_pipe ? "message pipe" : "byte pipe");
    std::string name = pipe_name(mode == message_pipe ? "message" : "byte");
    handle_guard server(make_server(name, PIPE_ACCESS_DUPLEX, mode));
    ASSERT_NE(server.get(), INVALID_HANDLE_VALUE) << GetLastError();
    helper_process client;
    ASSERT_EQ(client.call("open c1 " + name), "ok");
    char buffer[16];
    DWORD n = 0;
    call_on_thread reader([&] { return ReadFile(server, buffer, sizeof(buffer), &n, nullptr); });
    ASSERT_TRUE(reader.blocked_in(SYS_recvfrom));
    EXPECT_TRUE(CancelSynchronousIo(reader.thread())) << GetLastError();
    EXPECT_EQ(reader.error(), ERROR_OPERATION_ABORTED);
    EXPECT_EQ(n, 0u);
    // Nothing to end now, in that thread (gone) or in this one.
    EXPECT_FALSE(CancelSynchronousIo(reader.thread()));
    EXPECT_EQ(GetLastError(), ERROR_NOT_FOUND);
    EXPECT_FALSE(CancelSynchronousIo(GetCurrentThread()));
    EXPECT_EQ(GetLastError(), ERROR_NOT_FOUND);
    ASSERT_EQ(client.call("write c1 after"), "ok 5");
    EXPECT_EQ(read_text(server), "after");
  }
  EXPECT_FALSE(CancelSynchronousIo(nullptr));
  EXPECT_EQ(GetLastError(), ERROR_INVALID_HANDLE);
}

// A cancel ends the call it was aimed at and no later one: the same thread's
// next read waits for its data as if nothing had been cancelled.
TEST_F(PipeApi, CancelSynchronousIoLeavesTheThreadsNextReadAlone) {
  std::string name = pipe_name("next");
  handle_guard server(make_server(name, PIPE_ACCESS_DUPLEX, message_pipe));
  ASSERT_NE(server.get(), INVALID_HANDLE_VALUE) << GetLastError();
  helper_process client;
  ASSERT_EQ(client.call("open c1 " + name), "ok");
  char buffer[16];
  DWORD n = 0;
  DWORD first_error = 0;
  std::atomic<bool> first_over{false};
  call_on_thread reader([&] {
    BOOL first = ReadFile(server, buffer, sizeof(buffer), &n, nullptr);
    first_error = first ? 0 : GetLastError();
    first_over = true;
    return ReadFile(server, buffer, sizeof(buffer), &n, nullptr);
  });
  ASSERT_TRUE(reader.blocked_in(SYS_recvfrom));
  EXPECT_TRUE(CancelSynchronousIo(reader.thread())) << GetLastError();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!first_over && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  ASSERT_TRUE(first_over);
  EXPECT_EQ(first_error, ERROR_OPERATION_ABORTED);
  // The second read waits: the cancel aimed at the first is spent.
  ASSERT_TRUE(reader.blocked_in(SYS_recvfrom));
  ASSERT_EQ(client.call("write c1 later"), "ok 5");
  EXPECT_EQ(reader.error(), 0u);
  EXPECT_EQ(std::string(buffer, n), "later");
}

// A thread blocked writing (the pipe full, nobody reading), connecting (no
// client yet) or waiting for an instance (WaitNamedPipe) is ended the same
// way; the pipe is still usable after.
TEST_F(PipeApi, CancelSynchronousIoEndsABlockedWriteConnectOrWait) {
  std::string name = pipe_name();
  helper_process other;
  ASSERT_EQ(other.call("create s1 " + name + " out=4096 in=4096"), "ok");
  handle_guard client(open_client(name));
  ASSERT_NE(client.get(), INVALID_HANDLE_VALUE) << GetLastError();
  std::vector<char> big(16 << 20, 'x');
  DWORD written = 7;
  call_on_thread writer([&] {
    return WriteFile(client, big.data(), static_cast<DWORD>(big.size()), &written, nullptr);
  });
  ASSERT_TRUE(writer.blocked_in(SYS_sendto));
  EXPECT_TRUE(CancelSynchronousIo(writer.thread())) << GetLastError();
  EXPECT_EQ(writer.error(), ERROR_OPERATION_ABORTED);
  EXPECT_EQ(written, 0u);

  handle_guard server(make_server(pipe_name("connect"), PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE));
  ASSERT_NE(server.get(), INVALID_HANDLE_VALUE) << GetLastError();
  call_on_thread connector([&] { return ConnectNamedPipe(server, nullptr); });
  ASSERT_TRUE(connector.blocked_in(SYS_poll));
  EXPECT_TRUE(CancelSynchronousIo(connector.thread())) << GetLastError();
  EXPECT_EQ(connector.error(), ERROR_OPERATION_ABORTED);
  // The instance still listens: a client that comes now is connected.
  ASSERT_EQ(other.call("open c2 " + pipe_name("connect")), "ok");
  EXPECT_FALSE(ConnectNamedPipe(server, nullptr));
  EXPECT_EQ(GetLastError(), ERROR_PIPE_CONNECTED);
  ASSERT_EQ(other.call("write c2 hello"), "ok 5");
  EXPECT_EQ(read_text(server), "hello");

  // Its only instance is taken: WaitNamedPipe waits until cancelled.
  std::string busy = pipe_name("connect");
  call_on_thread waiter([&] { return WaitNamedPipeA(busy.c_str(), NMPWAIT_WAIT_FOREVER); });
  ASSERT_TRUE(waiter.blocked_in(SYS_poll));
  EXPECT_TRUE(CancelSynchronousIo(waiter.thread())) << GetLastError();
  EXPECT_EQ(waiter.error(), ERROR_OPERATION_ABORTED);
}

// A synchronous handle is unsignalled while a call on it runs in another
// thread, as Windows resets a file's event when I/O on it starts (Wine's
// pipe.c, test_CancelSynchronousIo, waits for exactly that): signalled again
// when the call succeeds, and not after it failed.
TEST_F(PipeApi, ASynchronousHandleIsUnsignalledWhileACallRuns) {
  std::string name = pipe_name();
  handle_guard server(make_server(name, PIPE_ACCESS_DUPLEX, message_pipe));
  ASSERT_NE(server.get(), INVALID_HANDLE_VALUE) << GetLastError();
  EXPECT_EQ(WaitForSingleObject(server, 0), WAIT_OBJECT_0);
  {
    call_on_thread connector([&] { return ConnectNamedPipe(server, nullptr); });
    ASSERT_TRUE(connector.blocked_in(SYS_poll));
    EXPECT_EQ(WaitForSingleObject(server, 0), static_cast<DWORD>(WAIT_TIMEOUT));
    EXPECT_TRUE(CancelSynchronousIo(connector.thread())) << GetLastError();
    EXPECT_EQ(connector.error(), ERROR_OPERATION_ABORTED);
    EXPECT_EQ(WaitForSingleObject(server, 0), static_cast<DWORD>(WAIT_TIMEOUT));
  }
  {
    call_on_thread connector([&] { return ConnectNamedPipe(server, nullptr); });
    ASSERT_TRUE(connector.blocked_in(SYS_poll));
    handle_guard client(open_client(name));
    ASSERT_NE(client.get(), INVALID_HANDLE_VALUE) << GetLastError();
    EXPECT_EQ(connector.error(), static_cast<DWORD>(ERROR_SUCCESS));
    EXPECT_EQ(WaitForSingleObject(server, 0), WAIT_OBJECT_0);

    // TransactNamedPipe from the client: unsignalled until the reply.
    DWORD mode = PIPE_READMODE_MESSAGE;
    ASSERT_TRUE(SetNamedPipeHandleState(client, &mode, nullptr, nullptr)) << GetLastError();
    call_on_thread caller([&] {
      char reply[16];
      DWORD n = 0;
      return TransactNamedPipe(client, const_cast<char*>("ask"), 3, reply, sizeof(reply), &n,
                               nullptr);
    });
    ASSERT_TRUE(caller.blocked_in(SYS_recvfrom));  // waiting for the reply
    EXPECT_EQ(WaitForSingleObject(client, 0), static_cast<DWORD>(WAIT_TIMEOUT));
    EXPECT_EQ(read_text(server), "ask");
    write_text(server, "answer");
    EXPECT_EQ(caller.error(), static_cast<DWORD>(ERROR_SUCCESS));
    EXPECT_EQ(WaitForSingleObject(client, 0), WAIT_OBJECT_0);
  }
}

// The same for an anonymous pipe's read end (CreatePipe), a child's output
// say: the thread blocked reading it is ended, and the pipe goes on.
TEST_F(PipeApi, CancelSynchronousIoEndsABlockedAnonymousPipeRead) {
  HANDLE r = nullptr, w = nullptr;
  ASSERT_TRUE(CreatePipe(&r, &w, nullptr, 0)) << GetLastError();
  handle_guard read_end(r), write_end(w);
  char buffer[8];
  DWORD n = 7;
  call_on_thread reader([&] { return ReadFile(read_end, buffer, sizeof(buffer), &n, nullptr); });
  ASSERT_TRUE(reader.blocked_in(SYS_read));
  EXPECT_TRUE(CancelSynchronousIo(reader.thread())) << GetLastError();
  EXPECT_EQ(reader.error(), ERROR_OPERATION_ABORTED);
  EXPECT_EQ(n, 0u);
  EXPECT_EQ(write_text(write_end, "after"), 5u);
  EXPECT_EQ(read_text(read_end), "after");
}

// A WriteFile blocked on a full anonymous pipe (nobody reading) is ended
// the same way. What went out before stays in the pipe, which goes on.
TEST_F(PipeApi, CancelSynchronousIoEndsAWriteOnAFullAnonymousPipe) {
  HANDLE r = nullptr, w = nullptr;
  ASSERT_TRUE(CreatePipe(&r, &w, nullptr, 0)) << GetLastError();
  handle_guard read_end(r), write_end(w);
  std::vector<char> big(8 << 20, 'x');  // more than a Linux pipe holds
  DWORD written = 7;
  call_on_thread writer([&] {
    return WriteFile(write_end, big.data(), static_cast<DWORD>(big.size()), &written, nullptr);
  });
  ASSERT_TRUE(writer.blocked_in(SYS_write));
  EXPECT_TRUE(CancelSynchronousIo(writer.thread())) << GetLastError();
  EXPECT_EQ(writer.error(), ERROR_OPERATION_ABORTED);
  EXPECT_EQ(written, 0u);
  // Take what the pipe holds, then it carries new data as before.
  std::vector<char> buffer(1 << 16);
  DWORD available = 0;
  for (int i = 0; i < 1000 && PeekNamedPipe(read_end, nullptr, 0, nullptr, &available, nullptr) &&
                  available > 0;
       ++i) {
    DWORD n = 0;
    ASSERT_TRUE(ReadFile(read_end, buffer.data(), static_cast<DWORD>(buffer.size()), &n, nullptr));
    EXPECT_EQ(std::string(buffer.data(), 1), "x");
  }
  EXPECT_EQ(available, 0u);
  EXPECT_EQ(write_text(write_end, "after"), 5u);
  EXPECT_EQ(read_text(read_end), "after");
}

// TransactNamedPipe waits for its reply in a plain recv, which
// CancelSynchronousIo ends (ERROR_OPERATION_ABORTED, as for ReadFile): the
// request stays sent, and the next transact on the pipe gets its reply.
TEST_F(PipeApi, CancelSynchronousIoEndsATransactWaitingForItsReply) {
  std::string name = pipe_name("transact");
  handle_guard server(make_server(name, PIPE_ACCESS_DUPLEX, message_pipe));
  ASSERT_NE(server.get(), INVALID_HANDLE_VALUE) << GetLastError();
  handle_guard client(open_client(name));
  ASSERT_NE(client.get(), INVALID_HANDLE_VALUE) << GetLastError();
  DWORD mode = PIPE_READMODE_MESSAGE;
  ASSERT_TRUE(SetNamedPipeHandleState(client, &mode, nullptr, nullptr)) << GetLastError();
  char reply[16];
  DWORD n = 7;
  {
    call_on_thread caller([&] {
      return TransactNamedPipe(client, const_cast<char*>("ask"), 3, reply, sizeof(reply), &n,
                               nullptr);
    });
    ASSERT_TRUE(caller.blocked_in(SYS_recvfrom));
    EXPECT_TRUE(CancelSynchronousIo(caller.thread())) << GetLastError();
    EXPECT_EQ(caller.error(), ERROR_OPERATION_ABORTED);
    EXPECT_EQ(n, 0u);
  }
  EXPECT_EQ(read_text(server), "ask");
  call_on_thread again([&] {
    return TransactNamedPipe(client, const_cast<char*>("two"), 3, reply, sizeof(reply), &n,
                             nullptr);
  });
  EXPECT_EQ(read_text(server), "two");
  EXPECT_EQ(write_text(server, "answer"), 6u);
  EXPECT_EQ(again.error(), 0u);
  EXPECT_EQ(std::string(reply, n), "answer");
}

// CallNamedPipe is one synchronous call: CancelSynchronousIo ends it while
// it waits for a free instance, and while it waits for the reply to the
// request it sent (which the server then still reads).
TEST_F(PipeApi, CancelSynchronousIoEndsACallNamedPipe) {
  std::string name = pipe_name("call");
  handle_guard server(make_server(name, PIPE_ACCESS_DUPLEX, message_pipe, 1));
  ASSERT_NE(server.get(), INVALID_HANDLE_VALUE) << GetLastError();
  char reply[16];
  DWORD n = 7;
  {
    // The only instance is taken: the call waits for it.
    handle_guard taken(open_client(name));
    ASSERT_NE(taken.get(), INVALID_HANDLE_VALUE) << GetLastError();
    call_on_thread caller([&] {
      return CallNamedPipeA(name.c_str(), const_cast<char*>("ask"), 3, reply, sizeof(reply), &n,
                            NMPWAIT_WAIT_FOREVER);
    });
    ASSERT_TRUE(caller.blocked_in(SYS_poll));
    EXPECT_TRUE(CancelSynchronousIo(caller.thread())) << GetLastError();
    EXPECT_EQ(caller.error(), ERROR_OPERATION_ABORTED);
    EXPECT_EQ(n, 0u);
  }
  // A free instance: the call sends its request and waits for the reply.
  std::string free_name = pipe_name("call-free");
  handle_guard free_server(make_server(free_name, PIPE_ACCESS_DUPLEX, message_pipe, 1));
  ASSERT_NE(free_server.get(), INVALID_HANDLE_VALUE) << GetLastError();
  call_on_thread caller([&] {
    return CallNamedPipeA(free_name.c_str(), const_cast<char*>("ask"), 3, reply, sizeof(reply), &n,
                          NMPWAIT_WAIT_FOREVER);
  });
  ASSERT_TRUE(caller.blocked_in(SYS_recvfrom));
  EXPECT_TRUE(CancelSynchronousIo(caller.thread())) << GetLastError();
  EXPECT_EQ(caller.error(), ERROR_OPERATION_ABORTED);
  EXPECT_EQ(n, 0u);
  EXPECT_EQ(read_text(free_server), "ask");
}

// A cancel that comes as the call begins, before the thread is inside its
// system call, still ends it: the signal lands outside the call and
// interrupts nothing, so it is sent again until the thread has seen it.
TEST_F(PipeApi, CancelSynchronousIoEndsACallItCaughtBeginning) {
  std::string name = pipe_name("early");
  handle_guard server(make_server(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE));
  ASSERT_NE(server.get(), INVALID_HANDLE_VALUE) << GetLastError();
  handle_guard client(open_client(name));
  ASSERT_NE(client.get(), INVALID_HANDLE_VALUE) << GetLastError();
  for (int i = 0; i < 200; ++i) {
    char buffer[8];
    DWORD n = 7;
    call_on_thread reader([&] { return ReadFile(server, buffer, sizeof(buffer), &n, nullptr); });
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    bool found = false;
    while (!found && std::chrono::steady_clock::now() < deadline) {
      found = CancelSynchronousIo(reader.thread());
      if (!found) {
        ASSERT_EQ(GetLastError(), ERROR_NOT_FOUND);
      }
    }
    ASSERT_TRUE(found) << "the read never began, round " << i;
    ASSERT_EQ(reader.error(), ERROR_OPERATION_ABORTED) << "round " << i;
  }
  EXPECT_EQ(write_text(client, "after"), 5u);
  EXPECT_EQ(read_text(server), "after");
}

// A signal the program sends for its own purposes interrupts the blocked
// system call too (a handler without SA_RESTART): the read goes on, and
// gets the data that comes after.
TEST_F(PipeApi, AnotherSignalDoesNotEndASynchronousRead) {
  struct sigaction action {};
  struct sigaction old {};
  action.sa_handler = [](int) {};
  sigemptyset(&action.sa_mask);
  ASSERT_EQ(::sigaction(SIGUSR2, &action, &old), 0);
  std::string name = pipe_name("signal");
  handle_guard server(make_server(name, PIPE_ACCESS_DUPLEX, message_pipe));
  ASSERT_NE(server.get(), INVALID_HANDLE_VALUE) << GetLastError();
  handle_guard client(open_client(name));
  ASSERT_NE(client.get(), INVALID_HANDLE_VALUE) << GetLastError();
  char buffer[16];
  DWORD n = 0;
  call_on_thread reader([&] { return ReadFile(server, buffer, sizeof(buffer), &n, nullptr); });
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(reader.blocked_in(SYS_recvfrom));
    ASSERT_EQ(::syscall(SYS_tgkill, ::getpid(), reader.tid(), SIGUSR2), 0);
  }
  ASSERT_TRUE(reader.blocked_in(SYS_recvfrom));
  EXPECT_EQ(write_text(client, "data"), 4u);
  EXPECT_EQ(reader.error(), 0u);
  EXPECT_EQ(std::string(buffer, n), "data");
  ::sigaction(SIGUSR2, &old, nullptr);
}

// A thread that blocks the signal CancelSynchronousIo sends cannot have its
// system call interrupted: CancelSynchronousIo still returns, after a
// bounded wait, and the call goes on to end as it would have.
TEST_F(PipeApi, CancelSynchronousIoReturnsForAThreadBlockingItsSignal) {
  std::string name = pipe_name("blocked");
  handle_guard server(make_server(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE));
  ASSERT_NE(server.get(), INVALID_HANDLE_VALUE) << GetLastError();
  handle_guard client(open_client(name));
  ASSERT_NE(client.get(), INVALID_HANDLE_VALUE) << GetLastError();
  char buffer[16];
  DWORD n = 0;
  call_on_thread reader([&] {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, conduit::detail::interrupt_signal());
    ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
    return ReadFile(server, buffer, sizeof(buffer), &n, nullptr);
  });
  ASSERT_TRUE(reader.blocked_in(SYS_recvfrom));
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(CancelSynchronousIo(reader.thread())) << GetLastError();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(6));
  EXPECT_TRUE(blocked_in(reader.tid(), SYS_recvfrom));
  EXPECT_EQ(write_text(client, "data"), 4u);
  EXPECT_EQ(reader.error(), 0u);
  EXPECT_EQ(std::string(buffer, n), "data");
}

}  // namespace
}  // namespace conduit::test
