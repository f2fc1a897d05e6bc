#include "smtp/proto/error_status.h"

#include <gtest/gtest.h>

namespace hm::smtp::proto {
namespace {

// The one table (issue 12): RCPT replies, the queue's records and bounces
// all take their statuses from it. A temporary failure must never become a
// 5xx, and the recipient errors must carry the RFC 3463 codes a sender's MTA
// acts on. Every kind is listed, so a new kind must be given its row here.
TEST(ErrorStatus, EachKindHasItsStatus) {
  struct Row {
    ErrorKind kind;
    int code;
    std::string_view enhanced;
  };
  const Row table[] = {
      {ErrorKind::kTemporary, 451, "4.3.0"},  {ErrorKind::kInternal, 451, "4.3.0"},
      {ErrorKind::kNotFound, 550, "5.1.1"},   {ErrorKind::kPermission, 554, "5.7.1"},
      {ErrorKind::kAuthFailed, 535, "5.7.8"}, {ErrorKind::kInvalid, 501, "5.1.3"},
      {ErrorKind::kLimit, 550, "5.5.3"},      {ErrorKind::kOverQuota, 552, "5.2.2"},
      {ErrorKind::kLoop, 550, "5.4.6"},       {ErrorKind::kExists, 550, "5.1.0"},
  };
  static_assert(std::size(table) == static_cast<size_t>(ErrorKind::kInternal) + 1,
                "a row for every ErrorKind");
  for (const Row& row : table) {
    SCOPED_TRACE(std::string(to_string(row.kind)));
    const SmtpStatus s = status_of(row.kind);
    EXPECT_EQ(s.code, row.code);
    EXPECT_EQ(s.enhanced, row.enhanced);
    // The class of the enhanced code agrees with the reply code's.
    EXPECT_EQ(s.enhanced[0] - '0', s.code / 100);
    EXPECT_EQ(status_of(Error(row.kind, "x")), s);
  }
}

TEST(ErrorStatus, OnlyTemporaryAndInternalAreTransient) {
  for (int k = 0; k <= static_cast<int>(ErrorKind::kInternal); ++k) {
    const auto kind = static_cast<ErrorKind>(k);
    const bool transient = kind == ErrorKind::kTemporary || kind == ErrorKind::kInternal;
    EXPECT_EQ(status_of(kind).transient(), transient) << to_string(kind);
  }
}

TEST(ErrorStatus, DeliveryConditionsAreTransient) {
  for (SmtpStatus s : {kMailboxFullForNow, kMailboxPathRefused, kMailboxWriteFailed,
                       kWaitingForRelay, kDeliveryExpired}) {
    EXPECT_TRUE(s.transient()) << s.code;
    EXPECT_EQ(s.enhanced[0], '4') << s.code;
  }
}

TEST(ErrorStatus, StatusLineIsCodeEnhancedCodeAndMessageNeverTheDetail) {
  EXPECT_EQ(status_line(Error(ErrorKind::kNotFound, "no such user", "uid lookup said ENOENT")),
            "550 5.1.1 no such user");
  EXPECT_EQ(status_line(kMailboxFullForNow, "mailbox full"), "452 4.2.2 mailbox full");
}

TEST(ErrorStatus, RcptReplyTakesItsStatusFromTheTable) {
  for (int k = 0; k <= static_cast<int>(ErrorKind::kInternal); ++k) {
    const Error e(static_cast<ErrorKind>(k), "secret detail of the directory");
    const Reply r = rcpt_reply(e, "a@example.org");
    EXPECT_EQ(r.code, status_of(e).code) << to_string(e.kind());
    EXPECT_EQ(r.enhanced, status_of(e).enhanced) << to_string(e.kind());
    ASSERT_EQ(r.lines.size(), 1u);
    EXPECT_EQ(r.lines[0].rfind("<a@example.org>: ", 0), 0u) << r.lines[0];
    // Only a temporary error's message is written for the client.
    if (e.kind() != ErrorKind::kTemporary) {
      EXPECT_EQ(r.lines[0].find("secret"), std::string::npos) << r.lines[0];
    }
  }
  EXPECT_EQ(rcpt_reply(Error(ErrorKind::kNotFound, "x"), "nobody@example.org").lines[0],
            "<nobody@example.org>: Recipient address rejected: User unknown");
  EXPECT_EQ(rcpt_reply(Error(ErrorKind::kTemporary, "directory down, try later"), "a@b").lines[0],
            "<a@b>: directory down, try later");
  // A permanent refusal never tells the sender to try again later.
  for (int k = 0; k <= static_cast<int>(ErrorKind::kInternal); ++k) {
    const Error e(static_cast<ErrorKind>(k), "x");
    if (status_of(e).transient()) continue;
    EXPECT_EQ(rcpt_reply(e, "a@b").lines[0].find("later"), std::string::npos)
        << to_string(e.kind());
  }
  EXPECT_EQ(rcpt_reply(Error(ErrorKind::kOverQuota, "x"), "a@b").lines[0],
            "<a@b>: Message is larger than the mailbox's quota");
}

}  // namespace
}  // namespace hm::smtp::proto
