#include "imap/message/search_text.h"

#include <gtest/gtest.h>

#include "mime/message.h"

namespace hm::imap {
namespace {

TEST(DecodeHeaderValue, EncodedWordsAndRfc2231Parameters) {
  EXPECT_EQ(decode_header_value("=?ISO-8859-1?Q?Caf=E9?= <a@b>"), "Caf\xC3\xA9 <a@b>");
  EXPECT_EQ(decode_header_value("attachment; filename*=iso-8859-1'fr'r%E9sum%E9.txt"),
            "attachment; filename*=iso-8859-1'fr'r%E9sum%E9.txt filename=r\xC3\xA9sum\xC3\xA9.txt");
  EXPECT_EQ(decode_header_value("plain text"), "plain text");
}

TEST(ValueContains, PlainValuesInPlaceOthersDecoded) {
  EXPECT_TRUE(value_contains("Hello World", FoldedNeedle("WORLD")));
  EXPECT_FALSE(value_contains("Hello World", FoldedNeedle("worlds")));
  EXPECT_TRUE(value_contains("=?UTF-8?B?R3LDvMOfZQ==?=", FoldedNeedle("GR\xC3\x9CSSE")));
  EXPECT_FALSE(value_contains("=?UTF-8?B?R3LDvMOfZQ==?=", FoldedNeedle("utf-8")));
  EXPECT_TRUE(
      value_contains("Stra\xC3\x9F"
                     "e",
                     FoldedNeedle("STRASSE")));
  EXPECT_TRUE(value_contains("anything", FoldedNeedle("")));
}

TEST(BodyText, TextPartsDecodedAndConvertedAttachmentsLeftOut) {
  const std::string text =
      "Content-Type: multipart/mixed; boundary=b\n\n"
      "--b\nContent-Type: text/plain; charset=iso-8859-1\n"
      "Content-Transfer-Encoding: quoted-printable\n\ncaf=E9\n"
      "--b\nContent-Type: image/png\nContent-Transfer-Encoding: base64\n\naGlkZGVu\n"
      "--b\nContent-Type: message/rfc822\n\nSubject: =?UTF-8?Q?inn=C3=A9r?=\n\ninner text\n"
      "--b--\n";
  const mime::Message m = mime::Message::parse(text);
  std::string out;
  append_body_text(m, out);
  EXPECT_EQ(out, "caf\xC3\xA9\nSubject: inn\xC3\xA9r  \ninner text\n");
}

}  // namespace
}  // namespace hm::imap
