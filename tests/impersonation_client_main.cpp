// conduit_impersonation_client: a pipe client as another user, for the
// impersonation tests.
//
//   conduit_impersonation_client NAME UID GID GROUPS LEVEL
//
// Becomes UID / GID with the supplementary GROUPS (comma-separated, or "-"
// for none; UID "-" keeps the caller's identity), opens the pipe NAME with
// CreateFile, allowing LEVEL ("none": no SECURITY_SQOS_PRESENT; anonymous,
// identification, impersonation, delegation), writes "hello", then waits
// for one byte from the server and exits. Exit codes: 0 done; 2 could not
// become the user; 3 CreateFile failed; 4 WriteFile failed; 5 ReadFile
// failed (the error on stderr).
#include <grp.h>
#include <unistd.h>
#include <windows.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

std::vector<gid_t> parse_groups(const std::string& text) {
  std::vector<gid_t> groups;
  if (text == "-") return groups;
  std::size_t at = 0;
  while (at <= text.size()) {
    std::size_t comma = text.find(',', at);
    if (comma == std::string::npos) comma = text.size();
    groups.push_back(static_cast<gid_t>(std::stoul(text.substr(at, comma - at))));
    at = comma + 1;
  }
  return groups;
}

DWORD sqos_flags(const std::string& level) {
  if (level == "anonymous") return SECURITY_SQOS_PRESENT | SECURITY_ANONYMOUS;
  if (level == "identification") return SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION;
  if (level == "impersonation") return SECURITY_SQOS_PRESENT | SECURITY_IMPERSONATION;
  if (level == "delegation") return SECURITY_SQOS_PRESENT | SECURITY_DELEGATION;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: %s NAME UID GID GROUPS LEVEL\n", argv[0]);
    return 1;
  }
  std::string uid = argv[2];
  if (uid != "-") {
    // One thread so far: the glibc calls change the whole (single-threaded)
    // process, as they should here.
    auto groups = parse_groups(argv[4]);
    gid_t gid = static_cast<gid_t>(std::stoul(argv[3]));
    uid_t user = static_cast<uid_t>(std::stoul(uid));
    if (::setgroups(groups.size(), groups.data()) != 0 || ::setresgid(gid, gid, gid) != 0 ||
        ::setresuid(user, user, user) != 0)
      return 2;
  }
  HANDLE pipe = CreateFileA(argv[1], GENERIC_READ | GENERIC_WRITE, 0, nullptr, OPEN_EXISTING,
                            sqos_flags(argv[5]), nullptr);
  if (pipe == INVALID_HANDLE_VALUE) {
    std::fprintf(stderr, "CreateFile: %u\n", static_cast<unsigned>(GetLastError()));
    return 3;
  }
  DWORD n = 0;
  if (!WriteFile(pipe, "hello", 5, &n, nullptr)) {
    std::fprintf(stderr, "WriteFile: %u\n", static_cast<unsigned>(GetLastError()));
    return 4;
  }
  char reply = 0;
  if (!ReadFile(pipe, &reply, 1, &n, nullptr) || n != 1) {
    std::fprintf(stderr, "ReadFile: %u\n", static_cast<unsigned>(GetLastError()));
    return 5;
  }
  CloseHandle(pipe);
  return 0;
}
