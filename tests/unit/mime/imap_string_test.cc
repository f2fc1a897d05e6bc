#include "mime/imap_string.h"

#include <gtest/gtest.h>

#include <string>

namespace hm::mime {
namespace {

std::string str(std::string_view s) {
  std::string out;
  append_imap_string(out, s);
  return out;
}

TEST(ImapString, QuotesAndEscapes) {
  EXPECT_EQ(str("plain"), "\"plain\"");
  EXPECT_EQ(str(""), "\"\"");
  EXPECT_EQ(str(R"~(a "b" \c)~"), R"~("a \"b\" \\c")~");
}

TEST(ImapString, EightBitAndLineEndsBecomeLiterals) {
  EXPECT_EQ(str("caf\xC3\xA9"), "{5}\r\ncaf\xC3\xA9");
  EXPECT_EQ(str("a\r\nb"), "{4}\r\na  b");
  EXPECT_EQ(str(std::string("a\0b", 3)), "{3}\r\na b");
}

TEST(ImapString, EmptyNstringIsNil) {
  std::string out;
  append_imap_nstring(out, "");
  append_imap_nstring(out, "x");
  EXPECT_EQ(out, "NIL\"x\"");
}

}  // namespace
}  // namespace hm::mime
