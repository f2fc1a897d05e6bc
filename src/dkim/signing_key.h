#pragma once
// SigningKey: one DKIM private key (RFC 6376) with the domain (d=) and
// selector (s=) it signs for: rsa-sha256 (RSA of 2048 bits when we make it;
// at least 1024 read, RFC 8301) or ed25519-sha256 (RFC 8463). It makes new
// keys, reads and writes them as PEM (PKCS #8, what `openssl genpkey`
// writes), and says what to publish in DNS.
//
// OpenSSL stays inside the .cc file. A SigningKey is immutable once made;
// copies share the one key, which many threads may sign with at once
// (OpenSSL 3 keys are safe for concurrent use when nobody changes them).

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

struct evp_pkey_st;  // OpenSSL's EVP_PKEY

namespace hm::dkim {

enum class Algorithm { kRsaSha256, kEd25519Sha256 };

// "rsa-sha256" / "ed25519-sha256", as a= writes them.
std::string_view algorithm_tag(Algorithm algorithm);
// "rsa" / "ed25519", as k= of the DNS record writes them.
std::string_view key_type(Algorithm algorithm);

// RSA keys we make: 2048 bits, what RFC 8301 asks signers for and what fits
// a DNS TXT record without trouble.
inline constexpr int kRsaBits = 2048;
// Shorter RSA keys are refused: receivers must ignore them (RFC 8301 3.2).
inline constexpr int kRsaMinBits = 1024;

// A selector: one or more DNS labels (RFC 6376 3.1: letters, digits,
// hyphens inside, dots between), at most 63 octets a label; also a file
// name, so nothing else is allowed. The message, when it is not one, says
// what to give instead.
Status check_selector(std::string_view selector);
// A signing domain: a lower-case ASCII domain name (IDN domains in their
// A-label form, xn--...).
Status check_domain(std::string_view domain);

class SigningKey {
 public:
  // A new key. kInternal when OpenSSL fails (no entropy).
  static Result<SigningKey> generate(Algorithm algorithm, std::string domain, std::string selector);
  // Reads a PEM private key ("BEGIN PRIVATE KEY", or the older "BEGIN RSA
  // PRIVATE KEY"); the algorithm follows from the key. `shown` names its
  // file in messages. kInvalid when it is not such a key, an RSA key is
  // shorter than kRsaMinBits, or it is of another type.
  static Result<SigningKey> from_pem(std::string_view pem, std::string domain, std::string selector,
                                     std::string_view shown);

  // The private key as PEM (PKCS #8, unencrypted: the file's mode protects it).
  Result<std::string> to_pem() const;

  // The TXT record's text: "v=DKIM1; k=rsa; p=<base64 public key>" (p= is
  // the DER SubjectPublicKeyInfo for RSA, the raw 32-byte key for Ed25519,
  // RFC 8463 4).
  std::string dns_txt() const;
  // Where it is published: "<selector>._domainkey.<domain>".
  std::string dns_name() const;

  // Signs the SHA-256 `digest` of the canonical header (RFC 6376 3.7) as
  // the algorithm says: RSASSA-PKCS1-v1_5 with SHA-256, or PureEdDSA over
  // the digest (RFC 8463 3). kInternal when OpenSSL fails.
  Result<std::string> sign_digest(std::string_view digest) const;

  Algorithm algorithm() const { return algorithm_; }
  const std::string& domain() const { return domain_; }
  const std::string& selector() const { return selector_; }
  int bits() const { return bits_; }

 private:
  SigningKey(std::shared_ptr<evp_pkey_st> key, Algorithm algorithm, std::string domain,
             std::string selector, int bits);

  std::shared_ptr<evp_pkey_st> key_;
  Algorithm algorithm_;
  std::string domain_;
  std::string selector_;
  int bits_;
};

// The DNS TXT record to publish for `key`, in zone-file form:
//   <selector>._domainkey.<domain>. IN TXT "v=DKIM1; k=rsa; p=..." "..."
// The text is cut into strings of at most 255 octets (RFC 1035 3.3.14: one
// TXT string cannot be longer; receivers join them, RFC 6376 3.6.2.2). The
// name ends in a dot, so that a zone file does not append its origin.
std::string dns_record(const SigningKey& key);
// The text cut into quoted strings of at most 255 octets, separated by a space.
std::string txt_strings(std::string_view text);

}  // namespace hm::dkim
