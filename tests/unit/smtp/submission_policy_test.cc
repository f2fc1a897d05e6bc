#include "smtp/submission_policy.h"

#include <gtest/gtest.h>

#include "smtp/rate_limiter.h"

namespace hm::smtp {
namespace {

using directory::Destination;
using directory::Principal;
using directory::Resolution;

Principal virtual_user(const std::string& address, std::vector<std::string> postmaster_of = {}) {
  Principal p;
  p.kind = Principal::Kind::kVirtual;
  p.name = address;
  p.postmaster_of = std::move(postmaster_of);
  return p;
}

Resolution resolved(const std::string& address, std::vector<Destination> to, bool hosted = true) {
  Resolution r;
  r.address = address;
  r.hosted = hosted;
  r.destinations = std::move(to);
  return r;
}

Destination to_virtual(const std::string& address) {
  Destination d;
  d.kind = Destination::Kind::kVirtual;
  d.address = address;
  return d;
}

Destination to_local(const std::string& user) {
  Destination d;
  d.kind = Destination::Kind::kLocal;
  d.address = user;
  return d;
}

TEST(SenderBelongs, OwnAddressAndAliasesThatDeliverToTheUser) {
  const SubmissionPolicy policy;
  const Principal john = virtual_user("john@example.org");
  EXPECT_TRUE(
      sender_belongs(john, resolved("john@example.org", {to_virtual("john@example.org")}), policy));
  EXPECT_TRUE(sender_belongs(john,
                             resolved("team@example.org", {to_virtual("mary@example.org"),
                                                           to_virtual("john@example.org")}),
                             policy));
  EXPECT_FALSE(
      sender_belongs(john, resolved("mary@example.org", {to_virtual("mary@example.org")}), policy));
  EXPECT_FALSE(sender_belongs(john, resolved("john@elsewhere.example", {}, false), policy));
}

TEST(SenderBelongs, APostmasterHasTheWholeDomainOnlyWhenConfigured) {
  SubmissionPolicy policy;
  const Principal mary = virtual_user("mary@example.org", {"example.org"});
  const Resolution other = resolved("news@example.org", {to_virtual("john@example.org")});
  EXPECT_FALSE(sender_belongs(mary, other, policy));
  EXPECT_FALSE(postmaster_may_send_as(mary, "news@example.org", policy));
  policy.postmaster_sends_as_domain = true;
  EXPECT_TRUE(sender_belongs(mary, other, policy));
  EXPECT_TRUE(postmaster_may_send_as(mary, "news@EXAMPLE.org", policy));
  EXPECT_FALSE(postmaster_may_send_as(mary, "news@other.example", policy));
}

TEST(SenderBelongs, LocalUsersOwnWhatDeliversToThemAndTheSuperuserNothing) {
  const SubmissionPolicy policy;
  Principal joe;
  joe.kind = Principal::Kind::kLocal;
  joe.name = "joe";
  EXPECT_TRUE(sender_belongs(joe, resolved("joe@host.example", {to_local("joe")}), policy));
  EXPECT_FALSE(sender_belongs(joe, resolved("ann@host.example", {to_local("ann")}), policy));
  Principal admin;
  admin.kind = Principal::Kind::kSuperuser;
  admin.name = "admin";
  EXPECT_FALSE(sender_belongs(
      admin, resolved("admin@example.org", {to_virtual("admin@example.org")}), policy));
}

TEST(SubmittedHeader, FindsMessageIdDateAndEveryFromAddress) {
  const SubmittedHeader h = read_submitted_header(
      "from: \"Doe, John\" <john@example.org>,\r\n mary@example.org\r\n"
      "Subject: x\r\nFrom: Team: sales@example.org;\r\n\r\n");
  EXPECT_FALSE(h.has_message_id);
  EXPECT_FALSE(h.has_date);
  EXPECT_EQ(h.from, (std::vector<std::string>{"john@example.org", "mary@example.org",
                                              "sales@example.org"}));
  const SubmittedHeader full =
      read_submitted_header("MESSAGE-ID: <a@b>\r\nDate: Thu, 3 Dec 2026 10:00:00 +0000\r\n\r\n");
  EXPECT_TRUE(full.has_message_id);
  EXPECT_TRUE(full.has_date);
  EXPECT_TRUE(full.from.empty());
}

TEST(SubmittedHeader, AFromWithoutAMailboxIsKeptToBeRefused) {
  const SubmittedHeader h = read_submitted_header("From: undisclosed\r\n\r\n");
  ASSERT_EQ(h.from.size(), 1u);
  EXPECT_NE(h.from[0], "");
}

TEST(MissingFields, AddsOnlyWhatIsMissing) {
  SubmittedHeader h;
  EXPECT_EQ(missing_fields(h, "123.4.5", "mx.test", "Thu, 3 Dec 2026 10:00:00 +0000"),
            "Message-ID: <123.4.5@mx.test>\r\nDate: Thu, 3 Dec 2026 10:00:00 +0000\r\n");
  h.has_message_id = true;
  h.has_date = true;
  EXPECT_EQ(missing_fields(h, "1", "mx.test", "now"), "");
}

TEST(RateLimiter, CountsPerMinutePerAccountAndPerClient) {
  RateLimiter::Options o;
  o.per_account = {2, 0};
  o.per_client = {3, 0};
  RateLimiter limiter(o);
  using What = RateLimiter::What;
  const auto t = RateLimiter::Clock::now();
  EXPECT_TRUE(limiter.admit(What::kMessage, "john@example.org", "192.0.2.1", t));
  EXPECT_TRUE(limiter.admit(What::kMessage, "john@example.org", "192.0.2.2", t));
  // john is at his two, from whichever address.
  EXPECT_FALSE(limiter.admit(What::kMessage, "john@example.org", "192.0.2.3", t));
  EXPECT_TRUE(limiter.admit(What::kMessage, "mary@example.org", "192.0.2.1", t));
  EXPECT_TRUE(limiter.admit(What::kMessage, "ann@example.org", "192.0.2.1", t));
  // 192.0.2.1 is at its three, whoever logs in there.
  EXPECT_FALSE(limiter.admit(What::kMessage, "bob@example.org", "192.0.2.1", t));
  // Recipients are not limited here; a minute later all is forgiven.
  EXPECT_TRUE(limiter.admit(What::kRecipient, "john@example.org", "192.0.2.1", t));
  EXPECT_TRUE(
      limiter.admit(What::kMessage, "john@example.org", "192.0.2.1", t + std::chrono::seconds(61)));
}

TEST(RateLimiter, MemoryIsBoundedAndAFullTableOfLiveKeysFailsClosed) {
  RateLimiter::Options o;
  o.per_client = {5, 5};
  o.max_keys = 3;
  RateLimiter limiter(o);
  using What = RateLimiter::What;
  const auto t = RateLimiter::Clock::now();
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(limiter.admit(What::kMessage, "", "192.0.2." + std::to_string(i), t));
  }
  EXPECT_FALSE(limiter.admit(What::kMessage, "", "192.0.2.9", t));
  EXPECT_EQ(limiter.size(), 3u);
  // Once their minute has passed, old keys make room.
  EXPECT_TRUE(limiter.admit(What::kMessage, "", "192.0.2.9", t + std::chrono::seconds(60)));
  EXPECT_EQ(limiter.size(), 1u);
}

TEST(RateLimiter, NoLimitsCountNothing) {
  RateLimiter limiter(RateLimiter::Options{});
  for (int i = 0; i < 1000; ++i) {
    EXPECT_TRUE(limiter.admit(RateLimiter::What::kRecipient, "a@b", std::to_string(i),
                              RateLimiter::Clock::now()));
  }
  EXPECT_EQ(limiter.size(), 0u);
}

}  // namespace
}  // namespace hm::smtp
