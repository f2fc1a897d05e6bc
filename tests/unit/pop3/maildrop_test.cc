// The maildrop (pop3/maildrop.h) over the store in memory: the snapshot,
// the message as POP3 sends it, and the UPDATE state's expunge of the
// marked messages only.

#include "pop3/maildrop.h"

#include <gtest/gtest.h>

#include "store/memory/memory_store.h"

namespace hm::pop3 {
namespace {

TEST(Pop3Uidl, UidThenUidValidityInHex) {
  EXPECT_EQ(uidl_of(1, 0x5f3a1b2c), "000000015F3A1B2C");
  EXPECT_EQ(uidl_of(0xffffffff, 1), "FFFFFFFF00000001");
}

TEST(Pop3Multiline, CrlfDotStuffedAndTerminated) {
  EXPECT_EQ(multiline_message("A: b\n\n.x\n..\nend"), "A: b\r\n\r\n..x\r\n...\r\nend\r\n.\r\n");
  EXPECT_EQ(multiline_message("A: b\r\n\r\nbody\r\n"), "A: b\r\n\r\nbody\r\n.\r\n");
  EXPECT_EQ(multiline_message(""), ".\r\n");
}

TEST(Pop3Multiline, TopSendsTheHeaderAndSomeBodyLines) {
  const std::string m = "A: b\nC: d\n\n1\n.2\n3\n";
  uint32_t zero = 0, two = 2, many = 100;
  EXPECT_EQ(multiline_message(m, &zero), "A: b\r\nC: d\r\n\r\n.\r\n");
  EXPECT_EQ(multiline_message(m, &two), "A: b\r\nC: d\r\n\r\n1\r\n..2\r\n.\r\n");
  EXPECT_EQ(multiline_message(m, &many), "A: b\r\nC: d\r\n\r\n1\r\n..2\r\n3\r\n.\r\n");
  // No blank line: all of it is header.
  EXPECT_EQ(multiline_message("A: b\nC: d\n", &zero), "A: b\r\nC: d\r\n.\r\n");
}

class MaildropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    account_ = store::memory::make_memory_account(0);
    other_ = store::memory::open(account_);
    for (const char* s : {"Subject: 1\n\na\n", "Subject: 2\n\nbb\n", "Subject: 3\n\nccc\n"}) {
      store::AppendMessage m;
      m.text = s;
      ASSERT_TRUE(other_->append({}, {m}));
    }
  }

  std::unique_ptr<Maildrop> open() {
    auto boxes = store::memory::open(account_);
    auto inbox = boxes->open({}, false);
    EXPECT_TRUE(inbox);
    return std::make_unique<Maildrop>(std::move(*inbox));
  }

  uint8_t flags(uint32_t uid) {
    auto box = other_->open({}, true);
    auto pos = (*box)->find(uid);
    return pos ? (*box)->messages()[*pos].flags : 0xff;
  }

  uint32_t count() { return other_->status({})->messages; }

  std::shared_ptr<store::memory::MemoryAccount> account_;
  std::unique_ptr<store::Mailboxes> other_;
};

TEST_F(MaildropTest, SizesAreWithCrlf) {
  auto drop = open();
  EXPECT_EQ(drop->count(), 3u);
  EXPECT_EQ(drop->size(1), std::string("Subject: 1\r\n\r\na\r\n").size());
  EXPECT_EQ(drop->live_size(), drop->size(1) + drop->size(2) + drop->size(3));
}

TEST_F(MaildropTest, RetrieveSetsSeenTopDoesNot) {
  auto drop = open();
  auto top = drop->top(1, 0);
  ASSERT_TRUE(top);
  EXPECT_EQ(*top, "Subject: 1\r\n\r\n.\r\n");
  EXPECT_EQ(flags(1), 0);
  auto text = drop->retrieve(2);
  ASSERT_TRUE(text);
  EXPECT_EQ(*text, "Subject: 2\r\n\r\nbb\r\n.\r\n");
  EXPECT_EQ(flags(2), store::kFlagSeen);
}

TEST_F(MaildropTest, CommitExpungesTheMarkedOnlyNotImapsDeleted) {
  auto drop = open();
  // The user flags message 3 \Deleted over IMAP; POP3 deletes message 1.
  {
    auto box = other_->open({}, false);
    store::FlagChange del;
    del.flags = store::kFlagDeleted;
    ASSERT_TRUE((*box)->set_flags({3}, del));
  }
  drop->mark_deleted(1);
  EXPECT_FALSE(drop->exists(1));
  EXPECT_EQ(drop->live_count(), 2u);
  // Nothing happens in the store before commit.
  EXPECT_EQ(flags(1), 0);
  auto gone = drop->commit();
  ASSERT_TRUE(gone);
  EXPECT_EQ(*gone, 1u);
  EXPECT_EQ(count(), 2u);
  EXPECT_EQ(flags(1), 0xff);
  EXPECT_EQ(flags(3), store::kFlagDeleted);
}

TEST_F(MaildropTest, ResetForgetsTheMarksAndDroppingDeletesNothing) {
  {
    auto drop = open();
    drop->mark_deleted(1);
    drop->reset();
    EXPECT_TRUE(drop->exists(1));
    drop->mark_deleted(2);
    // Dropped without commit (a lost connection).
  }
  EXPECT_EQ(count(), 3u);
  EXPECT_EQ(flags(2), 0);
}

TEST_F(MaildropTest, TheListIsASnapshot) {
  auto drop = open();
  store::AppendMessage m;
  m.text = "Subject: 4\n\nd\n";
  ASSERT_TRUE(other_->append({}, {m}));
  {
    auto box = other_->open({}, false);
    store::FlagChange del;
    del.flags = store::kFlagDeleted;
    ASSERT_TRUE((*box)->set_flags({2}, del));
    ASSERT_TRUE((*box)->expunge(nullptr));
  }
  EXPECT_EQ(drop->count(), 3u);
  auto read = drop->retrieve(2);
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().kind(), ErrorKind::kNotFound);
  EXPECT_TRUE(drop->retrieve(3));
  // Deleting a message another session already removed is no error.
  drop->mark_deleted(2);
  drop->mark_deleted(3);
  auto gone = drop->commit();
  ASSERT_TRUE(gone);
  EXPECT_EQ(*gone, 1u);
  EXPECT_EQ(count(), 2u);  // 1 and the new 4
}

}  // namespace
}  // namespace hm::pop3
