#include "auth/login_throttle.h"

#include <algorithm>
#include <vector>

namespace hm::auth {

LoginThrottle::LoginThrottle(Options options) : options_(options) {}

std::chrono::seconds LoginThrottle::wait(std::string_view key, Clock::time_point now) const {
  std::lock_guard lock(mutex_);
  auto it = keys_.find(std::string(key));
  if (it == keys_.end() || it->second.blocked_until <= now) return std::chrono::seconds(0);
  // Rounded up: "try again in 0 seconds" would invite a retry that fails.
  auto left = it->second.blocked_until - now;
  return std::chrono::ceil<std::chrono::seconds>(left);
}

void LoginThrottle::failed(std::string_view key, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto it = keys_.find(std::string(key));
  if (it == keys_.end()) {
    make_room(now);
    it = keys_.emplace(std::string(key), State{}).first;
  }
  State& s = it->second;
  if (s.failures > 0 && now - s.last_failure > options_.forget_after) s = State{};
  ++s.failures;
  s.last_failure = now;
  if (s.failures >= options_.free_failures) {
    unsigned doublings = std::min(s.failures - options_.free_failures, 20u);
    auto wait = options_.first_wait * (1ll << doublings);
    s.blocked_until = now + std::min<std::chrono::seconds>(wait, options_.max_wait);
  }
}

void LoginThrottle::succeeded(std::string_view key) {
  std::lock_guard lock(mutex_);
  keys_.erase(std::string(key));
}

size_t LoginThrottle::size() const {
  std::lock_guard lock(mutex_);
  return keys_.size();
}

void LoginThrottle::make_room(Clock::time_point now) {
  if (keys_.size() < options_.max_keys) return;
  std::erase_if(keys_, [&](const auto& kv) {
    return now - kv.second.last_failure > options_.forget_after && kv.second.blocked_until <= now;
  });
  if (keys_.size() < options_.max_keys) return;
  // Still full: drop the oldest half, so this scan is rare.
  std::vector<Clock::time_point> times;
  times.reserve(keys_.size());
  for (const auto& kv : keys_) times.push_back(kv.second.last_failure);
  auto middle = times.begin() + static_cast<std::ptrdiff_t>(times.size() / 2);
  std::nth_element(times.begin(), middle, times.end());
  Clock::time_point cut = *middle;
  std::erase_if(keys_, [&](const auto& kv) { return kv.second.last_failure <= cut; });
}

}  // namespace hm::auth
