#include "imap/message/fetch_section.h"

#include <gtest/gtest.h>

namespace hm::imap {
namespace {

// Every window of the CRLF form, against with_crlf() of the stored text,
// including mixed line ends and a bare CR.
TEST(AppendCrlf, EveryWindowMatchesTheConvertedText) {
  const std::string text = "a\nbc\r\nd\re\n\nf";
  const std::string crlf = "a\r\nbc\r\nd\re\r\n\r\nf";
  mime::Span span{0, text.size(), 0, crlf.size()};
  for (size_t origin = 0; origin <= crlf.size() + 1; ++origin) {
    for (size_t count = 0; count <= crlf.size() + 1; ++count) {
      std::string out;
      append_crlf(out, text, span, origin, count);
      const std::string want = origin < crlf.size() ? crlf.substr(origin, count) : "";
      ASSERT_EQ(out, want) << origin << "." << count;
    }
  }
  // A span inside the text looks back for the CR before its first byte.
  std::string out;
  append_crlf(out, text, mime::Span{5, 3, 6, 3}, 0, 3);
  EXPECT_EQ(out, "\nd\r");
}

TEST(SectionSpec, EchoesTheSectionAsTheResponseNamesIt) {
  proto::Section s;
  EXPECT_EQ(section_spec(s), "");
  s.part = {1, 2};
  EXPECT_EQ(section_spec(s), "1.2");
  s.text = proto::Section::Text::kMime;
  EXPECT_EQ(section_spec(s), "1.2.MIME");
  s.part = {};
  s.text = proto::Section::Text::kHeaderFieldsNot;
  s.fields = {"FROM", "X-A"};
  EXPECT_EQ(section_spec(s), "HEADER.FIELDS.NOT (FROM X-A)");
  s.text = proto::Section::Text::kText;
  EXPECT_EQ(section_spec(s), "TEXT");
}

}  // namespace
}  // namespace hm::imap
