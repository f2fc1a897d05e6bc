#include "store/maildir/maildir_folder.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "base/file_system.h"
#include "maildir_fixture.h"
#include "store/maildir/maildir_delivery.h"
#include "support/fault_file_system.h"

namespace hm::store::maildir {
namespace {

using testing::make_maildir;
using testing::name_at;
using testing::put_file;
using testing::read_file;
using testing::TempDir;

FolderOptions fast() {
  FolderOptions o;
  o.fsync = false;
  return o;
}

std::unique_ptr<MaildirFolder> open_ok(const std::string& path, FolderOptions o = fast()) {
  auto f = MaildirFolder::open(path, o);
  EXPECT_TRUE(f) << (f ? "" : f.error().describe());
  return f ? std::move(*f) : nullptr;
}

std::map<std::string, uint32_t> uids_by_base(const MaildirFolder& f) {
  std::map<std::string, uint32_t> out;
  for (const MessageInfo& m : f.messages()) out[std::string(m.base)] = m.uid;
  return out;
}

std::string deliver_one(const std::string& maildir) {
  DeliveryOptions o;
  o.hostname = "test";
  o.fsync = false;
  auto r = deliver("Subject: x\n\nbody\n", {MaildirTarget{maildir}}, o);
  EXPECT_TRUE(r[0]) << r[0].error().describe();
  return r[0] ? *r[0] : std::string();
}

TEST(MaildirFolder, AssignsUidsInDeliveryOrder) {
  TempDir dir;
  const std::string md = make_maildir(dir.path() + "/m");
  // Listed in any order; delivered in this one.
  put_file(md, "new", name_at(1700000002, 5, 3));
  put_file(md, "new", name_at(1700000001, 900000, 2));
  put_file(md, "cur", name_at(1700000001, 10, 1) + ":2,S");
  auto f = open_ok(md);
  ASSERT_TRUE(f);
  ASSERT_EQ(f->messages().size(), 3u);
  EXPECT_EQ(f->messages()[0].base, name_at(1700000001, 10, 1));
  EXPECT_EQ(f->messages()[1].base, name_at(1700000001, 900000, 2));
  EXPECT_EQ(f->messages()[2].base, name_at(1700000002, 5, 3));
  EXPECT_EQ(f->messages()[0].uid, 1u);
  EXPECT_EQ(f->messages()[2].uid, 3u);
  EXPECT_EQ(f->uid_next(), 4u);
  EXPECT_EQ(f->messages()[0].flags, "S");
  EXPECT_EQ(f->messages()[0].size, 19u);
  EXPECT_EQ(f->messages()[0].wire_size, 20u);
  EXPECT_EQ(f->messages()[0].internal_date, 1700000001);
  EXPECT_NE(f->uid_validity(), 0u);
}

TEST(MaildirFolder, UidsGrowAcrossSyncsAndAreNeverReused) {
  TempDir dir;
  const std::string md = make_maildir(dir.path() + "/m");
  const std::string a = deliver_one(md);
  auto f = open_ok(md);
  ASSERT_TRUE(f);
  const uint32_t validity = f->uid_validity();
  EXPECT_EQ(uids_by_base(*f)[a], 1u);

  // Delivered between two syncs: the next UID.
  const std::string b = deliver_one(md);
  auto changed = f->sync();
  ASSERT_TRUE(changed);
  EXPECT_TRUE(*changed);
  EXPECT_EQ(uids_by_base(*f)[b], 2u);

  // Expunged by another tool: dropped, and its UID never comes back.
  const uint64_t modseq = f->highest_modseq();
  std::filesystem::remove(md + "/new/" + b);
  ASSERT_TRUE(f->sync());
  EXPECT_GT(f->highest_modseq(), modseq);
  EXPECT_EQ(f->messages().size(), 1u);
  EXPECT_EQ(f->find(2), nullptr);
  const std::string c = deliver_one(md);
  ASSERT_TRUE(f->sync());
  EXPECT_EQ(uids_by_base(*f)[c], 3u);
  EXPECT_EQ(f->uid_next(), 4u);

  // Reopened (another session, or after a restart): same numbers.
  auto again = open_ok(md);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->uid_validity(), validity);
  EXPECT_EQ(uids_by_base(*again), uids_by_base(*f));
  EXPECT_EQ(again->uid_next(), 4u);
  // Even when every message is gone.
  std::filesystem::remove(md + "/new/" + a);
  std::filesystem::remove(md + "/new/" + c);
  ASSERT_TRUE(again->sync());
  EXPECT_TRUE(again->messages().empty());
  deliver_one(md);
  ASSERT_TRUE(again->sync());
  EXPECT_EQ(again->messages().at(0).uid, 4u);
}

TEST(MaildirFolder, WritesTheListOnlyWhenSomethingChanged) {
  TempDir dir;
  const std::string md = make_maildir(dir.path() + "/m");
  deliver_one(md);
  auto f = open_ok(md);
  ASSERT_TRUE(f);
  const std::string list = md + "/" + kUidListName;
  struct stat before {};
  ASSERT_EQ(::stat(list.c_str(), &before), 0);
  auto other = open_ok(md);  // a full sync: nothing new
  ASSERT_TRUE(other);
  auto changed = other->sync();
  ASSERT_TRUE(changed);
  EXPECT_FALSE(*changed);
  struct stat after {};
  ASSERT_EQ(::stat(list.c_str(), &after), 0);
  EXPECT_EQ(before.st_ino, after.st_ino);  // not replaced
}

TEST(MaildirFolder, SkipsTheListingWhenTheFoldersDidNotChange) {
  TempDir dir;
  const std::string md = make_maildir(dir.path() + "/m");
  const std::string a = deliver_one(md);
  // Old enough mtimes to be trusted.
  const auto old = std::filesystem::file_time_type::clock::now() - std::chrono::minutes(5);
  std::filesystem::last_write_time(md + "/new", old);
  std::filesystem::last_write_time(md + "/cur", old);
  auto f = open_ok(md);
  ASSERT_TRUE(f);
  // A file renamed behind the folders' backs with their mtimes put back is
  // not seen: proof that the listing was skipped...
  std::filesystem::rename(md + "/new/" + a, md + "/cur/" + a + ":2,S");
  std::filesystem::last_write_time(md + "/new", old);
  std::filesystem::last_write_time(md + "/cur", old);
  ASSERT_TRUE(f->sync());
  EXPECT_EQ(f->messages().at(0).flags, "");
  // ...while a real change (mtime moves) is.
  std::filesystem::last_write_time(md + "/cur", old + std::chrono::seconds(1));
  ASSERT_TRUE(f->sync());
  EXPECT_EQ(f->messages().at(0).flags, "S");
}

// Puts the mtimes of new/ and cur/ back to `when` (a change another tool
// made within one tick of the clock, or a settled folder).
void set_folder_times(const std::string& md, std::filesystem::file_time_type when) {
  std::filesystem::last_write_time(md + "/new", when);
  std::filesystem::last_write_time(md + "/cur", when);
}

// A settled folder opens from its UID list alone: the sync that listed it
// recorded the folders' mtimes in the list, and the next open, finding the
// same mtimes, lists nothing; where each file is follows from the list.
TEST(MaildirFolder, OpenOfASettledFolderDoesNotListIt) {
  TempDir dir;
  const std::string md = make_maildir(dir.path() + "/m");
  const std::string a = deliver_one(md);
  put_file(md, "cur", "1700000000.M1P1.other:2,FS");
  put_file(md, "cur", "oddname:2,S");  // no delivery time: dated by its mtime
  const auto old = std::filesystem::file_time_type::clock::now() - std::chrono::minutes(5);
  set_folder_times(md, old);
  auto first = open_ok(md);
  ASSERT_TRUE(first);
  EXPECT_GT(first->listings(), 0u);
  auto second = open_ok(md);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->listings(), 0u);
  ASSERT_EQ(second->messages().size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    const MessageInfo& x = first->messages()[i];
    const MessageInfo& y = second->messages()[i];
    EXPECT_EQ(x.uid, y.uid);
    EXPECT_EQ(x.flags, y.flags);
    EXPECT_EQ(x.base, y.base);
    EXPECT_EQ(x.internal_date, y.internal_date);
    EXPECT_EQ(*first->file_of(x.uid), *second->file_of(y.uid));
  }
  EXPECT_EQ(second->uid_next(), first->uid_next());
  // Nothing changed: a sync stays cheap.
  ASSERT_TRUE(second->sync());
  EXPECT_EQ(second->listings(), 0u);
  // A flagless message another tool moved to cur/ within the same tick is
  // still found (locate looks in both places).
  std::filesystem::rename(md + "/new/" + a, md + "/cur/" + a + ":2,");
  set_folder_times(md, old);
  auto third = open_ok(md);
  EXPECT_EQ(third->listings(), 0u);
  auto where = third->locate(uids_by_base(*third)[a]);
  ASSERT_TRUE(where);
  EXPECT_EQ(where->dir_fd, where->cur_fd);
  EXPECT_EQ(where->name, a + ":2,");
  // A relist (a reader did not find a file) lists whatever the mtimes say.
  ASSERT_TRUE(third->sync(false, true));
  EXPECT_GT(third->listings(), 0u);
}

// Any change that moves an mtime is seen at open; names the list alone
// cannot give (flags not in normal order) keep the folder listed at every
// open.
TEST(MaildirFolder, AChangedOrOddFolderIsListedAtOpen) {
  TempDir dir;
  const std::string md = make_maildir(dir.path() + "/m");
  deliver_one(md);
  const auto old = std::filesystem::file_time_type::clock::now() - std::chrono::minutes(5);
  set_folder_times(md, old);
  ASSERT_TRUE(open_ok(md));
  const std::string b = deliver_one(md);  // new/ moves
  set_folder_times(md, old + std::chrono::seconds(1));
  auto f = open_ok(md);
  EXPECT_GT(f->listings(), 0u);
  EXPECT_EQ(f->messages().size(), 2u);
  EXPECT_EQ(uids_by_base(*f).count(b), 1u);

  put_file(md, "cur", "1700000000.M2P2.other:2,SF");
  set_folder_times(md, old + std::chrono::seconds(2));
  ASSERT_TRUE(open_ok(md));
  auto again = open_ok(md);
  EXPECT_GT(again->listings(), 0u);
  EXPECT_EQ(again->messages().size(), 3u);
}

TEST(MaildirFolder, RecentMtimesAreNotTrusted) {
  TempDir dir;
  const std::string md = make_maildir(dir.path() + "/m");
  const std::string a = deliver_one(md);
  auto f = open_ok(md);
  ASSERT_TRUE(f);
  // A change within the same tick of the clock as the delivery leaves the
  // mtimes as they were (put back here): since they were recent when the
  // folder was opened, they are not trusted, and the change is seen.
  const auto new_time = std::filesystem::last_write_time(md + "/new");
  const auto cur_time = std::filesystem::last_write_time(md + "/cur");
  std::filesystem::rename(md + "/new/" + a, md + "/cur/" + a + ":2,F");
  std::filesystem::last_write_time(md + "/new", new_time);
  std::filesystem::last_write_time(md + "/cur", cur_time);
  ASSERT_TRUE(f->sync());
  EXPECT_EQ(f->messages().at(0).flags, "F");
}

TEST(MaildirFolder, FlagsRoundTripAndBumpModseq) {
  TempDir dir;
  const std::string md = make_maildir(dir.path() + "/m");
  const std::string a = deliver_one(md);
  put_file(md, "cur", name_at(1700000000, 1, 9) + ":2,Sab");  // with keywords
  auto f = open_ok(md);
  ASSERT_TRUE(f);
  const uint32_t uid_a = uids_by_base(*f)[a];
  const uint64_t modseq = f->highest_modseq();

  ASSERT_TRUE(f->set_flags(uid_a, "SR"));
  EXPECT_EQ(f->find(uid_a)->flags, "RS");
  EXPECT_GT(f->find(uid_a)->modseq, modseq);
  EXPECT_EQ(f->highest_modseq(), f->find(uid_a)->modseq);
  EXPECT_TRUE(std::filesystem::exists(md + "/cur/" + a + ":2,RS"));
  EXPECT_FALSE(std::filesystem::exists(md + "/new/" + a));
  EXPECT_EQ(*f->file_of(uid_a), "cur/" + a + ":2,RS");

  // Keywords stay; flags are replaced.
  const uint32_t uid_k = f->messages().front().uid;
  ASSERT_TRUE(f->set_flags(uid_k, "D"));
  EXPECT_EQ(f->find(uid_k)->flags, "Dab");

  // Seen by another session after reopening; the same flags again change
  // nothing.
  auto other = open_ok(md);
  ASSERT_TRUE(other);
  EXPECT_EQ(other->find(uid_a)->flags, "RS");
  const uint64_t before = other->highest_modseq();
  ASSERT_TRUE(other->set_flags(uid_a, "RS"));
  EXPECT_EQ(other->highest_modseq(), before);

  // Set by another tool: noticed, MODSEQ bumped.
  std::filesystem::rename(md + "/cur/" + a + ":2,RS", md + "/cur/" + a + ":2,T");
  ASSERT_TRUE(other->sync());
  EXPECT_EQ(other->find(uid_a)->flags, "T");
  EXPECT_GT(other->find(uid_a)->modseq, before);

  EXPECT_EQ(f->set_flags(uid_a, "X").error().kind(), ErrorKind::kInvalid);
  EXPECT_EQ(f->set_flags(999, "S").error().kind(), ErrorKind::kNotFound);
}

// A list that cannot be written (a full disk) changes nothing the folder
// reports: no UID is handed out that the disk does not hold.
TEST(MaildirFolder, AFailedWriteChangesNothingSeen) {
  TempDir dir;
  const std::string md = make_maildir(dir.path() + "/m");
  deliver_one(md);
  auto f = open_ok(md);
  ASSERT_TRUE(f);
  const std::string b = deliver_one(md);
  {
    hm::testing::FaultFileSystem full;
    full.on_write = [](int, const void*, size_t) -> ssize_t {
      errno = ENOSPC;
      return -1;
    };
    fs::ScopedFileSystem use(full);
    auto synced = f->sync();
    ASSERT_FALSE(synced);
    EXPECT_EQ(synced.error().kind(), ErrorKind::kTemporary);
    EXPECT_EQ(f->uid_next(), 2u);
    EXPECT_EQ(f->messages().size(), 1u);
    EXPECT_FALSE(f->set_flags(1, "S"));
    EXPECT_EQ(f->find(1)->flags, "");
    EXPECT_EQ(f->uid_next(), 2u);
  }
  ASSERT_TRUE(f->sync());
  EXPECT_EQ(uids_by_base(*f)[b], 2u);
  EXPECT_EQ(f->find(1)->flags, "S");  // the rename was made; the list learns it now
}

TEST(MaildirFolder, CorruptListGetsNewUidValidity) {
  TempDir dir;
  const std::string md = make_maildir(dir.path() + "/m");
  deliver_one(md);
  auto f = open_ok(md);
  ASSERT_TRUE(f);
  const uint32_t validity = f->uid_validity();
  std::ofstream(md + "/" + kUidListName) << "garbage\n";
  auto again = open_ok(md);
  ASSERT_TRUE(again);
  EXPECT_NE(again->uid_validity(), validity);
  EXPECT_EQ(again->messages().size(), 1u);
}

TEST(MaildirFolder, RefusesLinksAndMissingFolders) {
  TempDir dir;
  const std::string md = make_maildir(dir.path() + "/m");
  std::filesystem::create_directory_symlink(md, dir.path() + "/link");
  EXPECT_EQ(MaildirFolder::open(dir.path() + "/link", fast()).error().kind(),
            ErrorKind::kPermission);
  EXPECT_EQ(MaildirFolder::open(dir.path() + "/none", fast()).error().kind(), ErrorKind::kNotFound);
}

using UidsSeen = std::map<uint32_t, std::string>;  // UID -> base, as a session saw them

// After concurrent sessions: the folder holds `count` messages, each once,
// and every UID a session saw still names the message it saw.
void expect_final_uids_agree(const std::string& md, size_t count,
                             const std::vector<UidsSeen>& seen) {
  auto f = open_ok(md);
  ASSERT_TRUE(f);
  ASSERT_EQ(f->messages().size(), count);
  UidsSeen final_uids;
  std::set<std::string> bases;
  for (const MessageInfo& m : f->messages()) {
    final_uids[m.uid] = m.base;
    EXPECT_TRUE(bases.insert(std::string(m.base)).second);
  }
  for (const UidsSeen& s : seen) {
    for (const auto& [uid, base] : s) EXPECT_EQ(final_uids[uid], base) << "UID " << uid;
  }
}

// Two processes sync the same folder while both deliver into it: every
// message gets exactly one UID, the same in both, and no UID is given twice.
TEST(MaildirFolder, ConcurrentProcessesAgreeOnUids) {
  TempDir dir;
  const std::string md = make_maildir(dir.path() + "/m");
  constexpr int kRounds = 60;
  std::vector<pid_t> children;
  for (int child = 0; child < 2; ++child) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      // The child reports what it saw: "<uid> <base>" per line.
      std::map<uint32_t, std::string> seen;
      bool good = true;
      for (int i = 0; i < kRounds && good; ++i) {
        deliver_one(md);
        auto f = MaildirFolder::open(md, fast());
        if (!f) {
          good = false;
          break;
        }
        for (const MessageInfo& m : (*f)->messages()) {
          auto [it, fresh] = seen.emplace(m.uid, m.base);
          if (!fresh && it->second != m.base) good = false;
        }
        if (i % 3 == 0) good = good && (*f)->set_flags((*f)->messages().back().uid, "S");
      }
      std::ofstream out(dir.path() + "/seen" + std::to_string(child));
      for (const auto& [uid, base] : seen) out << uid << ' ' << base << '\n';
      out.close();
      ::_exit(good ? 0 : 1);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  std::vector<UidsSeen> seen(2);
  for (int child = 0; child < 2; ++child) {
    std::ifstream in(dir.path() + "/seen" + std::to_string(child));
    uint32_t uid = 0;
    std::string base;
    while (in >> uid >> base) seen[child][uid] = base;
    EXPECT_GT(seen[child].size(), kRounds - 1u);
  }
  expect_final_uids_agree(md, 2u * kRounds, seen);
}

// The same with two threads of one process, each with its own folder: the
// lock holds between them too (open-file-description locks).
TEST(MaildirFolder, ConcurrentThreadsAgreeOnUids) {
  TempDir dir;
  const std::string md = make_maildir(dir.path() + "/m");
  constexpr int kRounds = 50;
  std::vector<UidsSeen> seen(2);
  auto work = [&](int t) {
    for (int i = 0; i < kRounds; ++i) {
      deliver_one(md);
      auto f = MaildirFolder::open(md, fast());
      ASSERT_TRUE(f);
      for (const MessageInfo& m : (*f)->messages()) {
        auto [it, fresh] = seen[t].emplace(m.uid, m.base);
        EXPECT_EQ(it->second, m.base);
      }
      if (i % 3 == 0) {
        EXPECT_TRUE((*f)->set_flags((*f)->messages().back().uid, "F"));
      }
    }
  };
  std::thread a(work, 0), b(work, 1);
  a.join();
  b.join();
  expect_final_uids_agree(md, 2u * kRounds, seen);
}

// SIGKILL at a random moment while a process delivers, syncs and sets
// flags: every file has exactly one UID afterwards, and every UID the killed
// process was given still names the same message.
TEST(MaildirFolder, SigkillNeverReassignsAUid) {
  TempDir dir;
  const std::string md = make_maildir(dir.path() + "/m");
  std::map<uint32_t, std::string> told;  // what the killed processes saw
  for (int round = 0; round < 4; ++round) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      std::set<uint32_t> sent;
      for (int i = 0;; ++i) {
        deliver_one(md);
        auto f = MaildirFolder::open(md, FolderOptions{});
        if (!f) ::_exit(1);
        for (const MessageInfo& m : (*f)->messages()) {
          if (!sent.insert(m.uid).second) continue;
          const std::string line = std::to_string(m.uid) + " " + std::string(m.base) + "\n";
          if (::write(fds[1], line.data(), line.size()) < 0) ::_exit(1);
        }
        if (i % 2 == 0) (void)(*f)->set_flags((*f)->messages().back().uid, "S");
      }
    }
    ::close(fds[1]);
    std::this_thread::sleep_for(std::chrono::milliseconds(40 + 37 * round));
    ::kill(pid, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status));
    std::string text;
    char buf[4096];
    for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) text.append(buf, n);
    ::close(fds[0]);
    std::istringstream in(text);
    uint32_t uid = 0;
    std::string base;
    while (in >> uid >> base) {
      auto [it, fresh] = told.emplace(uid, base);
      EXPECT_EQ(it->second, base) << "UID " << uid << " given to two messages";
    }

    auto f = open_ok(md, FolderOptions{});
    ASSERT_TRUE(f);
    size_t files = 0;
    for (const char* sub : {"new", "cur"}) {
      for (const auto& e : std::filesystem::directory_iterator(md + "/" + sub)) {
        (void)e;
        ++files;
      }
    }
    EXPECT_EQ(f->messages().size(), files);
    for (const MessageInfo& m : f->messages()) {
      auto it = told.find(m.uid);
      if (it != told.end()) {
        EXPECT_EQ(it->second, m.base) << "UID " << m.uid;
      }
    }
    for (const auto& [u, b] : told) EXPECT_EQ(uids_by_base(*f)[b], u) << b;
  }
  EXPECT_GT(told.size(), 4u);
}

// A crash after any step of a sync or a flag change, followed by a power
// loss: a reopen sees the old list or the new one, with the same
// UIDVALIDITY, the old UIDs unchanged, and never a UID used twice.
TEST(MaildirFolder, CrashAtAnyStepReusesNoUid) {
  for (bool flags : {false, true}) {
    bool finished = false;
    for (int step = 0; !finished && step < 60; ++step) {
      TempDir dir;
      const std::string md = make_maildir(dir.path() + "/m");
      const std::string gone = deliver_one(md);
      deliver_one(md);
      deliver_one(md);
      std::map<std::string, uint32_t> before;
      uint32_t validity = 0;
      uint64_t next_before = 0;
      {
        // A list that a rebuild could not imitate: an old UIDVALIDITY, and
        // a gap where an expunged message was.
        auto f = open_ok(md, FolderOptions{});
        ASSERT_TRUE(f);
        UidList list = *parse_uid_list(read_file(md + "/" + kUidListName));
        list.uid_validity = 1000000000;
        UniqueFd fd(::open(md.c_str(), O_RDONLY | O_DIRECTORY));
        ASSERT_TRUE(write_uid_list(fd.get(), list, md));
        std::filesystem::remove(md + "/new/" + gone);
        ASSERT_TRUE(f->sync());
        before = uids_by_base(*f);
        EXPECT_EQ(before.begin()->second + before.rbegin()->second, 5u);  // UIDs 2 and 3
        validity = f->uid_validity();
        next_before = f->uid_next();
      }
      const std::string added = deliver_one(md);
      hm::testing::FaultFileSystem fault;
      {
        fs::ScopedFileSystem use(fault);
        fault.crash_after(step);
        auto f = MaildirFolder::open(md, FolderOptions{});
        finished = f.has_value();
        if (f && flags) finished = (*f)->set_flags(2, "FS").has_value();
        if (!finished) {
          EXPECT_TRUE(fault.crashed());
        }
        fault.lose_unsynced(md);
      }
      auto after = open_ok(md, FolderOptions{});
      ASSERT_TRUE(after) << "step " << step;
      EXPECT_EQ(after->uid_validity(), validity) << "step " << step;
      auto now = uids_by_base(*after);
      for (const auto& [base, uid] : before) EXPECT_EQ(now[base], uid) << "step " << step;
      EXPECT_EQ(now[added], next_before) << "step " << step;
      std::set<uint32_t> uids;
      for (const auto& [base, uid] : now) EXPECT_TRUE(uids.insert(uid).second);
      EXPECT_EQ(now.size(), 3u);
      if (finished && flags) {
        EXPECT_EQ(after->find(2)->flags, "FS") << "step " << step;
      }
    }
    EXPECT_TRUE(finished);
  }
}

}  // namespace
}  // namespace hm::store::maildir
