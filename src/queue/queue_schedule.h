#pragma once
// The queue runner's schedule: when each queued message is next due, kept in
// memory so that a queue run reads only the envelopes that are due instead of
// every envelope on every pass (docs/queue-format.md, "The runner's
// schedule").
//
// It is built by one scan of the queue folder at the first run, and kept up
// to date by whoever changes the queue in this process (a message queued, a
// retry, a removal), each call naming the envelope's stamp as written. Other
// processes write into the same folder (`hostmail deliver`, `hostmail queue
// retry|delete`): a rescan lists the folder and stats each envelope, without
// reading it, and reconcile() names the envelopes that are new or changed
// since this schedule last saw them, the only ones to read.
//
// Thread-safe (one mutex): SMTP workers add the messages they queue while
// the runner thread takes what is due.

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "queue/queue.h"

namespace hm::queue {

class Schedule {
 public:
  using TimePoint = std::chrono::system_clock::time_point;

  // When `entry` needs the runner next: the earliest next attempt of a
  // pending or deferred recipient, or its give-up time (arrived +
  // Queue::kGiveUpAfter) if sooner; at once for a failed recipient whose
  // bounce is still due. nullopt when nothing is left to do.
  static std::optional<TimePoint> due_of(const QueueEntry& entry);

  // Records (or moves) `id`, due at `due`, whose envelope has `stamp`.
  void set(const std::string& id, TimePoint due, const EnvelopeStamp& stamp);
  void erase(const std::string& id);
  // The ids due at `now`, earliest first.
  std::vector<std::string> due(TimePoint now) const;
  size_t size() const;
  bool contains(const std::string& id) const;

  // A number that grows with every set(); take it before a scan and pass it
  // to reconcile(), which then keeps what was set while the scan ran.
  uint64_t generation() const;
  // Compares a scan of the folder (Queue::scan) with what is scheduled:
  // forgets the ids that are gone (unless set since `generation`), and
  // returns the ids whose envelope is new or has another stamp: the caller
  // reads those and set()s them.
  std::vector<std::string> reconcile(const std::vector<Queue::Listed>& listing,
                                     uint64_t generation);

 private:
  struct Item {
    TimePoint due;
    EnvelopeStamp stamp;
    uint64_t generation = 0;
  };
  void erase_locked(const std::string& id);

  mutable std::mutex mutex_;
  std::unordered_map<std::string, Item> items_;
  std::set<std::pair<TimePoint, std::string>> by_due_;
  uint64_t generation_ = 0;
};

}  // namespace hm::queue
