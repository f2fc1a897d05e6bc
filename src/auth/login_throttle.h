#pragma once
// LoginThrottle: makes password guessing slow. After a few failed logins for
// one key (a client's address, or a login name), further attempts for that
// key are refused for a while *without checking the password*, so that no
// answer during that time says whether a guess was right; the wait doubles
// with every further failure up to a cap, and a key that stays quiet for
// `forget_after` is forgotten. A successful login clears its key.
//
// Memory is bounded: at most `max_keys` keys are remembered; past that the
// ones whose last failure is oldest are dropped first.
//
// Thread-safe.

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace hm::auth {

class LoginThrottle {
 public:
  using Clock = std::chrono::steady_clock;
  struct Options {
    unsigned free_failures = 5;              // failures before the first wait
    std::chrono::seconds first_wait{2};      // after the first failure past those
    std::chrono::seconds max_wait{300};      // the cap
    std::chrono::seconds forget_after{900};  // quiet time that clears a key
    size_t max_keys = 100000;
  };

  LoginThrottle() : LoginThrottle(Options{}) {}
  explicit LoginThrottle(Options options);

  // How long `key` must still wait before its next attempt; zero: try now.
  std::chrono::seconds wait(std::string_view key, Clock::time_point now) const;
  void failed(std::string_view key, Clock::time_point now);
  void succeeded(std::string_view key);
  size_t size() const;

 private:
  struct State {
    unsigned failures = 0;
    Clock::time_point last_failure;
    Clock::time_point blocked_until;
  };
  void make_room(Clock::time_point now);

  Options options_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, State> keys_;
};

}  // namespace hm::auth
