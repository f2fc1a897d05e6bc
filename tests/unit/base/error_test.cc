#include "base/error.h"

#include <gtest/gtest.h>

#include "base/result.h"

namespace hm {
namespace {

TEST(Error, DescribeAddsTheDetailOnlyWhenThereIsOne) {
  EXPECT_EQ(Error(ErrorKind::kInvalid, "bad address").describe(), "bad address");
  EXPECT_EQ(Error(ErrorKind::kAuthFailed, "authentication failed", "wrong password").describe(),
            "authentication failed (wrong password)");
}

TEST(Error, PrefixAddsContextInFrontOfTheMessageNotTheDetail) {
  Error e(ErrorKind::kInvalid, "unknown key", "line 3");
  e.prefix("reading hostmail.toml");
  EXPECT_EQ(e.message(), "reading hostmail.toml: unknown key");
  EXPECT_EQ(e.detail(), "line 3");
}

TEST(Error, OnlyTemporaryIsTemporary) {
  EXPECT_TRUE(Error(ErrorKind::kTemporary, "x").temporary());
  for (ErrorKind k : {ErrorKind::kNotFound, ErrorKind::kPermission, ErrorKind::kInternal,
                      ErrorKind::kInvalid, ErrorKind::kLoop}) {
    EXPECT_FALSE(Error(k, "x").temporary()) << to_string(k);
  }
}

// The SMTP session and the queue turn errors into replies with these: a
// temporary failure must never become a 5xx, and the recipient errors must
// carry the RFC 3463 codes a sender's MTA acts on.
TEST(Error, SmtpCodesFollowTheKind) {
  struct Case {
    ErrorKind kind;
    int code;
    std::string_view enhanced;
  };
  for (const Case& c :
       {Case{ErrorKind::kTemporary, 451, "4.3.0"}, Case{ErrorKind::kInternal, 451, "4.3.0"},
        Case{ErrorKind::kNotFound, 550, "5.1.1"}, Case{ErrorKind::kPermission, 554, "5.7.1"},
        Case{ErrorKind::kAuthFailed, 535, "5.7.8"}, Case{ErrorKind::kLimit, 550, "5.5.3"},
        Case{ErrorKind::kInvalid, 501, "5.1.3"},
        Case{ErrorKind::kOverQuota, 552, "5.2.2"}, Case{ErrorKind::kLoop, 550, "5.4.6"}}) {
    Error e(c.kind, "x");
    EXPECT_EQ(e.smtp_code(), c.code) << to_string(c.kind);
    EXPECT_EQ(e.smtp_enhanced_code(), c.enhanced) << to_string(c.kind);
    // The class of the enhanced code agrees with the reply code's.
    EXPECT_EQ(e.smtp_enhanced_code()[0] - '0', e.smtp_code() / 100) << to_string(c.kind);
  }
}

Status fails_with(ErrorKind kind) { return fail(kind, "inner"); }

Status passes_on(ErrorKind kind, bool& reached_end) {
  HM_TRY(fails_with(kind));
  reached_end = true;
  return ok();
}

TEST(Result, TryReturnsTheFirstErrorUnchanged) {
  bool reached_end = false;
  Status s = passes_on(ErrorKind::kLimit, reached_end);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().kind(), ErrorKind::kLimit);
  EXPECT_EQ(s.error().message(), "inner");
  EXPECT_FALSE(reached_end);
}

}  // namespace
}  // namespace hm
