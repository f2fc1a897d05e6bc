// Mailbox names to folders: both namespace styles, and every name that
// tries to leave the account refused with a text that says why.

#include "imap/session/mailbox_names.h"

#include <gtest/gtest.h>

namespace hm::imap {
namespace {

using F = store::FolderName;

TEST(MailboxNames, DovecotStyle) {
  MailboxNames n(NamespaceStyle::kDovecot);
  EXPECT_EQ(n.to_folder("INBOX").value(), F{});
  EXPECT_EQ(n.to_folder("inbox").value(), F{});
  EXPECT_EQ(n.to_folder("Archive/2024").value(), (F{"Archive", "2024"}));
  EXPECT_EQ(n.to_folder("inbox/Lists").value(), (F{"INBOX", "Lists"}));
  EXPECT_EQ(n.to_folder("Entwürfe").value(), F{"Entwürfe"});
  EXPECT_EQ(n.to_name(F{"Archive", "2024"}), "Archive/2024");
  EXPECT_EQ(n.to_name(F{}), "INBOX");
}

TEST(MailboxNames, CourierStyle) {
  MailboxNames n(NamespaceStyle::kCourier);
  EXPECT_EQ(n.to_folder("INBOX").value(), F{});
  EXPECT_EQ(n.to_folder("INBOX.Archive.2024").value(), (F{"Archive", "2024"}));
  EXPECT_EQ(n.to_folder("Inbox.Sent").value(), F{"Sent"});
  EXPECT_EQ(n.to_name(F{"Archive", "2024"}), "INBOX.Archive.2024");
  auto outside = n.to_folder("Archive");
  ASSERT_FALSE(outside);
  EXPECT_NE(outside.error().message().find("INBOX."), std::string::npos);
  EXPECT_FALSE(n.to_folder("INBOX."));
  EXPECT_FALSE(n.to_folder("INBOX.a/b"));  // '/' is no separator here, and no path
}

TEST(MailboxNames, NamesThatTryToLeaveAreRefused) {
  for (NamespaceStyle style : {NamespaceStyle::kDovecot, NamespaceStyle::kCourier}) {
    MailboxNames n(style);
    const std::string p(n.prefix());
    for (std::string bad :
         {std::string(""), p + "..", p + ".", p + "a/../b", p + "../x", p + "~", p + "~root",
          p + "a//b", p + "a/", p + "/etc", p + "a..b", p + std::string("x\0y", 3), p + "x\ty",
          p + "x\x7f", p + ".hidden", std::string(300, 'a'), p + "a/~b", p + "a.b/c"}) {
      auto r = n.to_folder(bad);
      EXPECT_FALSE(r) << "accepted \"" << bad << "\"";
      if (!r) {
        EXPECT_FALSE(r.error().message().empty());
      }
    }
    std::string deep = p + "d";
    for (int i = 0; i < 20; ++i) deep += std::string(1, n.separator()) + "d";
    EXPECT_FALSE(n.to_folder(deep));
  }
}

}  // namespace
}  // namespace hm::imap
