#include "smtp/proto/sasl.h"

#include <gtest/gtest.h>

namespace hm::smtp::proto {
namespace {

TEST(Sasl, MechanismsAreCaseInsensitiveAndOnlyPlainAndLogin) {
  EXPECT_EQ(sasl_mechanism("plain"), SaslMechanism::kPlain);
  EXPECT_EQ(sasl_mechanism("LOGIN"), SaslMechanism::kLogin);
  EXPECT_FALSE(sasl_mechanism("CRAM-MD5"));
  EXPECT_FALSE(sasl_mechanism(""));
}

TEST(Sasl, PlainSplitsAuthzidLoginAndPassword) {
  // "\0john@example.org\0pw d" and "john@example.org\0john@example.org\0pw".
  auto c = decode_plain("AGpvaG5AZXhhbXBsZS5vcmcAcHcgZA==");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->login, "john@example.org");
  EXPECT_EQ(c->password, "pw d");
  c = decode_plain("am9obkBleGFtcGxlLm9yZwBqb2huQGV4YW1wbGUub3JnAHB3");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->password, "pw");
}

TEST(Sasl, PlainRefusesSomebodyElsesAuthzidAndMalformedResponses) {
  // "mary@example.org\0john@example.org\0pw": john acting as mary.
  EXPECT_FALSE(decode_plain("bWFyeUBleGFtcGxlLm9yZwBqb2huQGV4YW1wbGUub3JnAHB3"));
  EXPECT_FALSE(decode_plain("="));                 // empty
  EXPECT_FALSE(decode_plain("am9obg=="));          // "john": no NULs
  EXPECT_FALSE(decode_plain("AGpvaG4AcHcAeA=="));  // "\0john\0pw\0x": a third NUL
  EXPECT_FALSE(decode_plain("not base64!"));
}

TEST(Sasl, LoginLines) {
  EXPECT_EQ(decode_login_line("am9obkBleGFtcGxlLm9yZw=="), "john@example.org");
  EXPECT_EQ(decode_login_line("="), "");
  EXPECT_FALSE(decode_login_line("AA=="));  // a NUL
  EXPECT_FALSE(decode_login_line("*not*"));
}

TEST(Sasl, RepliesCarryTheCodesOfRfc4954) {
  EXPECT_EQ(format(auth_succeeded()), "235 2.7.0 Authentication successful\r\n");
  EXPECT_EQ(auth_invalid().enhanced, "5.7.8");
  EXPECT_EQ(auth_invalid().code, 535);
  EXPECT_EQ(auth_temporary().code, 454);
  EXPECT_EQ(auth_needs_encryption().code, 538);
  EXPECT_EQ(auth_needs_encryption().enhanced, "5.7.11");
  EXPECT_EQ(auth_required().code, 530);
  EXPECT_EQ(auth_required().enhanced, "5.7.0");
}

}  // namespace
}  // namespace hm::smtp::proto
