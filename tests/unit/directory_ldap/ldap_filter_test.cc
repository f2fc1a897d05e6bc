#include "directory/ldap/ldap_filter.h"

#include <gtest/gtest.h>

namespace hm::directory::ldap {
namespace {

TEST(LdapFilterTest, EscapesTheRfc4515Specials) {
  EXPECT_EQ(escape_filter_value("alice@example.org"), "alice@example.org");
  EXPECT_EQ(escape_filter_value("*)(uid=*"), "\\2a\\29\\28uid=\\2a");
  EXPECT_EQ(escape_filter_value("a\\b"), "a\\5cb");
  EXPECT_EQ(escape_filter_value(std::string_view("a\0b", 3)), "a\\00b");
  EXPECT_EQ(escape_filter_value("j\xc3\xbcrgen"), "j\xc3\xbcrgen");  // UTF-8 passes
}

TEST(LdapFilterTest, ExpandsWholeAddressLocalPartAndDomain) {
  auto f = expand_filter("(&(mail=%s)(uid=%u)(o=%d)(x=100%%))", "alice@example.org");
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(*f, "(&(mail=alice@example.org)(uid=alice)(o=example.org)(x=100%))");
}

TEST(LdapFilterTest, DomainOfABareNameIsTheName) {
  auto f = expand_filter("(&(o=%d)(objectClass=organization))", "example.org");
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(*f, "(&(o=example.org)(objectClass=organization))");
}

TEST(LdapFilterTest, LocalPartEndsAtTheLastAt) {
  auto f = expand_filter("(uid=%u)", "\"a@b\"@example.org");
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(*f, "(uid=\"a@b\")");
}

TEST(LdapFilterTest, InjectionStaysALiteralValue) {
  auto f = expand_filter("(&(mail=%s)(objectClass=CourierMailAccount))", "*)(uid=*");
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(*f, "(&(mail=\\2a\\29\\28uid=\\2a)(objectClass=CourierMailAccount))");
  // Nothing in the expansion can open or close a filter component.
  std::string inner = f->substr(8, f->find(")(objectClass") - 8);
  EXPECT_EQ(inner.find_first_of("()*"), std::string::npos) << inner;
}

TEST(LdapFilterTest, RejectsUnknownPlaceholdersAndUnparenthesizedPatterns) {
  EXPECT_EQ(expand_filter("(mail=%x)", "a@b").error().kind(), ErrorKind::kInvalid);
  EXPECT_EQ(expand_filter("(mail=%", "a@b").error().kind(), ErrorKind::kInvalid);
  EXPECT_EQ(expand_filter("mail=%s", "a@b").error().kind(), ErrorKind::kInvalid);
  EXPECT_FALSE(check_filter("(mail=%q)").has_value());
  EXPECT_TRUE(check_filter("(&(mail=%s)(objectClass=CourierMailAlias))").has_value());
}

TEST(LdapFilterTest, RecognisesTheDefaultShapeInEitherOrder) {
  auto alias = parse_class_filter("(&(mail=%s)(objectClass=CourierMailAlias))");
  ASSERT_TRUE(alias.has_value());
  EXPECT_EQ(alias->attribute, "mail");
  EXPECT_EQ(alias->object_class, "CourierMailAlias");
  auto swapped = parse_class_filter("(&(objectclass=inetOrgPerson)(mailLocalAddress=%s))");
  ASSERT_TRUE(swapped.has_value());
  EXPECT_EQ(swapped->attribute, "mailLocalAddress");
  EXPECT_EQ(swapped->object_class, "inetOrgPerson");
}

TEST(LdapFilterTest, AnyOtherShapeIsNotAClassFilter) {
  for (const char* pattern : {
           "(mail=%s)",                                                  // no class
           "(&(mail=%u)(objectClass=CourierMailAccount))",               // not the whole address
           "(&(mail=%s)(objectClass=Courier*))",                         // substring class
           "(&(mail=%s)(objectClass=CourierMailAccount)(active=TRUE))",  // a third term
           "(|(mail=%s)(objectClass=CourierMailAccount))",               // OR
           "(&(mail=%s)(!(objectClass=CourierMailAlias)))",              // nested
           "(&(objectClass=a)(objectClass=b))",                          // no address term
           "(&(mail=%s)(objectClass=%d))",                               // class from the key
           "(&(mail>=%s)(objectClass=CourierMailAccount))",              // not equality
       }) {
    EXPECT_FALSE(parse_class_filter(pattern).has_value()) << pattern;
  }
}

}  // namespace
}  // namespace hm::directory::ldap
