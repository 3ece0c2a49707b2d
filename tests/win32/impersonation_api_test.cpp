// Impersonation through the Win32 API: ImpersonateNamedPipeClient,
// RevertToSelf, the thread's and process's tokens, GetUserName and the
// client's computer name, with clients that are other users in other
// processes.
#include <gtest/gtest.h>

#include <unistd.h>
#include <windows.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "conduit/error.hpp"
#include "support/impersonation_support.hpp"
#include "support/unix_user.hpp"
#include "win32/win32_test_support.hpp"

namespace conduit::test {
namespace {

// The clients here are other users who write: the pipe admits everyone, by
// the NULL-DACL idiom Windows servers use (the default lets others only read).
HANDLE make_overlapped_server(const std::string& name) {
  SECURITY_DESCRIPTOR sd;
  InitializeSecurityDescriptor(&sd, SECURITY_DESCRIPTOR_REVISION);
  SetSecurityDescriptorDacl(&sd, TRUE, nullptr, FALSE);
  SECURITY_ATTRIBUTES everyone{sizeof(everyone), &sd, FALSE};
  return CreateNamedPipeA(name.c_str(), PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED, PIPE_TYPE_BYTE,
                          4, 4096, 4096, 0, &everyone);
}

// One overlapped call on `pipe`, waited for (bounded): the bytes it moved,
// or -1 with the error in GetLastError().
template <typename Start>
long finish_overlapped(HANDLE pipe, Start&& start) {
  overlapped_block block;
  DWORD n = 0;
  if (!start(&block.ov) && GetLastError() != ERROR_IO_PENDING &&
      GetLastError() != ERROR_PIPE_CONNECTED)
    return -1;
  if (!wait_for(block.event)) {
    CancelIo(pipe);
    SetLastError(WAIT_TIMEOUT);
    return -1;
  }
  if (!GetOverlappedResult(pipe, &block.ov, &n, FALSE)) return -1;
  return static_cast<long>(n);
}

// Waits (bounded) for the client and reads its "hello" whole.
void accept_hello(HANDLE server) {
  ASSERT_GE(finish_overlapped(server, [&](OVERLAPPED* ov) { return ConnectNamedPipe(server, ov); }),
            0)
      << GetLastError();
  char hello[5];
  std::size_t got = 0;
  while (got < sizeof(hello)) {
    long n = finish_overlapped(server, [&](OVERLAPPED* ov) {
      return ReadFile(server, hello + got, static_cast<DWORD>(sizeof(hello) - got), nullptr, ov);
    });
    ASSERT_GT(n, 0) << GetLastError();
    got += static_cast<std::size_t>(n);
  }
}

// Lets the client finish (it waits for one byte); its exit code.
int finish(remote_client& client, HANDLE server) {
  EXPECT_EQ(finish_overlapped(
                server, [&](OVERLAPPED* ov) { return WriteFile(server, "!", 1, nullptr, ov); }),
            1)
      << GetLastError();
  return client.wait_exit();
}

// A token's information of one class, sized as Windows wants it asked:
// first with no buffer (ERROR_INSUFFICIENT_BUFFER and the size), then whole.
std::vector<unsigned char> token_information(HANDLE token, TOKEN_INFORMATION_CLASS kind) {
  DWORD size = 0;
  EXPECT_FALSE(GetTokenInformation(token, kind, nullptr, 0, &size));
  EXPECT_EQ(GetLastError(), ERROR_INSUFFICIENT_BUFFER);
  std::vector<unsigned char> buffer(size);
  DWORD used = 0;
  if (size > 0) {
    // One byte short is still too small.
    EXPECT_FALSE(GetTokenInformation(token, kind, buffer.data(), size - 1, &used));
    EXPECT_EQ(GetLastError(), ERROR_INSUFFICIENT_BUFFER);
  }
  EXPECT_TRUE(GetTokenInformation(token, kind, buffer.data(), size, &used)) << GetLastError();
  EXPECT_EQ(used, size);
  return buffer;
}

// The binary SID Samba's mapping gives a Unix user (kind 1) or group (2):
// S-1-22-kind-id.
std::vector<unsigned char> unix_sid(unsigned kind, unsigned id) {
  return {1,
          2,
          0,
          0,
          0,
          0,
          0,
          22,
          static_cast<unsigned char>(kind),
          0,
          0,
          0,
          static_cast<unsigned char>(id),
          static_cast<unsigned char>(id >> 8),
          static_cast<unsigned char>(id >> 16),
          static_cast<unsigned char>(id >> 24)};
}

std::vector<unsigned char> sid_bytes(PSID sid) {
  auto* bytes = static_cast<unsigned char*>(sid);
  return {bytes, bytes + 8 + 4 * bytes[1]};
}

std::string user_name_now() {
  char name[UNLEN + 1];
  DWORD size = sizeof(name);
  if (!GetUserNameA(name, &size)) return "error " + std::to_string(GetLastError());
  return name;
}

class ImpersonationApi : public sandbox {};
using ImpersonationUsers = cross_user_sandbox;

TEST_F(ImpersonationApi, TheClientMustHaveBeenReadFirst) {
  handle_guard server(CreateNamedPipeA(pipe_name().c_str(), PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1,
                                       4096, 4096, 0, nullptr));
  ASSERT_NE(server.get(), INVALID_HANDLE_VALUE);
  EXPECT_FALSE(ImpersonateNamedPipeClient(server));
  EXPECT_EQ(GetLastError(), ERROR_CANNOT_IMPERSONATE);  // no client yet
  EXPECT_FALSE(ImpersonateNamedPipeClient(reinterpret_cast<HANDLE>(0x7ff0)));
  EXPECT_EQ(GetLastError(), ERROR_INVALID_HANDLE);
  char name[64];
  EXPECT_FALSE(GetNamedPipeClientComputerNameA(server, name, sizeof(name)));
  EXPECT_EQ(GetLastError(), ERROR_NOT_FOUND);  // no client

  handle_guard client(CreateFileA(pipe_name().c_str(), GENERIC_READ | GENERIC_WRITE, 0, nullptr,
                                  OPEN_EXISTING, 0, nullptr));
  ASSERT_NE(client.get(), INVALID_HANDLE_VALUE);
  EXPECT_FALSE(ImpersonateNamedPipeClient(client));
  EXPECT_EQ(GetLastError(), ERROR_NOT_SUPPORTED);  // a client end
  EXPECT_FALSE(GetNamedPipeClientComputerNameA(client, name, sizeof(name)));
  EXPECT_EQ(GetLastError(), ERROR_NOT_SUPPORTED);
  // A local client has no computer name, as on Windows.
  EXPECT_FALSE(GetNamedPipeClientComputerNameA(server, name, sizeof(name)));
  EXPECT_EQ(GetLastError(), ERROR_PIPE_LOCAL);
  WCHAR wide[64];
  EXPECT_FALSE(GetNamedPipeClientComputerNameW(server, wide, sizeof(wide)));
  EXPECT_EQ(GetLastError(), ERROR_PIPE_LOCAL);

  DWORD n = 0;
  ASSERT_TRUE(WriteFile(client, "x", 1, &n, nullptr));
  EXPECT_FALSE(ImpersonateNamedPipeClient(server));
  EXPECT_EQ(GetLastError(), ERROR_CANNOT_IMPERSONATE);  // written, not read
  char byte;
  ASSERT_TRUE(ReadFile(server, &byte, 1, &n, nullptr));
  EXPECT_TRUE(ImpersonateNamedPipeClient(server)) << GetLastError();
  HANDLE token = nullptr;
  EXPECT_TRUE(OpenThreadToken(GetCurrentThread(), TOKEN_QUERY, FALSE, &token)) << GetLastError();
  EXPECT_TRUE(CloseHandle(token));
  EXPECT_TRUE(RevertToSelf());
  EXPECT_TRUE(RevertToSelf());  // reverting a thread that is itself succeeds
  EXPECT_FALSE(OpenThreadToken(GetCurrentThread(), TOKEN_QUERY, FALSE, &token));
  EXPECT_EQ(GetLastError(), ERROR_NO_TOKEN);
  EXPECT_FALSE(OpenThreadToken(GetCurrentThread(), TOKEN_QUERY, FALSE, nullptr));
  EXPECT_EQ(GetLastError(), ERROR_NOACCESS);

  EXPECT_TRUE(DisconnectNamedPipe(server));
  EXPECT_FALSE(ImpersonateNamedPipeClient(server));
  EXPECT_EQ(GetLastError(), ERROR_CANNOT_IMPERSONATE);
}

TEST_F(ImpersonationUsers, TheThreadsTokenIsTheClients) {
  unix_user user("cdw");
  unix_group extra("cdg");
  test_files files(user.uid(), user.gid(), extra.gid());
  handle_guard server(make_overlapped_server(pipe_name()));
  ASSERT_NE(server.get(), INVALID_HANDLE_VALUE);
  remote_client client(pipe_name(), user.uid(), user.gid(), std::to_string(extra.gid()), "none");
  ASSERT_NO_FATAL_FAILURE(accept_hello(server));

  char state_name[UNLEN + 1];
  EXPECT_TRUE(GetNamedPipeHandleStateA(server, nullptr, nullptr, nullptr, nullptr, state_name,
                                       sizeof(state_name)))
      << GetLastError();
  EXPECT_EQ(std::string(state_name), user.name());

  ASSERT_TRUE(ImpersonateNamedPipeClient(server)) << GetLastError();
  EXPECT_EQ(::geteuid(), user.uid());
  EXPECT_FALSE(try_open(files.client_only));
  EXPECT_EQ(try_open(files.server_only), errc::access_denied);
  EXPECT_FALSE(try_open(files.group_only));
  EXPECT_EQ(user_name_now(), user.name());
  DWORD size = 1;
  char small[1];
  EXPECT_FALSE(GetUserNameA(small, &size));
  EXPECT_EQ(GetLastError(), ERROR_INSUFFICIENT_BUFFER);
  EXPECT_EQ(size, user.name().size() + 1);
  WCHAR wide[UNLEN + 1];
  size = UNLEN + 1;
  EXPECT_TRUE(GetUserNameW(wide, &size)) << GetLastError();
  EXPECT_EQ(size, user.name().size() + 1);
  EXPECT_EQ(wide[0], static_cast<WCHAR>(user.name()[0]));

  handle_guard token;
  {
    HANDLE h = nullptr;
    ASSERT_TRUE(OpenThreadToken(GetCurrentThread(), TOKEN_QUERY | TOKEN_DUPLICATE, TRUE, &h))
        << GetLastError();
    token = handle_guard(h);
  }
  auto user_info = token_information(token, TokenUser);
  EXPECT_EQ(sid_bytes(reinterpret_cast<TOKEN_USER*>(user_info.data())->User.Sid),
            unix_sid(1, user.uid()));
  auto groups_info = token_information(token, TokenGroups);
  auto* groups = reinterpret_cast<TOKEN_GROUPS*>(groups_info.data());
  std::vector<std::vector<unsigned char>> group_sids;
  for (DWORD i = 0; i < groups->GroupCount; ++i) {
    group_sids.push_back(sid_bytes(groups->Groups[i].Sid));
    EXPECT_EQ(groups->Groups[i].Attributes,
              DWORD{SE_GROUP_MANDATORY | SE_GROUP_ENABLED_BY_DEFAULT | SE_GROUP_ENABLED});
  }
  ASSERT_GE(group_sids.size(), 2u);
  EXPECT_EQ(group_sids[0], unix_sid(2, user.gid()));  // the primary group first
  EXPECT_EQ(group_sids[1], unix_sid(2, extra.gid()));
  // Everyone (S-1-1-0), as the access checks give it to every local caller.
  std::vector<unsigned char> everyone{1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0};
  EXPECT_NE(std::find(group_sids.begin(), group_sids.end(), everyone), group_sids.end());
  auto primary = token_information(token, TokenPrimaryGroup);
  EXPECT_EQ(sid_bytes(reinterpret_cast<TOKEN_PRIMARY_GROUP*>(primary.data())->PrimaryGroup),
            unix_sid(2, user.gid()));
  SECURITY_IMPERSONATION_LEVEL level = SecurityAnonymous;
  DWORD used = 0;
  EXPECT_TRUE(GetTokenInformation(token, TokenImpersonationLevel, &level, sizeof(level), &used));
  EXPECT_EQ(level, SecurityImpersonation);
  EXPECT_EQ(used, sizeof(level));
  TOKEN_TYPE type = TokenPrimary;
  EXPECT_TRUE(GetTokenInformation(token, TokenType, &type, sizeof(type), &used));
  EXPECT_EQ(type, TokenImpersonation);
  EXPECT_FALSE(GetTokenInformation(token, TokenPrivileges, nullptr, 0, &used));
  EXPECT_EQ(GetLastError(), ERROR_INVALID_PARAMETER);
  EXPECT_FALSE(GetTokenInformation(token, TokenUser, nullptr, 0, nullptr));
  EXPECT_EQ(GetLastError(), ERROR_NOACCESS);

  // A duplicate at a lower level, never a higher one.
  HANDLE copy = nullptr;
  EXPECT_FALSE(DuplicateToken(token, SecurityDelegation, &copy));
  EXPECT_EQ(GetLastError(), ERROR_BAD_IMPERSONATION_LEVEL);
  ASSERT_TRUE(DuplicateToken(token, SecurityIdentification, &copy)) << GetLastError();
  handle_guard identification(copy);
  EXPECT_TRUE(
      GetTokenInformation(identification, TokenImpersonationLevel, &level, sizeof(level), &used));
  EXPECT_EQ(level, SecurityIdentification);
  // A handle without TOKEN_QUERY cannot be asked.
  HANDLE no_query = nullptr;
  ASSERT_TRUE(OpenThreadToken(GetCurrentThread(), TOKEN_DUPLICATE, TRUE, &no_query));
  handle_guard no_query_guard(no_query);
  EXPECT_FALSE(GetTokenInformation(no_query, TokenType, &type, sizeof(type), &used));
  EXPECT_EQ(GetLastError(), ERROR_ACCESS_DENIED);

  ASSERT_TRUE(RevertToSelf());
  EXPECT_EQ(::geteuid(), 0u);
  EXPECT_FALSE(try_open(files.server_only));
  EXPECT_EQ(user_name_now(), "root");
  // The token keeps what it was opened with.
  user_info = token_information(token, TokenUser);
  EXPECT_EQ(sid_bytes(reinterpret_cast<TOKEN_USER*>(user_info.data())->User.Sid),
            unix_sid(1, user.uid()));

  // The process's own token: primary, the process's user.
  HANDLE process = nullptr;
  ASSERT_TRUE(OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &process)) << GetLastError();
  handle_guard process_token(process);
  auto process_user = token_information(process_token, TokenUser);
  EXPECT_EQ(sid_bytes(reinterpret_cast<TOKEN_USER*>(process_user.data())->User.Sid),
            unix_sid(1, 0));
  EXPECT_TRUE(GetTokenInformation(process_token, TokenType, &type, sizeof(type), &used));
  EXPECT_EQ(type, TokenPrimary);
  EXPECT_FALSE(
      GetTokenInformation(process_token, TokenImpersonationLevel, &level, sizeof(level), &used));
  EXPECT_EQ(GetLastError(), ERROR_INVALID_PARAMETER);
  EXPECT_EQ(finish(client, server), 0);
}

TEST_F(ImpersonationUsers, IdentificationMayAskButNotAct) {
  unix_user user("cdw");
  test_files files(user.uid(), user.gid(), user.gid());
  handle_guard server(make_overlapped_server(pipe_name()));
  remote_client client(pipe_name(), user.uid(), user.gid(), "-", "identification");
  ASSERT_NO_FATAL_FAILURE(accept_hello(server));
  ASSERT_TRUE(ImpersonateNamedPipeClient(server)) << GetLastError();
  EXPECT_EQ(user_name_now(), user.name());
  HANDLE h = nullptr;
  ASSERT_TRUE(OpenThreadToken(GetCurrentThread(), TOKEN_QUERY, TRUE, &h)) << GetLastError();
  handle_guard token(h);
  SECURITY_IMPERSONATION_LEVEL level = SecurityDelegation;
  DWORD used = 0;
  EXPECT_TRUE(GetTokenInformation(token, TokenImpersonationLevel, &level, sizeof(level), &used));
  EXPECT_EQ(level, SecurityIdentification);
  auto user_info = token_information(token, TokenUser);
  EXPECT_EQ(sid_bytes(reinterpret_cast<TOKEN_USER*>(user_info.data())->User.Sid),
            unix_sid(1, user.uid()));
  EXPECT_EQ(try_open(files.client_only), errc::access_denied);
  EXPECT_EQ(try_open(files.server_only), errc::access_denied);
  EXPECT_TRUE(RevertToSelf());
  EXPECT_FALSE(try_open(files.server_only));
  EXPECT_EQ(finish(client, server), 0);
}

TEST_F(ImpersonationUsers, AnAnonymousClientRevealsNoOne) {
  unix_user user("cdw");
  handle_guard server(make_overlapped_server(pipe_name()));
  remote_client client(pipe_name(), user.uid(), user.gid(), "-", "anonymous");
  ASSERT_NO_FATAL_FAILURE(accept_hello(server));
  ASSERT_TRUE(ImpersonateNamedPipeClient(server)) << GetLastError();
  HANDLE token = nullptr;
  EXPECT_FALSE(OpenThreadToken(GetCurrentThread(), TOKEN_QUERY, TRUE, &token));
  EXPECT_EQ(GetLastError(), ERROR_CANT_OPEN_ANONYMOUS);
  char name[UNLEN + 1];
  DWORD size = sizeof(name);
  EXPECT_FALSE(GetUserNameA(name, &size));
  EXPECT_EQ(GetLastError(), ERROR_CANT_OPEN_ANONYMOUS);
  EXPECT_NE(::geteuid(), user.uid());
  EXPECT_NE(::geteuid(), 0u);
  EXPECT_TRUE(RevertToSelf());
  EXPECT_EQ(user_name_now(), "root");
  EXPECT_EQ(finish(client, server), 0);
}

// Credentials belong to the thread and die with it: a thread that ends
// while impersonating leaves the others as they were.
TEST_F(ImpersonationUsers, AThreadEndingWhileImpersonatingLeavesTheOthersAlone) {
  unix_user user("cdw");
  handle_guard server(make_overlapped_server(pipe_name()));
  remote_client client(pipe_name(), user.uid(), user.gid(), "-", "none");
  ASSERT_NO_FATAL_FAILURE(accept_hello(server));
  uid_t inside = 0;
  std::string name_inside;
  std::thread([&] {
    if (ImpersonateNamedPipeClient(server)) {
      inside = ::geteuid();
      name_inside = user_name_now();
    }
  }).join();  // ends without RevertToSelf
  EXPECT_EQ(inside, user.uid());
  EXPECT_EQ(name_inside, user.name());
  EXPECT_EQ(::geteuid(), 0u);
  EXPECT_EQ(user_name_now(), "root");
  HANDLE token = nullptr;
  EXPECT_FALSE(OpenThreadToken(GetCurrentThread(), TOKEN_QUERY, TRUE, &token));
  EXPECT_EQ(GetLastError(), ERROR_NO_TOKEN);
  uid_t fresh = 1;
  std::thread([&] { fresh = ::geteuid(); }).join();
  EXPECT_EQ(fresh, 0u);
  EXPECT_EQ(finish(client, server), 0);
}

}  // namespace
}  // namespace conduit::test
