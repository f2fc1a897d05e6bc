#include "auth/password_scheme.h"

#include <argon2.h>
#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>

#include "base/strings.h"

namespace hm::auth {
namespace {

// slappasswd salts {SSHA}/{SMD5} with 4 bytes and pw-sha2 with 8; we use 8
// everywhere. Every verifier, OpenLDAP's included, takes whatever follows
// the digest as the salt, so the length is free.
constexpr size_t kDigestSaltBytes = 8;

// Random input for crypt_gensalt_rn: yescrypt and bcrypt demand 16 bytes,
// the others take what they need of them.
constexpr size_t kCryptSaltBytes = 16;

// Argon2id costs: the OWASP minimum for argon2id (19 MiB, 2 passes, 1 lane).
// One lane keeps libargon2 from starting threads inside a server worker.
constexpr uint32_t kArgon2TimeCost = 2;
constexpr uint32_t kArgon2MemoryKiB = 19 * 1024;
constexpr uint32_t kArgon2Lanes = 1;
constexpr size_t kArgon2SaltBytes = 16;
constexpr size_t kArgon2HashBytes = 32;

// A stored argon2 hash names its own cost; a hostile or corrupt directory
// entry must not make one login allocate gigabytes or spin for minutes.
constexpr uint32_t kArgon2MaxMemoryKiB = 1024 * 1024;  // 1 GiB
constexpr uint32_t kArgon2MaxTimeCost = 64;
constexpr uint32_t kArgon2MaxLanes = 16;

struct DigestScheme {
  std::string_view name;
  const EVP_MD* (*md)();
  bool salted;
};

constexpr DigestScheme kDigestSchemes[] = {
    {"SSHA", EVP_sha1, true},      {"SSHA256", EVP_sha256, true}, {"SSHA512", EVP_sha512, true},
    {"SMD5", EVP_md5, true},       {"SHA", EVP_sha1, false},      {"SHA256", EVP_sha256, false},
    {"SHA512", EVP_sha512, false}, {"MD5", EVP_md5, false},
};

struct CryptMethod {
  std::string_view name;
  const char* prefix;
  unsigned long cost;  // 0: libcrypt's default for the method
};

// Plain CRYPT pins yescrypt instead of libcrypt's "best available" (prefix
// NULL) so that what we store does not change under us with a library update.
constexpr CryptMethod kCryptMethods[] = {
    {"CRYPT", "$y$", 0},        {"CRYPT-YESCRYPT", "$y$", 0}, {"CRYPT-SHA512", "$6$", 0},
    {"CRYPT-SHA256", "$5$", 0}, {"CRYPT-BCRYPT", "$2b$", 10},  // libcrypt's default is 5: weak
    {"CRYPT-MD5", "$1$", 0},
};

constexpr std::string_view kArgon2SchemeNames[] = {"ARGON2ID", "ARGON2"};

const DigestScheme* find_digest(std::string_view name) {
  for (const auto& s : kDigestSchemes) {
    if (iequals(s.name, name)) return &s;
  }
  return nullptr;
}

const CryptMethod* find_crypt(std::string_view name) {
  for (const auto& m : kCryptMethods) {
    if (iequals(m.name, name)) return &m;
  }
  return nullptr;
}

bool is_argon2(std::string_view name) {
  for (auto n : kArgon2SchemeNames) {
    if (iequals(n, name)) return true;
  }
  return false;
}

std::string openssl_error() {
  char buf[256] = {};
  ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
  return buf;
}

// Scheme names come from stored data; keep a corrupt value from flooding a message.
std::string shown_name(std::string_view name) {
  constexpr size_t kMax = 32;
  return name.size() <= kMax ? std::string(name) : std::string(name.substr(0, kMax)) + "...";
}

tl::unexpected<Error> malformed(std::string_view scheme, std::string_view why) {
  return fail(ErrorKind::kInvalid, "the stored {" + shown_name(scheme) +
                                       "} password hash is malformed (" + std::string(why) +
                                       "); set the password again");
}

Status random_bytes(void* out, size_t n) {
  if (RAND_bytes(static_cast<unsigned char*>(out), static_cast<int>(n)) != 1) {
    return fail(ErrorKind::kInternal, "the system random source failed; cannot make a salt",
                openssl_error());
  }
  return ok();
}

std::string base64_encode(std::string_view bytes) {
  // EVP_EncodeBlock writes 4 characters per started 3 bytes and a final NUL.
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

bool is_base64_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

// Strict standard base64. Padding may be left off (some tools do), but
// when present it must be right. EVP_DecodeBlock counts padding as zero
// bytes and skips blanks, so both are dealt with here.
std::optional<std::string> base64_decode(std::string_view text) {
  size_t padding = 0;
  while (padding < text.size() && text[text.size() - 1 - padding] == '=') ++padding;
  std::string_view body = text.substr(0, text.size() - padding);
  if (body.empty() || padding > 2) return std::nullopt;
  for (char c : body) {
    if (!is_base64_char(c)) return std::nullopt;
  }
  if (body.size() % 4 == 1) return std::nullopt;
  size_t missing = (4 - body.size() % 4) % 4;
  if (padding != 0 && padding != missing) return std::nullopt;
  std::string padded(body);
  padded.append(missing, '=');

  std::string out(padded.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(padded.data()),
                          static_cast<int>(padded.size()));
  if (n < 0 || static_cast<size_t>(n) < missing) return std::nullopt;
  out.resize(static_cast<size_t>(n) - missing);
  return out;
}

Result<std::string> digest(const EVP_MD* md, std::string_view password, std::string_view salt) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!ctx || EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), password.data(), password.size()) != 1 ||
      EVP_DigestUpdate(ctx.get(), salt.data(), salt.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), out, &len) != 1) {
    return fail(ErrorKind::kInternal, "OpenSSL could not compute a password digest",
                openssl_error());
  }
  return std::string(reinterpret_cast<const char*>(out), len);
}

Result<std::string> hash_digest(const DigestScheme& scheme, std::string_view password) {
  std::string salt;
  if (scheme.salted) {
    salt.resize(kDigestSaltBytes);
    HM_TRY(random_bytes(salt.data(), salt.size()));
  }
  auto d = digest(scheme.md(), password, salt);
  if (!d) return fail(std::move(d).error());
  return "{" + std::string(scheme.name) + "}" + base64_encode(*d + salt);
}

Result<bool> verify_digest(const DigestScheme& scheme, std::string_view value,
                           std::string_view password) {
  auto raw = base64_decode(value);
  if (!raw) return malformed(scheme.name, "not valid base64");
  const auto digest_len = static_cast<size_t>(EVP_MD_get_size(scheme.md()));
  if (scheme.salted && raw->size() <= digest_len) {
    return malformed(scheme.name, "too short for a digest and a salt");
  }
  if (!scheme.salted && raw->size() != digest_len) {
    return malformed(scheme.name, "not the length of a digest");
  }
  std::string_view stored_digest = std::string_view(*raw).substr(0, digest_len);
  std::string_view salt = std::string_view(*raw).substr(digest_len);
  auto d = digest(scheme.md(), password, salt);
  if (!d) return fail(std::move(d).error());
  return CRYPTO_memcmp(d->data(), stored_digest.data(), digest_len) == 0;
}

// crypt_rn with its 32 KiB work area on the heap, wiped afterwards. Returns
// nullopt when libcrypt refuses the setting (malformed, or a method it
// does not support); it signals that with NULL or a string starting '*'.
std::optional<std::string> run_crypt(std::string_view password, const std::string& setting) {
  auto data = std::make_unique<crypt_data>();  // zeroed, as crypt_rn requires
  std::string phrase(password);
  const char* out = crypt_rn(phrase.c_str(), setting.c_str(), data.get(), sizeof(crypt_data));
  std::optional<std::string> result;
  if (out != nullptr && out[0] != '*') result = out;
  OPENSSL_cleanse(data.get(), sizeof(crypt_data));
  OPENSSL_cleanse(phrase.data(), phrase.size());
  return result;
}

Result<std::string> hash_crypt(const CryptMethod& method, std::string_view password) {
  if (password.find('\0') != std::string_view::npos) {
    return fail(ErrorKind::kInvalid,
                "a password hashed with {CRYPT} cannot contain a NUL byte; choose another "
                "password or another scheme");
  }
  if (password.size() >= CRYPT_MAX_PASSPHRASE_SIZE) {
    return fail(ErrorKind::kInvalid, "a password hashed with {CRYPT} must be shorter than " +
                                         std::to_string(CRYPT_MAX_PASSPHRASE_SIZE) +
                                         " bytes; choose a shorter one or another scheme");
  }
  std::array<char, kCryptSaltBytes> random{};
  HM_TRY(random_bytes(random.data(), random.size()));
  char setting[CRYPT_GENSALT_OUTPUT_SIZE] = {};
  if (crypt_gensalt_rn(method.prefix, method.cost, random.data(), static_cast<int>(random.size()),
                       setting, sizeof setting) == nullptr) {
    return fail(ErrorKind::kInternal,
                "this system's libcrypt cannot make a " + std::string(method.name) + " salt",
                std::strerror(errno));
  }
  auto hashed = run_crypt(password, setting);
  if (!hashed) {
    return fail(ErrorKind::kInternal,
                "this system's libcrypt failed to hash with " + std::string(method.name),
                std::strerror(errno));
  }
  return "{CRYPT}" + *hashed;
}

Result<bool> verify_crypt(std::string_view value, std::string_view password) {
  if (value.empty() || value.find('\0') != std::string_view::npos) {
    return malformed("CRYPT", "empty or contains a NUL byte");
  }
  // libcrypt stops at a NUL, so such a password could match a prefix of
  // itself; and it refuses over-long ones. Neither can be what was hashed.
  if (password.find('\0') != std::string_view::npos) return false;
  if (password.size() >= CRYPT_MAX_PASSPHRASE_SIZE) return false;
  auto hashed = run_crypt(password, std::string(value));
  if (!hashed) {
    return fail(ErrorKind::kInvalid,
                "the stored {CRYPT} password hash is malformed or uses a method this system's "
                "libcrypt does not support; set the password again",
                std::strerror(errno));
  }
  return constant_time_equals(*hashed, value);
}

Result<std::string> hash_argon2(std::string_view prefix, std::string_view password) {
  std::array<unsigned char, kArgon2SaltBytes> salt{};
  HM_TRY(random_bytes(salt.data(), salt.size()));
  std::string encoded(argon2_encodedlen(kArgon2TimeCost, kArgon2MemoryKiB, kArgon2Lanes,
                                        salt.size(), kArgon2HashBytes, Argon2_id),
                      '\0');
  int rc = argon2_hash(kArgon2TimeCost, kArgon2MemoryKiB, kArgon2Lanes, password.data(),
                       password.size(), salt.data(), salt.size(), nullptr, kArgon2HashBytes,
                       encoded.data(), encoded.size(), Argon2_id, ARGON2_VERSION_13);
  if (rc != ARGON2_OK) {
    return fail(rc == ARGON2_MEMORY_ALLOCATION_ERROR ? ErrorKind::kTemporary : ErrorKind::kInternal,
                "libargon2 failed to hash the password", argon2_error_message(rc));
  }
  encoded.resize(std::strlen(encoded.c_str()));
  return "{" + std::string(prefix) + "}" + encoded;
}

// Reads "name=<number>" at the front of `s` and moves past it.
std::optional<uint32_t> take_param(std::string_view& s, std::string_view name) {
  if (s.substr(0, name.size()) != name) return std::nullopt;
  s.remove_prefix(name.size());
  uint32_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end == s.data()) return std::nullopt;
  s.remove_prefix(static_cast<size_t>(end - s.data()));
  return v;
}

Result<bool> verify_argon2(std::string_view scheme, std::string_view value,
                           std::string_view password) {
  // The type is in the encoded string; {ARGON2} from slappasswd is argon2i
  // by default, ours is argon2id.
  argon2_type type;
  std::string_view rest;
  if (value.starts_with("$argon2id$")) {
    type = Argon2_id;
    rest = value.substr(10);
  } else if (value.starts_with("$argon2i$")) {
    type = Argon2_i;
    rest = value.substr(9);
  } else if (value.starts_with("$argon2d$")) {
    type = Argon2_d;
    rest = value.substr(9);
  } else {
    return malformed(scheme, "not an $argon2id$, $argon2i$ or $argon2d$ string");
  }
  if (value.find('\0') != std::string_view::npos) return malformed(scheme, "contains a NUL byte");
  if (rest.starts_with("v=")) {
    rest.remove_prefix(rest.find('$') == std::string_view::npos ? rest.size() : rest.find('$') + 1);
  }
  auto m = take_param(rest, "m=");
  auto t = take_param(rest, ",t=");
  auto p = take_param(rest, ",p=");
  if (!m || !t || !p) return malformed(scheme, "the m=,t=,p= cost parameters are unreadable");
  if (*m > kArgon2MaxMemoryKiB || *t > kArgon2MaxTimeCost || *p > kArgon2MaxLanes) {
    return fail(ErrorKind::kInvalid, "the stored {" + shown_name(scheme) +
                                         "} password hash asks for more than 1 GiB, 64 passes "
                                         "or 16 lanes; set the password again with saner costs");
  }
  std::string encoded(value);
  int rc = argon2_verify(encoded.c_str(), password.data(), password.size(), type);
  if (rc == ARGON2_OK) return true;
  if (rc == ARGON2_VERIFY_MISMATCH) return false;
  if (rc == ARGON2_MEMORY_ALLOCATION_ERROR) {
    return fail(ErrorKind::kTemporary, "not enough memory to check an argon2 password; try again",
                argon2_error_message(rc));
  }
  return malformed(scheme, argon2_error_message(rc));
}

// Accepts "SSHA" and slappasswd's "{SSHA}" spelling alike.
std::string_view strip_braces(std::string_view scheme) {
  if (scheme.size() >= 2 && scheme.front() == '{' && scheme.back() == '}') {
    return scheme.substr(1, scheme.size() - 2);
  }
  return scheme;
}

}  // namespace

std::vector<std::string> supported_schemes() {
  std::vector<std::string> names;
  for (const auto& s : kDigestSchemes) names.emplace_back(s.name);
  for (const auto& m : kCryptMethods) names.emplace_back(m.name);
  for (auto n : kArgon2SchemeNames) names.emplace_back(n);
  return names;
}

Result<std::string> hash_password(std::string_view password, std::string_view scheme) {
  std::string_view name = strip_braces(scheme);
  if (const auto* d = find_digest(name)) return hash_digest(*d, password);
  if (const auto* c = find_crypt(name)) return hash_crypt(*c, password);
  if (is_argon2(name)) {
    return hash_argon2(iequals(name, "ARGON2") ? "ARGON2" : "ARGON2ID", password);
  }
  return fail(ErrorKind::kInvalid, "unknown password scheme '" + shown_name(scheme) +
                                       "'; use one of " + join(supported_schemes(), ", "));
}

Result<bool> verify_password(std::string_view stored, std::string_view password) {
  // No "{SCHEME}" in front: clear text or garbage, which never matches.
  if (stored.empty() || stored.front() != '{') return false;
  size_t close = stored.find('}');
  if (close == std::string_view::npos || close == 1) return false;
  std::string_view name = stored.substr(1, close - 1);
  std::string_view value = stored.substr(close + 1);

  if (const auto* d = find_digest(name)) return verify_digest(*d, value, password);
  if (iequals(name, "CRYPT")) return verify_crypt(value, password);
  if (is_argon2(name)) return verify_argon2(name, value, password);
  if (iequals(name, "CLEARTEXT")) {
    return fail(ErrorKind::kInvalid,
                "a {CLEARTEXT} password is stored; hostmail refuses clear-text passwords: set "
                "the password again so that it is stored hashed");
  }
  return fail(ErrorKind::kInvalid, "the stored password uses the unknown scheme {" +
                                       shown_name(name) + "}; set the password again with one of " +
                                       join(supported_schemes(), ", "));
}

}  // namespace hm::auth
