#include "directory/system_aliases.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace hm::directory {
namespace {

using Strings = std::vector<std::string>;

TEST(SystemAliases, ReadsDebiansFormatWithContinuationsAndComments) {
  auto parsed = parse_system_aliases(
      "# /etc/aliases\n"
      "mailer-daemon: postmaster\n"
      "postmaster: root\n"
      "Root: Alice, ops@example.org,\n"
      "\tbob\n"
      "\n"
      "abuse:\\root\r\n");
  EXPECT_TRUE(parsed.skipped.empty());
  EXPECT_EQ(parsed.aliases["postmaster"], (Strings{"root"}));
  EXPECT_EQ(parsed.aliases["root"], (Strings{"alice", "ops@example.org", "bob"}));
  EXPECT_EQ(parsed.aliases["abuse"], (Strings{"root"}));
  EXPECT_EQ(parsed.aliases["mailer-daemon"], (Strings{"postmaster"}));
}

// Commands, files and includes are never followed: each one skipped is said,
// with its line.
TEST(SystemAliases, CommandsFilesAndIncludesAreSkippedWithTheirLine) {
  auto parsed = parse_system_aliases(
      "list: |/usr/bin/list-handler, admin\n"
      "log: /var/log/mail.copy\n"
      "many: :include:/etc/mail/many\n"
      "broken line without colon\n"
      "Bad Name: root\n");
  EXPECT_EQ(parsed.aliases["list"], (Strings{"admin"}));
  EXPECT_FALSE(parsed.aliases.contains("log"));
  EXPECT_FALSE(parsed.aliases.contains("many"));
  ASSERT_EQ(parsed.skipped.size(), 7u);  // log and many: the target, then the empty entry
  EXPECT_NE(parsed.skipped[0].find("line 1"), std::string::npos);
  EXPECT_NE(parsed.skipped[0].find("not followed"), std::string::npos);
  EXPECT_NE(parsed.skipped[5].find("line 4"), std::string::npos);
}

TEST(SystemAliases, AMissingFileIsAnEmptyTable) {
  auto loaded = load_system_aliases("/nonexistent/hostmail-test/aliases");
  ASSERT_TRUE(loaded) << loaded.error().describe();
  EXPECT_TRUE(loaded->aliases.empty());
}

// Read as root at start-up: a link in its place is refused, not followed.
TEST(SystemAliases, ALinkInPlaceOfTheFileIsNotFollowed) {
  char tmpl[] = "/tmp/hm-aliases-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  {
    std::ofstream real(dir + "/real");
    real << "root: secret-looking-line\n";
  }
  ASSERT_EQ(::symlink((dir + "/real").c_str(), (dir + "/aliases").c_str()), 0);
  auto linked = load_system_aliases(dir + "/aliases");
  EXPECT_FALSE(linked);
  auto direct = load_system_aliases(dir + "/real");
  ASSERT_TRUE(direct) << direct.error().describe();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace hm::directory
