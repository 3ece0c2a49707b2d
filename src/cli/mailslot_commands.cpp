// conduit mailslot create, send and info.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "cli/cli_support.hpp"
#include "cli/commands.hpp"
#include "conduit/mailslot.hpp"

namespace conduit::cli {
namespace {

struct create_options {
  std::string name;
  unsigned count = 0;  // 0: without end
  long timeout_ms = -1;
  unsigned max_size = 0;
};

void run_create(const create_options& o) {
  std::string path = mailslot_path(o.name);
  mailslot_options mo;
  mo.max_message_size = o.max_size;
  mo.read_timeout =
      o.timeout_ms < 0 ? mailslot_wait_forever : std::chrono::milliseconds(o.timeout_ms);
  std::error_code ec;
  auto slot = mailslot_server::create(path, mo, ec);
  check(ec, "mailslot create " + path);
  std::fprintf(stderr, "conduit: reading %s\n", path.c_str());
  std::fflush(stderr);
  for (unsigned got = 0; o.count == 0 || got < o.count; ++got) {
    auto message = slot.read_message(ec);
    check(ec, "mailslot read " + path);
    std::fwrite(message.data(), 1, message.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
  }
}

void run_send(const std::string& name, const std::string& data) {
  std::string path = mailslot_path(name);
  std::error_code ec;
  auto writer = mailslot_client::open(path, ec);
  check(ec, "mailslot send " + path);
  writer.write(data, ec);
  check(ec, "mailslot send " + path);
}

void run_info(const std::string& name) {
  std::string path = mailslot_path(name);
  std::error_code ec;
  auto writer = mailslot_client::open(path, ec);
  check(ec, "mailslot info " + path);
  std::printf("name:             %s\n", path.c_str());
  std::printf("max message size: %s\n", writer.max_message_size() == 0
                                            ? "any"
                                            : std::to_string(writer.max_message_size()).c_str());
  std::printf("reader pid:       %u\n", writer.server_process_id());
}

}  // namespace

void add_mailslot_commands(CLI::App& app) {
  auto* slot = app.add_subcommand("mailslot", "Mailslots: create (and read), send, info");
  slot->require_subcommand(1);

  auto c = std::make_shared<create_options>();
  auto* create = slot->add_subcommand("create", "Create a mailslot and print its messages");
  create->add_option("name", c->name, "mailslot name: x or \\\\.\\mailslot\\x")->required();
  create->add_option("--count,-c", c->count, "exit after this many messages");
  create
      ->add_option("--timeout,-t", c->timeout_ms,
                   "fail with ERROR_SEM_TIMEOUT when no message comes for MS")
      ->check(CLI::Range(0L, 0xFFFFFFFEL));
  create->add_option("--max-size", c->max_size, "the largest message it takes (0: any)");
  create->callback([c] { run_create(*c); });

  auto s = std::make_shared<std::pair<std::string, std::string>>();
  auto* send = slot->add_subcommand("send", "Send DATA as one message");
  send->add_option("name", s->first, "mailslot name")->required();
  send->add_option("data", s->second, "the message")->required();
  send->callback([s] { run_send(s->first, s->second); });

  auto i = std::make_shared<std::string>();
  auto* info = slot->add_subcommand("info", "What a writer learns of a mailslot");
  info->add_option("name", *i, "mailslot name")->required();
  info->callback([i] { run_info(*i); });
}

}  // namespace conduit::cli
