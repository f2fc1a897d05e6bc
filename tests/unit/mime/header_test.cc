#include "mime/header.h"

#include <gtest/gtest.h>

#include <string>

namespace hm::mime {
namespace {

TEST(HeaderEnd, FindsTheEmptyLineWithEitherLineEnd) {
  EXPECT_EQ(header_end("A: b\n\nbody"), 6u);
  EXPECT_EQ(header_end("A: b\r\n\r\nbody"), 8u);
  EXPECT_EQ(header_end("A: b\r\nC: d\n\nbody"), 12u);
}

TEST(HeaderEnd, WithoutAnEmptyLineEverythingIsHeader) {
  EXPECT_EQ(header_end("A: b\nC: d"), 9u);
  EXPECT_EQ(header_end("A: b\n"), 5u);
  EXPECT_EQ(header_end(""), 0u);
}

TEST(HeaderEnd, AnEntityStartingWithAnEmptyLineHasAnEmptyHeader) {
  EXPECT_EQ(header_end("\nbody"), 1u);
  EXPECT_EQ(header_end("\r\nbody"), 2u);
}

TEST(Header, LooksFieldsUpCaseInsensitivelyAndTakesTheFirst) {
  Header h("Subject: one\nSUBJECT: two\nfrom: a@b\n\n");
  ASSERT_EQ(h.fields().size(), 3u);
  EXPECT_EQ(*h.raw("subject"), " one");
  EXPECT_EQ(*h.value("From"), "a@b");
  EXPECT_FALSE(h.raw("To"));
}

TEST(Header, KeepsFoldedFieldsTogetherAndUnfoldsOnRequest) {
  Header h("Subject: a\r\n  b\r\n\tc\r\nTo: x\r\n\r\n");
  ASSERT_EQ(h.fields().size(), 2u);
  EXPECT_EQ(*h.raw("Subject"), " a\r\n  b\r\n\tc");
  EXPECT_EQ(*h.value("Subject"), "a  b\tc");
  EXPECT_EQ(*h.value("To"), "x");
}

TEST(Header, SkipsLinesThatAreNotFields) {
  Header h("junk line\n: no name\nBad Name: x\nName : obsolete blank\nOk: y\n");
  ASSERT_EQ(h.fields().size(), 2u);
  EXPECT_EQ(*h.value("Name"), "obsolete blank");
  EXPECT_EQ(*h.value("Ok"), "y");
}

TEST(Header, BoundsTheFieldsItKeeps) {
  std::string block;
  for (int i = 0; i < 5000; ++i) block += "X-A: b\n";
  EXPECT_EQ(Header(block).fields().size(), 2000u);
  EXPECT_EQ(Header(block, 70).fields().size(), 10u);
}

TEST(SelectFields, KeepsTheNamedFieldsAsWrittenWithCrlf) {
  const std::string block = "From: a@b\nSubject: one\n two\nTo: c@d\nsubject: again\n\n";
  EXPECT_EQ(select_fields(block, {"SUBJECT", "Cc"}, false),
            "Subject: one\r\n two\r\nsubject: again\r\n\r\n");
  EXPECT_EQ(select_fields(block, {"subject"}, true), "From: a@b\r\nTo: c@d\r\n\r\n");
  EXPECT_EQ(select_fields(block, {"X-None"}, false), "\r\n");
  // A last field without its line end still ends its line.
  EXPECT_EQ(select_fields("A: 1\r\nB: 2", {"b"}, false), "B: 2\r\n\r\n");
}

TEST(Unfold, RemovesFoldingAndNeverLeavesALineEnd) {
  EXPECT_EQ(unfold(" a\r\n b"), " a b");
  EXPECT_EQ(unfold(" a\n\tb"), " a\tb");
  EXPECT_EQ(unfold("a\rb\nc"), "a b c");
  EXPECT_EQ(unfold(std::string("a\0b", 3)), "a b");
}

}  // namespace
}  // namespace hm::mime
