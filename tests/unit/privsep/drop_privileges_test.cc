#include "privsep/drop_privileges.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "../common/needs_root.h"
#include "base/unique_fd.h"

namespace hm::privsep {
namespace {

namespace fs = std::filesystem;

uid_t owner(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
  return st.st_uid;
}

// What root hands to vmail at `serve`'s start, in a folder vmail can write:
// its own files and folders, never what a link or a second hard link leads
// to, nor a FIFO or device.
TEST(ChownIfRootOwnedTest, GivesFilesAndFoldersButNothingALinkReaches) {
  HM_NEEDS_ROOT("to chown");
  const passwd* nobody = ::getpwnam("nobody");
  ASSERT_NE(nobody, nullptr);
  RunAs run_as{"nobody", "nogroup", nobody->pw_uid, nobody->pw_gid};

  char tmpl[] = "/tmp/hm-chown-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  const std::string outside = dir + "/outside";  // root's, as /etc is
  fs::create_directories(outside + "/folder");
  std::ofstream(outside + "/shadow") << "root's";
  const std::string queue = dir + "/queue";
  fs::create_directory(queue);
  std::ofstream(queue + "/own.env") << "ours";
  fs::create_directory(queue + "/own-folder");
  fs::create_symlink(outside + "/shadow", queue + "/link-to-file");
  fs::create_directory_symlink(outside + "/folder", queue + "/link-to-folder");
  fs::create_hard_link(outside + "/shadow", queue + "/hard-link");
  ASSERT_EQ(::mkfifo((queue + "/fifo").c_str(), 0600), 0);

  UniqueFd fd(::open(queue.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(fd.valid());
  Status s = chown_if_root_owned(
      fd.get(), queue,
      {"own.env", "own-folder", "link-to-file", "link-to-folder", "hard-link", "fifo", "missing"},
      run_as);
  ASSERT_TRUE(s) << s.error().describe();
  EXPECT_EQ(owner(queue + "/own.env"), run_as.uid);
  EXPECT_EQ(owner(queue + "/own-folder"), run_as.uid);
  EXPECT_EQ(owner(queue + "/fifo"), 0u);
  EXPECT_EQ(owner(queue + "/link-to-file"), 0u);
  EXPECT_EQ(owner(outside + "/shadow"), 0u);
  EXPECT_EQ(owner(outside + "/folder"), 0u);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace hm::privsep
