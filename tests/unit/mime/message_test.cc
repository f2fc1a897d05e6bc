#include "mime/message.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "base/line_ends.h"
#include "mime/bodystructure.h"

namespace hm::mime {
namespace {

std::string read_sample(const std::string& name) {
  std::ifstream in(std::string(HM_TEST_DATA_DIR) + "/mime/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string section_text(const Message& m, std::string_view spec) {
  auto s = m.section(spec);
  if (!s) return "<none>";
  return std::string(m.text(*s));
}

TEST(Message, NumbersPartsAsImapDoes) {
  const std::string text = read_sample("nested_rfc822.eml");
  const Message m = Message::parse(text);
  EXPECT_EQ(section_text(m, "1"), "See below.");
  EXPECT_EQ(section_text(m, "1.MIME"), "Content-Type: text/plain\n\n");
  EXPECT_EQ(section_text(m, "2.MIME"),
            "Content-Type: message/rfc822\nContent-Description: forwarded message\n\n");
  EXPECT_EQ(section_text(m, "2.HEADER").substr(0, 37), "From: \"Mary Smith\" <mary@example.net>");
  EXPECT_EQ(section_text(m, "2.HEADER").substr(section_text(m, "2.HEADER").size() - 3), "\"\n\n");
  EXPECT_EQ(section_text(m, "2.TEXT").substr(0, 7), "--inner");
  EXPECT_EQ(section_text(m, "2").substr(0, 5), "From:");
  EXPECT_EQ(section_text(m, "2.1"), "inner plain");
  EXPECT_EQ(section_text(m, "2.2"), "<b>inner html</b>");
  EXPECT_EQ(section_text(m, "2.2.MIME"), "Content-Type: text/html\n\n");
  EXPECT_EQ(section_text(m, "2.1.header"), "<none>");  // not a message/rfc822 part
  EXPECT_EQ(section_text(m, "3"), "<none>");
  EXPECT_EQ(section_text(m, "2.3"), "<none>");
  EXPECT_EQ(section_text(m, "1.1"), "<none>");
  EXPECT_EQ(section_text(m, "0"), "<none>");
  EXPECT_EQ(section_text(m, "1."), "<none>");
  EXPECT_EQ(section_text(m, "MIME"), "<none>");
  EXPECT_EQ(section_text(m, "BOGUS"), "<none>");
  EXPECT_EQ(section_text(m, ""), text);
  EXPECT_EQ(section_text(m, "HEADER.FIELDS (From)"), section_text(m, "HEADER"));
  EXPECT_EQ(section_text(m, "TEXT").substr(0, 8), "--outer\n");
}

TEST(Message, ASinglePartMessageIsItsOwnPartOne) {
  const std::string text = "Subject: x\n\nhello\n";
  const Message m = Message::parse(text);
  EXPECT_EQ(section_text(m, "1"), "hello\n");
  EXPECT_EQ(section_text(m, "TEXT"), "hello\n");
  EXPECT_EQ(section_text(m, "HEADER"), "Subject: x\n\n");
  EXPECT_EQ(section_text(m, "2"), "<none>");
}

TEST(Message, DigestPartsDefaultToMessageRfc822) {
  const std::string text =
      "Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: one\n\nbody one\n--d--\n";
  const Message m = Message::parse(text);
  ASSERT_EQ(m.root().children.size(), 1u);
  EXPECT_TRUE(m.root().children[0].is_message_rfc822());
  EXPECT_EQ(section_text(m, "1.HEADER"), "Subject: one\n\n");
  EXPECT_EQ(section_text(m, "1.1"), "body one");
}

// The same message with LF and with CRLF line ends: identical CRLF offsets,
// sizes, lines and BODYSTRUCTURE; and a CRLF span of the LF text is where the
// same bytes lie in the CRLF text.
TEST(Message, CrlfOffsetsDoNotDependOnTheStoredLineEnds) {
  for (const char* name : {"nested_rfc822.eml", "mixed_attachment.eml", "malformed_boundary.eml"}) {
    SCOPED_TRACE(name);
    const std::string lf = read_sample(name);
    const std::string crlf = with_crlf(lf);
    const Message a = Message::parse(lf);
    const Message b = Message::parse(crlf);
    EXPECT_TRUE(a.has_bare_lf());
    EXPECT_FALSE(b.has_bare_lf());
    EXPECT_EQ(a.whole().crlf_size, crlf.size());
    EXPECT_EQ(bodystructure(a), bodystructure(b));
    for (const char* spec :
         {"1", "1.MIME", "2", "2.MIME", "2.HEADER", "2.TEXT", "2.1", "2.2", "TEXT", "HEADER"}) {
      auto sa = a.section(spec);
      auto sb = b.section(spec);
      ASSERT_EQ(sa.has_value(), sb.has_value()) << spec;
      if (!sa) continue;
      EXPECT_EQ(sa->crlf_offset, sb->offset) << spec;
      EXPECT_EQ(sa->crlf_size, sb->size) << spec;
      EXPECT_EQ(sb->crlf_offset, sb->offset) << spec;
      EXPECT_EQ(with_crlf(a.text(*sa)), b.text(*sb)) << spec;
    }
  }
}

TEST(Message, CrlfOffsetsPastManyBlocks) {
  std::string text = "Content-Type: multipart/mixed; boundary=b\n\n";
  for (int i = 0; i < 3000; ++i) text += "preamble line\n";
  for (int i = 0; i < 50; ++i) text += "--b\n\n" + std::string(300, 'x') + "\n";
  text += "--b--\n";
  const std::string crlf = with_crlf(text);
  const Message a = Message::parse(text);
  const Message b = Message::parse(crlf);
  ASSERT_EQ(a.root().children.size(), 50u);
  for (size_t i = 0; i < 50; ++i) {
    EXPECT_EQ(a.root().children[i].body.crlf_offset, b.root().children[i].body.offset);
  }
}

TEST(Message, PreambleEpilogueAndMissingFinalBoundary) {
  const std::string text = read_sample("malformed_boundary.eml");
  const Message m = Message::parse(text);
  ASSERT_EQ(m.root().children.size(), 2u);
  EXPECT_EQ(section_text(m, "1"), "first\n--abcdef\nnot a boundary line");
  EXPECT_EQ(section_text(m, "2"), "second, no final boundary\n");
}

TEST(Message, MultipartWithoutBoundaryOrPartsIsText) {
  for (std::string text : {"Content-Type: multipart/mixed\n\n--a\n\nx\n--a--\n",
                           "Content-Type: multipart/mixed; boundary=zz\n\nno parts at all\n"}) {
    const Message m = Message::parse(text);
    EXPECT_EQ(m.root().type, "text");
    EXPECT_TRUE(m.root().children.empty());
    EXPECT_EQ(section_text(m, "1"), text.substr(text.find("\n\n") + 2));
  }
}

TEST(Message, EncodedMessageRfc822IsData) {
  const std::string text =
      "Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\nU3ViamVjdDogeAoK\n";
  const Message m = Message::parse(text);
  EXPECT_EQ(m.root().type, "application");
  EXPECT_TRUE(m.root().children.empty());
  EXPECT_EQ(bodystructure(m),
            R"~(("application" "octet-stream" NIL NIL NIL "base64" 18 NIL NIL NIL NIL))~");
}

TEST(Message, InvalidContentTypeTakesTheDefault) {
  const Message m = Message::parse("Content-Type: garbage; charset=utf-8\n\nx");
  EXPECT_EQ(m.root().type, "text");
  EXPECT_EQ(m.root().subtype, "plain");
  ASSERT_EQ(m.root().params.size(), 1u);
  EXPECT_EQ(m.root().params[0].value, "us-ascii");
}

std::string nested(size_t depth) {
  std::string text;
  for (size_t i = 0; i < depth; ++i) {
    text += "Content-Type: multipart/mixed; boundary=b" + std::to_string(i) + "\n\n--b" +
            std::to_string(i) + "\n";
  }
  text += "Content-Type: text/plain\n\ndeep\n";
  return text;
}

size_t depth_of(const Part& p) {
  size_t d = 0;
  for (const auto& c : p.children) d = std::max(d, 1 + depth_of(c));
  return d;
}

TEST(Message, NestingDeeperThanTheLimitBecomesALeaf) {
  const std::string text = nested(10000);
  const Message m = Message::parse(text, Limits{.max_depth = 8});
  EXPECT_EQ(depth_of(m.root()), 8u);
  const Message d = Message::parse(text);
  EXPECT_EQ(depth_of(d.root()), Limits{}.max_depth);
  EXPECT_FALSE(bodystructure(d).empty());
}

TEST(Message, NestedMessagesCountTowardsTheDepth) {
  std::string text;
  for (int i = 0; i < 1000; ++i) text += "Content-Type: message/rfc822\n\n";
  text += "Subject: innermost\n\nx\n";
  const Message m = Message::parse(text, Limits{.max_depth = 5});
  EXPECT_EQ(depth_of(m.root()), 5u);
}

TEST(Message, PartsPastTheLimitAreCut) {
  std::string text = "Content-Type: multipart/mixed; boundary=b\n\n";
  for (int i = 0; i < 5000; ++i) text += "--b\n\nx\n";
  const Message m = Message::parse(text, Limits{.max_parts = 100});
  EXPECT_EQ(m.parts(), 100u);
  EXPECT_EQ(m.root().children.size(), 99u);
}

TEST(Message, OnlyTheHeaderLimitIsParsed) {
  std::string text = "X-Pad: " + std::string(300 * 1024, 'a') + "\nContent-Type: text/html\n\nx";
  const Message m = Message::parse(text);
  EXPECT_EQ(m.root().subtype, "plain");  // the field lay past the limit
  EXPECT_EQ(m.root().header.size, text.size() - 1);
}

}  // namespace
}  // namespace hm::mime
