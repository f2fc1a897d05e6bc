#include "dkim/signing_key.h"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <fmt/format.h>

#include <algorithm>

#include "base/base64.h"
#include "dkim/openssl_util.h"

namespace hm::dkim {
namespace {

using ossl::Bio;
using ossl::MdCtx;
using ossl::PkeyCtx;

std::shared_ptr<EVP_PKEY> own(EVP_PKEY* key) { return {key, EVP_PKEY_free}; }

bool is_ldh(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

// Dot-separated labels of letters, digits and inner hyphens.
bool is_dns_name(std::string_view name, size_t max_length) {
  if (name.empty() || name.size() > max_length) return false;
  size_t start = 0;
  for (;;) {
    size_t dot = name.find('.', start);
    std::string_view label = name.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char c : label) {
      if (!is_ldh(c)) return false;
    }
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

}  // namespace

std::string_view algorithm_tag(Algorithm algorithm) {
  return algorithm == Algorithm::kRsaSha256 ? "rsa-sha256" : "ed25519-sha256";
}

std::string_view key_type(Algorithm algorithm) {
  return algorithm == Algorithm::kRsaSha256 ? "rsa" : "ed25519";
}

Status check_selector(std::string_view selector) {
  // 253 less "._domainkey." and a short domain: a selector that long is a
  // mistake anyway.
  if (!is_dns_name(selector, 200)) {
    return fail(ErrorKind::kInvalid,
                fmt::format("'{}' is not a DKIM selector; use letters, digits and hyphens "
                            "(dots between labels), e.g. \"mail2026\"",
                            selector));
  }
  return ok();
}

Status check_domain(std::string_view domain) {
  bool lower =
      std::none_of(domain.begin(), domain.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
  if (!lower || !is_dns_name(domain, 253) || domain.find('.') == std::string_view::npos) {
    return fail(ErrorKind::kInvalid,
                fmt::format("'{}' is not a signing domain; give a domain name in lower case, "
                            "e.g. example.org (an IDN domain in its xn-- form)",
                            domain));
  }
  return ok();
}

SigningKey::SigningKey(std::shared_ptr<EVP_PKEY> key, Algorithm algorithm, std::string domain,
                       std::string selector, int bits)
    : key_(std::move(key)),
      algorithm_(algorithm),
      domain_(std::move(domain)),
      selector_(std::move(selector)),
      bits_(bits) {}

Result<SigningKey> SigningKey::generate(Algorithm algorithm, std::string domain,
                                        std::string selector) {
  HM_TRY(check_domain(domain));
  HM_TRY(check_selector(selector));
  EVP_PKEY* key = algorithm == Algorithm::kRsaSha256
                      ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{kRsaBits})
                      : EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  if (!key) {
    return fail(ErrorKind::kInternal, "cannot make a DKIM key", ossl::reason());
  }
  int bits = EVP_PKEY_get_bits(key);
  return SigningKey(own(key), algorithm, std::move(domain), std::move(selector), bits);
}

Result<SigningKey> SigningKey::from_pem(std::string_view pem, std::string domain,
                                        std::string selector, std::string_view shown) {
  HM_TRY(check_domain(domain));
  HM_TRY(check_selector(selector));
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return fail(ErrorKind::kInternal, "out of memory reading a DKIM key");
  // No password callback: an encrypted key cannot be read unattended.
  EVP_PKEY* raw = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, const_cast<char*>(""));
  if (!raw) {
    return fail(ErrorKind::kInvalid,
                fmt::format("{} is not an unencrypted PEM private key; make a new one with "
                            "`hostmail dkim keygen`",
                            shown),
                ossl::reason());
  }
  auto key = own(raw);
  int bits = EVP_PKEY_get_bits(raw);
  switch (EVP_PKEY_get_base_id(raw)) {
    case EVP_PKEY_RSA:
      if (bits < kRsaMinBits) {
        return fail(ErrorKind::kInvalid,
                    fmt::format("{} is an RSA key of {} bits, which receivers ignore (RFC 8301); "
                                "make a new one with `hostmail dkim keygen`",
                                shown, bits));
      }
      return SigningKey(std::move(key), Algorithm::kRsaSha256, std::move(domain),
                        std::move(selector), bits);
    case EVP_PKEY_ED25519:
      return SigningKey(std::move(key), Algorithm::kEd25519Sha256, std::move(domain),
                        std::move(selector), bits);
    default:
      return fail(ErrorKind::kInvalid,
                  fmt::format("{} is neither an RSA nor an Ed25519 key, the two DKIM can use; "
                              "make a new one with `hostmail dkim keygen`",
                              shown));
  }
}

Result<std::string> SigningKey::to_pem() const {
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return fail(ErrorKind::kInternal, "cannot write a DKIM key as PEM", ossl::reason());
  }
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  std::string pem(data, static_cast<size_t>(size));
  // The BIO's buffer held the secret: wipe it before it is freed.
  OPENSSL_cleanse(data, static_cast<size_t>(size));
  return pem;
}

std::string SigningKey::dns_txt() const {
  std::string public_key;
  if (algorithm_ == Algorithm::kRsaSha256) {
    unsigned char* der = nullptr;
    int size = i2d_PUBKEY(key_.get(), &der);
    if (size > 0) public_key.assign(reinterpret_cast<char*>(der), static_cast<size_t>(size));
    OPENSSL_free(der);
  } else {
    unsigned char raw[64];
    size_t size = sizeof raw;
    if (EVP_PKEY_get_raw_public_key(key_.get(), raw, &size) == 1) {
      public_key.assign(reinterpret_cast<char*>(raw), size);
    }
  }
  return fmt::format("v=DKIM1; k={}; p={}", key_type(algorithm_), base64_encode(public_key));
}

std::string SigningKey::dns_name() const {
  return fmt::format("{}._domainkey.{}", selector_, domain_);
}

Result<std::string> SigningKey::sign_digest(std::string_view digest) const {
  const auto* in = reinterpret_cast<const unsigned char*>(digest.data());
  std::string signature;
  if (algorithm_ == Algorithm::kRsaSha256) {
    // The digest is already made: sign it as the DigestInfo of a SHA-256
    // hash (PKCS #1 v1.5), which is what RSA-SHA256 over the data is.
    PkeyCtx ctx(EVP_PKEY_CTX_new(key_.get(), nullptr));
    size_t size = 0;
    if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1 ||
        EVP_PKEY_CTX_set_signature_md(ctx.get(), EVP_sha256()) != 1 ||
        EVP_PKEY_sign(ctx.get(), nullptr, &size, in, digest.size()) != 1) {
      return fail(ErrorKind::kInternal, "cannot sign with an RSA DKIM key", ossl::reason());
    }
    signature.resize(size);
    if (EVP_PKEY_sign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &size, in,
                      digest.size()) != 1) {
      return fail(ErrorKind::kInternal, "cannot sign with an RSA DKIM key", ossl::reason());
    }
    signature.resize(size);
    return signature;
  }
  // RFC 8463 3: Ed25519 (pure, no pre-hash of its own) over the SHA-256 hash.
  MdCtx ctx(EVP_MD_CTX_new());
  size_t size = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &size, in, digest.size()) != 1) {
    return fail(ErrorKind::kInternal, "cannot sign with an Ed25519 DKIM key", ossl::reason());
  }
  signature.resize(size);
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &size, in,
                     digest.size()) != 1) {
    return fail(ErrorKind::kInternal, "cannot sign with an Ed25519 DKIM key", ossl::reason());
  }
  signature.resize(size);
  return signature;
}

std::string txt_strings(std::string_view text) {
  std::string out;
  do {
    std::string_view piece = text.substr(0, 255);
    text.remove_prefix(piece.size());
    if (!out.empty()) out += ' ';
    out += '"';
    out += piece;  // base64, digits, letters, "=; ": nothing to escape
    out += '"';
  } while (!text.empty());
  return out;
}

std::string dns_record(const SigningKey& key) {
  return fmt::format("{}. IN TXT {}", key.dns_name(), txt_strings(key.dns_txt()));
}

}  // namespace hm::dkim
