#include "base/line_ends.h"

#include <gtest/gtest.h>

#include <string>

namespace hm {
namespace {

TEST(LineEnds, AppendWithLfMakesEveryCrlfLfAndLeavesTheRest) {
  struct Case {
    std::string_view in, out;
    size_t lines;
  };
  for (const Case& c :
       {Case{"", "", 0}, Case{"a", "a", 0}, Case{"a\r\n", "a\n", 1},
        Case{"a\r\nb\r\n", "a\nb\n", 2}, Case{"\r\n\r\n", "\n\n", 2}, Case{"a\nb", "a\nb", 1},
        Case{"a\rb\r", "a\rb\r", 0}, Case{"a\r\r\n", "a\r\n", 1}, Case{"\n", "\n", 1}}) {
    std::string out = "x";
    EXPECT_EQ(append_with_lf(c.in, out), c.lines) << c.in;
    EXPECT_EQ(out, "x" + std::string(c.out)) << c.in;
  }
}

TEST(LineEnds, WithCrlfMakesEveryLineEndCrlf) {
  EXPECT_EQ(with_crlf("a\nb\r\nc\rd"), "a\r\nb\r\nc\r\nd");
  EXPECT_EQ(with_crlf("\n\n"), "\r\n\r\n");
  EXPECT_EQ(with_crlf("x\r"), "x\r\n");
  EXPECT_EQ(with_crlf(""), "");
}

TEST(LineEnds, TheTwoAreInversesOnWireText) {
  const std::string wire = "Subject: a\r\n\r\nbody\r\n.\r\n";
  std::string lf;
  append_with_lf(wire, lf);
  EXPECT_EQ(with_crlf(lf), wire);
}

}  // namespace
}  // namespace hm
