#include "mime/transfer.h"

#include <gtest/gtest.h>

namespace hm::mime {
namespace {

TEST(Transfer, QuotedPrintable) {
  EXPECT_EQ(decode_quoted_printable("caf=C3=A9 =3D ok"), "caf\xC3\xA9 = ok");
  EXPECT_EQ(decode_quoted_printable("soft=\r\nbreak\r\nhard  \r\n"), "softbreak\r\nhard\r\n");
  EXPECT_EQ(decode_quoted_printable("lf=\nonly\n"), "lfonly\n");
  EXPECT_EQ(decode_quoted_printable("bad =ZZ and =4"), "bad =ZZ and =4");
}

TEST(Transfer, ByEncodingName) {
  EXPECT_EQ(*decode_transfer("BASE64", "aGVsbG8K"), "hello\n");
  EXPECT_EQ(*decode_transfer("Quoted-Printable", "a=3Db"), "a=b");
  EXPECT_EQ(*decode_transfer("", "as is=3D"), "as is=3D");
  EXPECT_EQ(*decode_transfer("8bit", "as is=3D"), "as is=3D");
  EXPECT_FALSE(decode_transfer("x-uuencode", "begin 644"));
}

}  // namespace
}  // namespace hm::mime
