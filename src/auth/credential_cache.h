#pragma once
// CredentialCache: remembers, for a short while, that a login proved its
// password, so that a client that logs in again (mail clients open several
// connections and reconnect often) does not pay for a strong hash each time.
//
// What is kept is a keyed digest (HMAC-SHA-256 under a key made at random
// for this process) of the login, the password and the stored secret's
// version (the directory's password hash, or anything else that changes
// when the password does), never the password: a memory dump gives nothing
// to replay elsewhere, and a changed password, or a changed hash, no longer
// matches. Entries expire after `ttl`; forget() drops a login at once (an
// account deleted or disabled).
//
// Only proven logins are stored, so the number of entries is bounded by the
// accounts that logged in within `ttl`; `max_entries` bounds it anyway (the
// entries closest to expiry go first).
//
// Thread-safe.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace hm::auth {

class CredentialCache {
 public:
  using Clock = std::chrono::steady_clock;
  struct Options {
    std::chrono::seconds ttl{300};
    size_t max_entries = 100000;
  };

  CredentialCache() : CredentialCache(Options{}) {}
  explicit CredentialCache(Options options);

  // Whether `login` proved this `password` against this `secret_version`
  // within the last `ttl`. Compares in constant time.
  bool verified(std::string_view login, std::string_view password, std::string_view secret_version,
                Clock::time_point now) const;
  // After a successful check of the password the slow way.
  void remember(std::string_view login, std::string_view password, std::string_view secret_version,
                Clock::time_point now);
  void forget(std::string_view login);
  size_t size() const;

 private:
  using Digest = std::array<uint8_t, 32>;
  struct Entry {
    Digest digest;
    Clock::time_point expires;
  };
  Digest digest(std::string_view login, std::string_view password,
                std::string_view secret_version) const;
  void make_room(Clock::time_point now);  // the mutex is held

  Options options_;
  std::array<uint8_t, 32> key_{};
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace hm::auth
