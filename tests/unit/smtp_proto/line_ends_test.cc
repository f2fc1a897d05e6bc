#include "smtp/proto/line_ends.h"

#include <gtest/gtest.h>

#include <string>

namespace hm::smtp::proto {
namespace {

// What BDAT made of a whole message before it was normalised in pieces.
std::string whole(std::string_view in) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    const char ch = in[i];
    if (ch == '\n' && (i == 0 || in[i - 1] != '\r')) out += '\r';
    out += ch;
    if (ch == '\r' && (i + 1 == in.size() || in[i + 1] != '\n')) out += '\n';
  }
  return out;
}

std::string pieces(std::string_view in, size_t step) {
  LineEndNormalizer n;
  std::string out;
  for (size_t i = 0; i < in.size(); i += step) n.feed(in.substr(i, step), out);
  n.finish(out);
  return out;
}

TEST(LineEndNormalizerTest, BareCrAndLfBecomeCrLfInAnySplit) {
  for (std::string_view in : {"", "a", "a\r\nb\r\n", "a\nb\rc\r\r\nd\n\n", "\r", "\n", "\r\r",
                              "x\r", "\r\n\r", "..\r\n.\r\n"}) {
    for (size_t step : {1u, 2u, 3u, 100u}) {
      EXPECT_EQ(pieces(in, step), whole(in)) << "step " << step;
    }
  }
  LineEndNormalizer n;
  std::string out;
  n.feed("a\rb\nc\r\nd\r", out);
  n.finish(out);
  EXPECT_EQ(out, "a\r\nb\r\nc\r\nd\r\n");
  EXPECT_EQ(n.bare_line_ends(), 3u);
}

}  // namespace
}  // namespace hm::smtp::proto
