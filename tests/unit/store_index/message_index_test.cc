#include "store/maildir/message_index.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "base/unique_fd.h"
#include "support/fault_file_system.h"
#include "unit/store/maildir_fixture.h"

namespace hm::store::maildir {
namespace {

using testing::read_file;
using testing::TempDir;

constexpr uint32_t kValidity = 1234;

class MessageIndexTest : public ::testing::Test {
 protected:
  MessageIndexTest() : dir_(::open(tmp_.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) {}

  std::unique_ptr<MessageIndex> open_index(uint32_t validity = kValidity, IndexOptions o = {}) {
    return MessageIndex::open(dir_.get(), tmp_.path(), validity, o);
  }
  std::string path() const { return tmp_.path() + "/" + kIndexName; }
  std::string file() const { return read_file(path()); }
  void write(const std::string& content) { std::ofstream(path(), std::ios::trunc) << content; }
  static std::string base(uint32_t uid) { return "1700000000.M" + std::to_string(uid) + "P1.host"; }
  static std::string envelope(uint32_t uid, int version = 0) {
    return "(\"date\" \"subject " + std::to_string(uid) + "." + std::to_string(version) + "\")";
  }
  // Puts an envelope for each UID, then flushes.
  void fill(MessageIndex& index, uint32_t first, uint32_t last, int version = 0) {
    for (uint32_t uid = first; uid <= last; ++uid) {
      index.put(uid, base(uid), "envelope", envelope(uid, version));
    }
    ASSERT_TRUE(index.flush());
  }

  TempDir tmp_;
  UniqueFd dir_;
};

TEST_F(MessageIndexTest, KeepsValuesAcrossOpens) {
  auto index = open_index();
  EXPECT_EQ(index->messages(), 0u);
  EXPECT_FALSE(std::filesystem::exists(path()));
  index->put(1, base(1), "envelope", envelope(1));
  index->put(1, base(1), "header:SUBJECT", "hello");
  index->put(2, base(2), "bodystructure", "(\"text\" \"plain\")");
  EXPECT_EQ(index->get(1, base(1), "envelope"), envelope(1));  // before any flush
  ASSERT_TRUE(index->flush());
  EXPECT_FALSE(index->pending());

  auto again = open_index();
  EXPECT_EQ(again->messages(), 2u);
  EXPECT_EQ(again->get(1, base(1), "envelope"), envelope(1));
  EXPECT_EQ(again->get(1, base(1), "header:SUBJECT"), "hello");
  EXPECT_EQ(again->get(2, base(2), "bodystructure"), "(\"text\" \"plain\")");
  EXPECT_FALSE(again->get(2, base(2), "envelope"));
  EXPECT_FALSE(again->get(3, base(3), "envelope"));
  // Another file under the UID: nothing kept is about it.
  EXPECT_FALSE(again->get(1, "1700000000.Mother.host", "envelope"));
  again->put(1, "1700000000.Mother.host", "body", "x");
  EXPECT_FALSE(again->get(1, base(1), "envelope"));
  EXPECT_FALSE(again->get(1, "1700000000.Mother.host", "envelope"));
  EXPECT_EQ(again->get(1, "1700000000.Mother.host", "body"), "x");
}

TEST_F(MessageIndexTest, FileFacts) {
  auto index = open_index();
  index->put_file_facts(5, base(5), FileFacts{12345, 1700000001});
  ASSERT_TRUE(index->flush());
  auto facts = open_index()->file_facts(5, base(5));
  ASSERT_TRUE(facts);
  EXPECT_EQ(facts->wire_size, 12345u);
  EXPECT_EQ(facts->internal_date, 1700000001);
  EXPECT_FALSE(index->file_facts(5, base(6)));
}

TEST_F(MessageIndexTest, Bounds) {
  auto index = open_index();
  index->put(1, base(1), "body", std::string(kMaxIndexValue + 1, 'x'));
  index->put(1, "", "body", "x");
  index->put(1, base(1), "", "x");
  index->put(0, base(1), "body", "x");
  index->put(1, std::string(kMaxIndexBase + 1, 'b'), "body", "x");
  index->put(1, base(1), std::string(kMaxIndexKey + 1, 'k'), "x");
  EXPECT_EQ(index->messages(), 0u);
  EXPECT_FALSE(index->pending());
  for (size_t i = 0; i < kMaxIndexKeys + 5; ++i) {
    index->put(1, base(1), "header:X-" + std::to_string(i), "v");
  }
  EXPECT_TRUE(index->get(1, base(1), "header:X-0"));
  EXPECT_FALSE(index->get(1, base(1), "header:X-" + std::to_string(kMaxIndexKeys)));
  index->put(1, base(1), "body", std::string(kMaxIndexValue, 'x'));  // at the bound: kept? no:
  EXPECT_FALSE(index->get(1, base(1), "body"));                      // no key left for it
  index->put(2, base(2), "body", std::string(kMaxIndexValue, 'x'));
  ASSERT_TRUE(index->flush());
  EXPECT_EQ(open_index()->get(2, base(2), "body")->size(), kMaxIndexValue);
}

TEST_F(MessageIndexTest, FileAndLiveRecordsAreBounded) {
  IndexOptions o;
  o.max_file_bytes = 4000;
  auto index = open_index(kValidity, o);
  for (uint32_t uid = 1; uid <= 100; ++uid) {
    index->put(uid, base(uid), "envelope", envelope(uid));
  }
  EXPECT_LE(index->live_bytes(), 2000u);
  EXPECT_LT(index->messages(), 100u);
  ASSERT_TRUE(index->flush());
  EXPECT_LE(std::filesystem::file_size(path()), 4000u);
  // A file over the bound is not read.
  auto unbounded = open_index();
  fill(*unbounded, 1, 100);
  EXPECT_GT(std::filesystem::file_size(path()), 4000u);
  EXPECT_EQ(open_index(kValidity, o)->messages(), 0u);
  EXPECT_EQ(open_index()->messages(), 100u);
}

TEST_F(MessageIndexTest, TruncatedFileKeepsTheBlocksBeforeTheCut) {
  auto index = open_index();
  fill(*index, 1, 10);
  const auto first = std::filesystem::file_size(path());
  fill(*index, 11, 20);
  const auto size = std::filesystem::file_size(path());
  ASSERT_GT(size, first);
  const std::string good = file();
  // Every cut: what lies wholly before it is kept, nothing after.
  for (auto cut = size - 1; cut > 0; cut -= 7) {
    std::filesystem::resize_file(path(), cut);
    auto reader = open_index();
    EXPECT_EQ(reader->messages(), cut >= first ? 10u : 0u) << cut;
    for (uint32_t uid = 1; uid <= 20; ++uid) {
      auto v = reader->get(uid, base(uid), "envelope");
      if (v) {
        EXPECT_EQ(*v, envelope(uid));
      }
    }
    if (cut < 8) break;
  }
  // The next write mends the file: rewritten whole from what is known.
  write(good.substr(0, size - 3));
  auto writer = open_index();
  fill(*writer, 21, 21);
  auto reader = open_index();
  EXPECT_EQ(reader->messages(), 11u);
  EXPECT_EQ(reader->get(21, base(21), "envelope"), envelope(21));
  EXPECT_EQ(reader->get(5, base(5), "envelope"), envelope(5));
}

TEST_F(MessageIndexTest, FlippedBytesAreNeverServed) {
  auto index = open_index();
  fill(*index, 1, 3);
  fill(*index, 4, 6);
  const std::string good = file();
  for (size_t at = 0; at < good.size(); ++at) {
    std::string bad = good;
    bad[at] = static_cast<char>(bad[at] ^ 0x20);
    write(bad);
    auto reader = open_index();
    // A value is what was put, or absent: never damaged.
    for (uint32_t uid = 1; uid <= 6; ++uid) {
      auto v = reader->get(uid, base(uid), "envelope");
      if (v) {
        EXPECT_EQ(*v, envelope(uid)) << "flipped byte " << at;
      }
    }
    EXPECT_LT(reader->messages(), 6u) << "flipped byte " << at;
  }
  // And is mended by the next flush.
  write(good.substr(0, 30) + "garbage" + good.substr(37));
  auto writer = open_index();
  writer->put(7, base(7), "envelope", envelope(7));
  ASSERT_TRUE(writer->flush());
  EXPECT_EQ(open_index()->get(7, base(7), "envelope"), envelope(7));
}

TEST_F(MessageIndexTest, AnotherUidValidityIsIgnoredAndReplaced) {
  auto index = open_index();
  fill(*index, 1, 3);
  auto other = open_index(kValidity + 1);
  EXPECT_EQ(other->messages(), 0u);
  fill(*other, 1, 1, 9);
  EXPECT_EQ(open_index(kValidity + 1)->get(1, base(1), "envelope"), envelope(1, 9));
  EXPECT_EQ(open_index(kValidity + 1)->messages(), 1u);
  EXPECT_EQ(open_index(kValidity)->messages(), 0u);
}

TEST_F(MessageIndexTest, GarbageInsteadOfAnIndex) {
  write("not an index at all");
  EXPECT_EQ(open_index()->messages(), 0u);
  write("");
  auto index = open_index();
  EXPECT_EQ(index->messages(), 0u);
  fill(*index, 1, 1);
  EXPECT_EQ(open_index()->messages(), 1u);
  // A link in its place is not followed, and replaced.
  std::filesystem::remove(path());
  std::filesystem::create_symlink("/etc/passwd", path());
  auto linked = open_index();
  EXPECT_EQ(linked->messages(), 0u);
  fill(*linked, 1, 1);
  EXPECT_FALSE(std::filesystem::is_symlink(path()));
  EXPECT_EQ(open_index()->messages(), 1u);
}

TEST_F(MessageIndexTest, WritersMergeTheirAppends) {
  auto a = open_index();
  auto b = open_index();
  fill(*a, 1, 5);
  EXPECT_FALSE(b->get(1, base(1), "envelope"));
  ASSERT_TRUE(b->refresh());
  EXPECT_EQ(b->get(1, base(1), "envelope"), envelope(1));
  // b changes a value and adds one; a, not refreshed, adds another.
  b->put(2, base(2), "envelope", envelope(2, 1));
  b->put(6, base(6), "envelope", envelope(6));
  ASSERT_TRUE(b->flush());
  a->put(7, base(7), "envelope", envelope(7));
  ASSERT_TRUE(a->flush());  // reads b's records first
  EXPECT_EQ(a->get(2, base(2), "envelope"), envelope(2, 1));
  auto c = open_index();
  EXPECT_EQ(c->messages(), 7u);
  EXPECT_EQ(c->get(2, base(2), "envelope"), envelope(2, 1));
  EXPECT_EQ(c->get(6, base(6), "envelope"), envelope(6));
  EXPECT_EQ(c->get(7, base(7), "envelope"), envelope(7));
}

TEST_F(MessageIndexTest, ForgottenAndReplacedValuesLeaveAtCompaction) {
  IndexOptions small;
  small.compact_slack = 0;
  auto index = open_index(kValidity, small);
  fill(*index, 1, 100);
  const auto full = std::filesystem::file_size(path());
  for (int round = 1; round <= 10; ++round) fill(*index, 1, 100, round);
  // Ten times the values were replaced; the file holds about one set.
  EXPECT_LT(std::filesystem::file_size(path()), 3 * full);
  EXPECT_EQ(open_index()->get(50, base(50), "envelope"), envelope(50, 10));

  auto other = open_index();
  std::vector<uint32_t> gone;
  for (uint32_t uid = 1; uid <= 90; ++uid) gone.push_back(uid);
  index->forget(gone);
  EXPECT_FALSE(index->get(1, base(1), "envelope"));
  ASSERT_TRUE(index->flush());
  EXPECT_LT(std::filesystem::file_size(path()), full / 2);
  EXPECT_EQ(open_index()->messages(), 10u);
  ASSERT_TRUE(other->refresh());  // sees the compacted file
  EXPECT_EQ(other->messages(), 10u);
  EXPECT_FALSE(other->get(1, base(1), "envelope"));
  EXPECT_EQ(other->get(95, base(95), "envelope"), envelope(95, 10));
}

TEST_F(MessageIndexTest, ForgetReachesOtherReadersWithoutCompaction) {
  auto a = open_index();
  auto b = open_index();
  fill(*a, 1, 3);
  ASSERT_TRUE(b->refresh());
  a->forget({2});
  ASSERT_TRUE(a->flush());
  ASSERT_TRUE(b->refresh());
  EXPECT_FALSE(b->get(2, base(2), "envelope"));
  EXPECT_EQ(b->messages(), 2u);
}

TEST_F(MessageIndexTest, KeepOnlyDropsExpungedMessages) {
  auto index = open_index();
  fill(*index, 1, 6);
  index->keep_only({2, 4, 6});
  EXPECT_EQ(index->messages(), 3u);
  ASSERT_TRUE(index->flush());
  auto again = open_index();
  EXPECT_EQ(again->messages(), 3u);
  EXPECT_TRUE(again->get(4, base(4), "envelope"));
  EXPECT_FALSE(again->get(3, base(3), "envelope"));
}

TEST_F(MessageIndexTest, PendingChangesSurviveAnotherWritersCompaction) {
  auto a = open_index();
  fill(*a, 1, 3);
  a->put(9, base(9), "envelope", envelope(9));  // not flushed
  auto b = open_index();
  write("");  // b will find a bad file and compact
  b->put(4, base(4), "envelope", envelope(4));
  ASSERT_TRUE(b->flush());
  ASSERT_TRUE(a->refresh());
  EXPECT_EQ(a->get(9, base(9), "envelope"), envelope(9));  // still there, still pending
  EXPECT_TRUE(a->pending());
  ASSERT_TRUE(a->flush());
  auto c = open_index();
  EXPECT_EQ(c->get(9, base(9), "envelope"), envelope(9));
  EXPECT_EQ(c->get(4, base(4), "envelope"), envelope(4));
}

TEST_F(MessageIndexTest, PutsFlushByThemselvesAndStayBoundedWhenWritesFail) {
  IndexOptions o;
  o.flush_at = 2000;
  o.max_pending = 8000;
  auto index = open_index(kValidity, o);
  for (uint32_t uid = 1; uid <= 100; ++uid) {
    index->put(uid, base(uid), "envelope", envelope(uid));
  }
  EXPECT_GT(open_index()->messages(), 50u);  // written without a flush()
  ASSERT_TRUE(index->flush());
  EXPECT_EQ(open_index()->messages(), 100u);

  // A folder where the index cannot be written: the lock cannot be taken.
  TempDir other;
  std::filesystem::create_directory(other.path() + "/" + kIndexLockName);
  UniqueFd other_fd(::open(other.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  auto stuck = MessageIndex::open(other_fd.get(), other.path(), kValidity, o);
  for (uint32_t uid = 1; uid <= 1000; ++uid) {
    stuck->put(uid, base(uid), "envelope", envelope(uid));
    ASSERT_LT(stuck->pending_bytes(), o.max_pending + 200);
  }
  EXPECT_FALSE(stuck->flush());
  EXPECT_EQ(stuck->get(1000, base(1000), "envelope"), envelope(1000));  // still served
}

// A crash at every step of an append and of a compaction: what was
// written before is still there, and nothing served is damaged.
TEST_F(MessageIndexTest, CrashAtAnyStepOfAFlushKeepsWhatWasWritten) {
  for (bool compaction : {false, true}) {
    for (int step = 0; step < 8; ++step) {
      std::filesystem::remove(path());
      {
        auto index = open_index();
        fill(*index, 1, 20);
      }
      // A torn tail (an earlier crash) makes the flush compact.
      if (compaction) std::ofstream(path(), std::ios::app) << "torn";
      auto index = open_index();
      for (uint32_t uid = 1; uid <= 30; ++uid) {
        index->put(uid, base(uid), "envelope", envelope(uid, 1));
      }
      {
        hm::testing::FaultFileSystem faults;
        fs::ScopedFileSystem scoped(faults);
        faults.crash_after(step);
        // Fails at `step`, or succeeds when it has fewer.
        const bool flushed = static_cast<bool>(index->flush());
        if (step == 0) {
          EXPECT_FALSE(flushed);
        }
      }
      auto after = open_index();
      EXPECT_GE(after->messages(), 20u) << compaction << " " << step;
      for (uint32_t uid = 1; uid <= 30; ++uid) {
        auto v = after->get(uid, base(uid), "envelope");
        if (uid <= 20) {
          ASSERT_TRUE(v) << compaction << " " << step << " " << uid;
        }
        if (v) {
          EXPECT_TRUE(*v == envelope(uid, 0) || *v == envelope(uid, 1)) << *v;
        }
      }
    }
  }
}

TEST_F(MessageIndexTest, ConcurrentWritersLoseNothing) {
  constexpr uint32_t kPerThread = 300;
  auto writer = [&](uint32_t first) {
    IndexOptions o;
    o.compact_slack = 4096;  // compactions as well as appends
    auto index = MessageIndex::open(dir_.get(), tmp_.path(), kValidity, o);
    for (uint32_t uid = first; uid < first + kPerThread; ++uid) {
      index->put(uid, base(uid), "envelope", envelope(uid));
      index->put(first, base(first), "body", std::to_string(uid));  // replaced again and again
      if (uid % 7 == 0) {
        ASSERT_TRUE(index->flush());
      }
    }
    ASSERT_TRUE(index->flush());
  };
  std::thread t1(writer, 1), t2(writer, 1001), t3(writer, 2001);
  t1.join();
  t2.join();
  t3.join();
  auto index = open_index();
  EXPECT_EQ(index->messages(), 3 * kPerThread);
  for (uint32_t first : {1u, 1001u, 2001u}) {
    for (uint32_t uid = first; uid < first + kPerThread; ++uid) {
      EXPECT_EQ(index->get(uid, base(uid), "envelope"), envelope(uid));
    }
    EXPECT_EQ(index->get(first, base(first), "body"), std::to_string(first + kPerThread - 1));
  }
}

}  // namespace
}  // namespace hm::store::maildir
