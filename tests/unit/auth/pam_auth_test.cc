#include "auth/pam_auth.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace hm::auth {
namespace {

// Debian's /etc/pam.d/other includes common-auth and common-account
// (pam_unix), which is also what a service without its own file gets.
constexpr std::string_view kService = "other";

int run_shell(const std::string& command) {
  int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// The shadow tools refuse to run while another one holds /etc/passwd's lock
// (tests of this suite run in parallel under ctest), so try again a while.
// `done_already` is the exit code that means an earlier try got through.
int run_account_tool(const std::string& command, int done_already = -1) {
  int rc = -1;
  for (int attempt = 0; attempt < 50; ++attempt) {
    rc = run_shell(command + " >/dev/null 2>&1");
    if (rc == 0 || (attempt > 0 && rc == done_already)) return 0;
    ::usleep(100 * 1000);
  }
  return rc;
}

// A throwaway local account, removed again in TearDown. Needs root.
class PamAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) {
      GTEST_SKIP() << "creating a test account and reading /etc/shadow needs root";
    }
    user_ = "hmtest_" + std::to_string(::getpid());
    constexpr int kUserExists = 9;
    ASSERT_EQ(run_account_tool("useradd -m -s /bin/sh " + user_, kUserExists), 0)
        << "useradd " << user_ << " failed";
    created_ = true;
    set_password(kPassword);
  }

  void TearDown() override {
    constexpr int kNoSuchUser = 6;
    if (created_) run_account_tool("userdel -r " + user_, kNoSuchUser);
  }

  void set_password(const std::string& password) {
    // The password has no quote in it; printf keeps it out of the process list.
    ASSERT_EQ(run_account_tool("printf '%s:%s\\n' " + user_ + " '" + password + "' | chpasswd"), 0)
        << "chpasswd failed";
  }

  const std::string kPassword = "Tr0ub4dor&3 horse";
  std::string user_;
  bool created_ = false;
};

TEST_F(PamAuthTest, RightPasswordIsAccepted) {
  auto r = pam_check_password(kService, user_, kPassword);
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_TRUE(*r);
}

TEST_F(PamAuthTest, WrongPasswordIsRefused) {
  for (const std::string& wrong :
       {std::string("Tr0ub4dor&3 horsE"), std::string(""), kPassword.substr(0, 5)}) {
    auto r = pam_check_password(kService, user_, wrong);
    ASSERT_TRUE(r) << r.error().describe();
    EXPECT_FALSE(*r) << "'" << wrong << "'";
  }
}

TEST_F(PamAuthTest, UnknownUserIsRefused) {
  auto r = pam_check_password(kService, user_ + "_nobody", kPassword);
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_FALSE(*r);
}

TEST_F(PamAuthTest, LockedAccountIsRefused) {
  ASSERT_EQ(run_account_tool("usermod -L " + user_), 0);
  auto r = pam_check_password(kService, user_, kPassword);
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_FALSE(*r);
}

TEST_F(PamAuthTest, ExpiredAccountIsRefusedByAccountManagement) {
  // Expired on 2 January 1970: the password is right, pam_acct_mgmt says no.
  ASSERT_EQ(run_account_tool("usermod -e 1970-01-02 " + user_), 0);
  auto r = pam_check_password(kService, user_, kPassword);
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_FALSE(*r);
}

TEST(PamAuthArgumentsTest, NulBytesAndEmptyNamesAreInvalid) {
  auto nul = pam_check_password(kService, std::string_view("root\0x", 6), "x");
  ASSERT_FALSE(nul);
  EXPECT_EQ(nul.error().kind(), ErrorKind::kInvalid);
  auto empty_user = pam_check_password(kService, "", "x");
  ASSERT_FALSE(empty_user);
  EXPECT_EQ(empty_user.error().kind(), ErrorKind::kInvalid);
  auto empty_service = pam_check_password("", "root", "x");
  ASSERT_FALSE(empty_service);
  EXPECT_EQ(empty_service.error().kind(), ErrorKind::kInvalid);
}

}  // namespace
}  // namespace hm::auth
