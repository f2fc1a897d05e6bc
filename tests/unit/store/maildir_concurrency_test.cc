// The Maildir mailboxes under concurrency: delivery threads, sessions that
// sync, append, flag and expunge on one folder at once; then a process
// killed (SIGKILL) in the middle of appends, deliveries and syncs. Every
// message must be there once, UIDs strictly increasing, none reused.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "maildir_fixture.h"
#include "store/maildir/maildir_delivery.h"
#include "store/maildir/maildir_mailboxes.h"

namespace hm::store::maildir {
namespace {

using testing::read_file;
using testing::TempDir;

MaildirAccount account_at(const std::string& root) {
  MaildirAccount a;
  a.root = root;
  a.hostname = "race.test";
  a.fsync = false;  // SIGKILL loses nothing the kernel has; power loss is tested elsewhere
  return a;
}

std::unique_ptr<MaildirMailboxes> open_account(const std::string& root) {
  auto boxes = MaildirMailboxes::open(account_at(root));
  EXPECT_TRUE(boxes) << (boxes ? "" : boxes.error().describe());
  return boxes ? std::move(*boxes) : nullptr;
}

// Records which text each UID was seen with, from every thread: a UID must
// never stand for two messages.
class UidWitness {
 public:
  void saw(uint32_t uid, const std::string& text) {
    std::lock_guard lock(mutex_);
    auto [it, fresh] = texts_.emplace(uid, text);
    if (!fresh && it->second != text) {
      ADD_FAILURE() << "UID " << uid << " was \"" << it->second << "\" and is now \"" << text
                    << "\"";
    }
  }
  std::map<uint32_t, std::string> texts() {
    std::lock_guard lock(mutex_);
    return texts_;
  }

 private:
  std::mutex mutex_;
  std::map<uint32_t, std::string> texts_;
};

// Checks the INBOX at `root`: each text once, UIDs ascending; returns UID
// by text.
std::map<std::string, uint32_t> check_inbox(const std::string& root, UidWitness& witness) {
  std::map<std::string, uint32_t> by_text;
  auto boxes = open_account(root);
  if (!boxes) return by_text;
  auto box = boxes->open({}, true);
  EXPECT_TRUE(box);
  if (!box) return by_text;
  uint32_t last = 0;
  for (const MessageMeta& m : (*box)->messages()) {
    EXPECT_GT(m.uid, last);
    last = m.uid;
    auto text = (*box)->read(m.uid);
    EXPECT_TRUE(text) << m.uid;
    if (!text) continue;
    witness.saw(m.uid, *text);
    EXPECT_TRUE(by_text.emplace(*text, m.uid).second) << "twice: " << *text;
  }
  return by_text;
}

TEST(MaildirConcurrency, DeliveriesAndSessionsOnOneFolder) {
  TempDir dir;
  const std::string root = dir.path() + "/m/";
  ASSERT_TRUE(open_account(root));
  constexpr int kDeliverers = 3, kSessions = 3, kPerThread = 40;
  UidWitness witness;
  std::mutex mutex;
  std::set<std::string> kept;      // texts that must be there at the end
  std::set<std::string> expunged;  // texts appended \Deleted (may be expunged)
  std::atomic<int> failures{0};

  std::vector<std::thread> threads;
  for (int t = 0; t < kDeliverers; ++t) {
    threads.emplace_back([&, t] {
      DeliveryOptions o;
      o.hostname = "race.test";
      o.fsync = false;
      for (int i = 0; i < kPerThread; ++i) {
        std::string text = "delivered " + std::to_string(t) + "-" + std::to_string(i) + "\n";
        auto r = deliver(text, {MaildirTarget{root}}, o);
        if (!r[0]) {
          ++failures;
          continue;
        }
        std::lock_guard lock(mutex);
        kept.insert(text);
      }
    });
  }
  for (int t = 0; t < kSessions; ++t) {
    threads.emplace_back([&, t] {
      auto boxes = open_account(root);
      if (!boxes) return;
      auto opened = boxes->open({}, false);
      if (!opened) {
        ++failures;
        return;
      }
      Mailbox& box = **opened;
      uint32_t last_seen = 0;
      for (int i = 0; i < kPerThread; ++i) {
        const bool doomed = i % 3 == 0;
        std::string text = "appended " + std::to_string(t) + "-" + std::to_string(i) + "\n";
        std::vector<AppendMessage> m(1);
        m[0].text = text;
        m[0].flags = doomed ? kFlagDeleted : 0;
        auto r = boxes->append({}, std::move(m));
        if (!r || r->target.size() != 1) {
          ++failures;
          continue;
        }
        witness.saw(r->target[0], text);
        {
          std::lock_guard lock(mutex);
          (doomed ? expunged : kept).insert(text);
        }
        auto changes = box.sync();
        if (!changes) {
          ++failures;
          continue;
        }
        // The view only grows at its end, in UID order.
        for (const MessageMeta& meta : box.messages()) {
          if (meta.uid <= last_seen) continue;
          last_seen = meta.uid;
        }
        if (!box.messages().empty()) {
          EXPECT_EQ(box.messages().back().uid, last_seen);
        }
        if (i % 4 == 1 && !box.messages().empty()) {
          FlagChange seen;
          seen.flags = kFlagSeen;
          seen.keywords = {"k" + std::to_string(t)};
          if (!box.set_flags({box.messages()[box.messages().size() / 2].uid}, seen)) ++failures;
        }
        if (i % 5 == 4 && !box.expunge(nullptr)) ++failures;
        if (i % 7 == 0 && !box.messages().empty()) {
          const uint32_t uid = box.messages().front().uid;
          if (auto text = box.read(uid)) witness.saw(uid, *text);
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);

  auto by_text = check_inbox(root, witness);
  for (const std::string& text : kept) EXPECT_EQ(by_text.count(text), 1u) << text;
  for (const auto& [text, uid] : by_text) {
    EXPECT_TRUE(kept.count(text) || expunged.count(text)) << "unknown message: " << text;
  }
  EXPECT_EQ(kept.size(), size_t{(kDeliverers + kSessions) * kPerThread} - expunged.size());
}

// One round: a child appends, delivers and syncs in three threads, telling
// the parent each UID it was given (a line written once it returned), and
// is killed with SIGKILL at a moment of the parent's choosing.
void run_child(const std::string& root, const std::string& report, int round) {
  int out = ::open(report.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (out < 0) ::_exit(2);
  auto boxes = MaildirMailboxes::open(account_at(root));
  if (!boxes) ::_exit(3);
  std::atomic<bool> stop{false};
  std::thread deliverer([&] {
    DeliveryOptions o;
    o.hostname = "race.test";
    o.fsync = false;
    // Bounded, so that the folder (and each full sync) stays small over
    // the rounds.
    for (int i = 0; !stop && i < 200; ++i) {
      (void)deliver("delivered " + std::to_string(round) + "-" + std::to_string(i) + "\n",
                    {MaildirTarget{root}}, o);
      std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
  });
  std::thread syncer([&] {
    auto mine = MaildirMailboxes::open(account_at(root));
    if (!mine) return;
    auto box = (*mine)->open({}, false);
    for (int i = 0; box && !stop; ++i) {
      (void)(*box)->sync();
      if (i % 10 == 9) (void)(*box)->expunge(nullptr);  // nothing is \Deleted: a no-op write
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  for (int i = 0; i < 2000; ++i) {
    std::string text = "appended " + std::to_string(round) + "-" + std::to_string(i) + "\n";
    std::vector<AppendMessage> m(2);
    m[0].text = text;
    m[1].text = text + "second\n";
    auto r = (*boxes)->append({}, std::move(m));
    if (!r) continue;
    std::string line = std::to_string(r->target[0]) + " " + std::to_string(r->target[1]) + " " +
                       std::to_string(round) + "-" + std::to_string(i) + "\n";
    if (::write(out, line.data(), line.size()) != static_cast<ssize_t>(line.size())) break;
  }
  stop = true;
  deliverer.join();
  syncer.join();
  ::_exit(0);
}

TEST(MaildirConcurrency, SigkillAtAnyMomentReusesNoUid) {
  TempDir dir;
  const std::string root = dir.path() + "/m/";
  const std::string report = dir.path() + "/report";
  uint32_t validity = 0;
  {
    auto boxes = open_account(root);
    ASSERT_TRUE(boxes);
    validity = (*boxes->open({}, false))->status().uid_validity;
  }
  UidWitness witness;
  uint32_t highest = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (int round = 0; round < 6 && std::chrono::steady_clock::now() < deadline; ++round) {
    ::unlink(report.c_str());
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) run_child(root, report, round);
    // Killed once it has told of some appends, at a moment that differs
    // from round to round.
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (read_file(report).empty() && std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(13 + 47 * round));
    ASSERT_EQ(::kill(child, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) == 0))
        << "the child failed: " << status;

    // What the child was told stands: the same UIDs for the same texts.
    std::istringstream lines(read_file(report));
    std::string first, second, id;
    size_t told = 0;
    while (lines >> first >> second >> id) {
      const std::string text = "appended " + id + "\n";
      witness.saw(static_cast<uint32_t>(std::stoul(first)), text);
      witness.saw(static_cast<uint32_t>(std::stoul(second)), text + "second\n");
      ++told;
    }
    EXPECT_GT(told, 0u) << "round " << round;
    auto by_text = check_inbox(root, witness);
    for (const auto& [uid, text] : witness.texts()) {
      auto it = by_text.find(text);
      ASSERT_NE(it, by_text.end()) << "lost: " << text;
      EXPECT_EQ(it->second, uid);
    }
    // A new message gets a UID above all given so far, under the same
    // UIDVALIDITY.
    auto boxes = open_account(root);
    ASSERT_TRUE(boxes);
    const std::string after = "after round " + std::to_string(round) + "\n";
    std::vector<AppendMessage> m(1);
    m[0].text = after;
    auto r = boxes->append({}, std::move(m));
    ASSERT_TRUE(r) << r.error().describe();
    EXPECT_EQ(r->uid_validity, validity);
    for (const auto& [text, uid] : by_text) highest = std::max(highest, uid);
    EXPECT_GT(r->target[0], highest);
    highest = r->target[0];
    witness.saw(r->target[0], after);
  }
}

}  // namespace
}  // namespace hm::store::maildir
