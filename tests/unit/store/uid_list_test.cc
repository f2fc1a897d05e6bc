#include "store/maildir/uid_list.h"

#include <fcntl.h>

#include <gtest/gtest.h>

#include "base/file_system.h"
#include "maildir_fixture.h"
#include "support/fault_file_system.h"

namespace hm::store::maildir {
namespace {

using testing::read_file;
using testing::TempDir;

UidList sample() {
  UidList l;
  l.uid_validity = 1700000000;
  l.uid_next = 8;
  l.highest_modseq = 12;
  l.recent_uid = 3;
  l.expunged_floor = 2;
  l.expunged = {{4, {{1, 2}}}, {9, {{4, 4}, {6, 6}}}};
  l.entries = {{3, 5, "", "1.M1P1.h,S=3"}, {7, 12, "FS", "2.M1P1.h"}};
  return l;
}

TEST(UidList, FormatIsDocumented) {
  EXPECT_EQ(format_uid_list(sample()),
            "hostmail-uidlist 2\nuidvalidity 1700000000\nuidnext 8\nhighestmodseq 12\n"
            "recent 3\nexpungedfloor 2\nexpunged 4 1:2\nexpunged 9 4,6\n"
            "3 5 - 1.M1P1.h,S=3\n7 12 FS 2.M1P1.h\nend 2\n");
}

// Lists written before \Recent and expunges were recorded still open:
// nothing in them is recent, and the expunged record starts at their
// highest MODSEQ.
TEST(UidList, ReadsVersion1) {
  auto parsed = parse_uid_list(
      "hostmail-uidlist 1\nuidvalidity 1700000000\nuidnext 8\nhighestmodseq 12\n"
      "3 5 - 1.M1P1.h,S=3\n7 12 FS 2.M1P1.h\nend 2\n");
  ASSERT_TRUE(parsed) << parsed.error().message();
  EXPECT_EQ(parsed->recent_uid, 7u);
  EXPECT_EQ(parsed->expunged_floor, 12u);
  EXPECT_TRUE(parsed->expunged.empty());
  EXPECT_EQ(parsed->entries.size(), 2u);
  EXPECT_FALSE(expunged_after(*parsed, 11));
  EXPECT_EQ(*expunged_after(*parsed, 12), std::vector<uint32_t>{});
}

TEST(UidList, ExpungedRecordAnswersFromItsFloor) {
  UidList l = sample();
  EXPECT_FALSE(expunged_after(l, 1));
  EXPECT_EQ(*expunged_after(l, 2), (std::vector<uint32_t>{1, 2, 4, 6}));
  EXPECT_EQ(*expunged_after(l, 4), (std::vector<uint32_t>{4, 6}));
  EXPECT_EQ(*expunged_after(l, 9), std::vector<uint32_t>{});
}

TEST(UidList, ExpungedRecordStaysBounded) {
  UidList l;
  l.uid_validity = 1;
  l.uid_next = 3 * kMaxExpungedRanges + 10;
  l.highest_modseq = 1;
  // Every other UID, one expunge each: one range per run.
  for (uint32_t uid = 1; uid < 2 * kMaxExpungedRanges + 4; uid += 2) {
    record_expunged(l, ++l.highest_modseq, {uid});
  }
  size_t ranges = 0;
  for (const ExpungedRun& r : l.expunged) ranges += r.ranges.size();
  EXPECT_LE(ranges, kMaxExpungedRanges);
  EXPECT_GT(l.expunged_floor, 2u);
  EXPECT_FALSE(expunged_after(l, 1));
  auto recent = expunged_after(l, l.highest_modseq - 1);
  ASSERT_TRUE(recent);
  EXPECT_EQ(recent->size(), 1u);
  auto back = parse_uid_list(format_uid_list(l));
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(back->expunged.size(), l.expunged.size());
  EXPECT_EQ(back->expunged_floor, l.expunged_floor);
}

TEST(UidList, RoundTrips) {
  auto parsed = parse_uid_list(format_uid_list(sample()));
  ASSERT_TRUE(parsed) << parsed.error().message();
  EXPECT_EQ(parsed->uid_validity, 1700000000u);
  EXPECT_EQ(parsed->uid_next, 8u);
  EXPECT_EQ(parsed->highest_modseq, 12u);
  ASSERT_EQ(parsed->entries.size(), 2u);
  EXPECT_EQ(parsed->entries[1].flags, "FS");
  EXPECT_EQ(parsed->entries[1].base, "2.M1P1.h");
  EXPECT_EQ(parsed->entries[0].flags, "");
}

TEST(UidList, RefusesWhatBreaksItsRules) {
  const std::string good = format_uid_list(sample());
  auto refused = [](const std::string& text) { return !parse_uid_list(text).has_value(); };
  EXPECT_TRUE(refused(""));
  EXPECT_TRUE(refused(good.substr(0, good.size() - 1)));   // last line cut
  EXPECT_TRUE(refused(good.substr(0, good.find("end"))));  // no end line
  EXPECT_TRUE(refused(good + "x\n"));
  auto replaced = [&](const std::string& from, const std::string& to) {
    std::string t = good;
    t.replace(t.find(from), from.size(), to);
    return t;
  };
  EXPECT_TRUE(refused(replaced("hostmail-uidlist 2", "hostmail-uidlist 3")));
  EXPECT_TRUE(refused(replaced("recent 3", "recent 8")));                 // not below uidnext
  EXPECT_TRUE(refused(replaced("expungedfloor 2", "expungedfloor 13")));  // above highest
  EXPECT_TRUE(refused(replaced("expunged 4 1:2", "expunged 2 1:2")));     // not above the floor
  EXPECT_TRUE(refused(replaced("expunged 9 4,6", "expunged 3 4,6")));     // not ascending
  EXPECT_TRUE(refused(replaced("expunged 9 4,6", "expunged 9 6,4")));     // not a UID set
  EXPECT_TRUE(refused(replaced("expunged 9 4,6", "expunged 9 4,9")));     // not below uidnext
  EXPECT_TRUE(refused(replaced("expunged 9 4,6", "expunged 9 ")));
  EXPECT_TRUE(refused(replaced("uidnext 8", "uidnext 7")));    // UID 7 not below
  EXPECT_TRUE(refused(replaced("7 12 FS", "3 12 FS")));        // not ascending
  EXPECT_TRUE(refused(replaced("7 12 FS", "7 13 FS")));        // modseq above highest
  EXPECT_TRUE(refused(replaced("7 12 FS", "7 12 SF")));        // not normal form
  EXPECT_TRUE(refused(replaced("2.M1P1.h", "1.M1P1.h,S=3")));  // base twice
  EXPECT_TRUE(refused(replaced("2.M1P1.h", "2.M1P1.h:2,S")));  // info in the base
  EXPECT_TRUE(refused(replaced("end 2", "end 3")));
  EXPECT_TRUE(refused(replaced("uidvalidity 1700000000", "uidvalidity 0")));
  EXPECT_TRUE(refused(replaced("uidnext 8", "uidnext 08")));
}

TEST(UidList, WritesAndReadsInAFolder) {
  TempDir dir;
  UniqueFd fd(::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY));
  auto none = read_uid_list(fd.get(), dir.path());
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
  ASSERT_TRUE(write_uid_list(fd.get(), sample(), dir.path()));
  auto back = read_uid_list(fd.get(), dir.path());
  ASSERT_TRUE(back && *back);
  EXPECT_EQ((*back)->uid_next, 8u);
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/" + kUidListTmpName));
  // A leftover temporary file of a crashed writer is replaced.
  testing::put_file(dir.path(), ".", kUidListTmpName, "junk");
  ASSERT_TRUE(write_uid_list(fd.get(), sample(), dir.path()));
  EXPECT_EQ(read_file(dir.path() + "/" + kUidListName), format_uid_list(sample()));
}

TEST(UidList, CorruptListIsInvalid) {
  TempDir dir;
  testing::put_file(dir.path(), ".", kUidListName, "hostmail-uidlist 1\nuidvalidity 5\n");
  UniqueFd fd(::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY));
  auto read = read_uid_list(fd.get(), dir.path());
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().kind(), ErrorKind::kInvalid);
}

// A crash (and a power loss) after any step of a write leaves the old list
// or the new one, never a broken one.
TEST(UidList, CrashAtAnyStepLeavesOldOrNew) {
  UidList next = sample();
  next.uid_next = 9;
  next.highest_modseq = 13;
  next.entries.push_back({8, 13, "", "3.M1P1.h"});
  const std::string old_text = format_uid_list(sample());
  const std::string new_text = format_uid_list(next);
  bool finished = false;
  for (int step = 0; !finished && step < 50; ++step) {
    TempDir dir;
    UniqueFd fd(::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY));
    ASSERT_TRUE(write_uid_list(fd.get(), sample(), dir.path()));
    hm::testing::FaultFileSystem fault;
    {
      fs::ScopedFileSystem use(fault);
      fault.crash_after(step);
      Status s = write_uid_list(fd.get(), next, dir.path());
      finished = s.has_value();
      if (!finished) {
        EXPECT_TRUE(fault.crashed()) << "step " << step;
      }
      fault.lose_unsynced(dir.path());
    }
    const std::string now = read_file(dir.path() + "/" + kUidListName);
    EXPECT_TRUE(now == old_text || now == new_text) << "step " << step << ":\n" << now;
    if (finished) {
      EXPECT_EQ(now, new_text);
    }
  }
  EXPECT_TRUE(finished);
}

}  // namespace
}  // namespace hm::store::maildir

namespace hm::store::maildir {
namespace {

// The folders line (the mtimes a settled sync saw) round-trips, is
// optional, and belongs before the expunged lines only.
TEST(UidList, FoldersLine) {
  UidList list;
  list.uid_validity = 7;
  list.uid_next = 2;
  list.highest_modseq = 3;
  list.folder_times = UidList::FolderTimes{1700000000123456789, 1700000001000000000};
  list.entries.push_back({1, 2, "S", "1700000000.M1P1.host"});
  const std::string text = format_uid_list(list);
  EXPECT_NE(text.find("\nfolders 1700000000123456789 1700000001000000000\n"), std::string::npos);
  auto back = parse_uid_list(text);
  ASSERT_TRUE(back) << back.error().describe();
  EXPECT_EQ(back->folder_times, list.folder_times);
  list.folder_times.reset();
  auto without = parse_uid_list(format_uid_list(list));
  ASSERT_TRUE(without);
  EXPECT_FALSE(without->folder_times);
  // Misplaced or malformed: corrupt.
  std::string late = format_uid_list(list);
  late.insert(late.find("end "), "folders 1 2\n");
  EXPECT_FALSE(parse_uid_list(late));
  std::string bad = format_uid_list(list);
  bad.insert(bad.find("1 2 S"), "folders 1\n");
  EXPECT_FALSE(parse_uid_list(bad));
}

}  // namespace
}  // namespace hm::store::maildir
