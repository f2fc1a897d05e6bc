#include "smtp/rate_limiter.h"

namespace hm::smtp {
namespace {

constexpr auto kWindow = std::chrono::minutes(1);

bool limited(const RateLimiter::Limits& l) {
  return l.messages_per_minute > 0 || l.recipients_per_minute > 0;
}

}  // namespace

RateLimiter::RateLimiter(Options options) : options_(options) {}

bool RateLimiter::below(const Window& w, What what, const Limits& limits) {
  if (what == What::kMessage) {
    return limits.messages_per_minute == 0 || w.messages < limits.messages_per_minute;
  }
  return limits.recipients_per_minute == 0 || w.recipients < limits.recipients_per_minute;
}

RateLimiter::Window* RateLimiter::window(const std::string& key, Clock::time_point now) {
  auto it = keys_.find(key);
  if (it == keys_.end()) {
    if (keys_.size() >= options_.max_keys) {
      std::erase_if(keys_, [&](const auto& kv) { return now - kv.second.start >= kWindow; });
      if (keys_.size() >= options_.max_keys) return nullptr;
    }
    it = keys_.emplace(key, Window{now}).first;
  }
  Window& w = it->second;
  if (now - w.start >= kWindow) w = Window{now};
  return &w;
}

bool RateLimiter::admit(What what, std::string_view account, std::string_view client,
                        Clock::time_point now) {
  const bool by_account = !account.empty() && limited(options_.per_account);
  const bool by_client = !client.empty() && limited(options_.per_client);
  if (!by_account && !by_client) return true;
  std::lock_guard lock(mutex_);
  // Prefixes keep an account and an address of the same spelling apart.
  Window* a = by_account ? window("a " + std::string(account), now) : nullptr;
  Window* c = by_client ? window("c " + std::string(client), now) : nullptr;
  if ((by_account && !a) || (by_client && !c)) return false;
  if (a && !below(*a, what, options_.per_account)) return false;
  if (c && !below(*c, what, options_.per_client)) return false;
  for (Window* w : {a, c}) {
    if (!w) continue;
    if (what == What::kMessage) {
      ++w->messages;
    } else {
      ++w->recipients;
    }
  }
  return true;
}

size_t RateLimiter::size() const {
  std::lock_guard lock(mutex_);
  return keys_.size();
}

}  // namespace hm::smtp
