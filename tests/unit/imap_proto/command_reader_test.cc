#include "imap/proto/command_reader.h"

#include <gtest/gtest.h>

#include <string>

namespace hm::imap::proto {
namespace {

using Event = CommandReader::Event;

TEST(CommandReaderTest, YieldsOneCommandPerLine) {
  CommandReader r;
  const std::string in = "a1 NOOP\r\na2 LOGOUT\r\n";
  auto s = r.feed(in);
  EXPECT_EQ(s.event, Event::kCommand);
  EXPECT_EQ(s.consumed, 9u);
  EXPECT_EQ(r.command(), "a1 NOOP");
  s = r.feed(std::string_view(in).substr(9));
  EXPECT_EQ(s.event, Event::kCommand);
  EXPECT_EQ(r.command(), "a2 LOGOUT");
}

TEST(CommandReaderTest, PartialLinesWaitForMore) {
  CommandReader r;
  EXPECT_EQ(r.feed("a1 NO").event, Event::kNeedMore);
  EXPECT_EQ(r.feed("OP\r").event, Event::kNeedMore);
  const auto s = r.feed("\n");
  EXPECT_EQ(s.event, Event::kCommand);
  EXPECT_EQ(r.command(), "a1 NOOP");
}

TEST(CommandReaderTest, SynchronizingLiteralAsksForContinuation) {
  CommandReader r;
  auto s = r.feed("a1 LOGIN {3}\r\n");
  EXPECT_EQ(s.event, Event::kContinuation);
  EXPECT_EQ(r.literal_size(), 3u);
  s = r.feed("joe pw\r\n");
  EXPECT_EQ(s.event, Event::kCommand);
  EXPECT_EQ(r.command(), "a1 LOGIN {3}\r\njoe pw");
}

TEST(CommandReaderTest, NonSynchronizingLiteralNeedsNoContinuation) {
  CommandReader r;
  const std::string in = "a1 LOGIN {5+}\r\nj\r\noe pw\r\n";
  const auto s = r.feed(in);
  EXPECT_EQ(s.event, Event::kCommand);
  EXPECT_EQ(s.consumed, in.size());
  EXPECT_EQ(r.command(), "a1 LOGIN {5+}\r\nj\r\noe pw");  // CRLF inside the literal kept
}

TEST(CommandReaderTest, LiteralTooLargeIsRefusedBeforeItIsSent) {
  ReaderLimits limits;
  limits.max_literal_size = 100;
  CommandReader r(limits);
  const auto s = r.feed("a1 APPEND INBOX {101}\r\n");
  ASSERT_EQ(s.event, Event::kError);
  EXPECT_EQ(format(r.error()), "a1 NO [TOOBIG] Literal of 101 octets is over the limit of 100\r\n");
  EXPECT_EQ(r.feed("a2 NOOP\r\n").event, Event::kCommand);
  EXPECT_EQ(r.command(), "a2 NOOP");
}

TEST(CommandReaderTest, NonSynchronizingLiteralTooLargeIsSkippedUnbuffered) {
  ReaderLimits limits;
  limits.max_literal_size = 100;
  CommandReader r(limits);
  EXPECT_EQ(r.feed("a1 APPEND INBOX {1000000+}\r\n").event, Event::kNeedMore);
  const std::string block(4096, 'x');
  for (int i = 0; i < 244; ++i) {
    const auto s = r.feed(block);
    ASSERT_EQ(s.event, Event::kNeedMore);
    EXPECT_EQ(r.buffered(), 0u);
  }
  // 1000000 - 244*4096 = 576 octets left, then the end of the command.
  EXPECT_EQ(r.feed(std::string(576, 'y')).event, Event::kNeedMore);
  auto s = r.feed("\r\na2 NOOP\r\n");
  ASSERT_EQ(s.event, Event::kError);
  EXPECT_EQ(r.error().tag, "a1");
  EXPECT_EQ(r.error().code, "TOOBIG");
  s = r.feed(std::string_view("\r\na2 NOOP\r\n").substr(s.consumed));
  EXPECT_EQ(s.event, Event::kCommand);
  EXPECT_EQ(r.command(), "a2 NOOP");
}

TEST(CommandReaderTest, OverlongLineIsSkippedWithoutBuffering) {
  ReaderLimits limits;
  limits.max_line_length = 16;
  CommandReader r(limits);
  EXPECT_EQ(r.feed("a1 SELECT aaaaaaaaaaaaaaaaaa").event, Event::kNeedMore);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(r.feed(std::string(1000, 'b')).event, Event::kNeedMore);
    EXPECT_EQ(r.buffered(), 0u);
  }
  const auto s = r.feed("\r\n");
  ASSERT_EQ(s.event, Event::kError);
  EXPECT_EQ(format(r.error()), "a1 BAD Command line longer than 16 octets\r\n");
}

TEST(CommandReaderTest, OverlongLineInOneFeedIsNotBuffered) {
  ReaderLimits limits;
  limits.max_line_length = 16;
  CommandReader r(limits);
  const std::string in = "a1 SELECT " + std::string(100000, 'x');
  const auto s = r.feed(in);
  EXPECT_EQ(s.event, Event::kNeedMore);
  EXPECT_EQ(s.consumed, in.size());
  EXPECT_EQ(r.buffered(), 0u);
}

TEST(CommandReaderTest, SameErrorWhateverTheChunking) {
  // Found by imap_command_fuzz: a tag cut by the line limit was echoed as
  // far as the first feed reached, so the response depended on chunking.
  ReaderLimits limits;
  limits.max_line_length = 8;
  const std::string in = std::string(20, 'U') + " NOOP\r\n";
  CommandReader whole(limits);
  ASSERT_EQ(whole.feed(in).event, Event::kError);
  CommandReader bytes(limits);
  Event last = Event::kNeedMore;
  for (char c : in) last = bytes.feed(std::string_view(&c, 1)).event;
  ASSERT_EQ(last, Event::kError);
  EXPECT_EQ(format(whole.error()), format(bytes.error()));
  EXPECT_EQ(format(whole.error()), "* BAD Command line longer than 8 octets\r\n");
}

TEST(CommandReaderTest, LineExactlyAtLimitIsAccepted) {
  ReaderLimits limits;
  limits.max_line_length = 7;
  CommandReader r(limits);
  // CR and LF arriving separately must not count against the limit.
  EXPECT_EQ(r.feed("a1 NOOP\r").event, Event::kNeedMore);
  EXPECT_EQ(r.feed("\n").event, Event::kCommand);
  EXPECT_EQ(r.feed("a1 NOOPX\r\n").event, Event::kError);
}

TEST(CommandReaderTest, PlainLineIgnoresLiteralSyntax) {
  CommandReader r;
  r.expect_plain_line();
  EXPECT_EQ(r.feed("dGVzdA=={5}\r\n").event, Event::kCommand);
  EXPECT_EQ(r.command(), "dGVzdA=={5}");
  EXPECT_EQ(r.feed("a1 LOGIN {5}\r\n").event, Event::kContinuation);
}

TEST(CommandReaderTest, TagOf) {
  EXPECT_EQ(tag_of("a1 NOOP"), "a1");
  EXPECT_EQ(tag_of("A.b-c] NOOP"), "A.b-c]");
  EXPECT_EQ(tag_of("+ NOOP"), "");
  EXPECT_EQ(tag_of("* NOOP"), "");
  EXPECT_EQ(tag_of("a{1 NOOP"), "");
  EXPECT_EQ(tag_of("abc"), "abc");
}

}  // namespace
}  // namespace hm::imap::proto
