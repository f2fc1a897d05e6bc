#pragma once
// RateLimiter: how many messages and recipients an account, and a client
// address, may submit per minute (a stolen password, or a compromised
// machine, then sends a trickle, not a flood). Counted in fixed windows of
// one minute per key; a refused attempt counts nothing.
//
// Memory is bounded as auth/login_throttle.h bounds its keys: at most
// `max_keys` keys. Keys whose window has passed are dropped first; if every
// key is still in its minute, a new key is refused until one frees (fail
// closed: flooding the table with fresh addresses must not reset the
// counts of the others).
//
// Thread-safe: the services of ports 25, 587 and 465 share one.

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace hm::smtp {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  struct Limits {
    uint32_t messages_per_minute = 0;  // 0: no limit
    uint32_t recipients_per_minute = 0;
  };
  struct Options {
    Limits per_account;
    Limits per_client;
    size_t max_keys = 100000;
  };
  enum class What { kMessage, kRecipient };

  explicit RateLimiter(Options options);

  // Counts one message or recipient for `account` ("" when not logged in)
  // and for `client`; false, counting nothing, when either is at its limit
  // (or the table is full of live keys).
  bool admit(What what, std::string_view account, std::string_view client, Clock::time_point now);
  size_t size() const;

 private:
  struct Window {
    Clock::time_point start;
    uint32_t messages = 0;
    uint32_t recipients = 0;
  };
  // The key's current window, made (after making room) if it has none;
  // nullptr when the table is full.
  Window* window(const std::string& key, Clock::time_point now);
  static bool below(const Window& w, What what, const Limits& limits);

  Options options_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Window> keys_;
};

}  // namespace hm::smtp
