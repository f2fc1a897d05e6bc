#include "store/maildir/foreign_uid_list.h"

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "maildir_fixture.h"
#include "store/maildir/maildir_folder.h"
#include "store/maildir/migration_check.h"

namespace hm::store::maildir {
namespace {

using testing::make_maildir;
using testing::put_file;
using testing::read_file;
using testing::TempDir;

std::string fixture(const std::string& name) {
  return read_file(std::string(HM_TEST_DATA_DIR) + "/migrate/" + name);
}

TEST(ForeignUidList, ReadsDovecotVersion3WithExtensionFields) {
  auto list = parse_dovecot_uidlist(fixture("dovecot-uidlist.v3"));
  ASSERT_TRUE(list) << list.error().describe();
  EXPECT_EQ(list->uid_validity, 1655390361u);
  EXPECT_EQ(list->uid_next, 7u);
  ASSERT_EQ(list->entries.size(), 3u);
  EXPECT_EQ(list->entries[0].uid, 1u);
  EXPECT_EQ(list->entries[0].base, "1655390418.M100238P743770.host,S=3734");
  EXPECT_EQ(list->entries[1].uid, 2u);
  EXPECT_EQ(list->entries[1].base, "1655390420.M1P2.host,S=3734,W=3810");
  EXPECT_EQ(list->entries[2].uid, 5u);
  EXPECT_EQ(list->entries[2].base, "1655390422.M3P4.host");
}

TEST(ForeignUidList, ReadsDovecotVersion1AndCutsTheInfo) {
  auto list = parse_dovecot_uidlist(fixture("dovecot-uidlist.v1"));
  ASSERT_TRUE(list) << list.error().describe();
  EXPECT_EQ(list->uid_validity, 1100000000u);
  EXPECT_EQ(list->uid_next, 4u);
  ASSERT_EQ(list->entries.size(), 2u);
  EXPECT_EQ(list->entries[1].uid, 3u);
  EXPECT_EQ(list->entries[1].base, "1100000002.M1P1.host");
}

TEST(ForeignUidList, ReadsCourier) {
  auto list = parse_courier_uiddb(fixture("courierimapuiddb"));
  ASSERT_TRUE(list) << list.error().describe();
  EXPECT_EQ(list->uid_validity, 1200000000u);
  EXPECT_EQ(list->uid_next, 12u);
  ASSERT_EQ(list->entries.size(), 3u);
  EXPECT_EQ(list->entries[0].uid, 3u);
  EXPECT_EQ(list->entries[2].uid, 11u);
  EXPECT_EQ(list->entries[2].base, "1200000003.M1P1.host");
}

TEST(ForeignUidList, RefusesWhatDoesNotFit) {
  for (const char* text :
       {"", "2 V1 N2\n", "3 N2\n", "3 V0 N2\n", "3 V1 N0\n", "3 V1 N2\n1 x\n", "3 V1 N2\n0 :x\n",
        "3 V1 N2\nx :y\n", "1 5\n", "1 5 6\n4294967296 x\n", "3 V4294967296 N2\n",
        "3 V1 N4294967297\n", "1 1 2\n1\n", "1 1 2\n1 .hidden\n"}) {
    EXPECT_FALSE(parse_dovecot_uidlist(text)) << text;
  }
  EXPECT_FALSE(parse_courier_uiddb("3 V1 N2\n"));
  EXPECT_FALSE(parse_courier_uiddb("2 1 2\n"));
  EXPECT_TRUE(parse_courier_uiddb("1 1 2\r\n1 a\r\n\n"));
}

TEST(ForeignUidList, DropsDuplicatesAndMissingFilesAndSortsUids) {
  auto foreign = parse_dovecot_uidlist("3 V9 N4\n3 :c\n1 :a\n3 :x\n2 :a\n6 :gone\n8 :d\n");
  ASSERT_TRUE(foreign) << foreign.error().describe();
  std::vector<std::string> dropped;
  UidList list =
      list_from_foreign(*foreign, {{"a", "S"}, {"c", "FS"}, {"x", ""}, {"d", "Ra"}}, dropped);
  EXPECT_EQ(list.uid_validity, 9u);
  ASSERT_EQ(list.entries.size(), 3u);
  EXPECT_EQ(list.entries[0].uid, 1u);
  EXPECT_EQ(list.entries[0].base, "a");
  EXPECT_EQ(list.entries[0].flags, "S");
  EXPECT_EQ(list.entries[1].uid, 3u);
  EXPECT_EQ(list.entries[1].base, "c");  // the first line naming UID 3 keeps it
  EXPECT_EQ(list.entries[1].flags, "FS");
  EXPECT_EQ(list.entries[2].uid, 8u);
  EXPECT_EQ(list.entries[2].flags, "Ra");
  // Raised above the largest UID kept.
  EXPECT_EQ(list.uid_next, 9u);
  EXPECT_EQ(list.recent_uid, 8u);
  EXPECT_EQ(list.highest_modseq, kImportedModseq);
  EXPECT_EQ(list.expunged_floor, kImportedModseq);
  EXPECT_EQ(list.entries[0].modseq, kImportedModseq);
  // A QRESYNC client's MODSEQ from Dovecot is below the record's start.
  EXPECT_FALSE(expunged_after(list, 1000));
  // a (named twice), x (UID 3 twice), gone (missing), the next UID.
  ASSERT_EQ(dropped.size(), 4u);
  EXPECT_NE(dropped[0].find("a named twice"), std::string::npos) << dropped[0];
  EXPECT_NE(dropped[1].find("UID 3 named twice"), std::string::npos) << dropped[1];
  EXPECT_NE(dropped[2].find("gone"), std::string::npos) << dropped[2];
  EXPECT_NE(dropped[3].find("raised"), std::string::npos) << dropped[3];
}

FolderOptions fast() {
  FolderOptions o;
  o.fsync = false;
  return o;
}

TEST(ForeignUidList, FirstOpenTakesCourierUidsAndNumbersTheRestAbove) {
  TempDir tmp;
  const std::string dir = make_maildir(tmp.path() + "/m");
  const std::string db =
      "1 1200000000 12\n3 1200000001.M1P1.host\n7 1200000002.M1P1.host\n"
      "9 1200000009.M1P1.host\n";
  std::ofstream(dir + "/courierimapuiddb") << db;
  put_file(dir, "cur", "1200000001.M1P1.host:2,FS");
  put_file(dir, "new", "1200000002.M1P1.host");
  put_file(dir, "new", "1100000000.M1P1.host");  // older, but not named: above UIDNEXT
  auto folder = MaildirFolder::open(dir, fast());
  ASSERT_TRUE(folder) << folder.error().describe();
  EXPECT_EQ((*folder)->uid_validity(), 1200000000u);
  EXPECT_EQ((*folder)->uid_next(), 13u);
  const auto& m = (*folder)->messages();
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0].uid, 3u);
  EXPECT_EQ(m[0].flags, "FS");
  EXPECT_EQ(m[1].uid, 7u);
  EXPECT_EQ(m[1].base, "1200000002.M1P1.host");
  EXPECT_EQ(m[2].uid, 12u);
  EXPECT_EQ(m[2].base, "1100000000.M1P1.host");
  // The old server's file is left as it was; ours is written beside it.
  EXPECT_EQ(read_file(dir + "/courierimapuiddb"), db);
  EXPECT_TRUE(std::filesystem::exists(dir + "/" + kUidListName));

  // The next open reads hostmail's own list: same numbers.
  folder->reset();
  auto again = MaildirFolder::open(dir, fast());
  ASSERT_TRUE(again);
  EXPECT_EQ((*again)->uid_validity(), 1200000000u);
  ASSERT_EQ((*again)->messages().size(), 3u);
  EXPECT_EQ((*again)->messages()[2].uid, 12u);
}

TEST(ForeignUidList, CourierKeywordsBecomeLettersAndDovecotKeywords) {
  TempDir tmp;
  const std::string dir = make_maildir(tmp.path() + "/m");
  std::ofstream(dir + "/courierimapuiddb") << "1 1200000000 9\n4 one\n5 two\n6 three\n";
  std::filesystem::create_directories(dir + "/courierimapkeywords");
  const std::string kw = "$Forwarded\nbad name\nWork\n\none:0 2\ntwo:2:1 2 7\nthree:2,S:x\n";
  std::ofstream(dir + "/courierimapkeywords/:list") << kw;
  put_file(dir, "new", "one");
  put_file(dir, "cur", "two:2,S");
  put_file(dir, "cur", "three:2,S");
  auto folder = MaildirFolder::open(dir, fast());
  ASSERT_TRUE(folder) << folder.error().describe();
  const auto& m = (*folder)->messages();
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0].uid, 4u);
  EXPECT_EQ(m[0].flags, "ab");
  EXPECT_EQ(m[1].flags, "Sb");  // "bad name" (1) is not a keyword; 7 names none
  EXPECT_EQ(m[2].flags, "S");
  EXPECT_EQ(read_file(dir + "/dovecot-keywords"), "0 $Forwarded\n1 Work\n");
  EXPECT_TRUE(std::filesystem::exists(dir + "/cur/one:2,ab"));
  EXPECT_EQ(read_file(dir + "/courierimapkeywords/:list"), kw);
}

TEST(ForeignUidList, DovecotsListWinsOverCouriers) {
  TempDir tmp;
  const std::string dir = make_maildir(tmp.path() + "/m");
  std::ofstream(dir + "/courierimapuiddb") << "1 1200000000 5\n4 a\n";
  std::ofstream(dir + "/dovecot-uidlist") << "3 V1300000000 N20 Gabc\n17 W5 :a\n";
  put_file(dir, "cur", "a:2,S");
  auto folder = MaildirFolder::open(dir, fast());
  ASSERT_TRUE(folder) << folder.error().describe();
  EXPECT_EQ((*folder)->uid_validity(), 1300000000u);
  EXPECT_EQ((*folder)->uid_next(), 20u);
  ASSERT_EQ((*folder)->messages().size(), 1u);
  EXPECT_EQ((*folder)->messages()[0].uid, 17u);
  EXPECT_EQ(foreign_uid_list_present((*folder)->root_fd()), UidSource::kDovecot);
}

TEST(ForeignUidList, ACorruptForeignListMeansNewUids) {
  TempDir tmp;
  const std::string dir = make_maildir(tmp.path() + "/m");
  std::ofstream(dir + "/dovecot-uidlist") << "3 V1300000000 N20\n17 broken\n";
  put_file(dir, "cur", "a:2,S");
  auto folder = MaildirFolder::open(dir, fast());
  ASSERT_TRUE(folder) << folder.error().describe();
  EXPECT_NE((*folder)->uid_validity(), 1300000000u);
  ASSERT_EQ((*folder)->messages().size(), 1u);
  EXPECT_EQ((*folder)->messages()[0].uid, 1u);
}

TEST(ForeignUidList, ALinkedForeignListIsNotFollowed) {
  TempDir tmp;
  const std::string dir = make_maildir(tmp.path() + "/m");
  std::ofstream(tmp.path() + "/elsewhere") << "3 V1300000000 N20\n17 :a\n";
  std::filesystem::create_symlink(tmp.path() + "/elsewhere", dir + "/dovecot-uidlist");
  put_file(dir, "cur", "a:2,S");
  auto folder = MaildirFolder::open(dir, fast());
  ASSERT_TRUE(folder) << folder.error().describe();
  EXPECT_NE((*folder)->uid_validity(), 1300000000u);
  EXPECT_EQ((*folder)->messages()[0].uid, 1u);
}

TEST(ForeignUidList, AListLostWhileOpenIsNotImportedAgain) {
  TempDir tmp;
  const std::string dir = make_maildir(tmp.path() + "/m");
  std::ofstream(dir + "/dovecot-uidlist") << "3 V1300000000 N20\n17 :a\n";
  put_file(dir, "cur", "a:2,S");
  auto folder = MaildirFolder::open(dir, fast());
  ASSERT_TRUE(folder);
  put_file(dir, "new", "b");
  ASSERT_TRUE((*folder)->sync());
  ASSERT_EQ((*folder)->messages().back().uid, 20u);
  // Lost: the old server's list is stale now (it does not know UID 20), so
  // taking it again could give UID 20 to another message.
  std::filesystem::remove(dir + "/" + kUidListName);
  ASSERT_TRUE((*folder)->sync());
  EXPECT_GT((*folder)->uid_validity(), 1300000000u);
}

TEST(MigrationCheck, ReportsEachFolderWithoutChangingIt) {
  TempDir tmp;
  const std::string root = make_maildir(tmp.path() + "/m") + "/";
  const std::string db = "1 1200000000 12\n3 a\n7 gone\n";
  std::ofstream(root + "courierimapuiddb") << db;
  put_file(root, "cur", "a:2,S");
  put_file(root, "new", "b");
  make_maildir(root + ".Dove");
  std::ofstream(root + ".Dove/dovecot-uidlist") << "3 V77 N5\n4 :x\n";
  put_file(root + ".Dove", "cur", "x:2,");
  make_maildir(root + ".Plain");
  put_file(root + ".Plain", "new", "p");
  make_maildir(root + ".Own");
  put_file(root + ".Own", "new", "o");
  ASSERT_TRUE(MaildirFolder::open(root + ".Own", fast()));
  put_file(root + ".Own", "new", "o2");

  auto report = check_account_folders(root);
  ASSERT_TRUE(report) << report.error().describe();
  ASSERT_EQ(report->size(), 4u);
  const FolderCheck& inbox = (*report)[0];
  EXPECT_TRUE(inbox.name.empty());
  EXPECT_EQ(inbox.source, UidSource::kCourier);
  EXPECT_EQ(inbox.messages, 2u);
  EXPECT_EQ(inbox.uid_validity, 1200000000u);
  EXPECT_EQ(inbox.uid_next, 13u);  // b gets 12
  EXPECT_EQ(inbox.dropped, 1u);    // "gone"
  const FolderCheck& dove = (*report)[1];
  EXPECT_EQ(dove.name, FolderName{"Dove"});
  EXPECT_EQ(dove.source, UidSource::kDovecot);
  EXPECT_EQ(dove.uid_validity, 77u);
  EXPECT_EQ(dove.uid_next, 5u);
  const FolderCheck& own = (*report)[2];
  EXPECT_EQ(own.source, UidSource::kHostmail);
  EXPECT_EQ(own.messages, 2u);
  EXPECT_EQ(own.uid_next, 3u);
  const FolderCheck& plain = (*report)[3];
  EXPECT_EQ(plain.source, UidSource::kNew);
  EXPECT_FALSE(plain.uid_validity);
  EXPECT_EQ(plain.uid_next, 2u);
  // Read only: no list written, no file renamed.
  EXPECT_FALSE(std::filesystem::exists(root + kUidListName));
  EXPECT_FALSE(std::filesystem::exists(root + ".Dove/" + kUidListName));
  EXPECT_TRUE(std::filesystem::exists(root + "new/b"));
  EXPECT_EQ(read_file(root + "courierimapuiddb"), db);
}

}  // namespace
}  // namespace hm::store::maildir
