#include "store/view_rules.h"

#include <gtest/gtest.h>

namespace hm::store {
namespace {

TEST(ViewRules, FlagChanges) {
  const MessageFlags now{kFlagSeen | kFlagFlagged, 0b101};
  EXPECT_EQ(apply_flag_change(FlagChange::Mode::kReplace, kFlagDraft, 0b10, now),
            (MessageFlags{kFlagDraft, 0b10}));
  EXPECT_EQ(apply_flag_change(FlagChange::Mode::kAdd, kFlagDeleted, 0b10, now),
            (MessageFlags{kFlagSeen | kFlagFlagged | kFlagDeleted, 0b111}));
  EXPECT_EQ(apply_flag_change(FlagChange::Mode::kRemove, kFlagSeen | kFlagDraft, 0b110, now),
            (MessageFlags{kFlagFlagged, 0b1}));
  EXPECT_EQ(apply_flag_change(FlagChange::Mode::kAdd, 0, 0, now), now);
}

TEST(ViewRules, FindAndCount) {
  std::vector<MessageMeta> view(3);
  view[0].uid = 2;
  view[0].size = 10;
  view[0].recent = true;
  view[1].uid = 5;
  view[1].size = 20;
  view[1].flags = kFlagSeen;
  view[2].uid = 9;
  view[2].size = 30;
  EXPECT_EQ(find_in_view(view, 5), 1u);
  EXPECT_EQ(find_in_view(view, 9), 2u);
  EXPECT_FALSE(find_in_view(view, 1));
  EXPECT_FALSE(find_in_view(view, 6));
  EXPECT_FALSE(find_in_view(view, 10));
  EXPECT_FALSE(find_in_view({}, 1));
  MailboxStatus given;
  given.uid_next = 10;
  given.recent = 7;  // replaced
  const MailboxStatus s = count_view(view, given);
  EXPECT_EQ(s.uid_next, 10u);
  EXPECT_EQ(s.messages, 3u);
  EXPECT_EQ(s.recent, 1u);
  EXPECT_EQ(s.unseen, 2u);
  EXPECT_EQ(s.size, 60u);
}

}  // namespace
}  // namespace hm::store
