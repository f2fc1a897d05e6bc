#pragma once
// How many bytes of large messages are being delivered at once. Delivery
// reads a spooled message through its mapping and makes a copy of it for
// each Maildir (Unix line ends, its own headers), so each delivery in flight
// holds about twice the message in memory; this keeps their sum bounded
// however many sessions finish a large message at the same moment. Waiters
// are served in order of arrival; one message larger than the whole budget
// goes when nothing else is in flight, so none waits for ever.
// Thread-safe.

#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <utility>
#include <vector>

namespace hm::smtp {

class ByteBudget {
 public:
  explicit ByteBudget(size_t limit) : limit_(limit) {}

  // Calls `granted` once `bytes` are available: at once (on this thread) or
  // from the release() that frees them (on that thread).
  void acquire(size_t bytes, std::function<void()> granted) {
    {
      std::lock_guard lock(mutex_);
      if (!waiting_.empty() || !fits(bytes)) {
        waiting_.emplace_back(bytes, std::move(granted));
        return;
      }
      used_ += bytes;
    }
    granted();
  }

  void release(size_t bytes) {
    std::vector<std::function<void()>> ready;
    {
      std::lock_guard lock(mutex_);
      used_ -= bytes;
      while (!waiting_.empty() && fits(waiting_.front().first)) {
        used_ += waiting_.front().first;
        ready.push_back(std::move(waiting_.front().second));
        waiting_.pop_front();
      }
    }
    for (auto& g : ready) g();
  }

 private:
  bool fits(size_t bytes) const { return used_ == 0 || used_ + bytes <= limit_; }

  std::mutex mutex_;
  const size_t limit_;
  size_t used_ = 0;
  std::deque<std::pair<size_t, std::function<void()>>> waiting_;
};

}  // namespace hm::smtp
