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
