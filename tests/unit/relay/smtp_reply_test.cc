#include "relay/smtp_reply.h"

#include <gtest/gtest.h>

namespace hm::relay {
namespace {

TEST(TakeReply, SingleAndMultiLine) {
  std::string buffer =
      "220 mx.example.org ESMTP\r\n250-mx.example.org\r\n250-PIPELINING\r\n250 SIZE 1000\r\n";
  auto greeting = take_reply(buffer);
  ASSERT_TRUE(greeting && *greeting);
  EXPECT_EQ((*greeting)->code, 220);
  EXPECT_EQ((*greeting)->text(), "220 mx.example.org ESMTP");
  auto ehlo = take_reply(buffer);
  ASSERT_TRUE(ehlo && *ehlo);
  EXPECT_EQ((*ehlo)->lines.size(), 3u);
  EXPECT_TRUE(buffer.empty());
  EXPECT_FALSE(take_reply(buffer));  // needs more
}

TEST(TakeReply, WaitsForTheLastLine) {
  std::string buffer = "250-first\r\n250-second\r\n25";
  EXPECT_FALSE(take_reply(buffer));
  buffer += "0 last\r\n";
  auto reply = take_reply(buffer);
  ASSERT_TRUE(reply && *reply);
  EXPECT_EQ((*reply)->text(), "250 first second last");
}

TEST(TakeReply, BareCodeAndBareLf) {
  std::string buffer = "354\n";
  auto reply = take_reply(buffer);
  ASSERT_TRUE(reply && *reply);
  EXPECT_EQ((*reply)->code, 354);
  EXPECT_EQ((*reply)->text(), "354 ");
}

TEST(TakeReply, RefusesWhatIsNotAReply) {
  for (const char* bad : {"hello\r\n", "25\r\n", "250x\r\n", "250-a\r\n251 b\r\n", "099 x\r\n",
                          "600 x\r\n", "2a0 x\r\n"}) {
    std::string buffer = bad;
    auto reply = take_reply(buffer);
    ASSERT_TRUE(reply) << bad;
    EXPECT_FALSE(*reply) << bad;
  }
}

TEST(TakeReply, BoundsLinesAndLength) {
  std::string long_line = "250 " + std::string(kMaxReplyLine, 'x');
  auto too_long = take_reply(long_line);  // no newline yet, already too long
  ASSERT_TRUE(too_long);
  EXPECT_FALSE(*too_long);
  std::string many;
  for (size_t i = 0; i < kMaxReplyLines + 1; ++i) many += "250-x\r\n";
  auto too_many = take_reply(many);
  ASSERT_TRUE(too_many);
  EXPECT_FALSE(*too_many);
}

TEST(ParseEhlo, Keywords) {
  std::string buffer =
      "250-mx.example.org greets you\r\n250-pipelining\r\n250-SIZE 35882577\r\n250-8BITMIME\r\n"
      "250-STARTTLS\r\n250 SMTPUTF8\r\n";
  Capabilities caps = parse_ehlo(**take_reply(buffer));
  EXPECT_TRUE(caps.pipelining);
  EXPECT_TRUE(caps.size);
  EXPECT_EQ(caps.max_size, 35882577u);
  EXPECT_TRUE(caps.eight_bit_mime);
  EXPECT_TRUE(caps.starttls);
  EXPECT_TRUE(caps.smtputf8);
  std::string plain = "250 mx.example.org PIPELINING\r\n";  // the greeting line is not a keyword
  Capabilities none = parse_ehlo(**take_reply(plain));
  EXPECT_FALSE(none.pipelining);
  std::string size_only = "250-x\r\n250 SIZE\r\n";
  Capabilities s = parse_ehlo(**take_reply(size_only));
  EXPECT_TRUE(s.size);
  EXPECT_EQ(s.max_size, 0u);
}

}  // namespace
}  // namespace hm::relay
