// FETCH and SEARCH over the in-memory store (store/memory), which keeps
// mailbox.h's promises as the Maildir backend does: what the message
// functions offer to the cache comes back, so warm requests read nothing.

#include <gtest/gtest.h>

#include "base/line_ends.h"
#include "imap/message/fetch_response.h"
#include "imap/message/search.h"
#include "imap/proto/command_parser.h"
#include "store/memory/memory_store.h"

namespace hm::imap {
namespace {

// Passes every call to the real mailbox, counting read()s.
class CountingMailbox : public store::Mailbox {
 public:
  explicit CountingMailbox(std::unique_ptr<store::Mailbox> inner) : inner_(std::move(inner)) {}
  int reads = 0;

  bool read_only() const override { return inner_->read_only(); }
  store::MailboxStatus status() const override { return inner_->status(); }
  const std::vector<store::MessageMeta>& messages() const override { return inner_->messages(); }
  std::optional<size_t> find(uint32_t uid) const override { return inner_->find(uid); }
  const std::vector<std::string>& keywords() const override { return inner_->keywords(); }
  Result<store::MailboxChanges> sync() override { return inner_->sync(); }
  Result<std::string> read(uint32_t uid) override {
    ++reads;
    return inner_->read(uid);
  }
  std::optional<std::string> cached(uint32_t uid, store::CacheKey key) override {
    return inner_->cached(uid, key);
  }
  void cache(uint32_t uid, store::CacheKey key, std::string value) override {
    inner_->cache(uid, key, std::move(value));
  }
  Result<store::FlagResult> set_flags(const std::vector<uint32_t>& uids,
                                      const store::FlagChange& change) override {
    return inner_->set_flags(uids, change);
  }
  Result<std::vector<uint32_t>> expunge(const std::vector<uint32_t>* uids) override {
    return inner_->expunge(uids);
  }
  Result<std::vector<uint32_t>> expunged_since(uint64_t modseq) override {
    return inner_->expunged_since(modseq);
  }

 private:
  std::unique_ptr<store::Mailbox> inner_;
};

const std::string kMessage =
    "From: =?UTF-8?Q?Ren=C3=A9?= <rene@example.org>\r\n"
    "Subject: Stra\xC3\x9F"
    "enbahn\r\n"
    "Date: Tue, 5 Mar 2024 10:00:00 +0100\r\n"
    "\r\n"
    "Fahrplan anbei.\r\n";

std::vector<proto::FetchAtt> atts(const std::string& spec) {
  auto r = proto::parse_command("a FETCH 1 " + spec);
  return std::get<proto::FetchArgs>(std::get<proto::Command>(r).args).atts;
}

proto::SearchKey key(const std::string& spec) {
  auto r = proto::parse_command("a SEARCH CHARSET UTF-8 " + spec);
  return std::get<proto::SearchArgs>(std::get<proto::Command>(r).args).key;
}

class MemoryStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto account = store::memory::make_memory_account(0);
    folders_ = store::memory::open(account);
    std::vector<store::AppendMessage> messages(3);
    for (auto& m : messages) m.text = kMessage;
    messages[1].flags = store::kFlagSeen;
    messages[1].keywords = {"$Label1"};
    messages[2].text = "Subject: other\r\n\r\nnothing\r\n";
    messages[2].internal_date = 1709629200;  // 2024-03-05 09:00:00 UTC
    auto appended = folders_->append({}, std::move(messages));
    ASSERT_TRUE(appended) << appended.error().message();
    auto inbox = folders_->open({}, false);
    ASSERT_TRUE(inbox) << inbox.error().message();
    box = std::make_unique<CountingMailbox>(std::move(*inbox));
  }
  std::string fetch(uint32_t seq, const std::string& spec) {
    std::string out;
    Status s = write_fetch(*box, seq, atts(spec), {}, out);
    EXPECT_TRUE(s) << (s ? "" : s.error().message());
    return out;
  }

  std::unique_ptr<store::Mailboxes> folders_;
  std::unique_ptr<CountingMailbox> box;
};

TEST_F(MemoryStoreTest, WarmEnvelopeAndBodystructureReadNothing) {
  ASSERT_EQ(box->messages().size(), 3u);
  const std::string cold = fetch(1, "(ENVELOPE BODYSTRUCTURE)");
  EXPECT_TRUE(cold.starts_with(
      "* 1 FETCH (ENVELOPE (\"Tue, 5 Mar 2024 10:00:00 +0100\" {12}\r\nStra\xC3\x9F"
      "enbahn ((\"=?UTF-8?Q?Ren=C3=A9?=\" NIL \"rene\" \"example.org\")) "))
      << cold;
  EXPECT_EQ(box->reads, 1);
  EXPECT_EQ(fetch(1, "(ENVELOPE BODYSTRUCTURE)"), cold);
  EXPECT_EQ(box->reads, 1);
}

TEST_F(MemoryStoreTest, FlagsAndSizesFromTheStoresView) {
  EXPECT_EQ(fetch(2, "(FLAGS RFC822.SIZE)"),
            "* 2 FETCH (FLAGS (\\Seen \\Recent $Label1) RFC822.SIZE " +
                std::to_string(kMessage.size()) + ")\r\n");
  EXPECT_EQ(fetch(3, "INTERNALDATE"),
            "* 3 FETCH (INTERNALDATE \" 5-Mar-2024 09:00:00 +0000\")\r\n");
  // Stored with LF by the store, sent with CRLF: the client's bytes back.
  EXPECT_EQ(fetch(1, "BODY.PEEK[]"),
            "* 1 FETCH (BODY[] {" + std::to_string(kMessage.size()) + "}\r\n" + kMessage + ")\r\n");
  EXPECT_EQ(box->reads, 1);
}

TEST_F(MemoryStoreTest, WarmHeaderSearchReadsNothing) {
  auto cold = search(*box, key("OR FROM {5}\r\nREN\xC3\x89 SUBJECT STRASSENBAHN"), {"UTF-8"});
  ASSERT_TRUE(cold) << cold.error().message();
  EXPECT_EQ(*cold, (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(box->reads, 3);
  auto warm = search(*box, key("OR FROM {5}\r\nREN\xC3\x89 SUBJECT STRASSENBAHN"), {"UTF-8"});
  ASSERT_TRUE(warm);
  EXPECT_EQ(*warm, (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(box->reads, 3);
  auto sent = search(*box, key("SENTON 5-Mar-2024 KEYWORD $label1"), {});
  ASSERT_TRUE(sent);
  EXPECT_EQ(*sent, (std::vector<uint32_t>{2}));
}

}  // namespace
}  // namespace hm::imap
