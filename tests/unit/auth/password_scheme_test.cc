#include "auth/password_scheme.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace hm::auth {
namespace {

constexpr std::string_view kPassword = "correct horse battery staple";

// Every scheme: a fresh hash verifies the right password only.
class EverySchemeTest : public ::testing::TestWithParam<std::string> {};

TEST_P(EverySchemeTest, HashThenVerify) {
  auto hashed = hash_password(kPassword, GetParam());
  ASSERT_TRUE(hashed) << hashed.error().describe();
  EXPECT_EQ(hashed->front(), '{');
  EXPECT_EQ(hashed->find(kPassword), std::string::npos);

  auto right = verify_password(*hashed, kPassword);
  ASSERT_TRUE(right) << right.error().describe();
  EXPECT_TRUE(*right) << *hashed;

  auto wrong = verify_password(*hashed, "correct horse battery stapler");
  ASSERT_TRUE(wrong) << wrong.error().describe();
  EXPECT_FALSE(*wrong);

  auto empty = verify_password(*hashed, "");
  ASSERT_TRUE(empty) << empty.error().describe();
  EXPECT_FALSE(*empty);
}

TEST_P(EverySchemeTest, SaltedSchemesGiveDifferentHashesEachTime) {
  const std::string& scheme = GetParam();
  auto first = hash_password(kPassword, scheme);
  auto second = hash_password(kPassword, scheme);
  ASSERT_TRUE(first && second);
  if (scheme == "SHA" || scheme == "MD5" || scheme == "SHA256" || scheme == "SHA512") {
    EXPECT_EQ(*first, *second);
  } else {
    EXPECT_NE(*first, *second);
  }
}

INSTANTIATE_TEST_SUITE_P(PasswordScheme, EverySchemeTest, ::testing::ValuesIn(supported_schemes()),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (char& c : name) {
                             if (c == '-') c = '_';
                           }
                           return name;
                         });

TEST(PasswordSchemeTest, SupportedSchemesListsTheRequiredOnes) {
  auto schemes = supported_schemes();
  for (std::string_view s :
       {"SSHA", "SHA", "SMD5", "MD5", "SSHA256", "SSHA512", "CRYPT", "CRYPT-YESCRYPT",
        "CRYPT-SHA512", "CRYPT-SHA256", "CRYPT-BCRYPT", "CRYPT-MD5", "ARGON2ID", "ARGON2"}) {
    EXPECT_NE(std::find(schemes.begin(), schemes.end(), s), schemes.end()) << s;
  }
  EXPECT_NE(std::find(schemes.begin(), schemes.end(), default_scheme()), schemes.end());
}

TEST(PasswordSchemeTest, DefaultSchemeIsYescrypt) {
  auto hashed = hash_password(kPassword, default_scheme());
  ASSERT_TRUE(hashed) << hashed.error().describe();
  EXPECT_TRUE(hashed->starts_with("{CRYPT}$y$")) << *hashed;
}

TEST(PasswordSchemeTest, OutputPrefixes) {
  struct Case {
    std::string scheme;
    std::string prefix;
  };
  for (const auto& c : std::initializer_list<Case>{
           {"ssha", "{SSHA}"},
           {"{SSHA}", "{SSHA}"},
           {"Smd5", "{SMD5}"},
           {"CRYPT", "{CRYPT}$y$"},
           {"crypt-yescrypt", "{CRYPT}$y$"},
           {"CRYPT-SHA512", "{CRYPT}$6$"},
           {"CRYPT-SHA256", "{CRYPT}$5$"},
           {"CRYPT-BCRYPT", "{CRYPT}$2b$10$"},
           {"CRYPT-MD5", "{CRYPT}$1$"},
           {"argon2id", "{ARGON2ID}$argon2id$v=19$m=19456,t=2,p=1$"},
           {"ARGON2", "{ARGON2}$argon2id$v=19$"},
       }) {
    auto hashed = hash_password("x", c.scheme);
    ASSERT_TRUE(hashed) << c.scheme << ": " << hashed.error().describe();
    EXPECT_TRUE(hashed->starts_with(c.prefix)) << c.scheme << " gave " << *hashed;
  }
}

TEST(PasswordSchemeTest, SaltedDigestsUseAnEightByteSalt) {
  // base64 of 20 + 8 bytes is 40 characters; 16 + 8 is 32.
  EXPECT_EQ(hash_password("x", "SSHA")->size(), std::string("{SSHA}").size() + 40);
  EXPECT_EQ(hash_password("x", "SMD5")->size(), std::string("{SMD5}").size() + 32);
}

// Known answers computed independently with Python:
//   hashlib.new(alg, pw + salt).digest() + salt, base64-encoded.
TEST(PasswordSchemeTest, UnsaltedKnownAnswers) {
  EXPECT_EQ(*hash_password(kPassword, "SHA"), "{SHA}q/eq1kOINtvlJqojGr3i0O73TUI=");
  EXPECT_EQ(*hash_password(kPassword, "MD5"), "{MD5}nMKuihunqT2jm0b8EBnEgQ==");
  EXPECT_EQ(*hash_password(kPassword, "SHA256"),
            "{SHA256}xLvLH77JnWW/WdhcjLYu4tuWPw/hBvSD2a+nO9Tjmoo=");
  EXPECT_EQ(
      *hash_password(kPassword, "SHA512"),
      "{SHA512}vl73Z52Iq5qQRfYmflX15XhLS4zXZLXNhVpSRPkcYmlTzUbEPXZohz/W7707IhJJMVWAAxljRyoHh4H+"
      "BG5irg==");
  EXPECT_EQ(*hash_password("", "SHA"), "{SHA}2jmj7l5rSw0yVb/vlWAYkK/YBwk=");
}

TEST(PasswordSchemeTest, SaltedKnownAnswers) {
  const char* vectors[] = {
      // salt 00 11 22 33 44 55 66 77
      "{SSHA}4oYjUMqV0V66EZo/6Z1LRSdv8zYAESIzRFVmdw==",
      "{SMD5}md7HtmElG1zFwhAvun8zjAARIjNEVWZ3",
      "{SSHA256}proBhMSMXqkBOqVxHXTmyVhJdUW2kqfohGRWYuDxMKsAESIzRFVmdw==",
      "{SSHA512}biMxV2QOcB4lhZDFil6Mst+/O5QZo/WZPM8QhCjLVgyD8UzMDHxczeCr//"
      "z0aFzLnSJilv8L2CsG72vaaS2l0wARIjNEVWZ3",
      // salt ff: the shortest salt there is
      "{SSHA}QIhnQHvlP4zdFLpiDynsx0xGVIz/",
      "{SMD5}U04dMBTLOztg9F11TcSh0/8=",
      "{SSHA256}t3Z1LBz7Z9cdwsRJ9mzdENgxN3WI3Qw6ixd8xuoCMVL/",
      "{SSHA512}tCVBFS06R0uFvgFkNsvdEx+TDab5Rp9PZmYdM6ejFic/dG75P2qwX69V8pd/"
      "QTXnidTW6ia/kiPOGgVyt3TaHP8=",
      // salt 00 01 .. 0f
      "{SSHA}e0hu+WdvSm9HTU9++WhsaCCqTBAAAQIDBAUGBwgJCgsMDQ4P",
      "{SMD5}iTHBPdabNdFfrdxXHW4MOwABAgMEBQYHCAkKCwwNDg8=",
      "{SSHA256}G/QFDZcE49wdz+D7yZ/NjEI9gB2RFYr+GlL07AKGkc8AAQIDBAUGBwgJCgsMDQ4P",
      "{SSHA512}airehsiaib2WDPFCOi2ggf5xtiapt8g2WTiyeBFa0Jyk9cJb+bU8hlq53/"
      "DcohLiQlVNCuyVloGVfMIzqEToygABAgMEBQYHCAkKCwwNDg8=",
  };
  for (const char* stored : vectors) {
    auto right = verify_password(stored, kPassword);
    ASSERT_TRUE(right) << stored << ": " << right.error().describe();
    EXPECT_TRUE(*right) << stored;
    auto wrong = verify_password(stored, "Correct horse battery staple");
    ASSERT_TRUE(wrong) << stored;
    EXPECT_FALSE(*wrong) << stored;
  }
}

TEST(PasswordSchemeTest, SeedHashVerifies) {
  EXPECT_EQ(verify_password("{SSHA}ra0sD47QP32ASAlaAhF8kgi+8Aflbgr7", "secret"), true);
  EXPECT_EQ(verify_password("{SSHA}ra0sD47QP32ASAlaAhF8kgi+8Aflbgr7", "Secret"), false);
  // Scheme names in stored values are case-insensitive, as in OpenLDAP.
  EXPECT_EQ(verify_password("{ssha}ra0sD47QP32ASAlaAhF8kgi+8Aflbgr7", "secret"), true);
}

TEST(PasswordSchemeTest, MissingBase64PaddingIsAccepted) {
  EXPECT_EQ(verify_password("{MD5}nMKuihunqT2jm0b8EBnEgQ", kPassword), true);
}

TEST(PasswordSchemeTest, KnownCryptAndArgon2Hashes) {
  // Made by slappasswd 2.5 (Debian bookworm) for "secret".
  EXPECT_EQ(verify_password("{CRYPT}$1$Mdra4AHC$lLoL0MLTt9g1JDkiuCvn11", "secret"), true);
  EXPECT_EQ(verify_password(
                "{CRYPT}$5$FoCjR5b0zmTYymba$98jmGijj6QuSmFdilks70Tg50QoqAqqqSw/jrgGDmxC", "secret"),
            true);
  EXPECT_EQ(verify_password("{ARGON2}$argon2i$v=19$m=4096,t=3,p=1$DYI3E2+RF/FS/IU4jeIyhQ$"
                            "qIC4lXcFqSJiMuQxwvXzgdAJz1xK5NOFcYEBndmPpfg",
                            "secret"),
            true);
  EXPECT_EQ(verify_password("{ARGON2}$argon2i$v=19$m=4096,t=3,p=1$DYI3E2+RF/FS/IU4jeIyhQ$"
                            "qIC4lXcFqSJiMuQxwvXzgdAJz1xK5NOFcYEBndmPpfg",
                            "secreT"),
            false);
}

TEST(PasswordSchemeTest, ArgonPrefixesAreInterchangeable) {
  auto hashed = hash_password(kPassword, "ARGON2ID");
  ASSERT_TRUE(hashed);
  std::string as_openldap = "{ARGON2}" + hashed->substr(std::string("{ARGON2ID}").size());
  EXPECT_EQ(verify_password(as_openldap, kPassword), true);
}

TEST(PasswordSchemeTest, ValuesWithoutSchemeNeverMatch) {
  EXPECT_EQ(verify_password("", ""), false);
  EXPECT_EQ(verify_password("secret", "secret"), false);
  EXPECT_EQ(verify_password("{SSHA", "secret"), false);
  EXPECT_EQ(verify_password("{}secret", "secret"), false);
}

void expect_invalid(std::string_view stored, std::string_view mentions) {
  auto r = verify_password(stored, "secret");
  ASSERT_FALSE(r) << "'" << stored << "' gave " << *r;
  EXPECT_EQ(r.error().kind(), ErrorKind::kInvalid) << stored;
  EXPECT_NE(r.error().message().find(mentions), std::string::npos)
      << stored << ": " << r.error().message();
}

TEST(PasswordSchemeTest, MalformedHashesAreErrorsNamingTheScheme) {
  expect_invalid("{CLEARTEXT}secret", "CLEARTEXT");
  expect_invalid("{ROT13}frperg", "{ROT13}");
  expect_invalid("{SSHA}", "{SSHA}");
  expect_invalid("{SSHA}not base64!!", "{SSHA}");
  expect_invalid("{SSHA}ra0sD47QP32ASAlaAhF8kgi+8A==", "{SSHA}");       // digest without salt
  expect_invalid("{SSHA}ra0sD47QP32ASAla", "{SSHA}");                   // truncated
  expect_invalid("{SSHA}ra0sD47QP32ASAlaAhF8kgi+8Aflbgr7=", "{SSHA}");  // wrong padding
  expect_invalid("{SSHA}r", "{SSHA}");
  expect_invalid("{SHA}q/eq1kOINtvlJqojGr3i0O73TUI=AAAA", "{SHA}");  // too long
  expect_invalid("{MD5}nMKuihunqT2jm0b8EBnE", "{MD5}");              // too short
  expect_invalid("{SMD5}md7H tmElG1zFwhAvun8zjAARIjNEVWZ3", "{SMD5}");
  expect_invalid("{SSHA256}proBhMSMXqkBOqVxHXTmyVhJdUW2kqfohGRWYuDxMKs=", "{SSHA256}");
  expect_invalid("{CRYPT}", "{CRYPT}");
  expect_invalid("{CRYPT}$9$nonsense", "{CRYPT}");
  expect_invalid("{ARGON2ID}", "{ARGON2ID}");
  expect_invalid("{ARGON2ID}$argon2id$v=19$m=abc,t=2,p=1$c2FsdHNhbHQ$aGFzaA", "{ARGON2ID}");
  expect_invalid("{ARGON2}$argon2id$v=19$m=4096,t=3,p=1$c2FsdHNhbHQ", "{ARGON2}");  // no hash
  expect_invalid(
      "{ARGON2ID}$argon2id$v=19$m=4194304,t=2,p=1$c2FsdHNhbHRzYWx0$"
      "aGFzaGhhc2hoYXNoaGFzaA",
      "{ARGON2ID}");  // asks for 4 GiB
  expect_invalid(std::string_view("{SSHA}ra0s\0D47QP32ASAlaAhF8kgi+8Aflbgr7", 37), "{SSHA}");
}

TEST(PasswordSchemeTest, UnknownSchemeOnHashIsAnError) {
  for (std::string_view scheme : {"", "CLEARTEXT", "ROT13", "CRYPT-DES", "{}", "SSHA1"}) {
    auto r = hash_password("secret", scheme);
    ASSERT_FALSE(r) << scheme;
    EXPECT_EQ(r.error().kind(), ErrorKind::kInvalid);
    EXPECT_NE(r.error().message().find("SSHA"), std::string::npos) << r.error().message();
  }
}

TEST(PasswordSchemeTest, NulBytesInPasswords) {
  const std::string with_nul("secret\0more", 11);
  // Digest schemes hash all bytes.
  auto ssha = hash_password(with_nul, "SSHA");
  ASSERT_TRUE(ssha);
  EXPECT_EQ(verify_password(*ssha, with_nul), true);
  EXPECT_EQ(verify_password(*ssha, "secret"), false);
  // libcrypt would cut at the NUL: refused when hashing, no match when verifying.
  auto crypt = hash_password(with_nul, "CRYPT");
  ASSERT_FALSE(crypt);
  EXPECT_EQ(crypt.error().kind(), ErrorKind::kInvalid);
  auto plain = hash_password("secret", "CRYPT");
  ASSERT_TRUE(plain);
  EXPECT_EQ(verify_password(*plain, with_nul), false);
}

TEST(PasswordSchemeTest, LongAndBinaryPasswords) {
  const std::string long_password(4096, 'x');
  for (std::string_view scheme : {"SSHA512", "ARGON2ID"}) {
    auto hashed = hash_password(long_password, scheme);
    ASSERT_TRUE(hashed) << scheme;
    EXPECT_EQ(verify_password(*hashed, long_password), true) << scheme;
    EXPECT_EQ(verify_password(*hashed, long_password + "x"), false) << scheme;
  }
  // libcrypt takes at most 511 bytes.
  const std::string longest(511, 'y');
  auto crypt = hash_password(longest, "CRYPT");
  ASSERT_TRUE(crypt) << crypt.error().describe();
  EXPECT_EQ(verify_password(*crypt, longest), true);
  EXPECT_EQ(verify_password(*crypt, longest + "y"), false);
  auto too_long = hash_password(longest + "y", "CRYPT");
  ASSERT_FALSE(too_long);
  EXPECT_EQ(too_long.error().kind(), ErrorKind::kInvalid);

  const std::string utf8 = "p\xc3\xa4ssw\xc3\xb6rd";
  auto hashed = hash_password(utf8, "SSHA");
  ASSERT_TRUE(hashed);
  EXPECT_EQ(verify_password(*hashed, utf8), true);
}

}  // namespace
}  // namespace hm::auth
