#include "queue/queue_schedule.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include <gtest/gtest.h>

namespace hm::queue {
namespace {

using std::chrono::hours;
using std::chrono::seconds;
using State = QueuedRecipient::State;
using TimePoint = Schedule::TimePoint;

const TimePoint kT0{seconds(1'700'000'000)};

QueuedRecipient recipient(State state, TimePoint next, bool bounced = false) {
  QueuedRecipient r;
  r.address = "a@example.org";
  r.state = state;
  r.next_attempt = next;
  r.bounced = bounced;
  return r;
}

TEST(QueueSchedule, AnEntryIsDueAtItsEarliestWorkToTheSecond) {
  QueueEntry e;
  e.arrived = kT0;
  e.recipients = {recipient(State::kDeferred, kT0 + hours(2) + std::chrono::milliseconds(700)),
                  recipient(State::kDelivered, kT0), recipient(State::kFailed, kT0, true)};
  EXPECT_EQ(Schedule::due_of(e), kT0 + hours(2));  // as the envelope records it
  e.recipients.push_back(recipient(State::kPending, kT0 + hours(1)));
  EXPECT_EQ(Schedule::due_of(e), kT0 + hours(1));
  // Its give-up time, if sooner than a next attempt.
  e.recipients = {recipient(State::kDeferred, kT0 + Queue::kGiveUpAfter + hours(3))};
  EXPECT_EQ(Schedule::due_of(e), kT0 + Queue::kGiveUpAfter);
  // A bounce still due: at once.
  e.recipients.push_back(recipient(State::kFailed, kT0));
  EXPECT_EQ(Schedule::due_of(e), TimePoint{});
  // Nothing left to do.
  e.recipients = {recipient(State::kDelivered, kT0), recipient(State::kFailed, kT0, true)};
  EXPECT_FALSE(Schedule::due_of(e));
}

TEST(QueueSchedule, DueIsEarliestFirstAndSetMoves) {
  Schedule s;
  s.set("b", kT0 + hours(2), {});
  s.set("a", kT0 + hours(1), {});
  s.set("c", kT0 + hours(3), {});
  EXPECT_TRUE(s.due(kT0).empty());
  EXPECT_EQ(s.due(kT0 + hours(2)), (std::vector<std::string>{"a", "b"}));
  s.set("a", kT0 + hours(4), {});  // retried: moves, not duplicated
  EXPECT_EQ(s.due(kT0 + hours(4)), (std::vector<std::string>{"b", "c", "a"}));
  EXPECT_EQ(s.size(), 3u);
  s.erase("b");
  EXPECT_EQ(s.due(kT0 + hours(4)), (std::vector<std::string>{"c", "a"}));
}

// A scan names what to read: new envelopes and changed ones (another stamp);
// it forgets entries that are gone, but not one set while the scan ran.
TEST(QueueSchedule, ReconcileReadsOnlyNewOrChangedEnvelopes) {
  Schedule s;
  s.set("same", kT0, {1, 10, 100});
  s.set("changed", kT0, {2, 20, 100});
  s.set("gone", kT0, {3, 30, 100});
  const uint64_t before_scan = s.generation();
  s.set("queued meanwhile", kT0, {4, 40, 100});
  auto to_read = s.reconcile(
      {{"same", {1, 10, 100}}, {"changed", {5, 21, 100}}, {"new", {6, 60, 100}}}, before_scan);
  std::sort(to_read.begin(), to_read.end());
  EXPECT_EQ(to_read, (std::vector<std::string>{"changed", "new"}));
  EXPECT_FALSE(s.contains("gone"));
  EXPECT_TRUE(s.contains("queued meanwhile"));
  EXPECT_TRUE(s.contains("same"));
}

// The stamps come from the folder: every change of an entry gives another.
TEST(QueueSchedule, AQueueScanStampsEveryEnvelopeWithoutReadingIt) {
  std::string dir = (std::filesystem::temp_directory_path() / "hm-schedule-XXXXXX").string();
  ASSERT_NE(::mkdtemp(dir.data()), nullptr);
  {
    auto q = Queue::open(dir, /*fsync=*/false);
    ASSERT_TRUE(q) << q.error().describe();
    QueuedRecipient r;
    r.address = "a@example.org";
    r.next_attempt = kT0 + hours(1);
    auto id = q->enqueue("s@example.org", {r}, "m");
    ASSERT_TRUE(id);
    auto listed = q->scan();
    ASSERT_TRUE(listed);
    ASSERT_EQ(listed->size(), 1u);
    EXPECT_EQ((*listed)[0].id, *id);
    EXPECT_EQ(q->envelope_reads(), 0u);
    auto stamp = q->stamp(*id);
    ASSERT_TRUE(stamp);
    EXPECT_EQ(*stamp, (*listed)[0].stamp);
    ASSERT_TRUE(q->retry_now(*id));      // rewrites the envelope
    EXPECT_EQ(q->envelope_reads(), 1u);  // retry_now read it
    auto after = q->stamp(*id);
    ASSERT_TRUE(after);
    EXPECT_NE(*after, *stamp);
    ASSERT_TRUE(q->remove(*id));
    EXPECT_EQ(q->stamp(*id).error().kind(), ErrorKind::kNotFound);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace hm::queue
