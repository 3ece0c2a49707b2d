// libFuzzer target: the real broker loop (src/broker/broker.cpp), in process.
//
// broker_fuzz checks the rules of the tables one request at a time; this
// target runs what sits around them: the loop, with its sends that fail,
// peers dropped while waits are answered, descriptors received and passed
// on, several requests queued on a connection before the loop looks, and
// replies nobody reads, and lanes (attach_lane: the broker's lane threads
// serve what is sent on them). Each input gets a fresh broker in a private folder,
// four peers on socket pairs it adopts (broker::adopt), and its loop run one
// pass at a time without waiting (broker::step(0)). An input is a script of
// steps in broker_fuzz's framing:
//
//   u8 control   bits 0-1: which peer; bits 2-4: descriptors sent with the
//                request (0 none, 1 a sealed instance page, 2 a page and an
//                endpoint, 3 an endpoint, 4 a non-blocking eventfd, 5 a
//                seqpacket socket, 6 five pages, 7 a page and an endpoint
//                whose server end is closed); bit 5: do not run the loop
//                after this step; bit 6: the peer reads what it was sent;
//                bit 7: the request goes on the peer's lane (the seqpacket
//                socket of its last attach_lane) when it has one
//   u8 type      a request type (wire.hpp), or
//                0xF0 the peer hangs up (the next step on it connects anew),
//                0xF1 the peer connects anew with a send buffer so small on
//                     the broker's side that a few replies fill it,
//                0xF2 every server end this input made is closed
//   u16 length   then that many body bytes (what follows the header)
//
// The driver frames the body with a correct header (request id = step
// number). The target aborts when the broker breaks a promise:
//   - it survives every input (AddressSanitizer: no use after free);
//   - every packet it sends a peer decodes as a reply;
//   - once the peers are gone and the broker is destroyed, this process has
//     exactly the descriptors it had before: nothing leaked;
//   - at the end, a new peer's request is still answered.
//
// Build and run: scripts/fuzz.sh [SECONDS].
#include <dirent.h>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "broker/broker.hpp"
#include "core/fd_passing.hpp"
#include "core/instance_page.hpp"
#include "core/wire.hpp"
#include "fuzz_support.hpp"

namespace broker = conduit::broker;
namespace wire = conduit::detail::wire;
using conduit::detail::unique_fd;

using conduit::fuzz::require;
using conduit::fuzz::sealed_page;

namespace {

constexpr std::size_t peer_count = 4;
constexpr std::size_t max_steps = 256;
constexpr std::uint8_t op_hang_up = 0xF0;
constexpr std::uint8_t op_small_buffer = 0xF1;
constexpr std::uint8_t op_close_server_ends = 0xF2;

int open_fd_count() {
  int count = 0;
  DIR* dir = ::opendir("/proc/self/fd");
  require(dir != nullptr, "cannot list /proc/self/fd");
  while (dirent* entry = ::readdir(dir)) count += entry->d_name[0] != '.';
  ::closedir(dir);
  return count;
}

// The broker's folder, made once: on tmpfs when there is one, where the
// pid file's fsync costs nothing.
const std::string& runtime_dir() {
  static const std::string dir = [] {
    std::string base = ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    std::string path = base + "/conduit-loop-fuzz-XXXXXX";
    require(::mkdtemp(path.data()) != nullptr, "cannot make a folder");
    return path;
  }();
  return dir;
}

std::vector<std::byte> frame(std::uint8_t type, std::uint32_t id, std::span<const std::byte> body) {
  std::vector<std::byte> packet(wire::header_size);
  auto put = [&](std::size_t at, std::uint32_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) packet[at + i] = static_cast<std::byte>((v >> (8 * i)) & 0xFF);
  };
  put(0, wire::magic, 4);
  put(4, wire::protocol_version, 2);
  put(6, type, 2);
  put(8, static_cast<std::uint32_t>(wire::header_size + body.size()), 4);
  put(12, id, 4);
  packet.insert(packet.end(), body.begin(), body.end());
  return packet;
}

class harness {
 public:
  explicit harness(broker::broker& b) : broker_(b) {}

  void run(const std::uint8_t* data, std::size_t size) {
    std::size_t at = 0;
    for (std::uint32_t n = 1; n <= max_steps && at + 4 <= size; ++n) {
      std::uint8_t control = data[at];
      std::uint8_t type = data[at + 1];
      std::size_t length = data[at + 2] | (data[at + 3] << 8);
      at += 4;
      length = std::min(length, size - at);
      auto body = std::span(reinterpret_cast<const std::byte*>(data + at), length);
      at += length;
      step(control, type, n, body);
    }
    // Let the loop finish what is queued, then a newcomer must be answered.
    for (int i = 0; i < 4; ++i) loop();
    for (auto& p : peers_) read_replies(p);
    for (auto& l : lanes_) read_replies(l);
    check_newcomer();
  }

 private:
  void step(std::uint8_t control, std::uint8_t type, std::uint32_t n,
            std::span<const std::byte> body) {
    unique_fd& peer = peers_[control & 3];
    unique_fd& lane = lanes_[control & 3];
    if (type == op_hang_up) {
      peer.reset();
      lane.reset();
    } else if (type == op_small_buffer) {
      peer = connect(true);
    } else if (type == op_close_server_ends) {
      server_ends_.clear();
    } else {
      if (!peer) peer = connect(false);
      std::vector<unique_fd> held = descriptors((control >> 2) & 7);
      std::vector<int> fds;
      for (auto& fd : held) fds.push_back(fd.get());
      // More than a packet may carry goes out with a bare sendmsg.
      bool on_lane = (control & 0x80) && lane;
      send_any(on_lane ? lane.get() : peer.get(), frame(type, n, body), fds);
      // Whatever the broker makes of it, this end is the peer's lane now.
      if (!on_lane && type == static_cast<std::uint8_t>(wire::message_type::attach_lane) &&
          last_seqpacket_)
        lane = std::move(last_seqpacket_);
    }
    if (!(control & 0x20)) loop();
    if (control & 0x40) {
      read_replies(peer);
      read_replies(lane);
    }
  }

  unique_fd connect(bool small_buffer) {
    int pair[2];
    require(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, pair) == 0,
            "socketpair");
    if (small_buffer) {
      int size = 1;  // the kernel's minimum
      ::setsockopt(pair[1], SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
    }
    broker_.adopt(unique_fd(pair[1]));
    return unique_fd(pair[0]);
  }

  std::vector<unique_fd> descriptors(int kind) {
    std::vector<unique_fd> fds;
    auto page = [] { return unique_fd(::fcntl(sealed_page(), F_DUPFD_CLOEXEC, 0)); };
    auto endpoint = [&](bool dead) {
      int pair[2];
      require(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) == 0, "socketpair");
      if (dead)
        ::close(pair[0]);
      else
        server_ends_.emplace_back(pair[0]);
      return unique_fd(pair[1]);
    };
    switch (kind) {
      case 1:
        fds.push_back(page());
        break;
      case 2:
        fds.push_back(page());
        fds.push_back(endpoint(false));
        break;
      case 3:
        fds.push_back(endpoint(false));
        break;
      case 4:
        fds.emplace_back(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
        break;
      case 5: {
        int pair[2];
        require(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, pair) == 0,
                "socketpair");
        last_seqpacket_.reset(pair[0]);
        fds.emplace_back(pair[1]);
        break;
      }
      case 6:
        for (int i = 0; i < 5; ++i) fds.push_back(page());
        break;
      case 7:
        fds.push_back(page());
        fds.push_back(endpoint(true));
        break;
      default:
        break;
    }
    return fds;
  }

  static void send_any(int socket, std::span<const std::byte> packet, std::span<const int> fds) {
    // A full queue or a peer already dropped: the script goes on.
    (void)conduit::detail::send_with_descriptors(socket, packet, fds, MSG_DONTWAIT);
  }

  void loop() { require(!broker_.step(0).has_value(), "the broker stopped"); }

  // Everything the broker sent `peer` decodes as a reply.
  static void read_replies(const unique_fd& peer) {
    if (!peer) return;
    std::array<std::byte, wire::max_message_size> buffer;
    for (;;) {
      std::vector<unique_fd> fds;
      std::error_code ec;
      std::size_t n = conduit::detail::receive_packet(peer.get(), buffer, fds, ec, MSG_DONTWAIT);
      if (ec || n == 0) return;
      wire::header h;
      wire::reply r;
      require(!wire::decode_reply(std::span(buffer).first(n), h, r),
              "the broker sent something that is no reply");
    }
  }

  void check_newcomer() {
    unique_fd fd = connect(false);
    auto packet = wire::encode(wire::list_request{}, 1);
    require(!conduit::detail::send_packet(fd.get(), packet, {}), "cannot send to the broker");
    loop();
    std::array<std::byte, wire::max_message_size> buffer;
    std::vector<unique_fd> fds;
    std::error_code ec;
    std::size_t n = conduit::detail::receive_packet(fd.get(), buffer, fds, ec, MSG_DONTWAIT);
    wire::header h;
    wire::reply r;
    require(!ec && n > 0 && !wire::decode_reply(std::span(buffer).first(n), h, r) && r.error == 0,
            "a new peer got no answer");
  }

  broker::broker& broker_;
  std::array<unique_fd, peer_count> peers_;
  std::array<unique_fd, peer_count> lanes_;  // each peer's last attached lane
  unique_fd last_seqpacket_;                 // the other end of the last kind-5 descriptor
  std::vector<unique_fd> server_ends_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)sealed_page();  // made once, before the count
  int before = open_fd_count();
  {
    broker::broker_options options;
    options.runtime_dir = runtime_dir();
    broker::broker b(options);
    require(b.start(), "the broker did not start");
    harness h(b);
    h.run(data, size);
  }
  require(open_fd_count() == before, "a descriptor leaked");
  return 0;
}
