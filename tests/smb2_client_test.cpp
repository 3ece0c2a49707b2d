// conduit's SMB2 pipe client against a scripted server on loopback: the
// session (src/remote/smb2_session.cpp) in this process, so that a reply
// that made it read out of bounds would fail the test here, and the relay
// behind pipe_client (src/remote/smb_client.cpp) for what smbd does not
// easily show: a message longer than one SMB read, assembled from
// STATUS_BUFFER_OVERFLOW answers, and a hostile read answer.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <functional>
#include <future>
#include <random>
#include <thread>

#include "conduit/error.hpp"
#include "conduit/pipe_client.hpp"
#include "core/unique_fd.hpp"
#include "remote/ntlmssp.hpp"
#include "remote/smb2_session.hpp"
#include "remote/smb2_wire.hpp"

namespace smb2 = conduit::detail::remote::smb2;
namespace ntlm = conduit::detail::remote::ntlm;
using conduit::errc;
using conduit::detail::unique_fd;
using bytes = std::vector<std::uint8_t>;

namespace {

constexpr int bound_ms = 10000;

void put16(bytes& b, std::size_t at, std::uint16_t v) {
  b[at] = static_cast<std::uint8_t>(v);
  b[at + 1] = static_cast<std::uint8_t>(v >> 8);
}
void put32(bytes& b, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
}

// Appends `data` (resize and copy: GCC 12 sees false bounds errors in
// vector::insert of small vectors).
void append(bytes& b, std::span<const std::uint8_t> data) {
  std::size_t at = b.size();
  b.resize(at + data.size());
  if (!data.empty()) std::memcpy(b.data() + at, data.data(), data.size());
}

// One request as the server received it.
struct request {
  smb2::command cmd;
  std::uint64_t message_id;
  bytes message;
};

// A response to `r`: status, body, 64 credits granted.
bytes reply(const request& r, std::uint32_t status, bytes body, std::uint32_t tree_id = 7) {
  smb2::header h;
  h.cmd = r.cmd;
  h.flags = smb2::flag_response;
  h.credits = 64;
  h.message_id = r.message_id;
  h.tree_id = tree_id;
  h.session_id = 0x1234;
  bytes m = smb2::build(h, body);
  put32(m, 8, status);
  return m;
}

bytes negotiate_body(std::uint16_t security_mode = smb2::signing_enabled) {
  bytes b(64, 0);
  put16(b, 0, 65);
  put16(b, 2, security_mode);
  put16(b, 4, smb2::dialect_210);
  put32(b, 28, 1 << 20);
  put32(b, 32, 1 << 20);
  put32(b, 36, 1 << 20);
  return b;
}

// A CHALLENGE_MESSAGE with the AV pairs of [MS-NLMP] 4.2.4.
bytes challenge_token() {
  bytes info = {0x02, 0x00, 0x0c, 0x00, 'D', 0, 'o',  0,    'm',  0,
                'a',  0,    'i',  0,    'n', 0, 0x00, 0x00, 0x00, 0x00};
  bytes m(48, 0);
  std::memcpy(m.data(), "NTLMSSP\0", 8);
  put32(m, 8, 2);
  put32(m, 20, 0xe28a8233);
  for (int i = 0; i < 8; ++i) m[24 + i] = static_cast<std::uint8_t>(i);
  put16(m, 40, static_cast<std::uint16_t>(info.size()));
  put16(m, 42, static_cast<std::uint16_t>(info.size()));
  put32(m, 44, 48);
  append(m, info);
  return m;
}

bytes session_setup_body(const bytes& token, std::uint16_t flags = 0) {
  bytes b(8, 0);
  put16(b, 0, 9);
  put16(b, 2, flags);
  put16(b, 4, token.empty() ? 0 : 72);
  put16(b, 6, static_cast<std::uint16_t>(token.size()));
  append(b, token);
  if (token.empty()) b.resize(b.size() + 1);
  return b;
}

bytes tree_connect_body() {
  bytes b(16, 0);
  put16(b, 0, 16);
  b[2] = 0x02;
  put32(b, 12, 0x1f01ff);
  return b;
}

bytes create_body() {
  bytes b(88, 0);
  put16(b, 0, 89);
  for (int i = 0; i < 16; ++i) b[64 + i] = static_cast<std::uint8_t>(0xA0 + i);
  return b;
}

bytes read_body(std::span<const std::uint8_t> data) {
  bytes b(16, 0);
  put16(b, 0, 17);
  b[2] = 0x50;
  put32(b, 4, static_cast<std::uint32_t>(data.size()));
  append(b, data);
  if (data.empty()) b.resize(b.size() + 1);
  return b;
}

bytes write_body(std::uint32_t count) {
  bytes b(16, 0);
  put16(b, 0, 17);
  put32(b, 4, count);
  return b;
}

std::uint32_t get32(const bytes& b, std::size_t at) {
  return static_cast<std::uint32_t>(b[at]) | static_cast<std::uint32_t>(b[at + 1]) << 8 |
         static_cast<std::uint32_t>(b[at + 2]) << 16 | static_cast<std::uint32_t>(b[at + 3]) << 24;
}

// Answers `r` as a well-behaved server would; READs get nothing here.
std::vector<bytes> well_behaved(const request& r) {
  switch (r.cmd) {
    case smb2::command::negotiate:
      return {reply(r, 0, negotiate_body())};
    case smb2::command::session_setup:
      if (r.message.size() > 64 + 24 + 8 && get32(r.message, 64 + 24 + 8) == 1)
        return {
            reply(r, smb2::status_more_processing_required, session_setup_body(challenge_token()))};
      return {reply(r, 0, session_setup_body({}))};
    case smb2::command::tree_connect:
      return {reply(r, 0, tree_connect_body())};
    case smb2::command::create:
      return {reply(r, 0, create_body())};
    case smb2::command::write:
      return {reply(r, 0, write_body(get32(r.message, 64 + 4)))};
    default:
      return {};
  }
}

// A server on 127.0.0.1 that answers the requests of one connection with
// what `script` returns (raw messages; a frame header is added unless the
// message is empty, which closes the connection).
class fake_server {
 public:
  using script = std::function<std::vector<bytes>(const request&)>;

  explicit fake_server(script s) : script_(std::move(s)) {
    listener_ = unique_fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listener_.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a));
    ::listen(listener_.get(), 4);
    socklen_t len = sizeof(a);
    ::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~fake_server() {
    stop_ = true;
    ::shutdown(listener_.get(), SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
  }
  [[nodiscard]] std::string port() const { return std::to_string(port_); }
  /// Requests of each command received so far.
  [[nodiscard]] int count(smb2::command c) const { return counts_[static_cast<int>(c)].load(); }

 private:
  void run() {
    while (!stop_) {
      pollfd p{listener_.get(), POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      unique_fd conn(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (!conn) return;
      serve(conn.get());
    }
  }
  void serve(int fd) {
    for (;;) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, bound_ms) <= 0 || stop_) return;
      std::uint8_t frame[4];
      if (::recv(fd, frame, 4, MSG_WAITALL) != 4) return;
      std::size_t size = static_cast<std::size_t>(frame[1]) << 16 | frame[2] << 8 | frame[3];
      request r;
      r.message.resize(size);
      if (size < 64 ||
          ::recv(fd, r.message.data(), size, MSG_WAITALL) != static_cast<ssize_t>(size))
        return;
      r.cmd = static_cast<smb2::command>(r.message[12] | r.message[13] << 8);
      r.message_id = get32(r.message, 24);
      if (static_cast<int>(r.cmd) < 16) ++counts_[static_cast<int>(r.cmd)];
      for (const bytes& m : script_(r)) {
        if (m.empty()) return;  // hang up
        bytes out = {0, static_cast<std::uint8_t>(m.size() >> 16),
                     static_cast<std::uint8_t>(m.size() >> 8), static_cast<std::uint8_t>(m.size())};
        append(out, m);
        if (::send(fd, out.data(), out.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(out.size()))
          return;
      }
    }
  }

  script script_;
  unique_fd listener_;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::array<std::atomic<int>, 16> counts_{};
  std::thread thread_;
};

const ntlm::credentials who{"user", "secret", "", "client"};

std::error_code connect_and_open(const fake_server& server, smb2::file_id* id = nullptr) {
  smb2::session s;
  if (auto ec = s.connect("127.0.0.1", server.port(), who)) return ec;
  smb2::file_id pipe{};
  if (auto ec = s.open_pipe("x", true, true, pipe)) return ec;
  if (id) *id = pipe;
  return {};
}

// Replaces the answer to the `which` command (the `nth` of them) with `bad`.
fake_server::script spoiling(smb2::command which, int nth,
                             std::function<bytes(const request&)> bad) {
  auto seen = std::make_shared<int>(0);
  return [=](const request& r) -> std::vector<bytes> {
    if (r.cmd == which && ++*seen == nth) return {bad(r)};
    return well_behaved(r);
  };
}

}  // namespace

TEST(Smb2Session, ConnectsAndOpensAgainstAWellBehavedServer) {
  fake_server server(well_behaved);
  smb2::file_id id{};
  ASSERT_FALSE(connect_and_open(server, &id));
  EXPECT_EQ(id[0], 0xA0);
  EXPECT_EQ(id[15], 0xAF);
  EXPECT_EQ(server.count(smb2::command::session_setup), 2);
}

TEST(Smb2Session, RefusedLogonsAndGuestsAreLogonFailures) {
  fake_server refused(spoiling(smb2::command::session_setup, 2, [](const request& r) {
    return reply(r, 0xC000006D, session_setup_body({}));  // STATUS_LOGON_FAILURE
  }));
  EXPECT_EQ(connect_and_open(refused), errc::logon_failure);
  fake_server guest(spoiling(smb2::command::session_setup, 2, [](const request& r) {
    return reply(r, 0, session_setup_body({}, smb2::session_is_guest));
  }));
  EXPECT_EQ(connect_and_open(guest), errc::logon_failure);
  fake_server anonymous(spoiling(smb2::command::session_setup, 2, [](const request& r) {
    return reply(r, 0, session_setup_body({}, smb2::session_is_null));
  }));
  EXPECT_EQ(connect_and_open(anonymous), errc::logon_failure);
  // Signing required, and a final answer that does not carry the session
  // key's signature: not the server the credentials were for.
  auto seen = std::make_shared<int>(0);
  fake_server unsigned_answer([seen](const request& r) -> std::vector<bytes> {
    if (r.cmd == smb2::command::negotiate)
      return {reply(r, 0, negotiate_body(smb2::signing_enabled | smb2::signing_required))};
    return well_behaved(r);
  });
  EXPECT_EQ(connect_and_open(unsigned_answer), errc::logon_failure);
}

TEST(Smb2Session, ServerStatusesBecomeWin32Errors) {
  fake_server missing(spoiling(smb2::command::create, 1, [](const request& r) {
    return reply(r, 0xC0000034, session_setup_body({}));  // STATUS_OBJECT_NAME_NOT_FOUND
  }));
  EXPECT_EQ(connect_and_open(missing), errc::file_not_found);
  fake_server busy(spoiling(smb2::command::create, 1, [](const request& r) {
    return reply(r, 0xC00000AE, session_setup_body({}));  // STATUS_PIPE_BUSY
  }));
  EXPECT_EQ(connect_and_open(busy), errc::pipe_busy);
  fake_server no_ipc(spoiling(smb2::command::tree_connect, 1, [](const request& r) {
    return reply(r, 0xC00000CC, session_setup_body({}));  // STATUS_BAD_NETWORK_NAME
  }));
  EXPECT_EQ(connect_and_open(no_ipc), errc::bad_netpath);
}

TEST(Smb2Session, MalformedAnswersFailCleanly) {
  fake_server short_negotiate(spoiling(smb2::command::negotiate, 1,
                                       [](const request& r) { return reply(r, 0, bytes(20, 0)); }));
  EXPECT_EQ(connect_and_open(short_negotiate), errc::unexp_net_err);
  fake_server bad_challenge(spoiling(smb2::command::session_setup, 1, [](const request& r) {
    bytes token = challenge_token();
    put32(token, 44, 4000);  // target info beyond the token
    return reply(r, smb2::status_more_processing_required, session_setup_body(token));
  }));
  EXPECT_EQ(connect_and_open(bad_challenge), errc::unexp_net_err);
  fake_server token_outside(spoiling(smb2::command::session_setup, 1, [](const request& r) {
    bytes body = session_setup_body(challenge_token());
    put16(body, 6, 0xFFFF);  // the security buffer runs past the message
    return reply(r, smb2::status_more_processing_required, body);
  }));
  EXPECT_EQ(connect_and_open(token_outside), errc::unexp_net_err);
  fake_server hangs_up(
      spoiling(smb2::command::session_setup, 1, [](const request&) { return bytes{}; }));
  EXPECT_EQ(connect_and_open(hangs_up), errc::unexp_net_err);
  fake_server wrong_id(spoiling(smb2::command::tree_connect, 1, [](const request& r) {
    request other = r;
    other.message_id += 5;
    return reply(other, 0, tree_connect_body());
  }));
  EXPECT_EQ(connect_and_open(wrong_id), errc::unexp_net_err);
}

TEST(Smb2Session, OversizedFramesAreRefusedUnread) {
  fake_server huge([](const request& r) -> std::vector<bytes> {
    if (r.cmd != smb2::command::negotiate) return well_behaved(r);
    bytes m = reply(r, 0, negotiate_body());
    m.resize(smb2::max_message + 1);
    return {m};
  });
  EXPECT_EQ(connect_and_open(huge), errc::unexp_net_err);
}

TEST(Smb2Session, RandomlyCorruptedAnswersNeverCrash) {
  std::mt19937 rng(5);
  for (int i = 0; i < 500; ++i) {
    auto which =
        static_cast<smb2::command>(std::array<int, 4>{0, 1, 3, 5}[static_cast<std::size_t>(i) % 4]);
    int nth = which == smb2::command::session_setup ? 1 + static_cast<int>(rng() % 2) : 1;
    auto seed = rng();
    fake_server corrupt(spoiling(which, nth, [seed](const request& r) {
      std::mt19937 local(seed);
      bytes m = well_behaved(r).front();
      int flips = 1 + static_cast<int>(local() % 8);
      // Anywhere but the protocol id, so that the body's parsers are reached.
      for (int f = 0; f < flips; ++f)
        m[4 + local() % (m.size() - 4)] = static_cast<std::uint8_t>(local());
      if (local() % 4 == 0) m.resize(64 + local() % (m.size() - 63));
      return m;
    }));
    std::error_code ec = connect_and_open(corrupt);
    (void)ec;  // success or any error: only a crash or a hang fails
  }
}

namespace {

// The relay, through pipe_client: the fake server stands for the host.
class Smb2Relay : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("CONDUIT_SMB_USER", "user", 1);
    ::setenv("CONDUIT_SMB_PASSWORD", "secret", 1);
  }
  void TearDown() override {
    ::unsetenv("CONDUIT_SMB_PORT");
    ::unsetenv("CONDUIT_SMB_USER");
    ::unsetenv("CONDUIT_SMB_PASSWORD");
  }
  conduit::pipe_client open(const fake_server& server, std::error_code& ec) {
    ::setenv("CONDUIT_SMB_PORT", server.port().c_str(), 1);
    return conduit::pipe_client::open(R"(\\127.0.0.1\pipe\x)", conduit::pipe_access::duplex, ec);
  }
};

bytes pattern(std::size_t size, std::size_t from = 0) {
  bytes b(size);
  for (std::size_t i = 0; i < size; ++i) b[i] = static_cast<std::uint8_t>((from + i) % 251);
  return b;
}

}  // namespace

// A message of 150,000 bytes comes in three READs, the first two answered
// with STATUS_BUFFER_OVERFLOW: the client reads it as one message. Then a
// short one, as one message too.
TEST_F(Smb2Relay, MessageLongerThanOneReadIsAssembled) {
  auto reads = std::make_shared<int>(0);
  fake_server server([reads](const request& r) -> std::vector<bytes> {
    if (r.cmd != smb2::command::read) return well_behaved(r);
    switch ((*reads)++) {
      case 0:
        return {reply(r, smb2::status_buffer_overflow, read_body(pattern(65536)))};
      case 1:
        return {reply(r, smb2::status_buffer_overflow, read_body(pattern(65536, 65536)))};
      case 2:
        return {reply(r, 0, read_body(pattern(150000 - 131072, 131072)))};
      case 3:
        return {reply(r, 0, read_body(bytes{'o', 'k'}))};
      default:
        return {};  // never answered: the read waits
    }
  });
  std::error_code ec;
  auto client = open(server, ec);
  ASSERT_FALSE(ec) << ec.message();
  client.set_read_mode(conduit::read_mode::message, ec);
  ASSERT_FALSE(ec);
  auto whole = client.read_message(ec);
  ASSERT_FALSE(ec) << ec.message();
  bytes expected = pattern(150000);
  ASSERT_EQ(whole.size(), expected.size());
  EXPECT_EQ(std::memcmp(whole.data(), expected.data(), whole.size()), 0);
  auto next = client.read_message(ec);
  ASSERT_FALSE(ec);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(next.data()), next.size()), "ok");
  EXPECT_EQ(*reads, 4);
  client.close();
}

// A read answer whose data runs past its message: the relay drops the
// connection and the client's read fails; nothing more comes.
TEST_F(Smb2Relay, HostileReadAnswerBreaksThePipe) {
  fake_server server([](const request& r) -> std::vector<bytes> {
    if (r.cmd != smb2::command::read) return well_behaved(r);
    bytes m = reply(r, 0, read_body(bytes{'a', 'b', 'c'}));
    put32(m, 64 + 4, 100000);  // DataLength far beyond the message
    return {m};
  });
  std::error_code ec;
  auto client = open(server, ec);
  ASSERT_FALSE(ec) << ec.message();
  std::vector<std::byte> buffer(64);
  (void)client.read(buffer, ec);
  EXPECT_EQ(ec, errc::broken_pipe);
}

// Bytes come as the server has them, not a byte per SMB read; a write goes
// out while a read waits at the server.
TEST_F(Smb2Relay, ReadsTakeWhatIsThereAndWritesPassAWaitingRead) {
  auto reads = std::make_shared<int>(0);
  auto pending = std::make_shared<request>();
  fake_server server([reads, pending](const request& r) -> std::vector<bytes> {
    if (r.cmd == smb2::command::read) {
      if ((*reads)++ == 0) return {reply(r, 0, read_body(bytes{'a', 'b', 'c', 'd'}))};
      *pending = r;  // answered when the client's write comes
      bytes m = reply(r, smb2::status_pending, read_body({}));
      put32(m, 16, smb2::flag_response | smb2::flag_async);
      return {m};
    }
    if (r.cmd == smb2::command::write) {
      auto answers = well_behaved(r);
      answers.push_back(reply(*pending, 0, read_body(bytes{'e', 'c', 'h', 'o'})));
      return answers;
    }
    return well_behaved(r);
  });
  std::error_code ec;
  auto client = open(server, ec);
  ASSERT_FALSE(ec) << ec.message();
  std::vector<std::byte> buffer(64);
  std::size_t n = client.read(buffer, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(n, 4u);
  auto reading = std::async(std::launch::async, [&client] {
    std::vector<std::byte> b(64);
    std::error_code read_ec;
    std::size_t got = client.read(b, read_ec);
    return read_ec ? std::string("error") : std::string(reinterpret_cast<char*>(b.data()), got);
  });
  // The read has asked and waits at the server; the write still goes out.
  EXPECT_EQ(reading.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout);
  client.write("ping", ec);
  EXPECT_FALSE(ec);
  ASSERT_EQ(reading.wait_for(std::chrono::milliseconds(bound_ms)), std::future_status::ready);
  EXPECT_EQ(reading.get(), "echo");
  EXPECT_EQ(*reads, 2);
  client.close();
}
