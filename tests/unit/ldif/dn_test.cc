#include "ldif/dn.h"

#include <gtest/gtest.h>

namespace hm::ldif {
namespace {

std::vector<Rdn> parse_ok(std::string_view dn) {
  auto rdns = parse_dn(dn);
  EXPECT_TRUE(rdns.has_value()) << dn << ": " << (rdns ? "" : rdns.error().message());
  return rdns ? *rdns : std::vector<Rdn>{};
}

std::string parse_error(std::string_view dn) {
  auto rdns = parse_dn(dn);
  EXPECT_FALSE(rdns.has_value()) << "parsed unexpectedly: " << dn;
  if (rdns) return {};
  EXPECT_EQ(rdns.error().kind(), ErrorKind::kInvalid);
  return rdns.error().message();
}

const std::vector<Rdn> kUser1 = {{"mail", "user1@domain1.example"},
                                 {"o", "domain1.example"},
                                 {"o", "hosting"},
                                 {"dc", "myhosting"},
                                 {"dc", "example"}};

TEST(DnTest, SeedSpacedDnsParse) {
  // As the seed's LDIF gives them once unfolded.
  EXPECT_EQ(parse_ok("mail=user1@domain1.example, o=domain1.example, o=hosting, dc=myhosting, "
                     "dc=example"),
            kUser1);
  EXPECT_EQ(
      parse_ok("mail=user1@domain1.example,o=domain1.example, o=hosting,dc=myhosting, dc=example"),
      kUser1);
  EXPECT_EQ(parse_ok("  MAIL = user1@domain1.example ,O=domain1.example,o =hosting,  DC= myhosting"
                     " ,dc=example  "),
            kUser1);
  EXPECT_EQ(format_dn(kUser1),
            "mail=user1@domain1.example,o=domain1.example,o=hosting,dc=myhosting,dc=example");
}

TEST(DnTest, EmptyDnHasNoRdns) {
  EXPECT_TRUE(parse_ok("").empty());
  EXPECT_TRUE(parse_ok("   ").empty());
  EXPECT_EQ(format_dn({}), "");
}

TEST(DnTest, EscapesAreUndone) {
  EXPECT_EQ(parse_ok("cn=Smith\\, John,o=x"),
            (std::vector<Rdn>{{"cn", "Smith, John"}, {"o", "x"}}));
  EXPECT_EQ(parse_ok("cn=a\\+b\\\"c\\\\d\\<e\\>f\\;g\\=h"),
            (std::vector<Rdn>{{"cn", "a+b\"c\\d<e>f;g=h"}}));
  EXPECT_EQ(parse_ok("cn=\\#hash,o=\\ padded\\ "),
            (std::vector<Rdn>{{"cn", "#hash"}, {"o", " padded "}}));
  // Hex pairs are bytes; UTF-8 comes through unchanged either way.
  EXPECT_EQ(parse_ok("o=B\\C3\\BCcher,cn=\\2c"), (std::vector<Rdn>{{"o",
                                                                    "B\xc3\xbc"
                                                                    "cher"},
                                                                   {"cn", ","}}));
  EXPECT_EQ(parse_ok("o=B\xc3\xbc"
                     "cher"),
            (std::vector<Rdn>{{"o",
                               "B\xc3\xbc"
                               "cher"}}));
  // Unescaped trailing spaces are padding, escaped ones are data.
  EXPECT_EQ(parse_ok("cn=a \\  ,o=x"), (std::vector<Rdn>{{"cn", "a  "}, {"o", "x"}}));
}

TEST(DnTest, QuotedValuesAndLenientCharacters) {
  EXPECT_EQ(parse_ok("o=\"Foo, Inc.\" , c=US"),
            (std::vector<Rdn>{{"o", "Foo, Inc."}, {"c", "US"}}));
  EXPECT_EQ(parse_ok("cn=a=b;c,1.2.3.4=x"), (std::vector<Rdn>{{"cn", "a=b;c"}, {"1.2.3.4", "x"}}));
  EXPECT_EQ(parse_ok("mail=@domain2.example,o=x"),
            (std::vector<Rdn>{{"mail", "@domain2.example"}, {"o", "x"}}));
  EXPECT_EQ(parse_ok("cn=,o=x"), (std::vector<Rdn>{{"cn", ""}, {"o", "x"}}));
}

TEST(DnTest, BadDnsFailWithAReason) {
  EXPECT_NE(parse_error("cn=a+sn=b,o=x").find("multi-valued RDNs ('+') are not supported"),
            std::string::npos);
  EXPECT_NE(parse_error("o=x,").find("ends with ','"), std::string::npos);
  EXPECT_NE(parse_error("o=x,,o=y").find("expected an attribute name"), std::string::npos);
  EXPECT_NE(parse_error("hosting").find("expected '=' after 'hosting'"), std::string::npos);
  EXPECT_NE(parse_error("=x").find("expected an attribute name"), std::string::npos);
  EXPECT_NE(parse_error("1cn=x").find("'1cn' is not a valid attribute name"), std::string::npos);
  EXPECT_NE(parse_error("1..2=x").find("not a valid attribute name"), std::string::npos);
  EXPECT_NE(parse_error("cn=a\\").find("lone '\\'"), std::string::npos);
  EXPECT_NE(parse_error("cn=a\\q").find("invalid escape"), std::string::npos);
  EXPECT_NE(parse_error("cn=a\\4").find("invalid escape"), std::string::npos);
  EXPECT_NE(parse_error("cn=#04024869").find("hex-encoded"), std::string::npos);
  EXPECT_NE(parse_error("o=\"unterminated").find("no closing"), std::string::npos);
  EXPECT_NE(parse_error("o=\"x\" y").find("expected ','"), std::string::npos);
  EXPECT_LT(parse_error("o=" + std::string(5000, 'x') + ",,").size(), 300u);
  const std::string message = parse_error("o=x, o y");
  EXPECT_NE(message.find("invalid DN 'o=x, o y' at character 8"), std::string::npos) << message;
}

TEST(DnTest, FormatEscapesPerRfc4514) {
  EXPECT_EQ(format_dn({{"cn", "Smith, John"}, {"o", "a+b"}}), "cn=Smith\\, John,o=a\\+b");
  EXPECT_EQ(format_dn({{"cn", "\"q\" \\ <x> ;"}}), "cn=\\\"q\\\" \\\\ \\<x\\> \\;");
  EXPECT_EQ(format_dn({{"cn", "#a#"}}), "cn=\\#a#");
  EXPECT_EQ(format_dn({{"cn", " a b "}}), "cn=\\ a b\\ ");
  EXPECT_EQ(format_dn({{"cn", " "}}), "cn=\\ ");
  EXPECT_EQ(format_dn({{"cn", std::string("a\0b\nc\x7f", 6)}}), "cn=a\\00b\\0Ac\\7F");
  EXPECT_EQ(format_dn({{"cn", "a=b"},
                       {"o",
                        "B\xc3\xbc"
                        "cher"}}),
            "cn=a=b,o=B\xc3\xbc"
            "cher");
}

TEST(DnTest, FormatThenParseRoundTrips) {
  const std::vector<std::vector<Rdn>> cases = {
      kUser1,
      {{"cn", ""}},
      {{"cn", " "}, {"o", "  "}},
      {{"cn", "#"}, {"o", "a\\,+\"<>;=#"}},
      {{"cn", std::string("\0\x01\x1f\x7f\xff", 5)}},
      {{"1.3.6.1.4.1.1466.0", "x"}},
      {{"mail", "@domain2.example"}},
  };
  for (const auto& rdns : cases) {
    const std::string dn = format_dn(rdns);
    EXPECT_EQ(parse_ok(dn), rdns) << dn;
  }
}

TEST(DnTest, NormalizeForComparison) {
  EXPECT_EQ(normalize_dn("mail=User1@Domain1.Example, o=domain1.example,o=hosting, "
                         "DC=myhosting, dc=example"),
            "mail=user1@domain1.example,o=domain1.example,o=hosting,dc=myhosting,dc=example");
  EXPECT_EQ(normalize_dn("cn=Smith\\2C John, o=X"), "cn=smith\\, john,o=x");
  EXPECT_EQ(normalize_dn("cn=\"a,b\""), normalize_dn("CN=a\\,b"));
  EXPECT_EQ(normalize_dn(""), "");
  // Unparsable input comes back lower-cased, so equal garbage still compares equal.
  EXPECT_EQ(normalize_dn("Not A DN"), "not a dn");
  EXPECT_EQ(normalize_dn("cn=A+sn=B"), "cn=a+sn=b");
}

}  // namespace
}  // namespace hm::ldif
