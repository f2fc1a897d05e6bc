#include "imap/proto/command_parser.h"

#include <gtest/gtest.h>

#include "render.h"

namespace hm::imap::proto {
namespace {

Command ok(std::string_view text) {
  auto r = parse_command(text);
  if (auto* bad = std::get_if<Response>(&r)) {
    ADD_FAILURE() << text << " -> " << format(*bad);
    return {};
  }
  return std::get<Command>(r);
}

Response bad(std::string_view text) {
  auto r = parse_command(text);
  if (auto* c = std::get_if<Command>(&r)) {
    ADD_FAILURE() << text << " parsed as " << render(*c);
    return {};
  }
  return std::get<Response>(r);
}

TEST(ImapCommandParserTest, LoginWithQuotedAndLiteralStrings) {
  const Command c = ok("a1 login {3}\r\njoe \"p\\\"w\\\\\"");
  EXPECT_EQ(c.tag, "a1");
  EXPECT_EQ(c.name, CommandName::kLogin);
  const auto& a = std::get<LoginArgs>(c.args);
  EXPECT_EQ(a.user, "joe");
  EXPECT_EQ(a.password, "p\"w\\");
}

TEST(ImapCommandParserTest, MailboxNamesAreDecodedAndInboxFolded) {
  EXPECT_EQ(std::get<MailboxArgs>(ok("a SELECT iNbOx").args).mailbox, "INBOX");
  EXPECT_EQ(std::get<MailboxArgs>(ok("a SELECT \"Entw&APw-rfe\"").args).mailbox, "Entw\xc3\xbcrfe");
  // INBOX folding applies to the whole name only.
  EXPECT_EQ(std::get<MailboxArgs>(ok("a SELECT inbox/sub").args).mailbox, "inbox/sub");
  const Response r = bad("a7 SELECT &AGE-");
  EXPECT_EQ(r.tag, "a7");
  EXPECT_EQ(r.status, Status::kBad);
  EXPECT_NE(r.text.find("modified UTF-7"), std::string::npos) << r.text;
}

TEST(ImapCommandParserTest, UidPrefixOnlyWhereAllowed) {
  EXPECT_TRUE(ok("a UID FETCH 1:* FLAGS").uid);
  EXPECT_TRUE(ok("a uid expunge 4:5").uid);
  EXPECT_NE(bad("a UID SELECT INBOX").text.find("UID SELECT does not exist"), std::string::npos);
}

TEST(ImapCommandParserTest, FetchAttributes) {
  const Command c = ok("a FETCH 1:3,* (FLAGS BODY.PEEK[1.2.HEADER.FIELDS (from To)]<5.10>)");
  const auto& f = std::get<FetchArgs>(c.args);
  ASSERT_EQ(f.set.ranges.size(), 2u);
  EXPECT_EQ(f.set.ranges[1], (SeqRange{kStar, kStar}));
  ASSERT_EQ(f.atts.size(), 2u);
  const FetchAtt& b = f.atts[1];
  EXPECT_EQ(b.item, FetchAtt::Item::kBodySection);
  EXPECT_TRUE(b.peek);
  EXPECT_EQ(b.section.part, (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(b.section.text, Section::Text::kHeaderFields);
  EXPECT_EQ(b.section.fields, (std::vector<std::string>{"FROM", "TO"}));
  ASSERT_TRUE(b.partial);
  EXPECT_EQ(b.partial->first, 5u);
  EXPECT_EQ(b.partial->second, 10u);
}

TEST(ImapCommandParserTest, FetchMacrosExpand) {
  EXPECT_EQ(std::get<FetchArgs>(ok("a FETCH 1 ALL").args).atts.size(), 4u);
  EXPECT_EQ(std::get<FetchArgs>(ok("a FETCH 1 fast").args).atts.size(), 3u);
  EXPECT_EQ(std::get<FetchArgs>(ok("a FETCH 1 FULL").args).atts.size(), 5u);
}

TEST(ImapCommandParserTest, SearchTree) {
  const Command c = ok("a SEARCH CHARSET utf-8 OR FROM x (SEEN NOT 2:4) SINCE 1-Jan-2000");
  const auto& s = std::get<SearchArgs>(c.args);
  EXPECT_EQ(s.charset, "UTF-8");
  EXPECT_EQ(render(s.key), "AND(OR FROM [x] AND(SEEN NOT SET 2:4) SINCE day10957)");
}

TEST(ImapCommandParserTest, SearchDepthIsBounded) {
  std::string deep = "a SEARCH ";
  for (int i = 0; i < 1000; ++i) deep += "(";
  EXPECT_NE(bad(deep).text.find("nested too deep"), std::string::npos);
  std::string nots = "a SEARCH ";
  for (int i = 0; i < 1000; ++i) nots += "NOT ";
  EXPECT_NE(bad(nots + "ALL").text.find("nested too deep"), std::string::npos);
}

TEST(ImapCommandParserTest, AppendDateTimeIsUtcSeconds) {
  const Command c = ok("a APPEND INBOX (\\Seen) \"17-Jul-1996 02:44:25 -0700\" {2+}\r\nhi");
  const auto& m = std::get<AppendArgs>(c.args).messages.at(0);
  EXPECT_EQ(m.flags, (std::vector<std::string>{"\\Seen"}));
  EXPECT_EQ(m.internal_date, 837596665);
  EXPECT_EQ(m.message, "hi");
}

TEST(ImapCommandParserTest, LiteralLongerThanCommandIsRejected) {
  EXPECT_NE(bad("a LOGIN {10}\r\nabc").text.find("cut short"), std::string::npos);
}

TEST(ImapCommandParserTest, StoreModes) {
  const Command c = ok("a STORE 1 -FLAGS.SILENT (\\Seen)");
  const auto& s = std::get<StoreArgs>(c.args);
  EXPECT_EQ(s.mode, StoreArgs::Mode::kRemove);
  EXPECT_TRUE(s.silent);
  EXPECT_EQ(std::get<StoreArgs>(ok("a STORE 1 flags ()").args).mode, StoreArgs::Mode::kReplace);
}

TEST(ImapCommandParserTest, UntaggedBadWithoutTag) {
  const Response r = bad("(x NOOP");
  EXPECT_EQ(r.tag, "");
  EXPECT_EQ(format(r).substr(0, 6), "* BAD ");
}

TEST(ImapCommandParserTest, IdleDone) {
  EXPECT_TRUE(is_idle_done("DONE"));
  EXPECT_TRUE(is_idle_done("done"));
  EXPECT_FALSE(is_idle_done("DONE "));
}

}  // namespace
}  // namespace hm::imap::proto
