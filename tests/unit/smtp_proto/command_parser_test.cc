#include "smtp/proto/command_parser.h"

#include <gtest/gtest.h>

#include <string>

namespace hm::smtp::proto {
namespace {

// Parses a line that must succeed.
Command ok(std::string_view line, const ParseOptions& options = {}) {
  auto r = parse_command(line, options);
  if (auto* reply = std::get_if<Reply>(&r)) {
    ADD_FAILURE() << "\"" << line << "\" rejected: " << format(*reply);
    return {};
  }
  return std::get<Command>(r);
}

// Parses a line that must fail; returns "code enhanced".
std::string err(std::string_view line, const ParseOptions& options = {}) {
  auto r = parse_command(line, options);
  if (std::holds_alternative<Command>(r)) {
    ADD_FAILURE() << "\"" << line << "\" accepted";
    return {};
  }
  const Reply& reply = std::get<Reply>(r);
  EXPECT_EQ(reply.lines.size(), 1u);
  EXPECT_FALSE(reply.lines.empty() || reply.lines[0].empty());
  return std::to_string(reply.code) + " " + reply.enhanced;
}

std::string err_text(std::string_view line, const ParseOptions& options = {}) {
  auto r = parse_command(line, options);
  if (!std::holds_alternative<Reply>(r)) return "(accepted)";
  return format(std::get<Reply>(r));
}

TEST(CommandParserTest, VerbsAreCaseInsensitive) {
  EXPECT_EQ(ok("ehlo client.example").verb, Verb::kEhlo);
  EXPECT_EQ(ok("EhLo client.example").verb, Verb::kEhlo);
  EXPECT_EQ(ok("data").verb, Verb::kData);
  EXPECT_EQ(ok("Quit").verb, Verb::kQuit);
  EXPECT_EQ(ok("starttls").verb, Verb::kStartTls);
  EXPECT_EQ(ok("mail from:<a@b.example>").verb, Verb::kMail);
}

TEST(CommandParserTest, UnknownAndEmptyLines) {
  EXPECT_EQ(err(""), "500 5.5.2");
  EXPECT_EQ(err("FOO bar"), "500 5.5.2");
  EXPECT_EQ(err("MAILFROM:<a@b>"), "500 5.5.2");
  EXPECT_EQ(err(" MAIL FROM:<a@b>"), "500 5.5.2");
  EXPECT_EQ(err_text("XYZZY"), "500 5.5.2 Syntax error: command not recognized\r\n");
}

TEST(CommandParserTest, ControlCharactersAndNul) {
  EXPECT_EQ(err(std::string_view("NOOP\0", 5)), "500 5.5.2");
  EXPECT_EQ(err(std::string_view("MAIL FROM:<a\0b@c.example>", 25)), "500 5.5.2");
  EXPECT_EQ(err("NOOP\r"), "500 5.5.2");
  EXPECT_EQ(err("NOOP a\nb"), "500 5.5.2");
  EXPECT_EQ(err("HELO\tclient"), "500 5.5.2");
  EXPECT_EQ(err("NOOP \x7f"), "500 5.5.2");
}

TEST(CommandParserTest, LineLength) {
  const std::string noop = "NOOP " + std::string(993, 'x');  // 998 octets
  EXPECT_EQ(ok(noop).argument.size(), 993u);
  EXPECT_EQ(err(noop + "x"), "500 5.5.2");
  ParseOptions small;
  small.max_line_length = 20;
  EXPECT_EQ(err("NOOP 12345678901234567", small), "500 5.5.2");
  // AUTH carries an initial response and has its own, larger limit.
  const std::string auth = "AUTH PLAIN " + std::string(4000, 'A');
  EXPECT_EQ(ok(auth).argument.size(), 4006u);
  EXPECT_EQ(err("NOOP " + std::string(4000, 'A')), "500 5.5.2");
  EXPECT_EQ(err("AUTH PLAIN " + std::string(20000, 'A')), "500 5.5.2");
}

TEST(CommandParserTest, Hello) {
  EXPECT_EQ(ok("HELO client.example").argument, "client.example");
  EXPECT_EQ(ok("EHLO [192.0.2.1]").argument, "[192.0.2.1]");
  EXPECT_EQ(ok("EHLO [IPv6:2001:db8::1]").argument, "[IPv6:2001:db8::1]");
  EXPECT_EQ(ok("EHLO   client.example  ").argument, "client.example");
  EXPECT_EQ(ok("EHLO my_pc").argument, "my_pc");          // Windows host names
  EXPECT_EQ(ok("EHLO 192.0.2.1").argument, "192.0.2.1");  // bare IP, common
  EXPECT_EQ(ok("EHLO bücher.example").argument, "bücher.example");
  ParseOptions ascii;
  ascii.smtputf8 = false;
  EXPECT_EQ(err("EHLO bücher.example", ascii), "501 5.5.4");
  EXPECT_EQ(err("EHLO"), "501 5.5.4");
  EXPECT_EQ(err("HELO "), "501 5.5.4");
  EXPECT_EQ(err_text("HELO"), "501 5.5.4 Syntax: HELO hostname\r\n");
  EXPECT_EQ(err("EHLO two words"), "501 5.5.4");
  EXPECT_EQ(err("EHLO bad..example"), "501 5.5.4");
  EXPECT_EQ(err("EHLO -bad.example"), "501 5.5.4");
  EXPECT_EQ(err("EHLO [300.1.1.1]"), "501 5.5.4");
  EXPECT_EQ(err("EHLO [IPv6:zz::1]"), "501 5.5.4");
  EXPECT_EQ(err("EHLO [192.0.2.1"), "501 5.5.4");
}

TEST(CommandParserTest, MailFrom) {
  Command c = ok("MAIL FROM:<user@example.com>");
  EXPECT_EQ(c.verb, Verb::kMail);
  EXPECT_EQ(c.path, "user@example.com");
  EXPECT_TRUE(c.params.empty());
  EXPECT_EQ(c.size, 0u);
  EXPECT_EQ(ok("mail from:<User@Example.COM>").path, "User@Example.COM");
}

TEST(CommandParserTest, MailToleratesSpacesLikePostfix) {
  EXPECT_EQ(ok("MAIL FROM: <user@example.com>").path, "user@example.com");
  EXPECT_EQ(ok("MAIL   FROM:<user@example.com>   ").path, "user@example.com");
  EXPECT_EQ(ok("MAIL FROM:<user@example.com>  SIZE=10   BODY=8bitmime").params.size(), 2u);
}

TEST(CommandParserTest, NullSender) {
  const Command c = ok("MAIL FROM:<>");
  EXPECT_EQ(c.path, "");
  EXPECT_EQ(ok("MAIL FROM:<> SIZE=100").size, 100u);
  EXPECT_EQ(err("RCPT TO:<>"), "501 5.1.3");
}

TEST(CommandParserTest, SourceRouteDropped) {
  EXPECT_EQ(ok("MAIL FROM:<@a.example,@b.example:user@d.example>").path, "user@d.example");
  EXPECT_EQ(ok("RCPT TO:<@relay.example:user@d.example>").path, "user@d.example");
  EXPECT_EQ(ok("RCPT TO:<@[IPv6:2001:db8::1]:user@d.example>").path, "user@d.example");
  EXPECT_EQ(err("RCPT TO:<@relay.example user@d.example>"), "501 5.1.3");
  EXPECT_EQ(err("RCPT TO:<@relay.example:>"), "501 5.1.3");
  EXPECT_EQ(err("MAIL FROM:<@,@b:user@d.example>"), "501 5.1.7");
}

TEST(CommandParserTest, MailParameters) {
  Command c = ok("MAIL FROM:<a@b.example> SIZE=12345 BODY=8BITMIME SMTPUTF8");
  ASSERT_EQ(c.params.size(), 3u);
  EXPECT_EQ(c.size, 12345u);
  ASSERT_NE(c.param("SIZE"), nullptr);
  EXPECT_EQ(*c.param("SIZE"), "12345");
  EXPECT_EQ(*c.param("BODY"), "8BITMIME");
  EXPECT_EQ(*c.param("SMTPUTF8"), "");
  EXPECT_EQ(c.param("AUTH"), nullptr);

  c = ok("MAIL FROM:<a@b.example> size=7 body=7bit smtputf8");
  EXPECT_EQ(c.size, 7u);
  EXPECT_EQ(*c.param("BODY"), "7BIT");
  EXPECT_NE(c.param("SMTPUTF8"), nullptr);

  c = ok("MAIL FROM:<a@b.example> AUTH=<>");
  EXPECT_EQ(*c.param("AUTH"), "<>");
  // Too large for the type: saturates, so any limit rejects it.
  EXPECT_EQ(ok("MAIL FROM:<a@b.example> SIZE=99999999999999999999999").size, ULLONG_MAX);
}

TEST(CommandParserTest, BadMailParameters) {
  EXPECT_EQ(err("MAIL FROM:<a@b.example> SIZE=abc"), "501 5.5.4");
  EXPECT_EQ(err("MAIL FROM:<a@b.example> SIZE="), "501 5.5.4");
  EXPECT_EQ(err("MAIL FROM:<a@b.example> SIZE"), "501 5.5.4");
  EXPECT_EQ(err("MAIL FROM:<a@b.example> SIZE=-1"), "501 5.5.4");
  EXPECT_EQ(err("MAIL FROM:<a@b.example> BODY=BINARYMIME"), "555 5.5.4");
  EXPECT_EQ(err("MAIL FROM:<a@b.example> BODY"), "501 5.5.4");
  EXPECT_EQ(err("MAIL FROM:<a@b.example> SMTPUTF8=yes"), "501 5.5.4");
  EXPECT_EQ(err("MAIL FROM:<a@b.example> SIZE=1 SIZE=2"), "501 5.5.4");
  EXPECT_EQ(err("MAIL FROM:<a@b.example> =x"), "501 5.5.4");
  EXPECT_EQ(err("MAIL FROM:<a@b.example> -X=1"), "501 5.5.4");
  EXPECT_EQ(err("MAIL FROM:<a@b.example>SIZE=1"), "501 5.5.4");
  EXPECT_EQ(err("MAIL FROM:<a@b.example> RET=HDRS"), "555 5.5.4");
  EXPECT_EQ(err("MAIL FROM:<a@b.example> X-FOO"), "555 5.5.4");
  EXPECT_EQ(err_text("MAIL FROM:<a@b.example> X-FOO=1"),
            "555 5.5.4 MAIL parameter X-FOO is not supported\r\n");
  ParseOptions ascii;
  ascii.smtputf8 = false;
  EXPECT_EQ(err("MAIL FROM:<a@b.example> SMTPUTF8", ascii), "555 5.5.4");
}

TEST(CommandParserTest, RcptParametersAreNotSupported) {
  EXPECT_EQ(err("RCPT TO:<a@b.example> NOTIFY=NEVER"), "555 5.5.4");
  EXPECT_EQ(err("RCPT TO:<a@b.example> SIZE=1"), "555 5.5.4");
}

TEST(CommandParserTest, PathsNeedBrackets) {
  EXPECT_EQ(err("MAIL FROM:user@example.com"), "501 5.5.4");
  EXPECT_EQ(err("RCPT TO:user@example.com"), "501 5.5.4");
  EXPECT_EQ(err("RCPT TO:postmaster"), "501 5.5.4");
  EXPECT_EQ(err("MAIL FROM:<user@example.com"), "501 5.5.4");
  EXPECT_EQ(err("MAIL FROM:"), "501 5.5.4");
  EXPECT_EQ(err("MAIL"), "501 5.5.4");
  EXPECT_EQ(err("MAIL TO:<a@b.example>"), "501 5.5.4");
  EXPECT_EQ(err("RCPT FROM:<a@b.example>"), "501 5.5.4");
  EXPECT_EQ(err("MAIL FROM <a@b.example>"), "501 5.5.4");
  EXPECT_EQ(err_text("MAIL FROM:a@b.example"),
            "501 5.5.4 Syntax: MAIL FROM:<address> (the address must be enclosed in angle "
            "brackets)\r\n");
}

TEST(CommandParserTest, RcptTo) {
  const Command c = ok("RCPT TO:<user+tag@example.com>");
  EXPECT_EQ(c.verb, Verb::kRcpt);
  EXPECT_EQ(c.path, "user+tag@example.com");
  EXPECT_EQ(ok("rcpt to: <a@b.example>").path, "a@b.example");
  EXPECT_EQ(ok("RCPT TO:<a@[192.0.2.1]>").path, "a@[192.0.2.1]");
}

TEST(CommandParserTest, BarePostmaster) {
  EXPECT_EQ(ok("RCPT TO:<postmaster>").path, "postmaster");
  EXPECT_EQ(ok("RCPT TO:<Postmaster>").path, "Postmaster");
  EXPECT_EQ(ok("RCPT TO:<POSTMASTER>").path, "POSTMASTER");
  EXPECT_EQ(err("RCPT TO:<abuse>"), "501 5.1.3");
  EXPECT_EQ(err("MAIL FROM:<postmaster>"), "501 5.1.7");
}

TEST(CommandParserTest, QuotedLocalParts) {
  EXPECT_EQ(ok("RCPT TO:<\"john doe\"@example.com>").path, "\"john doe\"@example.com");
  EXPECT_EQ(ok("RCPT TO:<\"a>b\"@example.com>").path, "\"a>b\"@example.com");
  EXPECT_EQ(ok("RCPT TO:<\"a\\\"b\"@example.com>").path, "\"a\\\"b\"@example.com");
  EXPECT_EQ(ok("MAIL FROM:<\"x@y\"@example.com> SIZE=1").path, "\"x@y\"@example.com");
  EXPECT_EQ(err("RCPT TO:<\"unterminated@example.com>"), "501 5.5.4");
  EXPECT_EQ(err("RCPT TO:<\"a\"b@example.com>"), "501 5.1.3");
}

TEST(CommandParserTest, BadAddresses) {
  EXPECT_EQ(err("RCPT TO:<user>"), "501 5.1.3");
  EXPECT_EQ(err("RCPT TO:<user@>"), "501 5.1.3");
  EXPECT_EQ(err("RCPT TO:<@example.com>"), "501 5.1.3");
  EXPECT_EQ(err("RCPT TO:<a b@example.com>"), "501 5.1.3");
  EXPECT_EQ(err("RCPT TO:<a@b@example.com>"), "501 5.1.3");
  EXPECT_EQ(err("RCPT TO:<a@exa mple.com>"), "501 5.1.3");
  EXPECT_EQ(err("RCPT TO:<a@example..com>"), "501 5.1.3");
  EXPECT_EQ(err("RCPT TO:<.a@example.com>"), "501 5.1.3");
  EXPECT_EQ(err("MAIL FROM:<a(b)@example.com>"), "501 5.1.7");
  EXPECT_EQ(err_text("MAIL FROM:<nodomain>"),
            "501 5.1.7 Bad sender address syntax (expected local-part@domain)\r\n");
  // Postfix-like tolerance for dots that exist in real addresses.
  EXPECT_EQ(ok("RCPT TO:<a..b.@example.com>").path, "a..b.@example.com");
}

TEST(CommandParserTest, PathLength) {
  // 256 octets with the brackets is the most RFC 5321 4.5.3.1.3 allows.
  const std::string domain = "@" + std::string(60, 'd') + "." + std::string(60, 'd') + ".example";
  const std::string local_254 = std::string(254 - domain.size(), 'l');
  EXPECT_EQ(ok("RCPT TO:<" + local_254 + domain + ">").path.size(), 254u);
  EXPECT_EQ(err("RCPT TO:<l" + local_254 + domain + ">"), "501 5.1.3");
  EXPECT_EQ(err("MAIL FROM:<l" + local_254 + domain + ">"), "501 5.1.7");
}

TEST(CommandParserTest, Utf8Addresses) {
  // MAIL: only with the SMTPUTF8 parameter (RFC 6531).
  EXPECT_EQ(ok("MAIL FROM:<jörg@bücher.example> SMTPUTF8").path, "jörg@bücher.example");
  EXPECT_EQ(err("MAIL FROM:<jörg@bücher.example>"), "553 5.6.7");
  // RCPT: when the session says the transaction allows it.
  EXPECT_EQ(ok("RCPT TO:<用户@例子.example>").path, "用户@例子.example");
  EXPECT_EQ(ok("RCPT TO:<\"jö rg\"@example.com>").path, "\"jö rg\"@example.com");
  ParseOptions ascii;
  ascii.smtputf8 = false;
  EXPECT_EQ(err("RCPT TO:<jörg@example.com>", ascii), "553 5.6.7");
  // Malformed UTF-8 is a syntax error even when UTF-8 is allowed.
  EXPECT_EQ(err("RCPT TO:<j\xc3@example.com>"), "501 5.1.3");
  EXPECT_EQ(err("RCPT TO:<j\xed\xa0\x80@example.com>"), "501 5.1.3");  // surrogate
  EXPECT_EQ(err("RCPT TO:<j\xc0\xaf@example.com>"), "501 5.1.3");      // overlong
  EXPECT_EQ(err("MAIL FROM:<j\xff@example.com> SMTPUTF8"), "501 5.1.7");
}

TEST(CommandParserTest, Utf8ControlsAndLineSeparatorsAreRefused) {
  // NEL (U+0085), the other C1 controls and U+2028/U+2029 are well-formed
  // UTF-8, but would end up raw in Return-Path: and Received:.
  for (const char* bad : {"\xc2\x85", "\xc2\x80", "\xc2\x9f", "\xe2\x80\xa8", "\xe2\x80\xa9"}) {
    const std::string b = bad;
    EXPECT_EQ(err("MAIL FROM:<a" + b + "b@example.com> SMTPUTF8"), "500 5.5.2") << b;
    EXPECT_EQ(err("MAIL FROM:<ab@ex" + b + "ample.com> SMTPUTF8"), "500 5.5.2") << b;
    EXPECT_EQ(err("RCPT TO:<a" + b + "b@example.com>"), "500 5.5.2") << b;
    EXPECT_EQ(err("RCPT TO:<\"a" + b + "b\"@example.com>"), "500 5.5.2") << b;
    EXPECT_EQ(err("EHLO client" + b + ".example"), "500 5.5.2") << b;
  }
  // Their neighbours stay allowed: U+00A0..U+00FF, U+2027, U+202A.
  EXPECT_EQ(ok("MAIL FROM:<j\xc2\xa0\xc3\xbf@example.com> SMTPUTF8").path,
            "j\xc2\xa0\xc3\xbf@example.com");
  EXPECT_EQ(ok("RCPT TO:<a\xe2\x80\xa7"
               "b@example.com>")
                .path,
            "a\xe2\x80\xa7"
            "b@example.com");
  EXPECT_EQ(ok("RCPT TO:<a\xe2\x80\xaa"
               "b@example.com>")
                .path,
            "a\xe2\x80\xaa"
            "b@example.com");
}

TEST(CommandParserTest, CommandsWithoutArguments) {
  for (const char* verb : {"DATA", "RSET", "QUIT", "STARTTLS"}) {
    EXPECT_NO_FATAL_FAILURE(ok(verb));
    EXPECT_NO_FATAL_FAILURE(ok(std::string(verb) + "   "));
    EXPECT_EQ(err(std::string(verb) + " x"), "501 5.5.4") << verb;
  }
  EXPECT_EQ(err_text("DATA now"), "501 5.5.4 Syntax: DATA takes no arguments\r\n");
}

TEST(CommandParserTest, OptionalAndRequiredArguments) {
  EXPECT_EQ(ok("NOOP").argument, "");
  EXPECT_EQ(ok("NOOP hello there").argument, "hello there");
  EXPECT_EQ(ok("HELP").argument, "");
  EXPECT_EQ(ok("HELP mail").argument, "mail");
  EXPECT_EQ(ok("VRFY user").argument, "user");
  EXPECT_EQ(ok("EXPN list@example.com").argument, "list@example.com");
  EXPECT_EQ(err("VRFY"), "501 5.5.4");
  EXPECT_EQ(err("EXPN   "), "501 5.5.4");
}

TEST(CommandParserTest, Auth) {
  EXPECT_EQ(ok("AUTH PLAIN").argument, "PLAIN");
  EXPECT_EQ(ok("auth plain AGFsaWNlAHNlY3JldA==").argument, "plain AGFsaWNlAHNlY3JldA==");
  EXPECT_EQ(ok("AUTH LOGIN   dXNlcg==  ").argument, "LOGIN dXNlcg==");
  EXPECT_EQ(ok("AUTH PLAIN =").argument, "PLAIN =");
  EXPECT_EQ(ok("AUTH SCRAM-SHA-256").argument, "SCRAM-SHA-256");
  EXPECT_EQ(err("AUTH"), "501 5.5.4");
  EXPECT_EQ(err("AUTH PLAIN a b"), "501 5.5.4");
  EXPECT_EQ(err("AUTH PLAIN not*base64"), "501 5.5.4");
  EXPECT_EQ(err("AUTH PL@IN"), "501 5.5.4");
}

TEST(CommandParserTest, Bdat) {
  Command c = ok("BDAT 1000");
  EXPECT_EQ(c.verb, Verb::kBdat);
  EXPECT_EQ(c.chunk_size, 1000u);
  EXPECT_FALSE(c.last_chunk);
  c = ok("bdat 0 last");
  EXPECT_EQ(c.chunk_size, 0u);
  EXPECT_TRUE(c.last_chunk);
  EXPECT_EQ(ok("BDAT 18446744073709551614 LAST").chunk_size, 18446744073709551614ull);
  EXPECT_EQ(err("BDAT"), "501 5.5.4");
  EXPECT_EQ(err("BDAT x"), "501 5.5.4");
  EXPECT_EQ(err("BDAT -1"), "501 5.5.4");
  EXPECT_EQ(err("BDAT 10 FIRST"), "501 5.5.4");
  EXPECT_EQ(err("BDAT 10 LAST more"), "501 5.5.4");
  EXPECT_EQ(err("BDAT 99999999999999999999999"), "501 5.5.4");
}

// The parser and the directory share one address syntax (issue 12); these
// pin what the parser accepts where the two might have differed.
TEST(CommandParserTest, MailboxEdgeCases) {
  // A quoted local part may hold "@" and ">"; the domain follows its closing quote.
  EXPECT_EQ(ok("RCPT TO:<\"a@b>c\"@example.com>").path, "\"a@b>c\"@example.com");
  EXPECT_EQ(ok("RCPT TO:<\"a\\\"@b\"@example.com>").path, "\"a\\\"@b\"@example.com");
  EXPECT_EQ(err("RCPT TO:<\"a\"b@example.com>"), "501 5.1.3");
  EXPECT_EQ(err("RCPT TO:<a@b@example.com>"), "501 5.1.3");
  EXPECT_EQ(err("RCPT TO:<no-at-sign>"), "501 5.1.3");
  EXPECT_EQ(err("RCPT TO:<.a@example.com>"), "501 5.1.3");
  // A trailing dot in the local part is tolerated, in the domain it is not.
  EXPECT_EQ(ok("RCPT TO:<a.@example.com>").path, "a.@example.com");
  EXPECT_EQ(err("RCPT TO:<a@example.com.>"), "501 5.1.3");
  // Domains: labels of at most 63 octets, no hyphen at either end, U-labels
  // only with SMTPUTF8, underscores in HELO names only.
  EXPECT_EQ(err("RCPT TO:<a@" + std::string(64, 'd') + ".example>"), "501 5.1.3");
  EXPECT_EQ(ok("RCPT TO:<a@" + std::string(63, 'd') + ".example>").path.size(), 73u);
  EXPECT_EQ(err("RCPT TO:<a@-x.example>"), "501 5.1.3");
  EXPECT_EQ(err("RCPT TO:<a@x_y.example>"), "501 5.1.3");
  EXPECT_EQ(ok("EHLO x_y.example").argument, "x_y.example");
  EXPECT_EQ(ok("RCPT TO:<a@[192.0.2.1]>").path, "a@[192.0.2.1]");
  ParseOptions ascii;
  ascii.smtputf8 = false;
  EXPECT_EQ(err("RCPT TO:<a@bücher.example>", ascii), "553 5.6.7");
  EXPECT_EQ(ok("RCPT TO:<a@bücher.example>").path, "a@bücher.example");
}

}  // namespace
}  // namespace hm::smtp::proto
