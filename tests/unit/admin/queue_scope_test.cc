#include "admin/queue_scope.h"

#include <gtest/gtest.h>

namespace hm::admin {
namespace {

using queue::QueuedRecipient;
using State = QueuedRecipient::State;

QueuedRecipient rcpt(const std::string& address, const std::string& original = "",
                     State state = State::kPending) {
  QueuedRecipient r;
  r.address = address;
  r.original = original.empty() ? address : original;
  r.state = state;
  return r;
}

queue::QueueEntry entry(const std::string& sender, std::vector<QueuedRecipient> recipients) {
  queue::QueueEntry e;
  e.id = "1.1P1Q1R1";
  e.sender = sender;
  e.recipients = std::move(recipients);
  return e;
}

std::vector<std::string> addresses(const queue::QueueEntry& e) {
  std::vector<std::string> out;
  for (const QueuedRecipient& r : e.recipients) out.push_back(r.address);
  return out;
}

const std::vector<std::string> kMine = {"one.example", "three.example"};

TEST(QueueScope, MailFromTheirDomainIsSeenWhole) {
  auto e = entry("joe@ONE.example", {rcpt("a@two.example"), rcpt("b@far.example")});
  auto view = tenant_view(e, kMine);
  ASSERT_TRUE(view);
  EXPECT_EQ(addresses(*view), (std::vector<std::string>{"a@two.example", "b@far.example"}));
  EXPECT_TRUE(tenant_may_delete(e, kMine));
}

TEST(QueueScope, MailToTheirDomainShowsOnlyTheirRecipients) {
  auto e = entry("x@far.example", {rcpt("a@two.example"), rcpt("b@one.example"),
                                   rcpt("c@far.example", "list@three.example")});
  auto view = tenant_view(e, kMine);
  ASSERT_TRUE(view);
  EXPECT_EQ(view->sender, "x@far.example");
  EXPECT_EQ(addresses(*view), (std::vector<std::string>{"b@one.example", "c@far.example"}));
  // a@two.example still waits: not theirs to delete.
  EXPECT_FALSE(tenant_may_delete(e, kMine));
  e.recipients[0].state = State::kDelivered;
  EXPECT_TRUE(tenant_may_delete(e, kMine));
  e.recipients[0].state = State::kFailed;  // its bounce not sent yet
  EXPECT_FALSE(tenant_may_delete(e, kMine));
}

TEST(QueueScope, OtherMailIsNotSeen) {
  // Neither the null sender nor a bare local name is in a domain.
  auto e = entry("", {rcpt("a@two.example"), rcpt("postmaster", "postmaster@two.example")});
  EXPECT_FALSE(tenant_view(e, kMine));
  EXPECT_FALSE(tenant_may_delete(e, kMine));
  EXPECT_FALSE(tenant_view(entry("joe@one.example.evil", {rcpt("a@two.example")}), kMine));
  EXPECT_FALSE(tenant_view(entry("joe@one.example", {rcpt("a@two.example")}), {}));
  // A bounce to their user is theirs.
  EXPECT_TRUE(tenant_view(entry("", {rcpt("joe@one.example")}), kMine));
}

}  // namespace
}  // namespace hm::admin
