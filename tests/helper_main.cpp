// conduit_test_helper: a second process that tests drive line by line.
//
// Each input line is a command; each gets exactly one answer line:
// "ok [value]" or "err <win32 code>". Objects are named by the test (s1, c1).
//
//   create ID NAME [dir=in|out|duplex] [max=N] [timeout=MS] [first=1]
//                  [type=byte|message] [mode=byte|message] [out=N] [in=N] [sd=SDDL]
//   open ID NAME [access=r|w|rw|none]
//   connect ID [TIMEOUT_MS]         -> ok connected | ok already
//   disconnect ID | close ID
//   write ID TEXT                   -> ok BYTES
//   fill ID BYTES                   -> writes BYTES bytes of 'x'
//   read ID MAX                     -> ok TEXT (what one read returned)
//   readall ID                      -> reads until an error: ok TOTAL_BYTES ERROR
//   readall-bytes ID N              -> reads until N bytes came: ok N
//   client-pid ID | server-pid ID | pid
//   wait NAME MS                    -> WaitNamedPipe
//   echo-server NAME INSTANCES TOTAL [type=message] [sd=SDDL] -> creates INSTANCES
//                                      instances that echo until TOTAL clients
//                                      were served (a message pipe echoes
//                                      message by message)
//   read-mode ID byte|message       -> sets the handle's read mode
//   stress-write ID WRITERS COUNT SEED -> WRITERS threads write COUNT messages
//                                      each (see stress_message)
//   echo-join                       -> waits for them: ok SERVED
//   fds                             -> ok NUMBER_OF_OPEN_DESCRIPTORS
//   fd-exhaust FREE                 -> lowers RLIMIT_NOFILE and fills descriptors
//                                      until only FREE more can be opened
//   fd-restore                      -> closes them and restores the limit
//   slot-create ID NAME [max=N] [timeout=MS|forever] [sd=SDDL] -> a mailslot_server
//   slot-open ID NAME               -> a mailslot_client
//   slot-write ID [TEXT]            -> one message (empty without TEXT): ok BYTES
//   slot-fill ID BYTES              -> one message of BYTES bytes of 'x': ok BYTES
//   slot-read ID MAX                -> ok TEXT (one message, MAX-byte buffer)
//   slot-info ID                    -> ok MAX NEXT COUNT TIMEOUT_MS (NEXT: none or a size)
//   slot-burst ID WRITER COUNT SEED -> writes mailslot_message(SEED, WRITER, 0..COUNT-1)
//   slot-close ID
//   slot-attack KIND ...            -> a hostile writer (helper_slot_attacks.cpp)
//   event-create ID NAME [manual] [set] [sd=SDDL] [access=HEX]
//                                   -> CreateEventA (CreateEventExA with access or
//                                      sd): ok created | ok existed
//   event-open ID NAME [access=HEX] -> OpenEventA (EVENT_ALL_ACCESS by default)
//   event-set ID | event-reset ID
//   event-wait ID MS [DONE_ID]      -> ok signalled | ok timeout; a signalled
//                                      wait then sets event DONE_ID
//   event-close ID
//   w32-pipe ID NAME OPEN_MODE_HEX  -> CreateNamedPipeA (byte pipe, 4 instances)
//   w32-open ID NAME ACCESS_HEX     -> CreateFileA
//   w32-get-dacl ID                 -> GetSecurityInfo: ok SDDL (the DACL)
//   w32-set-dacl ID SDDL            -> SetSecurityInfo with the DACL of SDDL
//   w32-close ID
//   mutex-create ID NAME [owned] [sd=SDDL] [access=HEX]  -> CreateMutexExA:
//                                      ok created | ok existed
//   mutex-open ID NAME [access=HEX] -> OpenMutexA (MUTEX_ALL_ACCESS by default)
//   mutex-wait ID MS                -> ok signalled | ok abandoned | ok timeout
//   mutex-release ID | mutex-close ID
//   sem-create ID NAME INITIAL MAX [sd=SDDL] [access=HEX] -> CreateSemaphoreExA
//   sem-open ID NAME [access=HEX]   -> OpenSemaphoreA
//   sem-wait ID MS                  -> ok signalled | ok timeout
//   sem-release ID COUNT            -> ok PREVIOUS_COUNT
//   sem-close ID
//   sync-exit-process CODE          -> ExitProcess(CODE), owning what it owns
//   sync-exit CODE                  -> exit(CODE), as a return from main
//   exit
// A command written "& CMD" runs on a thread of its own, and its answer comes
// later as "& ANSWER", so a test can keep talking while it blocks.
// The helper exits when its input ends.
#include <fcntl.h>
#include <grp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <csignal>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "conduit/error.hpp"
#include "conduit/mailslot.hpp"
#include "conduit/pipe_client.hpp"
#include "conduit/pipe_server.hpp"
#include "helper_events.hpp"
#include "helper_security.hpp"
#include "helper_slot_attacks.hpp"
#include "helper_sync.hpp"
#include "runtime/broker_link.hpp"
#include "support/mailslot_message.hpp"
#include "support/stress_message.hpp"

namespace {

std::map<std::string, conduit::pipe_server> servers;
std::map<std::string, conduit::pipe_client> clients;
std::map<std::string, conduit::mailslot_server> slots;
std::map<std::string, conduit::mailslot_client> slot_writers;

std::string result(const std::error_code& ec, const std::string& value = "") {
  if (ec) return "err " + std::to_string(ec.value());
  return value.empty() ? "ok" : "ok " + value;
}

std::string option(const std::vector<std::string>& words, const std::string& key,
                   const std::string& fallback) {
  for (const auto& w : words)
    if (w.rfind(key + "=", 0) == 0) return w.substr(key.size() + 1);
  return fallback;
}

template <typename F>
std::string with_end(const std::string& id, F&& f) {
  if (auto s = servers.find(id); s != servers.end()) return f(s->second);
  if (auto c = clients.find(id); c != clients.end()) return f(c->second);
  return "err 6";
}

// The echo servers of "echo-server": each instance serves one client after
// another until the shared count is reached.
std::vector<std::thread> echo_threads;
std::deque<conduit::pipe_server> echo_servers;
std::atomic<int> echo_served{0};

void echo_instance(conduit::pipe_server& server, int total) {
  std::array<std::byte, 4096> buffer;
  while (echo_served.load() < total) {
    std::error_code ec;
    server.connect(std::chrono::seconds(30), ec);
    if (ec && ec != conduit::errc::no_data) return;
    while (!ec) {
      std::size_t n = server.read(buffer, ec);
      if (!ec) server.write(std::span(buffer).first(n), ec);
    }
    server.disconnect(ec);
    // The last one served closes every instance, waking those still in connect().
    if (++echo_served == total)
      for (auto& each : echo_servers) each.close();
  }
}

int count_fds() {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    (void)entry;
    ++count;
  }
  // The iterator's own, and the broker lanes (as test::open_fd_count).
  return count - 1 - static_cast<int>(conduit::detail::broker_link::get().lane_count());
}

// What "fd-exhaust" holds, and the limit it lowered.
std::vector<int> fd_filler;
rlimit saved_fd_limit{};

std::string exhaust_fds(int free_slots) {
  if (::getrlimit(RLIMIT_NOFILE, &saved_fd_limit) != 0) return "err 1";
  int highest = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd"))
    highest = std::max(highest, std::stoi(entry.path().filename().string()));
  rlimit low{static_cast<rlim_t>(highest + 16), saved_fd_limit.rlim_max};
  if (::setrlimit(RLIMIT_NOFILE, &low) != 0) return "err 1";
  for (int fd; (fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0;) fd_filler.push_back(fd);
  for (int i = 0; i < free_slots && !fd_filler.empty(); ++i) {
    ::close(fd_filler.back());
    fd_filler.pop_back();
  }
  return "ok";
}

std::string restore_fds() {
  for (int fd : fd_filler) ::close(fd);
  fd_filler.clear();
  return ::setrlimit(RLIMIT_NOFILE, &saved_fd_limit) == 0 ? "ok" : "err 1";
}

// The mailslot commands ("slot-...").
std::string run_slot(const std::vector<std::string>& w) {
  const std::string& cmd = w[0];
  const std::string& id = w[1];
  std::error_code ec;
  if (cmd == "slot-create" && w.size() >= 3) {
    conduit::mailslot_options o;
    o.max_message_size = static_cast<std::uint32_t>(std::stoul(option(w, "max", "0")));
    std::string timeout = option(w, "timeout", "forever");
    o.read_timeout = timeout == "forever" ? conduit::mailslot_wait_forever
                                          : std::chrono::milliseconds(std::stoll(timeout));
    o.security_descriptor = option(w, "sd", "");
    slots[id] = conduit::mailslot_server::create(w[2], o, ec);
    if (ec) slots.erase(id);
    return result(ec);
  }
  if (cmd == "slot-open" && w.size() >= 3) {
    slot_writers[id] = conduit::mailslot_client::open(w[2], ec);
    if (ec) slot_writers.erase(id);
    return result(ec);
  }
  if (cmd == "slot-close") {
    if (!slots.erase(id) && !slot_writers.erase(id)) return "err 6";
    return "ok";
  }
  if (auto s = slots.find(id); s != slots.end()) {
    if (cmd == "slot-read" && w.size() >= 3) {
      std::vector<std::byte> buffer(std::stoul(w[2]));
      std::size_t n = s->second.read(buffer, ec);
      return result(ec, std::string(reinterpret_cast<const char*>(buffer.data()), n));
    }
    if (cmd == "slot-info") {
      auto info = s->second.info(ec);
      if (ec) return result(ec);
      return "ok " + std::to_string(info.max_message_size) + " " +
             (info.next_size ? std::to_string(*info.next_size) : std::string("none")) + " " +
             std::to_string(info.message_count) + " " + std::to_string(info.read_timeout.count());
    }
  }
  if (auto c = slot_writers.find(id); c != slot_writers.end()) {
    if (cmd == "slot-write") {
      std::string text = w.size() >= 3 ? w[2] : std::string();
      return result(ec, std::to_string(c->second.write(text, ec)));
    }
    if (cmd == "slot-fill" && w.size() >= 3) {
      std::string data(std::stoul(w[2]), 'x');
      return result(ec, std::to_string(c->second.write(data, ec)));
    }
    if (cmd == "slot-burst" && w.size() >= 5) {
      auto writer = static_cast<std::uint32_t>(std::stoul(w[2]));
      auto count = static_cast<std::uint32_t>(std::stoul(w[3]));
      auto seed = static_cast<std::uint32_t>(std::stoul(w[4]));
      for (std::uint32_t seq = 0; seq < count && !ec; ++seq)
        c->second.write(conduit::test::mailslot_message(seed, writer, seq), ec);
      return result(ec);
    }
  }
  return "err 6";
}

std::string run(const std::vector<std::string>& w) {
  const std::string& cmd = w[0];
  std::error_code ec;
  if (cmd == "pid") return "ok " + std::to_string(::getpid());
  if (cmd == "fds") return "ok " + std::to_string(count_fds());
  if (cmd == "fd-exhaust" && w.size() >= 2) return exhaust_fds(std::stoi(w[1]));
  if (cmd == "fd-restore") return restore_fds();
  if (cmd == "echo-join") {
    for (auto& t : echo_threads) t.join();
    echo_threads.clear();
    echo_servers.clear();
    return "ok " + std::to_string(echo_served.load());
  }
  if (w.size() < 2) return "err 87";
  const std::string& id = w[1];
  if (cmd == "create" && w.size() >= 3) {
    conduit::pipe_options o;
    std::string dir = option(w, "dir", "duplex");
    o.direction = dir == "in"    ? conduit::pipe_direction::inbound
                  : dir == "out" ? conduit::pipe_direction::outbound
                                 : conduit::pipe_direction::duplex;
    o.max_instances = std::stoul(option(w, "max", "255"));
    o.default_timeout = std::chrono::milliseconds(std::stoul(option(w, "timeout", "0")));
    o.first_instance = option(w, "first", "0") == "1";
    o.type = option(w, "type", "byte") == "message" ? conduit::pipe_type::message
                                                    : conduit::pipe_type::byte;
    o.mode = option(w, "mode", "byte") == "message" ? conduit::read_mode::message
                                                    : conduit::read_mode::byte;
    o.out_buffer_size = std::stoul(option(w, "out", "0"));
    o.in_buffer_size = std::stoul(option(w, "in", "0"));
    o.security_descriptor = option(w, "sd", "");
    servers[id] = conduit::pipe_server::create(w[2], o, ec);
    if (ec) servers.erase(id);
    return result(ec);
  }
  if (cmd == "echo-server" && w.size() >= 4) {
    int instances = std::stoi(w[2]);
    int total = std::stoi(w[3]);
    conduit::pipe_options o;
    o.max_instances = static_cast<std::uint32_t>(instances);
    if (option(w, "type", "byte") == "message") {
      o.type = conduit::pipe_type::message;
      o.mode = conduit::read_mode::message;
    }
    o.security_descriptor = option(w, "sd", "");
    for (int i = 0; i < instances; ++i) {
      echo_servers.push_back(conduit::pipe_server::create(w[1], o, ec));
      if (ec) return result(ec);
    }
    for (auto& server : echo_servers)
      echo_threads.emplace_back(echo_instance, std::ref(server), total);
    return "ok";
  }
  if (cmd == "open" && w.size() >= 3) {
    std::string a = option(w, "access", "rw");
    auto access = a == "r"      ? conduit::pipe_access::read
                  : a == "w"    ? conduit::pipe_access::write
                  : a == "none" ? conduit::pipe_access::none
                                : conduit::pipe_access::duplex;
    clients[id] = conduit::pipe_client::open(w[2], access, ec);
    if (ec) clients.erase(id);
    return result(ec);
  }
  if (cmd == "wait" && w.size() >= 3) {
    conduit::wait_named_pipe(w[1], std::chrono::milliseconds(std::stol(w[2])), ec);
    return result(ec);
  }
  if (cmd == "read-mode" && w.size() >= 3) {
    auto mode = w[2] == "message" ? conduit::read_mode::message : conduit::read_mode::byte;
    return with_end(id, [&](auto& end) {
      end.set_read_mode(mode, ec);
      return result(ec);
    });
  }
  if (cmd == "stress-write" && w.size() >= 5) {
    int writers = std::stoi(w[2]);
    int count = std::stoi(w[3]);
    std::uint32_t seed = static_cast<std::uint32_t>(std::stoul(w[4]));
    return with_end(id, [&](auto& end) {
      std::atomic<int> failures{0};
      std::vector<std::thread> threads;
      for (int writer = 0; writer < writers; ++writer) {
        threads.emplace_back([&, writer] {
          for (int seq = 0; seq < count; ++seq) {
            auto message = conduit::test::stress_message(seed, writer, seq);
            std::error_code write_ec;
            if (end.write(message, write_ec) != message.size() || write_ec) ++failures;
          }
        });
      }
      for (auto& t : threads) t.join();
      return failures ? std::string("err failures ") + std::to_string(failures.load())
                      : std::string("ok");
    });
  }
  if (cmd == "connect") {
    auto s = servers.find(id);
    if (s == servers.end()) return "err 6";
    auto timeout = std::chrono::milliseconds(w.size() > 2 ? std::stol(w[2]) : -1);
    auto status = s->second.connect(timeout, ec);
    return result(ec, status == conduit::connect_status::connected ? "connected" : "already");
  }
  if (cmd == "disconnect") {
    auto s = servers.find(id);
    if (s == servers.end()) return "err 6";
    s->second.disconnect(ec);
    return result(ec);
  }
  if (cmd == "close") {
    if (!servers.erase(id) && !clients.erase(id)) return "err 6";
    return "ok";
  }
  if (cmd == "write" && w.size() >= 3) {
    return with_end(id, [&](auto& end) {
      return result(ec, std::to_string(end.write(std::as_bytes(std::span(w[2])), ec)));
    });
  }
  if (cmd == "fill" && w.size() >= 3) {
    std::string data(std::stoul(w[2]), 'x');
    return with_end(id, [&](auto& end) {
      return result(ec, std::to_string(end.write(std::as_bytes(std::span(data)), ec)));
    });
  }
  if (cmd == "read" && w.size() >= 3) {
    std::vector<std::byte> buffer(std::stoul(w[2]));
    return with_end(id, [&](auto& end) {
      std::size_t n = end.read(buffer, ec);
      return result(ec, std::string(reinterpret_cast<const char*>(buffer.data()), n));
    });
  }
  if (cmd == "peek") {
    return with_end(id, [&](auto& end) {
      std::array<std::byte, 1> buffer;
      auto seen = end.peek(buffer, ec);
      return result(ec, std::to_string(seen.bytes_available));
    });
  }
  if (cmd == "readall-bytes" && w.size() >= 3) {
    std::size_t want = std::stoul(w[2]);
    return with_end(id, [&](auto& end) {
      std::vector<std::byte> buffer(want);
      std::size_t total = 0;
      while (!ec && total < want) total += end.read(std::span(buffer).subspan(total), ec);
      return result(ec, std::to_string(total));
    });
  }
  if (cmd == "readall") {
    return with_end(id, [&](auto& end) {
      std::array<std::byte, 65536> buffer;
      std::size_t total = 0;
      while (!ec) total += end.read(buffer, ec);
      return "ok " + std::to_string(total) + " " + std::to_string(ec.value());
    });
  }
  if (cmd == "client-pid") {
    return with_end(id, [&](auto& end) {
      std::uint32_t pid;
      if constexpr (std::is_same_v<std::decay_t<decltype(end)>, conduit::pipe_server>)
        pid = end.client_process_id(ec);
      else
        pid = end.client_process_id();
      return result(ec, std::to_string(pid));
    });
  }
  if (cmd == "server-pid")
    return with_end(id, [&](auto& end) { return "ok " + std::to_string(end.server_process_id()); });
  if (cmd == "slot-attack") return run_slot_attack(w);
  if (cmd.rfind("slot-", 0) == 0) return run_slot(w);
  if (cmd.rfind("event-", 0) == 0) return run_event(w);
  if (cmd.rfind("mutex-", 0) == 0 || cmd.rfind("sem-", 0) == 0 || cmd.rfind("sync-exit", 0) == 0)
    return run_sync(w);
  if (cmd.rfind("w32-", 0) == 0) return run_w32_security(w);
  return "err 1";
}

std::mutex output_mutex;

void answer(const std::string& line) {
  std::lock_guard lock(output_mutex);
  std::cout << line << std::endl;
}

std::string run_safely(const std::vector<std::string>& words) {
  try {
    return run(words);
  } catch (const std::exception& e) {
    return std::string("err exception ") + e.what();
  }
}

}  // namespace

// `--become UID:GID:GROUPS` (GROUPS comma-separated, "-" for none): the
// helper starts as the test (root) and becomes that user before anything
// else, so that it runs from a build folder other users cannot reach.
bool become_from_arguments(int argc, char** argv) {
  if (argc < 3 || std::string_view(argv[1]) != "--become") return true;
  std::istringstream in(argv[2]);
  std::string uid, gid, list;
  if (!std::getline(in, uid, ':') || !std::getline(in, gid, ':') || !std::getline(in, list))
    return false;
  std::vector<gid_t> groups;
  if (list != "-") {
    std::istringstream items(list);
    for (std::string item; std::getline(items, item, ',');)
      groups.push_back(static_cast<gid_t>(std::stoul(item)));
  }
  auto u = static_cast<uid_t>(std::stoul(uid));
  auto g = static_cast<gid_t>(std::stoul(gid));
  return ::setgroups(groups.size(), groups.data()) == 0 && ::setresgid(g, g, g) == 0 &&
         ::setresuid(u, u, u) == 0;
}

int main(int argc, char** argv) {
  if (!become_from_arguments(argc, argv)) return 126;
  // Die with the test that drives us, so that a test killed for a timeout
  // leaves nothing behind that holds its output open. (After the change of
  // user, which clears this setting.)
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() == 1) return 1;
  std::string line;
  std::vector<std::thread> background;
  while (std::getline(std::cin, line)) {
    std::istringstream in(line);
    std::vector<std::string> words;
    for (std::string word; in >> word;) words.push_back(word);
    if (words.empty()) continue;
    if (words[0] == "exit") break;
    if (words[0] == "&" && words.size() > 1) {
      words.erase(words.begin());
      background.emplace_back([words] { answer("& " + run_safely(words)); });
      continue;
    }
    answer(run_safely(words));
  }
  // Commands still running in the background (a connect nobody answers)
  // must not keep the helper alive once its test is done with it.
  std::cout.flush();
  std::_Exit(0);
}
