#include "queue/queue_schedule.h"

#include <algorithm>
#include <unordered_set>

namespace hm::queue {

std::optional<Schedule::TimePoint> Schedule::due_of(const QueueEntry& entry) {
  using State = QueuedRecipient::State;
  std::optional<TimePoint> due;
  // To the second, as the envelope records times: an entry kept in memory
  // since it was written is due when the one read back would be.
  auto sooner = [&](TimePoint t) {
    t = std::chrono::floor<std::chrono::seconds>(t);
    if (!due || t < *due) due = t;
  };
  for (const QueuedRecipient& r : entry.recipients) {
    if (r.state == State::kPending || r.state == State::kDeferred) {
      sooner(r.next_attempt);
      sooner(entry.arrived + Queue::kGiveUpAfter);
    } else if (r.state == State::kFailed && !r.bounced) {
      sooner(TimePoint{});
    }
  }
  return due;
}

void Schedule::set(const std::string& id, TimePoint due, const EnvelopeStamp& stamp) {
  std::lock_guard lock(mutex_);
  erase_locked(id);
  items_[id] = Item{due, stamp, ++generation_};
  by_due_.emplace(due, id);
}

void Schedule::erase(const std::string& id) {
  std::lock_guard lock(mutex_);
  erase_locked(id);
}

void Schedule::erase_locked(const std::string& id) {
  auto it = items_.find(id);
  if (it == items_.end()) return;
  by_due_.erase({it->second.due, id});
  items_.erase(it);
}

std::vector<std::string> Schedule::due(TimePoint now) const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (const auto& [when, id] : by_due_) {
    if (when > now) break;
    out.push_back(id);
  }
  return out;
}

size_t Schedule::size() const {
  std::lock_guard lock(mutex_);
  return items_.size();
}

bool Schedule::contains(const std::string& id) const {
  std::lock_guard lock(mutex_);
  return items_.count(id) != 0;
}

uint64_t Schedule::generation() const {
  std::lock_guard lock(mutex_);
  return generation_;
}

std::vector<std::string> Schedule::reconcile(const std::vector<Queue::Listed>& listing,
                                             uint64_t generation) {
  std::lock_guard lock(mutex_);
  std::vector<std::string> to_read;
  std::unordered_set<std::string> present;
  present.reserve(listing.size());
  for (const Queue::Listed& l : listing) {
    present.insert(l.id);
    auto it = items_.find(l.id);
    if (it == items_.end() || !(it->second.stamp == l.stamp)) to_read.push_back(l.id);
  }
  std::vector<std::string> gone;
  for (const auto& [id, item] : items_) {
    // Set after the scan began: queued meanwhile, not gone.
    if (item.generation <= generation && !present.count(id)) gone.push_back(id);
  }
  for (const std::string& id : gone) erase_locked(id);
  return to_read;
}

}  // namespace hm::queue
