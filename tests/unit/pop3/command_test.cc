// The POP3 command parser (pop3/command.h): keywords in any case, the
// arguments each command takes, and a helpful text for everything else.

#include "pop3/command.h"

#include <gtest/gtest.h>

namespace hm::pop3 {
namespace {

Command ok(std::string_view line) {
  auto r = parse_command(line);
  EXPECT_TRUE(std::holds_alternative<Command>(r)) << line;
  return std::holds_alternative<Command>(r) ? std::get<Command>(r) : Command{};
}

std::string error(std::string_view line) {
  auto r = parse_command(line);
  EXPECT_TRUE(std::holds_alternative<ParseError>(r)) << line;
  return std::holds_alternative<ParseError>(r) ? std::get<ParseError>(r).text : "";
}

TEST(Pop3Command, KeywordsInAnyCase) {
  EXPECT_EQ(ok("stat").verb, Verb::kStat);
  EXPECT_EQ(ok("Uidl").verb, Verb::kUidl);
  EXPECT_EQ(ok("top 1 0").verb, Verb::kTop);
  EXPECT_EQ(error("STATS"), "Unknown command STATS");
  EXPECT_EQ(error("XYZ\x01"), "Unknown command XYZ?");
  EXPECT_EQ(error(""), "Empty command; send CAPA for the commands this server knows");
  EXPECT_EQ(error(" STAT"), "Empty command; send CAPA for the commands this server knows");
}

TEST(Pop3Command, PassKeepsTheRestOfTheLine) {
  EXPECT_EQ(ok("PASS  two  spaces ").text, " two  spaces ");
  EXPECT_EQ(error("PASS"), "Syntax: PASS <password>");
  EXPECT_EQ(ok("USER john@example.org").text, "john@example.org");
  EXPECT_EQ(error("USER a b"), "Syntax: USER <name>");
}

TEST(Pop3Command, MessageNumbers) {
  EXPECT_EQ(*ok("RETR 7").message, 7u);
  EXPECT_EQ(*ok("LIST  4294967295").message, 4294967295u);
  EXPECT_FALSE(ok("LIST").message);
  EXPECT_EQ(error("RETR 0"), "Invalid message number 0");
  EXPECT_EQ(error("RETR -1"), "Invalid message number -1");
  EXPECT_EQ(error("RETR 4294967296"), "Invalid message number 4294967296");
  EXPECT_EQ(error("RETR 12345678901"), "Invalid message number 12345678901");
  EXPECT_EQ(error("DELE"), "Syntax: DELE <message number>");
  EXPECT_EQ(error("UIDL 1 2"), "Syntax: UIDL [<message number>]");
  EXPECT_EQ(error("TOP 1 99999999999"), "Invalid line count 99999999999");
}

TEST(Pop3Command, TopNeedsBoth) {
  Command c = ok("TOP 2 10");
  EXPECT_EQ(*c.message, 2u);
  EXPECT_EQ(c.lines, 10u);
  EXPECT_EQ(error("TOP 2"), "Syntax: TOP <message number> <lines>");
  EXPECT_EQ(error("TOP 2 x"), "Invalid line count x");
  EXPECT_EQ(ok("TOP 1 4294967295").lines, 4294967295u);
}

TEST(Pop3Command, AuthWithAndWithoutInitialResponse) {
  Command c = ok("AUTH plain AGpvaG4AcHc=");
  EXPECT_EQ(c.text, "PLAIN");
  EXPECT_EQ(*c.initial_response, "AGpvaG4AcHc=");
  EXPECT_FALSE(ok("AUTH LOGIN").initial_response);
  EXPECT_EQ(ok("AUTH").text, "");
  EXPECT_EQ(error("AUTH a b c"), "Syntax: AUTH [<mechanism> [<initial response>]]");
}

TEST(Pop3Command, NoArgumentsWhereNoneBelong) {
  EXPECT_EQ(error("STAT 1"), "Syntax: STAT takes no arguments");
  EXPECT_EQ(error("QUIT now"), "Syntax: QUIT takes no arguments");
  EXPECT_EQ(ok("NOOP ").verb, Verb::kNoop);  // a trailing space is forgiven
}

}  // namespace
}  // namespace hm::pop3
