#include "smtp/proto/data_decoder.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace hm::smtp::proto {
namespace {

constexpr size_t kBig = 1 << 20;

struct Outcome {
  bool done = false;
  size_t consumed = 0;
  std::string message;
  bool too_big = false;
  bool line_too_long = false;
  size_t size = 0;
  size_t bare = 0;
  size_t nuls = 0;

  bool operator==(const Outcome&) const = default;
};

Outcome finish(DataDecoder& d, size_t consumed) {
  return {d.done(),          consumed, d.message(),        d.too_big(),
          d.line_too_long(), d.size(), d.bare_line_ends(), d.nul_bytes()};
}

Outcome whole(std::string_view in, size_t max_size = kBig, size_t max_line = 1000) {
  DataDecoder d(max_size, max_line);
  const size_t n = d.feed(in);
  return finish(d, n);
}

Outcome bytewise(std::string_view in, size_t max_size = kBig, size_t max_line = 1000) {
  DataDecoder d(max_size, max_line);
  size_t consumed = 0;
  for (size_t i = 0; i < in.size() && !d.done(); ++i) consumed += d.feed(in.substr(i, 1));
  return finish(d, consumed);
}

Outcome chunked(std::string_view in, unsigned seed, size_t max_size = kBig,
                size_t max_line = 1000) {
  std::mt19937 rng(seed);
  DataDecoder d(max_size, max_line);
  size_t pos = 0, consumed = 0;
  while (pos < in.size() && !d.done()) {
    const size_t len = std::uniform_int_distribution<size_t>(0, 17)(rng);
    const std::string_view piece = in.substr(pos, len);
    const size_t n = d.feed(piece);
    consumed += n;
    if (n < piece.size()) {
      EXPECT_TRUE(d.done());
      break;
    }
    pos += piece.size();
  }
  return finish(d, consumed);
}

// Decodes in one piece, byte by byte and in random chunks; all must agree.
Outcome decode(std::string_view in, size_t max_size = kBig, size_t max_line = 1000) {
  const Outcome a = whole(in, max_size, max_line);
  EXPECT_EQ(a, bytewise(in, max_size, max_line)) << "byte-by-byte differs";
  for (unsigned seed = 1; seed <= 20; ++seed) {
    EXPECT_EQ(a, chunked(in, seed, max_size, max_line)) << "chunked differs, seed " << seed;
  }
  return a;
}

TEST(DataDecoderTest, SimpleMessage) {
  const std::string in = "Subject: hi\r\n\r\nbody\r\n.\r\n";
  const Outcome o = decode(in);
  EXPECT_TRUE(o.done);
  EXPECT_EQ(o.consumed, in.size());
  EXPECT_EQ(o.message, "Subject: hi\r\n\r\nbody\r\n");
  EXPECT_EQ(o.size, o.message.size());
  EXPECT_FALSE(o.too_big);
  EXPECT_FALSE(o.line_too_long);
}

TEST(DataDecoderTest, EmptyMessageRightAfter354) {
  const Outcome o = decode(".\r\n");
  EXPECT_TRUE(o.done);
  EXPECT_EQ(o.consumed, 3u);
  EXPECT_EQ(o.message, "");
  EXPECT_EQ(o.size, 0u);
}

TEST(DataDecoderTest, LeavesPipelinedBytesToTheCaller) {
  const std::string in = "a\r\n.\r\nQUIT\r\n";
  const Outcome o = decode(in);
  EXPECT_TRUE(o.done);
  EXPECT_EQ(o.consumed, in.size() - 6);
  EXPECT_EQ(o.message, "a\r\n");
  DataDecoder d(kBig, 1000);
  EXPECT_EQ(d.feed(in), in.size() - 6);
  EXPECT_EQ(d.feed("more"), 0u);
}

TEST(DataDecoderTest, NotDoneWithoutEndMarker) {
  const Outcome o = decode("line\r\n.");
  EXPECT_FALSE(o.done);
  EXPECT_EQ(o.consumed, 7u);
  EXPECT_FALSE(decode("line\r\n.\r").done);
  EXPECT_FALSE(decode("line\r\n").done);
  EXPECT_FALSE(decode("").done);
}

TEST(DataDecoderTest, DotUnstuffing) {
  EXPECT_EQ(decode("..\r\n.\r\n").message, ".\r\n");
  EXPECT_EQ(decode("..hidden\r\n.\r\n").message, ".hidden\r\n");
  EXPECT_EQ(decode("a\r\n...x\r\n.\r\n").message, "a\r\n..x\r\n");
  EXPECT_EQ(decode("a\r\n.x\r\n.\r\n").message, "a\r\nx\r\n");  // RFC 5321 4.5.2: first dot goes
  EXPECT_EQ(decode("a.b\r\n.\r\n").message, "a.b\r\n");         // not at a line start
  EXPECT_EQ(decode("a\r\n. \r\n.\r\n").message, "a\r\n \r\n");
}

// SMTP smuggling: every end marker other than CRLF.CRLF must end nothing,
// and what follows stays part of the message.
TEST(DataDecoderTest, SmugglingBareLfDotBareLf) {
  const Outcome o = decode("a\n.\nMAIL FROM:<x@y>\r\n.\r\n");
  EXPECT_TRUE(o.done);
  EXPECT_EQ(o.message, "a\r\n.\r\nMAIL FROM:<x@y>\r\n");
  EXPECT_EQ(o.bare, 2u);
}

TEST(DataDecoderTest, SmugglingBareCrDotBareCr) {
  const Outcome o = decode("a\r.\rMAIL FROM:<x@y>\r\n.\r\n");
  EXPECT_TRUE(o.done);
  EXPECT_EQ(o.message, "a\r\n.\r\nMAIL FROM:<x@y>\r\n");
  EXPECT_EQ(o.bare, 2u);
}

TEST(DataDecoderTest, SmugglingCrLfDotBareLf) {
  // The dot follows a real CRLF, so it is a stuffing dot and goes; the bare
  // LF becomes CRLF.
  const Outcome o = decode("a\r\n.\nMAIL FROM:<x@y>\r\n.\r\n");
  EXPECT_TRUE(o.done);
  EXPECT_EQ(o.message, "a\r\n\r\nMAIL FROM:<x@y>\r\n");
  EXPECT_EQ(o.bare, 1u);
}

TEST(DataDecoderTest, SmugglingBareLfDotCrLf) {
  const Outcome o = decode("a\n.\r\nMAIL FROM:<x@y>\r\n.\r\n");
  EXPECT_TRUE(o.done);
  EXPECT_EQ(o.message, "a\r\n.\r\nMAIL FROM:<x@y>\r\n");
  EXPECT_EQ(o.bare, 1u);
}

TEST(DataDecoderTest, SmugglingCrLfDotBareCr) {
  const Outcome o = decode("a\r\n.\rMAIL FROM:<x@y>\r\n.\r\n");
  EXPECT_TRUE(o.done);
  EXPECT_EQ(o.message, "a\r\n\r\nMAIL FROM:<x@y>\r\n");
  EXPECT_EQ(o.bare, 1u);
}

TEST(DataDecoderTest, SmugglingBareCrDotCrLf) {
  const Outcome o = decode("a\r.\r\nb\r\n.\r\n");
  EXPECT_TRUE(o.done);
  EXPECT_EQ(o.message, "a\r\n.\r\nb\r\n");
}

TEST(DataDecoderTest, SmugglingCrCrLfDot) {
  // "\r\r\n.\r\n": the first CR is bare, the CRLF is real, so this one ends.
  const Outcome o = decode("a\r\r\n.\r\n");
  EXPECT_TRUE(o.done);
  EXPECT_EQ(o.message, "a\r\n\r\n");
  // "\r\n.\r\r\n": the dot line ends with a bare CR; not an end.
  const Outcome p = decode("a\r\n.\r\r\nb\r\n.\r\n");
  EXPECT_TRUE(p.done);
  EXPECT_EQ(p.message, "a\r\n\r\n\r\nb\r\n");
}

TEST(DataDecoderTest, SmugglingAtTheVeryStart) {
  EXPECT_FALSE(decode(".\n").done);
  EXPECT_FALSE(decode(".\r.").done);
  EXPECT_FALSE(decode("\n.\n").done);
  const Outcome o = decode(".\nx\r\n.\r\n");
  EXPECT_TRUE(o.done);
  EXPECT_EQ(o.message, "\r\nx\r\n");
}

TEST(DataDecoderTest, BareLineEndsNormalised) {
  const Outcome o = decode("a\nb\rc\r\n\n\r\r\n.\r\n");
  EXPECT_TRUE(o.done);
  EXPECT_EQ(o.message, "a\r\nb\r\nc\r\n\r\n\r\n\r\n");
  EXPECT_EQ(o.bare, 4u);
}

TEST(DataDecoderTest, NulBecomesSpace) {
  const std::string in("a\0b\r\n\0\r\n.\r\n", 11);
  const Outcome o = decode(in);
  EXPECT_TRUE(o.done);
  EXPECT_EQ(o.message, "a b\r\n \r\n");
  EXPECT_EQ(o.nuls, 2u);
  // A NUL on the line after CRLF does not make "." special later on.
  const Outcome p = decode(std::string("\0.\r\n.\r\n", 7));
  EXPECT_EQ(p.message, " .\r\n");
}

TEST(DataDecoderTest, LineLengthLimitIncludesCrLf) {
  const std::string ok_line(998, 'x');
  Outcome o = decode(ok_line + "\r\n.\r\n");
  EXPECT_TRUE(o.done);
  EXPECT_FALSE(o.line_too_long);
  o = decode(ok_line + "x\r\n.\r\n");
  EXPECT_TRUE(o.done);
  EXPECT_TRUE(o.line_too_long);
  EXPECT_EQ(o.message, ok_line + "x\r\n");  // still stored: the session decides
  // The stuffing dot is not counted (RFC 5321 4.5.3.1.6): a 998-octet line
  // that starts with "." is legal, and arrives without the dot.
  o = decode("." + ok_line + "\r\n.\r\n");
  EXPECT_TRUE(o.done);
  EXPECT_FALSE(o.line_too_long);
  EXPECT_EQ(o.message, ok_line + "\r\n");
  o = decode("a\r\n.." + ok_line.substr(1) + "\r\n.\r\n");
  EXPECT_FALSE(o.line_too_long);
  EXPECT_EQ(o.message, "a\r\n." + ok_line.substr(1) + "\r\n");
  EXPECT_TRUE(decode("." + ok_line + "x\r\n.\r\n").line_too_long);
  // Many short lines never add up.
  std::string many;
  for (int i = 0; i < 100; ++i) many += std::string(900, 'y') + "\r\n";
  EXPECT_FALSE(decode(many + ".\r\n").line_too_long);
  // Configurable; 0 = no limit.
  EXPECT_TRUE(decode("abcdefghij\r\n.\r\n", kBig, 10).line_too_long);
  EXPECT_FALSE(decode("abcdefgh\r\n.\r\n", kBig, 10).line_too_long);
  EXPECT_FALSE(decode(std::string(5000, 'z') + "\r\n.\r\n", kBig, 0).line_too_long);
}

TEST(DataDecoderTest, SizeLimitStopsStoringButFindsTheEnd) {
  const std::string body = std::string(50, 'a') + "\r\n" + std::string(50, 'b') + "\r\n";
  Outcome o = decode(body + ".\r\nQUIT\r\n", body.size());
  EXPECT_TRUE(o.done);
  EXPECT_FALSE(o.too_big);
  EXPECT_EQ(o.message, body);
  o = decode(body + ".\r\nQUIT\r\n", body.size() - 1);
  EXPECT_TRUE(o.done);
  EXPECT_TRUE(o.too_big);
  EXPECT_EQ(o.message, "");
  EXPECT_EQ(o.size, body.size());
  EXPECT_EQ(o.consumed, body.size() + 3);
  // Smuggled markers stay ignored past the limit too.
  o = decode(body + "\n.\n" + body + ".\r\n", 10);
  EXPECT_TRUE(o.done);
  EXPECT_TRUE(o.too_big);
  EXPECT_EQ(o.size, 2 * body.size() + 5);  // "\n.\n" became "\r\n.\r\n"
}

TEST(DataDecoderTest, ResetStartsOver) {
  DataDecoder d(10, 1000);
  d.feed("0123456789abc\r\n\n.\r\n.\r\n");
  EXPECT_TRUE(d.done());
  EXPECT_TRUE(d.too_big());
  d.reset();
  EXPECT_FALSE(d.done());
  EXPECT_EQ(d.feed("x\r\n.\r\n"), 6u);
  EXPECT_TRUE(d.done());
  EXPECT_FALSE(d.too_big());
  EXPECT_EQ(d.message(), "x\r\n");
  EXPECT_EQ(d.bare_line_ends(), 0u);
}

TEST(DataDecoderTest, RandomInputsAgreeAcrossSplits) {
  // Inputs built from the bytes that matter, so every state is visited.
  const char alphabet[] = {'\r', '\n', '.', 'a', '\0'};
  std::mt19937 rng(42);
  for (int round = 0; round < 300; ++round) {
    std::string in;
    const size_t len = std::uniform_int_distribution<size_t>(0, 60)(rng);
    for (size_t i = 0; i < len; ++i) in.push_back(alphabet[rng() % sizeof(alphabet)]);
    const Outcome o = decode(in, 30, 12);
    // The message never holds a bare CR, bare LF or NUL.
    for (size_t i = 0; i < o.message.size(); ++i) {
      ASSERT_NE(o.message[i], '\0');
      if (o.message[i] == '\r') {
        ASSERT_TRUE(i + 1 < o.message.size() && o.message[i + 1] == '\n');
      }
      if (o.message[i] == '\n') {
        ASSERT_TRUE(i > 0 && o.message[i - 1] == '\r');
      }
    }
    if (o.done) {
      const std::string_view used(in.data(), o.consumed);
      ASSERT_TRUE(used == ".\r\n" || used.ends_with("\r\n.\r\n")) << "ended at a false marker";
    }
  }
}

}  // namespace
}  // namespace hm::smtp::proto
