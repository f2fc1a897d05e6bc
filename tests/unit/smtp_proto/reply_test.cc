#include "smtp/proto/reply.h"

#include <gtest/gtest.h>

namespace hm::smtp::proto {
namespace {

TEST(ReplyTest, MakeReplyBuildsOneLine) {
  const Reply r = make_reply(550, "5.1.1", "No such user");
  EXPECT_EQ(r.code, 550);
  EXPECT_EQ(r.enhanced, "5.1.1");
  ASSERT_EQ(r.lines.size(), 1u);
  EXPECT_EQ(r.lines[0], "No such user");
  EXPECT_FALSE(r.positive());
  EXPECT_FALSE(r.transient());
}

TEST(ReplyTest, Classification) {
  EXPECT_TRUE(make_reply(250, "2.0.0", "OK").positive());
  EXPECT_TRUE(make_reply(354, "", "go").positive());
  EXPECT_TRUE(make_reply(451, "4.3.0", "later").transient());
  EXPECT_FALSE(make_reply(451, "4.3.0", "later").positive());
  EXPECT_FALSE(make_reply(554, "5.7.1", "no").transient());
}

TEST(ReplyTest, FormatsOneLineWithEnhancedCode) {
  EXPECT_EQ(format(make_reply(250, "2.1.0", "Sender OK")), "250 2.1.0 Sender OK\r\n");
}

TEST(ReplyTest, EnhancedCodeLeftOutWhenDisabled) {
  EXPECT_EQ(format(make_reply(250, "2.1.0", "Sender OK"), false), "250 Sender OK\r\n");
}

TEST(ReplyTest, NoEnhancedCodeWhenReplyHasNone) {
  EXPECT_EQ(format(make_reply(220, "", "mx.example ESMTP")), "220 mx.example ESMTP\r\n");
}

TEST(ReplyTest, MultiLineUsesDashContinuation) {
  Reply r;
  r.code = 250;
  r.lines = {"mx.example", "PIPELINING", "SIZE 10240000", "8BITMIME"};
  EXPECT_EQ(format(r), "250-mx.example\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250 8BITMIME\r\n");
}

TEST(ReplyTest, MultiLineCarriesEnhancedCodeOnEveryLine) {
  Reply r;
  r.code = 214;
  r.enhanced = "2.0.0";
  r.lines = {"Commands:", "HELO EHLO MAIL"};
  EXPECT_EQ(format(r), "214-2.0.0 Commands:\r\n214 2.0.0 HELO EHLO MAIL\r\n");
  EXPECT_EQ(format(r, false), "214-Commands:\r\n214 HELO EHLO MAIL\r\n");
}

TEST(ReplyTest, EmptyTextAndNoLines) {
  Reply r;
  r.code = 250;
  EXPECT_EQ(format(r), "250\r\n");
  r.enhanced = "2.0.0";
  EXPECT_EQ(format(r), "250 2.0.0\r\n");
  r.lines = {"", ""};
  EXPECT_EQ(format(r), "250-2.0.0\r\n250 2.0.0\r\n");
  EXPECT_EQ(format(r, false), "250-\r\n250\r\n");
}

TEST(ReplyTest, LineBreaksInTextCannotInjectAReply) {
  const std::string out = format(make_reply(550, "5.1.1", "bad\r\n250 2.0.0 fake\nx\0y"));
  EXPECT_EQ(out, "550 5.1.1 bad  250 2.0.0 fake x\r\n");
  const std::string nul(format(make_reply(550, "5.1.1", std::string_view("a\0b", 3))));
  EXPECT_EQ(nul, "550 5.1.1 a b\r\n");
}

TEST(ReplyTest, OutOfRangeCodeBecomesLocalError) {
  EXPECT_EQ(format(make_reply(42, "", "x")), "451 x\r\n");
  EXPECT_EQ(format(make_reply(1000, "", "x")), "451 x\r\n");
}

}  // namespace
}  // namespace hm::smtp::proto
