#include "admin/authorizer.h"

#include <gtest/gtest.h>

namespace hm::admin {
namespace {

Principal superuser() { return {Principal::Kind::kSuperuser, "admin", {}}; }
Principal postmaster() { return {Principal::Kind::kVirtual, "pm@one.example", {"one.example"}}; }
Principal user() { return {Principal::Kind::kVirtual, "joe@one.example", {}}; }

TEST(Authorizer, SuperuserMayDoEverything) {
  for (int op = 0; op <= static_cast<int>(Operation::kQueueDelete); ++op) {
    EXPECT_TRUE(authorize(superuser(), static_cast<Operation>(op), "any.example", "x@any.example"));
    EXPECT_TRUE(authorize(superuser(), static_cast<Operation>(op), ""));
  }
}

TEST(Authorizer, PostmasterInsideTheirDomain) {
  for (Operation op :
       {Operation::kAccountAdd, Operation::kAccountDelete, Operation::kAccountPassword,
        Operation::kAccountShow, Operation::kAliasAdd, Operation::kAliasDelete,
        Operation::kPostmasterGrant, Operation::kPostmasterRevoke}) {
    EXPECT_TRUE(authorize(postmaster(), op, "one.example", "new@one.example")) << to_string(op);
  }
  EXPECT_TRUE(authorize(postmaster(), Operation::kAccountList, "one.example"));
  EXPECT_TRUE(authorize(postmaster(), Operation::kAliasAdd, "one.example", "@one.example"));
}

TEST(Authorizer, PostmasterNeverOutsideTheirDomain) {
  auto r = authorize(postmaster(), Operation::kAccountAdd, "two.example", "x@two.example");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind(), ErrorKind::kPermission);
  EXPECT_NE(r.error().message().find("two.example"), std::string::npos);
  // A target in another domain, even when the named domain is theirs.
  EXPECT_FALSE(
      authorize(postmaster(), Operation::kPostmasterGrant, "one.example", "friend@two.example"));
  EXPECT_FALSE(authorize(postmaster(), Operation::kAccountList, ""));
}

TEST(Authorizer, PostmasterNeverCreatesOrDeletesDomains) {
  EXPECT_FALSE(authorize(postmaster(), Operation::kDomainAdd, "new.example"));
  EXPECT_FALSE(authorize(postmaster(), Operation::kDomainDelete, "one.example"));
  EXPECT_FALSE(authorize(postmaster(), Operation::kTreeImport, ""));
  EXPECT_FALSE(authorize(postmaster(), Operation::kTreeExport, ""));
}

TEST(Authorizer, UserMayOnlyChangeOwnPassword) {
  EXPECT_TRUE(authorize(user(), Operation::kAccountPassword, "one.example", "joe@one.example"));
  EXPECT_TRUE(authorize(user(), Operation::kAccountShow, "one.example", "joe@one.example"));
  EXPECT_FALSE(authorize(user(), Operation::kAccountPassword, "one.example", "pm@one.example"));
  EXPECT_FALSE(authorize(user(), Operation::kAccountAdd, "one.example", "x@one.example"));
  EXPECT_FALSE(authorize(user(), Operation::kAliasList, "one.example"));
  EXPECT_FALSE(authorize(user(), Operation::kAccountDelete, "one.example", "joe@one.example"));
}

TEST(Authorizer, QueueForTheSuperuserAndPostmastersOnly) {
  for (Operation op : {Operation::kQueueList, Operation::kQueueRetry, Operation::kQueueDelete}) {
    EXPECT_TRUE(authorize(postmaster(), op, "")) << to_string(op);
    EXPECT_TRUE(authorize(postmaster(), op, "one.example")) << to_string(op);
    EXPECT_FALSE(authorize(postmaster(), op, "two.example")) << to_string(op);
    auto refused = authorize(user(), op, "");
    ASSERT_FALSE(refused) << to_string(op);
    EXPECT_EQ(refused.error().kind(), ErrorKind::kPermission);
  }
}

}  // namespace
}  // namespace hm::admin
