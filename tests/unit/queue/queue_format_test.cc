#include "queue/queue_format.h"

#include <gtest/gtest.h>

namespace hm::queue::format {
namespace {

using State = QueuedRecipient::State;

TEST(QueueFormat, FieldsAreEncodedToOneSafeWord) {
  EXPECT_EQ(encode_field(""), "-");
  EXPECT_EQ(encode_field("-"), "%2D");
  EXPECT_EQ(encode_field("a b%c\n"), "a%20b%25c%0A");
  EXPECT_EQ(encode_field("\xc3\xbc@x"), "%C3%BC@x");
  EXPECT_EQ(encode_text("451 4.3.0 full\r\n"), "451 4.3.0 full%0D%0A");
  for (const std::string& raw :
       std::vector<std::string>{"", "-", "--", "a b", "%41", std::string("\0\x7f\xff", 3)}) {
    auto back = decode(encode_field(raw));
    ASSERT_TRUE(back) << raw;
    EXPECT_EQ(*back, raw);
  }
  EXPECT_FALSE(decode("%4"));
  EXPECT_FALSE(decode("%zz"));
  EXPECT_EQ(*decode("%41%62"), "Ab");
}

TEST(QueueFormat, EnvelopeIsTheDocumentedText) {
  QueueEntry e;
  e.sender = "";
  e.arrived = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
  QueuedRecipient r;
  r.address = "john smith@example.org";
  r.original = "js@example.org";
  r.state = State::kDeferred;
  r.attempts = 2;
  r.next_attempt = std::chrono::system_clock::time_point(std::chrono::seconds(1700000600));
  r.last_error = "451 4.3.0 disk full";
  e.recipients = {r};
  const std::string text =
      "hostmail-queue 1\n"
      "sender -\n"
      "arrived 1700000000\n"
      "rcpt deferred 2 1700000600 john%20smith@example.org js@example.org 451 4.3.0 disk full\n"
      "\n";
  EXPECT_EQ(write_envelope(e), text);
  auto parsed = parse_envelope(text);
  ASSERT_TRUE(parsed) << parsed.error().message();
  EXPECT_EQ(write_envelope(*parsed), text);
}

// Times out of range are refused, not turned into an overflowing clock
// (found by fuzz/queue_envelope_fuzz.cc under UBSan).
TEST(QueueFormat, TimesOutOfRangeAreRefused) {
  for (const char* when : {"91732540000", "-5", "9223372036854775807"}) {
    std::string text = std::string("hostmail-queue 1\nsender -\narrived ") + when +
                       "\nrcpt pending 0 0 a@b.example a@b.example -\n\n";
    EXPECT_FALSE(parse_envelope(text)) << when;
    text = "hostmail-queue 1\nsender -\narrived 5\nrcpt pending 0 " + std::string(when) +
           " a@b.example a@b.example -\n\n";
    EXPECT_FALSE(parse_envelope(text)) << when;
  }
  EXPECT_TRUE(parse_envelope(
      "hostmail-queue 1\nsender -\narrived 1732540000\nrcpt pending 0 0 a@b.example a@b.example "
      "-\n\n"));
}

TEST(QueueFormat, BouncedIsAFailedRecipientWhoseSenderWasTold) {
  const std::string text =
      "hostmail-queue 1\n"
      "sender a@example.org\n"
      "arrived 1700000000\n"
      "rcpt failed 1 0 bob bob@mx.example 550 5.1.1 no such user\n"
      "rcpt bounced 1 0 carol carol@mx.example 550 5.1.1 no such user\n"
      "\n";
  auto parsed = parse_envelope(text);
  ASSERT_TRUE(parsed) << parsed.error().message();
  ASSERT_EQ(parsed->recipients.size(), 2u);
  // "failed" is what envelopes written before bounces existed hold: the
  // bounce is still due.
  EXPECT_EQ(parsed->recipients[0].state, State::kFailed);
  EXPECT_FALSE(parsed->recipients[0].bounced);
  EXPECT_EQ(parsed->recipients[1].state, State::kFailed);
  EXPECT_TRUE(parsed->recipients[1].bounced);
  EXPECT_EQ(write_envelope(*parsed), text);
  // The flag means nothing for other states and is not written for them.
  parsed->recipients[1].state = State::kDelivered;
  EXPECT_NE(write_envelope(*parsed).find("rcpt delivered 1 0 carol"), std::string::npos);
}

TEST(QueueFormat, RejectsWhatItDidNotWrite) {
  const std::string good = "hostmail-queue 1\nsender -\narrived 1\n\n";
  EXPECT_TRUE(parse_envelope(good));
  EXPECT_TRUE(parse_envelope(good + "message bytes may follow\n"));
  EXPECT_FALSE(parse_envelope(""));
  EXPECT_FALSE(parse_envelope("hostmail-queue 2\nsender -\narrived 1\n\n"));
  EXPECT_FALSE(parse_envelope("hostmail-queue 1\nsender -\narrived 1\n"));  // torn
  EXPECT_FALSE(parse_envelope("hostmail-queue 1\narrived 1\n\n"));          // no sender
  EXPECT_FALSE(parse_envelope("hostmail-queue 1\nsender -\narrived x\n\n"));
  EXPECT_FALSE(parse_envelope("hostmail-queue 1\nsender -\narrived 1\nrcpt queued 0 0 a b -\n\n"));
  EXPECT_FALSE(parse_envelope("hostmail-queue 1\nsender -\narrived 1\nrcpt pending 0 0 a\n\n"));
  EXPECT_FALSE(parse_envelope("hostmail-queue 1\nsender -\narrived 1\nbogus x\n\n"));
}

}  // namespace
}  // namespace hm::queue::format
