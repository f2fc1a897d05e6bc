#include "imap/message/message_text.h"

#include <gtest/gtest.h>

#include "fake_mailbox.h"

namespace hm::imap {
namespace {

using testing::FakeMailbox;

TEST(HeaderValues, CacheFormatTellsAbsentFromEmpty) {
  EXPECT_EQ(encode_header_values({}), "");
  EXPECT_EQ(encode_header_values({""}), "\n");
  EXPECT_EQ(encode_header_values({"a", "b c"}), "a\nb c\n");
  for (const auto& v : std::vector<std::vector<std::string>>{{}, {""}, {"a", "b c"}, {"", "x"}}) {
    EXPECT_EQ(decode_header_values(encode_header_values(v)), v);
  }
}

TEST(HeaderValues, AllFieldsOfTheNameUnfoldedInOrder) {
  const std::string block =
      "Received: one\n\ttwo\nSubject:  Hi there \nreceived: three\nX: y\n\nreceived: body\n";
  EXPECT_EQ(header_field_values(block.substr(0, block.find("\n\n") + 2), "RECEIVED"),
            (std::vector<std::string>{"one\ttwo", "three"}));
}

TEST(MessageText, HeaderValuesComeFromTheCacheOrAreOfferedToIt) {
  FakeMailbox box;
  box.add("Subject: from the file\nTo: a@b\n\nbody\n");
  {
    MessageText msg(box, 1);
    auto v = msg.header_values("SUBJECT");
    ASSERT_TRUE(v);
    EXPECT_EQ(*v, std::vector<std::string>{"from the file"});
    EXPECT_EQ(box.reads, 1);
    EXPECT_EQ((box.cache_map()[{1, "header:SUBJECT"}]), "from the file\n");
    auto cc = msg.header_values("CC");  // the header is read once
    ASSERT_TRUE(cc);
    EXPECT_TRUE(cc->empty());
    EXPECT_EQ(box.reads, 1);
    EXPECT_EQ((box.cache_map()[{1, "header:CC"}]), "");
  }
  box.cache_map()[{1, "header:SUBJECT"}] = "from the cache\n";
  MessageText msg(box, 1);
  auto v = msg.header_values("SUBJECT");
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, std::vector<std::string>{"from the cache"});
  EXPECT_EQ(box.reads, 1);
  EXPECT_FALSE(msg.loaded());
}

// The header block is read with read_header: the body is not read for
// items that need only the header (ENVELOPE, BODY[HEADER], header keys).
TEST(MessageText, TheHeaderBlockReadsOnlyTheHeader) {
  FakeMailbox box;
  box.add("Subject: s\nTo: a@b\n\n" + std::string(100000, 'b') + "\n");
  MessageText msg(box, 1);
  auto block = msg.header_block();
  ASSERT_TRUE(block);
  EXPECT_EQ(*block, "Subject: s\nTo: a@b\n\n");
  auto to = msg.header_values("TO");
  ASSERT_TRUE(to);
  EXPECT_EQ(*to, std::vector<std::string>{"a@b"});
  EXPECT_EQ(box.reads, 1);  // that one read was read_header
  EXPECT_EQ(box.header_reads, 1);
  EXPECT_FALSE(msg.loaded());
  // Once the text is read, the header comes from it.
  ASSERT_TRUE(msg.text());
  EXPECT_EQ(*msg.header_block(), "Subject: s\nTo: a@b\n\n");
  EXPECT_EQ(box.reads, 2);
  EXPECT_EQ(box.header_reads, 1);
}

TEST(MessageText, AnExpungedMessageIsNotFound) {
  FakeMailbox box;
  box.add("Subject: x\n\n");
  box.remove_file(1);
  MessageText msg(box, 1);
  auto t = msg.text();
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().kind(), ErrorKind::kNotFound);
}

}  // namespace
}  // namespace hm::imap
