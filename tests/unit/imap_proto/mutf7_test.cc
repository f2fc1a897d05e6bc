#include "imap/proto/mutf7.h"

#include <gtest/gtest.h>

namespace hm::imap::proto {
namespace {

TEST(Mutf7Test, DecodesRfc3501Example) {
  // RFC 3501 5.1.3: "~peter/mail/台北/日本語"
  EXPECT_EQ(mutf7_decode("~peter/mail/&U,BTFw-/&ZeVnLIqe-"),
            "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e");
}

TEST(Mutf7Test, EncodesRfc3501Example) {
  EXPECT_EQ(
      mutf7_encode("~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"),
      "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
}

TEST(Mutf7Test, AmpersandIsAmpersandDash) {
  EXPECT_EQ(mutf7_decode("Tom &- Jerry"), "Tom & Jerry");
  EXPECT_EQ(mutf7_encode("Tom & Jerry"), "Tom &- Jerry");
}

TEST(Mutf7Test, RoundTripsLatinAndAstral) {
  for (const char* name :
       {"Entw\xc3\xbc"
        "rfe",
        "Gel\xc3\xb6scht", "\xf0\x9f\x93\xa7 mail", "caf\xc3\xa9 &co", "\xc2\xa0"}) {
    const auto encoded = mutf7_encode(name);
    ASSERT_TRUE(encoded) << name;
    EXPECT_EQ(mutf7_decode(*encoded), name) << *encoded;
  }
  EXPECT_EQ(mutf7_encode("Entw\xc3\xbc"
                         "rfe"),
            "Entw&APw-rfe");
  EXPECT_EQ(mutf7_encode("\xf0\x9f\x93\xa7"), "&2D3c5w-");  // U+1F4E7 = D83D DCE7
}

TEST(Mutf7Test, PlainAsciiUnchanged) {
  EXPECT_EQ(mutf7_decode("INBOX.Sent Items"), "INBOX.Sent Items");
  EXPECT_EQ(mutf7_encode("INBOX.Sent Items"), "INBOX.Sent Items");
  EXPECT_EQ(mutf7_decode(""), "");
}

TEST(Mutf7Test, RejectsMalformedInput) {
  EXPECT_FALSE(mutf7_decode("&Jjo"));                       // unterminated
  EXPECT_FALSE(mutf7_decode("&Jjo/-"));                     // '/' is not in the modified alphabet
  EXPECT_FALSE(mutf7_decode("&Jjo=-"));                     // padding
  EXPECT_FALSE(mutf7_decode("&AGE-"));                      // 'a' must stand for itself
  EXPECT_FALSE(mutf7_decode("&ACY-"));                      // '&' must be "&-"
  EXPECT_FALSE(mutf7_decode("&AAA-"));                      // NUL
  EXPECT_FALSE(mutf7_decode("&AAo-"));                      // LF
  EXPECT_FALSE(mutf7_decode("&2D0A6Q-"));                   // high surrogate, then U+00E9
  EXPECT_FALSE(mutf7_decode("&2D0-"));                      // high surrogate alone
  EXPECT_EQ(mutf7_decode("&2D3cAA-"), "\xf0\x9f\x90\x80");  // D83D DC00 = U+1F400
  EXPECT_FALSE(mutf7_decode("&3KY-"));                      // lone low surrogate
  EXPECT_FALSE(mutf7_decode("&APx-"));        // non-zero padding bits ("&APw-" is right)
  EXPECT_FALSE(mutf7_decode("&APwA-"));       // a wasted base64 character
  EXPECT_FALSE(mutf7_decode("caf\xc3\xa9"));  // 8-bit bytes
  EXPECT_FALSE(mutf7_decode("a\tb"));         // control characters
  EXPECT_FALSE(mutf7_decode("a\x7f"));
}

TEST(Mutf7Test, EncodeRejectsInvalidUtf8AndControls) {
  EXPECT_FALSE(mutf7_encode("\xc3"));              // truncated
  EXPECT_FALSE(mutf7_encode("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(mutf7_encode("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(mutf7_encode("\xf4\x90\x80\x80"));  // over U+10FFFF
  EXPECT_FALSE(mutf7_encode("a\nb"));
  EXPECT_FALSE(mutf7_encode("\xc2\x85"));  // NEL
}

}  // namespace
}  // namespace hm::imap::proto
