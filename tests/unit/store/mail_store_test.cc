// The store's interface over its Maildir++ backend: where mail lies (the
// rules of mailbox_path.h, applied with the store's configuration) and the
// stored form of a saved message (LF line ends, ",S=" and ",W=" sizes).

#include "store/mail_store.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <gtest/gtest.h>

#include "store/maildir/maildir_store.h"

namespace hm::store {
namespace {

namespace stdfs = std::filesystem;

class MailStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (stdfs::temp_directory_path() / "hm-store-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    base_ = tmpl;
    store_ = std::make_unique<maildir::MaildirStore>(maildir::MaildirStoreOptions{
        base_, "mx.example.org", static_cast<uid_t>(-1), static_cast<gid_t>(-1), true});
  }
  void TearDown() override {
    std::error_code ec;
    stdfs::remove_all(base_, ec);
  }
  static std::string read_all(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }

  std::string base_;
  std::unique_ptr<MailStore> store_;
};

TEST_F(MailStoreTest, AVirtualAccountLivesBelowTheBaseInItsDomain) {
  auto l = store_->virtual_location("john@example.org", "example.org/john/");
  ASSERT_TRUE(l) << l.error().describe();
  EXPECT_EQ(l->path, base_ + "/example.org/john/");
}

TEST_F(MailStoreTest, PathsThatLeaveTheAccountsFolderAreRefused) {
  for (const char* mailbox : {"example.org/../other.org/x/", "/etc/", "other.org/john/",
                              "example.org/", "../john/", "example.org/./john/"}) {
    auto l = store_->virtual_location("john@example.org", mailbox);
    ASSERT_FALSE(l) << mailbox;
    EXPECT_EQ(l.error().kind(), ErrorKind::kInvalid) << mailbox;
  }
  EXPECT_FALSE(store_->local_location("relative/home"));
  EXPECT_FALSE(store_->local_location("/home/../root"));
  auto local = store_->local_location("/home/mary");
  ASSERT_TRUE(local);
  EXPECT_EQ(local->path, "/home/mary/Maildir/");
}

// Mail arrives with CRLF; the store keeps it with LF, its header lines on
// top, and names the file with both sizes.
TEST_F(MailStoreTest, SavedMailIsStoredWithUnixLineEndsAndBothSizesInItsName) {
  auto l = store_->virtual_location("john@example.org", "example.org/john/");
  ASSERT_TRUE(l);
  const auto message = StoredMessage::from_wire("Delivered-To: john@example.org\r\n",
                                                "Subject: hi\r\n\r\nline\r\nbare\rcr\r\n");
  auto saved = store_->save(message, {*l, *l});
  ASSERT_EQ(saved.size(), 2u);
  ASSERT_TRUE(saved[0]) << saved[0].error().describe();
  const std::string expected = "Delivered-To: john@example.org\nSubject: hi\n\nline\nbare\rcr\n";
  EXPECT_EQ(read_all(l->path + "new/" + *saved[0]), expected);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(*saved[0], m, std::regex(",S=(\\d+),W=(\\d+)$"))) << *saved[0];
  EXPECT_EQ(std::stoul(m[1]), expected.size());
  EXPECT_EQ(std::stoul(m[2]), expected.size() + 5);  // five lines
  // The same Maildir twice: two names (a duplicate is the caller's to skip).
  ASSERT_TRUE(saved[1]);
  EXPECT_NE(*saved[0], *saved[1]);
}

TEST(StoredMessage, FromWireConvertsOnceAndCountsTheLines) {
  auto m = StoredMessage::from_wire("A: 1\r\n", "B: 2\r\n\r\nx\ny\r\nno end");
  EXPECT_EQ(m.text(), "A: 1\nB: 2\n\nx\ny\nno end");
  EXPECT_EQ(m.size(), m.text().size());
  EXPECT_EQ(m.wire_size(), m.size() + 5);
  auto s = StoredMessage::from_stored("a\nb\n");
  EXPECT_EQ(s.text(), "a\nb\n");
  EXPECT_EQ(s.wire_size(), 6u);
  EXPECT_EQ(StoredMessage::from_wire("", "").wire_size(), 0u);
}

}  // namespace
}  // namespace hm::store

namespace hm::store {
namespace {

// Below virtual_base nothing on the way to a Maildir may be a symbolic link
// (the account's folder or its domain's): the save fails and leaves nothing,
// wherever the link points, even inside the base.
TEST_F(MailStoreTest, AMaildirReachedThroughALinkGetsNothing) {
  stdfs::create_directories(base_ + "/elsewhere/new");
  stdfs::create_directories(base_ + "/elsewhere/cur");
  stdfs::create_directories(base_ + "/elsewhere/tmp");
  stdfs::create_directories(base_ + "/example.org");
  stdfs::create_symlink(base_ + "/elsewhere", base_ + "/example.org/john");
  stdfs::create_directory_symlink(base_ + "/example.org", base_ + "/example.net");
  stdfs::create_directories(base_ + "/example.org/mary");
  for (auto [address, mailbox] : {std::pair{"john@example.org", "example.org/john/"},
                                  std::pair{"mary@example.net", "example.net/mary/"}}) {
    auto l = store_->virtual_location(address, mailbox);
    ASSERT_TRUE(l) << l.error().describe();  // the rule of names holds
    auto saved = store_->save(StoredMessage::from_wire("", "Subject: x\r\n\r\nx\r\n"), {*l});
    ASSERT_FALSE(saved[0]) << mailbox;
    EXPECT_EQ(saved[0].error().kind(), ErrorKind::kPermission);
    EXPECT_NE(saved[0].error().message().find("symbolic link"), std::string::npos)
        << saved[0].error().message();
  }
  EXPECT_TRUE(stdfs::is_empty(base_ + "/elsewhere/new"));
  EXPECT_TRUE(stdfs::is_empty(base_ + "/elsewhere/tmp"));
  EXPECT_FALSE(stdfs::exists(base_ + "/example.org/mary/new") &&
               !stdfs::is_empty(base_ + "/example.org/mary/new"));
  // The same Maildir reached by its real path takes mail.
  auto real = store_->virtual_location("mary@example.org", "example.org/mary/");
  ASSERT_TRUE(real);
  EXPECT_TRUE(store_->save(StoredMessage::from_wire("", "x\r\n"), {*real})[0]);
}

}  // namespace
}  // namespace hm::store
