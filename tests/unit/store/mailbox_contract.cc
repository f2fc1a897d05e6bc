#include "mailbox_contract.h"

#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <set>

namespace hm::store::testing {

void MailboxContract::SetUp() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "hm-contract-XXXXXX").string();
  ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
  dir_ = tmpl;
  // A backend that cannot open an account fails every test here, before
  // a test's body would use what it did not get.
  ASSERT_TRUE(GetParam().make(dir_, 0)) << "the backend opens no account";
}

void MailboxContract::TearDown() {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::unique_ptr<Mailboxes> MailboxContract::session(uint64_t quota_bytes) {
  auto boxes = GetParam().make(dir_, quota_bytes);
  EXPECT_TRUE(boxes);
  return boxes;
}

std::unique_ptr<Mailbox> MailboxContract::open(Mailboxes& boxes, const FolderName& name,
                                               bool read_only) {
  auto box = boxes.open(name, read_only);
  EXPECT_TRUE(box) << (box ? "" : box.error().describe());
  return box ? std::move(*box) : nullptr;
}

uint32_t MailboxContract::append(Mailboxes& boxes, const FolderName& to, const std::string& text,
                                 uint8_t flags, std::vector<std::string> keywords,
                                 std::optional<int64_t> date) {
  std::vector<AppendMessage> messages(1);
  messages[0].text = text;
  messages[0].flags = flags;
  messages[0].keywords = std::move(keywords);
  messages[0].internal_date = date;
  auto r = boxes.append(to, std::move(messages));
  EXPECT_TRUE(r) << (r ? "" : r.error().describe());
  if (!r || r->target.size() != 1) return 0;
  return r->target[0];
}

namespace {

const std::string kMessage = "Subject: hello\r\n\r\nbody\r\n";  // 25 bytes with CRLF

std::vector<uint32_t> uids_of(const Mailbox& box) {
  std::vector<uint32_t> out;
  for (const MessageMeta& m : box.messages()) out.push_back(m.uid);
  return out;
}

std::set<std::string> keyword_names(const Mailbox& box, KeywordMask mask) {
  std::set<std::string> out;
  for (size_t i = 0; i < box.keywords().size(); ++i) {
    if (mask & (KeywordMask{1} << i)) out.insert(box.keywords()[i]);
  }
  return out;
}

const FolderInfo* find_folder(const std::vector<FolderInfo>& list, const FolderName& name) {
  for (const FolderInfo& f : list) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

ErrorKind kind_of(const Status& s) { return s ? ErrorKind::kInternal : s.error().kind(); }
template <typename T>
ErrorKind kind_of(const Result<T>& r) {
  return r ? ErrorKind::kInternal : r.error().kind();
}

}  // namespace

TEST_P(MailboxContract, NewAccountHasTheSpecialUseFolders) {
  auto boxes = session();
  auto list = boxes->list();
  ASSERT_TRUE(list) << list.error().describe();
  for (const auto& [name, attr] :
       std::vector<std::pair<std::string, std::string>>{{"Sent", "\\Sent"},
                                                        {"Drafts", "\\Drafts"},
                                                        {"Trash", "\\Trash"},
                                                        {"Junk", "\\Junk"},
                                                        {"Archive", "\\Archive"}}) {
    const FolderInfo* f = find_folder(*list, {name});
    ASSERT_NE(f, nullptr) << name;
    EXPECT_EQ(f->special_use, std::vector<std::string>{attr}) << name;
    EXPECT_TRUE(f->subscribed) << name;
  }
  EXPECT_EQ(find_folder(*list, {}), nullptr);  // the INBOX is not listed
  EXPECT_TRUE(
      std::is_sorted(list->begin(), list->end(),
                     [](const FolderInfo& a, const FolderInfo& b) { return a.name < b.name; }));
  auto inbox = open(*boxes, {});
  ASSERT_TRUE(inbox);
  EXPECT_TRUE(inbox->messages().empty());
}

TEST_P(MailboxContract, ADeletedDefaultFolderIsNotMadeAgain) {
  ASSERT_TRUE(session()->remove({"Junk"}));
  auto again = session();
  auto list = again->list();
  ASSERT_TRUE(list);
  EXPECT_EQ(find_folder(*list, {"Junk"}), nullptr);
  EXPECT_NE(find_folder(*list, {"Sent"}), nullptr);
}

TEST_P(MailboxContract, AppendGivesUidsTheViewShows) {
  auto boxes = session();
  std::vector<AppendMessage> two(2);
  two[0].text = kMessage;
  two[0].flags = kFlagSeen | kFlagFlagged;
  two[0].keywords = {"$Forwarded", "Work"};
  two[0].internal_date = 1700000000;
  two[1].text = "Subject: second\n\nline\n";
  two[1].flags = kFlagDraft;
  auto r = boxes->append({}, std::move(two));
  ASSERT_TRUE(r) << r.error().describe();
  ASSERT_EQ(r->target.size(), 2u);
  EXPECT_LT(r->target[0], r->target[1]);
  EXPECT_TRUE(r->source.empty());

  auto box = open(*boxes, {});
  ASSERT_TRUE(box);
  EXPECT_EQ(box->status().uid_validity, r->uid_validity);
  ASSERT_EQ(uids_of(*box), r->target);
  const MessageMeta& first = box->messages()[0];
  EXPECT_EQ(first.flags, kFlagSeen | kFlagFlagged);
  EXPECT_EQ(keyword_names(*box, first.keywords), (std::set<std::string>{"$Forwarded", "Work"}));
  EXPECT_EQ(first.internal_date, 1700000000);
  EXPECT_EQ(first.size, kMessage.size());
  EXPECT_GT(first.modseq, 0u);
  const MessageMeta& second = box->messages()[1];
  EXPECT_EQ(second.flags, kFlagDraft);
  EXPECT_EQ(second.keywords, 0u);
  EXPECT_EQ(second.size, std::string("Subject: second\r\n\r\nline\r\n").size());
  EXPECT_GT(second.internal_date, 1700000000);
  // Stored with LF line ends.
  auto text = box->read(first.uid);
  ASSERT_TRUE(text);
  EXPECT_EQ(*text, "Subject: hello\n\nbody\n");
  EXPECT_EQ(box->status().uid_next, r->target[1] + 1);
  EXPECT_EQ(box->status().messages, 2u);
  EXPECT_EQ(box->status().unseen, 1u);
  EXPECT_EQ(box->status().size, first.size + second.size);
  EXPECT_EQ(box->find(first.uid), std::optional<size_t>(0));
  EXPECT_EQ(box->find(second.uid + 100), std::nullopt);
  EXPECT_EQ(kind_of(box->read(second.uid + 100)), ErrorKind::kNotFound);
}

TEST_P(MailboxContract, AppendToAMissingFolderIsNotFound) {
  auto boxes = session();
  std::vector<AppendMessage> one(1);
  one[0].text = kMessage;
  EXPECT_EQ(kind_of(boxes->append({"Nowhere"}, std::move(one))), ErrorKind::kNotFound);
  EXPECT_EQ(kind_of(boxes->open({"Nowhere"}, false)), ErrorKind::kNotFound);
  EXPECT_EQ(kind_of(boxes->status({"Nowhere"})), ErrorKind::kNotFound);
}

// A view changes only when its owner syncs; the sync says what changed.
TEST_P(MailboxContract, ViewsSeeEachOtherOnlyWhenTheySync) {
  auto s1 = session();
  auto s2 = session();
  const uint32_t u1 = append(*s1, {}, kMessage);
  auto a = open(*s1, {});
  auto b = open(*s2, {});
  ASSERT_TRUE(a && b);
  ASSERT_EQ(uids_of(*b), std::vector<uint32_t>{u1});

  const uint32_t u2 = append(*s1, {}, kMessage);
  EXPECT_EQ(uids_of(*b), std::vector<uint32_t>{u1});  // not yet
  auto changes = b->sync();
  ASSERT_TRUE(changes) << changes.error().describe();
  EXPECT_EQ(changes->added, 1u);
  EXPECT_TRUE(changes->expunged.empty());
  EXPECT_EQ(uids_of(*b), (std::vector<uint32_t>{u1, u2}));

  // Nothing changed: an empty answer.
  changes = b->sync();
  ASSERT_TRUE(changes);
  EXPECT_EQ(changes->added, 0u);
  EXPECT_TRUE(changes->changed.empty());
  EXPECT_TRUE(changes->expunged.empty());

  ASSERT_TRUE(a->sync());
  FlagChange seen;
  seen.flags = kFlagSeen | kFlagDeleted;
  auto flagged = a->set_flags({u1}, seen);
  ASSERT_TRUE(flagged) << flagged.error().describe();
  EXPECT_EQ(flagged->changed, std::vector<uint32_t>{u1});
  EXPECT_EQ(b->messages()[0].flags, 0);  // not yet
  changes = b->sync();
  ASSERT_TRUE(changes);
  EXPECT_EQ(changes->changed, std::vector<uint32_t>{u1});
  EXPECT_EQ(b->messages()[0].flags, kFlagSeen | kFlagDeleted);
  EXPECT_EQ(b->messages()[0].modseq, a->messages()[0].modseq);

  auto gone = a->expunge(nullptr);
  ASSERT_TRUE(gone) << gone.error().describe();
  EXPECT_EQ(*gone, std::vector<uint32_t>{u1});
  EXPECT_EQ(uids_of(*a), std::vector<uint32_t>{u2});
  EXPECT_EQ(uids_of(*b), (std::vector<uint32_t>{u1, u2}));  // not yet
  EXPECT_EQ(kind_of(b->read(u1)), ErrorKind::kNotFound);    // but its text is gone
  changes = b->sync();
  ASSERT_TRUE(changes);
  EXPECT_EQ(changes->expunged, std::vector<uint32_t>{u1});
  EXPECT_EQ(uids_of(*b), std::vector<uint32_t>{u2});
  // The changing view's own sync does not report its own change again.
  changes = a->sync();
  ASSERT_TRUE(changes);
  EXPECT_TRUE(changes->expunged.empty());
  EXPECT_TRUE(changes->changed.empty());
}

TEST_P(MailboxContract, SetFlagsReportsOnlyItsChangesAndLeavesOthersForSync) {
  auto s1 = session();
  auto s2 = session();
  const uint32_t u1 = append(*s1, {}, kMessage);
  const uint32_t u2 = append(*s1, {}, kMessage);
  auto a = open(*s1, {});
  auto b = open(*s2, {});
  // b flags u2; a then flags u1 and must not see u2's change until it syncs.
  FlagChange flagged;
  flagged.flags = kFlagFlagged;
  ASSERT_TRUE(b->set_flags({u2}, flagged));
  FlagChange seen;
  seen.flags = kFlagSeen;
  auto r = a->set_flags({u1}, seen);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->changed, std::vector<uint32_t>{u1});
  EXPECT_EQ(a->messages()[0].flags, kFlagSeen);
  EXPECT_EQ(a->messages()[1].flags, 0);
  auto changes = a->sync();
  ASSERT_TRUE(changes);
  EXPECT_EQ(changes->changed, std::vector<uint32_t>{u2});
  EXPECT_EQ(a->messages()[1].flags, kFlagFlagged);
}

TEST_P(MailboxContract, RecentGoesToTheFirstReadWriteView) {
  auto s1 = session();
  auto s2 = session();
  append(*s1, {}, kMessage);
  auto ro = open(*s1, {}, true);
  ASSERT_TRUE(ro);
  EXPECT_FALSE(ro->messages()[0].recent);
  EXPECT_EQ(ro->status().recent, 0u);
  auto a = open(*s1, {});
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->messages()[0].recent);
  EXPECT_EQ(a->status().recent, 1u);
  auto b = open(*s2, {});
  ASSERT_TRUE(b);
  EXPECT_FALSE(b->messages()[0].recent);

  // A new message: the first of the views to sync gets it.
  const uint32_t u2 = append(*s2, {}, kMessage);
  ASSERT_TRUE(b->sync());
  ASSERT_TRUE(a->sync());
  ASSERT_EQ(b->messages().back().uid, u2);
  EXPECT_TRUE(b->messages().back().recent);
  EXPECT_FALSE(a->messages().back().recent);
  EXPECT_TRUE(a->messages().front().recent);  // stays recent in its view
  ASSERT_TRUE(ro->sync());
  EXPECT_FALSE(ro->messages().back().recent);
}

TEST_P(MailboxContract, FlagModesAndModseq) {
  auto boxes = session();
  const uint32_t u = append(*boxes, {}, kMessage, kFlagSeen);
  auto box = open(*boxes, {});
  ASSERT_TRUE(box);
  const uint64_t m0 = box->messages()[0].modseq;

  FlagChange add;
  add.flags = kFlagFlagged | kFlagAnswered;
  auto r = box->set_flags({u}, add);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->changed, std::vector<uint32_t>{u});
  EXPECT_EQ(box->messages()[0].flags, kFlagSeen | kFlagFlagged | kFlagAnswered);
  const uint64_t m1 = box->messages()[0].modseq;
  EXPECT_GT(m1, m0);
  EXPECT_GE(box->status().highest_modseq, m1);

  // No change: no new MODSEQ, not reported.
  r = box->set_flags({u}, add);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->changed.empty());
  EXPECT_EQ(box->messages()[0].modseq, m1);

  FlagChange remove;
  remove.mode = FlagChange::Mode::kRemove;
  remove.flags = kFlagSeen;
  ASSERT_TRUE(box->set_flags({u}, remove));
  EXPECT_EQ(box->messages()[0].flags, kFlagFlagged | kFlagAnswered);
  EXPECT_GT(box->messages()[0].modseq, m1);

  FlagChange replace;
  replace.mode = FlagChange::Mode::kReplace;
  replace.flags = kFlagDraft;
  ASSERT_TRUE(box->set_flags({u}, replace));
  EXPECT_EQ(box->messages()[0].flags, kFlagDraft);

  // Unknown UIDs are skipped.
  r = box->set_flags({u + 50}, add);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->changed.empty());

  // What a fresh view reads back is the same.
  auto again = open(*session(), {});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->messages()[0].flags, kFlagDraft);
  EXPECT_EQ(again->messages()[0].modseq, box->messages()[0].modseq);
}

TEST_P(MailboxContract, Keywords) {
  auto s1 = session();
  auto s2 = session();
  const uint32_t u = append(*s1, {}, kMessage);
  auto a = open(*s1, {});
  auto b = open(*s2, {});
  FlagChange add;
  add.keywords = {"$Label1", "Project"};
  auto r = a->set_flags({u}, add);
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(r->changed, std::vector<uint32_t>{u});
  EXPECT_EQ(keyword_names(*a, a->messages()[0].keywords),
            (std::set<std::string>{"$Label1", "Project"}));
  auto changes = b->sync();
  ASSERT_TRUE(changes);
  EXPECT_TRUE(changes->keywords_changed);
  EXPECT_EQ(changes->changed, std::vector<uint32_t>{u});
  EXPECT_EQ(keyword_names(*b, b->messages()[0].keywords),
            (std::set<std::string>{"$Label1", "Project"}));

  FlagChange remove;
  remove.mode = FlagChange::Mode::kRemove;
  remove.keywords = {"$Label1", "NeverSeen"};
  ASSERT_TRUE(a->set_flags({u}, remove));
  EXPECT_EQ(keyword_names(*a, a->messages()[0].keywords), std::set<std::string>{"Project"});

  FlagChange replace;
  replace.mode = FlagChange::Mode::kReplace;
  replace.flags = kFlagSeen;
  replace.keywords = {"Other"};
  ASSERT_TRUE(a->set_flags({u}, replace));
  EXPECT_EQ(a->messages()[0].flags, kFlagSeen);
  EXPECT_EQ(keyword_names(*a, a->messages()[0].keywords), std::set<std::string>{"Other"});

  // A keyword that no flag can be: refused.
  FlagChange bad;
  bad.keywords = {"two words"};
  EXPECT_EQ(kind_of(a->set_flags({u}, bad)), ErrorKind::kInvalid);
}

TEST_P(MailboxContract, AtMostTwentySixKeywords) {
  auto boxes = session();
  const uint32_t u = append(*boxes, {}, kMessage);
  auto box = open(*boxes, {});
  FlagChange add;
  for (size_t i = box->keywords().size(); i < kMaxKeywords; ++i) {
    add.keywords.push_back("k" + std::to_string(i));
  }
  ASSERT_TRUE(box->set_flags({u}, add));
  FlagChange more;
  more.keywords = {"one-too-many"};
  EXPECT_EQ(kind_of(box->set_flags({u}, more)), ErrorKind::kLimit);
  std::vector<AppendMessage> one(1);
  one[0].text = kMessage;
  one[0].keywords = {"one-too-many"};
  EXPECT_EQ(kind_of(boxes->append({}, std::move(one))), ErrorKind::kLimit);
  // Known ones still work.
  FlagChange known;
  known.mode = FlagChange::Mode::kRemove;
  known.keywords = {"k0"};
  EXPECT_TRUE(box->set_flags({u}, known));
}

TEST_P(MailboxContract, UnchangedSinceLeavesNewerMessagesAlone) {
  auto boxes = session();
  const uint32_t u1 = append(*boxes, {}, kMessage);
  const uint32_t u2 = append(*boxes, {}, kMessage);
  auto box = open(*boxes, {});
  const uint64_t before = box->status().highest_modseq;
  FlagChange flagged;
  flagged.flags = kFlagFlagged;
  ASSERT_TRUE(box->set_flags({u2}, flagged));  // u2 now above `before`
  FlagChange seen;
  seen.flags = kFlagSeen;
  seen.unchanged_since = before;
  auto r = box->set_flags({u1, u2}, seen);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->changed, std::vector<uint32_t>{u1});
  EXPECT_EQ(r->failed, std::vector<uint32_t>{u2});
  EXPECT_EQ(box->messages()[1].flags, kFlagFlagged);
  EXPECT_EQ(box->messages()[0].flags, kFlagSeen);
}

TEST_P(MailboxContract, ReadOnlyViewsChangeNothing) {
  auto boxes = session();
  const uint32_t u = append(*boxes, {}, kMessage, kFlagDeleted);
  auto box = open(*boxes, {}, true);
  ASSERT_TRUE(box);
  EXPECT_TRUE(box->read_only());
  FlagChange seen;
  seen.flags = kFlagSeen;
  EXPECT_EQ(kind_of(box->set_flags({u}, seen)), ErrorKind::kInvalid);
  EXPECT_EQ(kind_of(box->expunge(nullptr)), ErrorKind::kInvalid);
  EXPECT_EQ(kind_of(boxes->move(*box, {u}, {"Archive"})), ErrorKind::kInvalid);
  auto rw = open(*boxes, {});
  EXPECT_EQ(uids_of(*rw), std::vector<uint32_t>{u});
  EXPECT_EQ(rw->messages()[0].flags, kFlagDeleted);
}

TEST_P(MailboxContract, ExpungeTakesOnlyDeletedMessages) {
  auto boxes = session();
  const uint32_t u1 = append(*boxes, {}, kMessage, kFlagDeleted);
  const uint32_t u2 = append(*boxes, {}, kMessage, kFlagDeleted);
  const uint32_t u3 = append(*boxes, {}, kMessage, kFlagSeen);
  auto box = open(*boxes, {});
  std::vector<uint32_t> subset{u2, u3};
  auto r = box->expunge(&subset);  // UID EXPUNGE: u3 is not \Deleted
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(*r, std::vector<uint32_t>{u2});
  EXPECT_EQ(uids_of(*box), (std::vector<uint32_t>{u1, u3}));
  r = box->expunge(nullptr);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, std::vector<uint32_t>{u1});
  EXPECT_EQ(uids_of(*box), std::vector<uint32_t>{u3});
  r = box->expunge(nullptr);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->empty());
  // UIDs are never given again.
  const uint32_t u4 = append(*boxes, {}, kMessage);
  EXPECT_GT(u4, u3);
}

TEST_P(MailboxContract, ExpungedSinceTellsWhatVanished) {
  auto s1 = session();
  const uint32_t u1 = append(*s1, {}, kMessage, kFlagDeleted);
  const uint32_t u2 = append(*s1, {}, kMessage);
  const uint32_t u3 = append(*s1, {}, kMessage, kFlagDeleted);
  auto box = open(*s1, {});
  const uint64_t before = box->status().highest_modseq;
  ASSERT_TRUE(box->expunge(nullptr));
  const uint64_t after = box->status().highest_modseq;
  EXPECT_GT(after, before);

  // A client that last knew `before` (a new session, as QRESYNC's SELECT).
  auto other = open(*session(), {});
  auto vanished = other->expunged_since(before);
  ASSERT_TRUE(vanished);
  EXPECT_EQ(*vanished, (std::vector<uint32_t>{u1, u3}));
  vanished = other->expunged_since(after);
  ASSERT_TRUE(vanished);
  EXPECT_TRUE(vanished->empty());
  // Never a UID that is still there.
  vanished = other->expunged_since(0);
  ASSERT_TRUE(vanished);
  EXPECT_EQ(std::count(vanished->begin(), vanished->end(), u2), 0);
  EXPECT_TRUE(std::is_sorted(vanished->begin(), vanished->end()));
}

TEST_P(MailboxContract, CopyKeepsFlagsKeywordsAndDates) {
  auto boxes = session();
  const uint32_t u1 = append(*boxes, {}, kMessage, kFlagSeen | kFlagAnswered, {"Work"}, 1600000000);
  const uint32_t u2 = append(*boxes, {}, "Subject: two\n\nx\n", kFlagFlagged, {}, 1600000100);
  auto inbox = open(*boxes, {});
  auto r = boxes->copy(*inbox, {u2, u1, u1 + 100}, {"Archive"});
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(r->source, (std::vector<uint32_t>{u1, u2}));
  ASSERT_EQ(r->target.size(), 2u);
  EXPECT_LT(r->target[0], r->target[1]);
  auto archive = open(*boxes, {"Archive"});
  EXPECT_EQ(archive->status().uid_validity, r->uid_validity);
  ASSERT_EQ(uids_of(*archive), r->target);
  const MessageMeta& c1 = archive->messages()[0];
  EXPECT_EQ(c1.flags, kFlagSeen | kFlagAnswered);
  EXPECT_EQ(keyword_names(*archive, c1.keywords), std::set<std::string>{"Work"});
  EXPECT_EQ(c1.internal_date, 1600000000);
  EXPECT_EQ(c1.size, inbox->messages()[0].size);
  EXPECT_EQ(archive->messages()[1].internal_date, 1600000100);
  EXPECT_EQ(*archive->read(r->target[1]), "Subject: two\n\nx\n");
  // The source is unchanged.
  EXPECT_EQ(uids_of(*inbox), (std::vector<uint32_t>{u1, u2}));
  auto changes = inbox->sync();
  ASSERT_TRUE(changes);
  EXPECT_TRUE(changes->expunged.empty());
  // A copy into the same folder is a new message.
  auto same = boxes->copy(*inbox, {u1}, {});
  ASSERT_TRUE(same) << same.error().describe();
  ASSERT_EQ(same->target.size(), 1u);
  EXPECT_GT(same->target[0], u2);
}

TEST_P(MailboxContract, MoveLeavesTheMessagesInTheTargetOnly) {
  auto s1 = session();
  const uint32_t u1 = append(*s1, {}, kMessage, kFlagSeen);
  const uint32_t u2 = append(*s1, {}, kMessage);
  auto inbox = open(*s1, {});
  auto watcher = open(*session(), {});
  auto r = s1->move(*inbox, {u1}, {"Trash"});
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(r->source, std::vector<uint32_t>{u1});
  ASSERT_EQ(r->target.size(), 1u);
  EXPECT_EQ(uids_of(*inbox), std::vector<uint32_t>{u2});
  auto trash = open(*s1, {"Trash"});
  ASSERT_EQ(uids_of(*trash), r->target);
  EXPECT_EQ(trash->messages()[0].flags, kFlagSeen);
  auto changes = watcher->sync();
  ASSERT_TRUE(changes);
  EXPECT_EQ(changes->expunged, std::vector<uint32_t>{u1});
  auto vanished = watcher->expunged_since(1);
  ASSERT_TRUE(vanished);
  EXPECT_EQ(std::count(vanished->begin(), vanished->end(), u1), 1);
}

TEST_P(MailboxContract, QuotaRefusesWhatWouldPassIt) {
  const std::string big(600, 'x');
  auto boxes = session(1000);
  append(*boxes, {}, big);
  auto q = boxes->quota();
  ASSERT_TRUE(q);
  EXPECT_EQ(q->limit_bytes, 1000u);
  EXPECT_GE(q->used_bytes, 600u);
  EXPECT_EQ(q->used_messages, 1u);

  std::vector<AppendMessage> one(1);
  one[0].text = big;
  EXPECT_EQ(kind_of(boxes->append({"Sent"}, std::move(one))), ErrorKind::kOverQuota);
  auto inbox = open(*boxes, {});
  EXPECT_EQ(kind_of(boxes->copy(*inbox, uids_of(*inbox), {"Archive"})), ErrorKind::kOverQuota);
  // Nothing was left behind.
  EXPECT_TRUE(open(*boxes, {"Sent"})->messages().empty());
  EXPECT_TRUE(open(*boxes, {"Archive"})->messages().empty());
  EXPECT_EQ(boxes->quota()->used_messages, 1u);
  // A move within the account takes no more room.
  auto moved = boxes->move(*inbox, uids_of(*inbox), {"Archive"});
  ASSERT_TRUE(moved) << moved.error().describe();
  EXPECT_EQ(boxes->quota()->used_messages, 1u);
  // Expunging frees room.
  auto archive = open(*boxes, {"Archive"});
  FlagChange deleted;
  deleted.flags = kFlagDeleted;
  ASSERT_TRUE(archive->set_flags(uids_of(*archive), deleted));
  ASSERT_TRUE(archive->expunge(nullptr));
  EXPECT_EQ(boxes->quota()->used_messages, 0u);
  EXPECT_LT(boxes->quota()->used_bytes, 600u);
  append(*boxes, {}, big);
}

TEST_P(MailboxContract, FolderOperations) {
  auto boxes = session();
  ASSERT_TRUE(boxes->create({"Projects"}, {}));
  ASSERT_TRUE(boxes->create({"Projects", "2024"}, {}));
  EXPECT_EQ(kind_of(boxes->create({"Projects"}, {})), ErrorKind::kExists);
  EXPECT_FALSE(boxes->create({}, {}));  // the INBOX always exists
  append(*boxes, {"Projects", "2024"}, kMessage);

  ASSERT_TRUE(boxes->rename({"Projects"}, {"Done"}));
  auto list = boxes->list();
  ASSERT_TRUE(list);
  EXPECT_EQ(find_folder(*list, {"Projects"}), nullptr);
  EXPECT_EQ(find_folder(*list, {"Projects", "2024"}), nullptr);
  EXPECT_NE(find_folder(*list, {"Done"}), nullptr);
  EXPECT_NE(find_folder(*list, {"Done", "2024"}), nullptr);
  EXPECT_EQ(open(*boxes, {"Done", "2024"})->messages().size(), 1u);
  EXPECT_EQ(kind_of(boxes->rename({"Done"}, {"Sent"})), ErrorKind::kExists);
  EXPECT_FALSE(boxes->rename({"Done"}, {}));  // onto the INBOX: refused (any kind)
  EXPECT_EQ(kind_of(boxes->rename({"Missing"}, {"Other"})), ErrorKind::kNotFound);
  EXPECT_FALSE(boxes->rename({"Done"}, {"Done", "Inner"}));  // into itself

  // Deleting a folder leaves its subfolders.
  ASSERT_TRUE(boxes->remove({"Done"}));
  list = boxes->list();
  EXPECT_EQ(find_folder(*list, {"Done"}), nullptr);
  EXPECT_NE(find_folder(*list, {"Done", "2024"}), nullptr);
  EXPECT_EQ(kind_of(boxes->remove({"Done"})), ErrorKind::kNotFound);
  EXPECT_EQ(kind_of(boxes->remove({})), ErrorKind::kInvalid);
  EXPECT_EQ(kind_of(boxes->open({"Done"}, false)), ErrorKind::kNotFound);
}

TEST_P(MailboxContract, SpecialUseAndSubscriptionsAreKept) {
  auto boxes = session();
  ASSERT_TRUE(boxes->create({"Outbox"}, {"\\Sent"}));
  EXPECT_EQ(kind_of(boxes->create({"Odd"}, {"\\Bogus"})), ErrorKind::kInvalid);
  ASSERT_TRUE(boxes->subscribe({"Outbox"}, true));
  ASSERT_TRUE(boxes->subscribe({"Sent"}, false));
  auto list = session()->list();
  ASSERT_TRUE(list);
  EXPECT_EQ(find_folder(*list, {"Odd"}), nullptr);
  const FolderInfo* outbox = find_folder(*list, {"Outbox"});
  ASSERT_NE(outbox, nullptr);
  EXPECT_EQ(outbox->special_use, std::vector<std::string>{"\\Sent"});
  EXPECT_TRUE(outbox->subscribed);
  EXPECT_FALSE(find_folder(*list, {"Sent"})->subscribed);
  // They follow a rename.
  ASSERT_TRUE(boxes->rename({"Outbox"}, {"Sent2"}));
  list = boxes->list();
  const FolderInfo* renamed = find_folder(*list, {"Sent2"});
  ASSERT_NE(renamed, nullptr);
  EXPECT_EQ(renamed->special_use, std::vector<std::string>{"\\Sent"});
  EXPECT_TRUE(renamed->subscribed);
}

TEST_P(MailboxContract, RenamingTheInboxMovesItsMessages) {
  auto boxes = session();
  const uint32_t u1 = append(*boxes, {}, kMessage, kFlagSeen);
  append(*boxes, {}, kMessage);
  ASSERT_TRUE(boxes->rename({}, {"Old mail"}));
  auto inbox = open(*boxes, {});
  ASSERT_TRUE(inbox);
  EXPECT_TRUE(inbox->messages().empty());
  auto old = open(*boxes, {"Old mail"});
  ASSERT_TRUE(old);
  ASSERT_EQ(old->messages().size(), 2u);
  EXPECT_EQ(old->messages()[0].flags, kFlagSeen);
  // The INBOX keeps its UIDs going.
  EXPECT_GT(append(*boxes, {}, kMessage), u1 + 1);
  EXPECT_EQ(kind_of(boxes->rename({}, {"Old mail"})), ErrorKind::kExists);
}

TEST_P(MailboxContract, StatusWithoutOpening) {
  auto boxes = session();
  append(*boxes, {"Drafts"}, kMessage, kFlagSeen);
  const uint32_t u2 = append(*boxes, {"Drafts"}, kMessage);
  auto s = boxes->status({"Drafts"});
  ASSERT_TRUE(s) << s.error().describe();
  EXPECT_EQ(s->messages, 2u);
  EXPECT_EQ(s->unseen, 1u);
  EXPECT_EQ(s->uid_next, u2 + 1);
  EXPECT_EQ(s->size, 2 * kMessage.size());
  EXPECT_EQ(s->recent, 0u);
  auto box = open(*boxes, {"Drafts"});
  EXPECT_EQ(box->status().uid_validity, s->uid_validity);
  EXPECT_EQ(box->status().highest_modseq, s->highest_modseq);
  for (const MessageMeta& m : box->messages()) {
    EXPECT_LE(m.modseq, s->highest_modseq);
  }
}

TEST_P(MailboxContract, TheCacheAnswersOnlyWhatWasGiven) {
  auto boxes = session();
  const uint32_t u = append(*boxes, {}, kMessage);
  auto box = open(*boxes, {});
  EXPECT_EQ(box->cached(u, "envelope"), std::nullopt);
  box->cache(u, "envelope", "(NIL \"hello\")");
  auto value = box->cached(u, "envelope");
  if (value) {
    EXPECT_EQ(*value, "(NIL \"hello\")");  // a cache may forget
  }
  EXPECT_EQ(box->cached(u, "bodystructure"), std::nullopt);
  EXPECT_EQ(box->cached(u + 1, "envelope"), std::nullopt);
}

// No name can leave the account: each is refused before anything happens.
TEST_P(MailboxContract, BadNamesAreInvalidEverywhere) {
  auto boxes = session();
  append(*boxes, {}, kMessage);
  auto inbox = open(*boxes, {});
  const std::vector<FolderName> bad = {
      {".."},
      {"a/b"},
      {"~x"},
      {std::string("\x01")},
      {""},
      {"ok", ".."},
      {"/etc"},
      {std::string("a\0b", 3)},
      {std::string(300, 'x')},
  };
  for (const FolderName& name : bad) {
    SCOPED_TRACE(name.empty() ? "" : name[0]);
    EXPECT_EQ(kind_of(boxes->create(name, {})), ErrorKind::kInvalid);
    EXPECT_EQ(kind_of(boxes->remove(name)), ErrorKind::kInvalid);
    EXPECT_EQ(kind_of(boxes->rename(name, {"x"})), ErrorKind::kInvalid);
    EXPECT_EQ(kind_of(boxes->rename({"Sent"}, name)), ErrorKind::kInvalid);
    EXPECT_EQ(kind_of(boxes->subscribe(name, true)), ErrorKind::kInvalid);
    EXPECT_EQ(kind_of(boxes->open(name, true)), ErrorKind::kInvalid);
    EXPECT_EQ(kind_of(boxes->status(name)), ErrorKind::kInvalid);
    std::vector<AppendMessage> one(1);
    one[0].text = kMessage;
    EXPECT_EQ(kind_of(boxes->append(name, std::move(one))), ErrorKind::kInvalid);
    EXPECT_EQ(kind_of(boxes->copy(*inbox, uids_of(*inbox), name)), ErrorKind::kInvalid);
    EXPECT_EQ(kind_of(boxes->move(*inbox, uids_of(*inbox), name)), ErrorKind::kInvalid);
  }
  // Nothing moved, and the list holds only what was there.
  EXPECT_EQ(inbox->messages().size(), 1u);
  auto list = boxes->list();
  ASSERT_TRUE(list);
  EXPECT_EQ(list->size(), 5u);
  EXPECT_NE(find_folder(*list, {"Sent"}), nullptr);
}

TEST_P(MailboxContract, ManyChangesKeepUidsAscending) {
  auto s1 = session();
  auto s2 = session();
  auto a = open(*s1, {});
  auto b = open(*s2, {});
  std::vector<uint32_t> given;
  for (int i = 0; i < 20; ++i) {
    given.push_back(append(i % 2 ? *s1 : *s2, {}, kMessage, i % 3 ? 0 : kFlagDeleted));
    if (i % 5 == 4) {
      ASSERT_TRUE((i % 2 ? a : b)->sync());
    }
    if (i % 7 == 6) {
      ASSERT_TRUE((i % 2 ? a : b)->expunge(nullptr));
    }
  }
  EXPECT_TRUE(std::is_sorted(given.begin(), given.end()));
  EXPECT_EQ(std::adjacent_find(given.begin(), given.end()), given.end());
  for (auto* box : {a.get(), b.get()}) {
    ASSERT_TRUE(box->sync());
    auto uids = uids_of(*box);
    EXPECT_TRUE(std::is_sorted(uids.begin(), uids.end()));
    for (uint32_t u : uids) {
      EXPECT_TRUE(std::count(given.begin(), given.end(), u));
    }
  }
  EXPECT_EQ(uids_of(*a), uids_of(*b));
}

}  // namespace hm::store::testing
