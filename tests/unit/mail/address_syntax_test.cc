#include "mail/address_syntax.h"

#include <gtest/gtest.h>

#include <string>

namespace hm::mail {
namespace {

TEST(AddressSyntax, DomainAndLocalPartSplitAtTheLastAt) {
  EXPECT_EQ(domain_of("a@b.example"), "b.example");
  EXPECT_EQ(local_part_of("a@b.example"), "a");
  // A quoted local part may hold '@'; a domain never does.
  EXPECT_EQ(domain_of("\"a@b\"@c.example"), "c.example");
  EXPECT_EQ(local_part_of("\"a@b\"@c.example"), "\"a@b\"");
  // No '@': no domain, and the whole is a local name ("postmaster").
  EXPECT_EQ(domain_of("postmaster"), "");
  EXPECT_EQ(local_part_of("postmaster"), "postmaster");
  // A catch-all alias "@domain", and an address that ends in '@'.
  EXPECT_EQ(domain_of("@b.example"), "b.example");
  EXPECT_EQ(local_part_of("@b.example"), "");
  EXPECT_EQ(domain_of("a@"), "");
  EXPECT_EQ(domain_of(""), "");
}

TEST(AddressSyntax, LocalPartEndsAtTheAtAfterAQuotedString) {
  EXPECT_EQ(local_part_end("a@b.example"), 1u);
  EXPECT_EQ(local_part_end("\"a@b\"@c.example"), 5u);
  EXPECT_EQ(local_part_end("\"a\\\"@b\"@c.example"), 7u);  // an escaped quote does not close
  EXPECT_EQ(local_part_end("no-at-sign"), std::string_view::npos);
  EXPECT_EQ(local_part_end("\"unterminated@example.org"), std::string_view::npos);
  EXPECT_EQ(local_part_end("\"a\"b@c.example"), std::string_view::npos);  // '@' must follow
  EXPECT_EQ(local_part_end("\"a\""), std::string_view::npos);
}

TEST(AddressSyntax, Utf8MustBeWellFormed) {
  EXPECT_TRUE(is_valid_utf8("plain"));
  EXPECT_TRUE(is_valid_utf8("jörg 用户 \xf0\x9f\x93\xa7"));
  for (const char* bad :
       {"\xc3", "\xc0\xae", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xff", "\x80"}) {
    EXPECT_FALSE(is_valid_utf8(bad)) << bad;
  }
  EXPECT_EQ(utf8_sequence("\xc3\xb6", 0), 2u);
  EXPECT_EQ(utf8_sequence("\xe2\x80\xa8", 0), 3u);
  EXPECT_EQ(utf8_sequence("\xf0\x9f\x93\xa7", 0), 4u);
  EXPECT_EQ(utf8_sequence("\xf0\x9f\x93", 0), 0u);  // truncated
}

TEST(AddressSyntax, DotStrings) {
  for (bool strict : {false, true}) {
    EXPECT_TRUE(is_dot_string("first.last", false, strict));
    EXPECT_TRUE(is_dot_string("a!#$%&'*+-/=?^_`{|}~z", false, strict));
    EXPECT_FALSE(is_dot_string("", false, strict));
    EXPECT_FALSE(is_dot_string(".a", false, strict));
    EXPECT_FALSE(is_dot_string("a b", false, strict));
    EXPECT_FALSE(is_dot_string("a@b", false, strict));
    EXPECT_FALSE(is_dot_string("a\"b", false, strict));
  }
  // Empty atoms and a trailing dot: tolerated by the SMTP parser, refused
  // by the directory's strict reading.
  EXPECT_TRUE(is_dot_string("a..b", false, false));
  EXPECT_TRUE(is_dot_string("a.", false, false));
  EXPECT_FALSE(is_dot_string("a..b", false, true));
  EXPECT_FALSE(is_dot_string("a.", false, true));
  // UTF-8 (RFC 6531) only when allowed, and well-formed.
  EXPECT_TRUE(is_dot_string("jörg", true, true));
  EXPECT_FALSE(is_dot_string("jörg", false, true));
  EXPECT_FALSE(is_dot_string("j\xc0\xae", true, true));
  EXPECT_FALSE(is_dot_string("j\xc3", true, false));
}

TEST(AddressSyntax, QuotedStrings) {
  std::string content;
  EXPECT_EQ(check_quoted_string("\"john doe\"", false, &content), QuotedError::kNone);
  EXPECT_EQ(content, "john doe");
  EXPECT_EQ(check_quoted_string("\"a@b\"", false, &content), QuotedError::kNone);
  EXPECT_EQ(content, "a@b");
  EXPECT_EQ(check_quoted_string("\"a\\\"b\\\\c\"", false, &content), QuotedError::kNone);
  EXPECT_EQ(content, "a\"b\\c");
  EXPECT_EQ(check_quoted_string("\"\"", false, &content), QuotedError::kNone);
  EXPECT_EQ(content, "");
  EXPECT_EQ(check_quoted_string("\"jö rg\"", true, &content), QuotedError::kNone);
  EXPECT_EQ(content, "jö rg");

  EXPECT_EQ(check_quoted_string("\"jö rg\"", false), QuotedError::kBadCharacter);
  EXPECT_EQ(check_quoted_string("\"j\xc0\xae\"", true), QuotedError::kBadCharacter);
  EXPECT_EQ(check_quoted_string("\"a", false), QuotedError::kUnbalanced);
  EXPECT_EQ(check_quoted_string("\"", false), QuotedError::kUnbalanced);
  EXPECT_EQ(check_quoted_string("a\"", false), QuotedError::kUnbalanced);
  EXPECT_EQ(check_quoted_string("\"a\\\"", false), QuotedError::kDanglingBackslash);
  EXPECT_EQ(check_quoted_string("\"a\"b\"", false), QuotedError::kBadCharacter);
  EXPECT_EQ(check_quoted_string("\"a\tb\"", false), QuotedError::kBadCharacter);
  EXPECT_EQ(check_quoted_string("\"a\x7f\"", false), QuotedError::kBadCharacter);
  // quoted-pairSMTP: a backslash and printable ASCII, never a control.
  EXPECT_EQ(check_quoted_string("\"a\\\rb\"", false), QuotedError::kBadEscape);
  EXPECT_EQ(check_quoted_string("\"a\\\x7f\"", false), QuotedError::kBadEscape);
  EXPECT_EQ(check_quoted_string("\"a\\\xc3\xb6\"", true), QuotedError::kBadEscape);
}

TEST(AddressSyntax, Domains) {
  const DomainSyntax ascii;
  DomainSyntax utf8;
  utf8.utf8 = true;
  DomainSyntax helo;
  helo.underscore = true;
  EXPECT_EQ(check_domain("mx.Example.ORG", ascii), DomainError::kNone);
  EXPECT_EQ(check_domain("xn--bcher-kva.example", ascii), DomainError::kNone);
  EXPECT_EQ(check_domain("", ascii), DomainError::kEmpty);
  // A trailing dot (the root) is an empty label here: callers strip it
  // where they accept it.
  EXPECT_EQ(check_domain("example.org.", ascii), DomainError::kEmptyLabel);
  EXPECT_EQ(check_domain("a..b", ascii), DomainError::kEmptyLabel);
  EXPECT_EQ(check_domain(".a", ascii), DomainError::kEmptyLabel);
  EXPECT_EQ(check_domain(std::string(63, 'd') + ".example", ascii), DomainError::kNone);
  EXPECT_EQ(check_domain(std::string(64, 'd') + ".example", ascii), DomainError::kLongLabel);
  EXPECT_EQ(check_domain("-a.example", ascii), DomainError::kHyphenAtEdge);
  EXPECT_EQ(check_domain("a-.example", ascii), DomainError::kHyphenAtEdge);
  char bad = 0;
  EXPECT_EQ(check_domain("a_b.example", ascii, &bad), DomainError::kBadCharacter);
  EXPECT_EQ(bad, '_');
  EXPECT_EQ(check_domain("a_b.example", helo), DomainError::kNone);
  EXPECT_EQ(check_domain("a@b", ascii, &bad), DomainError::kBadCharacter);
  EXPECT_EQ(bad, '@');
  // IDN U-labels only when SMTPUTF8 allows them, and well-formed.
  EXPECT_EQ(check_domain("bücher.example", ascii), DomainError::kBadCharacter);
  EXPECT_EQ(check_domain("bücher.example", utf8), DomainError::kNone);
  EXPECT_EQ(check_domain("b\xc3.example", utf8), DomainError::kBadCharacter);
  // Length: 255 octets by default (RFC 5321), less where the caller says.
  std::string longest;
  while (longest.size() < 255) longest += longest.empty() ? "a" : ".a";
  EXPECT_EQ(longest.size(), 255u);
  EXPECT_EQ(check_domain(longest, ascii), DomainError::kNone);
  EXPECT_EQ(check_domain(longest + "b", ascii), DomainError::kTooLong);
  DomainSyntax stored;
  stored.max_length = 253;
  EXPECT_EQ(check_domain(longest, stored), DomainError::kTooLong);
}

}  // namespace
}  // namespace hm::mail
