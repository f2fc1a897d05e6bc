#include "mime/address.h"

#include <gtest/gtest.h>

#include <string>

namespace hm::mime {
namespace {

// One address as "name|route|mailbox|host", groups as "group:name" and ";".
std::string show(std::string_view list) {
  std::string out;
  for (const auto& a : parse_address_list(list)) {
    if (!out.empty()) out += " ";
    switch (a.kind) {
      case Address::Kind::kGroupStart: out += "group:" + a.name; break;
      case Address::Kind::kGroupEnd: out += ";"; break;
      case Address::Kind::kMailbox:
        out += a.name + "|" + a.route + "|" + a.mailbox + "|" + a.host;
        break;
    }
  }
  return out;
}

TEST(Address, PlainAndAngleAddresses) {
  EXPECT_EQ(show("a@b.example"), "||a|b.example");
  EXPECT_EQ(show("John Doe <jdoe@machine.example>"), "John Doe||jdoe|machine.example");
  EXPECT_EQ(show("\"Joe Q. Public\" <john.q.public@example.com>, <x@y>"),
            "Joe Q. Public||john.q.public|example.com ||x|y");
}

TEST(Address, ObsoletePhraseWithDotsAndComments) {
  EXPECT_EQ(show("Joe Q. Public <john.q.public@example.com>"),
            "Joe Q. Public||john.q.public|example.com");
  EXPECT_EQ(show("Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>"),
            "Pete||pete|silly.test");
}

TEST(Address, ACommentNamesAnAddressWithoutDisplayName) {
  EXPECT_EQ(show("jones@example.net (Dr. Jones)"), "Dr. Jones||jones|example.net");
  EXPECT_EQ(show("a@b (A), c@d (C)"), "A||a|b C||c|d");
}

TEST(Address, Groups) {
  EXPECT_EQ(show("A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;"),
            "group:A Group Ed Jones||c|a.test ||joe|where.test John||jdoe|one.test ;");
  EXPECT_EQ(show("undisclosed-recipients:;"), "group:undisclosed-recipients ;");
  // An unterminated group is closed.
  EXPECT_EQ(show("G: a@b"), "group:G ||a|b ;");
}

TEST(Address, ObsoleteRoute) {
  EXPECT_EQ(show("<@a.example,@b.example:joe@c.example>"), "|@a.example,@b.example|joe|c.example");
}

TEST(Address, QuotedLocalPartIsUnquoted) {
  EXPECT_EQ(show("\"john doe\"@example.com"), "||john doe|example.com");
  EXPECT_EQ(show("\"plain\"@example.com"), "||plain|example.com");
  EXPECT_EQ(show("\"a\\\"b\"@x"), "||a\"b|x");
}

TEST(Address, DomainLiteral) { EXPECT_EQ(show("a@[192.0.2.1]"), "||a|[192.0.2.1]"); }

TEST(Address, DegradesLikeRealServers) {
  EXPECT_EQ(show("nodomain"), "||nodomain|MISSING_DOMAIN");
  EXPECT_EQ(show("<@example.com>"), "||MISSING_MAILBOX|example.com");
  EXPECT_EQ(show("Name <a@b"), "Name||a|b");
  EXPECT_EQ(show(""), "");
  EXPECT_EQ(show(",,, ;"), "");
  EXPECT_EQ(show("<<<>>> @@@ :::"), show("<<<>>> @@@ :::"));  // terminates
}

TEST(Address, KeepsEncodedWordsAsWritten) {
  EXPECT_EQ(show("=?UTF-8?B?QW5kcsOp?= Pirard <PIRARD@example.be>"),
            "=?UTF-8?B?QW5kcsOp?= Pirard||PIRARD|example.be");
}

TEST(Address, BoundsTheListLength) {
  std::string list;
  for (int i = 0; i < 3000; ++i) list += "a@b,";
  EXPECT_EQ(parse_address_list(list).size(), kMaxAddresses);
  EXPECT_EQ(parse_address_list(list, 5).size(), 5u);
}

}  // namespace
}  // namespace hm::mime
