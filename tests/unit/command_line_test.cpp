// Windows command lines: split as the Microsoft C runtime does, and join so
// that splitting gives the argv back.
#include "conduit/command_line.hpp"

#include <gtest/gtest.h>

#include <random>

#include "conduit/error.hpp"

namespace conduit {
namespace {

using args = std::vector<std::string>;

// The table in Microsoft's "Parsing C++ command-line arguments": input is
// what follows the program name, output argv[1..].
TEST(CommandLine, MicrosoftDocumentedExamples) {
  EXPECT_EQ(split_arguments(R"("abc" d e)"), (args{"abc", "d", "e"}));
  EXPECT_EQ(split_arguments(R"(a\\\b d"e f"g h)"), (args{R"(a\\\b)", "de fg", "h"}));
  EXPECT_EQ(split_arguments(R"(a\\\"b c d)"), (args{R"(a\"b)", "c", "d"}));
  EXPECT_EQ(split_arguments(R"(a\\\\"b c" d e)"), (args{R"(a\\b c)", "d", "e"}));
  // The 2008 rule: "" inside quotes is a quote, and the quoting goes on.
  EXPECT_EQ(split_arguments(R"(a"b"" c d)"), (args{R"(ab" c d)"}));
}

TEST(CommandLine, SameExamplesAfterAProgramName) {
  EXPECT_EQ(split_command_line(R"(prog.exe a\\\"b c d)"), (args{"prog.exe", R"(a\"b)", "c", "d"}));
  EXPECT_EQ(split_command_line(R"(prog.exe a"b"" c d)"), (args{"prog.exe", R"(ab" c d)"}));
}

TEST(CommandLine, ProgramNameHasNoEscapes) {
  // Backslashes in a path are literal, even before a quote.
  EXPECT_EQ(split_command_line(R"("C:\Program Files\" x)"), (args{R"(C:\Program Files\)", "x"}));
  EXPECT_EQ(split_command_line(R"(C:\dir\a\"b c" d)"), (args{R"(C:\dir\a\b c)", "d"}));
  EXPECT_EQ(split_command_line(R"(a"b c"d e)"), (args{"ab cd", "e"}));
  // An unterminated quote runs to the end.
  EXPECT_EQ(split_command_line(R"("a b)"), (args{"a b"}));
}

TEST(CommandLine, EmptyAndBlankLines) {
  EXPECT_EQ(split_command_line(""), (args{""}));
  // The CRT takes a leading blank as the end of an empty program name.
  EXPECT_EQ(split_command_line(" a b"), (args{"", "a", "b"}));
  EXPECT_EQ(split_command_line("p   \t "), (args{"p"}));
  EXPECT_EQ(split_arguments(""), args{});
  EXPECT_EQ(split_arguments(" \t "), args{});
}

TEST(CommandLine, OnlySpaceAndTabSeparate) {
  EXPECT_EQ(split_arguments("a\tb c\nd\ve"), (args{"a", "b", "c\nd\ve"}));
}

TEST(CommandLine, QuotesAndBackslashes) {
  EXPECT_EQ(split_arguments(R"("")"), (args{""}));
  EXPECT_EQ(split_arguments(R"("" "")"), (args{"", ""}));
  EXPECT_EQ(split_arguments(R"(\")"), (args{R"(")"}));
  EXPECT_EQ(split_arguments(R"(\\)"), (args{R"(\\)"}));
  EXPECT_EQ(split_arguments(R"("\\")"), (args{R"(\)"}));
  EXPECT_EQ(split_arguments(R"("a\"b")"), (args{R"(a"b)"}));
  EXPECT_EQ(split_arguments(R"(a"")"), (args{"a"}));
  EXPECT_EQ(split_arguments(R"(""")"), (args{R"(")"}));
  EXPECT_EQ(split_arguments(R"("""")"), (args{R"(")"}));
  EXPECT_EQ(split_arguments(R"(""""")"), (args{R"("")"}));
  EXPECT_EQ(split_arguments(R"("a b" c)"), (args{"a b", "c"}));
  // A quote closed and reopened mid-word still joins the pieces.
  EXPECT_EQ(split_arguments(R"("a"" b")"), (args{R"(a" b)"}));
  // Quoting that never closes keeps the trailing blank.
  EXPECT_EQ(split_arguments(R"("a )"), (args{"a "}));
  EXPECT_EQ(split_arguments(R"(a\\\\\"b)"), (args{R"(a\\"b)"}));
}

TEST(CommandLine, JoinQuotesOnlyWhatNeedsIt) {
  args plain{"prog", "a", "b-c", R"(C:\dir\)"};
  EXPECT_EQ(join_command_line(plain), R"(prog a b-c C:\dir\)");
  args tricky{"my prog", "two words", "", R"(a"b)", R"(end\)", R"(tail\ x\)", "t\tab"};
  std::string expected = R"("my prog" "two words" "" "a\"b" end\ "tail\ x\\" "t)";
  expected += "\tab\"";
  EXPECT_EQ(join_command_line(tricky), expected);
  std::string out = "x ";
  append_quoted_argument(out, R"(a\\"b)");
  EXPECT_EQ(out, R"(x "a\\\\\"b")");
}

TEST(CommandLine, JoinRefusesWhatCannotRoundTrip) {
  std::error_code ec;
  EXPECT_EQ(join_command_line(args{}, ec), "");
  EXPECT_EQ(ec, errc::invalid_parameter);
  (void)join_command_line(args{R"(pro"g)", "x"}, ec);
  EXPECT_EQ(ec, errc::invalid_parameter);
  (void)join_command_line(args{"p", std::string("a\0b", 3)}, ec);
  EXPECT_EQ(ec, errc::invalid_parameter);
  try {
    (void)join_command_line(args{});
    ADD_FAILURE() << "no exception";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), errc::invalid_parameter);
  }
}

TEST(CommandLine, JoinThenSplitRoundTripsTrickyArgv) {
  const std::vector<args> cases{
      {"p"},
      {""},
      {"p", ""},
      {"p", "", ""},
      {"C:\\Program Files\\app.exe", "x"},
      {"p", "\\"},
      {"p", "\\\\"},
      {"p", "\""},
      {"p", "\"\""},
      {"p", "\\\""},
      {"p", "a b\\"},
      {"p", "a\\\\b c"},
      {"p", "\\\\server\\share\\"},
      {"p", " leading", "trailing ", "\tboth\t"},
      {"p", "new\nline", "v\vtab"},
      {"p", "\"quoted\"", "it's"},
      {"p", "x\"\"y", "\\\"\\\"", "\\\\\""},
  };
  for (const auto& argv : cases) {
    std::string line = join_command_line(argv);
    EXPECT_EQ(split_command_line(line), argv) << "line: " << line;
  }
}

TEST(CommandLine, JoinThenSplitRoundTripsRandomArgv) {
  // The characters that matter to the rules, plus a plain one.
  const std::string alphabet = "a \t\"\\\n";
  std::mt19937 random(20240229);
  for (int round = 0; round < 5000; ++round) {
    args argv;
    std::size_t count = 1 + random() % 5;
    for (std::size_t i = 0; i < count; ++i) {
      std::string arg;
      std::size_t length = random() % 8;
      for (std::size_t j = 0; j < length; ++j) {
        char c = alphabet[random() % alphabet.size()];
        if (i == 0 && c == '"') c = '\\';  // a program name cannot hold a quote
        arg += c;
      }
      argv.push_back(arg);
    }
    std::string line = join_command_line(argv);
    ASSERT_EQ(split_command_line(line), argv) << "line: [" << line << "]";
  }
}

}  // namespace
}  // namespace conduit
