#include "store/maildir/tmp_cleanup.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "store/maildir/maildir_delivery.h"

namespace hm::store::maildir {
namespace {

namespace fs = std::filesystem;
using std::chrono::hours;
using std::chrono::system_clock;

class TmpCleanupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "hm-tmpclean-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    maildir_ = dir_ + "/example.org/john";
    for (const char* sub : {"cur", "new", "tmp"}) fs::create_directories(maildir_ + "/" + sub);
  }
  void TearDown() override {
    tmp_cleanup().now = TmpCleanup::real_clock();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::string file(const std::string& path) {
    std::ofstream(path) << "left over\n";
    return path;
  }
  // Sets a file's access and modification times `ahead` from now (its
  // change time cannot be set: it is now).
  static void touch_ahead(const std::string& path, hours ahead) {
    const auto t = system_clock::to_time_t(system_clock::now() + ahead);
    const timespec times[2] = {{t, 0}, {t, 0}};
    ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
  }

  std::string dir_;
  std::string maildir_;
};

TEST_F(TmpCleanupTest, RemovesOnlyRegularFilesUntouchedFor36Hours) {
  const std::string stale = file(maildir_ + "/tmp/1.M1P1.crashed");
  const std::string recent = file(maildir_ + "/tmp/2.M2P2.writing");
  touch_ahead(recent, hours(10));  // touched 26 hours before the `now` below
  const std::string outside = file(dir_ + "/precious");
  ASSERT_EQ(::symlink(outside.c_str(), (maildir_ + "/tmp/link").c_str()), 0);
  fs::create_directory(maildir_ + "/tmp/folder");
  const std::string in_new = file(maildir_ + "/new/3.M3P3.host");

  EXPECT_EQ(clean_tmp(maildir_, system_clock::now() + hours(35)), 0u);
  EXPECT_TRUE(fs::exists(stale));
  EXPECT_EQ(clean_tmp(maildir_, system_clock::now() + hours(37)), 1u);
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::exists(recent));
  EXPECT_TRUE(fs::exists(outside));
  EXPECT_TRUE(fs::is_symlink(maildir_ + "/tmp/link"));
  EXPECT_TRUE(fs::is_directory(maildir_ + "/tmp/folder"));
  EXPECT_TRUE(fs::exists(in_new));
}

TEST_F(TmpCleanupTest, DoesNotFollowALinkedTmpFolder) {
  const std::string elsewhere = dir_ + "/elsewhere";
  fs::create_directory(elsewhere);
  const std::string victim = file(elsewhere + "/victim");
  fs::remove(maildir_ + "/tmp");
  fs::create_directory_symlink(elsewhere, maildir_ + "/tmp");
  EXPECT_EQ(clean_tmp(maildir_, system_clock::now() + hours(100)), 0u);
  EXPECT_TRUE(fs::exists(victim));
}

system_clock::time_point fake_now;

TEST_F(TmpCleanupTest, DeliveryCleansAtFirstAndThenAtMostOnceADay) {
  fake_now = system_clock::now() + hours(40);  // every file made now is stale then
  tmp_cleanup().now = [] { return fake_now; };
  const std::string maildir = dir_ + "/example.org/mary";
  for (const char* sub : {"cur", "new", "tmp"}) fs::create_directories(maildir + "/" + sub);
  const std::string first = file(maildir + "/tmp/1.crashed");
  DeliveryOptions options;
  options.hostname = "mx.example.org";
  ASSERT_TRUE(deliver("Subject: a\r\n\r\nx\r\n", {{maildir}}, options)[0]);
  EXPECT_FALSE(fs::exists(first));  // the first delivery of this process cleans

  const std::string second = file(maildir + "/tmp/2.crashed");
  fake_now += hours(23);
  ASSERT_TRUE(deliver("Subject: b\r\n\r\nx\r\n", {{maildir}}, options)[0]);
  EXPECT_TRUE(fs::exists(second));  // not again within the day
  fake_now += hours(2);
  ASSERT_TRUE(deliver("Subject: c\r\n\r\nx\r\n", {{maildir}}, options)[0]);
  EXPECT_FALSE(fs::exists(second));
  // What deliver() itself wrote went to new/, nothing stays in tmp/.
  EXPECT_TRUE(fs::is_empty(maildir + "/tmp"));
  EXPECT_EQ(std::distance(fs::directory_iterator(maildir + "/new"), fs::directory_iterator()), 3);
}

}  // namespace
}  // namespace hm::store::maildir
