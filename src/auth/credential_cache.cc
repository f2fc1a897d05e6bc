#include "auth/credential_cache.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstdlib>

namespace hm::auth {
namespace {

// Each field with its length in front, so that ("ab", "c") and ("a", "bc")
// never give the same input.
void append_field(std::string& out, std::string_view field) {
  const auto n = static_cast<uint32_t>(field.size());
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((n >> shift) & 0xff));
  out.append(field);
}

}  // namespace

CredentialCache::CredentialCache(Options options) : options_(options) {
  // Without a key the cache would be a table of unsalted digests: refuse to
  // run rather than keep one.
  if (RAND_bytes(key_.data(), static_cast<int>(key_.size())) != 1) std::abort();
}

CredentialCache::Digest CredentialCache::digest(std::string_view login, std::string_view password,
                                                std::string_view secret_version) const {
  std::string input;
  input.reserve(12 + login.size() + password.size() + secret_version.size());
  append_field(input, login);
  append_field(input, password);
  append_field(input, secret_version);
  Digest out{};
  unsigned int length = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), out.data(), &length);
  OPENSSL_cleanse(input.data(), input.size());  // it held the password
  return out;
}

bool CredentialCache::verified(std::string_view login, std::string_view password,
                               std::string_view secret_version, Clock::time_point now) const {
  const Digest wanted = digest(login, password, secret_version);
  std::lock_guard lock(mutex_);
  auto it = entries_.find(std::string(login));
  if (it == entries_.end() || now >= it->second.expires) return false;
  return CRYPTO_memcmp(wanted.data(), it->second.digest.data(), wanted.size()) == 0;
}

void CredentialCache::remember(std::string_view login, std::string_view password,
                               std::string_view secret_version, Clock::time_point now) {
  if (options_.max_entries == 0) return;
  const Digest d = digest(login, password, secret_version);
  std::lock_guard lock(mutex_);
  auto it = entries_.find(std::string(login));
  if (it == entries_.end()) {
    make_room(now);
    it = entries_.emplace(std::string(login), Entry{}).first;
  }
  it->second = {d, now + options_.ttl};
}

void CredentialCache::make_room(Clock::time_point now) {
  if (entries_.size() < options_.max_entries) return;
  std::erase_if(entries_, [now](const auto& e) { return now >= e.second.expires; });
  if (entries_.size() < options_.max_entries) return;
  auto first = std::min_element(entries_.begin(), entries_.end(), [](const auto& a, const auto& b) {
    return a.second.expires < b.second.expires;
  });
  entries_.erase(first);
}

void CredentialCache::forget(std::string_view login) {
  std::lock_guard lock(mutex_);
  entries_.erase(std::string(login));
}

size_t CredentialCache::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace hm::auth
