#include "store/maildir/courier_files.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "maildir_fixture.h"
#include "store/maildir/maildir_mailboxes.h"

namespace hm::store::maildir {
namespace {

using testing::make_maildir;
using testing::read_file;
using testing::TempDir;

TEST(CourierFiles, SubscriptionsLoseTheInboxPrefix) {
  std::vector<std::string> skipped;
  auto names = parse_courier_subscriptions(
      "INBOX\nINBOX.Work\r\nINBOX.Work.2024\n\nshared.lists\nINBOX.Work\nINBOX.\n", skipped);
  EXPECT_EQ(names, (std::vector<std::string>{"INBOX", "Work", "Work.2024"}));
  EXPECT_EQ(skipped, (std::vector<std::string>{"shared.lists", "INBOX."}));
}

TEST(CourierFiles, AnAccountWithoutOwnSubscriptionsTakesCouriers) {
  TempDir tmp;
  const std::string root = make_maildir(tmp.path() + "/mail") + "/";
  make_maildir(root + ".Work");
  make_maildir(root + ".Work.2024");
  make_maildir(root + ".Old");
  const std::string courier = "INBOX\nINBOX.Work.2024\nINBOX.Gone\n";
  std::ofstream(root + "courierimapsubscribed") << courier;
  MaildirAccount account;
  account.root = root;
  account.hostname = "test.host";
  account.fsync = false;
  auto boxes = MaildirMailboxes::open(account);
  ASSERT_TRUE(boxes) << boxes.error().describe();
  auto list = (*boxes)->list();
  ASSERT_TRUE(list) << list.error().describe();
  auto subscribed = [&](const FolderName& name) {
    auto it = std::find_if(list->begin(), list->end(),
                           [&](const FolderInfo& f) { return f.name == name; });
    return it != list->end() && it->subscribed;
  };
  EXPECT_TRUE(subscribed({"Work", "2024"}));
  EXPECT_FALSE(subscribed({"Work"}));
  EXPECT_FALSE(subscribed({"Old"}));
  // Courier's file is left for a switch back; hostmail's own now holds
  // Courier's names (a folder that is gone included, as IMAP allows).
  EXPECT_EQ(read_file(root + "courierimapsubscribed"), courier);
  const std::string own = read_file(root + "subscriptions");
  EXPECT_NE(own.find("Work.2024\n"), std::string::npos) << own;
  EXPECT_EQ(own.rfind("INBOX\n", 0), 0u) << own;
  EXPECT_NE(own.find("Gone\n"), std::string::npos) << own;
  EXPECT_EQ(own.find("INBOX.Work"), std::string::npos) << own;
}

}  // namespace
}  // namespace hm::store::maildir
