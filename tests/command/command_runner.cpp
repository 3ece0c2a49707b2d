#include "command/command_runner.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace conduit::test {

std::string conduit_command() {
  return CONDUIT_COMMAND;
}

running_command::running_command(const std::vector<std::string>& args, std::string program,
                                 std::vector<std::string> extra_env) {
  process_options po;
  po.program = program.empty() ? conduit_command() : program;
  po.argv = {program.empty() ? std::string("conduit") : program};
  po.argv.insert(po.argv.end(), args.begin(), args.end());
  if (!extra_env.empty()) {
    // The extra entries replace this process's of the same names.
    std::vector<std::string> env = extra_env;
    for (char** e = environ; *e; ++e) {
      std::string_view entry(*e);
      bool replaced = false;
      for (const auto& extra : extra_env)
        replaced |= entry.substr(0, entry.find('=') + 1) == extra.substr(0, extra.find('=') + 1);
      if (!replaced) env.emplace_back(entry);
    }
    po.environment = std::move(env);
  }
  po.std_input = stdio::pipe();
  po.std_output = stdio::pipe();
  po.std_error = stdio::pipe();
  child_ = process::launch(po);
}

running_command::~running_command() {
  if (child_.is_open() && !child_.exit_code()) kill();
}

void running_command::write(const std::string& text) {
  child_.std_input().write(std::as_bytes(std::span(text)));
}

void running_command::close_input() {
  child_.std_input().close();
}

std::string running_command::read_until(const std::string& text, bool from_error,
                                        std::chrono::milliseconds timeout) {
  auto& end = from_error ? child_.std_error() : child_.std_output();
  std::string& seen = from_error ? err_ : out_;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (seen.find(text) == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || !end.wait_readable(left)) {
      ADD_FAILURE() << "no \"" << text << "\" within " << timeout.count() << " ms; got: " << seen;
      break;
    }
    std::byte buffer[4096];
    std::error_code ec;
    std::size_t n = end.read(buffer, ec);
    if (ec || n == 0) {
      ADD_FAILURE() << "output ended before \"" << text << "\"; got: " << seen;
      break;
    }
    seen.append(reinterpret_cast<const char*>(buffer), n);
  }
  return seen;
}

command_result running_command::finish(std::chrono::milliseconds timeout) {
  close_input();
  command_result r;
  std::string out, err;
  std::error_code ec_out, ec_err;
  // Both streams drained at once, so neither fills and blocks the child.
  std::thread drain([&] { err = child_.std_error().read_to_end(timeout, ec_err); });
  out = child_.std_output().read_to_end(timeout, ec_out);
  drain.join();
  auto code = child_.wait(timeout);
  if (!code) {
    ADD_FAILURE() << "the command did not end within " << timeout.count() << " ms";
    kill();
  } else {
    r.status = static_cast<int>(*code);
  }
  r.out = out_ + out;
  r.err = err_ + err;
  return r;
}

void running_command::kill() {
  std::error_code ec;
  child_.terminate(137, ec);
  (void)child_.wait(std::chrono::seconds(10), ec);
}

command_result run_command(const std::vector<std::string>& args, const std::string& input,
                           std::chrono::milliseconds timeout) {
  running_command c(args);
  if (!input.empty()) c.write(input);
  return c.finish(timeout);
}

}  // namespace conduit::test
