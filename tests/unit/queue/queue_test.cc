#include "queue/queue.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

namespace hm::queue {
namespace {

namespace fs = std::filesystem;
using State = QueuedRecipient::State;
using std::chrono::seconds;
using std::chrono::system_clock;

class QueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "hm-queue-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    state_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(state_, ec);
  }

  Queue open() {
    auto q = Queue::open(state_);
    EXPECT_TRUE(q) << q.error().message();
    return std::move(*q);
  }

  static QueuedRecipient rcpt(std::string address, std::string original = {}) {
    QueuedRecipient r;
    r.address = std::move(address);
    r.original = std::move(original);
    return r;
  }

  std::vector<std::string> files(const std::string& sub) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(state_ + "/queue/" + sub)) {
      out.push_back(e.path().filename());
    }
    return out;
  }

  std::string state_;
};

// Addresses that a naive space-separated format would break.
const std::vector<std::string> kOddAddresses = {
    "\"john smith\"@example.org", "percent%41@example.org", "-", "", "ünïcödé@bücher.example",
    "tab\there@example.org",      "new\nline@example.org"};

std::string binaryish_message() {
  std::string m = "Subject: test\r\n\r\n";
  for (int i = 0; i < 3000; ++i) m.push_back(static_cast<char>(i % 256));
  m += "\r\n\r\nrcpt deferred 1 2 3\nhostmail-queue 1\n";
  return m;
}

TEST_F(QueueTest, EnqueueListGetMessageRoundTrip) {
  Queue q = open();
  std::vector<QueuedRecipient> rcpts;
  for (size_t i = 0; i < kOddAddresses.size(); ++i) {
    QueuedRecipient r = rcpt(kOddAddresses[i], "orig " + std::to_string(i));
    r.state = i % 2 ? State::kDeferred : State::kPending;
    r.attempts = static_cast<unsigned>(i);
    r.last_error = i ? "451 4.3.0 disk full: 100% used\r\nsecond line" : "";
    r.next_attempt = system_clock::time_point(seconds(1700000000 + i));
    rcpts.push_back(r);
  }
  const std::string message = binaryish_message();
  auto before = system_clock::now() - seconds(1);
  auto id = q.enqueue("odd sender%@example.org", rcpts, message);
  ASSERT_TRUE(id) << id.error().message();

  auto listed = q.list();
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  const QueueEntry& e = listed->front();
  EXPECT_EQ(e.id, *id);
  EXPECT_EQ(e.sender, "odd sender%@example.org");
  EXPECT_EQ(e.size, message.size());
  EXPECT_GE(e.arrived, before);
  ASSERT_EQ(e.recipients.size(), rcpts.size());
  for (size_t i = 0; i < rcpts.size(); ++i) {
    EXPECT_EQ(e.recipients[i].address, rcpts[i].address);
    EXPECT_EQ(e.recipients[i].original, rcpts[i].original);
    EXPECT_EQ(e.recipients[i].state, rcpts[i].state);
    EXPECT_EQ(e.recipients[i].attempts, rcpts[i].attempts);
    EXPECT_EQ(e.recipients[i].last_error, rcpts[i].last_error);
    EXPECT_EQ(e.recipients[i].next_attempt, rcpts[i].next_attempt);
  }
  auto got = q.get(*id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->recipients.size(), rcpts.size());
  auto bytes = q.message(*id);
  ASSERT_TRUE(bytes);
  EXPECT_EQ(*bytes, message);
  EXPECT_TRUE(files("tmp").empty());
}

TEST_F(QueueTest, NullSenderAndIdsAreUniqueAndFileNameSafe) {
  Queue q = open();
  std::set<std::string> ids;
  for (int i = 0; i < 50; ++i) {
    auto id = q.enqueue("", {rcpt("a@example.org")}, "m");
    ASSERT_TRUE(id);
    EXPECT_EQ(id->find('/'), std::string::npos);
    ids.insert(*id);
  }
  EXPECT_EQ(ids.size(), 50u);
  auto listed = q.list();
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->size(), 50u);
  EXPECT_EQ(listed->front().sender, "");
}

TEST_F(QueueTest, EnqueueWithoutWorkIsInvalid) {
  Queue q = open();
  auto none = q.enqueue("s@example.org", {}, "m");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().kind(), ErrorKind::kInvalid);
}

TEST_F(QueueTest, UpdateChangesStatesAndRemovesWhenDone) {
  Queue q = open();
  auto id = q.enqueue("s@example.org", {rcpt("a@example.org"), rcpt("b@example.org")}, "msg");
  ASSERT_TRUE(id);
  auto e = q.get(*id);
  ASSERT_TRUE(e);
  e->recipients[0].state = State::kDelivered;
  e->recipients[1].state = State::kDeferred;
  e->recipients[1].attempts = 1;
  e->recipients[1].last_error = "451 4.3.0 try later";
  e->recipients[1].next_attempt = system_clock::time_point(seconds(2000000000));
  ASSERT_TRUE(q.update(*e));
  auto again = q.get(*id);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->recipients[0].state, State::kDelivered);
  EXPECT_EQ(again->recipients[1].state, State::kDeferred);
  EXPECT_EQ(again->recipients[1].attempts, 1u);
  EXPECT_EQ(again->recipients[1].last_error, "451 4.3.0 try later");
  EXPECT_EQ(*q.message(*id), "msg");

  // Failed for good, but the sender is not told yet: the entry stays, so the
  // bounce can still be sent.
  again->recipients[1].state = State::kFailed;
  again->recipients[1].last_error = "550 5.1.1 no such user";
  ASSERT_TRUE(q.update(*again));
  auto failed = q.get(*id);
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->recipients[1].state, State::kFailed);
  EXPECT_FALSE(failed->recipients[1].bounced);
  EXPECT_EQ(failed->recipients[1].last_error, "550 5.1.1 no such user");

  again->recipients[1].bounced = true;
  ASSERT_TRUE(q.update(*again));
  auto gone = q.get(*id);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().kind(), ErrorKind::kNotFound);
  EXPECT_TRUE(q.list()->empty());
  EXPECT_TRUE(files("active").empty());
  EXPECT_TRUE(files("tmp").empty());
  // Updating what is gone says so.
  auto late = q.update(*again);
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().kind(), ErrorKind::kNotFound);
}

TEST_F(QueueTest, FailedRecipientWaitingForItsBounceIsWork) {
  QueuedRecipient failed = rcpt("a@example.org");
  failed.state = State::kFailed;
  EXPECT_TRUE(Queue::has_work({failed}));
  failed.bounced = true;
  EXPECT_FALSE(Queue::has_work({failed}));
  QueuedRecipient delivered = rcpt("b@example.org");
  delivered.state = State::kDelivered;
  EXPECT_FALSE(Queue::has_work({failed, delivered}));
  EXPECT_TRUE(Queue::has_work({failed, delivered, rcpt("c@example.org")}));

  // Only failures whose bounce could not be sent yet: enqueue keeps them.
  failed.bounced = false;
  Queue q = open();
  auto id = q.enqueue("s@example.org", {failed}, "m");
  ASSERT_TRUE(id) << id.error().describe();
  auto e = q.get(*id);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->recipients[0].state, State::kFailed);
  EXPECT_FALSE(e->recipients[0].bounced);
}

TEST_F(QueueTest, RetryNowMakesDeferredRecipientsDue) {
  Queue q = open();
  QueuedRecipient later = rcpt("a@example.org");
  later.state = State::kDeferred;
  later.next_attempt = system_clock::now() + std::chrono::hours(3);
  auto one = q.enqueue("s@example.org", {later}, "1");
  auto two = q.enqueue("s@example.org", {later}, "2");
  ASSERT_TRUE(one && two);

  ASSERT_TRUE(q.retry_now(*one));
  EXPECT_LE(q.get(*one)->recipients[0].next_attempt, system_clock::now());
  EXPECT_GT(q.get(*two)->recipients[0].next_attempt, system_clock::now());
  EXPECT_EQ(q.get(*one)->recipients[0].state, State::kDeferred);

  ASSERT_TRUE(q.retry_now(""));
  EXPECT_LE(q.get(*two)->recipients[0].next_attempt, system_clock::now());
  EXPECT_EQ(*q.message(*two), "2");

  auto unknown = q.retry_now("1.2P3Q4R5");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().kind(), ErrorKind::kNotFound);
}

TEST_F(QueueTest, RemoveDeletesAndRejectsBadIds) {
  Queue q = open();
  auto id = q.enqueue("s@example.org", {rcpt("a@example.org")}, "m");
  ASSERT_TRUE(id);
  ASSERT_TRUE(q.remove(*id));
  EXPECT_TRUE(q.list()->empty());
  EXPECT_TRUE(files("active").empty());
  auto again = q.remove(*id);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind(), ErrorKind::kNotFound);
  for (const char* bad : {"../escape", "a/b", "", ".hidden"}) {
    auto r = q.remove(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().kind(), ErrorKind::kInvalid) << bad;
  }
}

TEST_F(QueueTest, SurvivesReopen) {
  std::string id;
  {
    Queue q = open();
    auto r = q.enqueue("s@example.org", {rcpt("a@example.org")}, "persistent");
    ASSERT_TRUE(r);
    id = *r;
  }
  Queue q = open();
  auto listed = q.list();
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().id, id);
  EXPECT_EQ(*q.message(id), "persistent");
}

TEST_F(QueueTest, HalfWrittenFilesAreIgnoredAndOldOnesSweptAway) {
  Queue q = open();
  auto id = q.enqueue("s@example.org", {rcpt("a@example.org")}, "m");
  ASSERT_TRUE(id);
  const std::string dir = state_ + "/queue/";
  // A crash in the middle of writing, at each stage of enqueue:
  std::ofstream(dir + "tmp/1.1P1Q1R1.env") << "hostmail-queue 1\nsender -\n";  // torn, in tmp/
  std::ofstream(dir + "tmp/1.1P1Q1R1.msg") << "half a mess";
  std::ofstream(dir + "active/2.2P2Q2R2.msg") << "renamed, but its .env was not";
  std::ofstream(dir + "active/3.3P3Q3R3.env") << "hostmail-queue 1\nsender -\narrived 1\n\n";
  std::ofstream(dir + "active/4.4P4Q4R4.env") << "garbage\n";
  std::ofstream(dir + "active/4.4P4Q4R4.msg") << "m";
  auto listed = q.list();
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().id, *id);

  // Leftovers older than an hour go at the next open; young ones stay (a
  // concurrent enqueue may be writing them).
  auto old = fs::file_time_type::clock::now() - std::chrono::hours(2);
  fs::last_write_time(dir + "tmp/1.1P1Q1R1.env", old);
  fs::last_write_time(dir + "active/2.2P2Q2R2.msg", old);
  open();
  EXPECT_FALSE(fs::exists(dir + "tmp/1.1P1Q1R1.env"));
  EXPECT_TRUE(fs::exists(dir + "tmp/1.1P1Q1R1.msg"));
  EXPECT_FALSE(fs::exists(dir + "active/2.2P2Q2R2.msg"));
  EXPECT_TRUE(fs::exists(dir + "active/" + *id + ".msg"));
}

TEST_F(QueueTest, TwoQueueObjectsOnOneFolderSeeEachOther) {
  Queue daemon = open();
  Queue cli = open();
  auto id = daemon.enqueue("s@example.org", {rcpt("a@example.org"), rcpt("b@example.org")}, "m");
  ASSERT_TRUE(id);
  ASSERT_EQ(cli.list()->size(), 1u);

  auto e = daemon.get(*id);
  ASSERT_TRUE(e);
  e->recipients[0].state = State::kDelivered;
  e->recipients[1].state = State::kDeferred;
  ASSERT_TRUE(daemon.update(*e));
  EXPECT_EQ(cli.get(*id)->recipients[0].state, State::kDelivered);

  ASSERT_TRUE(cli.remove(*id));
  EXPECT_TRUE(daemon.list()->empty());
  // The daemon, finishing a delivery attempt after the CLI deleted the
  // message, is told so and does not bring it back.
  auto late = daemon.update(*e);
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().kind(), ErrorKind::kNotFound);
  EXPECT_TRUE(daemon.list()->empty());
}

TEST_F(QueueTest, OpenCreatesTheFoldersOwnerOnly) {
  std::string deeper = state_ + "/not/yet";
  ASSERT_TRUE(Queue::open(deeper));
  struct stat st {};
  ASSERT_EQ(::stat((deeper + "/queue/active").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

// The daemon owns the queue folder and could replace tmp/ or active/ with a
// symbolic link to a folder of root's (/etc); root opens the queue at
// `serve`'s start and for `hostmail queue`. Nothing there may be removed.
TEST_F(QueueTest, OpenRefusesALinkedFolderAndTouchesNothingThere) {
  open();
  const std::string outside = state_ + "/outside";
  fs::create_directory(outside);
  std::ofstream(outside + "/old-file") << "precious";
  std::ofstream(outside + "/1.1P1Q1R1.msg") << "looks like a leftover";
  auto old = fs::file_time_type::clock::now() - std::chrono::hours(5);
  fs::last_write_time(outside + "/old-file", old);
  fs::last_write_time(outside + "/1.1P1Q1R1.msg", old);
  for (const char* sub : {"tmp", "active"}) {
    const std::string folder = state_ + "/queue/" + sub;
    fs::rename(folder, folder + ".real");
    fs::create_directory_symlink(outside, folder);
    auto q = Queue::open(state_);
    ASSERT_FALSE(q) << sub;
    EXPECT_EQ(q.error().kind(), ErrorKind::kPermission);
    EXPECT_NE(q.error().message().find(folder + " is a symbolic link"), std::string::npos)
        << q.error().message();
    EXPECT_TRUE(fs::exists(outside + "/old-file"));
    EXPECT_TRUE(fs::exists(outside + "/1.1P1Q1R1.msg"));
    fs::remove(folder);
    fs::rename(folder + ".real", folder);
  }
  // The queue folder itself, likewise.
  fs::rename(state_ + "/queue", state_ + "/queue.real");
  fs::create_directory_symlink(state_ + "/queue.real", state_ + "/queue");
  auto q = Queue::open(state_);
  ASSERT_FALSE(q);
  EXPECT_NE(q.error().message().find("is a symbolic link"), std::string::npos);
}

// Once open, the queue works through the folders it opened: a link swapped
// in afterwards is never followed.
TEST_F(QueueTest, AFolderSwappedForALinkAfterOpenIsNotFollowed) {
  Queue q = open();
  const std::string outside = state_ + "/outside";
  fs::create_directory(outside);
  const std::string dir = state_ + "/queue/";
  fs::rename(dir + "tmp", dir + "tmp.moved");
  fs::create_directory_symlink(outside, dir + "tmp");
  fs::rename(dir + "active", dir + "active.moved");
  fs::create_directory_symlink(outside, dir + "active");
  auto id = q.enqueue("s@example.org", {rcpt("a@example.org")}, "m");
  ASSERT_TRUE(id) << id.error().message();
  EXPECT_TRUE(fs::is_empty(outside));
  EXPECT_TRUE(fs::exists(dir + "active.moved/" + *id + ".env"));
  ASSERT_TRUE(q.remove(*id));
  EXPECT_TRUE(fs::is_empty(outside));
}

// Entries that are symbolic links (to a file of root's, say) are neither
// read, nor locked, nor removed through, nor swept.
TEST_F(QueueTest, LinkedEntriesAreNeverFollowed) {
  Queue q = open();
  const std::string dir = state_ + "/queue/";
  const std::string secret = state_ + "/secret";
  std::ofstream(secret) << "hostmail-queue 1\nsender -\narrived 1\nrcpt pending 0 0 a - -\n\n";
  fs::create_symlink(secret, dir + "active/5.5P5Q5R5.env");
  std::ofstream(dir + "active/5.5P5Q5R5.msg") << "m";
  fs::create_symlink(secret, dir + "active/6.6P6Q6R6.msg");
  std::ofstream(dir + "active/6.6P6Q6R6.env") << "hostmail-queue 1\nsender -\narrived 1\n\n";
  fs::create_symlink(secret, dir + "tmp/7.7P7Q7R7.msg");

  auto listed = q.list();
  ASSERT_TRUE(listed);
  EXPECT_TRUE(listed->empty());
  auto got = q.get("5.5P5Q5R5");
  ASSERT_FALSE(got);
  EXPECT_NE(got.error().message().find("symbolic link"), std::string::npos);
  EXPECT_FALSE(q.message("6.6P6Q6R6"));
  EXPECT_FALSE(q.remove("6.6P6Q6R6"));
  EXPECT_FALSE(q.retry_now("6.6P6Q6R6"));
  auto old = fs::file_time_type::clock::now() - std::chrono::hours(5);
  fs::last_write_time(secret, old);
  open();  // sweeps
  EXPECT_TRUE(fs::exists(secret));
  std::ifstream in(secret);
  std::string first;
  std::getline(in, first);
  EXPECT_EQ(first, "hostmail-queue 1");
}

TEST(QueueBackoff, FiveMinutesDoublingToFourHours) {
  EXPECT_EQ(Queue::backoff(0), seconds(0));
  EXPECT_EQ(Queue::backoff(1), seconds(5 * 60));
  EXPECT_EQ(Queue::backoff(2), seconds(10 * 60));
  EXPECT_EQ(Queue::backoff(3), seconds(20 * 60));
  EXPECT_EQ(Queue::backoff(6), seconds(160 * 60));
  EXPECT_EQ(Queue::backoff(7), seconds(4 * 60 * 60));
  EXPECT_EQ(Queue::backoff(100), seconds(4 * 60 * 60));
  EXPECT_EQ(Queue::backoff(~0u), seconds(4 * 60 * 60));
}

}  // namespace
}  // namespace hm::queue
