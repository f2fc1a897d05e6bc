// Signer: the DKIM-Signature field, checked with OpenSSL's verification
// over the canonical header as a verifier rebuilds it; folding; h=; and
// malformed messages signed without a crash. (Interoperation with another
// verifier, dkimpy, is tests/e2e/test_dkim.py.)

#include "dkim/signer.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include <map>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "base/base64.h"
#include "base/strings.h"
#include "dkim/canonical.h"
#include "dkim/header_reader.h"

namespace hm::dkim {
namespace {

using namespace std::string_literals;
using namespace std::string_view_literals;

const SigningKey& rsa_key() {
  static const SigningKey key = *SigningKey::generate(Algorithm::kRsaSha256, "example.org", "sel");
  return key;
}
const SigningKey& ed_key() {
  static const SigningKey key =
      *SigningKey::generate(Algorithm::kEd25519Sha256, "example.org", "ed");
  return key;
}

Signer fixed_signer() {
  SignerOptions o;
  o.clock = [] { return std::chrono::system_clock::time_point(std::chrono::seconds(1700000000)); };
  return Signer(o);
}

// The tags of a DKIM-Signature field, white space removed from each value.
std::map<std::string, std::string> tags(std::string_view field) {
  std::string value(field.substr(field.find(':') + 1));
  std::map<std::string, std::string> out;
  for (const std::string& part : split(value, ';')) {
    size_t eq = part.find('=');
    if (eq == std::string::npos) continue;
    std::string name(trim(std::string_view(part).substr(0, eq)));
    std::string v;
    for (char c : part.substr(eq + 1)) {
      if (c != ' ' && c != '\t' && c != '\r' && c != '\n') v += c;
    }
    out[name] = v;
  }
  return out;
}

// Verifies `signature` over `message` the way a verifier does (RFC 6376
// 6.1.3): picks the fields h= names from the bottom up, canonicalizes them
// and the signature field with b= emptied, and checks b= with the public
// key, through OpenSSL's verification (a different path from signing).
bool verifies(const std::string& signature, const std::string& message, const SigningKey& key) {
  auto t = tags(signature);
  std::vector<HeaderField> fields;
  HeaderReader reader(message);
  HeaderField f;
  while (reader.next(f)) fields.push_back(f);
  std::string body = relaxed_body(reader.body());
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(body.data()), body.size(), md);
  if (base64_encode(std::string_view(reinterpret_cast<char*>(md), sizeof md)) != t["bh"]) {
    return false;
  }
  std::string data;
  std::vector<bool> used(fields.size(), false);
  for (const std::string& name : split(t["h"], ':')) {
    for (size_t i = fields.size(); i-- > 0;) {
      if (!used[i] && iequals(fields[i].name, name)) {
        used[i] = true;
        append_relaxed_header(data, fields[i].text);
        break;
      }
    }
  }
  std::string unsigned_field = std::regex_replace(signature.substr(0, signature.size() - 2),
                                                  std::regex("b=[A-Za-z0-9+/=\r\n ]*$"), "b=");
  append_relaxed_header(data, unsigned_field, false);
  auto b = base64_decode(t["b"]);
  if (!b) return false;

  // The public key, from the DNS record's p=.
  std::string txt = key.dns_txt();
  auto p = base64_decode(txt.substr(txt.find("p=") + 2));
  if (!p) return false;
  EVP_PKEY* pub = nullptr;
  if (key.algorithm() == Algorithm::kRsaSha256) {
    const auto* der = reinterpret_cast<const unsigned char*>(p->data());
    pub = d2i_PUBKEY(nullptr, &der, static_cast<long>(p->size()));
  } else {
    pub = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                      reinterpret_cast<const unsigned char*>(p->data()), p->size());
  }
  if (!pub) return false;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  int rc;
  const auto* sig = reinterpret_cast<const unsigned char*>(b->data());
  if (key.algorithm() == Algorithm::kRsaSha256) {
    rc = EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, pub) == 1
             ? EVP_DigestVerify(ctx, sig, b->size(),
                                reinterpret_cast<const unsigned char*>(data.data()), data.size())
             : 0;
  } else {
    unsigned char hmd[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), hmd);
    rc = EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, pub) == 1
             ? EVP_DigestVerify(ctx, sig, b->size(), hmd, sizeof hmd)
             : 0;
  }
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(pub);
  return rc == 1;
}

const std::string kMessage =
    "From: Alice <alice@example.org>\r\n"
    "To: Bob <bob@example.net>\r\n"
    "Subject: Hello  there\r\n"
    "Date: Tue, 1 Dec 2026 10:00:00 +0000\r\n"
    "Message-ID: <1@example.org>\r\n"
    "X-Not-Signed: yes\r\n"
    "\r\n"
    "Hi Bob,\r\n"
    "\r\n"
    "see you.\r\n";

TEST(Signer, RsaSignatureVerifies) {
  auto sig = fixed_signer().sign(kMessage, rsa_key());
  ASSERT_TRUE(sig) << sig.error().describe();
  EXPECT_TRUE(sig->starts_with("DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;"));
  EXPECT_TRUE(sig->ends_with("\r\n"));
  auto t = tags(*sig);
  EXPECT_EQ(t["d"], "example.org");
  EXPECT_EQ(t["s"], "sel");
  EXPECT_EQ(t["t"], "1700000000");
  EXPECT_EQ(t["h"], "from:from:to:subject:date:message-id");
  EXPECT_TRUE(verifies(*sig, kMessage, rsa_key()));
}

TEST(Signer, Ed25519SignatureVerifies) {
  auto sig = fixed_signer().sign(kMessage, ed_key());
  ASSERT_TRUE(sig) << sig.error().describe();
  EXPECT_EQ(tags(*sig)["a"], "ed25519-sha256");
  EXPECT_TRUE(verifies(*sig, kMessage, ed_key()));
  // Ed25519 is deterministic: the same message and time sign the same.
  EXPECT_EQ(*sig, *fixed_signer().sign(kMessage, ed_key()));
}

TEST(Signer, ChangedBodyOrSignedHeaderFailsUnsignedHeaderDoesNot) {
  auto sig = fixed_signer().sign(kMessage, rsa_key());
  ASSERT_TRUE(sig);
  std::string body_changed = kMessage;
  body_changed.replace(body_changed.find("see you"), 7, "see You");
  EXPECT_FALSE(verifies(*sig, body_changed, rsa_key()));
  std::string subject_changed = kMessage;
  subject_changed.replace(subject_changed.find("Hello"), 5, "Hallo");
  EXPECT_FALSE(verifies(*sig, subject_changed, rsa_key()));
  std::string other_changed = kMessage;
  other_changed.replace(other_changed.find("yes"), 3, "no!");
  EXPECT_TRUE(verifies(*sig, other_changed, rsa_key()));
  // Relaxed: refolding and white space changes do not matter.
  std::string refolded = kMessage;
  refolded.replace(refolded.find("Subject: Hello  there"), 21, "subject:Hello\r\n\tthere ");
  EXPECT_TRUE(verifies(*sig, refolded, rsa_key()));
}

TEST(Signer, OversignedFromStopsAnAddedFrom) {
  auto sig = fixed_signer().sign(kMessage, ed_key());
  ASSERT_TRUE(sig);
  EXPECT_FALSE(verifies(*sig, "From: Mallory <m@evil.example>\r\n" + kMessage, ed_key()));
  std::string below = kMessage;
  below.insert(below.find("\r\n\r\n") + 2, "From: Mallory <m@evil.example>\r\n");
  EXPECT_FALSE(verifies(*sig, below, ed_key()));
}

TEST(Signer, SignsEveryInstanceAndHeaderNamesInAnyCase) {
  std::string message =
      "FROM: a@example.org\r\nto: x@example.net\r\nTO: y@example.net\r\ncc: z@example.net\r\n"
      "\r\nbody\r\n";
  auto sig = fixed_signer().sign(message, rsa_key());
  ASSERT_TRUE(sig);
  EXPECT_EQ(tags(*sig)["h"], "from:from:to:to:cc");
  EXPECT_TRUE(verifies(*sig, message, rsa_key()));
}

TEST(Signer, FoldsUnder78Columns) {
  std::string message = "From: a@example.org\r\n";
  for (int i = 0; i < 12; ++i) message += "References: <" + std::to_string(i) + "@example.org>\r\n";
  message += "\r\nx\r\n";
  for (const SigningKey* key : {&rsa_key(), &ed_key()}) {
    auto sig = fixed_signer().sign(message, *key);
    ASSERT_TRUE(sig);
    std::string_view rest = *sig;
    int lines = 0;
    while (!rest.empty()) {
      size_t eol = rest.find("\r\n");
      ASSERT_NE(eol, std::string_view::npos);
      EXPECT_LE(eol, 78u) << rest.substr(0, eol);
      if (lines > 0) {
        EXPECT_EQ(rest[0], ' ');
      }
      rest.remove_prefix(eol + 2);
      ++lines;
    }
    EXPECT_GT(lines, 3);
    EXPECT_NE(sig->find("\r\n b="), std::string::npos);  // b= on a line of its own
    EXPECT_TRUE(verifies(*sig, message, *key));
  }
}

TEST(Signer, MessageShapes) {
  const std::vector<std::string> messages = {
      "From: a@example.org\r\n\r\n",                                      // empty body
      "From: a@example.org\r\n",                                          // no separator
      "From: a@example.org",                                              // no CRLF at all
      "",                                                                 // nothing
      "\r\n\r\n",                                                         // no header
      "From: a@example.org\r\n\r\nbody\r\n\r\n\r\n \r\n",                 // trailing blank lines
      "From: a@example.org\r\n\r\n" + std::string(100000, 'x') + "\r\n",  // a long line
  };
  for (const std::string& m : messages) {
    for (const SigningKey* key : {&rsa_key(), &ed_key()}) {
      auto sig = fixed_signer().sign(m, *key);
      ASSERT_TRUE(sig) << m;
      EXPECT_TRUE(verifies(*sig, m, *key)) << m;
    }
  }
}

TEST(Signer, MalformedMessagesNeverCrash) {
  const std::vector<std::string> messages = {
      std::string("From: a@example.org\nTo: b\n\nbare LF body\n"),
      "From: a\0b@example.org\r\n\r\nNUL\0in body\r\n"s,
      "\0\0\0\r\n\0"s,
      ": no name\r\n \r\n\t\r\nFrom:\r\n\r\n",
      " leading continuation\r\nFrom: a@example.org\r\n\r\nx",
      "From: a\r\rb\r\n\r\n\r\r\n",
      std::string(1, '\r'),
      std::string(1, '\n'),
      "From:" + std::string(200000, ' ') + "\r\n\r\n",
  };
  for (const std::string& m : messages) {
    auto sig = fixed_signer().sign(m, ed_key());
    ASSERT_TRUE(sig) << sig.error().describe();
    EXPECT_TRUE(verifies(*sig, m, ed_key()));
  }
}

TEST(Signer, TooManyFieldsToSignIsALimit) {
  std::string message;
  for (size_t i = 0; i <= kMaxSignedFields; ++i) message += "To: x@example.net\r\n";
  message += "\r\n";
  auto sig = fixed_signer().sign(message, ed_key());
  ASSERT_FALSE(sig);
  EXPECT_EQ(sig.error().kind(), ErrorKind::kLimit);
  message.erase(0, message.find('\n') + 1);  // exactly the limit
  EXPECT_TRUE(fixed_signer().sign(message, ed_key()));
}

TEST(Signer, ConcurrentSigningWithOneKey) {
  Signer signer = fixed_signer();
  std::vector<std::thread> threads;
  std::vector<int> good(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        std::string m = kMessage + std::to_string(t * 100 + i) + "\r\n";
        const SigningKey& key = i % 2 ? rsa_key() : ed_key();
        auto sig = signer.sign(m, key);
        if (sig && verifies(*sig, m, key)) ++good[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(good, std::vector<int>(4, 25));
}

TEST(SigningKey, PemRoundTripAndRecords) {
  for (const SigningKey* key : {&rsa_key(), &ed_key()}) {
    auto pem = key->to_pem();
    ASSERT_TRUE(pem);
    EXPECT_TRUE(pem->starts_with("-----BEGIN PRIVATE KEY-----"));
    auto back = SigningKey::from_pem(*pem, "example.org", key->selector(), "k");
    ASSERT_TRUE(back) << back.error().describe();
    EXPECT_EQ(back->algorithm(), key->algorithm());
    EXPECT_EQ(back->dns_txt(), key->dns_txt());
  }
  EXPECT_EQ(rsa_key().bits(), 2048);
  EXPECT_TRUE(rsa_key().dns_txt().starts_with("v=DKIM1; k=rsa; p=MIIBIjAN"));
  EXPECT_TRUE(ed_key().dns_txt().starts_with("v=DKIM1; k=ed25519; p="));
  EXPECT_EQ(ed_key().dns_txt().size(), std::string("v=DKIM1; k=ed25519; p=").size() + 44);

  std::string record = dns_record(rsa_key());
  EXPECT_TRUE(record.starts_with("sel._domainkey.example.org. IN TXT \"v=DKIM1; k=rsa; p="));
  // 2048-bit RSA: more than 255 octets, so two strings, the first full.
  std::smatch m;
  std::string strings = record.substr(record.find('"'));
  ASSERT_TRUE(std::regex_match(strings, m, std::regex("\"([^\"]*)\" \"([^\"]*)\"")));
  EXPECT_EQ(m[1].length(), 255);
  EXPECT_EQ(m[1].str() + m[2].str(), rsa_key().dns_txt());
  EXPECT_EQ(txt_strings(std::string(510, 'a')),
            "\"" + std::string(255, 'a') + "\" \"" + std::string(255, 'a') + "\"");
  EXPECT_EQ(txt_strings("x"), "\"x\"");
}

TEST(SigningKey, RefusesWhatIsNotAUsableKey) {
  auto garbage = SigningKey::from_pem("not a key", "example.org", "s", "FILE");
  ASSERT_FALSE(garbage);
  EXPECT_NE(garbage.error().message().find("FILE"), std::string::npos);

  EVP_PKEY* small = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{768});
  ASSERT_NE(small, nullptr);
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, small, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  auto weak = SigningKey::from_pem(std::string_view(data, size), "example.org", "s", "FILE");
  BIO_free(bio);
  EVP_PKEY_free(small);
  ASSERT_FALSE(weak);
  EXPECT_NE(weak.error().message().find("768 bits"), std::string::npos);

  EXPECT_FALSE(SigningKey::generate(Algorithm::kEd25519Sha256, "Example.org", "s"));
  EXPECT_FALSE(SigningKey::generate(Algorithm::kEd25519Sha256, "example.org", "../x"));
  EXPECT_FALSE(SigningKey::generate(Algorithm::kEd25519Sha256, "example.org", ""));
  EXPECT_TRUE(SigningKey::generate(Algorithm::kEd25519Sha256, "xn--bcher-kva.example", "2026-a.b"));
}

}  // namespace
}  // namespace hm::dkim
