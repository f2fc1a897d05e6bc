#include "store/memory/memory_store.h"

#include <thread>

#include <gtest/gtest.h>

namespace hm::store::memory {
namespace {

AppendMessage mail(std::string text, uint8_t flags = 0, std::vector<std::string> keywords = {}) {
  AppendMessage m;
  m.text = std::move(text);
  m.flags = flags;
  m.keywords = std::move(keywords);
  m.internal_date = 1'700'000'000;
  return m;
}

std::vector<uint32_t> uids_of(const Mailbox& box) {
  std::vector<uint32_t> out;
  for (const MessageMeta& m : box.messages()) out.push_back(m.uid);
  return out;
}

class MemoryStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<Mailbox> open_box(Mailboxes& boxes, const FolderName& name, bool ro = false) {
    auto box = boxes.open(name, ro);
    EXPECT_TRUE(box) << box.error().describe();
    return std::move(*box);
  }
  std::vector<uint32_t> add(const FolderName& to, size_t n) {
    std::vector<AppendMessage> ms;
    for (size_t i = 0; i < n; ++i)
      ms.push_back(mail("Subject: " + std::to_string(i) + "\r\n\r\nx\r\n"));
    auto r = boxes->append(to, std::move(ms));
    EXPECT_TRUE(r) << r.error().describe();
    return r ? r->target : std::vector<uint32_t>{};
  }

  std::shared_ptr<MemoryAccount> account = make_memory_account(0);
  std::unique_ptr<Mailboxes> boxes = open(account);
};

TEST_F(MemoryStoreTest, FirstOpenCreatesTheSpecialUseFolders) {
  auto list = boxes->list();
  ASSERT_TRUE(list);
  std::vector<std::pair<std::string, std::string>> got;
  for (const FolderInfo& f : *list) {
    ASSERT_EQ(f.name.size(), 1u);
    ASSERT_EQ(f.special_use.size(), 1u);
    EXPECT_TRUE(f.subscribed);
    got.emplace_back(f.name[0], f.special_use[0]);
  }
  const std::vector<std::pair<std::string, std::string>> want = {{"Archive", "\\Archive"},
                                                                 {"Drafts", "\\Drafts"},
                                                                 {"Junk", "\\Junk"},
                                                                 {"Sent", "\\Sent"},
                                                                 {"Trash", "\\Trash"}};
  EXPECT_EQ(got, want);
  // Deleted, a special folder is not made again by the next open.
  ASSERT_TRUE(boxes->remove({"Junk"}));
  auto again = open(account);
  EXPECT_EQ(again->list()->size(), 4u);
}

TEST_F(MemoryStoreTest, AppendStoresLfAndCountsCrlfSize) {
  auto r = boxes->append({}, {mail("A: b\r\n\r\nline\r\nbare\n")});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->target, std::vector<uint32_t>{1});
  EXPECT_TRUE(r->source.empty());
  auto box = open_box(*boxes, {});
  ASSERT_EQ(box->messages().size(), 1u);
  EXPECT_EQ(box->messages()[0].size, std::string("A: b\r\n\r\nline\r\nbare\r\n").size());
  EXPECT_EQ(box->messages()[0].internal_date, 1'700'000'000);
  EXPECT_EQ(*box->read(1), "A: b\n\nline\nbare\n");
  EXPECT_EQ(r->uid_validity, box->status().uid_validity);
  EXPECT_EQ(box->status().size, box->messages()[0].size);
}

TEST_F(MemoryStoreTest, ViewChangesOnlyOnSync) {
  auto a = open_box(*boxes, {});
  auto b = open_box(*boxes, {});
  add({}, 3);
  EXPECT_TRUE(a->messages().empty());
  auto changes = a->sync();
  ASSERT_TRUE(changes);
  EXPECT_EQ(changes->added, 3u);
  EXPECT_EQ(uids_of(*a), (std::vector<uint32_t>{1, 2, 3}));
  ASSERT_TRUE(b->sync());

  FlagChange seen{FlagChange::Mode::kAdd, kFlagSeen | kFlagDeleted, {}, {}};
  auto set = b->set_flags({2, 3}, seen);
  ASSERT_TRUE(set);
  EXPECT_EQ(set->changed, (std::vector<uint32_t>{2, 3}));
  EXPECT_EQ(b->messages()[1].flags, kFlagSeen | kFlagDeleted);
  EXPECT_EQ(a->messages()[1].flags, 0);  // not until a syncs
  auto expunged = b->expunge(nullptr);
  ASSERT_TRUE(expunged);
  EXPECT_EQ(*expunged, (std::vector<uint32_t>{2, 3}));
  EXPECT_EQ(uids_of(*b), std::vector<uint32_t>{1});
  EXPECT_EQ(uids_of(*a), (std::vector<uint32_t>{1, 2, 3}));
  // a can still read what its view holds until the message goes.
  EXPECT_EQ(a->read(2).error().kind(), ErrorKind::kNotFound);

  add({}, 1);
  changes = a->sync();
  ASSERT_TRUE(changes);
  EXPECT_EQ(changes->expunged, (std::vector<uint32_t>{2, 3}));
  EXPECT_TRUE(changes->changed.empty());  // their flag change went with them
  EXPECT_EQ(changes->added, 1u);
  EXPECT_EQ(uids_of(*a), (std::vector<uint32_t>{1, 4}));
  // b's own changes are not reported back to it; the append is.
  changes = b->sync();
  ASSERT_TRUE(changes);
  EXPECT_TRUE(changes->expunged.empty());
  EXPECT_TRUE(changes->changed.empty());
  EXPECT_EQ(changes->added, 1u);
  // Nothing new: nothing reported.
  changes = a->sync();
  ASSERT_TRUE(changes);
  EXPECT_TRUE(changes->expunged.empty() && changes->changed.empty() && changes->added == 0 &&
              !changes->keywords_changed);
}

TEST_F(MemoryStoreTest, ChangedFlagsAndModseqs) {
  add({}, 3);
  auto a = open_box(*boxes, {});
  auto b = open_box(*boxes, {});
  const uint64_t before = a->status().highest_modseq;
  ASSERT_TRUE(b->set_flags({1, 3}, {FlagChange::Mode::kAdd, kFlagFlagged, {}, {}}));
  const uint64_t modseq = b->messages()[0].modseq;
  EXPECT_GT(modseq, before);
  EXPECT_EQ(b->status().highest_modseq, modseq);
  auto changes = a->sync();
  ASSERT_TRUE(changes);
  EXPECT_EQ(changes->changed, (std::vector<uint32_t>{1, 3}));
  EXPECT_EQ(a->messages()[0].flags, kFlagFlagged);
  EXPECT_EQ(a->messages()[0].modseq, modseq);
  EXPECT_EQ(a->status().highest_modseq, modseq);
  // No change, no new MODSEQ.
  auto same = b->set_flags({1}, {FlagChange::Mode::kAdd, kFlagFlagged, {}, {}});
  ASSERT_TRUE(same);
  EXPECT_TRUE(same->changed.empty());
  EXPECT_EQ(b->messages()[0].modseq, modseq);
  // Replace and remove.
  ASSERT_TRUE(b->set_flags({1}, {FlagChange::Mode::kReplace, kFlagSeen | kFlagDraft, {}, {}}));
  EXPECT_EQ(b->messages()[0].flags, kFlagSeen | kFlagDraft);
  ASSERT_TRUE(b->set_flags({1}, {FlagChange::Mode::kRemove, kFlagSeen, {}, {}}));
  EXPECT_EQ(b->messages()[0].flags, kFlagDraft);
  EXPECT_EQ(b->set_flags({1}, {FlagChange::Mode::kAdd, 0x80, {}, {}}).error().kind(),
            ErrorKind::kInvalid);
}

TEST_F(MemoryStoreTest, OwnChangeDoesNotHideAnotherSessionsEarlierOne) {
  add({}, 2);
  auto a = open_box(*boxes, {});
  auto b = open_box(*boxes, {});
  ASSERT_TRUE(b->set_flags({2}, {FlagChange::Mode::kAdd, kFlagSeen, {}, {}}));
  ASSERT_TRUE(a->set_flags({1}, {FlagChange::Mode::kAdd, kFlagSeen, {}, {}}));
  // a has not seen b's change: its HIGHESTMODSEQ must not claim it has.
  EXPECT_LT(a->status().highest_modseq, b->messages()[1].modseq);
  auto changes = a->sync();
  ASSERT_TRUE(changes);
  EXPECT_EQ(changes->changed, std::vector<uint32_t>{2});
}

TEST_F(MemoryStoreTest, UnchangedSince) {
  add({}, 2);
  auto a = open_box(*boxes, {});
  const uint64_t old = a->messages()[1].modseq;
  ASSERT_TRUE(a->set_flags({2}, {FlagChange::Mode::kAdd, kFlagSeen, {}, {}}));
  auto r = a->set_flags({1, 2}, {FlagChange::Mode::kAdd, kFlagFlagged, {}, old});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->changed, std::vector<uint32_t>{1});
  EXPECT_EQ(r->failed, std::vector<uint32_t>{2});
  EXPECT_EQ(a->messages()[1].flags, kFlagSeen);
}

TEST_F(MemoryStoreTest, Keywords) {
  add({}, 2);
  auto a = open_box(*boxes, {});
  auto b = open_box(*boxes, {});
  ASSERT_TRUE(a->set_flags({1}, {FlagChange::Mode::kAdd, 0, {"$Forwarded", "Work"}, {}}));
  EXPECT_EQ(a->keywords(), (std::vector<std::string>{"$Forwarded", "Work"}));
  EXPECT_EQ(a->messages()[0].keywords, 3u);
  // The same keyword in another case is the same keyword.
  ASSERT_TRUE(a->set_flags({2}, {FlagChange::Mode::kAdd, 0, {"work"}, {}}));
  EXPECT_EQ(a->messages()[1].keywords, 2u);
  auto changes = b->sync();
  ASSERT_TRUE(changes);
  EXPECT_TRUE(changes->keywords_changed);
  EXPECT_EQ(b->keywords(), a->keywords());
  EXPECT_EQ(b->messages()[0].keywords, 3u);
  // Removing an unknown keyword adds nothing.
  ASSERT_TRUE(a->set_flags({1}, {FlagChange::Mode::kRemove, 0, {"Unknown", "Work"}, {}}));
  EXPECT_EQ(a->keywords().size(), 2u);
  EXPECT_EQ(a->messages()[0].keywords, 1u);
  // Names that are no IMAP atoms are refused.
  for (const char* bad : {"", "\\Seen", "a b", "a(b", "x\x01", "caf\xc3\xa9"}) {
    EXPECT_EQ(a->set_flags({1}, {FlagChange::Mode::kAdd, 0, {bad}, {}}).error().kind(),
              ErrorKind::kInvalid)
        << bad;
  }
  // Up to kMaxKeywords, then kLimit, changing nothing.
  std::vector<std::string> many;
  for (size_t i = 2; i < kMaxKeywords; ++i) many.push_back("k" + std::to_string(i));
  ASSERT_TRUE(a->set_flags({2}, {FlagChange::Mode::kAdd, 0, many, {}}));
  EXPECT_EQ(a->keywords().size(), kMaxKeywords);
  const uint64_t modseq = a->messages()[0].modseq;
  auto over = a->set_flags({1}, {FlagChange::Mode::kAdd, kFlagSeen, {"one-too-many"}, {}});
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().kind(), ErrorKind::kLimit);
  EXPECT_EQ(a->messages()[0].modseq, modseq);
  EXPECT_EQ(a->messages()[0].flags, 0);
  auto appended = boxes->append({}, {mail("x\r\n", 0, {"another"})});
  ASSERT_FALSE(appended);
  EXPECT_EQ(appended.error().kind(), ErrorKind::kLimit);
  EXPECT_EQ(boxes->status({})->messages, 2u);
}

TEST_F(MemoryStoreTest, RecentGoesToTheFirstReadWriteView) {
  add({}, 2);
  auto ro = open_box(*boxes, {}, true);
  EXPECT_EQ(ro->status().recent, 0u);
  auto first = open_box(*boxes, {});
  EXPECT_EQ(first->status().recent, 2u);
  EXPECT_TRUE(first->messages()[0].recent);
  auto second = open_box(*boxes, {});
  EXPECT_EQ(second->status().recent, 0u);
  add({}, 1);
  ASSERT_TRUE(second->sync());
  ASSERT_TRUE(first->sync());
  EXPECT_TRUE(second->messages()[2].recent);
  EXPECT_FALSE(first->messages()[2].recent);
  EXPECT_EQ(first->status().recent, 2u);
  EXPECT_EQ(boxes->status({})->recent, 0u);
}

TEST_F(MemoryStoreTest, ReadOnlyViewRefusesChanges) {
  add({}, 1);
  auto ro = open_box(*boxes, {}, true);
  EXPECT_TRUE(ro->read_only());
  EXPECT_EQ(ro->set_flags({1}, {FlagChange::Mode::kAdd, kFlagSeen, {}, {}}).error().kind(),
            ErrorKind::kInvalid);
  EXPECT_EQ(ro->expunge(nullptr).error().kind(), ErrorKind::kInvalid);
  EXPECT_EQ(boxes->move(*ro, {1}, {"Trash"}).error().kind(), ErrorKind::kInvalid);
  EXPECT_TRUE(boxes->copy(*ro, {1}, {"Trash"}));
}

TEST_F(MemoryStoreTest, UidExpungeTakesOnlyTheGivenDeletedMessages) {
  add({}, 4);
  auto a = open_box(*boxes, {});
  ASSERT_TRUE(a->set_flags({1, 2, 3}, {FlagChange::Mode::kAdd, kFlagDeleted, {}, {}}));
  const std::vector<uint32_t> only{2, 3, 4};
  auto r = a->expunge(&only);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, (std::vector<uint32_t>{2, 3}));
  EXPECT_EQ(uids_of(*a), (std::vector<uint32_t>{1, 4}));
}

TEST_F(MemoryStoreTest, ExpungedSince) {
  add({}, 5);
  auto a = open_box(*boxes, {});
  const uint64_t start = a->status().highest_modseq;
  ASSERT_TRUE(a->set_flags({2}, {FlagChange::Mode::kAdd, kFlagDeleted, {}, {}}));
  ASSERT_TRUE(a->expunge(nullptr));
  const uint64_t middle = a->status().highest_modseq;
  ASSERT_TRUE(a->set_flags({4}, {FlagChange::Mode::kAdd, kFlagDeleted, {}, {}}));
  ASSERT_TRUE(a->expunge(nullptr));
  EXPECT_EQ(*a->expunged_since(start), (std::vector<uint32_t>{2, 4}));
  EXPECT_EQ(*a->expunged_since(middle), std::vector<uint32_t>{4});
  EXPECT_TRUE(a->expunged_since(a->status().highest_modseq)->empty());
}

TEST_F(MemoryStoreTest, CopyAndMoveReportUidplus) {
  add({}, 3);
  auto inbox = open_box(*boxes, {});
  ASSERT_TRUE(inbox->set_flags({1}, {FlagChange::Mode::kAdd, kFlagSeen, {"Work"}, {}}));
  ASSERT_TRUE(boxes->append({"Archive"}, {mail("y\r\n", 0, {"Other"})}));
  auto copied = boxes->copy(*inbox, {3, 1, 99}, {"Archive"});
  ASSERT_TRUE(copied);
  EXPECT_EQ(copied->source, (std::vector<uint32_t>{1, 3}));
  EXPECT_EQ(copied->target, (std::vector<uint32_t>{2, 3}));
  EXPECT_EQ(copied->uid_validity, boxes->status({"Archive"})->uid_validity);
  auto archive = open_box(*boxes, {"Archive"});
  ASSERT_EQ(archive->messages().size(), 3u);
  const MessageMeta& c = archive->messages()[1];
  EXPECT_EQ(c.flags, kFlagSeen);
  EXPECT_EQ(c.internal_date, 1'700'000'000);
  EXPECT_EQ(archive->keywords(), (std::vector<std::string>{"Other", "Work"}));
  EXPECT_EQ(c.keywords, 2u);
  EXPECT_TRUE(c.recent);

  auto moved = boxes->move(*inbox, {2}, {"Trash"});
  ASSERT_TRUE(moved);
  EXPECT_EQ(moved->source, std::vector<uint32_t>{2});
  EXPECT_EQ(moved->target, std::vector<uint32_t>{1});
  EXPECT_EQ(uids_of(*inbox), (std::vector<uint32_t>{1, 3}));
  auto changes = inbox->sync();
  ASSERT_TRUE(changes);
  EXPECT_TRUE(changes->expunged.empty());  // the view dropped it already
  EXPECT_EQ(*inbox->expunged_since(1), std::vector<uint32_t>{2});
  EXPECT_EQ(boxes->copy(*inbox, {1}, {"Nowhere"}).error().kind(), ErrorKind::kNotFound);

  auto other = open(make_memory_account(0));
  EXPECT_EQ(other->copy(*inbox, {1}, {"Trash"}).error().kind(), ErrorKind::kInvalid);
}

TEST_F(MemoryStoreTest, MoveWithinTheFolderShowsTheNewCopies) {
  add({}, 1);
  auto inbox = open_box(*boxes, {});
  auto moved = boxes->move(*inbox, {1}, {});
  ASSERT_TRUE(moved);
  EXPECT_TRUE(inbox->messages().empty());
  auto changes = inbox->sync();
  ASSERT_TRUE(changes);
  EXPECT_EQ(changes->added, 1u);
  EXPECT_EQ(uids_of(*inbox), std::vector<uint32_t>{2});
}

TEST_F(MemoryStoreTest, Quota) {
  account->set_quota(100);
  auto r = boxes->append({}, {mail(std::string(60, 'x')), mail(std::string(60, 'y'))});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind(), ErrorKind::kOverQuota);
  EXPECT_EQ(boxes->quota()->used_bytes, 0u);  // all or none
  ASSERT_TRUE(boxes->append({}, {mail(std::string(60, 'x'))}));
  auto q = boxes->quota();
  ASSERT_TRUE(q);
  EXPECT_EQ(q->limit_bytes, 100u);
  EXPECT_EQ(q->used_bytes, 60u);
  EXPECT_EQ(q->used_messages, 1u);
  auto inbox = open_box(*boxes, {});
  EXPECT_EQ(boxes->copy(*inbox, {1}, {"Trash"}).error().kind(), ErrorKind::kOverQuota);
  ASSERT_TRUE(boxes->move(*inbox, {1}, {"Trash"}));  // usage does not grow
  EXPECT_EQ(boxes->quota()->used_bytes, 60u);
  ASSERT_TRUE(boxes->remove({"Trash"}));
  EXPECT_EQ(boxes->quota()->used_bytes, 0u);
  EXPECT_EQ(boxes->quota()->used_messages, 0u);
}

TEST_F(MemoryStoreTest, FoldersCreateRemoveRename) {
  ASSERT_TRUE(boxes->create({"A"}, {}));
  ASSERT_TRUE(boxes->create({"A", "B"}, {"\\flagged"}));
  EXPECT_EQ(boxes->create({"A"}, {}).error().kind(), ErrorKind::kExists);
  EXPECT_EQ(boxes->create({}, {}).error().kind(), ErrorKind::kInvalid);
  EXPECT_EQ(boxes->create({"C"}, {"\\Bogus"}).error().kind(), ErrorKind::kInvalid);
  ASSERT_TRUE(boxes->subscribe({"A", "B"}, true));
  const uint32_t validity = boxes->status({"A", "B"})->uid_validity;
  add({"A", "B"}, 1);
  auto open_b = open_box(*boxes, {"A", "B"});

  EXPECT_EQ(boxes->rename({"A"}, {"A", "X"}).error().kind(), ErrorKind::kInvalid);
  EXPECT_EQ(boxes->rename({"A"}, {"Sent"}).error().kind(), ErrorKind::kExists);
  EXPECT_EQ(boxes->rename({"Z"}, {"Y"}).error().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(boxes->rename({"A"}, {}).error().kind(), ErrorKind::kInvalid);
  ASSERT_TRUE(boxes->rename({"A"}, {"C"}));
  auto list = boxes->list();
  ASSERT_TRUE(list);
  std::vector<FolderName> names;
  for (const FolderInfo& f : *list) names.push_back(f.name);
  EXPECT_EQ(names, (std::vector<FolderName>{
                       {"Archive"}, {"C"}, {"C", "B"}, {"Drafts"}, {"Junk"}, {"Sent"}, {"Trash"}}));
  const FolderInfo& cb = (*list)[2];
  EXPECT_TRUE(cb.subscribed);
  EXPECT_EQ(cb.special_use, std::vector<std::string>{"\\Flagged"});
  EXPECT_EQ(boxes->status({"C", "B"})->uid_validity, validity);
  // An open view follows its folder.
  add({"C", "B"}, 1);
  EXPECT_EQ(open_b->sync()->added, 1u);

  // Deleting keeps the subfolders; a view on a deleted folder fails.
  ASSERT_TRUE(boxes->remove({"C", "B"}));
  EXPECT_EQ(open_b->sync().error().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(boxes->remove({"C", "B"}).error().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(boxes->remove({}).error().kind(), ErrorKind::kInvalid);
  ASSERT_TRUE(boxes->create({"C", "B"}, {}));
  EXPECT_NE(boxes->status({"C", "B"})->uid_validity, validity);
  EXPECT_EQ(boxes->status({"C", "B"})->messages, 0u);
}

TEST_F(MemoryStoreTest, RenamingTheInboxMovesItsMessages) {
  add({}, 2);
  auto inbox = open_box(*boxes, {});
  ASSERT_TRUE(inbox->set_flags({2}, {FlagChange::Mode::kAdd, kFlagSeen, {"Work"}, {}}));
  const uint32_t validity = inbox->status().uid_validity;
  ASSERT_TRUE(boxes->rename({}, {"Old"}));
  auto old = open_box(*boxes, {"Old"});
  ASSERT_EQ(old->messages().size(), 2u);
  EXPECT_EQ(old->messages()[1].flags, kFlagSeen);
  EXPECT_EQ(old->keywords(), std::vector<std::string>{"Work"});
  EXPECT_EQ(old->messages()[1].keywords, 1u);
  auto changes = inbox->sync();
  ASSERT_TRUE(changes);
  EXPECT_EQ(changes->expunged, (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(inbox->status().uid_validity, validity);
  EXPECT_EQ(inbox->status().uid_next, 3u);  // UIDs are never reused
  EXPECT_EQ(boxes->rename({}, {"Old"}).error().kind(), ErrorKind::kExists);
}

TEST_F(MemoryStoreTest, BadNamesAreRefusedEverywhere) {
  add({}, 1);
  auto inbox = open_box(*boxes, {});
  for (const FolderName& bad : std::vector<FolderName>{{".."},
                                                       {"a/b"},
                                                       {"a.b"},
                                                       {"~x"},
                                                       {""},
                                                       {std::string("a\0b", 3)},
                                                       {std::string(300, 'a')}}) {
    EXPECT_EQ(boxes->create(bad, {}).error().kind(), ErrorKind::kInvalid);
    EXPECT_EQ(boxes->remove(bad).error().kind(), ErrorKind::kInvalid);
    EXPECT_EQ(boxes->rename({"Sent"}, bad).error().kind(), ErrorKind::kInvalid);
    EXPECT_EQ(boxes->rename(bad, {"New"}).error().kind(), ErrorKind::kInvalid);
    EXPECT_EQ(boxes->subscribe(bad, true).error().kind(), ErrorKind::kInvalid);
    EXPECT_EQ(boxes->open(bad, false).error().kind(), ErrorKind::kInvalid);
    EXPECT_EQ(boxes->status(bad).error().kind(), ErrorKind::kInvalid);
    EXPECT_EQ(boxes->append(bad, {mail("x")}).error().kind(), ErrorKind::kInvalid);
    EXPECT_EQ(boxes->copy(*inbox, {1}, bad).error().kind(), ErrorKind::kInvalid);
  }
}

TEST_F(MemoryStoreTest, Subscriptions) {
  EXPECT_EQ(boxes->subscribe({"Nope"}, true).error().kind(), ErrorKind::kNotFound);
  EXPECT_TRUE(boxes->subscribe({"Nope"}, false));
  ASSERT_TRUE(boxes->subscribe({"Sent"}, false));
  auto list = boxes->list();
  ASSERT_TRUE(list);
  for (const FolderInfo& f : *list) EXPECT_EQ(f.subscribed, f.name[0] != "Sent");
}

TEST_F(MemoryStoreTest, Cache) {
  add({}, 2);
  auto a = open_box(*boxes, {});
  auto b = open_box(*boxes, {});
  EXPECT_FALSE(a->cached(1, "envelope"));
  a->cache(1, "envelope", "(NIL)");
  a->cache(1, "header:SUBJECT", "hi");
  a->cache(1, "something", "ignored");
  a->cache(2, "body", std::string(kMaxCachedValue + 1, 'x'));
  a->cache(9, "body", "no such message");
  EXPECT_EQ(b->cached(1, "envelope"), "(NIL)");
  EXPECT_EQ(b->cached(1, "header:SUBJECT"), "hi");
  EXPECT_FALSE(b->cached(1, "something"));
  EXPECT_FALSE(b->cached(2, "body"));
  EXPECT_FALSE(b->cached(9, "body"));
  ASSERT_TRUE(a->set_flags({1}, {FlagChange::Mode::kAdd, kFlagDeleted, {}, {}}));
  ASSERT_TRUE(a->expunge(nullptr));
  EXPECT_FALSE(b->cached(1, "envelope"));
}

TEST_F(MemoryStoreTest, UnavailableAccountFailsTemporarilyAndChangesNothing) {
  add({}, 1);
  auto inbox = open_box(*boxes, {});
  inbox->cache(1, "envelope", "(NIL)");
  account->set_unavailable(true);
  auto temporary = [](ErrorKind k) { return k == ErrorKind::kTemporary; };
  EXPECT_TRUE(temporary(boxes->list().error().kind()));
  EXPECT_TRUE(temporary(boxes->create({"X"}, {}).error().kind()));
  EXPECT_TRUE(temporary(boxes->append({}, {mail("x\r\n")}).error().kind()));
  EXPECT_TRUE(temporary(boxes->open({}, false).error().kind()));
  EXPECT_TRUE(temporary(boxes->copy(*inbox, {1}, {"Trash"}).error().kind()));
  EXPECT_TRUE(temporary(inbox->sync().error().kind()));
  EXPECT_TRUE(temporary(inbox->read(1).error().kind()));
  EXPECT_TRUE(
      temporary(inbox->set_flags({1}, {FlagChange::Mode::kAdd, kFlagSeen, {}, {}}).error().kind()));
  EXPECT_FALSE(inbox->cached(1, "envelope"));
  account->set_unavailable(false);
  EXPECT_EQ(boxes->status({})->messages, 1u);
  EXPECT_EQ(boxes->status({"Trash"})->messages, 0u);
  EXPECT_EQ(inbox->messages()[0].flags, 0);
  EXPECT_EQ(inbox->cached(1, "envelope"), "(NIL)");
}

TEST_F(MemoryStoreTest, SessionsOnThreads) {
  constexpr int kPerThread = 200;
  auto appender = [&] {
    auto mine = open(account);
    for (int i = 0; i < kPerThread; ++i) ASSERT_TRUE(mine->append({}, {mail("m\r\n")}));
  };
  auto flagger = [&] {
    auto mine = open(account);
    auto box = mine->open({}, false);
    ASSERT_TRUE(box);
    for (int i = 0; i < kPerThread; ++i) {
      ASSERT_TRUE((*box)->sync());
      std::vector<uint32_t> uids = uids_of(**box);
      ASSERT_TRUE((*box)->set_flags(uids, {FlagChange::Mode::kAdd, kFlagDeleted, {}, {}}));
      ASSERT_TRUE((*box)->expunge(nullptr));
    }
  };
  std::thread t1(appender), t2(appender), t3(flagger);
  t1.join();
  t2.join();
  t3.join();
  auto status = boxes->status({});
  ASSERT_TRUE(status);
  EXPECT_EQ(status->uid_next, 2u * kPerThread + 1);
  auto box = open_box(*boxes, {});
  for (const MessageMeta& m : box->messages()) EXPECT_EQ(m.flags & kFlagDeleted, 0);
}

}  // namespace
}  // namespace hm::store::memory
