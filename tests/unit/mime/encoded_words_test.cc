#include "mime/encoded_words.h"

#include <gtest/gtest.h>

#include "mime/charset.h"

namespace hm::mime {
namespace {

TEST(EncodedWords, DecodesBAndQ) {
  EXPECT_EQ(decode_encoded_words("=?UTF-8?B?SGVsbG8gd29ybGQ=?="), "Hello world");
  EXPECT_EQ(decode_encoded_words("=?utf-8?q?caf=C3=A9_au_lait?="), "caf\xC3\xA9 au lait");
}

TEST(EncodedWords, ConvertsCharsetsToUtf8) {
  EXPECT_EQ(decode_encoded_words("=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?="),
            "Keld J\xC3\xB8rn Simonsen");
  // Through iconv: windows-1252's euro sign and KOI8-R.
  EXPECT_EQ(decode_encoded_words("=?windows-1252?Q?=80?="), "\xE2\x82\xAC");
  EXPECT_EQ(decode_encoded_words("=?koi8-r?B?8NLJ18XU?="),
            "\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82");
  // RFC 2231's language suffix is ignored.
  EXPECT_EQ(decode_encoded_words("=?US-ASCII*EN?Q?Keith_Moore?="), "Keith Moore");
}

TEST(EncodedWords, DropsBlanksBetweenWordsButKeepsThemBesideText) {
  EXPECT_EQ(decode_encoded_words("=?UTF-8?Q?a?= =?UTF-8?Q?b?="), "ab");
  EXPECT_EQ(decode_encoded_words("=?UTF-8?Q?a?=  \t =?ISO-8859-1?Q?b?="), "ab");
  EXPECT_EQ(decode_encoded_words("x =?UTF-8?Q?a?= y"), "x a y");
  EXPECT_EQ(decode_encoded_words("=?UTF-8?Q?a?= x =?UTF-8?Q?b?="), "a x b");
}

TEST(EncodedWords, JoinsACharacterSplitAcrossTwoWords) {
  // U+00E9 is C3 A9; each word holds half of it.
  EXPECT_EQ(decode_encoded_words("=?UTF-8?B?w6?= =?UTF-8?Q?=A9?="), "\xC3\xA9");
}

TEST(EncodedWords, LeavesMalformedWordsAsWritten) {
  EXPECT_EQ(decode_encoded_words("=?UTF-8?X?abc?="), "=?UTF-8?X?abc?=");
  EXPECT_EQ(decode_encoded_words("=?UTF-8?Q?no end"), "=?UTF-8?Q?no end");
  EXPECT_EQ(decode_encoded_words("=??Q?a?="), "=??Q?a?=");
  EXPECT_EQ(decode_encoded_words("=?UTF-8?Q?a b?="), "=?UTF-8?Q?a b?=");
}

TEST(EncodedWords, ReplacesWhatCannotBeConverted) {
  EXPECT_EQ(decode_encoded_words("=?UTF-8?Q?=FF?="), "\xEF\xBF\xBD");
  EXPECT_EQ(decode_encoded_words("raw \xC3("), "raw \xEF\xBF\xBD(");
  // An unknown charset: taken as UTF-8.
  EXPECT_EQ(decode_encoded_words("=?x-unknown?Q?ok?="), "ok");
}

TEST(Charset, ValidUtf8PassesAndOverlongFormsDoNot) {
  std::string out;
  append_valid_utf8("\xE2\x82\xAC\xC0\xAF", out);
  EXPECT_EQ(out, "\xE2\x82\xAC\xEF\xBF\xBD\xEF\xBF\xBD");
}

}  // namespace
}  // namespace hm::mime
