#include "store/maildir/maildir_delivery.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>

#include "../common/needs_root.h"
#include "base/file_system.h"
#include "support/fault_file_system.h"

namespace hm::store::maildir {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "hm-maildir-XXXXXX").string();
    char* made = ::mkdtemp(tmpl.data());
    EXPECT_NE(made, nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::permissions(path_, fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::vector<std::string> entries(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) out.push_back(e.path().filename());
  return out;
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

mode_t mode_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

DeliveryOptions options() {
  DeliveryOptions o;
  o.hostname = "mx1.example.org";
  return o;
}

// Puts a FaultFileSystem in place of the real one (base/file_system.h) and
// restores the real one even when an assertion fails.
struct FaultGuard {
  hm::testing::FaultFileSystem faults;
  hm::fs::ScopedFileSystem use{faults};
  void reset() {
    faults.on_write = {};
    faults.on_fsync = {};
    faults.on_link = {};
    faults.on_rename = {};
  }
};

// A link(2) hook by paths (Maildir delivery names everything by path).
using PathLink = int (*)(const char* from, const char* to);
std::function<int(int, const char*, int, const char*)> by_path(PathLink f) {
  return [f](int, const char* from, int, const char* to) { return f(from, to); };
}
// renameat2(2) with RENAME_NOREPLACE by paths, hooked likewise.
int real_rename_noreplace(const char* from, const char* to) {
  return ::renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE);
}
std::function<int(int, const char*, int, const char*, unsigned)> rename_by_path(PathLink f) {
  return [f](int, const char* from, int, const char* to, unsigned) { return f(from, to); };
}

TEST(MaildirDelivery, CreatesTheMaildirOnFirstDeliveryWithMode0700) {
  TempDir dir;
  std::string root = dir.path() + "/example.org/john/";
  auto results = deliver("Subject: hi\r\n\r\nbody\r\n", {{root}}, options());
  ASSERT_EQ(results.size(), 1u);
  ASSERT_TRUE(results[0]) << results[0].error().message();
  for (const char* sub : {"", "tmp", "new", "cur"}) {
    EXPECT_EQ(mode_of(root + sub), 0700u) << sub;
  }
  EXPECT_EQ(mode_of(dir.path() + "/example.org"), 0700u);
  EXPECT_EQ(entries(root + "new"), std::vector<std::string>{*results[0]});
  EXPECT_TRUE(entries(root + "tmp").empty());
  EXPECT_TRUE(entries(root + "cur").empty());
  EXPECT_EQ(mode_of(root + "new/" + *results[0]), 0600u);
}

TEST(MaildirDelivery, ContentIsByteExact) {
  TempDir dir;
  std::string message("Subject: x\r\n\r\n", 14);
  for (int i = 0; i < 70000; ++i) message.push_back(static_cast<char>(i * 7 % 256));
  message += std::string("\0\r\n.\r\n", 6);
  auto results = deliver(message, {{dir.path() + "/m"}}, options());
  ASSERT_TRUE(results[0]);
  EXPECT_EQ(read_all(dir.path() + "/m/new/" + *results[0]), message);
}

TEST(MaildirDelivery, NameFollowsTheConvention) {
  TempDir dir;
  DeliveryOptions o = options();
  o.hostname = "odd/host:name";
  auto results = deliver("12345", {{dir.path() + "/m"}}, o);
  ASSERT_TRUE(results[0]);
  const std::regex pattern(R"(^\d+\.M\d+P\d+Q\d+R[0-9a-f]{16}\.odd\\057host\\072name,S=5,W=5$)");
  EXPECT_TRUE(std::regex_match(*results[0], pattern)) << *results[0];
  // ",W=" counts each line end as CRLF: what IMAP's RFC822.SIZE reports.
  results = deliver("Subject: x\n\nbody\n", {{dir.path() + "/m"}}, o);
  ASSERT_TRUE(results[0]);
  EXPECT_TRUE(results[0]->ends_with(",S=17,W=20")) << *results[0];
  EXPECT_EQ(unique_name("h").find(":"), std::string::npos);
}

TEST(MaildirDelivery, SeveralTargetsShareOneInode) {
  TempDir dir;
  std::vector<MaildirTarget> targets;
  for (int i = 0; i < 4; ++i) targets.push_back({dir.path() + "/user" + std::to_string(i)});
  auto results = deliver("shared message\r\n", targets, options());
  ASSERT_EQ(results.size(), 4u);
  struct stat first {};
  for (size_t i = 0; i < targets.size(); ++i) {
    ASSERT_TRUE(results[i]) << results[i].error().message();
    struct stat st {};
    ASSERT_EQ(::stat((targets[i].path + "/new/" + *results[i]).c_str(), &st), 0);
    if (i == 0) first = st;
    EXPECT_EQ(st.st_ino, first.st_ino);
    EXPECT_EQ(st.st_nlink, 4u);
    EXPECT_TRUE(entries(targets[i].path + "/tmp").empty());
  }
}

TEST(MaildirDelivery, NamesAreUniqueAcrossThreads) {
  TempDir dir;
  constexpr int kThreads = 8;
  constexpr int kPerThread = 200;
  DeliveryOptions o = options();
  o.fsync = false;  // uniqueness, not durability, is under test; keep it fast
  std::vector<std::vector<std::string>> names(kThreads);
  std::vector<int> failures(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto r = deliver("m", {{dir.path() + "/shared"}}, o);
        if (r[0]) {
          names[t].push_back(*r[0]);
        } else {
          ++failures[t];
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  std::set<std::string> all;
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(failures[t], 0);
    all.insert(names[t].begin(), names[t].end());
  }
  EXPECT_EQ(all.size(), size_t{kThreads * kPerThread});
  EXPECT_EQ(entries(dir.path() + "/shared/new").size(), size_t{kThreads * kPerThread});
  EXPECT_TRUE(entries(dir.path() + "/shared/tmp").empty());
}

TEST(MaildirDelivery, ATargetThatCannotBeCreatedFailsAlone) {
  TempDir dir;
  std::ofstream(dir.path() + "/plainfile") << "x";
  std::vector<MaildirTarget> targets = {
      {dir.path() + "/a"}, {dir.path() + "/plainfile/maildir"}, {dir.path() + "/b"}};
  auto results = deliver("hello", targets, options());
  ASSERT_EQ(results.size(), 3u);
  ASSERT_TRUE(results[0]);
  ASSERT_FALSE(results[1]);
  ASSERT_TRUE(results[2]);
  EXPECT_NE(results[1].error().message().find(dir.path() + "/plainfile"), std::string::npos)
      << results[1].error().message();
  EXPECT_EQ(read_all(dir.path() + "/a/new/" + *results[0]), "hello");
  EXPECT_EQ(read_all(dir.path() + "/b/new/" + *results[2]), "hello");
  EXPECT_TRUE(entries(dir.path() + "/a/tmp").empty());
}

// Refuses to link into any new/ below a folder named "locked", as a folder
// without write permission does for a user (root ignores modes, so the
// test uses the seam and runs the same as root and as a user).
int link_refused_into_locked(const char* from, const char* to) {
  if (std::strstr(to, "/locked/new/") != nullptr) {
    errno = EACCES;
    return -1;
  }
  return ::link(from, to);
}

TEST(MaildirDelivery, TheFirstTargetFailingDoesNotStopTheOthers) {
  TempDir dir;
  std::string locked = dir.path() + "/locked";
  ASSERT_TRUE(deliver("first", {{locked}}, options())[0]);
  FaultGuard guard;
  guard.faults.on_link = by_path(link_refused_into_locked);
  auto results = deliver("second", {{locked}, {dir.path() + "/ok"}}, options());
  ASSERT_FALSE(results[0]);
  EXPECT_EQ(results[0].error().kind(), ErrorKind::kPermission);
  EXPECT_NE(results[0].error().message().find(locked), std::string::npos);
  ASSERT_TRUE(results[1]) << results[1].error().message();
  EXPECT_EQ(read_all(dir.path() + "/ok/new/" + *results[1]), "second");
}

TEST(MaildirDelivery, AsRootFilesAndFoldersBelongToTheTarget) {
  HM_NEEDS_ROOT("to give files away");
  TempDir dir;
  const uid_t kNobody = 65534;
  std::vector<MaildirTarget> targets = {{dir.path() + "/v/a", kNobody, kNobody},
                                        {dir.path() + "/v/b", kNobody, kNobody},
                                        {dir.path() + "/local", 0, 0}};
  auto results = deliver("owned", targets, options());
  struct stat st[3]{};
  for (size_t i = 0; i < 3; ++i) {
    ASSERT_TRUE(results[i]) << results[i].error().message();
    ASSERT_EQ(::stat((targets[i].path + "/new/" + *results[i]).c_str(), &st[i]), 0);
    EXPECT_EQ(st[i].st_uid, targets[i].uid);
    EXPECT_EQ(st[i].st_gid, targets[i].gid);
    for (const char* sub : {"", "/tmp", "/new", "/cur"}) {
      struct stat d {};
      ASSERT_EQ(::stat((targets[i].path + sub).c_str(), &d), 0);
      EXPECT_EQ(d.st_uid, targets[i].uid) << targets[i].path << sub;
      EXPECT_EQ(d.st_mode & 07777, 0700u);
    }
  }
  // The two vmail targets share one inode; the one of another owner has its own.
  EXPECT_EQ(st[0].st_ino, st[1].st_ino);
  EXPECT_EQ(st[0].st_nlink, 2u);
  EXPECT_NE(st[2].st_ino, st[0].st_ino);
  EXPECT_EQ(read_all(targets[2].path + "/new/" + *results[2]), "owned");
}

// Fault injection: an fsync that fails on the message file must surface as an
// error with nothing visible in new/ (the session will not say 250).
int failing_file_fsync(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    errno = EIO;
    return -1;
  }
  return ::fsync(fd);
}

TEST(MaildirDelivery, FailedFileFsyncIsAnErrorAndLeavesNothing) {
  TempDir dir;
  FaultGuard guard;
  guard.faults.on_fsync = failing_file_fsync;
  auto results = deliver("lost?", {{dir.path() + "/a"}, {dir.path() + "/b"}}, options());
  for (const auto& r : results) {
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind(), ErrorKind::kTemporary);
    EXPECT_NE(r.error().message().find("fsync"), std::string::npos) << r.error().message();
  }
  for (const char* m : {"/a", "/b"}) {
    EXPECT_TRUE(entries(dir.path() + m + "/new").empty());
    EXPECT_TRUE(entries(dir.path() + m + "/tmp").empty());
  }
}

int failing_dir_fsync(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    errno = EIO;
    return -1;
  }
  return ::fsync(fd);
}

TEST(MaildirDelivery, FailedFolderFsyncTakesTheNameBack) {
  TempDir dir;
  std::string root = dir.path() + "/a";
  ASSERT_TRUE(deliver("first", {{root}}, options())[0]);  // the Maildir exists now
  FaultGuard guard;
  guard.faults.on_fsync = failing_dir_fsync;
  auto results = deliver("second", {{root}}, options());
  ASSERT_FALSE(results[0]);
  EXPECT_NE(results[0].error().message().find(root + "/new"), std::string::npos);
  EXPECT_EQ(entries(root + "/new").size(), 1u);  // only the first message
  EXPECT_TRUE(entries(root + "/tmp").empty());
}

// Fails the fsync of one folder, named by path (read back through /proc).
std::string g_failing_folder;
int failing_fsync_of_one_folder(int fd) {
  std::string link = "/proc/self/fd/" + std::to_string(fd);
  std::array<char, 4096> target{};
  ssize_t n = ::readlink(link.c_str(), target.data(), target.size() - 1);
  if (n > 0 && std::string(target.data(), static_cast<size_t>(n)) == g_failing_folder) {
    errno = EIO;
    return -1;
  }
  return ::fsync(fd);
}

// The folder that holds a new Maildir's name is fsynced on a second thread
// while the message is written; when that fsync fails, so does the delivery,
// and the message's name is taken back as when new/ cannot be fsynced.
TEST(MaildirDelivery, FailedFsyncOfANewMaildirsParentFailsTheDelivery) {
  TempDir dir;
  std::string root = dir.path() + "/example.org/a";
  std::string other = dir.path() + "/example.net/b";
  g_failing_folder = fs::canonical(dir.path()).string() + "/example.org";
  FaultGuard guard;
  guard.faults.on_fsync = failing_fsync_of_one_folder;
  auto results = deliver("first", {{root}, {other}}, options());
  ASSERT_EQ(results.size(), 2u);
  ASSERT_FALSE(results[0]);
  EXPECT_NE(results[0].error().message().find("example.org"), std::string::npos);
  EXPECT_TRUE(entries(root + "/new").empty());
  ASSERT_TRUE(results[1]) << results[1].error().describe();  // fails alone
  EXPECT_EQ(entries(other + "/new").size(), 1u);
  // Once the folder can be fsynced, the Maildir, which exists now, takes mail.
  guard.reset();
  EXPECT_TRUE(deliver("again", {{root}}, options())[0]);
  EXPECT_EQ(entries(root + "/new").size(), 1u);
}

ssize_t full_disk_write(int, const void*, size_t) {
  errno = ENOSPC;
  return -1;
}

TEST(MaildirDelivery, FullDiskIsTemporaryAndNamesThePath) {
  TempDir dir;
  FaultGuard guard;
  guard.faults.on_write = full_disk_write;
  auto results = deliver("x", {{dir.path() + "/a"}}, options());
  ASSERT_FALSE(results[0]);
  EXPECT_EQ(results[0].error().kind(), ErrorKind::kTemporary);
  EXPECT_NE(results[0].error().message().find(dir.path() + "/a/tmp/"), std::string::npos);
  EXPECT_TRUE(entries(dir.path() + "/a/tmp").empty());
}

// Short writes and EINTR: the loop must carry on until every byte is out.
ssize_t stuttering_write(int fd, const void* data, size_t size) {
  static thread_local int calls = 0;
  if (++calls % 3 == 0) {
    errno = EINTR;
    return -1;
  }
  return ::write(fd, data, size > 7 ? 7 : size);
}

TEST(MaildirDelivery, ShortWritesAndInterruptsAreResumed) {
  TempDir dir;
  FaultGuard guard;
  guard.faults.on_write = stuttering_write;
  std::string message(1000, 'x');
  for (size_t i = 0; i < message.size(); ++i) message[i] = static_cast<char>('a' + i % 26);
  auto results = deliver(message, {{dir.path() + "/a"}}, options());
  ASSERT_TRUE(results[0]);
  EXPECT_EQ(read_all(dir.path() + "/a/new/" + *results[0]), message);
}

// Where link(2) is impossible (EXDEV: another file system) each target gets
// its own durable copy.
int cross_device_link(const char*, const char*) {
  errno = EXDEV;
  return -1;
}

TEST(MaildirDelivery, CopiesWhereLinkingIsImpossible) {
  TempDir dir;
  FaultGuard guard;
  guard.faults.on_link = by_path(cross_device_link);
  auto results = deliver("copy me", {{dir.path() + "/a"}, {dir.path() + "/b"}}, options());
  for (const char* m : {"/a", "/b"}) {
    EXPECT_TRUE(entries(dir.path() + m + "/tmp").empty()) << m;
  }
  // With no link at all even the first target cannot move tmp -> new.
  for (const auto& r : results) EXPECT_FALSE(r);
  guard.reset();

  // Only links between two Maildirs fail (as if each were its own file
  // system): the second target gets a copy.
  guard.faults.on_link = by_path([](const char* from, const char* to) {
    if (fs::path(from).parent_path().parent_path() == fs::path(to).parent_path().parent_path()) {
      return ::link(from, to);
    }
    errno = EXDEV;
    return -1;
  });
  results = deliver("copy me", {{dir.path() + "/c"}, {dir.path() + "/d"}}, options());
  ASSERT_TRUE(results[0]);
  ASSERT_TRUE(results[1]) << results[1].error().message();
  struct stat a {
  }, b{};
  ASSERT_EQ(::stat((dir.path() + "/c/new/" + *results[0]).c_str(), &a), 0);
  ASSERT_EQ(::stat((dir.path() + "/d/new/" + *results[1]).c_str(), &b), 0);
  EXPECT_NE(a.st_ino, b.st_ino);
  EXPECT_EQ(a.st_nlink, 1u);
  EXPECT_EQ(read_all(dir.path() + "/d/new/" + *results[1]), "copy me");
  EXPECT_TRUE(entries(dir.path() + "/c/tmp").empty());
  EXPECT_TRUE(entries(dir.path() + "/d/tmp").empty());
}

TEST(MaildirDelivery, OneTargetIsRenamedIntoNewAndLeavesOneName) {
  TempDir dir;
  std::string root = dir.path() + "/a";
  FaultGuard guard;
  static int renames;
  static int links;
  renames = links = 0;
  guard.faults.on_rename = rename_by_path([](const char* from, const char* to) {
    ++renames;
    return real_rename_noreplace(from, to);
  });
  guard.faults.on_link = by_path([](const char* from, const char* to) {
    ++links;
    return ::link(from, to);
  });
  auto r = deliver("one", {{root}}, options());
  ASSERT_TRUE(r[0]);
  EXPECT_EQ(renames, 1);
  EXPECT_EQ(links, 0);
  struct stat st {};
  ASSERT_EQ(::stat((root + "/new/" + *r[0]).c_str(), &st), 0);
  EXPECT_EQ(st.st_nlink, 1u);
  EXPECT_TRUE(entries(root + "/tmp").empty());
  // Two targets: one inode, linked, as before.
  auto two = deliver("two", {{root}, {dir.path() + "/b"}}, options());
  ASSERT_TRUE(two[0] && two[1]);
  EXPECT_EQ(links, 2);
  EXPECT_EQ(renames, 1);
}

TEST(MaildirDelivery, WithoutNoReplaceRenamesItLinksAndNeverReplaces) {
  TempDir dir;
  std::string root = dir.path() + "/a";
  ASSERT_TRUE(deliver("first", {{root}}, options())[0]);
  FaultGuard guard;
  // As on NFS: no RENAME_NOREPLACE.
  guard.faults.on_rename = rename_by_path([](const char*, const char*) {
    errno = EINVAL;
    return -1;
  });
  auto r = deliver("second", {{root}}, options());
  ASSERT_TRUE(r[0]) << r[0].error().describe();
  EXPECT_EQ(read_all(root + "/new/" + *r[0]), "second");
  EXPECT_TRUE(entries(root + "/tmp").empty());
  // A name that is taken is never replaced: a fresh one is drawn.
  static std::string taken;
  taken = root + "/new/" + *r[0];
  guard.reset();
  guard.faults.on_rename = rename_by_path([](const char* from, const char* to) {
    static bool once = true;
    if (once) {
      once = false;
      return real_rename_noreplace(from, taken.c_str());  // EEXIST
    }
    return real_rename_noreplace(from, to);
  });
  auto third = deliver("third", {{root}}, options());
  ASSERT_TRUE(third[0]);
  EXPECT_EQ(read_all(taken), "second");
  EXPECT_EQ(read_all(root + "/new/" + *third[0]), "third");
  EXPECT_EQ(entries(root + "/new").size(), 3u);
}

TEST(MaildirDelivery, AMaildirWhoseNewWasRemovedGetsItBack) {
  TempDir dir;
  std::string root = dir.path() + "/a";
  ASSERT_TRUE(deliver("first", {{root}}, options())[0]);
  fs::remove_all(root + "/new");
  fs::remove_all(root + "/cur");
  auto r = deliver("second", {{root}}, options());
  ASSERT_TRUE(r[0]) << r[0].error().describe();
  EXPECT_EQ(read_all(root + "/new/" + *r[0]), "second");
  EXPECT_TRUE(fs::is_directory(root + "/cur"));
  EXPECT_EQ(mode_of(root + "/new"), 0700u);
}

// Holds the first fsync of one folder (named by path) until released, and
// counts the fsyncs of that folder.
std::string g_held_folder;
std::atomic<int> g_held_fsyncs{0};
std::promise<void> g_release;
std::shared_future<void> g_released;
int holding_fsync_of_one_folder(int fd) {
  std::string link = "/proc/self/fd/" + std::to_string(fd);
  std::array<char, 4096> target{};
  ssize_t n = ::readlink(link.c_str(), target.data(), target.size() - 1);
  if (n > 0 && std::string(target.data(), static_cast<size_t>(n)) == g_held_folder) {
    if (g_held_fsyncs.fetch_add(1) == 0) g_released.wait();
  }
  return ::fsync(fd);
}

// A second delivery to a Maildir that a first one is still creating (its
// folders exist but are not yet durable) must not succeed before they are:
// it fsyncs the same folders itself.
TEST(MaildirDelivery, ASecondDeliveryToAMaildirBeingCreatedMakesItsFoldersDurableToo) {
  TempDir dir;
  std::string root = dir.path() + "/example.org/a";
  g_held_folder = fs::canonical(dir.path()).string() + "/example.org";
  g_held_fsyncs = 0;
  g_release = std::promise<void>();
  g_released = g_release.get_future().share();
  FaultGuard guard;
  guard.faults.on_fsync = holding_fsync_of_one_folder;
  std::thread first([&] { EXPECT_TRUE(deliver("first", {{root}}, options())[0]); });
  while (g_held_fsyncs.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  // The first delivery now waits in the fsync of example.org, which holds
  // the new Maildir's name.
  auto second = deliver("second", {{root}}, options());
  EXPECT_TRUE(second[0]);
  EXPECT_EQ(g_held_fsyncs.load(), 2);
  g_release.set_value();
  first.join();
  EXPECT_EQ(entries(root + "/new").size(), 2u);
  // Once the first is done, later deliveries cost no folder fsync but new/'s.
  ASSERT_TRUE(deliver("third", {{root}}, options())[0]);
  EXPECT_EQ(g_held_fsyncs.load(), 2);
}

// A crash after any step of a delivery, followed by a power loss (what was
// not fsynced is gone): a delivery that returned success is whole in new/ of
// every target; one that did not leaves no partial message visible. Run for
// a first delivery (Maildirs created) and a later one, one and two targets.
TEST(MaildirDelivery, ACrashAfterAnyStepLosesNothingAcknowledged) {
  const std::string message = "Subject: durable\n\nbody\n";
  for (bool existing : {false, true}) {
    for (size_t targets : {1u, 2u}) {
      int total = 0;
      for (int step = 0; total == 0 || step <= total; ++step) {
        TempDir dir;
        std::vector<MaildirTarget> to;
        for (size_t i = 0; i < targets; ++i) {
          to.push_back({dir.path() + "/example.org/u" + std::to_string(i)});
        }
        if (existing) {
          for (const auto& r : deliver("before", to, options())) ASSERT_TRUE(r);
        }
        FaultGuard guard;
        if (total == 0) {
          // First run: count the steps of a whole delivery.
          auto results = deliver(message, to, options());
          for (const auto& r : results) ASSERT_TRUE(r);
          total = guard.faults.steps();
          ASSERT_GT(total, 3);
          continue;
        }
        guard.faults.crash_after(step);
        auto results = deliver(message, to, options());
        guard.faults.lose_unsynced(dir.path());
        for (size_t i = 0; i < targets; ++i) {
          const std::string new_dir = to[i].path + "/new";
          size_t whole = 0;
          for (const std::string& name : entries(new_dir)) {
            const std::string content = read_all(new_dir + "/" + name);
            if (content == "before") continue;
            EXPECT_EQ(content, message) << "step " << step << ": a partial message is visible";
            ++whole;
          }
          if (results[i]) {
            EXPECT_EQ(whole, 1u) << "step " << step << " of " << total << ", target " << i
                                 << (existing ? ", existing Maildir" : ", new Maildir")
                                 << ": acknowledged but lost";
          }
        }
        if (step >= total) {
          for (const auto& r : results) EXPECT_TRUE(r) << "step " << step;
        }
      }
    }
  }
}

TEST(MaildirDelivery, NoTargetsIsNoWork) { EXPECT_TRUE(deliver("x", {}, options()).empty()); }

}  // namespace
}  // namespace hm::store::maildir
