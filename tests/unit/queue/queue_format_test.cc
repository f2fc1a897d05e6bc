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
      "hostmail-queue 2\n"
      "sender -\n"
      "arrived 1700000000\n"
      "rcpt deferred 2 1700000600 virtual john%20smith@example.org js@example.org 451 4.3.0 disk "
      "full\n"
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
      "hostmail-queue 2\n"
      "sender a@example.org\n"
      "arrived 1700000000\n"
      "rcpt failed 1 0 local bob bob@mx.example 550 5.1.1 no such user\n"
      "rcpt bounced 1 0 local carol carol@mx.example 550 5.1.1 no such user\n"
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
  EXPECT_NE(write_envelope(*parsed).find("rcpt delivered 1 0 local carol"), std::string::npos);
}

TEST(QueueFormat, RejectsWhatItDidNotWrite) {
  const std::string good = "hostmail-queue 1\nsender -\narrived 1\n\n";
  EXPECT_TRUE(parse_envelope(good));
  EXPECT_TRUE(parse_envelope(good + "message bytes may follow\n"));
  EXPECT_FALSE(parse_envelope(""));
  EXPECT_FALSE(parse_envelope("hostmail-queue 3\nsender -\narrived 1\n\n"));
  // A version 2 rcpt line needs its route; a version 1 line has none.
  EXPECT_FALSE(parse_envelope("hostmail-queue 2\nsender -\narrived 1\nrcpt pending 0 0 a b -\n\n"));
  EXPECT_FALSE(
      parse_envelope("hostmail-queue 2\nsender -\narrived 1\nrcpt pending 0 0 smtp a b -\n\n"));
  EXPECT_FALSE(parse_envelope(
      "hostmail-queue 2\nsender -\narrived 1\nrcpt pending 0 0 remote:%4 a b -\n\n"));
  EXPECT_FALSE(parse_envelope("hostmail-queue 1\nsender -\narrived 1\n"));  // torn
  EXPECT_FALSE(parse_envelope("hostmail-queue 1\narrived 1\n\n"));          // no sender
  EXPECT_FALSE(parse_envelope("hostmail-queue 1\nsender -\narrived x\n\n"));
  EXPECT_FALSE(parse_envelope("hostmail-queue 1\nsender -\narrived 1\nrcpt queued 0 0 a b -\n\n"));
  EXPECT_FALSE(parse_envelope("hostmail-queue 1\nsender -\narrived 1\nrcpt pending 0 0 a\n\n"));
  EXPECT_FALSE(parse_envelope("hostmail-queue 1\nsender -\narrived 1\nbogus x\n\n"));
}

// Issue 12: each recipient records how it is delivered. A remote one keeps
// its next hop: the domain, or an explicit "[host]:port" relay.
TEST(QueueFormat, EveryRecipientRecordsItsRouteAndNextHop) {
  const std::string text =
      "hostmail-queue 2\n"
      "sender a@example.org\n"
      "arrived 1700000000\n"
      "rcpt pending 0 0 virtual b@example.org b@example.org -\n"
      "rcpt deferred 1 1700000300 local bob bob@mx.example 451 4.3.0 busy\n"
      "rcpt pending 0 0 remote:far.example x@far.example x@far.example -\n"
      "rcpt pending 0 0 remote:[192.0.2.7]:587 y@near.example y@near.example -\n"
      "rcpt pending 0 0 remote:[2001:db8::1]:25 z@v6.example z@v6.example -\n"
      "\n";
  auto parsed = parse_envelope(text);
  ASSERT_TRUE(parsed) << parsed.error().message();
  ASSERT_EQ(parsed->recipients.size(), 5u);
  using K = Route::Kind;
  EXPECT_EQ(parsed->recipients[0].route, (Route{K::kVirtual, ""}));
  EXPECT_EQ(parsed->recipients[1].route, (Route{K::kLocal, ""}));
  EXPECT_EQ(parsed->recipients[1].address, "bob");
  EXPECT_EQ(parsed->recipients[2].route, (Route{K::kRemote, "far.example"}));
  EXPECT_EQ(parsed->recipients[2].address, "x@far.example");
  EXPECT_EQ(parsed->recipients[3].route, (Route{K::kRemote, "[192.0.2.7]:587"}));
  EXPECT_EQ(parsed->recipients[4].route, (Route{K::kRemote, "[2001:db8::1]:25"}));
  EXPECT_EQ(write_envelope(*parsed), text);
  // A next hop with odd bytes stays one word, and comes back whole.
  parsed->recipients[2].route.next_hop =
      "b\xc3\xbc"
      "cher .example";
  auto again = parse_envelope(write_envelope(*parsed));
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ(again->recipients[2].route.next_hop,
            "b\xc3\xbc"
            "cher .example");
}

// A queue survives an upgrade: envelopes of version 1 (no route) are still
// read, with the route inferred, and rewritten in the current version.
TEST(QueueFormat, Version1EnvelopesAreStillRead) {
  const std::string old =
      "hostmail-queue 1\n"
      "sender a@example.org\n"
      "arrived 1700000000\n"
      "rcpt deferred 2 1700000600 john@example.org js@example.org 452 4.2.2 mailbox full\n"
      "rcpt failed 1 0 bob bob@mx.example 550 5.1.1 no such user\n"
      "rcpt deferred 3 1700000900 x@remote.example x@remote.example 451 4.4.0 waiting\n"
      "\n";
  auto parsed = parse_envelope(old);
  ASSERT_TRUE(parsed) << parsed.error().message();
  ASSERT_EQ(parsed->recipients.size(), 3u);
  const QueuedRecipient& john = parsed->recipients[0];
  EXPECT_EQ(john.address, "john@example.org");
  EXPECT_EQ(john.original, "js@example.org");
  EXPECT_EQ(john.state, State::kDeferred);
  EXPECT_EQ(john.attempts, 2u);
  EXPECT_EQ(john.last_error, "452 4.2.2 mailbox full");
  EXPECT_EQ(john.route.kind, Route::Kind::kVirtual);
  EXPECT_EQ(parsed->recipients[1].route.kind, Route::Kind::kLocal);
  EXPECT_FALSE(parsed->recipients[1].bounced);
  // Version 1 did not say whether an address was hosted: it is resolved
  // again at its next retry, which routes it to the remote transport if not.
  EXPECT_EQ(parsed->recipients[2].route.kind, Route::Kind::kVirtual);
  const std::string now = write_envelope(*parsed);
  EXPECT_EQ(now.substr(0, now.find('\n')), kMagic);
  EXPECT_NE(now.find("rcpt failed 1 0 local bob bob@mx.example 550"), std::string::npos);
}

}  // namespace
}  // namespace hm::queue::format
