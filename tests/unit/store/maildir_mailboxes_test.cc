// What the Maildir backend of store/mailbox.h promises beyond the contract
// (mailbox_contract.h): the files on disk as Courier and Dovecot lay them
// out, other tools' files, links, owners and crashes.
#include "store/maildir/maildir_mailboxes.h"

#include <fcntl.h>
#include <malloc.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "base/file_system.h"
#include "maildir_fixture.h"
#include "store/maildir/maildir_folder.h"
#include "store/maildir/maildir_mailbox.h"
#include "store/maildir/maildir_store.h"
#include "store/maildir/message_index.h"
#include "store/maildir/shared_index.h"
#include "store/maildir/tmp_cleanup.h"
#include "store/maildir/uid_list.h"
#include "support/fault_file_system.h"

namespace hm::store::maildir {
namespace {

using testing::put_file;
using testing::read_file;
using testing::TempDir;

MaildirAccount account_at(const std::string& root, bool fsync = false) {
  MaildirAccount a;
  a.root = root;
  a.hostname = "test.host";
  a.fsync = fsync;
  return a;
}

std::unique_ptr<MaildirMailboxes> open_account(const MaildirAccount& a) {
  auto boxes = MaildirMailboxes::open(a);
  EXPECT_TRUE(boxes) << (boxes ? "" : boxes.error().describe());
  return boxes ? std::move(*boxes) : nullptr;
}

std::unique_ptr<Mailbox> open_box(Mailboxes& boxes, const FolderName& name,
                                  bool read_only = false) {
  auto box = boxes.open(name, read_only);
  EXPECT_TRUE(box) << (box ? "" : box.error().describe());
  return box ? std::move(*box) : nullptr;
}

// An account whose INBOX holds one file another tool put into cur/.
std::unique_ptr<MaildirMailboxes> account_with_file(const std::string& root,
                                                    const std::string& name) {
  auto boxes = open_account(account_at(root));
  put_file(root, "cur", name);
  return boxes;
}

std::vector<std::string> files_in(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

uint32_t append_one(Mailboxes& boxes, const FolderName& to, const std::string& text,
                    uint8_t flags = 0, std::vector<std::string> keywords = {}) {
  std::vector<AppendMessage> m(1);
  m[0].text = text;
  m[0].flags = flags;
  m[0].keywords = std::move(keywords);
  auto r = boxes.append(to, std::move(m));
  EXPECT_TRUE(r) << (r ? "" : r.error().describe());
  return r && r->target.size() == 1 ? r->target[0] : 0;
}

// The store hands out the mailboxes (this replaced a placeholder that
// refused), creating a new account's Maildir++ tree as Dovecot lays it out.
TEST(MaildirMailboxes, TheStoreOpensANewAccount) {
  TempDir dir;
  MaildirStoreOptions o;
  o.hostname = "test.host";
  o.fsync = false;
  MaildirStore store(o);
  auto location = store.local_location(dir.path());
  ASSERT_TRUE(location) << location.error().describe();
  auto boxes = store.open_mailboxes(*location, 0);
  ASSERT_TRUE(boxes) << boxes.error().describe();
  const std::string root = dir.path() + "/Maildir";
  for (const char* sub : {"cur", "new", "tmp"}) {
    EXPECT_TRUE(std::filesystem::is_directory(root + "/" + sub)) << sub;
  }
  for (const char* folder : {".Sent", ".Drafts", ".Trash", ".Junk", ".Archive"}) {
    EXPECT_TRUE(std::filesystem::is_regular_file(root + "/" + folder + "/maildirfolder")) << folder;
  }
  EXPECT_EQ(read_file(root + "/" + kSpecialUseName),
            "hostmail-specialuse 1\n.Archive \\Archive\n.Drafts \\Drafts\n.Junk \\Junk\n"
            ".Sent \\Sent\n.Trash \\Trash\n");
  EXPECT_EQ(read_file(root + "/subscriptions"), "INBOX\nSent\nDrafts\nTrash\nJunk\nArchive\n");
  // Existing mail is left as it is; the folders are made once only.
  std::filesystem::remove_all(root + "/.Junk");
  ASSERT_TRUE(store.open_mailboxes(*location, 0));
  EXPECT_FALSE(std::filesystem::exists(root + "/.Junk"));
}

TEST(MaildirMailboxes, FlagsAndKeywordsAreInTheFileNames) {
  TempDir dir;
  auto boxes = open_account(account_at(dir.path() + "/m/"));
  const uint32_t uid = append_one(*boxes, {}, "Subject: x\r\n\r\nhi\r\n", kFlagSeen | kFlagFlagged,
                                  {"$Forwarded", "Work"});
  auto cur = files_in(dir.path() + "/m/cur");
  ASSERT_EQ(cur.size(), 1u);
  EXPECT_NE(cur[0].find(",S=15,W=18:2,FSab"), std::string::npos) << cur[0];
  EXPECT_EQ(read_file(dir.path() + "/m/cur/" + cur[0]), "Subject: x\n\nhi\n");
  EXPECT_EQ(read_file(dir.path() + "/m/dovecot-keywords"), "0 $Forwarded\n1 Work\n");
  EXPECT_TRUE(files_in(dir.path() + "/m/tmp").empty());
  EXPECT_TRUE(files_in(dir.path() + "/m/new").empty());

  auto box = open_box(*boxes, {});
  FlagChange change;
  change.mode = FlagChange::Mode::kReplace;
  change.flags = kFlagAnswered | kFlagDeleted | kFlagDraft;
  change.keywords = {"Work"};
  ASSERT_TRUE(box->set_flags({uid}, change));
  cur = files_in(dir.path() + "/m/cur");
  ASSERT_EQ(cur.size(), 1u);
  EXPECT_NE(cur[0].find(":2,DRTb"), std::string::npos) << cur[0];
}

// P (passed) has no IMAP flag: it is neither shown nor lost.
TEST(MaildirMailboxes, PassedIsKeptUntouched) {
  TempDir dir;
  const std::string root = dir.path() + "/m";
  auto boxes = account_with_file(root, "1700000000.M1P1.other:2,PS");
  auto box = open_box(*boxes, {});
  ASSERT_EQ(box->messages().size(), 1u);
  EXPECT_EQ(box->messages()[0].flags, kFlagSeen);
  FlagChange change;
  change.mode = FlagChange::Mode::kReplace;
  change.flags = kFlagFlagged;
  ASSERT_TRUE(box->set_flags({box->messages()[0].uid}, change));
  EXPECT_EQ(files_in(root + "/cur"), std::vector<std::string>{"1700000000.M1P1.other:2,FP"});
}

// Files another tool put there carry no ",S=" or ",W=": their size is
// counted from the file, their date taken from the name or the mtime.
TEST(MaildirMailboxes, ForeignFilesWithoutSizes) {
  TempDir dir;
  const std::string root = dir.path() + "/m";
  auto boxes = open_account(account_at(root));
  put_file(root, "cur", "1700000000.M5P9.courier:2,S", "Subject: a\n\nb\n");
  put_file(root, "new", "oddname", "x\n");
  auto box = open_box(*boxes, {});
  ASSERT_EQ(box->messages().size(), 2u);
  const MessageMeta& dated =
      box->messages()[0].internal_date == 1700000000 ? box->messages()[0] : box->messages()[1];
  EXPECT_EQ(dated.internal_date, 1700000000);
  EXPECT_EQ(dated.size, 14u + 3u);
  EXPECT_EQ(dated.flags, kFlagSeen);
  const MessageMeta& odd = &dated == &box->messages()[0] ? box->messages()[1] : box->messages()[0];
  EXPECT_EQ(odd.size, 3u);
  EXPECT_GT(odd.internal_date, 1700000000);
  // They copy like any other, with their date.
  auto copied = boxes->copy(*box, {dated.uid}, {"Archive"});
  ASSERT_TRUE(copied) << copied.error().describe();
  auto archive = open_box(*boxes, {"Archive"});
  ASSERT_EQ(archive->messages().size(), 1u);
  EXPECT_EQ(archive->messages()[0].internal_date, 1700000000);
  EXPECT_EQ(archive->messages()[0].size, 17u);
}

// Dovecot's keyword file is read and extended as Dovecot does: letter =
// index, a new keyword takes the first free index.
TEST(MaildirMailboxes, DovecotKeywordsInterop) {
  TempDir dir;
  const std::string root = dir.path() + "/m";
  auto boxes = open_account(account_at(root));
  put_file(root, ".", "dovecot-keywords", "0 $Label1\n1 Work\n3 Later\n");
  put_file(root, "cur", "1700000000.M1P1.dovecot:2,Sad");
  auto box = open_box(*boxes, {});
  ASSERT_EQ(box->messages().size(), 1u);
  const auto& names = box->keywords();
  ASSERT_GE(names.size(), 4u);
  EXPECT_EQ(names[0], "$Label1");
  EXPECT_EQ(names[3], "Later");
  EXPECT_EQ(box->messages()[0].keywords, (KeywordMask{1} << 0) | (KeywordMask{1} << 3));
  FlagChange add;
  add.keywords = {"New", "work"};  // "work" is "Work": keywords ignore ASCII case
  ASSERT_TRUE(box->set_flags({box->messages()[0].uid}, add));
  EXPECT_EQ(read_file(root + "/dovecot-keywords"), "0 $Label1\n1 Work\n2 New\n3 Later\n");
  EXPECT_EQ(files_in(root + "/cur"), std::vector<std::string>{"1700000000.M1P1.dovecot:2,Sabcd"});
}

// A folder that is a symbolic link (to another account's mail, say) is
// never opened, listed or written.
TEST(MaildirMailboxes, SymlinkedFoldersAreRefused) {
  TempDir dir;
  const std::string root = dir.path() + "/m";
  auto boxes = open_account(account_at(root));
  const std::string other = testing::make_maildir(dir.path() + "/other");
  put_file(other, "cur", "1700000000.M1P1.x:2,S");
  std::filesystem::create_directory_symlink(other, root + "/.Evil");
  EXPECT_EQ(boxes->open({"Evil"}, true).error().kind(), ErrorKind::kPermission);
  EXPECT_FALSE(boxes->status({"Evil"}));
  std::vector<AppendMessage> one(1);
  one[0].text = "x\n";
  EXPECT_FALSE(boxes->append({"Evil"}, std::move(one)));
  auto list = boxes->list();
  ASSERT_TRUE(list);
  for (const FolderInfo& f : *list) EXPECT_NE(f.name, FolderName{"Evil"});
  EXPECT_EQ(files_in(other + "/cur").size(), 1u);
  EXPECT_TRUE(files_in(other + "/new").empty());
  EXPECT_FALSE(std::filesystem::exists(other + "/" + kUidListName));
}

// The UID list records \Recent claims and expunges (docs/store-format.md).
TEST(MaildirMailboxes, TheListRecordsRecentAndExpunged) {
  TempDir dir;
  const std::string root = dir.path() + "/m";
  auto boxes = open_account(account_at(root));
  append_one(*boxes, {}, "a\n", kFlagDeleted);
  append_one(*boxes, {}, "b\n", kFlagDeleted);
  append_one(*boxes, {}, "c\n");
  auto box = open_box(*boxes, {});
  ASSERT_TRUE(box->expunge(nullptr));
  auto list = parse_uid_list(read_file(root + "/" + kUidListName));
  ASSERT_TRUE(list) << list.error().message();
  EXPECT_EQ(list->recent_uid, 3u);
  ASSERT_EQ(list->expunged.size(), 1u);
  EXPECT_EQ(list->expunged[0].ranges, (std::vector<std::pair<uint32_t, uint32_t>>{{1, 2}}));
  EXPECT_EQ(list->expunged[0].modseq, list->highest_modseq);
  // A file removed by another tool is recorded as expunged too.
  std::filesystem::remove(root + "/cur/" + files_in(root + "/cur")[0]);
  auto other = open_box(*open_account(account_at(root)), {});
  auto vanished = other->expunged_since(list->highest_modseq);
  ASSERT_TRUE(vanished);
  EXPECT_EQ(*vanished, std::vector<uint32_t>{3});
}

// When the record no longer goes back far enough, every UID below UIDNEXT
// not in the view is the answer (RFC 7162 allows it).
TEST(MaildirMailboxes, ExpungedSinceFallsBackWhenTheRecordIsTrimmed) {
  TempDir dir;
  const std::string root = dir.path() + "/m";
  auto boxes = open_account(account_at(root));
  for (int i = 0; i < 4; ++i) append_one(*boxes, {}, "x\n");
  {
    auto box = open_box(*boxes, {});
    std::vector<uint32_t> two{2};
    FlagChange deleted;
    deleted.flags = kFlagDeleted;
    ASSERT_TRUE(box->set_flags(two, deleted));
    ASSERT_TRUE(box->expunge(nullptr));
  }
  // As a trimmed record looks: the floor above what the client knows.
  auto list = *parse_uid_list(read_file(root + "/" + kUidListName));
  list.expunged.clear();
  list.expunged_floor = list.highest_modseq;
  UniqueFd fd(::open(root.c_str(), O_RDONLY | O_DIRECTORY));
  ASSERT_TRUE(write_uid_list(fd.get(), list, root, false));
  auto box = open_box(*boxes, {});
  auto vanished = box->expunged_since(1);
  ASSERT_TRUE(vanished);
  EXPECT_EQ(*vanished, std::vector<uint32_t>{2});
  EXPECT_TRUE(box->expunged_since(list.highest_modseq)->empty());
}

// Mailbox::cache goes to the folder's persistent index (message_index.h):
// a mailbox opened again answers from it, and a value past the index's
// bounds is not kept.
TEST(MaildirMailboxes, TheIndexKeepsCachedValuesAcrossOpens) {
  TempDir dir;
  const std::string root = dir.path() + "/m";
  auto boxes = open_account(account_at(root));
  const uint32_t uid = append_one(*boxes, {}, "x\n");
  {
    auto box = open_box(*boxes, {});
    box->cache(uid, "envelope", "E");
    EXPECT_EQ(box->cached(uid, "envelope"), "E");
    box->cache(uid, "envelope", "F");
    EXPECT_EQ(box->cached(uid, "envelope"), "F");
    box->cache(uid, "body", std::string(kMaxIndexValue + 1, 'b'));  // too large: not kept
    EXPECT_EQ(box->cached(uid, "body"), std::nullopt);
    EXPECT_EQ(box->cached(uid + 1, "envelope"), std::nullopt);
  }
  EXPECT_EQ(SharedIndex::open_count(), 0u);  // closed: the next open reads the file
  EXPECT_TRUE(std::filesystem::exists(root + "/" + kIndexName));
  auto box = open_box(*boxes, {});
  EXPECT_EQ(box->cached(uid, "envelope"), "F");
  EXPECT_EQ(box->cached(uid, "body"), std::nullopt);
  // Expunged: forgotten.
  ASSERT_TRUE(box->set_flags({uid}, FlagChange{FlagChange::Mode::kAdd, kFlagDeleted, {}, {}}));
  ASSERT_TRUE(box->expunge(nullptr));
  EXPECT_EQ(box->cached(uid, "envelope"), std::nullopt);
}

// A process's mailboxes of one folder share one index: a value one caches
// the other sees at once, and the folder's index is loaded once.
TEST(MaildirMailboxes, MailboxesOfOneFolderShareTheIndex) {
  TempDir dir;
  auto boxes = open_account(account_at(dir.path() + "/m"));
  const uint32_t uid = append_one(*boxes, {}, "x\n");
  ASSERT_TRUE(boxes->create({"Other"}, {}));
  append_one(*boxes, {"Other"}, "y\n");
  auto a = open_box(*boxes, {});
  auto b = open_box(*boxes, {}, true);
  auto other = open_box(*boxes, {"Other"});
  EXPECT_EQ(SharedIndex::open_count(), 2u);
  a->cache(uid, "envelope", "E");
  EXPECT_EQ(b->cached(uid, "envelope"), "E");
  EXPECT_EQ(other->cached(uid, "envelope"), std::nullopt);
}

// The wire size of another tool's file is counted once and kept in the
// index: a later open takes it from there, not from the file.
TEST(MaildirMailboxes, ForeignSizesComeFromTheIndex) {
  TempDir dir;
  const std::string root = dir.path() + "/m";
  auto boxes = open_account(account_at(root));
  put_file(root, "cur", "1700000000.M5P9.courier:2,S", "a\n");
  EXPECT_EQ(open_box(*boxes, {})->messages().at(0).size, 3u);
  // Changed behind the store's back (no tool does): only the index can
  // still say 3.
  put_file(root, "cur", "1700000000.M5P9.courier:2,S", "abcdef\n");
  EXPECT_EQ(open_box(*boxes, {})->messages().at(0).size, 3u);
}

// A settled folder opens from its UID list (maildir_folder.h); a file
// another tool renamed without moving the folders' mtimes is still read:
// the read that misses it lists the folder again.
TEST(MaildirMailboxes, AReadFindsAFileRenamedBehindATrustedList) {
  TempDir dir;
  const std::string root = dir.path() + "/m";
  auto boxes = open_account(account_at(root));
  put_file(root, "cur", "1700000000.M5P9.courier:2,S", "Subject: a\n\nb\n");
  const auto old = std::filesystem::file_time_type::clock::now() - std::chrono::minutes(5);
  auto settle = [&] {
    std::filesystem::last_write_time(root + "/new", old);
    std::filesystem::last_write_time(root + "/cur", old);
  };
  settle();
  const uint32_t uid = open_box(*boxes, {})->messages().at(0).uid;
  std::filesystem::rename(root + "/cur/1700000000.M5P9.courier:2,S",
                          root + "/cur/1700000000.M5P9.courier:2,FS");
  settle();
  auto box = open_box(*boxes, {});
  auto& maildir_box = static_cast<MaildirMailbox&>(*box);
  EXPECT_EQ(maildir_box.folder().listings(), 0u);  // trusted the list
  auto text = box->read(uid);
  ASSERT_TRUE(text) << text.error().describe();
  EXPECT_EQ(*text, "Subject: a\n\nb\n");
  EXPECT_GT(maildir_box.folder().listings(), 0u);
}

// read_header reads a large message's header without its body, and the
// whole header however long it is.
TEST(MaildirMailboxes, ReadHeaderStopsAfterTheHeader) {
  TempDir dir;
  auto boxes = open_account(account_at(dir.path() + "/m"));
  const std::string body(1 << 20, 'b');
  const std::string small = "Subject: s\n\n" + body + "\n";
  const std::string long_header = "X: " + std::string(100000, 'h') + "\n\n" + body + "\n";
  const std::string no_body = "Subject: only\n";
  const std::string crlf = "Subject: c\r\n\r\n" + body + "\r\n";
  std::vector<uint32_t> uids;
  for (const std::string* t : {&small, &long_header, &no_body, &crlf}) {
    uids.push_back(append_one(*boxes, {}, *t));
  }
  auto box = open_box(*boxes, {});
  auto check = [&](uint32_t uid, size_t header_size) {
    auto whole = box->read(uid);
    auto head = box->read_header(uid);
    ASSERT_TRUE(whole && head);
    EXPECT_GE(head->size(), header_size);
    EXPECT_LE(head->size(), header_size + 65536);
    EXPECT_EQ(whole->substr(0, head->size()), *head);
  };
  check(uids[0], 13);
  check(uids[1], 100005);
  check(uids[2], no_body.size());
  EXPECT_EQ(*box->read_header(uids[2]), no_body);
  check(uids[3], 13);  // stored with LF
  EXPECT_EQ(box->read_header(999).error().kind(), ErrorKind::kNotFound);
}

// Running as root, everything is created for the account's owner, and as
// that owner (no file of root's in a user's Maildir).
TEST(MaildirMailboxes, RootCreatesForTheOwner) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  TempDir dir;
  const uid_t nobody = 65534;
  ASSERT_EQ(::chown(dir.path().c_str(), nobody, nobody), 0);
  MaildirAccount a = account_at(dir.path() + "/m");
  a.uid = nobody;
  a.gid = nobody;
  auto boxes = open_account(a);
  ASSERT_TRUE(boxes);
  append_one(*boxes, {"Sent"}, "x\n", 0, {"Work"});
  auto box = open_box(*boxes, {"Sent"});
  ASSERT_TRUE(box->set_flags({box->messages()[0].uid}, FlagChange{}));
  ASSERT_TRUE(boxes->subscribe({"Sent"}, false));
  std::error_code ec;
  size_t checked = 0;
  for (auto it = std::filesystem::recursive_directory_iterator(dir.path() + "/m", ec);
       it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    struct stat st {};
    ASSERT_EQ(::lstat(it->path().c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, nobody) << it->path();
    EXPECT_EQ(st.st_gid, nobody) << it->path();
    ++checked;
  }
  EXPECT_GT(checked, 20u);
  // The thread is root again afterwards.
  const std::string mine = dir.path() + "/mine";
  ASSERT_EQ(::mkdir(mine.c_str(), 0700), 0);
  struct stat st {};
  ASSERT_EQ(::stat(mine.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 0u);
}

// The text of every message of the view, by UID.
std::map<uint32_t, std::string> texts_of(Mailbox& box) {
  std::map<uint32_t, std::string> out;
  for (const MessageMeta& m : box.messages()) {
    auto text = box.read(m.uid);
    EXPECT_TRUE(text) << m.uid;
    if (text) out[m.uid] = *text;
  }
  return out;
}

// Runs `act` on a fresh account (made by `prepare`, durably) with a crash
// after its first, second, third... change of the disk, followed by a
// power loss, and lets `check` look at what a reopen finds; until `act`
// runs to its end. `act` says whether it succeeded.
void at_every_crash_step(const std::function<void(Mailboxes&)>& prepare,
                         const std::function<bool(Mailboxes&)>& act,
                         const std::function<void(Mailboxes&, bool finished)>& check) {
  bool finished = false;
  for (int step = 0; !finished && step < 80; ++step) {
    SCOPED_TRACE("crash after step " + std::to_string(step));
    TempDir dir;
    const std::string root = dir.path() + "/m";
    const MaildirAccount a = account_at(root, true);
    prepare(*open_account(a));
    {
      auto boxes = open_account(a);
      hm::testing::FaultFileSystem fault;
      fs::ScopedFileSystem use(fault);
      fault.crash_after(step);
      finished = act(*boxes);
      if (!finished) {
        EXPECT_TRUE(fault.crashed());
      }
      fault.lose_unsynced(root);
    }
    check(*open_account(a), finished);
  }
  EXPECT_TRUE(finished);
}

// A crash (and power loss) after any step of an APPEND: the message is
// there once or not at all, and there for sure when the append said so;
// the old message keeps its UID, and no UID is given twice.
TEST(MaildirMailboxes, CrashAtAnyStepOfAnAppend) {
  uint32_t first = 0, validity = 0;
  auto prepare = [&](Mailboxes& boxes) {
    first = append_one(boxes, {}, "first\n");
    validity = open_box(boxes, {})->status().uid_validity;
  };
  auto act = [](Mailboxes& boxes) {
    std::vector<AppendMessage> m(1);
    m[0].text = "second\n";
    m[0].flags = kFlagSeen;
    m[0].keywords = {"Work"};
    return boxes.append({}, std::move(m)).has_value();
  };
  auto check = [&](Mailboxes& boxes, bool finished) {
    auto box = open_box(boxes, {});
    ASSERT_TRUE(box);
    EXPECT_EQ(box->status().uid_validity, validity);
    const auto texts = texts_of(*box);
    ASSERT_FALSE(texts.empty());
    EXPECT_EQ(texts.begin()->first, first);
    EXPECT_EQ(texts.begin()->second, "first\n");
    size_t seconds = 0;
    for (const auto& [uid, text] : texts) {
      if (uid == first) continue;
      EXPECT_EQ(text, "second\n");
      ++seconds;
    }
    EXPECT_LE(seconds, 1u);
    if (finished) {
      EXPECT_EQ(seconds, 1u);
      EXPECT_EQ(box->messages().back().flags, kFlagSeen);
      EXPECT_EQ(box->keywords().at(0), "Work");
    }
    // The next UID is above every one given out before.
    EXPECT_GT(append_one(boxes, {}, "third\n"), box->messages().back().uid);
  };
  at_every_crash_step(prepare, act, check);
}

// STATUS of a folder that has settled reads its UID list and three stat()s:
// no lock, no listing. A folder changed since (or too recently) is synced.
TEST(MaildirMailboxes, StatusOfASettledFolderTakesNoLock) {
  TempDir dir;
  const std::string root = dir.path() + "/m";
  MaildirAccount a = account_at(root);
  a.lock_timeout = std::chrono::milliseconds(100);
  auto boxes = open_account(a);
  append_one(*boxes, {"Sent"}, "one\n", kFlagSeen);
  append_one(*boxes, {"Sent"}, "two\n");
  const std::string sent = root + "/.Sent";
  auto age = [&](const std::string& path, int seconds) {
    timespec times[2];
    ::clock_gettime(CLOCK_REALTIME, &times[0]);
    times[0].tv_sec -= seconds;
    times[1] = times[0];
    ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0) << path;
  };
  age(sent + "/new", 10);
  age(sent + "/cur", 10);
  // A sync of the settled folder records their mtimes in the list.
  ASSERT_TRUE(open_box(*boxes, {"Sent"}));
  // Another process holds the folder's lock.
  UniqueFd lock_fd(::open((sent + "/" + kUidLockName).c_str(), O_RDWR));
  struct flock fl {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  ASSERT_EQ(::fcntl(lock_fd.get(), F_OFD_SETLK, &fl), 0);

  auto s = boxes->status({"Sent"});
  ASSERT_TRUE(s) << s.error().describe();
  EXPECT_EQ(s->messages, 2u);
  EXPECT_EQ(s->unseen, 1u);
  EXPECT_EQ(s->size, 10u);
  // A delivery since: the list is no longer enough, and the lock is needed.
  age(sent + "/new", 0);
  auto busy = boxes->status({"Sent"});
  ASSERT_FALSE(busy);
  EXPECT_EQ(busy.error().kind(), ErrorKind::kTemporary);
  lock_fd.reset();
  EXPECT_TRUE(boxes->status({"Sent"}));
}

// The quota is the account's: a recount (maildirsize missing, or too long)
// adds up the INBOX and every folder, but no folder reached by a link.
TEST(MaildirMailboxes, QuotaCountsEveryFolder) {
  TempDir dir;
  const std::string root = dir.path() + "/m";
  MaildirAccount a = account_at(root);
  a.quota_bytes = 1000;
  auto boxes = open_account(a);
  append_one(*boxes, {}, std::string(100, 'i'));
  append_one(*boxes, {"Sent"}, std::string(300, 's'));
  ASSERT_TRUE(boxes->create({"A", "B"}, {}));
  append_one(*boxes, {"A", "B"}, std::string(200, 'b'));
  const std::string other = testing::make_maildir(dir.path() + "/other");
  put_file(other, "cur", "1.M1P1.x,S=5000:2,S");
  std::filesystem::create_directory_symlink(other, root + "/.Linked");
  std::filesystem::remove(root + "/maildirsize");
  auto q = boxes->quota();
  ASSERT_TRUE(q) << q.error().describe();
  EXPECT_EQ(q->used_messages, 3u);
  EXPECT_EQ(q->used_bytes, 600u);
  std::vector<AppendMessage> big(1);
  big[0].text = std::string(500, 'x');
  EXPECT_EQ(boxes->append({}, std::move(big)).error().kind(), ErrorKind::kOverQuota);
}

// What a crashed APPEND left in a folder's tmp/ is cleaned as delivery
// cleans the INBOX's: files untouched for 36 hours.
TEST(MaildirMailboxes, AppendCleansStaleFilesInTmp) {
  TempDir dir;
  const std::string root = dir.path() + "/m";
  auto boxes = open_account(account_at(root));
  const std::string stale = root + "/.Sent/tmp/1600000000.M1P1.crashed,S=3,W=4";
  std::ofstream(stale) << "old";
  // 40 hours later (a file's ctime cannot be set back).
  tmp_cleanup().now = [] { return std::chrono::system_clock::now() + std::chrono::hours(40); };
  append_one(*boxes, {"Sent"}, "x\n");
  tmp_cleanup().now = TmpCleanup::real_clock();
  EXPECT_FALSE(std::filesystem::exists(stale));
  EXPECT_EQ(open_box(*boxes, {"Sent"})->messages().size(), 1u);
}

// A crash (and power loss) after any step of a MOVE: the message is in
// the source or the target (or, after a crash between the two halves,
// both), never in neither; UIDs already given stay.
TEST(MaildirMailboxes, CrashAtAnyStepOfAMove) {
  uint32_t kept = 0, moving = 0;
  auto prepare = [&](Mailboxes& boxes) {
    kept = append_one(boxes, {}, "kept\n");
    moving = append_one(boxes, {}, "moving\n", kFlagSeen);
  };
  auto act = [&](Mailboxes& boxes) {
    auto inbox = boxes.open({}, false);
    return inbox && boxes.move(**inbox, {moving}, {"Archive"}).has_value();
  };
  auto check = [&](Mailboxes& boxes, bool finished) {
    auto inbox = open_box(boxes, {});
    auto archive = open_box(boxes, {"Archive"});
    ASSERT_TRUE(inbox && archive);
    auto in_inbox = texts_of(*inbox);
    EXPECT_EQ(in_inbox[kept], "kept\n");
    in_inbox.erase(kept);
    size_t copies = in_inbox.size();
    for (const auto& [uid, text] : in_inbox) {
      EXPECT_EQ(uid, moving);
      EXPECT_EQ(text, "moving\n");
    }
    for (const auto& [uid, text] : texts_of(*archive)) {
      EXPECT_EQ(text, "moving\n");
      EXPECT_EQ(archive->messages()[*archive->find(uid)].flags, kFlagSeen);
      ++copies;
    }
    EXPECT_GE(copies, 1u) << "the message is in neither folder";
    EXPECT_LE(copies, 2u);
    if (finished) {
      EXPECT_EQ(inbox->messages().size(), 1u);
      EXPECT_EQ(archive->messages().size(), 1u);
    }
    if (inbox->messages().size() == 1) {
      // Gone from the INBOX: QRESYNC hears of it.
      auto vanished = inbox->expunged_since(1);
      ASSERT_TRUE(vanished);
      EXPECT_EQ(*vanished, std::vector<uint32_t>{moving});
    }
  };
  at_every_crash_step(prepare, act, check);
}

// Another tool renames a file (sets a flag) between our listing and our
// rename: the change is made on the file as it is now, and reported once.
TEST(MaildirMailboxes, AFlagChangeFollowsAnotherToolsRename) {
  TempDir dir;
  const std::string root = dir.path() + "/m";
  auto boxes = account_with_file(root, "1700000000.M1P1.other:2,S");
  auto box = open_box(*boxes, {});
  const uint32_t uid = box->messages()[0].uid;
  hm::testing::FaultFileSystem fault;
  bool raced = false;
  fault.on_rename = [&](int from_dir, const char* from, int to_dir, const char* to,
                        unsigned flags) {
    if (!raced) {
      raced = true;
      // The other tool wins the race: the file now has another name.
      EXPECT_EQ(::renameat(from_dir, from, from_dir, "1700000000.M1P1.other:2,PS"), 0);
      errno = ENOENT;
      return -1;
    }
    return hm::testing::FaultFileSystem::real().rename(from_dir, from, to_dir, to, flags);
  };
  fs::ScopedFileSystem use(fault);
  FlagChange flagged;
  flagged.flags = kFlagFlagged;
  auto r = box->set_flags({uid}, flagged);
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_TRUE(raced);
  EXPECT_EQ(r->changed, std::vector<uint32_t>{uid});
  EXPECT_TRUE(r->failed.empty());
  EXPECT_EQ(box->messages()[0].flags, kFlagFlagged | kFlagSeen);
  EXPECT_EQ(files_in(root + "/cur"), std::vector<std::string>{"1700000000.M1P1.other:2,FPS"});
}

// A large folder's open mailbox stays small: the view is one MessageMeta
// a message, and the folder under it keeps each name once.
TEST(MaildirMailboxes, ALargeFolderStaysSmall) {
  static_assert(sizeof(MessageMeta) <= 48);
  TempDir dir;
  const std::string root = dir.path() + "/m";
  auto boxes = open_account(account_at(root));
  constexpr int kMessages = 5000;
  for (int i = 0; i < kMessages; ++i) {
    std::ofstream(root + "/cur/" + std::to_string(1700000000 + i) + ".M" + std::to_string(i) +
                  "P4711Q" + std::to_string(i) +
                  "R0123456789abcdef.mx.example.org,S=1000,W=1020:2,S");
  }
  {
    auto numbered = open_box(*boxes, {});  // numbers them: the list is written once
    ASSERT_EQ(numbered->messages().size(), size_t{kMessages});
  }
  const size_t before = ::mallinfo2().uordblks;
  auto box = open_box(*boxes, {});
  ASSERT_EQ(box->messages().size(), size_t{kMessages});
  const size_t used = ::mallinfo2().uordblks - before;
  // About 350 bytes a message today (the names, once; the list's numbers;
  // the view); a copy of the names more would pass the bound.
  EXPECT_LT(used, size_t{kMessages} * 450) << used / kMessages << " bytes a message";
}

}  // namespace
}  // namespace hm::store::maildir
