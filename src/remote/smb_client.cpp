#include "remote/smb_client.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "conduit/error.hpp"
#include "core/instance_page.hpp"
#include "core/pipe_flags.hpp"
#include "runtime/child_reaper.hpp"
#include "runtime/pipe_channel.hpp"

#ifdef CONDUIT_HAVE_SMBCLIENT
#include <libsmbclient.h>
#endif
#ifdef CONDUIT_HAVE_SMB2
#include "remote/smb2_session.hpp"
#endif

namespace {
#ifdef CONDUIT_HAVE_SMB2
constexpr bool smb2_built = true;
#else
constexpr bool smb2_built = false;
#endif
}  // namespace

namespace conduit::detail::remote {

#if !defined(CONDUIT_HAVE_SMBCLIENT) && !defined(CONDUIT_HAVE_SMB2)

bool smb_client_available() {
  return false;
}

std::error_code open_smb_pipe(const object_name&, std::uint32_t, smb_pipe&) {
  return errc::bad_netpath;
}

#else

namespace {

struct smb_credentials {
  std::string user, password, domain;
  bool kerberos = false;
};

std::string trim(std::string s) {
  auto first = s.find_first_not_of(" \t\r");
  auto last = s.find_last_not_of(" \t\r");
  return first == std::string::npos ? std::string() : s.substr(first, last - first + 1);
}

// What to log in with: see the header for the order.
bool find_credentials(smb_credentials& out) {
  if (const char* file = std::getenv("CONDUIT_SMB_CREDENTIALS"); file && *file) {
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) {
      auto eq = line.find('=');
      if (eq == std::string::npos) continue;
      std::string key = trim(line.substr(0, eq)), value = trim(line.substr(eq + 1));
      if (key == "username") out.user = value;
      if (key == "password") out.password = value;
      if (key == "domain") out.domain = value;
    }
    return !out.user.empty();
  }
  if (const char* user = std::getenv("CONDUIT_SMB_USER"); user && *user) {
    out.user = user;
    if (const char* p = std::getenv("CONDUIT_SMB_PASSWORD")) out.password = p;
    if (const char* d = std::getenv("CONDUIT_SMB_DOMAIN")) out.domain = d;
    return true;
  }
  if (const char* k = std::getenv("CONDUIT_SMB_KERBEROS"); k && std::strcmp(k, "1") == 0) {
    out.kerberos = true;
    return true;
  }
  return false;
}

// Ends the relay process as soon as the client's end is gone, even while
// the relay waits in an SMB read that only the server could end: the
// connection then drops, and the server sees its client leave. It touches
// nothing of the SMB client's.
void exit_when_client_leaves(int local) {
  std::thread([local] {
    pollfd p{local, 0, 0};  // POLLHUP and POLLERR come unasked
    while (::poll(&p, 1, -1) < 0 && errno == EINTR) {
    }
    ::_exit(0);
  }).detach();
}

#ifdef CONDUIT_HAVE_SMBCLIENT

// The most one SMB read or write of a message carries here.
constexpr std::size_t max_transfer = 65535;

void copy_to(char* dst, int size, const std::string& s) {
  if (size <= 0) return;
  std::size_t n = std::min(s.size(), static_cast<std::size_t>(size - 1));
  std::memcpy(dst, s.data(), n);
  dst[n] = '\0';
}

void give_credentials(SMBCCTX* ctx, const char*, const char*, char* workgroup, int wglen,
                      char* user, int userlen, char* password, int pwlen) {
  auto* creds = static_cast<smb_credentials*>(smbc_getOptionUserData(ctx));
  if (!creds || creds->kerberos) return;
  if (!creds->domain.empty()) copy_to(workgroup, wglen, creds->domain);
  copy_to(user, userlen, creds->user);
  copy_to(password, pwlen, creds->password);
}

std::error_code from_smb_errno(int e) {
  switch (e) {
    case EACCES:
      return errc::access_denied;
    case EPERM:
      return errc::logon_failure;
    case ENOENT:
    case ENODEV:
      return errc::file_not_found;
    case EBUSY:
    case EAGAIN:
      return errc::pipe_busy;
    case ECONNABORTED:
      // smbd's word when the pipe's server side closed before answering:
      // the bridge refused the open (access, -denyremote, no instance).
      return errc::access_denied;
    default:
      // Unreachable or unknown host, a refused connection, a protocol
      // failure: the network path is not there.
      return errc::bad_netpath;
  }
}

// One open remote pipe: the SMB context and file, used by its relay thread alone.
struct session {
  smb_credentials creds;
  SMBCCTX* ctx = nullptr;
  SMBCFILE* file = nullptr;
  ~session() {
    if (file) smbc_getFunctionClose(ctx)(ctx, file);
    if (ctx) smbc_free_context(ctx, 1);
  }
};

// Relays in the order things come: each message the client writes goes out
// as one SMB write; each read the client asks for (read_demand) is one SMB
// read of one byte, which goes to the client as soon as it comes. Writes
// already made go before a read asked for after them.
void relay(std::unique_ptr<session> s, unique_fd socket, unique_fd read_demand,
           instance_page page) {
  (void)page;  // kept mapped while the relay lives: the client's serial never changes
  exit_when_client_leaves(socket.get());
  pipe_channel local(std::move(socket), true);
  auto smb_write = smbc_getFunctionWrite(s->ctx);
  auto smb_read = smbc_getFunctionRead(s->ctx);
  std::vector<std::byte> buffer(max_transfer);
  std::error_code ec;
  for (;;) {
    pollfd p[2] = {{local.socket(), POLLIN, 0}, {read_demand.get(), POLLIN, 0}};
    if (::poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (p[0].revents) {
      std::size_t n = local.read(buffer, /*message_read=*/true, /*nowait=*/true, ec);
      if (ec == errc::no_data) continue;
      if (ec && ec != errc::more_data) return;  // the client closed its end
      if (smb_write(s->ctx, s->file, buffer.data(), n) < 0) return;
      continue;  // every write waiting goes before a read
    }
    if (p[1].revents) {
      std::uint64_t asked = 0;  // a semaphore: one read per ask
      if (::read(read_demand.get(), &asked, sizeof(asked)) != sizeof(asked)) continue;
      // libsmbclient's read returns only once it has all it asked for
      // (Samba's cli_read reads again after a short answer), and hides
      // SMB's STATUS_BUFFER_OVERFLOW: asking for one byte is what never
      // waits for more than the server has sent.
      ssize_t got = smb_read(s->ctx, s->file, buffer.data(), 1);
      if (got <= 0) return;  // the server's end is gone: the client sees a broken pipe
      local.write(std::span(buffer).first(static_cast<std::size_t>(got)), false, ec);
      if (ec) return;
    }
  }
}

// Opens the pipe through libsmbclient (Kerberos logons) and relays until
// either side is gone. `status` gets 0 or a Win32 error.
void libsmbclient_process(const object_name& name, bool reads, bool writes, smb_credentials creds,
                          unique_fd socket, unique_fd read_demand, unique_fd status) {
  auto s = std::make_unique<session>();
  s->creds = std::move(creds);
  int result = 0;
  s->ctx = smbc_new_context();
  if (s->ctx) {
    smbc_setDebug(s->ctx, 0);
    smbc_setOptionUserData(s->ctx, &s->creds);
    smbc_setFunctionAuthDataWithContext(s->ctx, give_credentials);
    smbc_setOptionNoAutoAnonymousLogin(s->ctx, 1);
    // No timeout: a pipe may stay quiet as long as its server likes.
    smbc_setTimeout(s->ctx, 0);
    if (s->creds.kerberos) {
      smbc_setOptionUseKerberos(s->ctx, 1);
      smbc_setOptionFallbackAfterKerberos(s->ctx, 0);
    }
    if (const char* port = std::getenv("CONDUIT_SMB_PORT"); port && *port)
      smbc_setPort(s->ctx, static_cast<std::uint16_t>(std::atoi(port)));
    if (!smbc_init_context(s->ctx)) {
      smbc_free_context(s->ctx, 0);
      s->ctx = nullptr;
    }
  }
  if (!s->ctx) {
    result = static_cast<int>(errc::bad_netpath);
  } else {
    std::string url = "smb://" + name.host + "/IPC$/" + name.path;
    for (char& c : url)
      if (c == '\\') c = '/';
    int flags = reads && writes ? O_RDWR : writes ? O_WRONLY : O_RDONLY;
    s->file = smbc_getFunctionOpen(s->ctx)(s->ctx, url.c_str(), flags, 0);
    if (!s->file) result = from_smb_errno(errno ? errno : EIO).value();
  }
  (void)!::write(status.get(), &result, sizeof(result));
  status.reset();
  if (result == 0) relay(std::move(s), std::move(socket), std::move(read_demand), instance_page());
}

#endif  // CONDUIT_HAVE_SMBCLIENT

#ifdef CONDUIT_HAVE_SMB2

// The longest message the relay puts together from SMB reads that end in
// STATUS_BUFFER_OVERFLOW: a server that goes on beyond it is cut off.
constexpr std::size_t max_assembled_message = 64 * 1024 * 1024;

// Relays over conduit's own SMB2 session. Each message the client writes
// goes out as SMB2 WRITEs (one per 64 KiB); each read the client asks for
// (read_demand) is one SMB2 READ, which the server answers with what it
// has: on a message pipe, at most one message, STATUS_BUFFER_OVERFLOW
// saying more of it follows, so the relay reads on at once and hands the
// whole message over as one. A READ may wait at the server while writes
// go out: one write and one read are in flight at most, and the client's
// next message is taken only once the last write is answered.
void relay_smb2(smb2::session& s, const smb2::file_id& pipe, unique_fd socket,
                unique_fd read_demand) {
  exit_when_client_leaves(socket.get());
  pipe_channel local(std::move(socket), true);
  std::vector<std::byte> outgoing(s.max_write());
  std::vector<std::byte> message;  // what has come of the server's current message
  // The message ids of the READ and the WRITE in flight (`idle` for none).
  constexpr std::uint64_t idle = ~std::uint64_t{0};
  std::uint64_t read_id = idle, write_id = idle;
  std::size_t write_size = 0;
  std::error_code ec;
  auto start_read = [&]() {
    std::uint64_t id = 0;
    if (s.send(smb2::command::read, smb2::read_request(pipe, s.max_read()), id)) return false;
    read_id = id;
    return true;
  };
  for (;;) {
    pollfd p[3] = {{s.socket(), POLLIN, 0}, {local.socket(), 0, 0}, {read_demand.get(), 0, 0}};
    if (write_id == idle && s.has_credit()) p[1].events = POLLIN;
    if (read_id == idle && s.has_credit()) p[2].events = POLLIN;
    if (::poll(p, 3, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (p[0].revents) {
      smb2::response r;
      if (s.receive(r)) return;  // the server is gone, or spoke nonsense
      if (r.h.status == smb2::status_pending && (r.h.flags & smb2::flag_async)) continue;
      if (read_id != idle && r.h.message_id == read_id && r.h.cmd == smb2::command::read) {
        read_id = idle;
        bool more = r.h.status == smb2::status_buffer_overflow;
        if (r.h.status != smb2::status_success && !more) return;  // the server's end is gone
        std::span<const std::uint8_t> data;
        if (smb2::parse_read(r.message, data)) return;
        if (message.size() + data.size() > max_assembled_message) return;
        auto* bytes = reinterpret_cast<const std::byte*>(data.data());
        message.insert(message.end(), bytes, bytes + data.size());
        if (more) {
          if (!s.has_credit() || !start_read()) return;
          continue;
        }
        local.write(message, false, ec);
        if (ec) return;
        message.clear();
      } else if (write_id != idle && r.h.message_id == write_id &&
                 r.h.cmd == smb2::command::write) {
        write_id = idle;
        std::uint32_t count = 0;
        if (r.h.status != smb2::status_success || smb2::parse_write(r.message, count) ||
            count != write_size)
          return;
      } else {
        return;  // an answer to nothing asked
      }
      continue;
    }
    if (p[1].revents) {
      std::size_t n = local.read(outgoing, /*message_read=*/true, /*nowait=*/true, ec);
      if (ec == errc::no_data) continue;
      // ERROR_MORE_DATA: the rest of a long message goes in the next write.
      if (ec && ec != errc::more_data) return;  // the client closed its end
      std::uint64_t id = 0;
      auto data = std::span(reinterpret_cast<const std::uint8_t*>(outgoing.data()), n);
      if (s.send(smb2::command::write, smb2::write_request(pipe, data), id)) return;
      write_id = id;
      write_size = n;
      continue;
    }
    if (p[2].revents) {
      std::uint64_t asked = 0;  // a semaphore: one read per ask
      if (::read(read_demand.get(), &asked, sizeof(asked)) != sizeof(asked)) continue;
      if (!start_read()) return;
    }
  }
}

// Opens the pipe through conduit's SMB2 client (user and password logons)
// and relays until either side is gone. `status` gets 0 or a Win32 error.
void smb2_process(const object_name& name, bool reads, bool writes, const smb_credentials& creds,
                  unique_fd socket, unique_fd read_demand, unique_fd status) {
  ntlm::credentials who{creds.user, creds.password, creds.domain, {}};
  char host[256] = {};
  if (::gethostname(host, sizeof(host) - 1) == 0) who.workstation = host;
  if (auto dot = who.workstation.find('.'); dot != std::string::npos) who.workstation.resize(dot);
  const char* port = std::getenv("CONDUIT_SMB_PORT");
  smb2::session s;
  smb2::file_id pipe{};
  std::error_code ec = s.connect(name.host, port && *port ? port : "445", who);
  // The pipe's name inside IPC$: what follows `pipe\`.
  if (!ec) ec = s.open_pipe(name.path, reads, writes, pipe);
  int result = ec.value();
  (void)!::write(status.get(), &result, sizeof(result));
  status.reset();
  if (ec) return;
  relay_smb2(s, pipe, std::move(socket), std::move(read_demand));
  s.close(pipe);
}

#endif  // CONDUIT_HAVE_SMB2

// Whether something accepts TCP connections on the host's SMB port (5 s
// at most): what tells a host that cannot be reached from a logon that
// cannot be made.
bool host_reachable(const std::string& host) {
  const char* port = std::getenv("CONDUIT_SMB_PORT");
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), port && *port ? port : "445", &hints, &found) != 0) return false;
  bool reached = false;
  for (addrinfo* a = found; a && !reached; a = a->ai_next) {
    unique_fd fd(::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) continue;
    if (::connect(fd.get(), a->ai_addr, a->ai_addrlen) == 0) {
      reached = true;
      break;
    }
    pollfd p{fd.get(), POLLOUT, 0};
    int error = 0;
    socklen_t len = sizeof(error);
    reached = errno == EINPROGRESS && ::poll(&p, 1, 5000) == 1 &&
              ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &len) == 0 && error == 0;
  }
  ::freeaddrinfo(found);
  return reached;
}

// In the relay process: connects, opens, says how it went on `status`
// (0 or a Win32 error), then relays until either side is gone.
[[noreturn]] void relay_process(const object_name& name, bool reads, bool writes,
                                smb_credentials creds, unique_fd socket, unique_fd read_demand,
                                unique_fd status) {
  if (creds.user.empty() && !creds.kerberos) {
    // Nothing to log in with, and never an anonymous logon in its place.
    auto result =
        static_cast<int>(host_reachable(name.host) ? errc::logon_failure : errc::bad_netpath);
    (void)!::write(status.get(), &result, sizeof(result));
    ::_exit(0);
  }
#ifdef CONDUIT_HAVE_SMB2
  if (!creds.kerberos) {
    smb2_process(name, reads, writes, creds, std::move(socket), std::move(read_demand),
                 std::move(status));
    ::_exit(0);
  }
#endif
#ifdef CONDUIT_HAVE_SMBCLIENT
  libsmbclient_process(name, reads, writes, std::move(creds), std::move(socket),
                       std::move(read_demand), std::move(status));
#else
  int result = static_cast<int>(errc::not_supported);  // Kerberos needs libsmbclient
  (void)!::write(status.get(), &result, sizeof(result));
#endif
  ::_exit(0);
}

}  // namespace

bool smb_client_available() {
  return true;
}

// libsmbclient keeps call state in globals shared by every thread (Debian
// does not ship its thread-safe mode), and each call blocks. So each remote
// pipe gets a process of its own, forked before anything of libsmbclient
// runs here: the library is never entered from two threads, and no pipe
// waits on another's network.
std::error_code open_smb_pipe(const object_name& name, std::uint32_t access, smb_pipe& out) {
  bool reads = access & want_read, writes = access & want_write;
  if (!reads && !writes) return errc::not_supported;
  smb_credentials creds;
  bool have_credentials = find_credentials(creds);
  if (!have_credentials) creds = {};

  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0)
    return error_from_errno(errno);
  unique_fd mine(pair[0]), theirs(pair[1]);
  if (auto ec = name_message_socket(mine.get())) return ec;
  if (auto ec = name_message_socket(theirs.get())) return ec;
  std::error_code ec;
  instance_page page = instance_page::create(ec);
  if (ec) return ec;
  unique_fd demand(::eventfd(0, EFD_CLOEXEC | EFD_SEMAPHORE));
  if (!demand) return error_from_errno(errno);
  int status_pipe[2];
  if (::pipe2(status_pipe, O_CLOEXEC) != 0) return error_from_errno(errno);
  unique_fd status_read(status_pipe[0]), status_write(status_pipe[1]);

  pid_t pid = ::fork();
  if (pid < 0) return error_from_errno(errno);
  if (pid == 0) {
    // Only the relay's own descriptors stay: a copy of any other (another
    // pipe's end) would keep it open after its holder closed it.
    std::array<int, 3> keep = {mine.get(), demand.get(), status_write.get()};
    std::sort(keep.begin(), keep.end());
    unsigned from = 3;
    for (int fd : keep) {
      if (static_cast<unsigned>(fd) > from)
        ::syscall(SYS_close_range, from, static_cast<unsigned>(fd - 1), 0u);
      from = static_cast<unsigned>(fd) + 1;
    }
    ::syscall(SYS_close_range, from, ~0u, 0u);
    (void)theirs.release();
    (void)status_read.release();
    relay_process(name, reads, writes, std::move(creds), std::move(mine), std::move(demand),
                  std::move(status_write));
  }
  mine.reset();
  status_write.reset();
  reap_in_background(unique_fd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0))));
  int result = EIO;
  ssize_t n;
  do {
    n = ::read(status_read.get(), &result, sizeof(result));
  } while (n < 0 && errno == EINTR);
  if (n != sizeof(result)) return errc::bad_netpath;  // the relay died before it could say
  if (result != 0) return {result, win32_category()};

  out.page = unique_fd(::dup(page.fd()));
  if (!out.page) return error_from_errno(errno);
  out.socket = std::move(theirs);
  out.read_demand = std::move(demand);
  out.message_reads = !creds.kerberos && smb2_built;
  return {};
}

#endif

}  // namespace conduit::detail::remote
