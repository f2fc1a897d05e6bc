#include "privsep/local_user.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "../common/needs_root.h"
#include "privsep/privsep_client.h"
#include "test_user.h"

namespace hm::privsep {
namespace {

using testing::TestHome;

int exited(int code) { return code << 8; }  // a wait status for exit(code)

TEST(MapCommandStatusTest, ZeroIsSuccess) {
  EXPECT_TRUE(map_command_status(exited(0), "/usr/bin/procmail", ""));
}

TEST(MapCommandStatusTest, PermanentCodesAsPostfixLocal) {
  struct Case {
    int code;
    ErrorKind kind;
  } cases[] = {{67, ErrorKind::kNotFound},
               {77, ErrorKind::kPermission},
               {65, ErrorKind::kInvalid},
               {68, ErrorKind::kInvalid}};
  for (const Case& c : cases) {
    Status s = map_command_status(exited(c.code), "/usr/bin/procmail", "no such user here\nmore");
    ASSERT_FALSE(s) << c.code;
    EXPECT_EQ(s.error().kind(), c.kind) << c.code;
    EXPECT_FALSE(s.error().temporary()) << c.code;
    EXPECT_NE(s.error().message().find(std::to_string(c.code)), std::string::npos);
    EXPECT_NE(s.error().message().find("no such user here"), std::string::npos);
    EXPECT_EQ(s.error().message().find("more"), std::string::npos);  // first line only
  }
}

TEST(MapCommandStatusTest, EverythingElseIsTemporary) {
  for (int code : {1, 2, 64, 66, 69, 70, 71, 72, 73, 74, 75, 76, 78, 126, 127, 255}) {
    Status s = map_command_status(exited(code), "/bin/cmd", "");
    ASSERT_FALSE(s) << code;
    EXPECT_TRUE(s.error().temporary()) << code;
  }
  Status tempfail = map_command_status(exited(75), "/bin/cmd", "");
  EXPECT_NE(tempfail.error().message().find("EX_TEMPFAIL"), std::string::npos);
  Status killed = map_command_status(SIGKILL, "/bin/cmd", "");  // WIFSIGNALED
  ASSERT_FALSE(killed);
  EXPECT_TRUE(killed.error().temporary());
  EXPECT_NE(killed.error().message().find("signal 9"), std::string::npos);
}

TEST(SplitCommandTest, SplitsAtBlanks) {
  EXPECT_EQ(split_command("  /usr/bin/procmail\t-a  x "),
            (std::vector<std::string>{"/usr/bin/procmail", "-a", "x"}));
  EXPECT_TRUE(split_command(" \t").empty());
}

TEST(LookupLocalUserTest, RefusesRootUnknownAndBadNames) {
  auto root = lookup_local_user("root");
  ASSERT_FALSE(root);
  EXPECT_EQ(root.error().kind(), ErrorKind::kPermission);
  EXPECT_NE(root.error().message().find("uid 0"), std::string::npos);

  auto unknown = lookup_local_user("hm-no-such-user-x7");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().kind(), ErrorKind::kNotFound);

  for (const char* bad : {"", "a/b", "-x", "a b", "a:b"}) {
    auto r = lookup_local_user(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().kind(), ErrorKind::kInvalid) << bad;
  }
}

TEST(LookupLocalUserTest, FindsAnOrdinaryUser) {
  auto nobody = lookup_local_user("nobody");
  ASSERT_TRUE(nobody) << nobody.error().describe();
  EXPECT_NE(nobody->uid, 0u);
  EXPECT_FALSE(nobody->home.empty());
}

class DeliverToLocalUserTest : public ::testing::Test {
 protected:
  LocalDeliverySettings settings() const {
    LocalDeliverySettings s;
    s.hostname = "test.example";
    return s;
  }
  // Delivers `text` through a sealed memfd, as the helper receives it.
  Result<std::string> deliver(const std::string& text, const LocalDeliverySettings& s) {
    auto fd = make_sealed_memfd(text);
    EXPECT_TRUE(fd);
    LocalMessage m{*fd, "sender@example.org", "rcpt@localhost"};
    auto r = deliver_to_local_user(home_.user(), m, s);
    ::close(*fd);
    return r;
  }
  TestHome home_;
};

TEST_F(DeliverToLocalUserTest, WritesTheUsersMaildirAsTheUser) {
  const std::string text = "Return-Path: <sender@example.org>\nSubject: hi\n\nbody\n";
  auto name = deliver(text, settings());
  ASSERT_TRUE(name) << name.error().describe();
  std::string path = home_.home() + "/Maildir/new/" + *name;
  EXPECT_EQ(TestHome::read(path), text);
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, home_.user().uid);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  for (const char* sub : {"tmp", "cur"}) {
    EXPECT_TRUE(std::filesystem::is_directory(home_.home() + "/Maildir/" + sub));
  }
}

// Issue 11.2, the helper's own guard: whatever it is asked, nothing is
// written or run with a system account's uid.
TEST_F(DeliverToLocalUserTest, ASystemAccountGetsNothingWhoeverAsks) {
  LocalDeliverySettings s = settings();
  s.first_valid_uid = home_.user().uid + 1;
  s.mailbox_command = home_.script("deliver.sh", "cat > \"$HOME/got\"\n");
  auto r = deliver("Subject: x\n\nline\n", s);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind(), ErrorKind::kPermission);
  EXPECT_NE(r.error().message().find("system account"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(home_.home() + "/got"));
  s.mailbox_command.clear();
  EXPECT_FALSE(deliver("Subject: x\n\nline\n", s));
  EXPECT_FALSE(std::filesystem::exists(home_.home() + "/Maildir"));
}

TEST_F(DeliverToLocalUserTest, RunsTheMailboxCommandWithTheEnvironment) {
  LocalDeliverySettings s = settings();
  s.mailbox_command = home_.script(
      "deliver.sh",
      "cat > \"$HOME/got\"\n"
      "echo \"$SENDER|$RECIPIENT|$USER|$LOGNAME|$HOME|$SHELL|$PATH|$(pwd)|$(id -u)\" > "
      "\"$HOME/env\"\n");
  auto r = deliver("Subject: x\n\nline\n", s);
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(TestHome::read(home_.home() + "/got"), "Subject: x\n\nline\n");
  const LocalUser& u = home_.user();
  EXPECT_EQ(TestHome::read(home_.home() + "/env"),
            "sender@example.org|rcpt@localhost|" + u.name + "|" + u.name + "|" + u.home +
                "|/bin/sh|/usr/bin:/bin|" + u.home + "|" + std::to_string(u.uid) + "\n");
}

TEST_F(DeliverToLocalUserTest, CommandExitStatusDecides) {
  LocalDeliverySettings s = settings();
  s.mailbox_command = home_.script("tempfail.sh", "echo 'mailbox locked' >&2\nexit 75\n");
  auto temp = deliver("x\n", s);
  ASSERT_FALSE(temp);
  EXPECT_TRUE(temp.error().temporary());
  EXPECT_NE(temp.error().message().find("mailbox locked"), std::string::npos);

  s.mailbox_command = home_.script("nouser.sh", "exit 67\n");
  auto perm = deliver("x\n", s);
  ASSERT_FALSE(perm);
  EXPECT_EQ(perm.error().kind(), ErrorKind::kNotFound);

  s.mailbox_command = home_.home() + "/does-not-exist";
  auto missing = deliver("x\n", s);
  ASSERT_FALSE(missing);
  EXPECT_TRUE(missing.error().temporary());

  s.mailbox_command = "relative/procmail";
  auto relative = deliver("x\n", s);
  ASSERT_FALSE(relative);
  EXPECT_TRUE(relative.error().temporary());
}

TEST_F(DeliverToLocalUserTest, CommandTimeoutIsTemporary) {
  LocalDeliverySettings s = settings();
  s.command_timeout = std::chrono::seconds(1);
  s.mailbox_command = home_.script("slow.sh", "sleep 30\n");
  auto start = std::chrono::steady_clock::now();
  auto r = deliver("x\n", s);
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().temporary());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

// The user owns ~ and may point ~/Maildir anywhere: the helper, root, writes
// there only in a child that already is the user, so a link to a folder of
// root's reaches nothing the user could not write anyway.
TEST_F(DeliverToLocalUserTest, AMaildirLinkedToRootsFolderGetsNothing) {
  HM_NEEDS_ROOT("to deliver as another user");
  char tmpl[] = "/tmp/hm-privsep-root-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string root_only = tmpl;
  ASSERT_EQ(::chmod(root_only.c_str(), 0755), 0);
  for (const char* sub : {"tmp", "new", "cur"}) {
    ASSERT_EQ(::mkdir((root_only + "/" + sub).c_str(), 0755), 0);
  }
  ASSERT_EQ(::symlink(root_only.c_str(), (home_.home() + "/Maildir").c_str()), 0);
  auto r = deliver("Subject: x\n\nbody\n", settings());
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().temporary());
  for (const char* sub : {"tmp", "new", "cur"}) {
    EXPECT_TRUE(std::filesystem::is_empty(root_only + "/" + sub)) << sub;
  }
  std::filesystem::remove_all(root_only);
}

}  // namespace
}  // namespace hm::privsep
