#include "directory/address.h"

#include <gtest/gtest.h>

namespace hm::directory {
namespace {

TEST(Address, NormalizesCaseOfDomainAndLocalPart) {
  EXPECT_EQ(normalize_address("John.Doe@Example.ORG").value(), "john.doe@example.org");
  EXPECT_EQ(normalize_address("<user@example.org>").value(), "user@example.org");
  EXPECT_EQ(normalize_address("user@example.org.").value(), "user@example.org");
}

TEST(Address, IdnDomainsBecomeALabels) {
  EXPECT_EQ(normalize_domain("bücher.example").value(), "xn--bcher-kva.example");
  EXPECT_EQ(normalize_domain("BÜCHER.example").value(), "xn--bcher-kva.example");
  EXPECT_EQ(normalize_address("anna@bücher.example").value(), "anna@xn--bcher-kva.example");
  EXPECT_EQ(normalize_domain("xn--bcher-kva.example").value(), "xn--bcher-kva.example");
}

TEST(Address, RejectsBadSyntax) {
  for (const char* bad :
       {"", "no-at-sign", "@example.org", "user@", "a..b@example.org", ".a@example.org",
        "a.@example.org", "a b@example.org", "user@exa mple.org", "user@-bad.example",
        "user@bad-.example", "user@[192.0.2.1]", "user@a..example", "a\"b@example.org"}) {
    auto r = normalize_address(bad);
    EXPECT_FALSE(r.has_value()) << bad;
    if (!r) {
      EXPECT_EQ(r.error().kind(), ErrorKind::kInvalid) << bad;
    }
  }
}

TEST(Address, EnforcesLengthLimits) {
  std::string local(64, 'a');
  EXPECT_TRUE(normalize_address(local + "@example.org").has_value());
  EXPECT_FALSE(normalize_address(local + "a@example.org").has_value());
  std::string label(63, 'b');
  EXPECT_TRUE(normalize_domain(label + ".example").has_value());
  EXPECT_FALSE(normalize_domain(label + "b.example").has_value());
}

TEST(Address, QuotedLocalParts) {
  EXPECT_EQ(normalize_address("\"john\"@example.org").value(), "john@example.org");
  EXPECT_EQ(normalize_address("\"john doe\"@example.org").value(), "\"john doe\"@example.org");
  EXPECT_FALSE(normalize_address("\"unterminated@example.org").has_value());
  // A backslash quotes printable ASCII only (RFC 5321 quoted-pairSMTP): a
  // control character after it would reach the headers raw (found by
  // fuzz/address_fuzz.cc: the result did not normalise to itself).
  EXPECT_EQ(normalize_address("\"a\\\"b\"@example.org").value(), "\"a\\\"b\"@example.org");
  for (const char* bad : {"\"a\\\x1d"
                          "b\"@la",
                          "\"a\\\rb\"@example.org",
                          "\"a\\\x7f"
                          "b\"@example.org"}) {
    EXPECT_FALSE(normalize_address(bad).has_value()) << bad;
  }
}

TEST(Address, AliasAddressesMayBeCatchAlls) {
  EXPECT_EQ(normalize_alias_address("@Example.org").value(), "@example.org");
  EXPECT_EQ(normalize_alias_address("x@example.org").value(), "x@example.org");
  EXPECT_FALSE(normalize_alias_address("@").has_value());
}

TEST(Address, MaildropsAreAddressesOrLocalNames) {
  EXPECT_EQ(normalize_maildrop("postmaster").value(), "postmaster");
  EXPECT_EQ(normalize_maildrop("Joe@Example.org").value(), "joe@example.org");
  EXPECT_FALSE(normalize_maildrop("Root").has_value());
  EXPECT_FALSE(normalize_maildrop("a b").has_value());
  EXPECT_TRUE(is_local_name("_apt"));
  EXPECT_FALSE(is_local_name("9lives"));
}

TEST(Address, Parts) {
  EXPECT_EQ(domain_of("a@b.example"), "b.example");
  EXPECT_EQ(local_part_of("a@b.example"), "a");
  EXPECT_EQ(domain_of("@b.example"), "b.example");
  EXPECT_EQ(domain_of("local"), "");
}

// The directory and the SMTP parser share one address syntax (issue 12):
// what one accepts as a local part, the other does too.
TEST(Address, QuotedLocalPartsMayHoldAnAtSign) {
  EXPECT_EQ(normalize_address("\"a@b\"@Example.org").value(), "\"a@b\"@example.org");
  EXPECT_EQ(normalize_address("\"a@b\"@x@example.org").has_value(), false);
  EXPECT_EQ(normalize_address("\"a\\\"@b\"@example.org").value(), "\"a\\\"@b\"@example.org");
  EXPECT_EQ(local_part_of("\"a@b\"@example.org"), "\"a@b\"");
  EXPECT_EQ(domain_of("\"a@b\"@example.org"), "example.org");
}

TEST(Address, Utf8LocalPartsMustBeWellFormed) {
  EXPECT_EQ(normalize_address("Jörg@bücher.example").value(), "jörg@xn--bcher-kva.example");
  EXPECT_EQ(normalize_address("\"jö rg\"@example.org").value(), "\"jö rg\"@example.org");
  // RFC 3629: no overlong forms (C0 AE is a dot in disguise), no surrogates,
  // nothing past U+10FFFF; the SMTP parser refuses all of them too.
  for (const char* bad :
       {"a\xc0\xae@example.org", "a\xed\xa0\x80@example.org", "a\xf4\x90\x80\x80@example.org",
        "\"a\xc0\xae\"@example.org", "a\xc3@example.org"}) {
    EXPECT_FALSE(normalize_address(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace hm::directory
