#pragma once
// hm::directory::ldap::LookupCache: a short-lived cache of lookup answers,
// found and not found alike, so that a burst of RCPT TO or logins for the
// same addresses does not become a burst of LDAP searches.
//
// Entries live `ttl`; a zero ttl disables the cache (get always misses, put
// does nothing). clear() drops everything and starts a new generation: a
// lookup that began before a write (begin() returned an older generation)
// cannot put its possibly stale answer in after the write cleared the cache.
// The cache holds at most max_entries; when full it is emptied rather than
// paying for an LRU on every hit.
//
// Thread-safety: every method may be called from any thread. The map is
// split into shards, each with its own mutex, so that concurrent callers
// rarely wait for each other.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace hm::directory::ldap {

template <typename V>
class LookupCache {
 public:
  using Clock = std::chrono::steady_clock;
  using Now = std::function<Clock::time_point()>;

  explicit LookupCache(
      std::chrono::milliseconds ttl, size_t max_entries = 200000,
      Now now = [] { return Clock::now(); })
      : ttl_(ttl), max_per_shard_(max_entries / kShards + 1), now_(std::move(now)) {}

  bool enabled() const { return ttl_.count() > 0; }

  // The generation to hand to put() for a lookup that starts now.
  uint64_t begin() const { return generation_.load(std::memory_order_acquire); }

  // The cached value for key, if there is a fresh one.
  std::optional<V> get(std::string_view key) {
    if (!enabled()) return std::nullopt;
    Shard& s = shard(key);
    std::lock_guard lock(s.mutex);
    auto it = s.map.find(std::string(key));
    if (it == s.map.end()) return std::nullopt;
    if (now_() >= it->second.expires) {
      s.map.erase(it);
      return std::nullopt;
    }
    return it->second.value;
  }

  // Stores value unless the cache was cleared since `generation` was taken.
  void put(std::string_view key, V value, uint64_t generation) {
    if (!enabled()) return;
    Shard& s = shard(key);
    std::lock_guard lock(s.mutex);
    // Checked under the shard lock: clear() bumps the generation before it
    // takes the shard locks, so a put after that bump is refused here, and a
    // put before it is wiped by clear().
    if (generation != generation_.load(std::memory_order_acquire)) return;
    if (s.map.size() >= max_per_shard_) s.map.clear();
    s.map.insert_or_assign(std::string(key), Entry{std::move(value), now_() + ttl_});
  }

  void clear() {
    generation_.fetch_add(1, std::memory_order_acq_rel);
    for (Shard& s : shards_) {
      std::lock_guard lock(s.mutex);
      s.map.clear();
    }
  }

  size_t size() {
    size_t n = 0;
    for (Shard& s : shards_) {
      std::lock_guard lock(s.mutex);
      n += s.map.size();
    }
    return n;
  }

 private:
  static constexpr size_t kShards = 16;
  struct Entry {
    V value;
    Clock::time_point expires;
  };
  struct Shard {
    std::mutex mutex;
    std::unordered_map<std::string, Entry> map;
  };

  Shard& shard(std::string_view key) {
    return shards_[std::hash<std::string_view>{}(key) % kShards];
  }

  const std::chrono::milliseconds ttl_;
  const size_t max_per_shard_;
  const Now now_;
  std::atomic<uint64_t> generation_{0};
  std::array<Shard, kShards> shards_;
};

}  // namespace hm::directory::ldap
