#include "imap/proto/response.h"

#include <gtest/gtest.h>

namespace hm::imap::proto {
namespace {

TEST(ResponseTest, TaggedAndUntagged) {
  EXPECT_EQ(format(make_response("a1", Status::kOk, "", "LOGIN completed")),
            "a1 OK LOGIN completed\r\n");
  EXPECT_EQ(format(make_response("", Status::kOk, "UIDNEXT 4392", "Predicted next UID")),
            "* OK [UIDNEXT 4392] Predicted next UID\r\n");
  EXPECT_EQ(format(make_response("a2", Status::kNo, "TOOBIG", "too big")),
            "a2 NO [TOOBIG] too big\r\n");
  EXPECT_EQ(format(make_response("", Status::kBye, "", "")), "* BYE done\r\n");
  EXPECT_EQ(format(make_response("", Status::kPreauth, "", "hi")), "* PREAUTH hi\r\n");
}

TEST(ResponseTest, NoLineBreakInjection) {
  EXPECT_EQ(format(make_response("a\r\n", Status::kBad, "X\n", "bad\r\n* OK fake")),
            "a   BAD [X ] bad  * OK fake\r\n");
}

std::string astring(std::string_view s) {
  std::string out;
  append_astring(out, s);
  return out;
}

std::string string(std::string_view s) {
  std::string out;
  append_string(out, s);
  return out;
}

TEST(ResponseTest, AstringChoosesAtomQuotedOrLiteral) {
  EXPECT_EQ(astring("INBOX"), "INBOX");
  EXPECT_EQ(astring("Sent/2024"), "Sent/2024");
  EXPECT_EQ(astring(""), "\"\"");
  EXPECT_EQ(astring("Sent Items"), "\"Sent Items\"");
  EXPECT_EQ(astring("a]b"), "\"a]b\"");  // "]" would end a response code
  EXPECT_EQ(astring("50%"), "\"50%\"");
  EXPECT_EQ(astring("NIL"), "\"NIL\"");  // not nil
  EXPECT_EQ(astring("nil"), "\"nil\"");
  EXPECT_EQ(astring("say \"hi\" \\o/"), "\"say \\\"hi\\\" \\\\o/\"");
  EXPECT_EQ(astring("caf\xc3\xa9"), "{5}\r\ncaf\xc3\xa9");
  EXPECT_EQ(astring("two\r\nlines"), "{10}\r\ntwo\r\nlines");
  EXPECT_EQ(astring(std::string_view("a\0b", 3)), std::string("{3}\r\na\0b", 8));
  EXPECT_EQ(astring(std::string(kMaxQuotedLength + 1, 'x')).substr(0, 7), "{1025}\r");
}

TEST(ResponseTest, StringIsNeverAnAtom) {
  EXPECT_EQ(string("INBOX"), "\"INBOX\"");
  std::string out;
  append_nstring(out, std::nullopt);
  out += ' ';
  append_nstring(out, std::string_view("x"));
  EXPECT_EQ(out, "NIL \"x\"");
}

TEST(ResponseTest, ContinuationAndAtomList) {
  EXPECT_EQ(format_continuation("Ready for literal data"), "+ Ready for literal data\r\n");
  EXPECT_EQ(format_continuation(""), "+ OK\r\n");
  EXPECT_EQ(format_continuation("a\r\nb"), "+ a  b\r\n");
  std::string out;
  append_atom_list(out, {"\\Seen", "$Label"});
  append_atom_list(out, {});
  EXPECT_EQ(out, "(\\Seen $Label)()");
}

TEST(ResponseTest, DateTimeFormat) {
  std::string out;
  // 1996-07-17 09:44:25 UTC shown at -0700 (RFC 3501's example).
  append_date_time(out, 837596665, -7 * 60);
  EXPECT_EQ(out, "\"17-Jul-1996 02:44:25 -0700\"");
  out.clear();
  append_date_time(out, 0, 0);
  EXPECT_EQ(out, "\" 1-Jan-1970 00:00:00 +0000\"");
  out.clear();
  append_date_time(out, 1733151909, 60);  // 2024-12-02 15:05:09 UTC
  EXPECT_EQ(out, "\" 2-Dec-2024 16:05:09 +0100\"");
}

}  // namespace
}  // namespace hm::imap::proto
