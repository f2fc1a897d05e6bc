// HeaderReader: fields with their folding, the body after the empty line,
// and malformed messages read without failing.

#include "dkim/header_reader.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dkim/canonical.h"

namespace hm::dkim {
namespace {

using namespace std::string_literals;
using namespace std::string_view_literals;

struct Read {
  std::vector<std::string> names;
  std::vector<std::string> texts;
  std::string body;
};

Read read(std::string_view message) {
  Read r;
  HeaderReader reader(message);
  HeaderField f;
  while (reader.next(f)) {
    r.names.emplace_back(f.name);
    r.texts.emplace_back(f.text);
  }
  r.body = std::string(reader.body());
  return r;
}

TEST(HeaderReader, Rfc6376ExampleMessage) {
  std::string message = "A: X\r\nB : Y\t\r\n\tZ  \r\n\r\n C \r\nD \t E\r\n\r\n\r\n";
  Read r = read(message);
  ASSERT_EQ(r.names, (std::vector<std::string>{"A", "B"}));
  EXPECT_EQ(r.texts[1], "B : Y\t\r\n\tZ  ");
  std::string canonical;
  for (const std::string& t : r.texts) append_relaxed_header(canonical, t);
  EXPECT_EQ(canonical, "a:X\r\nb:Y Z\r\n");
  EXPECT_EQ(relaxed_body(r.body), " C\r\nD E\r\n");
}

TEST(HeaderReader, NoSeparatorMeansNoBody) {
  Read r = read("From: a@example.org\r\nSubject: x\r\n");
  EXPECT_EQ(r.names, (std::vector<std::string>{"From", "Subject"}));
  EXPECT_EQ(r.body, "");
  r = read("From: a@example.org\r\nSubject: no crlf");
  EXPECT_EQ(r.texts.back(), "Subject: no crlf");
  EXPECT_EQ(r.body, "");
}

TEST(HeaderReader, EmptyMessageAndEmptyHeader) {
  EXPECT_TRUE(read("").names.empty());
  Read r = read("\r\nbody\r\n");
  EXPECT_TRUE(r.names.empty());
  EXPECT_EQ(r.body, "body\r\n");
}

TEST(HeaderReader, LinesWithoutColonAndLeadingContinuation) {
  Read r = read(" orphan\r\nFrom foo\r\nX: a\r\n continued: b\r\n\r\n");
  EXPECT_EQ(r.names, (std::vector<std::string>{"", "", "X"}));
  EXPECT_EQ(r.texts[2], "X: a\r\n continued: b");
}

TEST(HeaderReader, BareLfAndNulAreData) {
  std::string message = "Subject: a\nb\0c\r\nTo: x\n\nbody\n"s;
  Read r = read(message);
  ASSERT_EQ(r.names, (std::vector<std::string>{"Subject", "To"}));
  EXPECT_EQ(r.texts[0], "Subject: a\nb\0c"s);
  EXPECT_EQ(r.texts[1], "To: x\n\nbody\n");  // only CRLF ends a line
  EXPECT_EQ(r.body, "");
}

TEST(HeaderReader, EmptyBodyAfterSeparator) {
  Read r = read("From: a@example.org\r\n\r\n");
  EXPECT_EQ(r.names.size(), 1u);
  EXPECT_EQ(r.body, "");
}

}  // namespace
}  // namespace hm::dkim
