#include "mime/params.h"

#include <gtest/gtest.h>

#include <string>

namespace hm::mime {
namespace {

TEST(Params, ReadsValueAndParameters) {
  auto f = parse_field_with_params(R"~(text/plain; charset="utf-8" (a comment); format=flowed)~");
  EXPECT_EQ(f.value, "text/plain");
  ASSERT_EQ(f.params.size(), 2u);
  EXPECT_EQ(f.params[0].name, "charset");
  EXPECT_EQ(f.params[0].value, "utf-8");
  EXPECT_EQ(f.params[1].name, "format");
  EXPECT_EQ(f.params[1].value, "flowed");
}

TEST(Params, NamesAreLowerCasedAndQuotedPairsUnescaped) {
  auto f = parse_field_with_params(R"~(attachment; FileName="a \"b\" \\c.txt")~");
  ASSERT_EQ(f.params.size(), 1u);
  EXPECT_EQ(f.params[0].name, "filename");
  EXPECT_EQ(f.params[0].value, R"~(a "b" \c.txt)~");
}

TEST(Params, JoinsRfc2231ContinuationsInOrder) {
  auto f = parse_field_with_params(
      R"~(message/external-body; access-type=URL; URL*1="cp/xyz"; URL*0="ftp://example.org/")~");
  ASSERT_EQ(f.params.size(), 2u);
  EXPECT_EQ(f.params[1].name, "url");
  EXPECT_EQ(f.params[1].value, "ftp://example.org/cp/xyz");
}

TEST(Params, KeepsAnEncodedParameterEncodedAndDecodesItOnRequest) {
  auto f = parse_field_with_params(
      "attachment; filename*0*=utf-8''%E2%82%AC%20rates; filename*1=\" for 2003.txt\"");
  ASSERT_EQ(f.params.size(), 1u);
  EXPECT_EQ(f.params[0].name, "filename*");
  EXPECT_EQ(f.params[0].value, "utf-8''%E2%82%AC%20rates%20for%202003.txt");
  EXPECT_EQ(*param_utf8(f.params, "filename"), "\xE2\x82\xAC rates for 2003.txt");
}

TEST(Params, DecodesCharsetAndLanguageForm) {
  auto f = parse_field_with_params("application/x-stuff; title*=iso-8859-1'en'caf%E9");
  EXPECT_EQ(*param_utf8(f.params, "title"), "caf\xC3\xA9");
  EXPECT_FALSE(param_utf8(f.params, "name"));
}

TEST(Params, DecodesEncodedWordsInAPlainParameter) {
  auto f = parse_field_with_params(R"~(inline; filename="=?UTF-8?Q?caf=C3=A9.txt?=")~");
  EXPECT_EQ(f.params[0].value, "=?UTF-8?Q?caf=C3=A9.txt?=");
  EXPECT_EQ(*param_utf8(f.params, "filename"), "caf\xC3\xA9.txt");
}

TEST(Params, AGapInContinuationsEndsTheValue) {
  auto f = parse_field_with_params("x/y; n*0=a; n*2=c");
  ASSERT_EQ(f.params.size(), 1u);
  EXPECT_EQ(f.params[0].value, "a");
}

TEST(Params, SkipsMalformedParametersAndBoundsTheirNumber) {
  auto f = parse_field_with_params("text/plain; ; =x; noequals; a=1; \"q\"=2; b=2");
  ASSERT_EQ(f.params.size(), 2u);
  EXPECT_EQ(f.params[0].name, "a");
  EXPECT_EQ(f.params[1].name, "b");
  std::string many = "x/y";
  for (int i = 0; i < 500; ++i) many += "; p" + std::to_string(i) + "=v";
  EXPECT_EQ(parse_field_with_params(many).params.size(), kMaxParams);
}

}  // namespace
}  // namespace hm::mime
