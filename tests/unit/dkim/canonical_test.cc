// The relaxed canonicalizations, byte for byte: RFC 6376's own example
// (3.4.5), and body hashes that dkimpy (an independent implementation,
// Debian's python3-dkim) computes for the same bodies.

#include "dkim/canonical.h"

#include <gtest/gtest.h>
#include <openssl/sha.h>

#include <string>

#include "base/base64.h"

namespace hm::dkim {
namespace {

using namespace std::string_literals;
using namespace std::string_view_literals;

std::string header(std::string_view field) {
  std::string out;
  append_relaxed_header(out, field);
  return out;
}

std::string body_hash(std::string_view body) {
  std::string canonical = relaxed_body(body);
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(canonical.data()), canonical.size(), md);
  return base64_encode(std::string_view(reinterpret_cast<char*>(md), sizeof md));
}

// RFC 6376 3.4.5: "A: X", "B : Y<HTAB><CRLF><HTAB>Z<SP><SP>".
TEST(RelaxedHeader, Rfc6376Example) {
  EXPECT_EQ(header("A: X"), "a:X\r\n");
  EXPECT_EQ(header("B : Y\t\r\n\tZ  "), "b:Y Z\r\n");
}

TEST(RelaxedBody, Rfc6376Example) {
  EXPECT_EQ(relaxed_body(" C \r\nD \t E\r\n\r\n\r\n"), " C\r\nD E\r\n");
}

TEST(RelaxedHeader, NameCaseIsLowered) {
  EXPECT_EQ(header("SUBJECT: Hi"), "subject:Hi\r\n");
  EXPECT_EQ(header("Content-TYPE: Text/Plain"), "content-type:Text/Plain\r\n");  // value kept
}

TEST(RelaxedHeader, WhiteSpaceRunsAndEnds) {
  EXPECT_EQ(header("Subject:   a \t\t b\t  "), "subject:a b\r\n");
  EXPECT_EQ(header("Subject:"), "subject:\r\n");
  EXPECT_EQ(header("Subject: \t "), "subject:\r\n");
  EXPECT_EQ(header("Subject \t :x"), "subject:x\r\n");
}

TEST(RelaxedHeader, LongFoldedFieldIsUnfolded) {
  std::string field = "To: a@example.org,\r\n b@example.org,\r\n\t c@example.org";
  std::string expected = "to:a@example.org, b@example.org, c@example.org\r\n";
  for (int i = 0; i < 50; ++i) {
    field += ",\r\n   x" + std::to_string(i) + "@example.org";
    expected.insert(expected.size() - 2, ", x" + std::to_string(i) + "@example.org");
  }
  EXPECT_EQ(header(field), expected);
}

TEST(RelaxedHeader, CrlfOnlyUnfoldsNotBareCrOrLf) {
  // A CRLF followed by no white space is removed too (dkimpy does the same).
  EXPECT_EQ(header("X: a\r\nb"), "x:ab\r\n");
  EXPECT_EQ(header("X: a\rb\nc\0d"sv), "x:a\rb\nc\0d\r\n"s);
}

TEST(RelaxedHeader, WithoutCrlfForTheSignatureField) {
  std::string out;
  append_relaxed_header(out, "DKIM-Signature: v=1;\r\n b=", false);
  EXPECT_EQ(out, "dkim-signature:v=1; b=");
}

TEST(RelaxedHeader, NoColon) { EXPECT_EQ(header("garbage"), "garbage:\r\n"); }

TEST(RelaxedBody, EmptyBodies) {
  EXPECT_EQ(relaxed_body(""), "");
  EXPECT_EQ(relaxed_body("\r\n"), "");
  EXPECT_EQ(relaxed_body("\r\n\r\n\r\n"), "");
  EXPECT_EQ(relaxed_body(" \t \r\n\t\r\n"), "");
  EXPECT_EQ(relaxed_body("  "), "");  // a last line without CRLF: as if it had one
}

TEST(RelaxedBody, TrailingBlankLinesGoInnerOnesStay) {
  EXPECT_EQ(relaxed_body("a\r\n\r\nb\r\n\r\n \r\n"), "a\r\n\r\nb\r\n");
  EXPECT_EQ(relaxed_body("\r\n\r\na\r\n"), "\r\n\r\na\r\n");
}

TEST(RelaxedBody, WhiteSpace) {
  EXPECT_EQ(relaxed_body("\t a  b\t\tc \t\r\n"), " a b c\r\n");
  EXPECT_EQ(relaxed_body("x \r\n"), "x\r\n");
}

TEST(RelaxedBody, MissingFinalCrlfIsAdded) {
  EXPECT_EQ(relaxed_body("abc"), "abc\r\n");
  EXPECT_EQ(relaxed_body("abc\r\ndef  "), "abc\r\ndef\r\n");
}

TEST(RelaxedBody, BareCrAndLfAreData) {
  EXPECT_EQ(relaxed_body("a\nb \n\r\n"), "a\nb \n\r\n");
  EXPECT_EQ(relaxed_body("a\r"), "a\r\r\n");
  EXPECT_EQ(relaxed_body("a\0 b\r\n"sv), "a\0 b\r\n"s);
}

TEST(RelaxedBody, LongBodyInPiecesIsTheSame) {
  std::string body;
  std::string expected;
  for (int i = 0; i < 5000; ++i) {
    body += "line " + std::to_string(i) + "  with\t\tspace  \r\n";
    expected += "line " + std::to_string(i) + " with space\r\n";
  }
  body += "\r\n\r\n";
  size_t pieces = 0;
  std::string out;
  relaxed_body(body, [&](std::string_view p) {
    ++pieces;
    out += p;
  });
  EXPECT_EQ(out, expected);
  EXPECT_GT(pieces, 1u);
}

// bh= values dkimpy computes (dkim.canonicalization.Relaxed + SHA-256).
TEST(RelaxedBody, HashesAgreeWithDkimpy) {
  EXPECT_EQ(body_hash(""), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
  EXPECT_EQ(body_hash("\r\n"), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
  EXPECT_EQ(body_hash(" C \r\nD \t E\r\n\r\n\r\n"), "unak6JHq0wL+Q1HP7dW1tjBx9FLA6DffoZ0qrLwbbpo=");
  EXPECT_EQ(body_hash("Hello,\r\n\r\nthis is  a\ttest.   \r\n\r\n-- \r\nme\r\n"),
            "xYqYR/wYVDqyMB0fit/N5xz/D9b8wC3OnNqYdvduDQg=");
  EXPECT_EQ(body_hash("a\r\n \t \r\n\t\r\n"), "jkYhN5eG70Kk/sFVzVJcKR3X2zwf3jR4Ui9PYcA/0b0=");
}

}  // namespace
}  // namespace hm::dkim
