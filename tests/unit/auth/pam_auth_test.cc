#include "auth/pam_auth.h"

#include <gtest/gtest.h>

#include <string>

#include "../common/local_account.h"
#include "../common/needs_root.h"

namespace hm::auth {
namespace {

// Debian's /etc/pam.d/other includes common-auth and common-account
// (pam_unix), which is also what a service without its own file gets.
constexpr std::string_view kService = "other";

using hm::testing::run_account_tool;

// A throwaway local account, removed again when the test ends.
class PamAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HM_NEEDS_ROOT("creating a test account and reading /etc/shadow");
    ASSERT_TRUE(account_.create(kPassword)) << "useradd or chpasswd " << user_ << " failed";
  }

  const std::string kPassword = "Tr0ub4dor&3 horse";
  hm::testing::LocalAccount account_{"hmtest_"};
  const std::string& user_ = account_.name();
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
